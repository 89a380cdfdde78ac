// tessera: the escape core's bus port into the accelerator.
//
// The core's scratchpad window maps byte b of scratchpad row r to TSR_SPAD_BASE + r * Stride + b
// (Stride: the row width rounded up to a power of two, at least 4; bytes above the row width read
// 0 and ignore writes). Reads use the scratchpad's lowest-priority read port (granted when the
// execute unit does not read that bank), data the next cycle. Writes are read-modify-write of the
// whole row: a read as above, the byte lanes merged, then the write port when the load unit does
// not write (a core store and a LOAD to the same row at the same time is a firmware race). The
// CSR window goes to tsr_csr's core port. Every granted request gets exactly one response.
//
// Core clock (ClkDiv > 1, docs/core.md): this block divides the clock for the core (cen_o high in
// the last clk_i cycle of each core cycle, cstb_o in the first). The core's request is then a
// one-cycle pulse from its registers, held here until granted; the response is held in registers
// until the next core edge, where the core takes it.
module tsr_core_bus #(
  parameter RowBytes = 4,
  parameter Stride   = 4,
  parameter SpAW     = 8,
  parameter ClkDiv   = 1
) (
  input  wire                  clk_i,
  input  wire                  rst_ni,
  // core clock enable and first cycle of a core cycle (both 1 when ClkDiv = 1)
  output wire                  cen_o,
  output wire                  cstb_o,
  // from the core
  input  wire                  bus_req_i,
  output wire                  bus_gnt_o,
  input  wire                  bus_we_i,
  input  wire [31:0]           bus_addr_i,
  input  wire [31:0]           bus_wdata_i,
  input  wire [3:0]            bus_be_i,
  output wire                  bus_rvalid_o,
  output wire [31:0]           bus_rdata_o,
  output wire                  bus_err_o,
  // scratchpad read port
  output wire                  sp_rreq_o,
  output wire [SpAW-1:0]       sp_raddr_o,
  input  wire                  sp_rgnt_i,
  input  wire [8*RowBytes-1:0] sp_rdata_i,
  // scratchpad write port
  output wire                  sp_wreq_o,
  output wire [SpAW-1:0]       sp_waddr_o,
  output wire [8*RowBytes-1:0] sp_wdata_o,
  input  wire                  sp_wgnt_i,
  // CSR port
  output wire                  c_req_o,
  output wire                  c_we_o,
  output wire [11:0]           c_addr_o,
  output wire [31:0]           c_wdata_o,
  input  wire                  c_gnt_i,
  input  wire                  c_rvalid_i,
  input  wire [31:0]           c_rdata_i
);

`include "tsr_memmap.vh"

  localparam integer OffW = $clog2(Stride);
  localparam integer PadW = 8 * Stride;
  localparam [1:0] StIdle = 2'd0, StMerge = 2'd2, StWrite = 2'd3;

  reg  [1:0]            st_q;
  reg                   rd_pend_q;   // a plain read was granted last cycle
  reg  [OffW-1:0]       off_q;
  reg  [SpAW-1:0]       row_q;
  reg  [31:0]           wdata_q;
  reg  [3:0]            be_q;
  reg  [8*RowBytes-1:0] wrow_q;
  reg                   wdone_q;
  wire                  is_csr, is_sp, sp_go;
  wire [SpAW-1:0]       row;
  wire [OffW-1:0]       off;
  wire [31:0]           sp_word;

  // The core only sends addresses inside its scratchpad and CSR windows.
  wire unused_addr;
  assign unused_addr = ^bus_addr_i;
  assign is_csr = (bus_addr_i[31:28] == TSR_ACSR_BASE[31:28]);
  assign is_sp  = (bus_addr_i[31:28] == TSR_SPAD_BASE[31:28]);
  assign row    = bus_addr_i[OffW +: SpAW];
  assign off    = bus_addr_i[OffW-1:0];

  // ---- core clock enable and request / response registers (ClkDiv > 1)
  wire        req;          // a request is waiting for its grant
  wire        rsp_new;      // this cycle's response (one cycle)
  wire [31:0] rsp_data;
  generate
    if (ClkDiv > 1) begin : g_div
      localparam integer CntW = (ClkDiv <= 2) ? 1 : $clog2(ClkDiv);
      localparam integer    LastI = ClkDiv - 1;
      localparam [CntW-1:0] Last  = LastI[CntW-1:0];
      reg  [CntW-1:0] cnt_q;
      reg             cen_q, cstb_q, pend_q, rsp_v_q;
      reg  [31:0]     rsp_q;
      wire [CntW-1:0] cnt_d = (cnt_q == Last) ? {CntW{1'b0}} : cnt_q + 1'b1;
      always @(posedge clk_i or negedge rst_ni) begin
        if (!rst_ni) begin
          // cen_q = (cnt_q == Last), also in reset.
          cnt_q   <= Last;
          cen_q   <= 1'b1;
          cstb_q  <= 1'b0;
          pend_q  <= 1'b0;
          rsp_v_q <= 1'b0;
        end else begin
          cnt_q   <= cnt_d;
          cen_q   <= (cnt_d == Last);
          cstb_q  <= cen_q;
          pend_q  <= req && !bus_gnt_o;
          rsp_v_q <= rsp_new || (rsp_v_q && !cen_q);
        end
      end
      always @(posedge clk_i) begin
        if (rsp_new) rsp_q <= rsp_data;
      end
      assign cen_o        = cen_q;
      assign cstb_o       = cstb_q;
      assign req          = bus_req_i || pend_q;
      assign bus_rvalid_o = rsp_v_q;
      assign bus_rdata_o  = rsp_q;
    end else begin : g_no_div
      assign cen_o        = 1'b1;
      assign cstb_o       = 1'b1;
      assign req          = bus_req_i;
      assign bus_rvalid_o = rsp_new;
      assign bus_rdata_o  = rsp_data;
    end
  endgenerate

  // CSR window: straight through.
  assign c_req_o   = req && is_csr && (st_q == StIdle);
  assign c_we_o    = bus_we_i;
  assign c_addr_o  = bus_addr_i[11:0];
  assign c_wdata_o = bus_wdata_i;

  // Scratchpad: the read of a load, or the first half of a store's read-modify-write.
  assign sp_go      = req && is_sp && (st_q == StIdle);
  assign sp_rreq_o  = sp_go;
  assign sp_raddr_o = row;
  assign bus_gnt_o  = (c_req_o && c_gnt_i) || (sp_go && sp_rgnt_i);

  // Row data, zero-extended to the stride, shifted to the word.
  wire [PadW-1:0] rd_pad, row_ext, new_pad, mask_ext, data_ext;
  wire [31:0]     be_mask;
  assign be_mask = {{8{be_q[3]}}, {8{be_q[2]}}, {8{be_q[1]}}, {8{be_q[0]}}};
  generate
    if (PadW > 8 * RowBytes) begin : g_row_pad
      assign row_ext = {{(PadW - 8*RowBytes){1'b0}}, sp_rdata_i};
      wire unused_new;
      assign unused_new = ^new_pad[PadW-1:8*RowBytes];
    end else begin : g_row_full
      assign row_ext = sp_rdata_i;
    end
    if (PadW > 32) begin : g_word_pad
      assign data_ext = {{(PadW - 32){1'b0}}, wdata_q};
      assign mask_ext = {{(PadW - 32){1'b0}}, be_mask};
      wire unused_rd;
      assign unused_rd = ^rd_pad[PadW-1:32];
    end else begin : g_word_full
      assign data_ext = wdata_q;
      assign mask_ext = be_mask;
    end
  endgenerate
  assign rd_pad  = row_ext >> (8 * off_q);
  assign sp_word = rd_pad[31:0];
  assign new_pad = (row_ext & ~(mask_ext << (8 * off_q))) |
                   ((data_ext << (8 * off_q)) & (mask_ext << (8 * off_q)));

  assign sp_wreq_o  = (st_q == StWrite);
  assign sp_waddr_o = row_q;
  assign sp_wdata_o = wrow_q;

  assign rsp_new  = c_rvalid_i || rd_pend_q || wdone_q;
  assign rsp_data = c_rvalid_i ? c_rdata_i : (rd_pend_q ? sp_word : 32'd0);
  assign bus_err_o    = 1'b0;

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      st_q      <= StIdle;
      rd_pend_q <= 1'b0;
      wdone_q   <= 1'b0;
    end else begin
      rd_pend_q <= sp_go && sp_rgnt_i && !bus_we_i;
      wdone_q   <= (st_q == StWrite) && sp_wgnt_i;
      case (st_q)
        StIdle:  if (sp_go && sp_rgnt_i && bus_we_i) st_q <= StMerge;
        StMerge: st_q <= StWrite;
        StWrite: if (sp_wgnt_i) st_q <= StIdle;
        default: st_q <= StIdle;
      endcase
    end
  end

  always @(posedge clk_i) begin
    if (sp_go && sp_rgnt_i) begin
      off_q   <= off;
      row_q   <= row;
      wdata_q <= bus_wdata_i;
      be_q    <= bus_be_i;
    end
    if (st_q == StMerge) wrow_q <= new_pad[8*RowBytes-1:0];
  end

endmodule

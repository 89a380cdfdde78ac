// tessera: load unit. Executes LOAD: checks the command (field values, scratchpad range) before
// any traffic, hands a 2-D element descriptor to the DMA read engine and writes every element it
// returns into the next scratchpad row. DMA errors (window, AXI response) end the command with
// the matching error code.
module tsr_ld #(
  parameter RowBytes = 4,   // scratchpad row bytes
  parameter SpRows   = 256,
  parameter BankRows = 256, // rows per scratchpad bank (mirror partner: row XOR BankRows)
  parameter Banks    = 1,
  parameter ElemBytes = 32, // width of the DMA element port (>= RowBytes)
  parameter AddrW    = 32,
  parameter SpAW     = 16
) (
  input  wire                   clk_i,
  input  wire                   rst_ni,
  input  wire                   start_i,
  input  wire [255:0]           cmd_i,
  output wire                   done_o,
  output wire                   err_o,
  output wire [7:0]             err_code_o,
  output wire                   busy_o,     // moved an element this cycle
  // DMA read engine (through the arbiter)
  output wire                   desc_valid_o,
  input  wire                   desc_ready_i,
  output wire [AddrW-1:0]       desc_addr_o,
  output wire [31:0]            desc_stride_o,
  output wire [15:0]            desc_rows_o,
  output wire [15:0]            desc_row_bytes_o,
  output wire [15:0]            desc_elem_bytes_o,
  input  wire                   el_valid_i,
  input  wire [8*ElemBytes-1:0] el_data_i,
  input  wire                   dma_done_i,
  input  wire                   dma_err_i,
  input  wire [2:0]             dma_err_code_i,
  // scratchpad write port
  output wire                   sp_we_o,
  output wire                   sp_wmirror_o, // also write the partner bank (row XOR BankRows)
  output wire [SpAW-1:0]        sp_waddr_o,
  output wire [8*RowBytes-1:0]  sp_wdata_o
);

`include "tsr_isa.vh"

  localparam [2:0] StIdle = 3'd0, StCheck = 3'd1, StDiv = 3'd2, StRange = 3'd3, StDesc = 3'd4,
                   StRun = 3'd5;
  localparam integer RowBytesI = RowBytes;
  localparam integer SpRowsI   = SpRows;

  reg  [2:0]      state_q, state_d;
  reg  [SpAW-1:0] waddr_q;
  wire [SpAW-1:0] waddr_d;
  reg  [31:0]     total_q;
  wire [31:0]     total_d, end_row;
  reg  [31:0]     count_q;
  wire [31:0]     count_d;
  reg             dma_done_q;
  wire            dma_done_d;
  reg             err_d;
  reg  [7:0]      err_code_d;
  reg             done_d;
  wire [15:0]     rows, row_bytes, elem, sp_addr, quot, rem;
  wire            div_start, div_done, unused_div_busy, fields_bad, empty, mirror, cross_bank;
  wire [31:0]     last_row;
  wire [7:0]      dma_code;

  assign rows      = cmd_i[TSR_F_LOAD_ROWS_LSB +: 16];
  assign row_bytes = cmd_i[TSR_F_LOAD_ROW_BYTES_LSB +: 16];
  assign elem      = cmd_i[TSR_F_LOAD_ELEM_BYTES_LSB +: 16];
  assign sp_addr   = cmd_i[TSR_F_LOAD_SP_ADDR_LSB +: 16];
  assign mirror    = cmd_i[TSR_F_LOAD_MIRROR_LSB];

  assign empty      = (rows == 16'd0) || (row_bytes == 16'd0);
  assign fields_bad = empty || (elem == 16'd0) || ({16'd0, elem} > RowBytesI) ||
                      (mirror && (Banks < 2));
  assign div_start  = (state_q == StCheck) && !fields_bad;

  tsr_divu #(.W (16)) u_div (
    .clk_i      (clk_i),
    .rst_ni     (rst_ni),
    .start_i    (div_start),
    .dividend_i (row_bytes),
    .divisor_i  (elem),
    .busy_o     (unused_div_busy),
    .done_o     (div_done),
    .quot_o     (quot),
    .rem_o      (rem)
  );

  assign total_d = (state_q == StDiv && div_done) ? {16'd0, rows} * {16'd0, quot} : total_q;
  assign end_row = {16'd0, sp_addr} + total_q;
  // A mirrored load must stay in one bank (first and last row in the same bank).
  assign last_row   = end_row - 32'd1;
  assign cross_bank = mirror && (({16'd0, sp_addr} / BankRows) != (last_row / BankRows));
  assign dma_code = (dma_err_code_i == 3'd1) ? TSR_ERROR_DMA_WINDOW[7:0] :
                    (dma_err_code_i == 3'd2) ? TSR_ERROR_DMA_EMPTY[7:0] :
                                               TSR_ERROR_AXI_READ[7:0];

  always @(*) begin
    state_d    = state_q;
    err_d      = 1'b0;
    err_code_d = TSR_ERROR_NONE[7:0];
    done_d     = 1'b0;
    case (state_q)
      StIdle:  if (start_i) state_d = StCheck;
      StCheck: begin
        if (fields_bad) begin
          err_d = 1'b1; state_d = StIdle;
          err_code_d = empty ? TSR_ERROR_DMA_EMPTY[7:0] : TSR_ERROR_BAD_FIELD[7:0];
        end else begin
          state_d = StDiv;
        end
      end
      StDiv: if (div_done) begin
        if (rem != 16'd0) begin
          err_d = 1'b1; err_code_d = TSR_ERROR_BAD_FIELD[7:0]; state_d = StIdle;
        end else begin
          state_d = StRange;
        end
      end
      StRange: begin
        if ((end_row > SpRowsI) || cross_bank) begin
          err_d = 1'b1; err_code_d = TSR_ERROR_SP_RANGE[7:0]; state_d = StIdle;
        end else begin
          state_d = StDesc;
        end
      end
      StDesc: if (desc_ready_i) state_d = StRun;
      StRun: begin
        if (dma_done_q && dma_err_i) begin
          err_d = 1'b1; err_code_d = dma_code; state_d = StIdle;
        end else if (dma_done_q && (count_q == total_q)) begin
          done_d = 1'b1; state_d = StIdle;
        end
      end
      default: state_d = StIdle;
    endcase
  end

  assign dma_done_d = (state_q == StDesc) ? 1'b0 : (dma_done_q || dma_done_i);
  assign count_d    = (state_q == StDesc) ? 32'd0 : (el_valid_i ? count_q + 32'd1 : count_q);
  assign waddr_d    = (state_q == StDesc) ? sp_addr[SpAW-1:0] :
                      (el_valid_i ? waddr_q + 1'b1 : waddr_q);

  assign desc_valid_o      = (state_q == StDesc);
  assign desc_addr_o       = cmd_i[TSR_F_LOAD_DRAM_ADDR_LSB +: AddrW];
  assign desc_stride_o     = cmd_i[TSR_F_LOAD_DRAM_STRIDE_LSB +: 32];
  assign desc_rows_o       = rows;
  assign desc_row_bytes_o  = row_bytes;
  assign desc_elem_bytes_o = elem;

  assign sp_we_o    = el_valid_i && (state_q == StRun);
  assign sp_waddr_o = waddr_q;
  assign sp_wmirror_o = mirror;
  assign sp_wdata_o = el_data_i[8*RowBytes-1:0];

  assign done_o     = done_d;
  assign err_o      = err_d;
  assign err_code_o = err_code_d;
  assign busy_o     = sp_we_o;
  // Only the LOAD fields are used; the element port is wider than a scratchpad row when a
  // command fetch (32 bytes) shares the engine.
  wire [255:0] unused_cmd;
  assign unused_cmd = cmd_i;
  generate
    if (ElemBytes > RowBytes) begin : g_unused_el
      wire [8*(ElemBytes-RowBytes)-1:0] unused_el;
      assign unused_el = el_data_i[8*ElemBytes-1:8*RowBytes];
    end
  endgenerate

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q    <= StIdle;
    end else begin
      state_q    <= state_d;
    end
  end

  always @(posedge clk_i) begin
    total_q    <= total_d;
    count_q    <= count_d;
    waddr_q    <= waddr_d;
    dma_done_q <= dma_done_d;
  end

endmodule

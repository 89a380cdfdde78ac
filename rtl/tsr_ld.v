// tessera: load unit. Executes LOAD: checks the command (field values, scratchpad range) before
// any traffic, hands a 2-D element descriptor to the DMA read engine and writes every element it
// returns into the next scratchpad row. DMA errors (window, AXI response) end the command with
// the matching error code.
//
// LOADs overlap: the front end (check, division, range, descriptor) takes the next command as
// soon as it has handed the current one's descriptor over (ready_o), while the back end writes the
// elements of up to Depth commands in order (a ring of contexts: first row, element count,
// mirror; the head is the one being written). A command is done when its last element is written. Errors are reported for the oldest command in
// flight only: a front-end check error waits until the back end is empty, and a DMA error (the
// engine reports it once it has drained) belongs to context 0. After an error the unit stops until
// reset: no further descriptor, no further scratchpad write.
module tsr_ld #(
  parameter RowBytes = 4,   // scratchpad row bytes
  parameter SpRows   = 256,
  parameter BankRows = 256, // rows per scratchpad bank (mirror partner: row XOR BankRows)
  parameter Banks    = 1,
  parameter ElemBytes = 32, // width of the DMA element port (>= RowBytes)
  parameter AddrW    = 32,
  parameter SpAW     = 16,
  parameter Depth    = 2    // commands in the back end at most (the DMA engine's Overlap + 1)
) (
  input  wire                   clk_i,
  input  wire                   rst_ni,
  input  wire                   start_i,
  input  wire [255:0]           cmd_i,
  output wire                   done_o,
  output wire                   err_o,
  output wire [7:0]             err_code_o,
  output wire                   busy_o,     // moved an element this cycle
  output wire                   ready_o,    // can take the next command (and no longer reads cmd_i)
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
                   StErr = 3'd5, StDead = 3'd6;
  localparam integer RowBytesI = RowBytes;
  localparam integer SpRowsI   = SpRows;

  // ---- front end ---------------------------------------------------------------------------------
  reg  [2:0]      state_q, state_d;
  reg  [31:0]     total_q;
  wire [31:0]     total_d, end_row;
  reg             err_d;
  reg  [7:0]      err_code_d, fe_code_d;
  reg  [7:0]      fe_code_q;   // a check error waiting for the back end to empty
  wire [15:0]     rows, row_bytes, elem, sp_addr, quot, rem;
  wire            div_start, div_done, unused_div_busy, fields_bad, empty, mirror, cross_bank;
  wire [31:0]     last_row;
  wire [7:0]      dma_code;
  wire            hand_off, be_empty, be_err, el_we, el_last;

  assign rows      = cmd_i[TSR_F_LOAD_ROWS_LSB +: 16];
  assign row_bytes = cmd_i[TSR_F_LOAD_ROW_BYTES_LSB +: 16];
  assign elem      = cmd_i[TSR_F_LOAD_ELEM_BYTES_LSB +: 16];
  assign sp_addr   = cmd_i[TSR_F_LOAD_SP_ADDR_LSB +: 16];
  assign mirror    = cmd_i[TSR_F_LOAD_MIRROR_LSB];

  assign empty      = (rows == 16'd0) || (row_bytes == 16'd0);
  assign fields_bad = empty || (elem == 16'd0) || ({16'd0, elem} > RowBytesI) ||
                      (mirror && (Banks < 2));
  // A power-of-two element size (the usual case) needs no division: a shift, registered in
  // StCheck, so StDiv takes one cycle instead of the divider's 17.
  function automatic [3:0] log2_16(input [15:0] v);
    integer i;
    log2_16 = 4'd0;
    for (i = 0; i < 16; i = i + 1) begin
      if (v[i]) log2_16 = i[3:0];
    end
  endfunction
  wire        pow2 = ((elem & (elem - 16'd1)) == 16'd0);
  reg         fast_q;
  reg  [15:0] fquot_q, frem_q;
  wire        fast_d  = (state_q == StCheck) ? pow2 : fast_q;
  wire [15:0] fquot_d = (state_q == StCheck) ? (row_bytes >> log2_16(elem)) : fquot_q;
  wire [15:0] frem_d  = (state_q == StCheck) ? (row_bytes & (elem - 16'd1)) : frem_q;
  wire [15:0] quot_sel = fast_q ? fquot_q : quot;
  wire [15:0] rem_sel  = fast_q ? frem_q : rem;
  wire        div_fin  = fast_q || div_done;
  assign div_start  = (state_q == StCheck) && !fields_bad && !pow2;

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

  assign total_d = (state_q == StDiv && div_fin) ? {16'd0, rows} * {16'd0, quot_sel} : total_q;
  assign end_row = {16'd0, sp_addr} + total_q;
  // A mirrored load must stay in one bank (first and last row in the same bank).
  assign last_row   = end_row - 32'd1;
  assign cross_bank = mirror && (({16'd0, sp_addr} / BankRows) != (last_row / BankRows));
  assign dma_code = (dma_err_code_i == 3'd1) ? TSR_ERROR_DMA_WINDOW[7:0] :
                    (dma_err_code_i == 3'd2) ? TSR_ERROR_DMA_EMPTY[7:0] :
                                               TSR_ERROR_AXI_READ[7:0];

  // A check error waits in StErr until the back end is empty (it then belongs to the oldest
  // command in flight); a DMA error ends everything at once.
  always @(*) begin
    state_d    = state_q;
    err_d      = 1'b0;
    err_code_d = TSR_ERROR_NONE[7:0];
    fe_code_d  = fe_code_q;
    if (be_err) begin
      err_d = 1'b1; err_code_d = dma_code; state_d = StDead;
    end else begin
      case (state_q)
        StIdle:  if (start_i) state_d = StCheck;
        StCheck: begin
          if (fields_bad) begin
            state_d   = StErr;
            fe_code_d = empty ? TSR_ERROR_DMA_EMPTY[7:0] : TSR_ERROR_BAD_FIELD[7:0];
          end else begin
            state_d = StDiv;
          end
        end
        StDiv: if (div_fin) begin
          if (rem_sel != 16'd0) begin
            state_d = StErr; fe_code_d = TSR_ERROR_BAD_FIELD[7:0];
          end else begin
            state_d = StRange;
          end
        end
        StRange: begin
          if ((end_row > SpRowsI) || cross_bank) begin
            state_d = StErr; fe_code_d = TSR_ERROR_SP_RANGE[7:0];
          end else begin
            state_d = StDesc;
          end
        end
        StDesc: if (desc_ready_i) state_d = StIdle;
        StErr: if (be_empty) begin
          err_d = 1'b1; err_code_d = fe_code_q; state_d = StDead;
        end
        default: state_d = StDead;  // StDead: stopped until reset
      endcase
    end
  end

  assign hand_off = (state_q == StDesc) && desc_ready_i;

  assign desc_valid_o      = (state_q == StDesc);
  assign desc_addr_o       = cmd_i[TSR_F_LOAD_DRAM_ADDR_LSB +: AddrW];
  assign desc_stride_o     = cmd_i[TSR_F_LOAD_DRAM_STRIDE_LSB +: 32];
  assign desc_rows_o       = rows;
  assign desc_row_bytes_o  = row_bytes;
  assign desc_elem_bytes_o = elem;

  // ---- back end: the element streams of up to Depth commands, in order ---------------------------
  // The head context is being written (next row waddr_q, count_q elements so far); the ones after
  // it wait. A hand-off fills the tail entry.
  localparam integer PW  = (Depth > 2) ? $clog2(Depth) : 1;
  localparam integer NCx = 1 << PW;
  localparam integer BW  = $clog2(Depth + 2);
  localparam [BW-1:0] Be1 = 1;
  reg  [BW-1:0]   be_n_q;
  wire [BW-1:0]   be_n_d;
  reg  [PW-1:0]   hd_q, tl_q;
  reg  [SpAW-1:0] cx_addr_q [0:NCx-1];
  reg  [31:0]     cx_total_q [0:NCx-1];
  reg  [NCx-1:0]  cx_mirror_q;
  reg  [SpAW-1:0] waddr_q, waddr_d;
  reg  [31:0]     count_q, count_d;
  // last_q: the head's next element is its last ((count_q + 1) == c0_total whenever the back end
  // holds a command), kept as a register so that done_o is el_we and one flip-flop: el_valid_i
  // comes late out of the DMA engine, and done_o goes on into the sequencer and the CSR block.
  reg             last_q, last_d;
  wire [31:0]     c0_total;
  wire            c0_mirror;
  wire [PW-1:0]   hd_next;

  assign be_empty  = (be_n_q == {BW{1'b0}});
  assign be_err    = dma_done_i && dma_err_i && (state_q != StDead);
  assign el_we     = el_valid_i && !be_empty && (state_q != StDead);
  assign c0_total  = cx_total_q[hd_q];
  assign c0_mirror = cx_mirror_q[hd_q];
  assign el_last   = el_we && last_q;
  assign be_n_d    = be_n_q + {{(BW-1){1'b0}}, hand_off} - {{(BW-1){1'b0}}, el_last};
  assign hd_next   = hd_q + 1'b1;

  // the head starts over when a command becomes the head: the next waiting one when the head
  // finishes, or a hand-off into an empty back end (or one whose only command finishes now)
  always @(*) begin
    waddr_d = el_we ? waddr_q + 1'b1 : waddr_q;
    count_d = el_we ? count_q + 32'd1 : count_q;
    last_d  = el_we ? ((count_q + 32'd2) == c0_total) : last_q;
    if (el_last && (be_n_q > Be1)) begin
      count_d = 32'd0;
      waddr_d = cx_addr_q[hd_next];
      last_d  = (cx_total_q[hd_next] == 32'd1);
    end else if (hand_off && (be_empty || (el_last && (be_n_q == Be1)))) begin
      count_d = 32'd0;
      waddr_d = sp_addr[SpAW-1:0];
      last_d  = (total_q == 32'd1);
    end
  end

  assign sp_we_o      = el_we;
  assign sp_waddr_o   = waddr_q;
  assign sp_wmirror_o = c0_mirror;
  assign sp_wdata_o   = el_data_i[8*RowBytes-1:0];

  assign done_o     = el_last;
  assign err_o      = err_d;
  assign err_code_o = err_code_d;
  assign busy_o     = el_we;
  assign ready_o    = (state_q == StIdle);
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
      state_q <= StIdle;
      be_n_q  <= {BW{1'b0}};
      hd_q    <= {PW{1'b0}};
      tl_q    <= {PW{1'b0}};
    end else begin
      state_q <= state_d;
      be_n_q  <= be_n_d;
      if (el_last) hd_q <= hd_next;
      if (hand_off) tl_q <= tl_q + 1'b1;
    end
  end

  always @(posedge clk_i) begin
    fast_q      <= fast_d;
    fquot_q     <= fquot_d;
    frem_q      <= frem_d;
    total_q     <= total_d;
    fe_code_q   <= fe_code_d;
    waddr_q     <= waddr_d;
    count_q     <= count_d;
    last_q      <= last_d;
    if (hand_off) begin
      cx_addr_q[tl_q]   <= sp_addr[SpAW-1:0];
      cx_total_q[tl_q]  <= total_q;
      cx_mirror_q[tl_q] <= mirror;
    end
  end

endmodule

// tessera: store unit. Executes STORE: checks the command (fields, accumulator range), hands an
// element descriptor to the DMA write engine, reads the accumulator rows in order, runs them
// through C post-processing lanes and streams the elements to the DMA. Holds the TSR_PARAM_SETS
// requantization parameter sets that PARAMS (execute unit) writes. With `gather`, element k of
// DRAM row i is accumulator row acc_addr + k * rows + i, post-processed with set (pset + k) mod
// TSR_PARAM_SETS (the set index travels with the read to the lanes). Reads are issued against
// credits, so the lane pipeline never needs to stall; the DMA consumes every element of a
// descriptor even after an error, so the unit always finishes and then reports the error.
module tsr_st #(
  parameter Cols     = 4,
  parameter RowBytes = 4,
  parameter AccRows  = 64,
  parameter AccAW    = 16,
  parameter AddrW    = 32
) (
  input  wire                  clk_i,
  input  wire                  rst_ni,
  input  wire                  start_i,
  input  wire [255:0]          cmd_i,
  output wire                  done_o,
  output wire                  err_o,
  output wire [7:0]            err_code_o,
  output wire                  busy_o,
  // parameter writes (execute unit)
  input  wire                  pw_valid_i,
  input  wire [1:0]            pw_set_i,
  input  wire [1:0]            pw_kind_i,
  input  wire [7:0]            pw_idx_i,
  input  wire [8*RowBytes-1:0] pw_data_i,
  // accumulator read port
  output wire                  acc_rd_valid_o,
  input  wire                  acc_rd_ready_i,
  output wire [AccAW-1:0]      acc_rd_addr_o,
  input  wire                  acc_rd_valid_i,
  input  wire [32*Cols-1:0]    acc_rd_data_i,
  // DMA write engine
  output wire                  desc_valid_o,
  input  wire                  desc_ready_i,
  output wire [AddrW-1:0]      desc_addr_o,
  output wire [31:0]           desc_stride_o,
  output wire [15:0]           desc_rows_o,
  output wire [15:0]           desc_row_bytes_o,
  output wire [15:0]           desc_elem_bytes_o,
  output wire                  el_valid_o,
  input  wire                  el_ready_i,
  output wire [32*Cols-1:0]    el_data_o,
  input  wire                  dma_done_i,
  input  wire                  dma_err_i,
  input  wire [2:0]            dma_err_code_i
);

`include "tsr_isa.vh"

  localparam integer AccRowsI = AccRows;
  localparam integer Lat      = 6;   // accumulator read + 5 lane stages
  localparam integer FifoD    = 8;
  localparam [2:0] StIdle = 3'd0, StCheck = 3'd1, StDiv = 3'd2, StRange = 3'd3, StDesc = 3'd4,
                   StRun = 3'd5;

  // ---- parameter sets: byte k of the bias / multiplier vectors is byte k % RowBytes of row k / RowBytes
  // Set s occupies bits [s * width +: width] of each vector.
  localparam integer NSets = TSR_PARAM_SETS;
  reg  [NSets*32*Cols-1:0] bias_q, mult_q;
  reg  [NSets*8*Cols-1:0]  shift_q;
  wire [NSets*32*Cols-1:0] bias_d, mult_d;
  wire [NSets*8*Cols-1:0]  shift_d;
  wire [32*Cols-1:0] bias_sel, mult_sel;
  wire [8*Cols-1:0]  shift_sel;

  genvar k, s, l;
  generate
    for (s = 0; s < NSets; s = s + 1) begin : g_set
      wire set_hit;
      assign set_hit = pw_valid_i && (pw_set_i == s);
      for (k = 0; k < 4 * Cols; k = k + 1) begin : g_byte
        localparam integer Row = k / RowBytes;
        localparam integer Col = k % RowBytes;
        wire row_hit;
        assign row_hit = set_hit && ({24'd0, pw_idx_i} == Row);
        assign bias_d[32*Cols*s + 8*k +: 8] = (row_hit && pw_kind_i == 2'd0) ?
            pw_data_i[8*Col +: 8] : bias_q[32*Cols*s + 8*k +: 8];
        assign mult_d[32*Cols*s + 8*k +: 8] = (row_hit && pw_kind_i == 2'd1) ?
            pw_data_i[8*Col +: 8] : mult_q[32*Cols*s + 8*k +: 8];
      end
      for (k = 0; k < Cols; k = k + 1) begin : g_shift
        assign shift_d[8*Cols*s + 8*k +: 8] = (set_hit && pw_kind_i == 2'd2) ?
            pw_data_i[8*k +: 8] : shift_q[8*Cols*s + 8*k +: 8];
      end
    end
  endgenerate

  always @(posedge clk_i) begin
    bias_q  <= bias_d;
    mult_q  <= mult_d;
    shift_q <= shift_d;
  end

  // ---- command ----------------------------------------------------------------------------------
  wire [1:0]  mode;
  wire [1:0]  pset;
  wire        gather;
  wire [15:0] rows, row_bytes, elem, acc_addr, quot, rem;
  wire [7:0]  out_zp, act_min, act_max;
  wire [31:0] magic;
  wire [15:0] half;
  wire [5:0]  dshift;
  wire        fields_bad, empty, act_bad, div_done, unused_div_busy, params_bad;
  wire [15:0] elem_max;

  assign mode      = cmd_i[TSR_F_STORE_MODE_LSB +: 2];
  assign pset      = cmd_i[TSR_F_STORE_PSET_LSB +: 2];
  assign gather    = cmd_i[TSR_F_STORE_GATHER_LSB];
  assign rows      = cmd_i[TSR_F_STORE_ROWS_LSB +: 16];
  assign row_bytes = cmd_i[TSR_F_STORE_ROW_BYTES_LSB +: 16];
  assign elem      = cmd_i[TSR_F_STORE_ELEM_BYTES_LSB +: 16];
  assign acc_addr  = cmd_i[TSR_F_STORE_ACC_ADDR_LSB +: 16];
  assign out_zp    = cmd_i[TSR_F_STORE_OUT_ZP_LSB +: 8];
  assign act_min   = cmd_i[TSR_F_STORE_ACT_MIN_LSB +: 8];
  assign act_max   = cmd_i[TSR_F_STORE_ACT_MAX_LSB +: 8];
  assign magic     = cmd_i[TSR_F_STORE_DIV_MAGIC_LSB +: 32];
  assign half      = cmd_i[TSR_F_STORE_DIV_HALF_LSB +: 16];
  assign dshift    = cmd_i[TSR_F_STORE_DIV_SHIFT_LSB +: 6];
  localparam [15:0] Cols16 = Cols;
  assign elem_max  = (mode == TSR_STORE_MODE_RAW[1:0]) ? 16'd4 * Cols16 : Cols16;
  assign empty      = (rows == 16'd0) || (row_bytes == 16'd0);
  assign act_bad    = (mode != TSR_STORE_MODE_RAW[1:0]) && ($signed(act_min) > $signed(act_max));
  assign fields_bad = empty || (elem == 16'd0) || (elem > elem_max) || (mode > 2'd2) || act_bad;

  tsr_divu #(.W (16)) u_div (
    .clk_i      (clk_i),
    .rst_ni     (rst_ni),
    .start_i    ((state_q == StCheck) && !fields_bad),
    .dividend_i (row_bytes),
    .divisor_i  (elem),
    .busy_o     (unused_div_busy),
    .done_o     (div_done),
    .quot_o     (quot),
    .rem_o      (rem)
  );

  reg  [2:0]  state_q, state_d;
  reg  [31:0] total_q, issued_q;
  reg  [AccAW-1:0] raddr_q, rbase_q;
  reg  [15:0] k_q;
  reg  [1:0]  set_q;
  reg  [4:0]  cred_q;
  wire [4:0]  cred_d;
  reg         err_d, done_d;
  reg  [7:0]  err_code_d;
  wire        rd_fire, fifo_push, fifo_pop, fifo_valid, unused_fifo_ready, unused_fifo_full;
  wire [7:0]  dma_code;
  wire [31:0] end_row;

  assign end_row  = {16'd0, acc_addr} + total_q;
  assign dma_code = (dma_err_code_i == 3'd1) ? TSR_ERROR_DMA_WINDOW[7:0] :
                    (dma_err_code_i == 3'd2) ? TSR_ERROR_DMA_EMPTY[7:0] :
                                               TSR_ERROR_AXI_WRITE[7:0];

  assign acc_rd_valid_o = (state_q == StRun) && (issued_q != total_q) && (cred_q != 5'd0);
  assign acc_rd_addr_o  = raddr_q;
  assign rd_fire        = acc_rd_valid_o && acc_rd_ready_i;
  assign cred_d         = cred_q - {4'd0, rd_fire} + {4'd0, fifo_pop};

  always @(*) begin
    state_d    = state_q;
    err_d      = 1'b0;
    err_code_d = TSR_ERROR_NONE[7:0];
    done_d     = 1'b0;
    case (state_q)
      StIdle:  if (start_i) state_d = StCheck;
      StCheck: if (fields_bad) begin
        err_d = 1'b1; state_d = StIdle;
        err_code_d = empty ? TSR_ERROR_DMA_EMPTY[7:0] : TSR_ERROR_BAD_FIELD[7:0];
      end else begin
        state_d = StDiv;
      end
      StDiv: if (div_done) begin
        if (rem != 16'd0) begin
          err_d = 1'b1; err_code_d = TSR_ERROR_BAD_FIELD[7:0]; state_d = StIdle;
        end else begin
          state_d = StRange;
        end
      end
      StRange: if (end_row > AccRowsI) begin
        err_d = 1'b1; err_code_d = TSR_ERROR_ACC_RANGE[7:0]; state_d = StIdle;
      end else if (params_bad) begin
        err_d = 1'b1; err_code_d = TSR_ERROR_BAD_FIELD[7:0]; state_d = StIdle;
      end else begin
        state_d = StDesc;
      end
      StDesc: if (desc_ready_i) state_d = StRun;
      StRun: if (dma_done_i) begin
        // The engine finishes only after it consumed every element (or rejected the descriptor).
        if (dma_err_i) begin
          err_d = 1'b1; err_code_d = dma_code;
        end else begin
          done_d = 1'b1;
        end
        state_d = StIdle;
      end
      default: state_d = StIdle;
    endcase
  end

  // ---- lanes ------------------------------------------------------------------------------------
  wire [32*Cols-1:0] lane_out;
  wire [Lat-2:0]     unused_v;
  reg  [Lat-2:0]     v_q;
  generate
    for (l = 0; l < Cols; l = l + 1) begin : g_lane
      tsr_post_lane u_lane (
        .clk_i     (clk_i),
        .rst_ni    (rst_ni),
        .valid_i   (acc_rd_valid_i),
        .mode_i    (mode),
        .acc_i     (acc_rd_data_i[32*l +: 32]),
        .bias_i    (bias_sel[32*l +: 32]),
        .mult_i    (mult_sel[32*l +: 32]),
        .shift_i   (shift_sel[8*l +: 6]),
        .out_zp_i  (out_zp),
        .act_min_i (act_min),
        .act_max_i (act_max),
        .magic_i   (magic),
        .half_i    (half),
        .dshift_i  (dshift),
        .data_o    (lane_out[32*l +: 32])
      );
    end
  endgenerate

  // the set of the element whose accumulator row arrives now (read one cycle earlier)
  reg  [1:0] rd_set_q;
  assign bias_sel  = bias_q[32*Cols*rd_set_q +: 32*Cols];
  assign mult_sel  = mult_q[32*Cols*rd_set_q +: 32*Cols];
  assign shift_sel = shift_q[8*Cols*rd_set_q +: 8*Cols];

  // the lanes take shifts of 6 bits (the range check below looks at all 8)
  wire [2*Cols-1:0] unused_shift_hi;
  generate
    for (l = 0; l < Cols; l = l + 1) begin : g_shift_hi
      assign unused_shift_hi[2*l +: 2] = shift_sel[8*l+6 +: 2];
    end
  endgenerate

  // Requantization needs a non-negative multiplier and a shift in -31..30 in every stored lane of
  // every set the STORE uses (pset; with gather pset .. pset + elements per row - 1, mod NSets).
  wire [NSets-1:0] set_bad, set_used;
  generate
    for (s = 0; s < NSets; s = s + 1) begin : g_pset_check
      wire [1:0]      off;
      wire [Cols-1:0] lane_bad;
      localparam [1:0] S2 = s;
      assign off = S2 - pset;
      assign set_used[s] = gather ? ({14'd0, off} < quot) : (off == 2'd0);
      for (l = 0; l < Cols; l = l + 1) begin : g_lane
        wire [7:0] sh;
        wire       m31;
        assign sh  = shift_q[8*Cols*s + 8*l +: 8];
        assign m31 = mult_q[32*Cols*s + 32*l + 31];
        assign lane_bad[l] = ({16'd0, elem} > l) &&
                             (m31 || ($signed(sh) < -8'sd31) || ($signed(sh) > 8'sd30));
      end
      assign set_bad[s] = set_used[s] && (|lane_bad);
    end
  endgenerate
  assign params_bad = (mode == TSR_STORE_MODE_REQUANT[1:0]) && (|set_bad);

  // int8 modes: lane l's byte at element byte l; raw: the int32 lanes.
  wire [32*Cols-1:0] packed8, element;
  generate
    for (l = 0; l < Cols; l = l + 1) begin : g_pack
      assign packed8[8*l +: 8] = lane_out[32*l +: 8];
    end
  endgenerate
  assign packed8[32*Cols-1:8*Cols] = {(24*Cols){1'b0}};
  assign element = (mode == TSR_STORE_MODE_RAW[1:0]) ? lane_out : packed8;
  assign unused_v = v_q;

  assign fifo_push = v_q[Lat-2];
  tsr_fifo #(.Width (32 * Cols), .Depth (FifoD)) u_el_fifo (
    .clk_i        (clk_i),
    .rst_ni       (rst_ni),
    .push_valid_i (fifo_push),
    .push_ready_o (unused_fifo_ready),
    .push_data_i  (element),
    .pop_valid_o  (fifo_valid),
    .pop_ready_i  (el_ready_i),
    .pop_data_o   (el_data_o),
    .full_o       (unused_fifo_full)
  );
  assign fifo_pop   = fifo_valid && el_ready_i;
  assign el_valid_o = fifo_valid;

  assign desc_valid_o      = (state_q == StDesc);
  assign desc_addr_o       = cmd_i[TSR_F_STORE_DRAM_ADDR_LSB +: AddrW];
  assign desc_stride_o     = cmd_i[TSR_F_STORE_DRAM_STRIDE_LSB +: 32];
  assign desc_rows_o       = rows;
  assign desc_row_bytes_o  = row_bytes;
  assign desc_elem_bytes_o = elem;

  assign done_o     = done_d;
  assign err_o      = err_d;
  assign err_code_o = err_code_d;
  assign busy_o     = fifo_pop;

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      state_q <= StIdle;
      cred_q  <= FifoD[4:0];
      v_q     <= {(Lat-1){1'b0}};
    end else begin
      state_q <= state_d;
      cred_q  <= cred_d;
      v_q     <= {v_q[Lat-3:0], acc_rd_valid_i};
    end
  end

  always @(posedge clk_i) begin
    if (state_q == StDiv && div_done) begin
      total_q <= {16'd0, rows} * {16'd0, quot};
    end
    // Read order: element k of row i at acc_addr + i * quot + k, or with gather at
    // acc_addr + k * rows + i (rbase_q: row i's element 0); the set pset (+ k with gather).
    if (state_q == StDesc) begin
      issued_q <= 32'd0;
      raddr_q  <= acc_addr[AccAW-1:0];
      rbase_q  <= acc_addr[AccAW-1:0];
      k_q      <= 16'd0;
      set_q    <= pset;
    end else if (rd_fire) begin
      issued_q <= issued_q + 32'd1;
      if (!gather) begin
        raddr_q <= raddr_q + 1'b1;
      end else if (k_q == quot - 16'd1) begin
        k_q     <= 16'd0;
        rbase_q <= rbase_q + 1'b1;
        raddr_q <= rbase_q + 1'b1;
        set_q   <= pset;
      end else begin
        k_q     <= k_q + 16'd1;
        raddr_q <= raddr_q + rows[AccAW-1:0];
        set_q   <= set_q + 2'd1;
      end
    end
    if (rd_fire) begin
      rd_set_q <= set_q;
    end
  end

endmodule

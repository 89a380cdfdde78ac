// tessera: formal harness (yosys-smtbmc) for the row-elastic zero-skip array; docs/skip.md.
//
// Two copies of a generated skip tsr_array (Rows x Cols, Depth D) get the same operands: one tile of
// D*Rows x Cols weights, Pixels activation vectors and the zero point, all free constants (anyconst,
// so the solver tries every value). Copy 0 skips zero activations (skip_en_i = 1), copy 1 issues
// every step (the dense path of the same array). Each copy has its own free input bubbles and
// free output back-pressure (anyseq), so the two run on unrelated schedules. Every result either
// copy hands out must equal the specification sum_k (a[p][k] - zp) * w[k][n] (int32, wrapping) of
// the next expected pixel, so both paths give the same accumulator results; no result may appear
// beyond the Pixels expected. Registers without reset start at arbitrary values.
// With `define TSR_FORMAL_PROGRESS the bubbles and back-pressure are off and both copies must
// have produced all results by cycle DoneBy (bounded progress: no deadlock on any operands).
module tsr_skip_miter #(
  parameter Rows   = 2,
  parameter Cols   = 2,
  parameter Depth  = 2,
  parameter Pixels = 4,
  parameter DoneBy = 24
) (
  input wire clk_i
);
  localparam integer KT = Depth * Rows;

  (* anyconst *) reg [8*KT*Cols-1:0]   w;   // w[k][n] = bits [8*(k*Cols+n) +: 8]
  (* anyconst *) reg [8*KT*Pixels-1:0] a;   // a[p][k] = bits [8*(p*KT+k) +: 8]
  (* anyconst *) reg [7:0]             zp;
`ifdef TSR_FORMAL_PROGRESS
  wire [1:0] c_rdy = 2'b11, a_bub = 2'b11, b_bub = 2'b11;
`else
  (* anyseq *) reg [1:0] c_rdy, a_bub, b_bub;
`endif

  reg  [5:0] cyc = 6'd0;
  wire       rst_n = cyc >= 6'd2;
  always @(posedge clk_i) cyc <= (cyc == 6'd63) ? cyc : cyc + 6'd1;

  // ---- the specification ----------------------------------------------------------------------
  reg [32*Cols*Pixels-1:0] spec;
  reg signed [8:0]         dif;
  reg signed [7:0]         wgt;
  reg signed [16:0]        prd;
  integer p, n, k;
  always @* begin
    spec = {(32*Cols*Pixels){1'b0}};
    dif  = 9'sd0;
    wgt  = 8'sd0;
    prd  = 17'sd0;
    for (p = 0; p < Pixels; p = p + 1) begin
      for (n = 0; n < Cols; n = n + 1) begin
        for (k = 0; k < KT; k = k + 1) begin
          dif = {a[8*(p*KT+k)+7], a[8*(p*KT+k) +: 8]} - {zp[7], zp};
          wgt = w[8*(k*Cols+n) +: 8];
          prd = dif * wgt;
`ifdef TSR_FORMAL_BUG
          // A deliberately wrong specification (a + zp instead of a - zp): the check must fail.
          if (p == Pixels - 1) prd = ({a[8*(p*KT+k)+7], a[8*(p*KT+k) +: 8]} + {zp[7], zp}) * wgt;
`endif
          spec[32*(p*Cols+n) +: 32] = spec[32*(p*Cols+n) +: 32] + {{15{prd[16]}}, prd};
        end
      end
    end
  end

  // Operand domain. Proving sum-of-products equal across two schedules with free 9x8-bit operands
  // is multiplier equivalence checking, which bit-level solvers cannot do at this size (z3 ran out
  // of 15 GB at two steps). The activations are therefore restricted: each differs from the zero
  // point by -1, 0 or +1 (a 9-bit difference, so zp = 127, a = -128 is not in the domain). Zero
  // point, weights and the zero / non-zero pattern stay free: every skip decision, weight index,
  // bank, FIFO entry and term is exercised, and a wrong or missing term changes a free sum.
  // The multiplier itself is a plain `*` covered by the simulation tests.
  genvar ai;
  generate
    for (ai = 0; ai < KT * Pixels; ai = ai + 1) begin : g_dom
      wire [8:0] d9 = {a[8*ai+7], a[8*ai +: 8]} - {zp[7], zp};
      always @* assume (d9 == 9'd0 || d9 == 9'd1 || d9 == 9'h1ff);
    end
  endgenerate

  // Weight beat t lands in chain position KT-1-t: row q / Depth, stage j = q % Depth, K = j*Rows+r.
  wire [8*Cols*KT-1:0] wbeat;
  genvar t, c;
  generate
    for (t = 0; t < KT; t = t + 1) begin : g_beat
      localparam integer Q = KT - 1 - t;
      localparam integer KI = (Q % Depth) * Rows + Q / Depth;
      for (c = 0; c < Cols; c = c + 1) begin : g_lane
        assign wbeat[8*(t*Cols+c) +: 8] = w[8*(KI*Cols+c) +: 8];
      end
    end
  endgenerate

  // ---- the two copies ---------------------------------------------------------------------------
  genvar i;
  generate
    for (i = 0; i < 2; i = i + 1) begin : g_dut
      reg  [7:0] b_cnt = 8'd0, a_cnt = 8'd0, o_cnt = 8'd0;
      wire       a_valid, a_ready, b_valid, b_ready, c_valid;
      wire [32*Cols-1:0] c_data;
      wire [31:0] cnt_skip, cnt_gated, cnt_active;
      assign b_valid = rst_n && b_cnt < KT && b_bub[i];
      assign a_valid = rst_n && a_cnt < Pixels && a_bub[i];

      tsr_array u_array (
        .clk_i       (clk_i),
        .rst_ni      (rst_n),
        .skip_en_i   (i == 0),
        .a_zp_i      (zp),
        .a_valid_i   (a_valid),
        .a_ready_o   (a_ready),
        .a_last_i    (a_cnt == Pixels - 1),
        .a_data_i    (a[8*KT*a_cnt +: 8*KT]),
        .b_valid_i   (b_valid),
        .b_ready_o   (b_ready),
        .b_data_i    (wbeat[8*Cols*b_cnt +: 8*Cols]),
        .c_valid_o   (c_valid),
        .c_ready_i   (c_rdy[i]),
        .c_data_o    (c_data),
        .cnt_skip_o  (cnt_skip),
        .cnt_gated_o (cnt_gated),
        .cnt_active_o(cnt_active)
      );

      always @(posedge clk_i) begin
        if (!rst_n) begin
          b_cnt <= 8'd0;
          a_cnt <= 8'd0;
          o_cnt <= 8'd0;
        end else begin
          if (b_valid && b_ready) b_cnt <= b_cnt + 8'd1;
          if (a_valid && a_ready) a_cnt <= a_cnt + 8'd1;
          if (c_valid && c_rdy[i]) o_cnt <= o_cnt + 8'd1;
        end
      end

      always @(posedge clk_i) begin
        if (rst_n && c_valid) begin
          assert (o_cnt < Pixels);
          if (c_rdy[i] && o_cnt < Pixels) assert (c_data == spec[32*Cols*o_cnt +: 32*Cols]);
        end
`ifdef TSR_FORMAL_PROGRESS
        if (cyc == DoneBy) assert (o_cnt == Pixels);
`endif
      end
    end
  endgenerate

endmodule

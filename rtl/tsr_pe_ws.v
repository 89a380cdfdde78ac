// tessera: weight-stationary processing element.
//
// Activations enter from the left with a valid bit and a bank tag and leave to the right one cycle
// later. Partial sums enter from above and leave below one cycle later: psum_o = psum_i + a * w.
// Two weight banks (double buffering, as in TPU v1): bank a_bank_i is used by the activation in
// flight, while the other bank can be shifted down the column (w_i -> w_o) when w_shift_i is high.
// The bank tag travels with each activation, so every PE switches banks exactly when the first
// activation of the next tile reaches it. Everything advances only while en_i is high.
//
// ClkGate = 1: the step registers (a, bank tag, psum) and each weight bank run on their own clock,
// gated by their enable (tsr_clk_gate), instead of a hold multiplexer per bit (Nangate45 has no
// enable flip-flop; the gates also stop those registers toggling while the array stalls or idles).
// ClkGate = 0 builds the hold multiplexers (FPGA targets, where a gated clock is the wrong tool).
module tsr_pe_ws #(
  parameter InW     = 8,
  parameter AccW    = 32,
  parameter ClkGate = 0
) (
  input  wire            clk_i,
  input  wire            rst_ni,
  input  wire            en_i,
  // activation stream, left to right
  input  wire [InW-1:0]  a_i,
  input  wire            a_valid_i,
  input  wire            a_bank_i,
  output wire [InW-1:0]  a_o,
  output wire            a_valid_o,
  output wire            a_bank_o,
  // weight shift chain, top to bottom (bank w_bank_i)
  input  wire [InW-1:0]  w_i,
  input  wire            w_shift_i,
  input  wire            w_bank_i,
  output wire [InW-1:0]  w_o,
  // partial sums, top to bottom
  input  wire [AccW-1:0] psum_i,
  output wire [AccW-1:0] psum_o
);

  reg  [InW-1:0]    a_q, w0_q, w1_q;
  reg               a_valid_q, a_bank_q;
  reg  [AccW-1:0]   psum_q;
  wire [InW-1:0]    a_d, w0_d, w1_d, w_sel;
  wire              a_valid_d, a_bank_d;
  wire [AccW-1:0]   psum_d;
  wire [2*InW-1:0]  prod;
  wire              step, w0_ld, w1_ld;
  wire              clk_step, clk_w0, clk_w1;
  // on a gated clock a register's enable is its clock's: no hold multiplexer
  wire              step_h, w0_h, w1_h;

  assign step      = en_i && a_valid_i;
  assign w0_ld     = en_i && w_shift_i && !w_bank_i;
  assign w1_ld     = en_i && w_shift_i && w_bank_i;
  assign step_h    = step  || (ClkGate != 0);
  assign w0_h      = w0_ld || (ClkGate != 0);
  assign w1_h      = w1_ld || (ClkGate != 0);
  assign w_sel     = a_bank_i ? w1_q : w0_q;
  assign prod      = $signed(a_i) * $signed(w_sel);
  assign psum_d    = step_h ? psum_i + {{(AccW-2*InW){prod[2*InW-1]}}, prod} : psum_q;
  assign a_d       = step_h ? a_i : a_q;
  assign a_valid_d = en_i ? a_valid_i : a_valid_q;
  assign a_bank_d  = step_h ? a_bank_i : a_bank_q;
  assign w0_d      = w0_h ? w_i : w0_q;
  assign w1_d      = w1_h ? w_i : w1_q;

  generate
    if (ClkGate != 0) begin : g_cg
      tsr_clk_gate u_cg_step (.clk_i (clk_i), .en_i (step),  .clk_o (clk_step));
      tsr_clk_gate u_cg_w0   (.clk_i (clk_i), .en_i (w0_ld), .clk_o (clk_w0));
      tsr_clk_gate u_cg_w1   (.clk_i (clk_i), .en_i (w1_ld), .clk_o (clk_w1));
    end else begin : g_nocg
      assign clk_step = clk_i;
      assign clk_w0   = clk_i;
      assign clk_w1   = clk_i;
    end
  endgenerate

  assign a_o       = a_q;
  assign a_valid_o = a_valid_q;
  assign a_bank_o  = a_bank_q;
  assign w_o       = w_bank_i ? w1_q : w0_q;
  assign psum_o    = psum_q;

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      a_valid_q <= 1'b0;
    end else begin
      a_valid_q <= a_valid_d;
    end
  end

  // Datapath registers: no reset, only meaningful while the matching valid bit is set.
  always @(posedge clk_step) begin
    a_q      <= a_d;
    a_bank_q <= a_bank_d;
    psum_q   <= psum_d;
  end

  always @(posedge clk_w0) begin
    w0_q <= w0_d;
  end

  always @(posedge clk_w1) begin
    w1_q <= w1_d;
  end

endmodule

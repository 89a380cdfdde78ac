// tessera: output-stationary processing element.
//
// A steps enter from the left (a, valid, flip) and B steps from above (b); both reach the PE in the
// same cycle and leave one cycle later. Each valid step adds a * b to the local accumulator. A step
// with flip set starts a new tile: the finished sum moves into the drain register out_q and the
// accumulator restarts at a * b. The drain registers of a column form a shift chain, top to
// bottom, that advances one row per step, so the previous tile's results leave the bottom of the
// column (bottom row first) while the next tile computes. Because the PE above handles each step
// one cycle earlier, its out_q already holds the new step's value when this PE samples it; prev_q
// keeps the value out_q had before the step, and that is what the chain passes down (chain_o).
// Advances only while en_i is high.
//
// ClkGate = 1: the step registers run on a clock gated by the step (tsr_clk_gate) instead of a
// hold multiplexer per bit; ClkGate = 0 builds the multiplexers (FPGA targets). See tsr_pe_ws.
module tsr_pe_os #(
  parameter InW     = 8,
  parameter AccW    = 32,
  parameter ClkGate = 0
) (
  input  wire            clk_i,
  input  wire            rst_ni,
  input  wire            en_i,
  // A steps, left to right
  input  wire [InW-1:0]  a_i,
  input  wire            a_valid_i,
  input  wire            a_flip_i,
  output wire [InW-1:0]  a_o,
  output wire            a_valid_o,
  output wire            a_flip_o,
  // B steps, top to bottom
  input  wire [InW-1:0]  b_i,
  output wire [InW-1:0]  b_o,
  // drain chain, top to bottom
  input  wire [AccW-1:0] chain_i,
  output wire [AccW-1:0] chain_o,
  output wire [AccW-1:0] out_o
);

  reg  [InW-1:0]   a_q, b_q;
  reg              a_valid_q, a_flip_q;
  reg  [AccW-1:0]  acc_q, out_q, prev_q;
  wire [InW-1:0]   a_d, b_d;
  wire             a_valid_d, a_flip_d;
  wire [AccW-1:0]  acc_d, out_d, prev_d, prod_ext;
  wire [2*InW-1:0] prod;
  wire             step, step_h, clk_step;

  assign step      = en_i && a_valid_i;
  assign step_h    = step || (ClkGate != 0);  // on a gated clock: no hold multiplexer
  assign prod      = $signed(a_i) * $signed(b_i);
  assign prod_ext  = {{(AccW-2*InW){prod[2*InW-1]}}, prod};
  assign acc_d     = !step_h ? acc_q : (a_flip_i ? prod_ext : acc_q + prod_ext);
  assign out_d     = !step_h ? out_q : (a_flip_i ? acc_q : chain_i);
  assign prev_d    = step_h ? out_q : prev_q;
  assign a_d       = step_h ? a_i : a_q;
  assign b_d       = step_h ? b_i : b_q;
  assign a_valid_d = en_i ? a_valid_i : a_valid_q;
  assign a_flip_d  = step_h ? a_flip_i : a_flip_q;

  generate
    if (ClkGate != 0) begin : g_cg
      tsr_clk_gate u_cg_step (.clk_i (clk_i), .en_i (step), .clk_o (clk_step));
    end else begin : g_nocg
      assign clk_step = clk_i;
    end
  endgenerate

  assign a_o       = a_q;
  assign a_valid_o = a_valid_q;
  assign a_flip_o  = a_flip_q;
  assign b_o       = b_q;
  assign chain_o   = prev_q;
  assign out_o     = out_q;

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
    b_q      <= b_d;
    a_flip_q <= a_flip_d;
    acc_q    <= acc_d;
    out_q    <= out_d;
    prev_q   <= prev_d;
  end

endmodule

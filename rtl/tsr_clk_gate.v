// tessera: clock gate (latch + AND, glitch free): clk_o runs while en_i was high when clk_i was
// low. The escape core's register file gates each register's clock with it instead of a hold
// multiplexer per bit (Nangate45 has no enable flip-flop). A foundry integrated clock-gating cell
// (e.g. CLKGATETST_X1) with the same function replaces this file.
module tsr_clk_gate (
  input  wire clk_i,
  input  wire en_i,
  output wire clk_o
);

  reg en_latch;

  /* verilator lint_off LATCH */
  always @(*) begin
    if (!clk_i) en_latch = en_i;
  end
  /* verilator lint_on LATCH */

  assign clk_o = clk_i & en_latch;

endmodule

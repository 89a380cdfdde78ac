// Synthesis view of rtl/tsr_clk_gate.v on Nangate45: the library's integrated clock-gating cell.
module tsr_clk_gate (
  input  wire clk_i,
  input  wire en_i,
  output wire clk_o
);
  CLKGATE_X1 u_icg (.CK(clk_i), .E(en_i), .GCK(clk_o));
endmodule

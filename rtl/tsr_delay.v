// tessera: fixed-latency delay line (the skew and de-skew registers around the systolic array).
// Depth 0 is a wire. Advances only when en_i is high, so a stalled pipeline keeps its alignment.
// Reset = 1 gives every stage a reset to zero (use it for valid/control bits); data lanes leave it 0
// and save the reset flops. ClkGate = 1 runs the stages on a clock gated by en_i (one tsr_clk_gate
// per line) instead of a hold multiplexer per bit; leave it 0 when en_i is constant or on FPGAs.
module tsr_delay #(
  parameter Width   = 8,
  parameter Depth   = 1,
  parameter Reset   = 0,
  parameter ClkGate = 0
) (
  input  wire             clk_i,
  input  wire             rst_ni,
  input  wire             en_i,
  input  wire [Width-1:0] d_i,
  output wire [Width-1:0] q_o
);

  generate
    if (Depth == 0) begin : g_wire
      wire unused_clk_rst_en;
      assign unused_clk_rst_en = clk_i ^ rst_ni ^ en_i;
      assign q_o = d_i;
    end else begin : g_regs
      reg  [Width*Depth-1:0]     stage_q;
      wire [Width*(Depth+1)-1:0] shifted;
      wire [Width*Depth-1:0]     stage_d;
      wire [Width-1:0]           unused_top;
      wire                       clk_st;

      if (ClkGate != 0) begin : g_cg
        tsr_clk_gate u_cg (.clk_i (clk_i), .en_i (en_i), .clk_o (clk_st));
      end else begin : g_nocg
        assign clk_st = clk_i;
      end
      assign shifted    = {stage_q, d_i};
      assign stage_d    = (en_i || (ClkGate != 0)) ? shifted[Width*Depth-1:0] : stage_q;
      assign unused_top = shifted[Width*(Depth+1)-1:Width*Depth];
      assign q_o        = stage_q[Width*Depth-1:Width*(Depth-1)];

      if (Reset != 0) begin : g_rst
        always @(posedge clk_st or negedge rst_ni) begin
          if (!rst_ni) begin
            stage_q <= {(Width*Depth){1'b0}};
          end else begin
            stage_q <= stage_d;
          end
        end
      end else begin : g_norst
        wire unused_rst;
        assign unused_rst = rst_ni;
        always @(posedge clk_st) begin
          stage_q <= stage_d;
        end
      end
    end
  endgenerate

endmodule

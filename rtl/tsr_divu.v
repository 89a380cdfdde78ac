// tessera: small iterative unsigned divider, one quotient bit per cycle (W cycles per division).
// Used once per command to turn byte counts into element counts, so speed does not matter.
// A division by zero gives quotient all ones and remainder = dividend (flagged by the caller).
module tsr_divu #(
  parameter W = 16
) (
  input  wire         clk_i,
  input  wire         rst_ni,
  input  wire         start_i,    // ignored while busy
  input  wire [W-1:0] dividend_i,
  input  wire [W-1:0] divisor_i,
  output wire         busy_o,
  output wire         done_o,     // one-cycle pulse; results hold until the next start
  output wire [W-1:0] quot_o,
  output wire [W-1:0] rem_o
);

  localparam CntW = $clog2(W + 1);
  localparam integer WI = W;
  localparam [CntW-1:0] Steps = WI[CntW-1:0];

  reg  [CntW-1:0] cnt_q;
  wire [CntW-1:0] cnt_d;
  reg  [W-1:0]    quot_q, rem_q, div_q;
  wire [W-1:0]    quot_d, rem_d, div_d;
  reg             done_q;
  wire            done_d, run, launch;
  wire [W:0]      trial, diff;

  assign launch = start_i && (cnt_q == {CntW{1'b0}});
  assign run    = (cnt_q != {CntW{1'b0}});
  // Shift the next dividend bit into the partial remainder and try to subtract.
  assign trial  = {rem_q, quot_q[W-1]};
  assign diff   = trial - {1'b0, div_q};
  assign cnt_d  = launch ? Steps : (run ? cnt_q - 1'b1 : cnt_q);
  assign rem_d  = launch ? {W{1'b0}} : (run ? (diff[W] ? trial[W-1:0] : diff[W-1:0]) : rem_q);
  assign quot_d = launch ? dividend_i : (run ? {quot_q[W-2:0], !diff[W]} : quot_q);
  assign div_d  = launch ? divisor_i : div_q;
  assign done_d = run && (cnt_q == {{(CntW-1){1'b0}}, 1'b1});

  assign busy_o = run;
  assign done_o = done_q;
  assign quot_o = quot_q;
  assign rem_o  = rem_q;

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      cnt_q  <= {CntW{1'b0}};
      done_q <= 1'b0;
    end else begin
      cnt_q  <= cnt_d;
      done_q <= done_d;
    end
  end

  always @(posedge clk_i) begin
    quot_q <= quot_d;
    rem_q  <= rem_d;
    div_q  <= div_d;
  end

endmodule

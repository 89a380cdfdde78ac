// tessera: one lane of TFLite int8 requantization, pipelined.
//
//   x   = acc + bias                                   (int32, wrapping)
//   x   = x << max(shift, 0)                           (int32, wrapping)
//   y   = SaturatingRoundingDoublingHighMul(x, mult)   (gemmlowp: round half away from zero)
//   y   = RoundingDivideByPOT(y, max(-shift, 0))       (round half away from zero)
//   out = clamp(y + out_zp, act_min, act_max)          (int8)
//
// This is TFLite's MultiplyByQuantizedMultiplier followed by the output offset and the activation
// clamp, bit for bit (the golden model is tsr::ref::requantize). Five register stages (bias and
// shift; four 32 x 8 partial products; high half; rounding shift; zero point and clamp); every
// stage advances while en_i is high, so the owner can stall the lane together with its
// neighbours.
// Parameters such as mult/shift are sampled with the data in stage 1 and travel with it.
//
// PreScaled = 1: the owner forms stage 1's x itself, (acc + bias) << max(shift, 0), and passes it
// as acc_i; bias_i and the positive part of shift_i are then unused. The execute unit's SCALE
// lanes do so, where the sum is a short one (int8 pixel + int16 offset) and both left shifts
// come from the command and merge into one.
module tsr_requant #(
  parameter PreScaled = 0
) (
  input  wire        clk_i,
  input  wire        rst_ni,
  input  wire        en_i,
  input  wire        valid_i,
  input  wire [31:0] acc_i,
  input  wire [31:0] bias_i,
  input  wire [31:0] mult_i,     // quantized multiplier, 0 or [2^30, 2^31)
  input  wire [5:0]  shift_i,    // signed, -32..31: > 0 left shift, < 0 rounding right shift
  input  wire [7:0]  out_zp_i,   // signed
  input  wire [7:0]  act_min_i,  // signed
  input  wire [7:0]  act_max_i,  // signed
  output wire        valid_o,
  output wire [7:0]  data_o,
  output wire [31:0] wide_o      // y + out_zp before the clamp (int32, wrapping)
);

  // ---- stage 1: bias add and left shift --------------------------------------------------------
  reg         s1_valid_q;
  reg  [31:0] s1_x_q, s1_mult_q;
  reg  [4:0]  s1_rshift_q;
  reg  [7:0]  s1_zp_q, s1_min_q, s1_max_q;
  wire [31:0] s1_x_d;
  wire [4:0]  rshift_d;
  wire        shift_neg;

  assign shift_neg = shift_i[5];
  // A right shift of 32 or more leaves only the rounding of 0 or -1: clamp to 31, which gives the
  // same result for every int32 input of RoundingDivideByPOT.
  assign rshift_d  = !shift_neg ? 5'd0 : ((shift_i == 6'b100000) ? 5'd31 : (~shift_i[4:0] + 5'd1));
  generate
    if (PreScaled != 0) begin : g_pre_scaled
      wire [31:0] unused_bias;
      assign unused_bias = bias_i;
      assign s1_x_d      = acc_i;
    end else begin : g_scale
      wire [31:0] sum;
      wire [4:0]  lshift;
      assign sum    = acc_i + bias_i;
      assign lshift = shift_neg ? 5'd0 : shift_i[4:0];
      assign s1_x_d = sum << lshift;
    end
  endgenerate

  // ---- stage 2: the 32 x 32 signed product as four 32 x 8 partial products ------------------
  // x * mult = p0 + (p1 << 8) + (p2 << 16) + (p3 << 24) with pk = x * mult byte k, the bytes 0..2
  // unsigned and byte 3 signed; each fits 40 bits (|x| <= 2^31, |byte| <= 255). They are summed in
  // stage 3.
  reg         s2_valid_q, s2_sat_q;
  reg  [39:0] s2_p0_q, s2_p1_q, s2_p2_q, s2_p3_q;
  reg  [4:0]  s2_rshift_q;
  reg  [7:0]  s2_zp_q, s2_min_q, s2_max_q;
  wire [39:0] p0_d, p1_d, p2_d, p3_d;
  wire [40:0] p0_w, p1_w, p2_w;
  wire        sat_d, unused_pw;

  assign p0_w  = $signed(s1_x_q) * $signed({1'b0, s1_mult_q[7:0]});
  assign p1_w  = $signed(s1_x_q) * $signed({1'b0, s1_mult_q[15:8]});
  assign p2_w  = $signed(s1_x_q) * $signed({1'b0, s1_mult_q[23:16]});
  assign p0_d  = p0_w[39:0];
  assign p1_d  = p1_w[39:0];
  assign p2_d  = p2_w[39:0];
  assign p3_d  = $signed(s1_x_q) * $signed(s1_mult_q[31:24]);
  assign unused_pw = p0_w[40] ^ p1_w[40] ^ p2_w[40];
  // The only overflow of the doubling high multiply: INT32_MIN * INT32_MIN saturates to INT32_MAX.
  assign sat_d = (s1_x_q == 32'h8000_0000) && (s1_mult_q == 32'h8000_0000);

  // ---- stage 3: rounding doubling high half ----------------------------------------------------
  // gemmlowp: (product + nudge) / 2^31, truncating toward zero, with nudge 2^30 for a non-negative
  // product and 1 - 2^30 otherwise. For a negative product the nudged value is negative, and its
  // truncation is floor((product + 1 - 2^30 + 2^31 - 1) / 2^31) = floor((product + 2^30) / 2^31),
  // the same expression as for a non-negative product: high = (product + 2^30) >> 31
  // (arithmetic), one sum of the four partial products and a constant, no sign-dependent nudge.
  reg         s3_valid_q;
  reg  [31:0] s3_high_q, s3_top_q, s3_half_q;
  reg  [4:0]  s3_rshift_q;
  reg  [7:0]  s3_zp_q, s3_min_q, s3_max_q;
  wire [63:0] nudged;
  wire [31:0] high_d;
  wire [31:0] unused_nudged;

  assign nudged = {{24{s2_p0_q[39]}}, s2_p0_q} + {{16{s2_p1_q[39]}}, s2_p1_q, 8'd0} +
                  {{8{s2_p2_q[39]}}, s2_p2_q, 16'd0} + {s2_p3_q, 24'd0} +
                  64'h0000_0000_4000_0000;
  // Bit 63 repeats bit 62 (|product| < 2^62); bits 30:0 are the discarded fraction.
  assign unused_nudged = {nudged[63], nudged[30:0]};
  assign high_d = s2_sat_q ? 32'h7FFF_FFFF : nudged[62:31];

  // ---- stage 4: rounding right shift (RoundingDivideByPOT) -------------------------------------
  // gemmlowp rounds up when remainder = high & mask exceeds threshold = (mask >> 1) + (high < 0).
  // With mask = 2^s - 1 that is: bit s-1 of high is set and, for a negative value, some bit below
  // it is set too (remainder > 2^(s-1)). top = mask ^ (mask >> 1) (bit s-1 alone; zero for s = 0)
  // and half = mask >> 1 depend only on the shift and are formed a stage early, so the rounding
  // decision is two AND-OR reductions beside the shifter, and no comparator.
  reg         s4_valid_q;
  reg  [31:0] s4_y_q;
  reg  [7:0]  s4_zp_q, s4_min_q, s4_max_q;
  wire [31:0] high, shifted, mask_d, s4_y_d;
  wire        high_neg, round_up;

  assign mask_d    = ~(32'hFFFF_FFFF << s2_rshift_q);
  assign high      = s3_high_q;
  assign high_neg  = high[31];
  assign round_up  = (|(high & s3_top_q)) && (!high_neg || (|(high & s3_half_q)));
  assign shifted   = $signed(high) >>> s3_rshift_q;
  assign s4_y_d    = shifted + {31'd0, round_up};

  // ---- stage 5: output zero point and clamp ---------------------------------------------------
  reg         s5_valid_q;
  reg  [7:0]  s5_out_q;
  reg  [31:0] s5_wide_q;
  wire [31:0] with_zp, lo, hi;
  wire        below, above;
  wire [7:0]  s5_out_d;

  assign with_zp  = s4_y_q + {{24{s4_zp_q[7]}}, s4_zp_q};
  assign lo       = {{24{s4_min_q[7]}}, s4_min_q};
  assign hi       = {{24{s4_max_q[7]}}, s4_max_q};
  assign below    = $signed(with_zp) < $signed(lo);
  assign above    = $signed(with_zp) > $signed(hi);
  assign s5_out_d = below ? s4_min_q : (above ? s4_max_q : with_zp[7:0]);

  assign valid_o = s5_valid_q;
  assign data_o  = s5_out_q;
  assign wide_o  = s5_wide_q;

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      s1_valid_q <= 1'b0;
      s2_valid_q <= 1'b0;
      s3_valid_q <= 1'b0;
      s4_valid_q <= 1'b0;
      s5_valid_q <= 1'b0;
    end else if (en_i) begin
      s1_valid_q <= valid_i;
      s2_valid_q <= s1_valid_q;
      s3_valid_q <= s2_valid_q;
      s4_valid_q <= s3_valid_q;
      s5_valid_q <= s4_valid_q;
    end
  end

  // Datapath: no reset; qualified by the valid bits above.
  always @(posedge clk_i) begin
    if (en_i) begin
      s1_x_q      <= s1_x_d;
      s1_mult_q   <= mult_i;
      s1_rshift_q <= rshift_d;
      s1_zp_q     <= out_zp_i;
      s1_min_q    <= act_min_i;
      s1_max_q    <= act_max_i;
      s2_p0_q     <= p0_d;
      s2_p1_q     <= p1_d;
      s2_p2_q     <= p2_d;
      s2_p3_q     <= p3_d;
      s2_sat_q    <= sat_d;
      s2_rshift_q <= s1_rshift_q;
      s2_zp_q     <= s1_zp_q;
      s2_min_q    <= s1_min_q;
      s2_max_q    <= s1_max_q;
      s3_high_q   <= high_d;
      s3_top_q    <= mask_d ^ (mask_d >> 1);
      s3_half_q   <= mask_d >> 1;
      s3_rshift_q <= s2_rshift_q;
      s3_zp_q     <= s2_zp_q;
      s3_min_q    <= s2_min_q;
      s3_max_q    <= s2_max_q;
      s4_y_q      <= s4_y_d;
      s4_zp_q     <= s3_zp_q;
      s4_min_q    <= s3_min_q;
      s4_max_q    <= s3_max_q;
      s5_out_q    <= s5_out_d;
      s5_wide_q   <= with_zp;
    end
  end

endmodule

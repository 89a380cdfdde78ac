// tessera: one lane of TFLite int8 requantization, pipelined.
//
//   x   = acc + bias                                   (int32, wrapping)
//   x   = x << max(shift, 0)                           (int32, wrapping)
//   y   = SaturatingRoundingDoublingHighMul(x, mult)   (gemmlowp: round half away from zero)
//   y   = RoundingDivideByPOT(y, max(-shift, 0))       (round half away from zero)
//   out = clamp(y + out_zp, act_min, act_max)          (int8)
//
// This is TFLite's MultiplyByQuantizedMultiplier followed by the output offset and the activation
// clamp, bit for bit (the golden model is tsr::ref::requantize). Four register stages; every stage
// advances while en_i is high, so the owner can stall the lane together with its neighbours.
// Parameters such as mult/shift are sampled with the data in stage 1 and travel with it.
module tsr_requant (
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
  wire [31:0] sum, s1_x_d;
  wire [4:0]  lshift, rshift_d;
  wire        shift_neg;

  assign sum       = acc_i + bias_i;
  assign shift_neg = shift_i[5];
  assign lshift    = shift_neg ? 5'd0 : shift_i[4:0];
  // A right shift of 32 or more leaves only the rounding of 0 or -1: clamp to 31, which gives the
  // same result for every int32 input of RoundingDivideByPOT.
  assign rshift_d  = !shift_neg ? 5'd0 : ((shift_i == 6'b100000) ? 5'd31 : (~shift_i[4:0] + 5'd1));
  assign s1_x_d    = sum << lshift;

  // ---- stage 2: 32 x 32 signed product --------------------------------------------------------
  reg         s2_valid_q, s2_sat_q;
  reg  [63:0] s2_prod_q;
  reg  [4:0]  s2_rshift_q;
  reg  [7:0]  s2_zp_q, s2_min_q, s2_max_q;
  wire [63:0] prod_d;
  wire        sat_d;

  assign prod_d = $signed(s1_x_q) * $signed(s1_mult_q);
  // The only overflow of the doubling high multiply: INT32_MIN * INT32_MIN saturates to INT32_MAX.
  assign sat_d  = (s1_x_q == 32'h8000_0000) && (s1_mult_q == 32'h8000_0000);

  // ---- stage 3: rounding doubling high half, then rounding right shift -------------------------
  reg         s3_valid_q;
  reg  [31:0] s3_y_q;
  reg  [7:0]  s3_zp_q, s3_min_q, s3_max_q;
  wire [63:0] nudge, nudged, biased;
  wire [31:0] high, shifted, mask, remainder, threshold, s3_y_d;
  wire        prod_neg, high_neg;
  wire [31:0] unused_biased;

  assign prod_neg  = s2_prod_q[63];
  // nudge = 2^30 for a non-negative product, 1 - 2^30 otherwise.
  assign nudge     = prod_neg ? 64'hFFFF_FFFF_C000_0001 : 64'h0000_0000_4000_0000;
  assign nudged    = s2_prod_q + nudge;
  // Division by 2^31 truncating toward zero: add 2^31 - 1 first when negative.
  assign biased    = nudged + (nudged[63] ? 64'h0000_0000_7FFF_FFFF : 64'd0);
  assign high      = s2_sat_q ? 32'h7FFF_FFFF : biased[62:31];
  // Bit 63 repeats bit 62 (|product| < 2^62) and bits 30:0 are the discarded fraction.
  assign unused_biased = {biased[63], biased[30:0]};
  assign high_neg  = high[31];
  assign mask      = ~(32'hFFFF_FFFF << s2_rshift_q);
  assign remainder = high & mask;
  assign threshold = (mask >> 1) + {31'd0, high_neg};
  assign shifted   = $signed(high) >>> s2_rshift_q;
  assign s3_y_d    = shifted + {31'd0, (remainder > threshold)};

  // ---- stage 4: output zero point and clamp ---------------------------------------------------
  reg         s4_valid_q;
  reg  [7:0]  s4_out_q;
  reg  [31:0] s4_wide_q;
  wire [31:0] with_zp, lo, hi;
  wire        below, above;
  wire [7:0]  s4_out_d;

  assign with_zp  = s3_y_q + {{24{s3_zp_q[7]}}, s3_zp_q};
  assign lo       = {{24{s3_min_q[7]}}, s3_min_q};
  assign hi       = {{24{s3_max_q[7]}}, s3_max_q};
  assign below    = $signed(with_zp) < $signed(lo);
  assign above    = $signed(with_zp) > $signed(hi);
  assign s4_out_d = below ? s3_min_q : (above ? s3_max_q : with_zp[7:0]);

  assign valid_o = s4_valid_q;
  assign data_o  = s4_out_q;
  assign wide_o  = s4_wide_q;

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      s1_valid_q <= 1'b0;
      s2_valid_q <= 1'b0;
      s3_valid_q <= 1'b0;
      s4_valid_q <= 1'b0;
    end else if (en_i) begin
      s1_valid_q <= valid_i;
      s2_valid_q <= s1_valid_q;
      s3_valid_q <= s2_valid_q;
      s4_valid_q <= s3_valid_q;
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
      s2_prod_q   <= prod_d;
      s2_sat_q    <= sat_d;
      s2_rshift_q <= s1_rshift_q;
      s2_zp_q     <= s1_zp_q;
      s2_min_q    <= s1_min_q;
      s2_max_q    <= s1_max_q;
      s3_y_q      <= s3_y_d;
      s3_zp_q     <= s2_zp_q;
      s3_min_q    <= s2_min_q;
      s3_max_q    <= s2_max_q;
      s4_out_q    <= s4_out_d;
      s4_wide_q   <= with_zp;
    end
  end

endmodule

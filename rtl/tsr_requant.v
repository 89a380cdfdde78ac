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
// shift; partial products; high half; rounding shift; zero point and clamp); every stage
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

  // ---- stage 2: the 32 x 32 signed product as two 32 x 16 partial products ------------------
  // x * mult = pl + (ph << 16) with pl = x * mult[15:0] (multiplier bits unsigned) and
  // ph = x * mult[31:16] (signed); the sum is formed in stage 3. The product's sign is known here
  // (it decides the rounding nudge): negative when both factors are non-zero and their signs differ.
  reg         s2_valid_q, s2_sat_q, s2_neg_q;
  reg  [47:0] s2_pl_q, s2_ph_q;
  reg  [4:0]  s2_rshift_q;
  reg  [7:0]  s2_zp_q, s2_min_q, s2_max_q;
  wire [47:0] pl_d, ph_d;
  wire        sat_d, neg_d;

  assign pl_d  = $signed(s1_x_q) * $signed({1'b0, s1_mult_q[15:0]});
  assign ph_d  = $signed(s1_x_q) * $signed(s1_mult_q[31:16]);
  // The only overflow of the doubling high multiply: INT32_MIN * INT32_MIN saturates to INT32_MAX.
  assign sat_d = (s1_x_q == 32'h8000_0000) && (s1_mult_q == 32'h8000_0000);
  assign neg_d = (s1_x_q[31] ^ s1_mult_q[31]) && (s1_x_q != 32'd0) && (s1_mult_q != 32'd0);

  // ---- stage 3: rounding doubling high half ----------------------------------------------------
  // nudged = product + nudge (2^30 for a non-negative product, 1 - 2^30 otherwise); its sign is the
  // product's. Division by 2^31 truncating toward zero: floor, plus one for a negative value with
  // a non-zero fraction (the same as adding 2^31 - 1 before the arithmetic shift).
  reg         s3_valid_q;
  reg  [31:0] s3_high_q, s3_mask_q, s3_half_q;
  reg  [4:0]  s3_rshift_q;
  reg  [7:0]  s3_zp_q, s3_min_q, s3_max_q;
  wire [63:0] nudge, nudged;
  wire [31:0] high_d;
  wire        unused_nudged;

  assign nudge  = s2_neg_q ? 64'hFFFF_FFFF_C000_0001 : 64'h0000_0000_4000_0000;
  assign nudged = {{16{s2_pl_q[47]}}, s2_pl_q} + {s2_ph_q, 16'd0} + nudge;
  // Bit 63 repeats bit 62 (|product| < 2^62).
  assign unused_nudged = nudged[63];
  assign high_d = s2_sat_q ? 32'h7FFF_FFFF :
                  (nudged[62:31] + {31'd0, s2_neg_q && (nudged[30:0] != 31'd0)});

  // ---- stage 4: rounding right shift (RoundingDivideByPOT) -------------------------------------
  // The mask of the discarded bits and half of it depend only on the shift and are formed a stage
  // early; the threshold is half, or half + 1 for a negative value (ties round away from zero).
  reg         s4_valid_q;
  reg  [31:0] s4_y_q;
  reg  [7:0]  s4_zp_q, s4_min_q, s4_max_q;
  wire [31:0] high, shifted, mask_d, remainder, threshold, s4_y_d;
  wire        high_neg;

  assign mask_d    = ~(32'hFFFF_FFFF << s2_rshift_q);
  assign high      = s3_high_q;
  assign high_neg  = high[31];
  assign remainder = high & s3_mask_q;
  assign threshold = high_neg ? (s3_half_q + 32'd1) : s3_half_q;
  assign shifted   = $signed(high) >>> s3_rshift_q;
  assign s4_y_d    = shifted + {31'd0, (remainder > threshold)};

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
      s2_pl_q     <= pl_d;
      s2_ph_q     <= ph_d;
      s2_sat_q    <= sat_d;
      s2_neg_q    <= neg_d;
      s2_rshift_q <= s1_rshift_q;
      s2_zp_q     <= s1_zp_q;
      s2_min_q    <= s1_min_q;
      s2_max_q    <= s1_max_q;
      s3_high_q   <= high_d;
      s3_mask_q   <= mask_d;
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

// tessera: one post-processing lane of the store unit, five register stages in every mode.
//   requant: clamp(MultiplyByQuantizedMultiplier(acc + bias, mult, shift) + zp)   (tsr_requant)
//   raw:     acc unchanged
//   avg:     q = (|acc| + half) * magic >> dshift with the sign of acc (TFLite's rounding division
//            of the average pool when magic/dshift are an exact reciprocal), clamp(q + zp)
// The average's multiply is split over three stages (four 32 x 8 partial products; the sums of
// two pairs; their sum, with the shift behind it), so that no stage holds more than one wide
// carry chain.
module tsr_post_lane (
  input  wire        clk_i,
  input  wire        rst_ni,
  input  wire        valid_i,
  input  wire [1:0]  mode_i,
  input  wire [31:0] acc_i,
  input  wire [31:0] bias_i,
  input  wire [31:0] mult_i,
  input  wire [5:0]  shift_i,
  input  wire [7:0]  out_zp_i,
  input  wire [7:0]  act_min_i,
  input  wire [7:0]  act_max_i,
  input  wire [31:0] magic_i,
  input  wire [15:0] half_i,
  input  wire [5:0]  dshift_i,
  output wire [31:0] data_o        // int8 result in bits 7:0 (sign-extended), or the raw int32
);

`include "tsr_isa.vh"

  wire        rq_valid;
  wire [7:0]  rq_data;
  wire [31:0] rq_wide, raw_q;
  wire [1:0]  mode_q;

  tsr_requant u_rq (
    .clk_i     (clk_i),
    .rst_ni    (rst_ni),
    .en_i      (1'b1),
    .valid_i   (valid_i),
    .acc_i     (acc_i),
    .bias_i    (bias_i),
    .mult_i    (mult_i),
    .shift_i   (shift_i),
    .out_zp_i  (out_zp_i),
    .act_min_i (act_min_i),
    .act_max_i (act_max_i),
    .valid_o   (rq_valid),
    .data_o    (rq_data),
    .wide_o    (rq_wide)
  );

  tsr_delay #(.Width (34), .Depth (5), .Reset (0)) u_raw (
    .clk_i  (clk_i),
    .rst_ni (rst_ni),
    .en_i   (1'b1),
    .d_i    ({mode_i, acc_i}),
    .q_o    ({mode_q, raw_q})
  );

  // ---- average: rounding division by reciprocal multiply ----
  // stage 1: u = |acc| + half; 2: four 32 x 8 partial products of u * magic; 3: the sums of the
  // pairs p0 + (p1 << 8) and p2 + (p3 << 8); 4: their sum and the shift; 5: the sign, the zero
  // point and the clamp.
  reg         a1_neg_q, a2_neg_q, a3_neg_q, a4_neg_q;
  reg  [31:0] a1_u_q, a1_magic_q;
  reg  [5:0]  a1_sh_q, a2_sh_q, a3_sh_q;
  reg  [39:0] a2_p0_q, a2_p1_q, a2_p2_q, a2_p3_q;
  reg  [47:0] a3_lo_q, a3_hi_q;   // p0 + (p1 << 8), p2 + (p3 << 8)
  reg  [31:0] a4_q_q;
  reg  [7:0]  a1_zp_q, a2_zp_q, a3_zp_q, a4_zp_q, a1_min_q, a2_min_q, a3_min_q, a4_min_q,
              a1_max_q, a2_max_q, a3_max_q, a4_max_q, a5_out_q;
  wire [31:0] mag_half, with_zp, lo, hi;
  wire [63:0] prod, shifted;
  wire [47:0] lo_d, hi_d;
  wire [7:0]  a5_out_d;
  wire [31:0] unused_rq_wide;
  wire        unused_rq_valid;
  wire [31:0] unused_shifted;
  assign unused_shifted = shifted[63:32];

  // |acc| + half as one adder: (acc ^ sign) + half + sign (|INT32_MIN| = 2^31 fits unsigned).
  assign mag_half = (acc_i ^ {32{acc_i[31]}}) + {16'd0, half_i} + {31'd0, acc_i[31]};
  assign lo_d     = {8'd0, a2_p0_q} + {a2_p1_q, 8'd0};
  assign hi_d     = {8'd0, a2_p2_q} + {a2_p3_q, 8'd0};
  assign prod     = {16'd0, a3_lo_q} + {a3_hi_q, 16'd0};
  assign shifted  = prod >> a3_sh_q;
  // The sign and the zero point in one adder: (neg ? -q : q) + zp = (q ^ neg) + zp + neg.
  assign with_zp  = (a4_q_q ^ {32{a4_neg_q}}) + {{24{a4_zp_q[7]}}, a4_zp_q} + {31'd0, a4_neg_q};
  assign lo       = {{24{a4_min_q[7]}}, a4_min_q};
  assign hi       = {{24{a4_max_q[7]}}, a4_max_q};
  assign a5_out_d = ($signed(with_zp) < $signed(lo)) ? a4_min_q :
                    (($signed(with_zp) > $signed(hi)) ? a4_max_q : with_zp[7:0]);
  assign unused_rq_wide  = rq_wide;
  assign unused_rq_valid = rq_valid;

  always @(posedge clk_i) begin
    a1_neg_q   <= acc_i[31];
    a1_u_q     <= mag_half;
    a1_magic_q <= magic_i;
    a1_sh_q    <= dshift_i;
    a1_zp_q    <= out_zp_i;
    a1_min_q   <= act_min_i;
    a1_max_q   <= act_max_i;
    a2_neg_q   <= a1_neg_q;
    a2_p0_q    <= {8'd0, a1_u_q} * {32'd0, a1_magic_q[7:0]};
    a2_p1_q    <= {8'd0, a1_u_q} * {32'd0, a1_magic_q[15:8]};
    a2_p2_q    <= {8'd0, a1_u_q} * {32'd0, a1_magic_q[23:16]};
    a2_p3_q    <= {8'd0, a1_u_q} * {32'd0, a1_magic_q[31:24]};
    a2_sh_q    <= a1_sh_q;
    a2_zp_q    <= a1_zp_q;
    a2_min_q   <= a1_min_q;
    a2_max_q   <= a1_max_q;
    a3_neg_q   <= a2_neg_q;
    a3_lo_q    <= lo_d;
    a3_hi_q    <= hi_d;
    a3_sh_q    <= a2_sh_q;
    a3_zp_q    <= a2_zp_q;
    a3_min_q   <= a2_min_q;
    a3_max_q   <= a2_max_q;
    a4_neg_q   <= a3_neg_q;
    a4_q_q     <= shifted[31:0];
    a4_zp_q    <= a3_zp_q;
    a4_min_q   <= a3_min_q;
    a4_max_q   <= a3_max_q;
    a5_out_q   <= a5_out_d;
  end

  assign data_o = (mode_q == TSR_STORE_MODE_RAW[1:0]) ? raw_q :
                  (mode_q == TSR_STORE_MODE_AVG[1:0]) ? {{24{a5_out_q[7]}}, a5_out_q} :
                                                        {{24{rq_data[7]}}, rq_data};

endmodule

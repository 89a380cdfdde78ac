/* int8 softmax with TFLite's reference (gemmlowp fixed-point) semantics:
 *   diff = x - row_max; skipped (output -128) when diff < diff_min;
 *   d = SRDHM(diff << beta_shift, beta_mult) read as Q5.26; e = exp(d) in Q0.31 (gemmlowp's
 *   exp_on_negative_values); sum of e rescaled to Q12.19; 1/sum by Newton-Raphson
 *   (one_over_one_plus_x_for_x_in_0_1); out = RDBPOT(SRDHM(recip, e), bits_over_unit + 23) - 128,
 *   saturated to int8. */
#include "fixedpoint.h"
#include "tsr_escape_abi.h"
#include "tsr_ops.h"

#define TSR_SOFTMAX_CACHE 256

/* exp(x) for x in [-1/4, 0), Q0.31 in and out: Taylor series around -1/8. */
static int32_t exp_quarter(int32_t a) {
  const int32_t exp_minus_eighth = 1895147668;
  const int32_t one_third = 715827883;
  const int32_t x = a + (1 << 28);
  const int32_t x2 = fx_srdhm(x, x);
  const int32_t x3 = fx_srdhm(x2, x);
  const int32_t x4 = fx_srdhm(x2, x2);
  const int32_t x4_4 = fx_rdbpot(x4, 2);
  const int32_t poly = fx_rdbpot(fx_srdhm(x4_4 + x3, one_third) + x2, 1);
  return exp_minus_eighth + fx_srdhm(exp_minus_eighth, x + poly);
}

/* exp(a) for a <= 0 in Q5.26, result in Q0.31. */
static int32_t exp_neg_q5_26(int32_t a) {
  static const int32_t factor[7] = {1672461947, 1302514674, 790015084, 290630308,
                                     39332535,   720401,     242};
  if (a == 0) return INT32_MAX;
  const int32_t quarter = 1 << 24;
  const int32_t frac = (a & (quarter - 1)) - quarter; /* in [-1/4, 0) */
  int32_t r = exp_quarter(fx_sat_shl(frac, 5));
  const int32_t rest = frac - a; /* non-negative multiple of 1/4 */
  for (int bit = 0; bit < 7; ++bit) {
    if (rest & (1 << (24 + bit))) r = fx_srdhm(r, factor[bit]);
  }
  return r;
}

/* 1 / (1 + x) for x in [0, 1), Q0.31 in, Q0.31 out. */
static int32_t recip_one_plus(int32_t x) {
  const int64_t s = (int64_t)x + INT32_MAX;
  const int32_t half_den = (int32_t)((s + 1) / 2); /* s >= 0 */
  int32_t est = 1515870810 + fx_srdhm(half_den, -1010580540); /* Q2.29: 48/17 - 32/17 * d */
  for (int it = 0; it < 3; ++it) {
    const int32_t prod = fx_srdhm(half_den, est);                  /* Q2.29 */
    const int32_t err = (1 << 29) - prod;                          /* Q2.29 */
    est = est + fx_sat_shl(fx_srdhm(est, err), 2);                 /* Q4.27 -> Q2.29 */
  }
  return fx_sat_shl(est, 1); /* x/2 in Q1.30 is the same raw value; to Q0.31 */
}

uint32_t tsr_op_softmax(const volatile uint32_t* args) {
  const int8_t* in = (const int8_t*)(uintptr_t)args[TSR_SOFTMAX_IN];
  int8_t* out = (int8_t*)(uintptr_t)args[TSR_SOFTMAX_OUT];
  const uint32_t rows = args[TSR_SOFTMAX_ROWS];
  const uint32_t depth = args[TSR_SOFTMAX_DEPTH];
  const int32_t mult = (int32_t)args[TSR_SOFTMAX_BETA_MULT];
  const int32_t shift = (int32_t)args[TSR_SOFTMAX_BETA_SHIFT];
  const int32_t diff_min = (int32_t)args[TSR_SOFTMAX_DIFF_MIN];
  if (depth == 0 || shift < 0 || shift > 30 || mult < 0 || diff_min > 0) return TSR_ESC_ERR_ARG;

  /* exp of each entry, kept for the output pass when the row is short (rows of up to 256: the
   * classifier outputs this op meets); longer rows compute it twice. */
  int32_t cache[TSR_SOFTMAX_CACHE];
  const int cached = depth <= TSR_SOFTMAX_CACHE;
  for (uint32_t r = 0; r < rows; ++r) {
    const int8_t* x = in + r * depth;
    int8_t* y = out + r * depth;
    int32_t mx = -128;
    for (uint32_t i = 0; i < depth; ++i) mx = x[i] > mx ? x[i] : mx;

    int32_t sum = 0; /* Q12.19 */
    for (uint32_t i = 0; i < depth; ++i) {
      const int32_t diff = x[i] - mx;
      int32_t e = 0; /* 0: skipped (below diff_min) */
      if (diff >= diff_min) {
        const int32_t d = fx_srdhm((int32_t)((uint32_t)diff << shift), mult);
        e = exp_neg_q5_26(d);
        sum += fx_rdbpot(e, 12);
      }
      if (cached) cache[i] = e;
    }
    /* Normalise sum to [1, 2) to take its reciprocal. */
    const int lz = __builtin_clz((uint32_t)sum);
    const int bits_over_unit = 12 - lz;
    const int32_t frac = (int32_t)(((uint32_t)sum << lz) - 0x80000000u);
    const int32_t recip = recip_one_plus(frac);
    /* exponent >= 32 (sum of exps >= 256): TFLite's shift is undefined there; the product is in
     * [0, 2^31), so its correctly rounded quotient is 0. */
    const int e_shift = bits_over_unit + 23;

    for (uint32_t i = 0; i < depth; ++i) {
      const int32_t diff = x[i] - mx;
      int32_t v = -128;
      if (diff >= diff_min) {
        int32_t e;
        if (cached) {
          e = cache[i];
        } else {
          e = exp_neg_q5_26(fx_srdhm((int32_t)((uint32_t)diff << shift), mult));
        }
        v = (e_shift > 31 ? 0 : fx_rdbpot(fx_srdhm(recip, e), e_shift)) - 128;
        v = fx_clamp(v, -128, 127);
      }
      y[i] = (int8_t)v;
    }
  }
  return TSR_ESC_OK;
}

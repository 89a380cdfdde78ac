/* gemmlowp / TFLite fixed-point primitives for the firmware (int32, Q-formats by convention). */
#ifndef TSR_FW_FIXEDPOINT_H
#define TSR_FW_FIXEDPOINT_H

#include <stdint.h>

/* round(a * b / 2^31), ties toward +inf; INT32_MIN * INT32_MIN saturates. */
static inline int32_t fx_srdhm(int32_t a, int32_t b) {
  if (a == INT32_MIN && b == INT32_MIN) return INT32_MAX;
  const int64_t p = (int64_t)a * (int64_t)b;
  return (int32_t)((p + ((int64_t)1 << 30)) >> 31);
}

/* x / 2^e, rounded to nearest, ties away from zero (e in 0..31). */
static inline int32_t fx_rdbpot(int32_t x, int e) {
  if (e == 0) return x;
  const int32_t mask = (int32_t)(((uint32_t)1 << e) - 1u);
  const int32_t rem = x & mask;
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> e) + (rem > threshold ? 1 : 0);
}

/* x * 2^e saturated to int32 (e in 1..31). */
static inline int32_t fx_sat_shl(int32_t x, int e) {
  const int32_t limit = (int32_t)(((uint32_t)1 << (31 - e)) - 1u);
  if (x > limit) return INT32_MAX;
  if (x < -limit) return INT32_MIN;
  return (int32_t)((uint32_t)x << e);
}

/* TFLite's MultiplyByQuantizedMultiplier (double rounding), shift in -31..30. */
static inline int32_t fx_mbqm(int32_t x, int32_t m, int32_t shift) {
  if (shift > 0) return fx_srdhm((int32_t)((uint32_t)x << shift), m);
  return fx_rdbpot(fx_srdhm(x, m), -shift);
}

static inline int32_t fx_clamp(int32_t v, int32_t lo, int32_t hi) {
  return v < lo ? lo : (v > hi ? hi : v);
}

#endif /* TSR_FW_FIXEDPOINT_H */

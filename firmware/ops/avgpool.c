/* int8 average pooling (reference_integer_ops::AveragePool): mean of the in-bounds taps, rounded
 * half away from zero, clamped. */
#include "fixedpoint.h"
#include "tsr_escape_abi.h"
#include "tsr_ops.h"

uint32_t tsr_op_avgpool(const volatile uint32_t* args) {
  const int8_t* in = (const int8_t*)(uintptr_t)args[TSR_POOL_IN];
  int8_t* out = (int8_t*)(uintptr_t)args[TSR_POOL_OUT];
  const int32_t n = (int32_t)args[TSR_POOL_N], h = (int32_t)args[TSR_POOL_H];
  const int32_t w = (int32_t)args[TSR_POOL_W], c = (int32_t)args[TSR_POOL_C];
  const int32_t fh = (int32_t)args[TSR_POOL_FILTER_H], fw = (int32_t)args[TSR_POOL_FILTER_W];
  const int32_t sh = (int32_t)args[TSR_POOL_STRIDE_H], sw = (int32_t)args[TSR_POOL_STRIDE_W];
  const int32_t pt = (int32_t)args[TSR_POOL_PAD_TOP], pl = (int32_t)args[TSR_POOL_PAD_LEFT];
  const int32_t oh = (int32_t)args[TSR_POOL_OUT_H], ow = (int32_t)args[TSR_POOL_OUT_W];
  const int32_t lo = (int32_t)args[TSR_POOL_ACT_MIN], hi = (int32_t)args[TSR_POOL_ACT_MAX];
  if (n < 0 || h <= 0 || w <= 0 || c <= 0 || fh <= 0 || fw <= 0 || sh <= 0 || sw <= 0 ||
      oh < 0 || ow < 0 || lo > hi) {
    return TSR_ESC_ERR_ARG;
  }
  int8_t* o = out;
  for (int32_t b = 0; b < n; ++b) {
    const int8_t* img = in + b * h * w * c;
    for (int32_t oy = 0; oy < oh; ++oy) {
      const int32_t y0 = oy * sh - pt;
      const int32_t ya = y0 < 0 ? 0 : y0;
      const int32_t yb = y0 + fh > h ? h : y0 + fh;
      for (int32_t ox = 0; ox < ow; ++ox) {
        const int32_t x0 = ox * sw - pl;
        const int32_t xa = x0 < 0 ? 0 : x0;
        const int32_t xb = x0 + fw > w ? w : x0 + fw;
        const int32_t taps = (yb - ya) * (xb - xa);
        if (yb <= ya || xb <= xa) return TSR_ESC_ERR_ARG; /* a window with no input */
        for (int32_t ch = 0; ch < c; ++ch) {
          int32_t sum = 0;
          for (int32_t y = ya; y < yb; ++y) {
            const int8_t* row = img + (y * w) * c + ch;
            for (int32_t x = xa; x < xb; ++x) sum += row[x * c];
          }
          const int32_t half = taps / 2;
          const int32_t avg = sum > 0 ? (sum + half) / taps : (sum - half) / taps;
          *o++ = (int8_t)fx_clamp(avg, lo, hi);
        }
      }
    }
  }
  return TSR_ESC_OK;
}

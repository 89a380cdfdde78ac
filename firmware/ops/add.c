/* int8 ADD with TFLite's requantization (reference_integer_ops::Add, general path). */
#include "fixedpoint.h"
#include "tsr_escape_abi.h"
#include "tsr_ops.h"

uint32_t tsr_op_add(const volatile uint32_t* args) {
  const int8_t* a = (const int8_t*)(uintptr_t)args[TSR_ADD_IN1];
  const int8_t* b = (const int8_t*)(uintptr_t)args[TSR_ADD_IN2];
  int8_t* out = (int8_t*)(uintptr_t)args[TSR_ADD_OUT];
  const uint32_t count = args[TSR_ADD_COUNT];
  const int32_t zp1 = (int32_t)args[TSR_ADD_ZP1];
  const int32_t zp2 = (int32_t)args[TSR_ADD_ZP2];
  const int32_t ls = (int32_t)args[TSR_ADD_LEFT_SHIFT];
  const int32_t m1 = (int32_t)args[TSR_ADD_MULT1];
  const int32_t s1 = (int32_t)args[TSR_ADD_SHIFT1];
  const int32_t m2 = (int32_t)args[TSR_ADD_MULT2];
  const int32_t s2 = (int32_t)args[TSR_ADD_SHIFT2];
  const int32_t mo = (int32_t)args[TSR_ADD_MULT_OUT];
  const int32_t so = (int32_t)args[TSR_ADD_SHIFT_OUT];
  const int32_t zpo = (int32_t)args[TSR_ADD_ZP_OUT];
  const int32_t lo = (int32_t)args[TSR_ADD_ACT_MIN];
  const int32_t hi = (int32_t)args[TSR_ADD_ACT_MAX];
  if (ls < 0 || ls > 22 || s1 > 0 || s2 > 0 || so > 0 || s1 < -31 || s2 < -31 || so < -31 ||
      lo > hi || lo < -128 || hi > 127) {
    return TSR_ESC_ERR_ARG;
  }
  for (uint32_t i = 0; i < count; ++i) {
    const int32_t x1 = (int32_t)((uint32_t)(a[i] - zp1) << ls);
    const int32_t x2 = (int32_t)((uint32_t)(b[i] - zp2) << ls);
    const int32_t sum = fx_mbqm(x1, m1, s1) + fx_mbqm(x2, m2, s2);
    const int32_t v = (int32_t)((uint32_t)fx_mbqm(sum, mo, so) + (uint32_t)zpo);
    out[i] = (int8_t)fx_clamp(v, lo, hi);
  }
  return TSR_ESC_OK;
}

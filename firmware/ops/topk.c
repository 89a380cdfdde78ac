/* top-k (argmax is k = 1) of int8 rows: the k largest values in descending order, equal values
 * by ascending index. One pass per row keeps a sorted list of the best k seen so far; a value
 * enters behind every kept value >= it, so among equals the earlier index stays ahead. */
#include "tsr_escape_abi.h"
#include "tsr_ops.h"

uint32_t tsr_op_topk(const volatile uint32_t* args) {
  const int8_t* in = (const int8_t*)(uintptr_t)args[TSR_TOPK_IN];
  const uint32_t rows = args[TSR_TOPK_ROWS];
  const uint32_t n = args[TSR_TOPK_N];
  const uint32_t k = args[TSR_TOPK_K];
  int32_t* out_idx = (int32_t*)(uintptr_t)args[TSR_TOPK_OUT_IDX];
  int8_t* out_val = (int8_t*)(uintptr_t)args[TSR_TOPK_OUT_VAL];
  if (k == 0 || k > n) return TSR_ESC_ERR_ARG;

  for (uint32_t r = 0; r < rows; ++r) {
    const int8_t* x = in + r * n;
    int32_t* idx = out_idx + r * k;
    int8_t* val = out_val + r * k;
    uint32_t kept = 0;
    for (uint32_t i = 0; i < n; ++i) {
      const int8_t v = x[i];
      if (kept == k && v <= val[k - 1]) continue;
      uint32_t pos = kept < k ? kept : k - 1; /* the slot that is freed or appended */
      while (pos > 0 && val[pos - 1] < v) {
        val[pos] = val[pos - 1];
        idx[pos] = idx[pos - 1];
        --pos;
      }
      val[pos] = v;
      idx[pos] = (int32_t)i;
      if (kept < k) ++kept;
    }
  }
  return TSR_ESC_OK;
}

/* The escape-op entry: read a request block (tsr_escape_abi.h), call the op, write the status.
 * Ops are weak references, so a program links only the ops it names; a request for an op that
 * is not linked answers TSR_ESC_ERR_FUNC. */
#include "tsr_escape_abi.h"
#include "tsr_ops.h"
#include "tsr_rt.h"

typedef uint32_t (*tsr_op_fn)(const volatile uint32_t* args);

#define TSR_WEAK __attribute__((weak))
TSR_WEAK uint32_t tsr_op_softmax(const volatile uint32_t* args);
TSR_WEAK uint32_t tsr_op_topk(const volatile uint32_t* args);
TSR_WEAK uint32_t tsr_op_add(const volatile uint32_t* args);
TSR_WEAK uint32_t tsr_op_avgpool(const volatile uint32_t* args);
TSR_WEAK uint32_t tsr_op_nms(const volatile uint32_t* args);
TSR_WEAK uint32_t tsr_op_kws(const volatile uint32_t* args);
TSR_WEAK uint32_t tsr_op_run(const volatile uint32_t* args);

static tsr_op_fn lookup(uint32_t func) {
  switch (func) {
    case TSR_ESC_FN_SOFTMAX: return tsr_op_softmax;
    case TSR_ESC_FN_TOPK: return tsr_op_topk;
    case TSR_ESC_FN_ADD: return tsr_op_add;
    case TSR_ESC_FN_AVGPOOL: return tsr_op_avgpool;
    case TSR_ESC_FN_NMS: return tsr_op_nms;
    case TSR_ESC_FN_KWS: return tsr_op_kws;
    case TSR_ESC_FN_RUN: return tsr_op_run;
    default: return 0;
  }
}

uint32_t tsr_escape_call(uint32_t func, const volatile uint32_t* args) {
  const tsr_op_fn fn = lookup(func);
  return fn != 0 ? fn(args) : TSR_ESC_ERR_FUNC;
}

uint32_t tsr_escape_dispatch(volatile uint32_t* req) {
  const uint32_t status = req[0] != TSR_ESC_MAGIC
                              ? TSR_ESC_ERR_MAGIC
                              : tsr_escape_call(req[1], req + TSR_ESC_HEADER_WORDS);
  req[2] = status;
  return status;
}

/* Service mode. The accelerator hands an ESCAPE command to the core: ESC_STATUS bit 0 goes high,
 * ESC_FUNC holds the function id and ESC_ARG0 the core address of the op's argument words (the
 * arg[] slots of tsr_escape_abi.h, typically in the scratchpad window). The firmware runs the op
 * and writes its status to ESC_DONE, which ends the ESCAPE; then it waits for the next one. */
void tsr_escape_serve(void) {
  for (;;) {
    while ((tsr_core_mmio_read(TSR_MMIO_ESC_STATUS) & 1u) == 0) {
    }
    const uint32_t func = tsr_core_mmio_read(TSR_MMIO_ESC_FUNC);
    const uint32_t args = tsr_core_mmio_read(TSR_MMIO_ESC_ARG0);
    const uint32_t status = tsr_escape_call(func, (const volatile uint32_t*)(uintptr_t)args);
    tsr_core_mmio_write(TSR_MMIO_ESC_DONE, status);
  }
}

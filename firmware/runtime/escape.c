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

static tsr_op_fn lookup(uint32_t func) {
  switch (func) {
    case TSR_ESC_FN_SOFTMAX: return tsr_op_softmax;
    case TSR_ESC_FN_TOPK: return tsr_op_topk;
    case TSR_ESC_FN_ADD: return tsr_op_add;
    case TSR_ESC_FN_AVGPOOL: return tsr_op_avgpool;
    case TSR_ESC_FN_NMS: return tsr_op_nms;
    case TSR_ESC_FN_KWS: return tsr_op_kws;
    default: return 0;
  }
}

uint32_t tsr_escape_dispatch(volatile uint32_t* req) {
  uint32_t status;
  if (req[0] != TSR_ESC_MAGIC) {
    status = TSR_ESC_ERR_MAGIC;
  } else {
    const tsr_op_fn fn = lookup(req[1]);
    status = fn != 0 ? fn(req + TSR_ESC_HEADER_WORDS) : TSR_ESC_ERR_FUNC;
  }
  req[2] = status;
  return status;
}

/* Service mode: the accelerator hands over an ESCAPE by writing the request block's address into
 * the core-local MMIO register TSR_ESC_MMIO_REQ (non-zero = pending); the firmware runs it, writes
 * the status to TSR_ESC_MMIO_DONE and waits for the next one. A request address of
 * 0xFFFFFFFF ends the service loop. (Register offsets are provisional until the core's register
 * map is generated into tsr_memmap.h.) */
#ifndef TSR_ESC_MMIO_REQ
#define TSR_ESC_MMIO_REQ 0x0u
#endif
#ifndef TSR_ESC_MMIO_DONE
#define TSR_ESC_MMIO_DONE 0x4u
#endif

uint32_t tsr_escape_serve(void) {
  for (;;) {
    const uint32_t addr = tsr_core_mmio_read(TSR_ESC_MMIO_REQ);
    if (addr == 0) continue;
    if (addr == 0xFFFFFFFFu) return 0;
    const uint32_t status = tsr_escape_dispatch((volatile uint32_t*)(uintptr_t)addr);
    tsr_core_mmio_write(TSR_ESC_MMIO_REQ, 0);
    tsr_core_mmio_write(TSR_ESC_MMIO_DONE, status | 0x80000000u);
  }
}

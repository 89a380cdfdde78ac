/* RUN: the core drives the accelerator itself. It pushes a list of commands through its CSR
 * window (CMD_DATA0..7, then CMD_PUSH appends them to the 4-entry core queue, which the dispatcher
 * runs while the ESCAPE is pending), waiting for a free queue entry (CORE_STATUS bits 15:8)
 * before each push; then it waits until the core queue is empty and every unit idle (CORE_STATUS
 * bit 3), so the pushed commands have finished when the ESCAPE ends. The pushed commands carry
 * their own dependency tokens (or FENCEs) like any command list: the core does not order them.
 * Only on the tessera accelerator (qemu has no CSR window). */
#include <tsr_isa.h>

#include "tsr_escape_abi.h"
#include "tsr_ops.h"
#include "tsr_rt.h"

#define TSR_CORE_STATUS_IDLE (1u << 3)
#define TSR_CORE_STATUS_FREE(s) (((s) >> 8) & 0xffu)

uint32_t tsr_op_run(const volatile uint32_t* args) {
  const volatile uint32_t* cmds = (const volatile uint32_t*)(uintptr_t)args[TSR_RUN_CMDS];
  const uint32_t count = args[TSR_RUN_COUNT];
  if (count > TSR_RUN_MAX_COMMANDS) return TSR_ESC_ERR_ARG;
  for (uint32_t i = 0; i < count; ++i) {
    while (TSR_CORE_STATUS_FREE(tsr_csr_read(TSR_CSR_CORE_STATUS)) == 0) {
    }
    for (uint32_t w = 0; w < TSR_CMD_WORDS; ++w) {
      tsr_csr_write(TSR_CSR_CMD_DATA0 + 4u * w, cmds[i * TSR_CMD_WORDS + w]);
    }
    tsr_csr_write(TSR_CSR_CMD_PUSH, 1u);
  }
  while ((tsr_csr_read(TSR_CSR_CORE_STATUS) & TSR_CORE_STATUS_IDLE) == 0) {
  }
  return TSR_ESC_OK;
}

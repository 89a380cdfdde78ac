/* A test/benchmark program around the escape-op dispatcher: the request block lives in the .tsr_io
 * section (the scratchpad window); a test writes it into the ELF image, runs the program
 * (qemu-riscv32 or the tessera core) and reads back:
 *   status <n>\n  out <len>\n  <hex bytes of [out_addr, out_addr + out_len), 32 per line>  end\n
 * The exit code is the status. */
#include "tsr_escape_abi.h"
#include "tsr_rt.h"

#ifndef TSR_IO_BYTES
#define TSR_IO_BYTES 65536
#endif

__attribute__((section(".tsr_io"), aligned(16), used)) volatile uint32_t
    tsr_io[TSR_IO_BYTES / 4] = {1};

int main(void) {
  const uint32_t status = tsr_escape_dispatch(tsr_io);
  tsr_puts("status ");
  tsr_put_udec(status);
  tsr_putc('\n');
  if (status == TSR_ESC_OK) {
    const uint32_t len = tsr_io[4];
    tsr_puts("out ");
    tsr_put_udec(len);
    tsr_putc('\n');
    tsr_put_hex_bytes((const void*)(uintptr_t)tsr_io[3], len);
  }
  tsr_puts("end\n");
  return (int)status;
}

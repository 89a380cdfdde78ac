/* A program around the escape-op dispatcher. The request block lives in the .tsr_io section
 * (DMEM); a test writes it into the ELF image, runs the program (qemu-riscv32, or the tessera
 * core through tessera core-run) and reads back:
 *   [cycles <n>\n instret <n>\n]   with TSR_ESC_FLAG_COUNTERS (tessera core only)
 *   status <n>\n  out <len>\n  <hex bytes of [out_addr, out_addr + out_len), 32 per line>  end\n
 * The exit code is the status. Built with TSR_SERVE_ESCAPES (the service image), a block without
 * the magic word makes the program serve ESCAPE commands from the core's MMIO registers instead. */
#include "tsr_escape_abi.h"
#include "tsr_rt.h"

#ifndef TSR_IO_BYTES
#define TSR_IO_BYTES 65536
#endif

__attribute__((section(".tsr_io"), aligned(16), used)) volatile uint32_t
    tsr_io[TSR_IO_BYTES / 4] = {1};

int main(void) {
#ifdef TSR_SERVE_ESCAPES
  if (tsr_io[0] != TSR_ESC_MAGIC) tsr_escape_serve();
#endif
  const int counters = (tsr_io[5] & TSR_ESC_FLAG_COUNTERS) != 0;
  uint64_t c0 = 0, i0 = 0, c1 = 0, i1 = 0;
  if (counters) {
    c0 = tsr_read_cycles();
    i0 = tsr_read_instret();
  }
  const uint32_t status = tsr_escape_dispatch(tsr_io);
  if (counters) {
    c1 = tsr_read_cycles();
    i1 = tsr_read_instret();
    tsr_puts("cycles ");
    tsr_put_u64(c1 - c0);
    tsr_puts("\ninstret ");
    tsr_put_u64(i1 - i0);
    tsr_putc('\n');
  }
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

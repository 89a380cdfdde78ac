/* exit and write through the Linux RISC-V system-call convention (number in a7: TSR_SYS_EXIT = 93,
 * TSR_SYS_WRITE = 64 from the generated memory map). */
#include "tsr_rt.h"

void tsr_exit(int code) {
  tsr_flush();
  register long a0 __asm__("a0") = code;
  register long a7 __asm__("a7") = TSR_SYS_EXIT;
  for (;;) __asm__ volatile("ecall" : : "r"(a0), "r"(a7) : "memory");
}

long tsr_write(int fd, const void* buf, size_t len) {
  register long a0 __asm__("a0") = fd;
  register long a1 __asm__("a1") = (long)buf;
  register long a2 __asm__("a2") = (long)len;
  register long a7 __asm__("a7") = TSR_SYS_WRITE;
  __asm__ volatile("ecall" : "+r"(a0) : "r"(a1), "r"(a2), "r"(a7) : "memory");
  return a0;
}

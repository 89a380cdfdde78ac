/* Shared bits of the core benchmarks: a deterministic pseudo-random generator and the report. */
#ifndef TSR_BENCH_H
#define TSR_BENCH_H

#include <stdint.h>

#include "tsr_rt.h"

static inline uint32_t bench_rand(uint32_t* s) {
  /* xorshift32 */
  uint32_t x = *s;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  *s = x;
  return x;
}

/* Prints "name: result 0x........ ok|FAIL" and returns the exit code (0 = self-check passed). */
static inline int bench_report(const char* name, uint32_t result, int ok) {
  tsr_puts(name);
  tsr_puts(": result 0x");
  tsr_put_hex32(result);
  tsr_puts(ok ? " ok\n" : " FAIL\n");
  tsr_flush();
  return ok ? 0 : 1;
}

#endif

/* A line-buffered console on fd 1 and a few number printers (no printf: it does not fit the TCM). */
#include "tsr_rt.h"

#define TSR_LINE 80

static char line_buf[TSR_LINE];
static unsigned line_len;

void tsr_flush(void) {
  if (line_len != 0) {
    tsr_write(1, line_buf, line_len);
    line_len = 0;
  }
}

void tsr_putc(char c) {
  line_buf[line_len++] = c;
  if (c == '\n' || line_len == TSR_LINE) tsr_flush();
}

void tsr_puts(const char* s) {
  while (*s != '\0') tsr_putc(*s++);
}

void tsr_put_udec(uint32_t v) {
  char digits[10];
  int n = 0;
  do {
    digits[n++] = (char)('0' + v % 10u);
    v /= 10u;
  } while (v != 0);
  while (n > 0) tsr_putc(digits[--n]);
}

void tsr_put_dec(int32_t v) {
  if (v < 0) {
    tsr_putc('-');
    tsr_put_udec(0u - (uint32_t)v);
  } else {
    tsr_put_udec((uint32_t)v);
  }
}

/* Decimal without a 64-bit division (libgcc's would add ~2 KiB): subtract powers of ten. */
void tsr_put_u64(uint64_t v) {
  uint64_t p = 10000000000000000000ull;
  int started = 0;
  for (;;) {
    char d = '0';
    while (v >= p) {
      v -= p;
      ++d;
    }
    if (d != '0' || started || p == 1) {
      tsr_putc(d);
      started = 1;
    }
    if (p == 1) break;
    /* p / 10 without dividing: p is a power of ten, so count down through the list. */
    uint64_t q = 1;
    while (q * 10 < p) q *= 10;
    p = q;
  }
}

static const char hex_digits[] = "0123456789abcdef";

void tsr_put_hex32(uint32_t v) {
  for (int s = 28; s >= 0; s -= 4) tsr_putc(hex_digits[(v >> s) & 0xFu]);
}

void tsr_put_hex_bytes(const void* p, size_t n) {
  const uint8_t* b = (const uint8_t*)p;
  for (size_t i = 0; i < n; ++i) {
    tsr_putc(hex_digits[b[i] >> 4]);
    tsr_putc(hex_digits[b[i] & 0xFu]);
    if ((i & 31u) == 31u || i + 1 == n) tsr_putc('\n');
  }
}

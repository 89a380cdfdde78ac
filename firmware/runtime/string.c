/* memset / memcpy: gcc may emit calls to them even in freestanding code. */
#include "tsr_rt.h"

void* memset(void* d, int c, size_t n) {
  uint8_t* p = (uint8_t*)d;
  while (n-- != 0) *p++ = (uint8_t)c;
  return d;
}

void* memcpy(void* d, const void* s, size_t n) {
  uint8_t* p = (uint8_t*)d;
  const uint8_t* q = (const uint8_t*)s;
  while (n-- != 0) *p++ = *q++;
  return d;
}

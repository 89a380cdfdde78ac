/* CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320): bitwise over 4 KiB, checked against a
 * table-driven implementation and the standard check value CRC32("123456789") = 0xCBF43926. */
#include "bench.h"

static uint8_t buf[4096];
static uint32_t table[256];

static uint32_t crc_bitwise(const uint8_t* p, uint32_t n) {
  uint32_t c = 0xffffffffu;
  for (uint32_t i = 0; i < n; ++i) {
    c ^= p[i];
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
  }
  return ~c;
}

static uint32_t crc_table(const uint8_t* p, uint32_t n) {
  uint32_t c = 0xffffffffu;
  for (uint32_t i = 0; i < n; ++i) c = table[(c ^ p[i]) & 0xffu] ^ (c >> 8);
  return ~c;
}

int main(void) {
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1u) ? (c >> 1) ^ 0xedb88320u : c >> 1;
    table[i] = c;
  }
  uint32_t s = 0x12345678u;
  for (uint32_t i = 0; i < sizeof buf; ++i) buf[i] = (uint8_t)bench_rand(&s);
  static const uint8_t check[9] = {'1', '2', '3', '4', '5', '6', '7', '8', '9'};
  const uint32_t a = crc_bitwise(buf, sizeof buf);
  const int ok = a == crc_table(buf, sizeof buf) && crc_bitwise(check, 9) == 0xcbf43926u;
  return bench_report("crc32", a, ok);
}

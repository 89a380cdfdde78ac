#include "tessera/ref/gemm.h"

#include "tessera/error.h"

namespace tsr::ref {

std::vector<int32_t> gemm_i8(std::span<const int8_t> a, std::span<const int8_t> b, int m, int n,
                             int k) {
  if (m < 0 || n < 0 || k < 0) fail("gemm_i8: negative shape {}x{}x{}", m, n, k);
  if (a.size() != static_cast<size_t>(m) * k) fail("gemm_i8: A has {} elements, expected {}x{}", a.size(), m, k);
  if (b.size() != static_cast<size_t>(k) * n) fail("gemm_i8: B has {} elements, expected {}x{}", b.size(), k, n);
  std::vector<int32_t> c(static_cast<size_t>(m) * n, 0);
  for (int i = 0; i < m; ++i) {
    for (int j = 0; j < n; ++j) {
      int32_t acc = 0;
      for (int x = 0; x < k; ++x) acc = mac_i8(acc, a[i * k + x], b[x * n + j]);
      c[i * n + j] = acc;
    }
  }
  return c;
}

std::vector<int32_t> gemm_i8(std::span<const int8_t> a, std::span<const int8_t> b, int m, int n,
                             int k, int a_zp) {
  if (a_zp < -128 || a_zp > 127) fail("gemm_i8: zero point {} is not an int8", a_zp);
  if (m < 0 || n < 0 || k < 0) fail("gemm_i8: negative shape {}x{}x{}", m, n, k);
  if (a.size() != static_cast<size_t>(m) * k) fail("gemm_i8: A has {} elements, expected {}x{}", a.size(), m, k);
  if (b.size() != static_cast<size_t>(k) * n) fail("gemm_i8: B has {} elements, expected {}x{}", b.size(), k, n);
  std::vector<int32_t> c(static_cast<size_t>(m) * n, 0);
  for (int i = 0; i < m; ++i) {
    for (int j = 0; j < n; ++j) {
      int32_t acc = 0;
      for (int x = 0; x < k; ++x) {
        acc = wrap_add(acc, (static_cast<int32_t>(a[i * k + x]) - a_zp) * b[x * n + j]);
      }
      c[i * n + j] = acc;
    }
  }
  return c;
}

}  // namespace tsr::ref

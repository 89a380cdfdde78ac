// Golden model of the array arithmetic: int8 x int8 -> int32 matrix multiply with wrapping int32
// accumulation (two's complement, as the RTL accumulates). The single implementation that tests,
// benchmarks and the driver call; never re-written per test.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace tsr::ref {

// C[M x N] = A[M x K] * B[K x N], row-major, int32 wrapping accumulation.
std::vector<int32_t> gemm_i8(std::span<const int8_t> a, std::span<const int8_t> b, int m, int n,
                             int k);

// C[M x N] = (A - a_zp)[M x K] * B[K x N]: TFLite's convolution / fully-connected arithmetic with
// the input offset applied to every activation (what the zero-skip array computes).
std::vector<int32_t> gemm_i8(std::span<const int8_t> a, std::span<const int8_t> b, int m, int n,
                             int k, int a_zp);

// Wrapping int32 addition (the accumulator's rule): the sum modulo 2^32.
inline int32_t wrap_add(int32_t x, int32_t y) {
  return static_cast<int32_t>(static_cast<uint32_t>(x) + static_cast<uint32_t>(y));
}

// Wrapping int32 multiply-accumulate of two int8 operands.
inline int32_t mac_i8(int32_t acc, int8_t a, int8_t b) {
  return wrap_add(acc, static_cast<int32_t>(a) * static_cast<int32_t>(b));
}

// The same with the activation's zero point subtracted first (the zero-skip array's step).
inline int32_t mac_i8_zp(int32_t acc, int8_t a, int32_t a_zp, int8_t b) {
  return wrap_add(acc, (static_cast<int32_t>(a) - a_zp) * static_cast<int32_t>(b));
}

}  // namespace tsr::ref

/* 16x16 int32 matrix multiply C = A * B of pseudo-random int8-range values (ijk order), checked
 * against the same product computed in ikj order, and the checksum of C reported. */
#include "bench.h"

#define N 16

static int32_t A[N][N], B[N][N], C[N][N], D[N][N];

int main(void) {
  uint32_t s = 0x2545f491u;
  for (int i = 0; i < N; ++i) {
    for (int j = 0; j < N; ++j) {
      A[i][j] = (int32_t)(bench_rand(&s) & 0xff) - 128;
      B[i][j] = (int32_t)(bench_rand(&s) & 0xff) - 128;
    }
  }
  for (int i = 0; i < N; ++i) {
    for (int j = 0; j < N; ++j) {
      int32_t acc = 0;
      for (int k = 0; k < N; ++k) acc += A[i][k] * B[k][j];
      C[i][j] = acc;
    }
  }
  for (int i = 0; i < N; ++i) {
    for (int k = 0; k < N; ++k) {
      const int32_t a = A[i][k];
      for (int j = 0; j < N; ++j) D[i][j] += a * B[k][j];
    }
  }
  uint32_t sum = 0;
  int ok = 1;
  for (int i = 0; i < N; ++i) {
    for (int j = 0; j < N; ++j) {
      sum = sum * 31u + (uint32_t)C[i][j];
      if (C[i][j] != D[i][j]) ok = 0;
    }
  }
  return bench_report("matmul", sum, ok);
}

/* Insertion sort of 256 and quicksort of 1024 pseudo-random int32 values; checks that the output
 * is ordered and a permutation of the input (sum and xor of all elements). */
#include "bench.h"

#define N_INS 256
#define N_QS 1024

static int32_t a[N_QS];

static void insertion(int32_t* v, int n) {
  for (int i = 1; i < n; ++i) {
    const int32_t x = v[i];
    int j = i - 1;
    while (j >= 0 && v[j] > x) {
      v[j + 1] = v[j];
      --j;
    }
    v[j + 1] = x;
  }
}

static void quick(int32_t* v, int lo, int hi) {
  while (lo < hi) {
    const int32_t p = v[lo + (hi - lo) / 2];
    int i = lo, j = hi;
    while (i <= j) {
      while (v[i] < p) ++i;
      while (v[j] > p) --j;
      if (i <= j) {
        const int32_t t = v[i];
        v[i] = v[j];
        v[j] = t;
        ++i;
        --j;
      }
    }
    if (j - lo < hi - i) {
      quick(v, lo, j);
      lo = i;
    } else {
      quick(v, i, hi);
      hi = j;
    }
  }
}

static int check(const int32_t* v, int n, uint32_t sum, uint32_t x) {
  uint32_t s2 = 0, x2 = 0;
  int ok = 1;
  for (int i = 0; i < n; ++i) {
    s2 += (uint32_t)v[i];
    x2 ^= (uint32_t)v[i];
    if (i > 0 && v[i - 1] > v[i]) ok = 0;
  }
  return ok && s2 == sum && x2 == x;
}

int main(void) {
  uint32_t s = 0x9e3779b9u, sum = 0, x = 0;
  for (int i = 0; i < N_INS; ++i) {
    a[i] = (int32_t)bench_rand(&s);
    sum += (uint32_t)a[i];
    x ^= (uint32_t)a[i];
  }
  insertion(a, N_INS);
  int ok = check(a, N_INS, sum, x);
  uint32_t result = (uint32_t)a[N_INS / 2];
  sum = x = 0;
  for (int i = 0; i < N_QS; ++i) {
    a[i] = (int32_t)bench_rand(&s);
    sum += (uint32_t)a[i];
    x ^= (uint32_t)a[i];
  }
  quick(a, 0, N_QS - 1);
  ok = ok && check(a, N_QS, sum, x);
  result ^= (uint32_t)a[N_QS / 3];
  return bench_report("sort", result, ok);
}

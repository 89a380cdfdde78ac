// Random int8 tensors for the accelerator tests and `tessera bench layers` (one definition).
#pragma once

#include <random>

#include "tessera/ref/kernels.h"

namespace tsr::top {

// A tensor of shape s with zero point zp and values uniform in [lo, hi].
inline ref::QTensor random_tensor(std::mt19937_64& rng, ref::Shape4 s, int zp, int lo = -128,
                                  int hi = 127) {
  ref::QTensor t;
  t.shape = s;
  t.zero_point = zp;
  std::uniform_int_distribution<int> d(lo, hi);
  t.data.resize(s.elements());
  for (auto& v : t.data) v = static_cast<int8_t>(d(rng));
  return t;
}

}  // namespace tsr::top

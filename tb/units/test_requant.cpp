// tsr_requant (one lane of TFLite int8 requantization) against the golden tsr::ref::requantize:
// directed edge cases (rounding ties, saturation, shift extremes, multipliers near 2^31, clamps)
// and random parameters, streamed through the 4-stage pipeline with random stalls. The same cases
// run on the PreScaled = 1 lane (the execute unit's SCALE lanes), fed (acc + bias) << max(shift, 0)
// and a bias it must ignore.
#include <deque>
#include <random>

#include <gtest/gtest.h>

#include "Vtsr_requant.h"
#include "Vtsr_requant_pre.h"
#include "tessera/ref/gemm.h"
#include "tessera/ref/quant.h"
#include "tessera/tb/dut.h"
#include "tessera/tb/harness.h"

namespace {

struct Case {
  int32_t acc, bias;
  tsr::ref::Requant rq;
};

// Model: Vtsr_requant, or Vtsr_requant_pre (PreScaled = 1: acc_i carries the pre-scaled sum).
template <class Model, bool kPre>
class RequantLane {
 public:
  RequantLane() : dut_("requant") {
    dut_->en_i = 1;
    dut_->valid_i = 0;
    dut_.reset();
  }

  // Streams the cases through the lane (stalling en_i with probability stall_pct) and returns
  // the outputs in order.
  std::vector<int8_t> run(const std::vector<Case>& cases, int stall_pct, std::mt19937_64& rng) {
    std::vector<int8_t> out;
    std::uniform_int_distribution<int> pct(0, 99);
    size_t next = 0;
    for (int guard = 0; out.size() < cases.size(); ++guard) {
      if (guard > 100 * static_cast<int>(cases.size()) + 1000) {
        ADD_FAILURE() << "requant lane stuck after " << out.size() << " of " << cases.size();
        break;
      }
      const bool en = pct(rng) >= stall_pct;
      dut_->en_i = en;
      dut_->valid_i = en && next < cases.size();
      if (next < cases.size()) {
        const Case& c = cases[next];
        if (kPre) {
          const uint32_t x = static_cast<uint32_t>(tsr::ref::wrap_add(c.acc, c.bias));
          dut_->acc_i = c.rq.shift > 0 ? x << c.rq.shift : x;
          dut_->bias_i = 0xdeadbeefu;  // unused
        } else {
          dut_->acc_i = static_cast<uint32_t>(c.acc);
          dut_->bias_i = static_cast<uint32_t>(c.bias);
        }
        dut_->mult_i = static_cast<uint32_t>(c.rq.multiplier);
        dut_->shift_i = static_cast<uint8_t>(c.rq.shift) & 0x3f;
        dut_->out_zp_i = static_cast<uint8_t>(c.rq.zero_point);
        dut_->act_min_i = static_cast<uint8_t>(c.rq.act_min);
        dut_->act_max_i = static_cast<uint8_t>(c.rq.act_max);
      }
      dut_->eval();
      if (en && dut_->valid_o) out.push_back(static_cast<int8_t>(dut_->data_o));
      if (dut_->valid_i) ++next;
      dut_.tick();
    }
    return out;
  }

 private:
  tsr::tb::Dut<Model> dut_;
};

template <class Model, bool kPre>
void expect_lane_matches_golden(const std::vector<Case>& cases, int stall_pct, uint64_t seed) {
  std::mt19937_64 rng(seed);
  RequantLane<Model, kPre> lane;
  const auto got = lane.run(cases, stall_pct, rng);
  ASSERT_EQ(got.size(), cases.size());
  int bad = 0;
  for (size_t i = 0; i < cases.size() && bad < 10; ++i) {
    const Case& c = cases[i];
    const int8_t want = tsr::ref::requantize(tsr::ref::wrap_add(c.acc, c.bias), c.rq);
    if (got[i] != want) {
      ++bad;
      ADD_FAILURE() << (kPre ? "pre-scaled " : "") << "case " << i << ": acc " << c.acc << " bias " << c.bias << " mult "
                    << c.rq.multiplier << " shift " << c.rq.shift << " zp " << c.rq.zero_point
                    << " clamp [" << c.rq.act_min << ", " << c.rq.act_max << "]: rtl "
                    << int(got[i]) << ", golden " << int(want);
    }
  }
}

void expect_matches_golden(const std::vector<Case>& cases, int stall_pct, uint64_t seed) {
  expect_lane_matches_golden<Vtsr_requant, false>(cases, stall_pct, seed);
  expect_lane_matches_golden<Vtsr_requant_pre, true>(cases, stall_pct, seed);
}

tsr::ref::Requant rq(int32_t m, int shift, int32_t zp = 0, int32_t lo = -128, int32_t hi = 127) {
  return tsr::ref::Requant{m, shift, zp, lo, hi};
}

TEST(Requant, DirectedEdgeCases) {
  const int32_t kMin = INT32_MIN, kMax = INT32_MAX;
  std::vector<Case> cases = {
      {0, 0, rq(1 << 30, 0)},
      {5, 0, rq(1 << 30, -1)},          // 5 * 0.5 * 0.5: double rounding gives 2 (TFLite), not 1
      {-5, 0, rq(1 << 30, -1)},
      {3, 0, rq(1 << 30, 0)},           // 1.5: SRDHM rounds the tie up -> 2
      {-3, 0, rq(1 << 30, 0)},          // -1.5: SRDHM rounds the tie up -> -1
      {kMin, 0, rq(kMax, 0)},
      {kMax, 0, rq(kMax, 0)},           // saturates to the int8 range in the clamp
      {kMax, 1, rq(kMax, 0)},           // acc + bias wraps to INT32_MIN
      {1000, -24, rq(1 << 30, -31)},    // largest right shift
      {-1000, 0, rq(1 << 30, -31)},
      {kMin, 0, rq(1 << 30, -31)},
      {7, 0, rq(1 << 30, 30)},          // largest left shift, wrapping
      {1, 0, rq(1 << 30, 8)},
      {-300, 17, rq(2147483647, -9, -5)},
      {300, 0, rq(1073741824, -1, 10, 10, 127)},   // ReLU with zero point 10
      {-300, 0, rq(1073741824, -1, 10, 10, 127)},
      {10000, 0, rq(1518500250, -7, -128, -128, -122)},  // ReLU6-style upper clamp
      {12345, 678, rq(0, 0, 3)},        // multiplier 0
      {-12345, 0, rq(1 << 30, -1, 127)},
      {12345, 0, rq(1 << 30, -1, -128)},
  };
  for (int s = -31; s <= 30; ++s) {
    for (int32_t acc : {-1, 1, -2, 2, 3, -3, 255, -255, 1 << 20, -(1 << 20), kMax, kMin}) {
      cases.push_back({acc, 0, rq(1518500250, s, 1)});
    }
  }
  expect_matches_golden(cases, 0, 1);
}

TEST(Requant, RandomParametersWithStalls) {
  const uint64_t seed = tsr::tb::test_seed();
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int32_t> any(INT32_MIN, INT32_MAX), small(-100000, 100000);
  std::uniform_int_distribution<int32_t> mult(1 << 30, INT32_MAX), zp(-128, 127);
  std::uniform_int_distribution<int> shift(-31, 30), coin(0, 3);
  std::vector<Case> cases;
  for (int i = 0; i < 20000; ++i) {
    int32_t lo = zp(rng), hi = zp(rng);
    if (lo > hi) std::swap(lo, hi);
    // Mostly realistic (small accumulators, right shifts), sometimes anything.
    const bool wild = coin(rng) == 0;
    const int s = wild ? shift(rng) : -std::uniform_int_distribution<int>(0, 20)(rng);
    cases.push_back({wild ? any(rng) : small(rng), wild ? any(rng) : small(rng) / 10,
                     rq(mult(rng), s, zp(rng), coin(rng) ? -128 : lo, coin(rng) ? 127 : hi)});
  }
  expect_matches_golden(cases, 30, seed);
}

}  // namespace

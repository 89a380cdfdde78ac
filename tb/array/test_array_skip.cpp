// Targeted tests of the row-elastic zero-skip array (docs/skip.md), compiled into the array test of
// every skip variant (TSR_TEST_VARIANT). Every result is compared bit-exactly with
// tsr::ref::gemm_i8 (with the activation zero point); the counters against counts computed here
// from the beats; the cycle count against the cycle model of tsr::skip (model.h).
#include <algorithm>
#include <random>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tessera/ref/gemm.h"
#include "tessera/sim/array_sim.h"
#include "tessera/sim/gemm_runner.h"
#include "tessera/skip/model.h"
#include "tessera/tb/harness.h"

namespace {

using tsr::sim::GemmOptions;
using tsr::sim::GemmStats;

struct Case {
  std::vector<int8_t> a, b;
  int m = 0, n = 0, k = 0;
  int8_t zp = 0;
};

// What the counters must show for a GEMM, from its beats: per beat and row, nnz = activations of the
// row's D lanes that differ from the zero point; skipped += D - max(1, nnz) when skipping; gated
// += C for every zero-operand step (skip: nnz == 0; dense: every zero lane).
tsr::sim::SkipCounters expected_counters(const tsr::sim::VariantInfo& v, const Case& c, bool skip) {
  const auto plan = tsr::sim::plan_gemm(v, c.a, c.b, c.m, c.n, c.k, c.zp);
  const int R = v.rows, D = v.skip_depth;
  uint64_t skipped = 0, gated = 0;
  for (const auto& beat : plan.a) {
    for (int r = 0; r < R; ++r) {
      int nnz = 0;
      for (int j = 0; j < D; ++j) nnz += beat.lanes[j * R + r] != c.zp;
      if (skip) {
        skipped += D - std::max(1, nnz);
        gated += nnz == 0 ? v.cols : 0;
      } else {
        gated += static_cast<uint64_t>(D - nnz) * v.cols;
      }
    }
  }
  return {static_cast<uint32_t>(skipped), static_cast<uint32_t>(gated)};
}

class SkipArray : public ::testing::Test {
 protected:
  void SetUp() override {
    info_ = tsr::sim::make_array_sim(TSR_TEST_VARIANT)->info();
    ASSERT_GT(info_.skip_depth, 0) << TSR_TEST_VARIANT << " is not a skip variant";
  }
  // Runs c with skipping on and off; both bit-exact, counters as expected. Returns the cycles.
  std::pair<uint64_t, uint64_t> run(const std::string& stem, const Case& c, GemmOptions opt,
                                    uint64_t seed) {
    const auto golden = tsr::ref::gemm_i8(c.a, c.b, c.m, c.n, c.k, c.zp);
    uint64_t cycles[2] = {0, 0};
    for (int skip = 1; skip >= 0; --skip) {
      opt.skip = skip != 0;
      opt.a_zp = c.zp;
      GemmStats st;
      const std::string save = info_.gen_dir + "/waves/tsr_array.gtkw";
      const std::string msg = tsr::tb::run_with_wave_on_failure(
          fmt::format("{}_{}_{}", TSR_TEST_VARIANT, stem, skip ? "skip" : "dense"), save,
          [&](const std::string& trace) -> std::string {
            auto sim = tsr::sim::make_array_sim(TSR_TEST_VARIANT, {seed, trace});
            sim->reset();
            const auto got = tsr::sim::run_gemm(*sim, c.a, c.b, c.m, c.n, c.k, opt, &st);
            sim->close_trace();
            for (size_t i = 0; i < golden.size(); ++i) {
              if (got[i] != golden[i]) {
                return fmt::format("skip {}: GEMM {}x{}x{} zp {}: C[{}][{}] = {}, golden {}", skip, c.m,
                                   c.n, c.k, static_cast<int>(c.zp), i / c.n, i % c.n, got[i], golden[i]);
              }
            }
            const auto want = expected_counters(info_, c, opt.skip);
            if (st.counters.skipped != want.skipped || st.counters.gated != want.gated) {
              return fmt::format("skip {}: counters skipped {} gated {}, expected {} and {}", skip,
                                 st.counters.skipped, st.counters.gated, want.skipped, want.gated);
            }
            return "";
          });
      EXPECT_EQ(msg, "") << stem << " (seed " << seed << ")";
      cycles[skip] = st.cycles;
      active_[skip] = st.counters.active;
    }
    return {cycles[1], cycles[0]};
  }
  uint64_t active_[2] = {0, 0};  // the last run()'s array cycles (cnt_active_o): dense, skip
  // Operands with activations equal to zp at the given probability (percent), others random != zp.
  Case sparse(int m, int n, int k, int percent, int8_t zp, std::mt19937_64& rng) {
    Case c{std::vector<int8_t>(static_cast<size_t>(m) * k), std::vector<int8_t>(static_cast<size_t>(k) * n), m, n, k, zp};
    std::uniform_int_distribution<int> full(-128, 127), pct(0, 99);
    for (auto& x : c.a) {
      if (pct(rng) < percent) {
        x = zp;
      } else {
        do x = static_cast<int8_t>(full(rng)); while (x == zp);
      }
    }
    for (auto& x : c.b) x = static_cast<int8_t>(full(rng));
    return c;
  }
  tsr::sim::VariantInfo info_;
};

TEST_F(SkipArray, AllZero) {
  std::mt19937_64 rng(tsr::tb::test_seed());
  const int R = info_.rows, C = info_.cols, D = info_.skip_depth;
  for (int8_t zp : {int8_t{-128}, int8_t{0}, int8_t{17}}) {
    const Case c = sparse(3 * R + 1, 2 * C, 2 * D * R + 1, 100, zp, rng);
    const auto [skip, dense] = run(fmt::format("all_zero_{}", zp), c, {}, rng());
    EXPECT_LT(skip, dense);
  }
}

TEST_F(SkipArray, NoZero) {
  std::mt19937_64 rng(tsr::tb::test_seed());
  const int R = info_.rows, C = info_.cols, D = info_.skip_depth;
  const Case c = sparse(2 * R + 3, C + 1, D * R, 0, -128, rng);
  const auto [skip, dense] = run("no_zero", c, {}, rng());
  EXPECT_EQ(skip, dense) << "no activation is zero: skipping must cost nothing";
}

TEST_F(SkipArray, Alternating) {
  std::mt19937_64 rng(tsr::tb::test_seed());
  const int R = info_.rows, C = info_.cols, D = info_.skip_depth;
  for (int phase = 0; phase < 2; ++phase) {
    Case c = sparse(2 * R + 2, C, 2 * D * R, 0, -128, rng);
    for (size_t i = 0; i < c.a.size(); ++i) {
      if ((i + phase) % 2 == 0) c.a[i] = c.zp;
    }
    run(fmt::format("alternating_{}", phase), c, {}, rng());
  }
}

TEST_F(SkipArray, RandomSparsity) {
  const uint64_t seed = tsr::tb::test_seed();
  std::mt19937_64 rng(seed);
  const int R = info_.rows, C = info_.cols, D = info_.skip_depth;
  const int cases = R * C <= 32 ? 3 : 1;
  for (int percent : {0, 10, 25, 50, 75, 90, 95, 99}) {
    for (int t = 0; t < cases; ++t) {
      std::uniform_int_distribution<int> dm(1, 3 * R + 2), dn(1, 2 * C + 1), dk(1, 2 * D * R + 2);
      const int8_t zp = static_cast<int8_t>(std::uniform_int_distribution<int>(-128, 127)(rng));
      const Case c = sparse(dm(rng), dn(rng), dk(rng), percent, zp, rng);
      run(fmt::format("sparsity_{}_{}", percent, t), c, {}, rng());
    }
  }
}

TEST_F(SkipArray, ZerosAtTileEdges) {
  // Zeros in the first and last pixel of every tile, in the first and last K lane of a tile and in
  // the ragged last K tile; everything else non-zero.
  std::mt19937_64 rng(tsr::tb::test_seed());
  const int R = info_.rows, C = info_.cols, D = info_.skip_depth, KT = D * R;
  const int m = 2 * R + 1, n = 2 * C, k = 2 * KT + (KT > 1 ? KT / 2 : 1);
  Case c = sparse(m, n, k, 0, -128, rng);
  for (int i = 0; i < m; ++i) {
    for (int x = 0; x < k; ++x) {
      const bool edge_pixel = i == 0 || i == m - 1;
      const bool edge_lane = x % KT == 0 || x % KT == KT - 1 || x >= 2 * KT;
      if (edge_pixel || edge_lane) c.a[static_cast<size_t>(i) * k + x] = c.zp;
    }
  }
  run("tile_edges", c, {}, rng());
}

TEST_F(SkipArray, BackPressureDuringSkips) {
  const uint64_t seed = tsr::tb::test_seed();
  std::mt19937_64 rng(seed);
  const int R = info_.rows, C = info_.cols, D = info_.skip_depth;
  for (int ready : {5, 30, 70}) {
    for (int percent : {50, 90}) {
      GemmOptions opt;
      opt.c_ready_percent = ready;
      opt.in_valid_percent = 100 - ready / 3;
      opt.seed = rng();
      const Case c = sparse(3 * R + 2, 2 * C + 1, 2 * D * R + 1, percent, -128, rng);
      run(fmt::format("backpressure_{}_{}", ready, percent), c, opt, rng());
    }
  }
}

TEST_F(SkipArray, CyclesFollowTheModel) {
  // One tile (N <= C, K <= D*R), operands streamed without bubbles: the RTL's cycles minus the
  // model's (elastic_cycles) is a constant (weight preload, output latency) for every sparsity and
  // pattern, so the model used on real activations counts exactly what the RTL does.
  std::mt19937_64 rng(tsr::tb::test_seed());
  const int R = info_.rows, C = info_.cols, D = info_.skip_depth;
  tsr::skip::ElasticParams p;
  p.rows = R;
  p.depth = D;
  p.psum_fifo = info_.skip_psum_fifo;
  p.row_fifo = info_.skip_row_fifo;
  std::vector<int64_t> diffs;
  for (int percent : {0, 30, 60, 90, 100}) {
    for (int t = 0; t < 2; ++t) {
      const int m = 4 * R + 7;
      const Case c = sparse(m, C, D * R, percent, -128, rng);
      const auto [skip_cycles, dense_cycles] = run(fmt::format("model_{}_{}", percent, t), c, {}, rng());
      std::vector<uint8_t> nz(static_cast<size_t>(m) * D * R);
      for (int i = 0; i < m; ++i) {
        for (int l = 0; l < D * R; ++l) nz[static_cast<size_t>(i) * D * R + l] = c.a[static_cast<size_t>(i) * D * R + l] != c.zp;
      }
      const auto model_skip = tsr::skip::elastic_run(p, tsr::skip::row_steps(nz, m, R, D, true), m);
      const auto model_dense = tsr::skip::elastic_run(p, tsr::skip::row_steps(nz, m, R, D, false), m);
      diffs.push_back(static_cast<int64_t>(skip_cycles) - static_cast<int64_t>(model_skip.cycles));
      diffs.push_back(static_cast<int64_t>(dense_cycles) - static_cast<int64_t>(model_dense.cycles));
      // The array-cycle counter counts exactly the model's cycles with a step issued.
      EXPECT_EQ(active_[1], model_skip.active) << percent << " % zeros, skip";
      EXPECT_EQ(active_[0], model_dense.active) << percent << " % zeros, dense";
      EXPECT_LE(model_skip.active, model_dense.active);
      EXPECT_GE(model_dense.active, static_cast<uint64_t>(m) * D);
    }
  }
  for (auto d : diffs) EXPECT_EQ(d, diffs[0]) << "RTL - model cycle differences: " << fmt::format("{}", fmt::join(diffs, " "));
  EXPECT_GE(diffs[0], 0);
}

}  // namespace

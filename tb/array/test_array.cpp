// Golden-reference GEMM tests of one variant's systolic array (TSR_TEST_VARIANT), compiled once
// per built-in variant. Every output element is compared bit-exactly with tsr::ref::gemm_i8.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tessera/ref/gemm.h"
#include "tessera/sim/array_sim.h"
#include "tessera/sim/gemm_runner.h"
#include "tessera/tb/harness.h"

#ifndef TSR_TEST_VARIANT
#error "TSR_TEST_VARIANT must name the variant under test"
#endif

namespace {

using tsr::sim::GemmOptions;

enum class Fill { Random, AllMin, AllMax, MinMax, Zero };

struct Operands {
  std::vector<int8_t> a, b;
};

Operands make_operands(int m, int n, int k, Fill fill, std::mt19937_64& rng) {
  Operands o{std::vector<int8_t>(static_cast<size_t>(m) * k), std::vector<int8_t>(static_cast<size_t>(k) * n)};
  std::uniform_int_distribution<int> full(-128, 127), coin(0, 1);
  auto gen = [&](size_t i) -> int8_t {
    switch (fill) {
      case Fill::Random: return static_cast<int8_t>(full(rng));
      case Fill::AllMin: return -128;
      case Fill::AllMax: return 127;
      case Fill::MinMax: return coin(rng) ? int8_t{-128} : int8_t{127};
      case Fill::Zero: return static_cast<int8_t>((i % 3 == 0) ? full(rng) : 0);
    }
    return 0;
  };
  for (size_t i = 0; i < o.a.size(); ++i) o.a[i] = gen(i);
  for (size_t i = 0; i < o.b.size(); ++i) o.b[i] = gen(i);
  return o;
}

// Runs one GEMM on a fresh simulator; on mismatch, reruns with an FST wave. Returns "" when exact.
// On a zero-skip variant it runs twice, skipping on and off (the same array issuing every step),
// and both must be exact against the golden model (with opt.a_zp as the activation zero point).
std::string check_gemm_once(const std::string& stem, const Operands& o, int m, int n, int k,
                            const GemmOptions& opt, uint64_t sim_seed, tsr::sim::GemmStats* stats) {
  const auto golden = tsr::ref::gemm_i8(o.a, o.b, m, n, k, opt.a_zp);
  auto probe = tsr::sim::make_array_sim(TSR_TEST_VARIANT);
  const std::string save = probe->info().gen_dir + "/waves/tsr_array.gtkw";
  const std::string wave_stem = std::string(TSR_TEST_VARIANT) + "_" + stem;
  return tsr::tb::run_with_wave_on_failure(wave_stem, save, [&](const std::string& trace) -> std::string {
    auto sim = tsr::sim::make_array_sim(TSR_TEST_VARIANT, {sim_seed, trace});
    sim->reset();
    const auto got = tsr::sim::run_gemm(*sim, o.a, o.b, m, n, k, opt, stats);
    sim->close_trace();
    for (size_t i = 0; i < golden.size(); ++i) {
      if (got[i] != golden[i]) {
        size_t bad = 0;
        for (size_t j = 0; j < golden.size(); ++j) bad += got[j] != golden[j];
        return fmt::format("variant {}{}: GEMM {}x{}x{} (zp {}): C[{}][{}] = {}, golden {} ({} of {} "
                           "elements differ)",
                           TSR_TEST_VARIANT, probe->info().skip_depth ? (opt.skip ? " skip on" : " skip off") : "",
                           m, n, k, static_cast<int>(opt.a_zp), i / n, i % n, got[i], golden[i], bad,
                           golden.size());
      }
    }
    return "";
  });
}

std::string check_gemm(const std::string& stem, const Operands& o, int m, int n, int k,
                       const GemmOptions& opt, uint64_t sim_seed, tsr::sim::GemmStats* stats = nullptr) {
  std::string msg = check_gemm_once(stem, o, m, n, k, opt, sim_seed, stats);
  if (!msg.empty() || tsr::sim::make_array_sim(TSR_TEST_VARIANT)->info().skip_depth == 0) return msg;
  GemmOptions dense = opt;
  dense.skip = !opt.skip;
  return check_gemm_once(stem + (dense.skip ? "_skip" : "_dense"), o, m, n, k, dense, sim_seed, nullptr);
}

class ArrayGemm : public ::testing::Test {
 protected:
  void SetUp() override {
    auto sim = tsr::sim::make_array_sim(TSR_TEST_VARIANT);
    info_ = sim->info();
  }
  tsr::sim::VariantInfo info_;
};

TEST_F(ArrayGemm, VariantMatchesGeneratedHeader) {
  EXPECT_EQ(info_.name, TSR_TEST_VARIANT);
  EXPECT_GE(info_.rows, 1);
  EXPECT_GE(info_.cols, 1);
  EXPECT_EQ(info_.fill_latency, info_.rows + info_.cols - 1);
}

TEST_F(ArrayGemm, SingleElement) {
  std::mt19937_64 rng(1);
  const Operands o{{-128}, {-128}};
  EXPECT_EQ(check_gemm("single_element", o, 1, 1, 1, {}, 1), "");
}

TEST_F(ArrayGemm, RandomShapesUpToSeveralTiles) {
  const uint64_t seed = tsr::tb::test_seed();
  std::mt19937_64 rng(seed);
  const int R = info_.rows, C = info_.cols;
  // Up to 3 tiles (plus ragged edges) in every dimension; more cases on small arrays.
  const int cases = R * C <= 16 ? 40 : (R * C <= 64 ? 24 : 10);
  for (int t = 0; t < cases; ++t) {
    std::uniform_int_distribution<int> dm(1, 3 * R + 2), dn(1, 3 * C + 2), dk(1, 3 * R + 2);
    const int m = dm(rng), n = dn(rng), k = dk(rng);
    const Operands o = make_operands(m, n, k, Fill::Random, rng);
    GemmOptions opt;
    // Skip variants: a random activation zero point, so a - zp spans -255..255.
    if (info_.skip_depth > 0) opt.a_zp = static_cast<int8_t>(std::uniform_int_distribution<int>(-128, 127)(rng));
    const std::string msg = check_gemm(fmt::format("random_{}", t), o, m, n, k, opt, rng());
    ASSERT_EQ(msg, "") << "case " << t << " (seed " << seed << ")";
  }
}

TEST_F(ArrayGemm, ExtremeValues) {
  const uint64_t seed = tsr::tb::test_seed();
  std::mt19937_64 rng(seed);
  const int R = info_.rows, C = info_.cols;
  const int m = 2 * R + 1, n = 2 * C + 1, k = 4 * R + 3;
  for (Fill f : {Fill::AllMin, Fill::AllMax, Fill::MinMax, Fill::Zero}) {
    const Operands o = make_operands(m, n, k, f, rng);
    EXPECT_EQ(check_gemm(fmt::format("extreme_{}", static_cast<int>(f)), o, m, n, k, {}, rng()), "");
  }
}

TEST_F(ArrayGemm, LongKAccumulatesWithoutLoss) {
  // K = 1024 of (-128 * -128) sums to 2^24: far beyond 16 bits, exact in int32.
  const int k = 1024;
  const Operands o{std::vector<int8_t>(k, -128), std::vector<int8_t>(k, -128)};
  EXPECT_EQ(check_gemm("long_k", o, 1, 1, k, {}, 7), "");
}

TEST_F(ArrayGemm, BackPressureAndBubbles) {
  const uint64_t seed = tsr::tb::test_seed();
  std::mt19937_64 rng(seed);
  const int R = info_.rows, C = info_.cols;
  for (int ready : {10, 50, 90}) {
    GemmOptions opt;
    opt.c_ready_percent = ready;
    opt.in_valid_percent = 100 - ready / 2;
    opt.seed = rng();
    const int m = 2 * R + 3, n = 2 * C + 1, k = 2 * R + 1;
    const Operands o = make_operands(m, n, k, Fill::Random, rng);
    EXPECT_EQ(check_gemm(fmt::format("backpressure_{}", ready), o, m, n, k, opt, rng()), "")
        << "c_ready " << ready << "% (seed " << seed << ")";
  }
}

TEST_F(ArrayGemm, BackToBackTilesStreamWithoutBubbles) {
  // With operands on chip and M, N, K = 8x the array, the array must stay busy: the cycle count is
  // within one fill/drain (plus one weight preload for WS) of the ideal M*N*K/(R*C).
  const int R = info_.rows, C = info_.cols;
  const int m = 8 * R, n = 8 * C, k = 8 * R;
  std::mt19937_64 rng(3);
  const Operands o = make_operands(m, n, k, Fill::Random, rng);
  tsr::sim::GemmStats st;
  GemmOptions opt;
  opt.skip = false;  // skip variants: every step issued (a random operand is rarely a zero)
  ASSERT_EQ(check_gemm("back_to_back", o, m, n, k, opt, 3, &st), "");
  // Skip variants run with skipping off here: a beat carries D*R K indices and a row spends D
  // cycles on it, so the ideal is the same; the weight preload is D*R beats and the fill D per row.
  const uint64_t ideal = static_cast<uint64_t>(m) * n * k / (R * C);
  const int D = std::max(1, info_.skip_depth);
  const uint64_t overhead = info_.output_stationary ? R + 2 * (R + C) + 8 : (2 * D + 1) * R + C + 8;
  EXPECT_LE(st.cycles, ideal + overhead) << "ideal " << ideal;
  EXPECT_GE(st.cycles, ideal);
}

}  // namespace

namespace {

// Every signal the variant's GTKWave save file names exists, with the same range, in the FST wave
// a traced run writes: the save file and the waves stay in step with the generator.
TEST(ArrayWaves, SaveFileSignalsExistInTrace) {
  if (std::system("command -v fst2vcd >/dev/null 2>&1") != 0) GTEST_SKIP() << "fst2vcd (gtkwave) not installed";
  const std::string wave = tsr::tb::wave_path(std::string(TSR_TEST_VARIANT) + "_trace_check");
  std::string gtkw_path;
  {
    auto sim = tsr::sim::make_array_sim(TSR_TEST_VARIANT, {1, wave});
    gtkw_path = sim->info().gen_dir + "/waves/tsr_array.gtkw";
    sim->reset();
    const std::vector<int8_t> a(6, 3), b(9, -2);
    const auto c = tsr::sim::run_gemm(*sim, a, b, 2, 3, 3);
    ASSERT_EQ(c, tsr::ref::gemm_i8(a, b, 2, 3, 3));
    sim->close_trace();
  }
  // Signal names in the trace, as "scope.scope.name" or "scope.name[h:l]".
  std::set<std::string> traced;
  FILE* p = popen(("fst2vcd " + wave + " 2>/dev/null").c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::vector<std::string> scope;
  char line[4096];
  while (fgets(line, sizeof line, p) != nullptr) {
    std::istringstream in(line);
    std::string tok;
    in >> tok;
    if (tok == "$scope") {
      std::string kind, name;
      in >> kind >> name;
      scope.push_back(name);
    } else if (tok == "$upscope") {
      if (!scope.empty()) scope.pop_back();
    } else if (tok == "$var") {
      std::string type, width, id, name, range;
      in >> type >> width >> id >> name >> range;
      std::string full;
      for (const auto& s : scope) full += s + ".";
      full += name;
      if (!range.empty() && range[0] == '[') full += range;
      traced.insert(full);
    } else if (tok == "$enddefinitions") {
      break;
    }
  }
  pclose(p);
  ASSERT_FALSE(traced.empty()) << "no signals in " << wave;
  std::ifstream save(gtkw_path);
  ASSERT_TRUE(save.good()) << gtkw_path;
  std::string s;
  int named = 0;
  while (std::getline(save, s)) {
    if (s.empty() || s[0] == '@' || s[0] == '-' || s[0] == '[') continue;
    ++named;
    EXPECT_TRUE(traced.count(s)) << gtkw_path << " names " << s << ", which the trace does not have";
  }
  EXPECT_GT(named, 10);
}

}  // namespace

// Tests of the zero-skip cycle models, the real-activation study, `tessera bench skip` (quick) and
// the formal check of the skip array (docs/skip.md). The RTL itself is tested per skip variant in
// tb/array (test_array_skip.cpp), including the model's exact agreement with the RTL's cycles.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <numeric>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tessera/driver/tflite.h"
#include "tessera/error.h"
#include "tessera/gen/config.h"
#include "tessera/gen/emit.h"
#include "tessera/skip/bench_skip.h"
#include "tessera/skip/model.h"
#include "tessera/skip/study.h"
#include "tessera/tb/harness.h"

namespace {

namespace fs = std::filesystem;
using namespace tsr::skip;

TEST(SkipModel, DenseRowsTakeDCyclesPerPixel) {
  // Every row does D steps per pixel; row r+1 starts a pixel the cycle after row r finished it:
  // the bottom row finishes the last pixel at (R + P - 1) * D, one cycle after the first accept.
  for (int R : {1, 2, 4}) {
    for (int D : {1, 2, 4}) {
      const int P = 9;
      const std::vector<uint8_t> steps(static_cast<size_t>(P) * R, static_cast<uint8_t>(D));
      const ElasticParams p{R, D, 2, 64};
      EXPECT_EQ(elastic_cycles(p, steps, P), static_cast<uint64_t>((R + P - 1) * D + 1)) << R << "x" << D;
    }
  }
}

TEST(SkipModel, SmallFifosThrottle) {
  // One psum entry: a row must wait for the row below to take it before starting the next pixel.
  const int R = 3, P = 10;
  const std::vector<uint8_t> steps(static_cast<size_t>(P) * R, 1);
  const uint64_t f1 = elastic_cycles({R, 2, 1, 64}, steps, P), f2 = elastic_cycles({R, 2, 2, 64}, steps, P);
  EXPECT_EQ(f2, static_cast<uint64_t>(R + P));
  EXPECT_GT(f1, f2 + P / 2);
}

TEST(SkipModel, RowStepsAndSynchronizedSchemes) {
  // 2 pixels, R = 2, D = 2; lane j*R + r. Pixel 0: row 0 has 2 non-zero, row 1 none.
  const std::vector<uint8_t> nz = {1, 0, 1, 0, /* pixel 1 */ 0, 0, 0, 1};
  EXPECT_EQ(row_steps(nz, 2, 2, 2, true), (std::vector<uint8_t>{2, 1, 1, 1}));
  EXPECT_EQ(row_steps(nz, 2, 2, 2, false), (std::vector<uint8_t>{2, 2, 2, 2}));
  EXPECT_EQ(vector_skip_cycles(nz, 2, 2, 2), 3u);  // pixel 1, vector 0 is all zero
  EXPECT_EQ(sync_cycles(row_steps(nz, 2, 2, 2, true), 2, 2), 3u);
  EXPECT_EQ(dense_cycles(2, 2), 4u);
  EXPECT_THROW(row_steps(nz, 3, 2, 2, true), tsr::Error);
}

TEST(SkipStudy, ResNet8ConvStreams) {
  const std::string rn = std::string(TSR_MODELS_DIR) + "/ic_resnet8_int8.tflite";
  const auto x = cifar_like_input(rn, std::string(TSR_MODELS_DIR) + "/person.bmp");
  ASSERT_EQ(x.size(), 32u * 32 * 3);
  const auto ls = conv_streams(rn, x);
  ASSERT_EQ(ls.size(), 9u);  // ResNet-8: 9 CONV_2D layers
  EXPECT_EQ(ls[0].k, 27);
  EXPECT_EQ(ls[0].pixels, 32 * 32);
  EXPECT_EQ(ls[1].k, 144);
  for (const auto& l : ls) {
    EXPECT_GT(l.zero_share, 0.0) << l.label;
    EXPECT_LT(l.zero_share, 1.0) << l.label;
    const ElasticParams p{16, 2, 2, 16};
    const auto plain = layer_cycles(l, p);
    const auto bal = layer_cycles(l, p, k_density(l));
    EXPECT_EQ(plain.dense, static_cast<uint64_t>(l.pixels) * ((l.k + 15) / 16) + 15) << l.label;
    EXPECT_EQ(plain.nonzero, bal.nonzero);  // balancing permutes K, it keeps every activation
    EXPECT_GE(plain.elastic, plain.row_bound - 15) << l.label;
    EXPECT_GE(bal.elastic, bal.nonzero - 15) << l.label;
  }
}

TEST(SkipBench, QuickRunWritesTablesPlotAndJson) {
  BenchSkipOptions o;
  o.out_dir = tsr::tb::fresh_temp_dir("bench_skip");
  o.quick = true;
  o.variant = "tiny_skip";
  o.dense_variant = "tiny";
  ASSERT_EQ(bench_skip(o), 0);
  for (const char* f : {"bench_skip.md", "bench_skip.json", "skip_sweep.svg"}) {
    EXPECT_TRUE(fs::exists(fs::path(o.out_dir) / f)) << f;
  }
  std::ifstream in(fs::path(o.out_dir) / "bench_skip.json");
  const auto j = nlohmann::json::parse(in);
  ASSERT_EQ(j["sweep"]["points"].size(), 10u);
  // At 0% nothing is skipped; at 90% the skip array is faster than skipping off.
  EXPECT_EQ(j["sweep"]["points"][0]["skipped"], 0);
  EXPECT_LT(j["sweep"]["points"][9]["skip_on_cycles"].get<uint64_t>(),
            j["sweep"]["points"][9]["skip_off_cycles"].get<uint64_t>());
  for (const auto& t : j["toggles"]) EXPECT_GT(t["reduction_percent"].get<double>(), 0.0);
  EXPECT_EQ(j["networks"].size(), 2u);
}

// ---- formal ---------------------------------------------------------------------------------------

// Generates the 2x2 skip variant the formal harness checks and returns its directory. Without
// clock gates: `sat -seq` steps every flip-flop each cycle, so it checks the hold-multiplexer build
// (array.clock_gate = false); the clock-gated build is the same registers and enables, and runs in
// every simulation test.
std::string formal_variant() {
  const std::string dir = tsr::tb::fresh_temp_dir("skip_formal");
  const auto cfg = tsr::gen::load_config(std::string(TSR_SRC_DIR) + "/gen/configs/tiny.toml",
                                         {"name=formal", "skip.enable=true", "skip.depth=2",
                                          "skip.psum_fifo=2", "skip.row_fifo=2",
                                          "array.clock_gate=false"});
  tsr::gen::write_output(tsr::gen::generate(cfg, "test_skip formal"), dir + "/variant", false);
  return dir;
}

// Runs the miter with Yosys' SAT-based bounded model check; returns the log.
tsr::tb::CommandResult run_formal(const std::string& dir, const std::string& defines, int pixels, int depth) {
  const std::string rtl = dir + "/variant/rtl";
  const std::string ys = fmt::format(
      "read_verilog -formal {} {}/tb/formal/tsr_skip_miter.v\n"
      "read_verilog -I {} {}/tsr_delay.v {}/tsr_fifo.v {}/tsr_pe_ws_skip.v {}/tsr_ws_skip_ctrl.v {}/tsr_array.v\n"
      "chparam -set Pixels {} tsr_skip_miter\n"
      "prep -top tsr_skip_miter\nflatten\nmemory_map\nopt -fast\nasync2sync\ndffunmap\n"
      "sat -seq {} -prove-asserts -set-assumes -verify -show-ports\n",
      defines, TSR_SRC_DIR, rtl, rtl, rtl, rtl, rtl, rtl, pixels, depth);
  tsr::tb::write_text(dir + "/miter.ys", ys);
  return tsr::tb::run_command(fmt::format("cd '{}' && yosys -q -l sat.log miter.ys", dir));
}

TEST(SkipFormal, SkipAndDensePathsMatchTheSpecification) {
  if (std::system("command -v yosys >/dev/null 2>&1") != 0) GTEST_SKIP() << "yosys not installed";
  const std::string dir = formal_variant();
  const auto r = run_formal(dir, "", 2, 14);
  EXPECT_EQ(r.code, 0) << r.output << "\nlog: " << dir << "/sat.log";
  EXPECT_NE(tsr::tb::read_text(dir + "/sat.log").find("SUCCESS"), std::string::npos) << dir << "/sat.log";
}

TEST(SkipFormal, AWrongSpecificationIsCaught) {
  if (std::system("command -v yosys >/dev/null 2>&1") != 0) GTEST_SKIP() << "yosys not installed";
  const std::string dir = formal_variant();
  const auto r = run_formal(dir, "-DTSR_FORMAL_BUG", 2, 14);
  EXPECT_NE(r.code, 0) << "the check passed with a deliberately wrong specification";
  EXPECT_NE(tsr::tb::read_text(dir + "/sat.log").find("FAIL"), std::string::npos) << dir << "/sat.log";
}

}  // namespace

// Whole-accelerator tests of one built-in variant (TSR_TOP_VARIANT): TFLite-semantics layers lowered
// by tsr::dev into command streams and run on the verilated tsr_top, bit-exact against the
// tsr::ref kernels; every error code; CSR behaviour; counters; the hang watchdog.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tessera/dev/program.h"
#include "tessera/gen/config.h"
#include "tessera/ref/gemm.h"
#include "tessera/ref/kernels.h"
#include "tessera/tb/harness.h"
#include "tessera/top/random_layer.h"
#include "tessera/top/top_bench.h"
#include "tsr_memmap.h"
#include "tsr_params.h"
#include TSR_TOP_MODEL_HEADER

namespace {

using tsr::dev::Command;
using tsr::dev::DeviceParams;
using tsr::dev::Program;
using tsr::tb::AxiMemory;
using TopBench = tsr::tb::TopBench<TSR_TOP_MODEL>;
using tsr::tb::TopRun;
namespace ref = tsr::ref;
using tsr::top::random_tensor;

DeviceParams device() {
  DeviceParams p;
  p.rows = TSR_ARRAY_ROWS;
  p.cols = TSR_ARRAY_COLS;
  p.sp_row_bytes = TSR_SP_ROW_BYTES;
  p.sp_rows = TSR_SP_ROWS;
  p.sp_bank_rows = TSR_SP_BANK_ROWS;
  p.sp_banks = TSR_SP_BANKS;
  p.name = TSR_VARIANT;
  p.acc_rows = TSR_ACC_ROWS;
  p.acc_bank_rows = TSR_ACC_BANK_ROWS;
  p.bus_bytes = TSR_DMA_BUS_BYTES;
  p.skip_depth = TSR_SKIP_ENABLE ? TSR_SKIP_DEPTH : 0;
  return p;
}

AxiMemory::Config mem_config(std::mt19937_64& rng) {
  AxiMemory::Config c;
  c.base = 0x1000'0000;
  c.size = 4u << 20;
  c.latency_cycles = static_cast<int>(rng() % 40) + 1;
  c.bytes_per_cycle = TSR_DMA_BUS_BYTES;
  c.ready_percent = (rng() % 2) ? 100 : 60;
  c.seed = rng();
  return c;
}

// Runs a program on the RTL; returns the output tensor and the run status.
struct RtlResult {
  TopRun run;
  ref::QTensor output;
};

RtlResult run_rtl(const Program& p, const AxiMemory::Config& mc, const std::string& wave = "") {
  TopBench bench(mc, wave);
  bench.mem().write(p.dram_base, p.dram);
  bench.set_window(p.window_base(), p.window_limit());
  RtlResult r;
  r.run = bench.run_list(p.region("commands").addr, static_cast<uint32_t>(p.commands.size()));
  const auto& out = p.region("output");
  const auto bytes = bench.mem().read(out.addr, out.size);
  r.output = tsr::dev::output_from_bytes(p, bytes);
  EXPECT_FALSE(bench.mem().written_outside(p.window_base(), p.window_limit()));
  return r;
}


std::vector<int32_t> random_bias(std::mt19937_64& rng, int n) {
  std::uniform_int_distribution<int32_t> d(-20000, 20000);
  std::vector<int32_t> b(static_cast<size_t>(n));
  for (auto& v : b) v = d(rng);
  return b;
}

ref::OutputQuant random_oq(std::mt19937_64& rng, int channels, float acc_scale) {
  std::uniform_real_distribution<float> f(0.5F, 2.0F);
  std::vector<float> fs(static_cast<size_t>(channels));
  for (auto& v : fs) v = f(rng) / acc_scale;
  ref::QuantParams out{1.0F, static_cast<int32_t>(rng() % 41) - 20};
  const auto act = (rng() % 2) ? ref::Activation::Relu : ref::Activation::None;
  return ref::conv_output_quant(1.0F, fs, out, act);
}

// "" when equal, else how many elements differ and the first one.
std::string compare(const ref::QTensor& got, const ref::QTensor& want) {
  if (!(got.shape == want.shape)) {
    return fmt::format("shape {} != {}", ref::to_string(got.shape), ref::to_string(want.shape));
  }
  size_t bad = 0, first = 0;
  for (size_t i = 0; i < want.data.size(); ++i) {
    if (got.data[i] != want.data[i] && bad++ == 0) first = i;
  }
  if (bad == 0) return "";
  return fmt::format("{} of {} elements differ, first at flat index {}: got {} want {}", bad,
                     want.data.size(), first, int(got.data[first]), int(want.data[first]));
}

void expect_same(const ref::QTensor& got, const ref::QTensor& want, const std::string& what) {
  const std::string msg = compare(got, want);
  EXPECT_TRUE(msg.empty()) << what << ": " << msg;
}

// Zero-skip variant (docs/skip.md): every layer runs with skipping on and off.
constexpr bool kSkipVariant = TSR_SKIP_ENABLE != 0;
constexpr uint64_t kBeatMacs =
    uint64_t{TSR_ARRAY_ROWS} * TSR_ARRAY_COLS * (kSkipVariant ? TSR_SKIP_DEPTH : 1);

// ReLU-like activations for the zero-skip variants: a random share (0..95 %) of the elements set
// to the zero point, in runs as after a ReLU. Dense variants keep their inputs.
void zp_heavy(ref::QTensor& t, std::mt19937_64& rng) {
  if (!kSkipVariant) return;
  const int share = static_cast<int>(rng() % 96);
  bool run = false;
  for (auto& v : t.data) {
    if (rng() % 4 == 0) run = static_cast<int>(rng() % 100) < share;
    if (run) v = static_cast<int8_t>(t.zero_point);
  }
}

void check_program_mode(const Program& p, const ref::QTensor& want, std::mt19937_64& rng,
                        const std::string& what);

// Runs a lowered program on the reference device and on the RTL and compares both with `want`.
// A failing RTL run (mismatch, error status, or a hang caught by the watchdog) is repeated with an
// FST wave, whose path and gtkwave command are part of the failure message. On zero-skip variants
// the program runs twice, with MATMUL.skip set and clear.
void check_program(const Program& p, const ref::QTensor& want, std::mt19937_64& rng,
                   const std::string& what) {
  if (!kSkipVariant) {
    check_program_mode(p, want, rng, what);
    return;
  }
  for (const bool skip : {true, false}) {
    Program q = p;
    tsr::dev::set_matmul_skip(q, skip);
    check_program_mode(q, want, rng, what + (skip ? " skip on" : " skip off"));
  }
}

void check_program_mode(const Program& p, const ref::QTensor& want, std::mt19937_64& rng,
                        const std::string& what) {
  const auto dev = tsr::dev::run_program(device(), p, rng());
  ASSERT_TRUE(dev.result.ok()) << what << ": reference device: " << dev.result.summary();
  expect_same(dev.output, want, what + " (reference device)");
  const AxiMemory::Config mc = mem_config(rng);
  std::string stem = fmt::format("top_{}_{}", TSR_TOP_VARIANT, what);
  for (auto& ch : stem) {
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  const std::string msg = tsr::tb::run_with_wave_on_failure(
      stem, "", [&](const std::string& wave) -> std::string {
        const RtlResult rtl = run_rtl(p, mc, wave);
        if (!rtl.run.done) {
          return fmt::format("RTL stopped with error code {} unit {} command {}",
                             rtl.run.err_code, rtl.run.err_unit, rtl.run.err_cmd);
        }
        if (rtl.run.counter(TSR_CNT_CMDS) != p.commands.size()) {
          return fmt::format("CMDS counter {} != {} commands", rtl.run.counter(TSR_CNT_CMDS),
                             p.commands.size());
        }
        if (rtl.run.counter(TSR_CNT_ARRAY_MACS) != rtl.run.counter(TSR_CNT_ARRAY_ROWS) * kBeatMacs) {
          return "ARRAY_MACS != (D)*R*C*ARRAY_ROWS";
        }
        // The skip counters, against the reference device's count from the data (0 if dense).
        if (rtl.run.counter(TSR_CNT_SKIP_CYCLES) != dev.result.total.skip_steps ||
            rtl.run.counter(TSR_CNT_GATED_MACS) != dev.result.total.gated_macs) {
          return fmt::format("SKIP_CYCLES {} GATED_MACS {}, expected {} and {}",
                             rtl.run.counter(TSR_CNT_SKIP_CYCLES),
                             rtl.run.counter(TSR_CNT_GATED_MACS), dev.result.total.skip_steps,
                             dev.result.total.gated_macs);
        }
        // ARRAY_CYCLES: a dense array computes exactly when a vector enters; a skip array issues
        // at most R row-steps a cycle and row 0 at least one step per pixel.
        {
          const uint64_t act = rtl.run.counter(TSR_CNT_ARRAY_CYCLES);
          const uint64_t rows = rtl.run.counter(TSR_CNT_ARRAY_ROWS);
          if (!kSkipVariant && act != rows) {
            return fmt::format("ARRAY_CYCLES {} != ARRAY_ROWS {}", act, rows);
          }
          if (kSkipVariant) {
            const uint64_t steps = rows * kBeatMacs / TSR_ARRAY_COLS - rtl.run.counter(TSR_CNT_SKIP_CYCLES);
            const uint64_t lo = std::max<uint64_t>(rows, (steps + TSR_ARRAY_ROWS - 1) / TSR_ARRAY_ROWS);
            if (act < lo || act > rtl.run.counter(TSR_CNT_CYCLES)) {
              return fmt::format("ARRAY_CYCLES {} outside [{}, CYCLES {}] ({} row-steps, {} vectors)", act,
                                 lo, rtl.run.counter(TSR_CNT_CYCLES), steps, rows);
            }
          }
        }
        if (std::getenv("TSR_DEBUG_SKIP")) fmt::print("{}: cycles {} skip {} gated {} rows {}\n", what, rtl.run.counter(TSR_CNT_CYCLES), rtl.run.counter(TSR_CNT_SKIP_CYCLES), rtl.run.counter(TSR_CNT_GATED_MACS), rtl.run.counter(TSR_CNT_ARRAY_ROWS));
        return compare(rtl.output, want);
      });
  EXPECT_TRUE(msg.empty()) << what << " (RTL): " << msg;
}

class Top : public ::testing::Test {
 protected:
  void SetUp() override {
    seed_ = tsr::tb::test_seed();
    rng_.seed(seed_);
    RecordProperty("seed", std::to_string(seed_));
  }
  uint64_t seed_ = 0;
  std::mt19937_64 rng_;
};

// ---- layers ---------------------------------------------------------------------------------

struct ConvCase {
  int h, w, cin, cout, k, stride;
  ref::Padding pad;
};

// Returns the lowering's mapping of the layer (Program::mapping, empty when plain).
std::string run_conv(const ConvCase& cc, std::mt19937_64& rng) {
  const std::string what = fmt::format("conv {}x{}x{} -> {} k{} s{} {}", cc.h, cc.w, cc.cin,
                                       cc.cout, cc.k, cc.stride,
                                       cc.pad == ref::Padding::Same ? "same" : "valid");
  auto in = random_tensor(rng, {1, cc.h, cc.w, cc.cin}, static_cast<int>(rng() % 21) - 10);
  zp_heavy(in, rng);
  const auto filt = random_tensor(rng, {cc.cout, cc.k, cc.k, cc.cin}, 0, -127, 127);
  const auto bias = random_bias(rng, cc.cout);
  const auto win = ref::make_window(cc.pad, in.shape, cc.k, cc.k, cc.stride, cc.stride);
  const auto oq = random_oq(rng, cc.cout, 60.0F * std::sqrt(float(cc.k * cc.k * cc.cin)));
  const auto want = ref::conv2d(in, filt, bias, win, oq);
  const Program p = tsr::dev::lower_conv2d(device(), "conv", in, filt, bias, win, oq);
  check_program(p, want, rng, what);
  return p.mapping;
}

TEST_F(Top, Conv1x1) {
  for (int i = 0; i < 3; ++i) {
    run_conv({int(rng_() % 6) + 2, int(rng_() % 6) + 2, int(rng_() % 20) + 1,
              int(rng_() % 20) + 1, 1, 1, ref::Padding::Valid},
             rng_);
  }
  // Strided: the LOADs pick every stride-th pixel (cin below, equal to and above R, ragged).
  const int R = TSR_ARRAY_ROWS;
  for (const int cin : {std::max(1, R - 1), R, 2 * R + 1}) {
    run_conv({int(rng_() % 6) + 5, int(rng_() % 6) + 5, cin, int(rng_() % 20) + 1, 1,
              int(rng_() % 2) + 2, (rng_() % 2) ? ref::Padding::Same : ref::Padding::Valid},
             rng_);
  }
}

TEST_F(Top, Conv3x3Stride1Same) {
  for (int i = 0; i < 2; ++i) {
    run_conv({int(rng_() % 6) + 3, int(rng_() % 6) + 3, int(rng_() % 18) + 1,
              int(rng_() % 18) + 1, 3, 1, ref::Padding::Same},
             rng_);
  }
}

// One chunk of input channels (cin <= R): on zero-skip variants of depth D a pass covers the taps
// (ky, kx .. kx+D-1) (tap groups, docs/skip.md); two chunks (R < cin <= 2R) on depth-4 variants
// cover two taps; odd and even kernel widths, strides, padding.
TEST_F(Top, ConvOneChunkTapPairs) {
  const int R = TSR_ARRAY_ROWS;
  run_conv({7, 6, R, int(rng_() % 10) + 1, 3, 1, ref::Padding::Same}, rng_);
  run_conv({6, 9, int(rng_() % R) + 1, int(rng_() % 10) + 1, 2, 1, ref::Padding::Same}, rng_);
  run_conv({9, 10, int(rng_() % R) + 1, int(rng_() % 10) + 1, 5, 2, ref::Padding::Same}, rng_);
  run_conv({8, 7, int(rng_() % R) + 1, int(rng_() % 10) + 1, 3, 2, ref::Padding::Valid}, rng_);
  run_conv({7, 6, 2 * R, int(rng_() % 10) + 1, 3, 1, ref::Padding::Same}, rng_);
  run_conv({6, 7, R + 1 + int(rng_() % R), int(rng_() % 10) + 1, 3, 2, ref::Padding::Valid}, rng_);
  run_conv({5, 9, R + 1 + int(rng_() % R), int(rng_() % 10) + 1, 5, 1, ref::Padding::Same}, rng_);
}

TEST_F(Top, Conv3x3Stride2) {
  run_conv({9, 8, int(rng_() % 10) + 3, int(rng_() % 10) + 3, 3, 2, ref::Padding::Same}, rng_);
  run_conv({9, 7, int(rng_() % 10) + 3, int(rng_() % 10) + 3, 3, 2, ref::Padding::Valid}, rng_);
}

TEST_F(Top, Conv5x5) {
  run_conv({7, 6, int(rng_() % 6) + 1, int(rng_() % 10) + 1, 5, 1, ref::Padding::Same}, rng_);
  run_conv({9, 9, int(rng_() % 6) + 1, int(rng_() % 10) + 1, 5, 2, ref::Padding::Valid}, rng_);
}

TEST_F(Top, NarrowInputConvFoldsTheKernelWidth) {
  // cin * k <= R: interior columns run the folded kernel (k_h passes), edge columns two taps per
  // kernel row. SAME with symmetric and with right-only padding (stride 2, even width), VALID.
  const int R = TSR_ARRAY_ROWS;
  const int k = R >= 3 ? 3 : 2;
  const int cin = std::max(1, R / k);
  // Output channels: random, and C / 2 and C / 4, where one folded row serves 2 or more
  // neighbouring outputs (G * cout array columns).
  const int C = TSR_ARRAY_COLS;
  const ConvCase cases[] = {{9, 11, cin, int(rng_() % 18) + 1, k, 1, ref::Padding::Same},
                            {10, 12, cin, int(rng_() % 18) + 1, k, 2, ref::Padding::Same},
                            {7, 10, std::max(1, cin - 1), int(rng_() % 18) + 1, k, 1,
                             ref::Padding::Valid},
                            {9, 40, 1, std::max(1, C / 2), k, 1, ref::Padding::Same},
                            {12, 40, std::min(3, cin), std::max(1, C / 4), k, 2,
                             ref::Padding::Same}};
  // Thin inputs map either way: k_w folded, or width folded where that estimate halves the passes
  // (random shapes); the two 40-pixel-wide cases are k_w folded.
  int kw_folded = 0;
  for (const auto& cc : cases) {
    const std::string m = run_conv(cc, rng_);
    // (zero-skip variants fold too: edge taps as one tap group from the mirrored copies, docs/skip.md)
    EXPECT_TRUE(m.starts_with("k_w folded") || m.starts_with("width folded"))
        << "plainly lowered: " << cc.h << "x" << cc.w << "x" << cc.cin << " k" << cc.k << " s"
        << cc.stride;
    kw_folded += m.starts_with("k_w folded") ? 1 : 0;
  }
  EXPECT_GE(kw_folded, 2);
}

TEST_F(Top, DepthwiseConv) {
  // k_w <= 3 runs as the execute unit's row FIR, wider kernels per tap: both, strides 1 and 2.
  const int kernels[][2] = {{3, 3}, {1, 3}, {3, 1}, {2, 2}, {3, 2}, {5, 5}, {2, 4}};
  for (const auto& k : kernels) {
    const int s = int(rng_() % 2) + 1;
    const int c = int(rng_() % 20) + 1;
    const int h = int(rng_() % 5) + 5, w = int(rng_() % 9) + 5;
    const auto pad = (rng_() % 2) ? ref::Padding::Same : ref::Padding::Valid;
    const auto in = random_tensor(rng_, {1, h, w, c}, static_cast<int>(rng_() % 21) - 10);
    const auto filt = random_tensor(rng_, {1, k[0], k[1], c}, 0, -127, 127);
    const auto bias = random_bias(rng_, c);
    const auto win = ref::make_window(pad, in.shape, k[0], k[1], s, s);
    const auto oq = random_oq(rng_, c, 60.0F * std::sqrt(float(k[0] * k[1])));
    const auto want = ref::depthwise_conv2d(in, filt, bias, 1, win, oq);
    const Program p =
        tsr::dev::lower_depthwise_conv2d(device(), "dw", in, filt, bias, 1, win, oq);
    check_program(p, want, rng_,
                  fmt::format("depthwise {}x{}x{} k{}x{} s{} {}", h, w, c, k[0], k[1], s,
                              pad == ref::Padding::Same ? "same" : "valid"));
  }  // Many channels on a large image: the lowering loads the channel blocks in groups (the tiles
  // of all blocks would not fit full-width bands on the small variants).
  const auto in = random_tensor(rng_, {1, 14, 13, 45}, -3);
  const auto filt = random_tensor(rng_, {1, 3, 3, 45}, 0, -127, 127);
  const auto bias = random_bias(rng_, 45);
  const auto win = ref::make_window(ref::Padding::Same, in.shape, 3, 3, 1, 1);
  const auto oq = random_oq(rng_, 45, 180.0F);
  check_program(tsr::dev::lower_depthwise_conv2d(device(), "dw", in, filt, bias, 1, win, oq),
                ref::depthwise_conv2d(in, filt, bias, 1, win, oq), rng_,
                "depthwise 14x13x45 k3x3 s1 same");
}

// Rows the vector lanes take for one VECTOR (VECTOR_OPS counts C per row), as docs/architecture.md
// describes the walks: the three-row FIR (3-row kernel, stride_h 1 or 2, mirrored input, a row
// span of 2 .. memory.dw_line_px pixels) walks out_h + 1 rows of the span once; the two-row FIR
// ceil(k_h / 2) passes of out_h spans; the one-row FIR k_h passes; the per-tap walk k_h * k_w
// passes of out_h * out_w pixels.
uint64_t vector_lane_rows(const Command& c) {
  using tsr::dev::field;
  const int64_t kh = field(c, "k_h"), kw = field(c, "k_w"), oh = field(c, "out_h");
  const int64_t ow = field(c, "out_w"), sh = field(c, "stride_h"), sw = field(c, "stride_w");
  const bool dw = field(c, "vmode") == tsr::dev::value(tsr::dev::VectorMode::Dw);
  const bool fir = dw && kw <= 3 && ow < 4096;
  const bool mirror = field(c, "mirror") != 0;
  const int64_t span = (ow - 1) * sw + kw;
  int64_t rows = kh * kw * oh * ow;
  if (fir && mirror && kh == 3 && (sh == 1 || sh == 2) && span >= 2 &&
      span <= TSR_MEMORY_DW_LINE_PX) {
    rows = (oh + 1) * span;
  } else if (fir && mirror) {
    rows = (kh + 1) / 2 * oh * span;
  } else if (fir) {
    rows = kh * oh * span;
  }
  return static_cast<uint64_t>(rows);
}

// The three-row FIR against the line buffer's size: row spans just inside and just past
// memory.dw_line_px, strides 1 and 2, SAME (padded first row) and VALID (a real first row, read
// by the priming row), 3x3 / 3x2 / 3x1 kernels. Bit-exact, and the lanes' row count shows which
// walk ran.
TEST_F(Top, DepthwiseThreeRowFir) {
  using tsr::dev::field;
  const int L = TSR_MEMORY_DW_LINE_PX;
  struct Case {
    int h, w, c, kw, s;
    ref::Padding pad;
  };
  std::vector<Case> cases = {{7, 9, 5, 3, 1, ref::Padding::Valid},
                             {8, 6, 3, 3, 2, ref::Padding::Same},
                             {6, 7, 4, 2, 1, ref::Padding::Same},
                             {5, 4, 2, 1, 2, ref::Padding::Valid},
                             {3, 5, 2, 3, 1, ref::Padding::Same}};
  if (L >= 4) {
    cases.push_back({4, L - 2, 3, 3, 1, ref::Padding::Same});   // span L: three-row FIR
    cases.push_back({4, L - 1, 3, 3, 1, ref::Padding::Same});   // span L + 1: two passes
    cases.push_back({5, L, 2, 3, 2, ref::Padding::Valid});      // s2: span L - 1 or L
  }
  int three_row = 0;
  for (const auto& cc : cases) {
    const auto in = random_tensor(rng_, {1, cc.h, cc.w, cc.c}, static_cast<int>(rng_() % 21) - 10);
    const auto filt = random_tensor(rng_, {1, 3, cc.kw, cc.c}, 0, -127, 127);
    const auto bias = random_bias(rng_, cc.c);
    const auto win = ref::make_window(cc.pad, in.shape, 3, cc.kw, cc.s, cc.s);
    const auto oq = random_oq(rng_, cc.c, 60.0F * std::sqrt(float(3 * cc.kw)));
    const auto want = ref::depthwise_conv2d(in, filt, bias, 1, win, oq);
    const Program p = tsr::dev::lower_depthwise_conv2d(device(), "dw", in, filt, bias, 1, win, oq);
    const std::string what = fmt::format("depthwise {}x{}x{} k3x{} s{} {}", cc.h, cc.w, cc.c, cc.kw,
                                         cc.s, cc.pad == ref::Padding::Same ? "same" : "valid");
    uint64_t rows = 0;
    for (const Command& c : p.commands) {
      if (std::string(tsr::dev::spec_of(c).name) != "VECTOR") continue;
      rows += vector_lane_rows(c);
      const int64_t span = (field(c, "out_w") - 1) * field(c, "stride_w") + field(c, "k_w");
      if (field(c, "mirror") != 0 && span <= L) ++three_row;
    }
    const RtlResult rtl = run_rtl(p, mem_config(rng_));
    ASSERT_TRUE(rtl.run.done) << what << ": error " << rtl.run.err_code;
    EXPECT_EQ(compare(rtl.output, want), "") << what;
    EXPECT_EQ(rtl.run.counter(TSR_CNT_VECTOR_OPS), rows * TSR_ARRAY_COLS) << what;
  }
  if (TSR_SP_BANKS >= 2 && L >= 2) EXPECT_GE(three_row, 4);  // the mirrored walks did run
}

// Port a (activations) and port w (weights) on the same scratchpad bank. The lowering keeps them
// in different banks, so no other test makes them collide; here it is told the scratchpad is one
// bank, and an input of about 1.3 banks reaches into the bank the weights are read from. On a
// collision port w wins and the execute unit's walker asks for port a again in a later cycle
// (tsr_spad, tsr_ex: the walker requests port a only when it wins). Dense variants (the zero-skip
// lowering needs the real bank count).
TEST_F(Top, ConvWithScratchpadBankConflicts) {
  if (TSR_SP_BANKS < 2 || kSkipVariant) GTEST_SKIP() << "needs two banks and a dense array";
  DeviceParams one_bank = device();
  one_bank.sp_banks = 1;
  one_bank.sp_bank_rows = TSR_SP_ROWS;
  const int R = TSR_ARRAY_ROWS;
  // one chunk (one scratchpad row) per pixel: side * side pixels = about 1.3 banks of rows
  const int side = static_cast<int>(std::sqrt(1.3 * TSR_SP_BANK_ROWS)) + 1;
  const int cout = int(rng_() % 8) + 2;
  auto in = random_tensor(rng_, {1, side, side, R}, static_cast<int>(rng_() % 21) - 10);
  zp_heavy(in, rng_);
  const auto filt = random_tensor(rng_, {cout, 3, 3, R}, 0, -127, 127);
  const auto bias = random_bias(rng_, cout);
  const auto win = ref::make_window(ref::Padding::Same, in.shape, 3, 3, 1, 1);
  const auto oq = random_oq(rng_, cout, 60.0F * std::sqrt(float(9 * R)));
  const Program p = tsr::dev::lower_conv2d(one_bank, "conv", in, filt, bias, win, oq);
  check_program(p, ref::conv2d(in, filt, bias, win, oq), rng_,
                fmt::format("conv {}x{}x{} -> {} k3 s1 one-bank lowering", side, side, R, cout));
}

TEST_F(Top, FullyConnected) {
  for (int i = 0; i < 2; ++i) {
    const int k = int(rng_() % 60) + 1, o = int(rng_() % 20) + 1, rows = int(rng_() % 3) + 1;
    auto in = random_tensor(rng_, {rows, 1, 1, k}, static_cast<int>(rng_() % 21) - 10);
    zp_heavy(in, rng_);
    const auto filt = random_tensor(rng_, {o, 1, 1, k}, 0, -127, 127);
    const auto bias = random_bias(rng_, o);
    const auto oq = random_oq(rng_, o, 60.0F * std::sqrt(float(k)));
    const auto want = ref::fully_connected(in, filt, bias, oq);
    const Program p = tsr::dev::lower_fully_connected(device(), "fc", in, filt, bias, oq);
    check_program(p, want, rng_, fmt::format("fc {}x{} -> {}", rows, k, o));
  }
}

TEST_F(Top, AveragePool) {
  const int c = int(rng_() % 20) + 1;
  const auto in = random_tensor(rng_, {1, 8, 6, c}, 3);
  auto pp = ref::make_pool_params(ref::Padding::Valid, in.shape, 2, 3, 2, 1);
  check_program(tsr::dev::lower_average_pool2d(device(), "avg", in, pp),
                ref::average_pool2d(in, pp), rng_, "avgpool 2x3");
  // Global average pool (ResNet-8 / DS-CNN style).
  pp = ref::make_pool_params(ref::Padding::Valid, in.shape, 8, 6, 1, 1, {-100, 100});
  check_program(tsr::dev::lower_average_pool2d(device(), "gap", in, pp),
                ref::average_pool2d(in, pp), rng_, "global avgpool");
}

TEST_F(Top, MaxPool) {
  const int c = int(rng_() % 20) + 1;
  const auto in = random_tensor(rng_, {1, 7, 7, c}, -5);
  for (auto pad : {ref::Padding::Valid, ref::Padding::Same}) {
    const auto pp = ref::make_pool_params(pad, in.shape, 3, 3, 2, 2);
    check_program(tsr::dev::lower_max_pool2d(device(), "max", in, pp), ref::max_pool2d(in, pp),
                  rng_, "maxpool 3x3 s2");
  }
}

TEST_F(Top, Add) {
  const int c = int(rng_() % 30) + 1;
  const auto a = random_tensor(rng_, {1, 5, 4, c}, 7);
  const auto b = random_tensor(rng_, {1, 5, 4, c}, -12);
  const auto ap = ref::add_params({0.05F, 7}, {0.08F, -12}, {0.1F, 3}, ref::Activation::Relu);
  check_program(tsr::dev::lower_add(device(), "add", a, b, ap), ref::add(a, b, ap), rng_, "add");
}

// STORE gather (hand-built commands): element k of DRAM row i from accumulator row k * rows + i
// with parameter set (pset + k) mod 4, here starting at set 3 so the sets wrap. The accumulator
// rows come from a VECTOR sum of random int8 rows; the expected bytes are computed here with the
// reference requantization, per set.
TEST_F(Top, StoreGatherRotatesParameterSets) {
  constexpr uint64_t kB = 0x1000'0000, kLim = 0x1004'0000;
  const int C = TSR_ARRAY_COLS, S = TSR_SP_ROW_BYTES, sets = tsr::gen::isa::kParamSets;
  const int wr = (4 * C + S - 1) / S, prow = 2 * wr + 1;  // PARAMS layout (docs/commands.md)
  for (const int k_per_row : {2, 3}) {
    const int M = 5;                   // pixels (DRAM rows)
    const int n = M * k_per_row;       // accumulator rows
    const int first_set = 3;
    std::vector<int8_t> x(static_cast<size_t>(n * S));
    for (auto& v : x) v = static_cast<int8_t>(rng_() % 256);
    struct Set {
      std::vector<int32_t> bias, mult;
      std::vector<int8_t> shift;
    };
    std::vector<Set> ps(static_cast<size_t>(sets));
    std::vector<uint8_t> pbytes(static_cast<size_t>(sets * prow * S), 0);
    for (int s = 0; s < sets; ++s) {
      Set& q = ps[static_cast<size_t>(s)];
      for (int l = 0; l < C; ++l) {
        q.bias.push_back(static_cast<int32_t>(rng_() % 2001) - 1000);
        q.mult.push_back(static_cast<int32_t>((1u << 30) + rng_() % (1u << 30)));
        q.shift.push_back(static_cast<int8_t>(-static_cast<int>(rng_() % 8)));
        for (int b = 0; b < 4; ++b) {
          const size_t off = static_cast<size_t>(s * prow * S + 4 * l + b);
          pbytes[off] = static_cast<uint8_t>(static_cast<uint32_t>(q.bias.back()) >> (8 * b));
          pbytes[off + static_cast<size_t>(wr * S)] =
              static_cast<uint8_t>(static_cast<uint32_t>(q.mult.back()) >> (8 * b));
        }
        pbytes[static_cast<size_t>(s * prow * S + 2 * wr * S + l)] =
            static_cast<uint8_t>(q.shift.back());
      }
    }
    const int32_t zp = static_cast<int32_t>(rng_() % 21) - 10;
    TopBench bench(mem_config(rng_));
    bench.mem().fill_random(kB, kLim - kB);
    bench.mem().write(kB + 0x1000, std::vector<uint8_t>(x.begin(), x.end()));
    bench.mem().write(kB + 0x4000, pbytes);
    bench.set_window(kB, kLim);
    std::vector<Command> cmds;
    tsr::dev::LoadFields ld;
    ld.dram_addr = kB + 0x1000;
    ld.dram_stride = static_cast<uint64_t>(n * S);
    ld.rows = 1;
    ld.row_bytes = n * S;
    ld.elem_bytes = S;
    cmds.push_back(tsr::dev::load(ld));
    const int pbase = n;
    ld.dram_addr = kB + 0x4000;
    ld.dram_stride = static_cast<uint64_t>(pbytes.size());
    ld.row_bytes = static_cast<int64_t>(pbytes.size());
    ld.sp_addr = pbase;
    cmds.push_back(tsr::dev::load(ld));
    cmds.push_back(tsr::dev::fence());
    tsr::dev::VectorFields vf;
    vf.mode = tsr::dev::VectorMode::Sum;
    vf.win.in_w = vf.win.out_w = n;
    cmds.push_back(tsr::dev::vector(vf));
    for (int s = 0; s < sets; ++s) cmds.push_back(tsr::dev::params({.pset = s, .sp_addr = pbase + s * prow}));
    cmds.push_back(tsr::dev::fence());
    tsr::dev::StoreFields sf;
    sf.pset = first_set;
    sf.gather = true;
    sf.dram_addr = kB + 0x8000;
    sf.dram_stride = static_cast<uint64_t>(k_per_row * C + 3);
    sf.rows = M;
    sf.row_bytes = k_per_row * C;
    sf.elem_bytes = C;
    sf.out_zp = zp;
    cmds.push_back(tsr::dev::store(sf));
    cmds.push_back(tsr::dev::fence());
    bench.mem().write(kB + 0x100, tsr::dev::to_bytes(cmds));
    const TopRun r = bench.run_list(kB + 0x100, static_cast<uint32_t>(cmds.size()));
    ASSERT_TRUE(r.done) << "error " << r.err_code;
    for (int i = 0; i < M; ++i) {
      const auto got = bench.mem().read(sf.dram_addr + static_cast<uint64_t>(i) * sf.dram_stride,
                                        static_cast<size_t>(k_per_row * C));
      for (int k = 0; k < k_per_row; ++k) {
        const Set& q = ps[static_cast<size_t>((first_set + k) % sets)];
        for (int l = 0; l < C; ++l) {
          const int32_t a = x[static_cast<size_t>((k * M + i) * S + l)];
          const ref::Requant rq{q.mult[static_cast<size_t>(l)], q.shift[static_cast<size_t>(l)],
                                zp, -128, 127};
          const int want = ref::requantize(ref::wrap_add(a, q.bias[static_cast<size_t>(l)]), rq);
          EXPECT_EQ(static_cast<int8_t>(got[static_cast<size_t>(k * C + l)]), want)
              << "elements " << k_per_row << " row " << i << " element " << k << " lane " << l;
        }
      }
    }
  }
}

// ---- CSRs ---------------------------------------------------------------------------------------

TEST_F(Top, CsrIdentityWindowAndData) {
  TopBench bench(mem_config(rng_));
  EXPECT_EQ(bench.read_csr(TSR_CSR_ID), TSR_ID_VALUE);
  const std::string hash = TSR_CONFIG_HASH;
  EXPECT_EQ(bench.read_csr(TSR_CSR_HASH), std::stoull(hash.substr(8), nullptr, 16) & 0x7fffffffu);
  bench.set_window(0x1000'0003, 0x1000'1fff);
  EXPECT_EQ(bench.read_csr(TSR_CSR_WIN_BASE), 0x1000'0000u & ~uint32_t(TSR_DMA_BUS_BYTES - 1));
  EXPECT_EQ(bench.read_csr(TSR_CSR_WIN_LIMIT), 0x1000'1fffu & ~uint32_t(TSR_DMA_BUS_BYTES - 1));
  for (uint32_t i = 0; i < 8; ++i) bench.write_csr(TSR_CSR_CMD_DATA0 + 4 * i, 0x1111'0000u * i + i);
  for (uint32_t i = 0; i < 8; ++i) {
    EXPECT_EQ(bench.read_csr(TSR_CSR_CMD_DATA0 + 4 * i), 0x1111'0000u * i + i);
  }
  EXPECT_EQ(bench.read_csr(0xFFC), 0u);  // unmapped
  EXPECT_EQ(bench.read_csr(TSR_CSR_STATUS) & 0x7u, 0u);
}

// A conv layer pushed command by command over CSRs instead of fetched from DRAM.
TEST_F(Top, CommandsPushedOverCsrs) {
  const auto in = random_tensor(rng_, {1, 4, 4, 3}, 2);
  const auto filt = random_tensor(rng_, {5, 3, 3, 3}, 0, -127, 127);
  const auto bias = random_bias(rng_, 5);
  const auto win = ref::make_window(ref::Padding::Same, in.shape, 3, 3, 1, 1);
  const auto oq = random_oq(rng_, 5, 60.0F * 5.0F);
  const Program p = tsr::dev::lower_conv2d(device(), "conv", in, filt, bias, win, oq);
  TopBench bench(mem_config(rng_));
  bench.mem().write(p.dram_base, p.dram);
  bench.set_window(p.window_base(), p.window_limit());
  for (const Command& c : p.commands) {
    for (uint32_t i = 0; i < 8; ++i) bench.write_csr(TSR_CSR_CMD_DATA0 + 4 * i, c[i]);
    bench.write_csr(TSR_CSR_CMD_PUSH, 1);
  }
  const TopRun r = bench.wait_finish();
  ASSERT_TRUE(r.done) << "error " << r.err_code;
  EXPECT_EQ(bench.read_csr(TSR_CSR_CMD_RETIRED), p.commands.size());
  const auto& out = p.region("output");
  expect_same(tsr::dev::output_from_bytes(p, bench.mem().read(out.addr, out.size)),
              ref::conv2d(in, filt, bias, win, oq), "pushed conv");
}

// ---- errors -------------------------------------------------------------------------------------

constexpr uint64_t kBase = 0x1000'0000;
constexpr uint64_t kLimit = 0x1004'0000;

struct ErrCase {
  const char* name;
  uint32_t code;
  uint32_t unit;
};

// Runs `cmds` (placed at kBase + 0x100) with the window [kBase, kLimit); expects an error.
TopRun run_error(std::mt19937_64& rng, const std::vector<Command>& cmds,
                 uint64_t error_lo = 0, uint64_t error_hi = 0, bool irq = true) {
  TopBench bench(mem_config(rng));
  bench.mem().fill_random(kBase, kLimit - kBase);
  const auto bytes = tsr::dev::to_bytes(cmds);
  bench.mem().write(kBase + 0x100, bytes);
  if (error_hi > error_lo) bench.mem().add_error_range(error_lo, error_hi);
  bench.set_window(kBase, kLimit);
  if (irq) bench.write_csr(TSR_CSR_IRQ_EN, 7);
  TopRun r = bench.run_list(kBase + 0x100, static_cast<uint32_t>(cmds.size()));
  EXPECT_FALSE(bench.mem().written_outside(kBase, kLimit));
  // The halt is clean: nothing else starts and the accelerator stays quiet.
  const uint64_t reads = bench.mem().stats().read_beats, writes = bench.mem().stats().write_beats;
  for (int i = 0; i < 2000; ++i) bench.step();
  EXPECT_EQ(bench.mem().stats().read_beats, reads);
  EXPECT_EQ(bench.mem().stats().write_beats, writes);
  EXPECT_EQ(bench.read_csr(TSR_CSR_STATUS) & 4u, 4u);
  EXPECT_EQ(bench.read_csr(TSR_CSR_IRQ) & 2u, 2u);
  return r;
}

tsr::dev::LoadFields good_load() {
  tsr::dev::LoadFields l;
  l.dram_addr = kBase + 0x1000;
  l.dram_stride = TSR_SP_ROW_BYTES;
  l.rows = 4;
  l.row_bytes = TSR_SP_ROW_BYTES;
  l.elem_bytes = TSR_SP_ROW_BYTES;
  return l;
}

tsr::dev::StoreFields good_store() {
  tsr::dev::StoreFields s;
  s.mode = tsr::dev::StoreMode::Raw;
  s.dram_addr = kBase + 0x8000;
  s.dram_stride = 4 * TSR_ARRAY_COLS;
  s.rows = 2;
  s.row_bytes = 4 * TSR_ARRAY_COLS;
  s.elem_bytes = 4 * TSR_ARRAY_COLS;
  return s;
}

void expect_error(const TopRun& r, const char* code_name, uint32_t unit, uint32_t cmd) {
  const auto code = static_cast<uint32_t>(tsr::gen::isa::enum_value("error", code_name));
  EXPECT_TRUE(r.error);
  EXPECT_FALSE(r.done);
  EXPECT_EQ(r.err_code, code) << "expected error " << code_name;
  EXPECT_EQ(r.err_unit, unit) << code_name;
  EXPECT_EQ(r.err_cmd, cmd) << code_name;
  EXPECT_TRUE(r.irq) << code_name;
}

TEST_F(Top, ErrorIllegalOpcodeAndEscape) {
  Command bad{};
  bad[0] = 0x3f;
  expect_error(run_error(rng_, {tsr::dev::load(good_load()), bad}), "illegal_opcode", 0, 1);
  // With an escape core that was never started the ESCAPE fails with core_halted (test_escape.cpp
  // has the rest); without one, with no_core.
  expect_error(run_error(rng_, {tsr::dev::escape()}), TSR_CORE_ENABLE ? "core_halted" : "no_core",
               0, 0);
}

TEST_F(Top, ErrorDmaWindow) {
  auto l = good_load();
  l.dram_addr = kLimit - 3 * TSR_SP_ROW_BYTES - 1;  // the last row ends one byte past the limit
  expect_error(run_error(rng_, {tsr::dev::load(l)}), "dma_window", 1, 0);
  auto s = good_store();
  s.dram_addr = kBase - 1;
  expect_error(run_error(rng_, {tsr::dev::fence(), tsr::dev::store(s)}), "dma_window", 3, 1);
}

TEST_F(Top, ErrorScratchpadAndAccumulatorRange) {
  auto l = good_load();
  l.sp_addr = TSR_SP_ROWS - 3;  // 4 rows from here pass the end
  expect_error(run_error(rng_, {tsr::dev::load(l)}), "sp_range", 1, 0);
  tsr::dev::MatmulFields m;
  m.acc_addr = TSR_ACC_ROWS - 1;
  m.win.out_w = 2;
  m.win.in_w = 2;
  expect_error(run_error(rng_, {tsr::dev::matmul(m)}), "acc_range", 2, 0);
  auto s = good_store();
  s.acc_addr = TSR_ACC_ROWS - 1;
  expect_error(run_error(rng_, {tsr::dev::store(s)}), "acc_range", 3, 0);
}

TEST_F(Top, ErrorBadFieldAndTokens) {
  auto l = good_load();
  l.row_bytes = TSR_SP_ROW_BYTES + 1;  // not a multiple of elem_bytes (unless 1 byte rows)
  l.elem_bytes = 2;
  if (TSR_SP_ROW_BYTES < 2) l.elem_bytes = 1;
  if ((TSR_SP_ROW_BYTES + 1) % l.elem_bytes != 0) {
    expect_error(run_error(rng_, {tsr::dev::load(l)}), "bad_field", 1, 0);
  }
  tsr::dev::MatmulFields m;
  m.win.stride_h = 0;
  expect_error(run_error(rng_, {tsr::dev::matmul(m)}), "bad_field", 2, 0);
  auto l2 = good_load();
  l2.tokens.pop_prev = true;  // the load unit has no previous unit
  expect_error(run_error(rng_, {tsr::dev::load(l2)}), "token", 1, 0);
}

// Two LOADs overlap (the second is checked and its descriptor issued while the first's data
// arrives); an error still names its own command: a check or window error of the second waits for
// the first, and an AXI error in the first's data names the first, not the LOAD behind it.
TEST_F(Top, ErrorsOfOverlappedLoadsNameTheirCommand) {
  auto first = good_load();
  first.rows = std::min<int64_t>(64, TSR_SP_ROWS / 2);
  first.dram_addr = kBase + 0x4000;
  first.sp_addr = 0;
  auto second = good_load();
  second.sp_addr = first.rows;
  {
    auto l = second;
    l.dram_addr = kLimit - 3 * TSR_SP_ROW_BYTES - 1;
    expect_error(run_error(rng_, {tsr::dev::load(first), tsr::dev::load(l)}), "dma_window", 1, 1);
  }
  {
    auto l = second;
    l.sp_addr = TSR_SP_ROWS - 3;
    expect_error(run_error(rng_, {tsr::dev::load(first), tsr::dev::load(l)}), "sp_range", 1, 1);
  }
  if (TSR_SP_ROW_BYTES >= 3) {  // through the divider: 3-byte elements, 10-byte rows
    auto l = second;
    l.elem_bytes = 3;
    l.row_bytes = 10;
    expect_error(run_error(rng_, {tsr::dev::load(first), tsr::dev::load(l)}), "bad_field", 1, 1);
  }
  {
    const uint64_t bad = first.dram_addr + static_cast<uint64_t>(first.rows - 8) * first.dram_stride;
    expect_error(run_error(rng_, {tsr::dev::load(first), tsr::dev::load(second), tsr::dev::load(second)},
                           bad, bad + 1),
                 "axi_read", 1, 0);
  }
}

// Weight look-ahead: a MATMUL behind a MATMUL is taken while the first one still streams (its
// first weight tile goes to the array early), but it is checked only once the first is through.
// Its errors still name it, not the first one nor the command queued behind it, and the halt
// stays clean (run_error: nothing moves afterwards). A second MATMUL whose first weight tile would leave the scratchpad is not
// taken early; its range error is the plain one.
TEST_F(Top, ErrorsOfLookAheadMatmulsNameTheirCommand) {
  tsr::dev::MatmulFields first;
  first.w_addr = TSR_SP_ROWS / 2;
  first.win.in_h = first.win.in_w = 8;
  first.win.k_h = first.win.k_w = 3;
  first.win.out_h = first.win.out_w = 6;
  auto run = [&](const tsr::dev::MatmulFields& second) {
    return run_error(rng_, {tsr::dev::matmul(first), tsr::dev::matmul(second),
                            tsr::dev::matmul(first)});
  };
  {
    auto m = first;
    m.win.stride_h = 0;
    expect_error(run(m), "bad_field", 2, 1);
  }
  {
    auto m = first;
    m.acc_addr = TSR_ACC_ROWS - 1;
    expect_error(run(m), "acc_range", 2, 1);
  }
  {
    auto m = first;
    m.in_addr = TSR_SP_ROWS - 3;
    expect_error(run(m), "sp_range", 2, 1);
  }
  {
    auto m = first;
    m.w_addr = TSR_SP_ROWS - 2;
    expect_error(run(m), "sp_range", 2, 1);
  }
}

// Mirror misuse: a mirrored LOAD or dual-row VECTOR whose rows cross a bank boundary
// (sp_range), mirror on a VECTOR that is not a depthwise row FIR (bad_field). The reference
// device must report the same errors.
TEST_F(Top, ErrorMirror) {
  if (TSR_SP_BANKS < 2) GTEST_SKIP() << "one scratchpad bank: no mirror";
  auto ref_error = [&](const Command& c) {
    tsr::dev::RefDevice dev(device(), kBase, kLimit - kBase);
    return dev.run({c}, 1).error;
  };
  auto l = good_load();
  l.mirror = true;
  l.sp_addr = TSR_SP_BANK_ROWS - 2;  // rows 2 and 3 fall into the next bank
  expect_error(run_error(rng_, {tsr::dev::load(l)}), "sp_range", 1, 0);
  EXPECT_EQ(ref_error(tsr::dev::load(l)), "sp_range");
  l.sp_addr = TSR_SP_BANK_ROWS - 4;  // the last four rows of bank 0: fine
  EXPECT_EQ(ref_error(tsr::dev::load(l)), "none");

  tsr::dev::VectorFields v;
  v.mode = tsr::dev::VectorMode::Sum;
  v.mirror = true;
  v.win.k_h = 3;
  v.win.k_w = 3;
  v.win.in_h = v.win.in_w = v.win.out_h = v.win.out_w = 4;
  expect_error(run_error(rng_, {tsr::dev::vector(v)}), "bad_field", 2, 0);
  EXPECT_EQ(ref_error(tsr::dev::vector(v)), "bad_field");
  v.mode = tsr::dev::VectorMode::Dw;
  v.win.k_w = 4;  // not a row FIR
  expect_error(run_error(rng_, {tsr::dev::vector(v)}), "bad_field", 2, 0);
  EXPECT_EQ(ref_error(tsr::dev::vector(v)), "bad_field");
  v.win.k_w = 3;
  v.in_addr = TSR_SP_BANK_ROWS - 8;  // 16 input pixels from here cross into the next bank
  expect_error(run_error(rng_, {tsr::dev::vector(v)}), "sp_range", 2, 0);
  EXPECT_EQ(ref_error(tsr::dev::vector(v)), "sp_range");
}

TEST_F(Top, ErrorAxiResponses) {
  expect_error(run_error(rng_, {tsr::dev::load(good_load())}, kBase + 0x1000, kBase + 0x1001),
               "axi_read", 1, 0);
  expect_error(run_error(rng_, {tsr::dev::store(good_store())}, kBase + 0x8000, kBase + 0x8001),
               "axi_write", 3, 0);
  // A STORE completes once its data is out; the next one may run while the first one's write
  // responses are still coming back. The error response still names the first STORE.
  auto later = good_store();
  later.dram_addr = kBase + 0x9000;
  expect_error(run_error(rng_, {tsr::dev::store(good_store()), tsr::dev::store(later)},
                         kBase + 0x8000, kBase + 0x8001),
               "axi_write", 3, 0);
  // A fetch that fails: the command list itself lies in an error range.
  expect_error(run_error(rng_, {tsr::dev::fence()}, kBase + 0x100, kBase + 0x101), "axi_read", 0,
               0);
}

// The command fetch keeps two blocks of four in flight: the second block's AR goes out before
// the first block's data is back, so a list of FENCEs (no LOADs: every read is a fetch) shows two
// read bursts outstanding. A read error in the second block stops the list after the first
// block's four commands have retired, and names the fetch at command 4.
TEST_F(Top, CommandFetchOverlapsTwoBlocks) {
  AxiMemory::Config mc = mem_config(rng_);
  mc.latency_cycles = std::max(mc.latency_cycles, 16);
  {
    TopBench bench(mc);
    bench.set_window(kBase, kLimit);
    const std::vector<Command> fences(12, tsr::dev::fence(true));
    bench.mem().write(kBase + 0x100, tsr::dev::to_bytes(fences));
    bench.write_csr(TSR_CSR_CMD_BASE, static_cast<uint32_t>(kBase + 0x100));
    bench.write_csr(TSR_CSR_CMD_COUNT, 12);
    bench.write_csr(TSR_CSR_CTRL, 1);
    int most = 0;
    for (int i = 0; i < 3 * mc.latency_cycles; ++i) {
      bench.step();
      most = std::max(most, bench.mem().outstanding_reads());
    }
    EXPECT_EQ(most, 2);
    const TopRun r = bench.wait_finish();
    EXPECT_TRUE(r.done);
    EXPECT_EQ(bench.read_csr(TSR_CSR_FENCES), 12u);  // FENCEs with irq
    EXPECT_EQ(r.counter(TSR_CNT_CMDS), 12u);
  }
  const std::vector<Command> fences(8, tsr::dev::fence(true));
  const uint64_t second = kBase + 0x100 + 4 * sizeof(Command);
  const TopRun r = run_error(rng_, fences, second, second + 1);
  expect_error(r, "axi_read", 0, 4);
  EXPECT_EQ(r.counter(TSR_CNT_CMDS), 4u);
}

TEST_F(Top, SoftResetRecoversAfterAnError) {
  TopBench bench(mem_config(rng_));
  bench.set_window(kBase, kLimit);
  Command bad{};
  bad[0] = 0xee;
  bench.mem().write(kBase + 0x100, tsr::dev::to_bytes(std::vector<Command>{bad}));
  TopRun r = bench.run_list(kBase + 0x100, 1);
  ASSERT_TRUE(r.error);
  bench.write_csr(TSR_CSR_CTRL, 2);  // soft reset
  for (int i = 0; i < 10; ++i) bench.step();
  EXPECT_EQ(bench.read_csr(TSR_CSR_STATUS) & 0x7u, 0u);
  bench.mem().write(kBase + 0x100,
                    tsr::dev::to_bytes(std::vector<Command>{tsr::dev::load(good_load()),
                                                            tsr::dev::fence(true)}));
  r = bench.run_list(kBase + 0x100, 2);
  EXPECT_TRUE(r.done);
  EXPECT_EQ(bench.read_csr(TSR_CSR_FENCES), 1u);
  EXPECT_EQ(r.counter(TSR_CNT_CMDS), 2u);
  EXPECT_EQ(r.counter(TSR_CNT_LD_BUSY), 4u);  // four scratchpad rows written
}

// The watchdog turns a hang (a token that never comes) into an error naming the unit.
TEST_F(Top, WatchdogNamesTheStuckUnitAndWritesAWave) {
  const AxiMemory::Config mc = mem_config(rng_);
  int runs = 0;
  const std::string msg = tsr::tb::run_with_wave_on_failure(
      std::string("top_watchdog_") + TSR_TOP_VARIANT, "", [&](const std::string& wave) {
        ++runs;
        TopBench bench(mc, wave);
        bench.set_window(kBase, kLimit);
        tsr::dev::MatmulFields m;
        m.tokens.pop_prev = true;  // waits for a load that never pushes
        bench.mem().write(kBase + 0x100,
                          tsr::dev::to_bytes(std::vector<Command>{tsr::dev::matmul(m)}));
        bench.run_list(kBase + 0x100, 1, 1'000'000, 2000);  // throws when stuck
        return std::string("a deadlocked stream finished");
      });
  EXPECT_EQ(runs, 2);  // the failing run, then again with a wave
  EXPECT_NE(msg.find("execute unit waits for a dependency token"), std::string::npos) << msg;
  EXPECT_NE(msg.find("gtkwave"), std::string::npos) << msg;
  const auto fst = tsr::tb::wave_path(std::string("top_watchdog_") + TSR_TOP_VARIANT);
  EXPECT_FALSE(tsr::tb::read_text(fst).empty()) << fst;
}

}  // namespace

// Tests of the layer lowering (tessera/dev/program.h): randomized layers of every type on the
// tiny (2x2), wide (4x8) and default (16x16) presets run on the reference device under several
// scheduler seeds and must equal the tsr::ref kernel bit for bit, with no hazard and every token
// consumed; removing a needed token from a lowered program is caught; layers that cannot be
// lowered fail with the layer's name and the reason.
//
// Randomized tests print their seed (TSR_SEED=<n> reproduces shapes, data and scheduler seeds).

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "tessera/dev/program.h"
#include "tessera/error.h"
#include "tessera/gen/config.h"
#include "tessera/ref/kernels.h"
#include "tessera/tb/harness.h"

namespace {

using tsr::dev::DeviceParams;
using tsr::dev::Program;
using tsr::dev::RunResult;
namespace ref = tsr::ref;

// A preset, or "<preset>_skip": the preset with the zero-skip array (depth 2, docs/skip.md), or
// "<preset>_skip4": depth 4 on four scratchpad banks.
DeviceParams preset(const std::string& name) {
  const bool skip = name.ends_with("_skip");
  const bool skip4 = name.ends_with("_skip4");
  const std::string base = skip ? name.substr(0, name.size() - 5)
                                : skip4 ? name.substr(0, name.size() - 6) : name;
  std::vector<std::string> set;
  if (skip) set = {"skip.enable=true", "skip.depth=2"};
  if (skip4) set = {"skip.enable=true", "skip.depth=4", "memory.sp_banks=4"};
  return DeviceParams::from_config(
      tsr::gen::load_config(std::string(TSR_SOURCE_DIR) + "/gen/configs/" + base + ".toml", set));
}

template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const tsr::Error& e) {
    return e.what();
  }
  return "";
}

// ---- Random layers ----

class Gen {
 public:
  explicit Gen(uint64_t seed) : rng_(seed) {}
  int i(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  float f(float lo, float hi) { return std::uniform_real_distribution<float>(lo, hi)(rng_); }
  bool coin() { return i(0, 1) == 1; }
  uint64_t u64() { return rng_(); }
  ref::QTensor tensor(const ref::Shape4& s, int32_t zp) {
    ref::QTensor t;
    t.shape = s;
    t.zero_point = zp;
    t.data.resize(s.elements());
    for (auto& v : t.data) v = static_cast<int8_t>(i(-128, 127));
    return t;
  }
  std::vector<int32_t> bias(int n) {
    std::vector<int32_t> b;
    if (i(0, 4) == 0) return b;  // no bias
    for (int k = 0; k < n; ++k) b.push_back(i(-20000, 20000));
    return b;
  }
  ref::Activation act() {
    static const ref::Activation a[] = {ref::Activation::None, ref::Activation::Relu,
                                        ref::Activation::Relu6};
    return a[i(0, 2)];
  }
  ref::QuantParams qp(float lo, float hi) { return {f(lo, hi), i(-128, 127)}; }
  // Per-channel (or, sometimes, per-tensor) requantization of a layer with `cout` outputs.
  ref::OutputQuant oq(float in_scale, int cout, const ref::QuantParams& out) {
    std::vector<float> fs(static_cast<size_t>(i(0, 3) == 0 ? 1 : cout));
    for (auto& s : fs) s = f(0.002F, 0.03F);
    return ref::conv_output_quant(in_scale, fs, out, act());
  }

 private:
  std::mt19937_64 rng_;
};

struct Case {
  std::string desc;
  Program prog;
  ref::QTensor expect;
};

Case random_conv(const DeviceParams& dp, Gen& g, bool large = false) {
  const int R = dp.rows, C = dp.cols;
  const int k = std::vector<int>{1, 3, 5}[static_cast<size_t>(g.i(0, 2))];
  const int stride = g.i(1, 3);
  const int h = large ? g.i(18, 26) : g.i(1, 9), w = large ? g.i(18, 26) : g.i(1, 9);
  const int cin = g.coin() ? R * g.i(1, 2) : g.i(1, 2 * R + 3);
  const int cout = g.coin() ? C * g.i(1, 2) : g.i(1, 2 * C + 3);
  const ref::Shape4 is{large ? 1 : g.i(1, 2), h, w, cin};
  const ref::Padding pad = (k > h || k > w || g.coin()) ? ref::Padding::Same : ref::Padding::Valid;
  const ref::Window win = ref::make_window(pad, is, k, k, stride, stride);
  const ref::QuantParams in = g.qp(0.01F, 0.1F), out = g.qp(0.05F, 0.5F);
  ref::QTensor input = g.tensor(is, in.zero_point);
  ref::QTensor filter = g.tensor({cout, k, k, cin}, 0);
  const std::vector<int32_t> bias = g.bias(cout);
  const ref::OutputQuant oq = g.oq(in.scale, cout, out);
  Case c;
  c.desc =
      fmt::format("conv2d in {} k {} stride {} {} cout {} oq {}", ref::to_string(is), k, stride,
                  pad == ref::Padding::Same ? "SAME" : "VALID", cout, oq.multiplier.size());
  c.expect = ref::conv2d(input, filter, bias, win, oq);
  c.prog = tsr::dev::lower_conv2d(dp, "conv", input, filter, bias, win, oq);
  return c;
}

Case random_depthwise(const DeviceParams& dp, Gen& g, bool large = false) {
  const int C = dp.cols;
  const int k = std::vector<int>{1, 3, 5}[static_cast<size_t>(g.i(0, 2))];
  const int stride = g.i(1, 2);
  const int h = large ? g.i(20, 40) : g.i(1, 10), w = large ? g.i(20, 40) : g.i(1, 10);
  const int ch = g.coin() ? C * g.i(1, 2) : g.i(1, 2 * C + 3);
  const ref::Shape4 is{g.i(1, 2), h, w, ch};
  const ref::Padding pad = (k > h || k > w || g.coin()) ? ref::Padding::Same : ref::Padding::Valid;
  const ref::Window win = ref::make_window(pad, is, k, k, stride, stride);
  const ref::QuantParams in = g.qp(0.01F, 0.1F), out = g.qp(0.02F, 0.2F);
  ref::QTensor input = g.tensor(is, in.zero_point);
  ref::QTensor filter = g.tensor({1, k, k, ch}, 0);
  const std::vector<int32_t> bias = g.bias(ch);
  const ref::OutputQuant oq = g.oq(in.scale, ch, out);
  Case c;
  c.desc = fmt::format("depthwise in {} k {} stride {}", ref::to_string(is), k, stride);
  c.expect = ref::depthwise_conv2d(input, filter, bias, 1, win, oq);
  c.prog = tsr::dev::lower_depthwise_conv2d(dp, "dw", input, filter, bias, 1, win, oq);
  return c;
}

Case random_fc(const DeviceParams& dp, Gen& g) {
  const int R = dp.rows, C = dp.cols;
  const int rows = g.i(1, 6);
  const int kd = g.coin() ? R * g.i(1, 3) : g.i(1, 3 * R + 5);
  const int outs = g.i(1, 2 * C + 3);
  const ref::QuantParams in = g.qp(0.01F, 0.1F), out = g.qp(0.05F, 0.5F);
  ref::QTensor input = g.tensor({rows, 1, 1, kd}, in.zero_point);
  ref::QTensor filter = g.tensor({outs, 1, 1, kd}, 0);
  const std::vector<int32_t> bias = g.bias(outs);
  const ref::OutputQuant oq = g.oq(in.scale, outs, out);
  Case c;
  c.desc = fmt::format("fully_connected rows {} K {} O {}", rows, kd, outs);
  c.expect = ref::fully_connected(input, filter, bias, oq);
  c.prog = tsr::dev::lower_fully_connected(dp, "fc", input, filter, bias, oq);
  return c;
}

Case random_pool(const DeviceParams& dp, Gen& g, bool avg, bool large = false) {
  const int C = dp.cols;
  const int fh = g.i(1, 3), fw = g.i(1, 3);
  const int sh = g.i(1, 3), sw = g.i(1, 3);
  const int h = large ? g.i(30, 50) : g.i(fh, 10), w = large ? g.i(30, 50) : g.i(fw, 10);
  const int ch = g.coin() ? C : g.i(1, 2 * C + 3);
  const ref::Shape4 is{g.i(1, 2), h, w, ch};
  const ref::Padding pad = avg || g.coin() ? ref::Padding::Valid : ref::Padding::Same;
  const ref::QuantParams q = g.qp(0.01F, 0.1F);
  const ref::PoolParams pp =
      ref::make_pool_params(pad, is, fh, fw, sh, sw, ref::activation_range_i8(g.act(), q));
  ref::QTensor input = g.tensor(is, q.zero_point);
  Case c;
  c.desc = fmt::format("{} in {} filter {}x{} stride {}x{}", avg ? "average_pool" : "max_pool",
                       ref::to_string(is), fh, fw, sh, sw);
  if (avg) {
    c.expect = ref::average_pool2d(input, pp);
    c.prog = tsr::dev::lower_average_pool2d(dp, "avg", input, pp);
  } else {
    c.expect = ref::max_pool2d(input, pp);
    c.prog = tsr::dev::lower_max_pool2d(dp, "max", input, pp);
  }
  return c;
}

Case random_add(const DeviceParams& dp, Gen& g, bool large = false) {
  const int hw = large ? 40 : 9;
  const ref::Shape4 s{g.i(1, 2), g.i(1, hw), g.i(1, hw), g.i(1, 2 * dp.cols + 3)};
  const ref::QuantParams a = g.qp(0.01F, 0.1F), b = g.qp(0.01F, 0.1F), o = g.qp(0.05F, 0.2F);
  const ref::AddParams ap = ref::add_params(a, b, o, g.act());
  ref::QTensor x = g.tensor(s, a.zero_point), y = g.tensor(s, b.zero_point);
  Case c;
  c.desc = fmt::format("add {}", ref::to_string(s));
  c.expect = ref::add(x, y, ap);
  c.prog = tsr::dev::lower_add(dp, "add", x, y, ap);
  return c;
}

// Runs a case under `seeds` scheduler seeds: no error, no hazard, tokens balanced, bit-exact. On
// zero-skip variants every other seed runs the program with MATMUL.skip clear (same results).
void check(const DeviceParams& dp, const Case& c0, Gen& g, int seeds) {
  Case off = c0;
  if (dp.skip_depth > 0) tsr::dev::set_matmul_skip(off.prog, false);
  for (int k = 0; k < seeds; ++k) {
    const Case& c = k % 2 == 1 && dp.skip_depth > 0 ? off : c0;
    const uint64_t s = g.u64();
    const tsr::dev::ProgramRun r = tsr::dev::run_program(dp, c.prog, s);
    ASSERT_TRUE(r.result.ok()) << dp.name << " " << c.desc << " scheduler seed " << s << ": "
                               << r.result.summary();
    ASSERT_EQ(r.result.tokens_left, (std::array<int64_t, 4>{0, 0, 0, 0})) << c.desc;
    ASSERT_EQ(r.output.shape, c.expect.shape) << c.desc;
    ASSERT_EQ(r.output.zero_point, c.expect.zero_point) << c.desc;
    for (size_t i = 0; i < c.expect.data.size(); ++i) {
      ASSERT_EQ(static_cast<int>(r.output.data[i]), static_cast<int>(c.expect.data[i]))
          << dp.name << " " << c.desc << ": element " << i << " of " << c.expect.data.size()
          << " differs (scheduler seed " << s << ", " << c.prog.commands.size() << " commands)";
    }
  }
}

class LowerRandom : public ::testing::TestWithParam<std::string> {};

TEST_P(LowerRandom, EveryLayerTypeMatchesTheReferenceKernel) {
  const DeviceParams dp = preset(GetParam());
  Gen g(tsr::tb::test_seed());
  const int n = 10;
  for (int i = 0; i < n; ++i) check(dp, random_conv(dp, g), g, 4);
  for (int i = 0; i < n; ++i) check(dp, random_depthwise(dp, g), g, 4);
  for (int i = 0; i < n; ++i) check(dp, random_fc(dp, g), g, 4);
  for (int i = 0; i < n; ++i) check(dp, random_pool(dp, g, true), g, 4);
  for (int i = 0; i < n; ++i) check(dp, random_pool(dp, g, false), g, 4);
  for (int i = 0; i < n; ++i) check(dp, random_add(dp, g), g, 4);
}

TEST_P(LowerRandom, LargeLayersAreTiled) {
  // More output pixels than one accumulator bank holds (tiny: 128, wide: 256, default: 512
  // rows): several tiles, double-buffered activations, alternating banks.
  const DeviceParams dp = preset(GetParam());
  Gen g(tsr::tb::test_seed());
  for (int i = 0; i < 3; ++i) check(dp, random_conv(dp, g, true), g, 2);
  check(dp, random_depthwise(dp, g, true), g, 2);
  check(dp, random_pool(dp, g, true, true), g, 2);
  check(dp, random_pool(dp, g, false, true), g, 2);
  check(dp, random_add(dp, g, true), g, 2);
}

TEST_P(LowerRandom, NarrowInputConvFoldsTheKernelWidth) {
  // cin * k_w <= R: interior columns run k_h passes of the folded kernel (MATMULs with k_w = 1),
  // the edge columns the plain k_h * k_w taps (on zero-skip variants of depth 2: both taps of a
  // kernel row in one pass, from a mirrored copy). Square and DS-CNN-like kernels, stride 1 and 2,
  // SAME (symmetric and right-only padding) and VALID, widths down to the kernel's.
  const DeviceParams dp = preset(GetParam());
  const int R = dp.rows, C = dp.cols;
  Gen g(tsr::tb::test_seed());
  int folded = 0;
  // At least 12 cases, and more (up to 60) until 3 of them folded: whether a random shape folds
  // is chance (about 1 seed in 300 gave only 2 of 12), that the lowering folds at all is not.
  for (int i = 0; i < 60 && (i < 12 || folded < 3); ++i) {
    static const int kernels[][2] = {{3, 3}, {5, 5}, {10, 4}, {3, 2}};
    const auto& kk = kernels[g.i(0, 3)];
    const int kh = kk[0], kw = std::min(kk[1], R);
    if (kw < 2) GTEST_SKIP() << "R = " << R << " leaves no room to fold";
    const int cin = g.i(1, R / kw);
    const int stride = g.i(1, 2);
    const int h = g.i(kh, kh + 20), w = g.i(kw, 34);
    const int cout = g.i(1, 2 * C + 3);
    const ref::Shape4 is{1, h, w, cin};
    const ref::Padding pad = g.coin() ? ref::Padding::Same : ref::Padding::Valid;
    const ref::Window win = ref::make_window(pad, is, kh, kw, stride, stride);
    const ref::QuantParams in = g.qp(0.01F, 0.1F), out = g.qp(0.05F, 0.5F);
    ref::QTensor input = g.tensor(is, in.zero_point);
    ref::QTensor filter = g.tensor({cout, kh, kw, cin}, 0);
    const std::vector<int32_t> bias = g.bias(cout);
    const ref::OutputQuant oq = g.oq(in.scale, cout, out);
    Case c;
    c.desc = fmt::format("conv2d in {} k {}x{} stride {} {} cout {}", ref::to_string(is), kh, kw,
                         stride, pad == ref::Padding::Same ? "SAME" : "VALID", cout);
    c.expect = ref::conv2d(input, filter, bias, win, oq);
    c.prog = tsr::dev::lower_conv2d(dp, "narrow", input, filter, bias, win, oq);
    // The lowering names its mapping; a k_w-folded program has k_w = 1 MATMULs (interior) and
    // k_w = 2 ones (edge columns) only.
    if (c.prog.mapping.starts_with("k_w folded")) {
      ++folded;
      for (const auto& cmd : c.prog.commands) {
        if (tsr::dev::field(cmd, "opcode") == 3) {
          EXPECT_LE(tsr::dev::field(cmd, "k_w"), 2) << c.desc;
        }
      }
    }
    check(dp, c, g, 3);
  }
  EXPECT_GE(folded, 3) << "too few cases used the folded kernel";
}

INSTANTIATE_TEST_SUITE_P(Presets, LowerRandom,
                         ::testing::Values("tiny", "wide", "default", "tiny_skip", "wide_skip",
                                           "default_skip", "wide_skip4", "default_skip4"),
                         [](const auto& p) { return p.param; });

TEST(Lower, SkipTapGroupsRunFlattenedTapsAcrossKernelRows) {
  // Tap groups on a depth-4 array (docs/skip.md): one chunk (T = 4) or two (T = 2) run the k_h*k_w
  // taps in flattened order, T a pass across kernel rows, so a k x k kernel takes ceil(k*k / T)
  // passes (per kernel row it would be k * ceil(k / T)). Array rows = passes * output pixels *
  // output blocks; every case bit-exact against the reference kernel, MATMUL.skip on and off.
  const DeviceParams dp = preset("default_skip4");
  const int R = dp.rows;
  Gen g(tsr::tb::test_seed());
  struct Shape {
    int k, cin, h, w, stride;
    bool same;
    int passes;  // flattened: ceil(k*k / T)
  };
  const Shape shapes[] = {
      {3, R, 12, 11, 1, true, 3},      {3, 2 * R, 9, 10, 1, true, 5},  {5, R, 9, 9, 1, false, 7},
      {2, R, 7, 8, 1, false, 1},       {3, 2 * R, 11, 9, 2, true, 5},  {5, R - 3, 10, 12, 2, true, 7},
      {3, 2 * R - 5, 8, 8, 1, false, 5},
  };
  for (const Shape& sh : shapes) {
    const ref::Shape4 is{1, sh.h, sh.w, sh.cin};
    const ref::Padding pad = sh.same ? ref::Padding::Same : ref::Padding::Valid;
    const ref::Window win = ref::make_window(pad, is, sh.k, sh.k, sh.stride, sh.stride);
    const ref::QuantParams in = g.qp(0.01F, 0.1F), out = g.qp(0.05F, 0.5F);
    const int cout = dp.cols + 3;  // two output blocks
    ref::QTensor input = g.tensor(is, in.zero_point);
    ref::QTensor filter = g.tensor({cout, sh.k, sh.k, sh.cin}, 0);
    const std::vector<int32_t> bias = g.bias(cout);
    const ref::OutputQuant oq = g.oq(in.scale, cout, out);
    Case c;
    c.desc = fmt::format("conv2d in {} k {} stride {} {}", ref::to_string(is), sh.k, sh.stride,
                         sh.same ? "SAME" : "VALID");
    c.expect = ref::conv2d(input, filter, bias, win, oq);
    c.prog = tsr::dev::lower_conv2d(dp, "conv", input, filter, bias, win, oq);
    ASSERT_FALSE(c.prog.mapping.starts_with("k_w folded")) << c.desc;
    const tsr::dev::ProgramRun r = tsr::dev::run_program(dp, c.prog, 1);
    ASSERT_TRUE(r.result.ok()) << c.desc << ": " << r.result.summary();
    const uint64_t pixels = static_cast<uint64_t>(c.expect.shape.h) * c.expect.shape.w;
    EXPECT_EQ(r.result.total.array_rows, static_cast<uint64_t>(sh.passes) * pixels * 2) << c.desc;
    check(dp, c, g, 2);
  }
}

// ---- Tiling corner cases (tiny: 128-row accumulator banks, 1024-row scratchpad banks) ----

TEST(Lower, RowsWiderThanAnAccumulatorBankAreSplitAcrossTheWidth) {
  const DeviceParams dp = preset("tiny");
  Gen g(tsr::tb::test_seed());
  // Output rows of 150 pixels > 128 accumulator rows per bank: tiles narrower than the row.
  const ref::Shape4 is{1, 3, 150, 3};
  const ref::Window win = ref::make_window(ref::Padding::Same, is, 3, 3, 1, 1);
  ref::QTensor input = g.tensor(is, 5);
  ref::QTensor filter = g.tensor({5, 3, 3, 3}, 0);
  const std::vector<int32_t> bias = g.bias(5);
  const ref::OutputQuant oq = g.oq(0.05F, 5, {0.2F, -3});
  Case c{"conv 3x150", tsr::dev::lower_conv2d(dp, "wide_rows", input, filter, bias, win, oq),
         ref::conv2d(input, filter, bias, win, oq)};
  check(dp, c, g, 2);
  // Fully connected with 300 batch rows: the rows are pixels of one long output row.
  ref::QTensor x = g.tensor({300, 1, 1, 5}, -2);
  ref::QTensor wt = g.tensor({3, 1, 1, 5}, 0);
  const ref::OutputQuant oq2 = g.oq(0.05F, 3, {0.3F, 1});
  Case f{"fc 300 rows", tsr::dev::lower_fully_connected(dp, "fc300", x, wt, {}, oq2),
         ref::fully_connected(x, wt, {}, oq2)};
  check(dp, f, g, 2);
}

TEST(Lower, FullyConnectedOnAFullArrayUsesEveryMac) {
  const DeviceParams dp = preset("default");
  Gen g(tsr::tb::test_seed());
  ref::QTensor x = g.tensor({8, 1, 1, dp.rows}, 3);
  ref::QTensor wt = g.tensor({dp.cols, 1, 1, dp.rows}, 0);
  const ref::OutputQuant oq = g.oq(0.05F, dp.cols, {0.3F, 0});
  const Program p = tsr::dev::lower_fully_connected(dp, "fc", x, wt, {}, oq);
  const tsr::dev::ProgramRun r = tsr::dev::run_program(dp, p, 1);
  ASSERT_TRUE(r.result.ok()) << r.result.summary();
  EXPECT_EQ(r.output.data, ref::fully_connected(x, wt, {}, oq).data);
  EXPECT_EQ(p.layer_macs, 8u * 16 * 16);
  EXPECT_EQ(r.result.total.macs, p.layer_macs);
  EXPECT_EQ(r.result.total.array_rows, 8u);
  // DMA: input 8 x 16, weights 16 x 16, one parameter block, output 8 x 16.
  EXPECT_EQ(r.result.total.dma_rd_bytes,
            8u * 16 + 16u * 16 + static_cast<uint64_t>(dp.param_rows() * dp.sp_row_bytes));
  EXPECT_EQ(r.result.total.dma_wr_bytes, 8u * 16);
}

// ---- Program layout ----

TEST(Lower, ProgramImageHoldsTheRegionsAndTheEncodedCommands) {
  const DeviceParams dp = preset("wide");
  Gen g(tsr::tb::test_seed());
  const Case c = random_conv(dp, g);
  const Program& p = c.prog;
  EXPECT_EQ(p.window_base() % 64, 0u);
  EXPECT_EQ(p.window_limit() % 64, 0u);
  for (const char* name : {"input", "weights", "output", "commands"}) {
    const tsr::dev::Region& r = p.region(name);
    EXPECT_EQ(r.addr % 64, 0u) << name;
    EXPECT_GE(r.addr, p.window_base()) << name;
    EXPECT_LE(r.addr + r.size, p.window_limit()) << name;
  }
  EXPECT_EQ(p.regions.back().name, "commands");
  const std::vector<uint8_t> cmd_bytes = tsr::dev::to_bytes(p.commands);
  const auto& cr = p.region("commands");
  EXPECT_EQ(cr.size, cmd_bytes.size());
  EXPECT_TRUE(std::equal(cmd_bytes.begin(), cmd_bytes.end(),
                         p.dram.begin() + static_cast<ptrdiff_t>(cr.addr - p.dram_base)));
  EXPECT_EQ(p.region("output").size, c.expect.data.size());
  // Same inputs, same program.
  Gen g2(0);
  const Case a = random_conv(dp, g2);
  Gen g3(0);
  const Case b = random_conv(dp, g3);
  EXPECT_EQ(a.prog.commands, b.prog.commands);
  EXPECT_EQ(a.prog.dram, b.prog.dram);
  EXPECT_NE(error_of([&] { (void)p.region("nope"); }).find("no region 'nope'"), std::string::npos);
}

// ---- Token removal is caught ----

struct TokenPair {
  int channel;
  size_t push_cmd, pop_cmd;
};

// Push k on a channel pairs with pop k (FIFO counters).
std::vector<TokenPair> token_pairs(const std::vector<tsr::dev::Command>& cmds) {
  std::array<std::vector<size_t>, 4> push, pop;
  for (size_t i = 0; i < cmds.size(); ++i) {
    const int u = tsr::dev::token_unit(cmds[i]);
    if (u < 0) continue;
    const tsr::dev::Tokens t = tsr::dev::tokens_of(cmds[i]);
    // Channels: 0 ld->ex, 1 ex->ld, 2 ex->st, 3 st->ex.
    if (t.push_next) push[static_cast<size_t>(u == 0 ? 0 : 2)].push_back(i);
    if (t.push_prev) push[static_cast<size_t>(u == 1 ? 1 : 3)].push_back(i);
    if (t.pop_prev) pop[static_cast<size_t>(u == 1 ? 0 : 2)].push_back(i);
    if (t.pop_next) pop[static_cast<size_t>(u == 0 ? 1 : 3)].push_back(i);
  }
  std::vector<TokenPair> v;
  for (int ch = 0; ch < 4; ++ch) {
    EXPECT_EQ(push[static_cast<size_t>(ch)].size(), pop[static_cast<size_t>(ch)].size());
    for (size_t k = 0; k < push[static_cast<size_t>(ch)].size(); ++k) {
      v.push_back({ch, push[static_cast<size_t>(ch)][k], pop[static_cast<size_t>(ch)][k]});
    }
  }
  return v;
}

TEST(Lower, RemovingANeededTokenIsCaught) {
  const DeviceParams dp = preset("tiny");
  Gen g(tsr::tb::test_seed());
  // A conv with several output blocks and tiles exercises all four channels.
  const ref::Shape4 is{1, 14, 14, 3};
  const ref::Window win = ref::make_window(ref::Padding::Same, is, 3, 3, 1, 1);
  ref::QTensor input = g.tensor(is, 7);
  ref::QTensor filter = g.tensor({5, 3, 3, 3}, 0);
  const ref::OutputQuant oq = g.oq(0.05F, 5, {0.2F, -3});
  const ref::QTensor expect = ref::conv2d(input, filter, {}, win, oq);
  const Program p = tsr::dev::lower_conv2d(dp, "conv", input, filter, {}, win, oq);
  const std::vector<TokenPair> pairs = token_pairs(p.commands);
  std::array<int, 4> per_channel{};
  for (const TokenPair& tp : pairs) ++per_channel[static_cast<size_t>(tp.channel)];
  for (int ch = 0; ch < 4; ++ch) EXPECT_GT(per_channel[static_cast<size_t>(ch)], 0) << ch;

  int caught_by_hazard = 0, caught_by_result = 0, tried = 0;
  for (size_t k = 0; k < pairs.size(); k += std::max<size_t>(1, pairs.size() / 12)) {
    const TokenPair& tp = pairs[k];
    Program q = p;
    tsr::dev::Tokens a = tsr::dev::tokens_of(q.commands[tp.push_cmd]);
    tsr::dev::Tokens b = tsr::dev::tokens_of(q.commands[tp.pop_cmd]);
    (tp.channel == 0 || tp.channel == 2 ? a.push_next : a.push_prev) = false;
    (tp.channel == 0 || tp.channel == 2 ? b.pop_prev : b.pop_next) = false;
    q.commands[tp.push_cmd] = tsr::dev::with_tokens(q.commands[tp.push_cmd], a);
    q.commands[tp.pop_cmd] = tsr::dev::with_tokens(q.commands[tp.pop_cmd], b);
    tsr::dev::write_command_region(q);
    ++tried;
    // The happens-before check sees the unordered pair under any schedule.
    const tsr::dev::ProgramRun h = tsr::dev::run_program(dp, q, 1);
    EXPECT_EQ(h.result.status, RunResult::Status::Ok);
    if (h.result.hazards.empty()) continue;
    ++caught_by_hazard;
    // Without that check, some interleaving computes a wrong output.
    for (uint64_t s = 0; s < 200; ++s) {
      const tsr::dev::ProgramRun r = tsr::dev::run_program(dp, q, s, {.detect_hazards = false});
      if (r.output.data != expect.data) {
        ++caught_by_result;
        break;
      }
    }
  }
  fmt::print("[ tokens   ] {} pairs, {} removed: {} flagged as hazards, {} gave a wrong output\n",
             pairs.size(), tried, caught_by_hazard, caught_by_result);
  EXPECT_EQ(caught_by_hazard, tried);  // every token the lowering emits is needed
  EXPECT_GE(caught_by_result, 1);

  // Removing only the push leaves one pop without a token: deadlock under every schedule.
  Program q = p;
  const TokenPair& tp = pairs.front();
  tsr::dev::Tokens a = tsr::dev::tokens_of(q.commands[tp.push_cmd]);
  (tp.channel == 0 || tp.channel == 2 ? a.push_next : a.push_prev) = false;
  q.commands[tp.push_cmd] = tsr::dev::with_tokens(q.commands[tp.push_cmd], a);
  const tsr::dev::ProgramRun d = tsr::dev::run_program(dp, q, 1);
  EXPECT_EQ(d.result.status, RunResult::Status::Deadlock) << d.result.summary();
  EXPECT_NE(d.result.message.find("waits for a token"), std::string::npos) << d.result.message;
}

// ---- Layers that cannot be lowered ----

TEST(Lower, UnsupportedLayersNameTheLayerAndTheReason) {
  const DeviceParams tiny = preset("tiny");
  Gen g(1);
  auto has = [](const std::string& e, std::initializer_list<const char*> needles) {
    EXPECT_FALSE(e.empty());
    for (const char* n : needles) EXPECT_NE(e.find(n), std::string::npos) << e;
  };
  const ref::Shape4 is{1, 6, 6, 4};
  ref::QTensor x = g.tensor(is, 0);
  // Average pool with SAME padding that adds rows: the divisor would vary.
  has(error_of([&] {
        tsr::dev::lower_average_pool2d(tiny, "pool3", x,
                                       ref::make_pool_params(ref::Padding::Same, is, 3, 3, 2, 2));
      }),
      {"average_pool2d 'pool3'", "padding", "VALID"});
  // More than 4096 taps.
  ref::QTensor big = g.tensor({1, 65, 65, 1}, 0);
  has(error_of([&] {
        tsr::dev::lower_average_pool2d(
            tiny, "gap", big, ref::make_pool_params(ref::Padding::Valid, big.shape, 65, 65, 1, 1));
      }),
      {"average_pool2d 'gap'", "4225 taps", "4096"});
  // Weights of one output block larger than the weight bank (120 channels x 3x3 on 2x2).
  ref::QTensor wide_in = g.tensor({1, 4, 4, 120}, 0);
  ref::QTensor wide_f = g.tensor({2, 3, 3, 120}, 0);
  const ref::OutputQuant oq{{1 << 30}, {0}, 0, -128, 127};
  has(error_of([&] {
        tsr::dev::lower_conv2d(tiny, "conv_big", wide_in, wide_f, {},
                               ref::make_window(ref::Padding::Same, wide_in.shape, 3, 3), oq);
      }),
      {"conv2d 'conv_big'", "weight", "1089 scratchpad rows", "1024"});
  // One output pixel's window larger than the scratchpad (max pool 50x50 on tiny).
  ref::QTensor huge = g.tensor({1, 50, 50, 1}, 0);
  has(error_of([&] {
        tsr::dev::lower_max_pool2d(
            tiny, "mp", huge, ref::make_pool_params(ref::Padding::Valid, huge.shape, 50, 50, 1, 1));
      }),
      {"max_pool2d 'mp'", "2500 input pixels", "activation area"});
  // Fields the ISA cannot express.
  ref::QTensor f3 = g.tensor({2, 3, 3, 4}, 0);
  has(error_of([&] {
        tsr::dev::lower_conv2d(tiny, "s16", x, f3, {},
                               ref::make_window(ref::Padding::Valid, is, 3, 3, 16, 16), oq);
      }),
      {"conv2d 's16'", "stride 16x16"});
  has(error_of([&] {
        tsr::dev::lower_conv2d(tiny, "dil", x, f3, {},
                               ref::make_window(ref::Padding::Same, is, 3, 3, 1, 1, 2, 2), oq);
      }),
      {"conv2d 'dil'", "dilation"});
  ref::QTensor grouped = g.tensor({2, 3, 3, 2}, 0);
  has(error_of([&] {
        tsr::dev::lower_conv2d(tiny, "grp", x, grouped, {},
                               ref::make_window(ref::Padding::Same, is, 3, 3), oq);
      }),
      {"conv2d 'grp'", "grouped"});
  ref::QTensor fcw = g.tensor({2, 1, 1, 4}, 3);
  has(error_of([&] { tsr::dev::lower_fully_connected(tiny, "fczp", x, fcw, {}, oq); }),
      {"fully_connected 'fczp'", "filter zero point 3"});
  ref::QTensor dwf = g.tensor({1, 3, 3, 8}, 0);
  has(error_of([&] {
        tsr::dev::lower_depthwise_conv2d(tiny, "dm2", x, dwf, {}, 2,
                                         ref::make_window(ref::Padding::Same, is, 3, 3), oq);
      }),
      {"depthwise_conv2d 'dm2'", "depth multiplier 2"});
}

// ---- The average-pool divisor ----

TEST(Lower, AvgDivisorIsExactBelowTwoToTheTwenty) {
  Gen g(tsr::tb::test_seed());
  for (int count : {1, 2, 3, 7, 9, 25, 49, 100, 127, 1000, 2047, 4095, 4096}) {
    const tsr::dev::AvgDivisor d = tsr::dev::avg_divisor(count);
    EXPECT_EQ(d.half, count / 2);
    EXPECT_LE(d.shift, 63);
    for (int k = 0; k < 2000; ++k) {
      const uint64_t n = static_cast<uint64_t>(g.i(0, (1 << 20) - 1));
      ASSERT_EQ((n * d.magic) >> d.shift, n / static_cast<uint64_t>(count)) << count << " " << n;
    }
  }
  EXPECT_NE(error_of([] { tsr::dev::avg_divisor(0); }).find("1..4096"), std::string::npos);
  EXPECT_NE(error_of([] { tsr::dev::avg_divisor(4097); }).find("1..4096"), std::string::npos);
}

}  // namespace

// ESCAPE on the reference device: the escape core (the ISS running the service firmware
// build/firmware/tsr_escape.elf) serves ESCAPE commands from the command stream. Checked: softmax
// through the firmware against the golden model (tsr::ref::softmax_i8) on the default and wide
// presets; the RUN op pushing a LOAD + VECTOR + STORE sequence whose result is computed here and
// whole lowered layers (checked against the golden kernels); each
// error (no_core, core_halted, escape_status, escape_timeout, core_push, a pushed command's own
// error) with its unit and the ESCAPE's index; pushed commands without tokens are hazards.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "tessera/dev/device.h"
#include "tessera/dev/isa_encode.h"
#include "tessera/dev/program.h"
#include "tessera/error.h"
#include "tessera/gen/config.h"
#include "tessera/gen/memmap.h"
#include "tessera/iss/iss.h"
#include "tessera/ref/escape_ops.h"
#include "tessera/ref/kernels.h"
#include "tsr_escape_abi.h"

namespace {

using tsr::dev::Command;
using tsr::dev::DeviceParams;
using tsr::dev::RefDevice;
using tsr::dev::RunResult;
namespace mm = tsr::gen::memmap;

constexpr uint64_t kBase = 0x8000'0000;
constexpr uint64_t kSize = 0x1000;

DeviceParams preset(const std::string& name) {
  return DeviceParams::from_config(
      tsr::gen::load_config(std::string(TSR_SOURCE_DIR) + "/gen/configs/" + name + ".toml", {}));
}

const tsr::iss::ElfImage& firmware() {
  static const tsr::iss::ElfImage img = tsr::iss::load_elf(std::string(TSR_FW_DIR) + "/tsr_escape.elf");
  return img;
}

uint64_t seed() {
  const char* s = std::getenv("TSR_SEED");
  const uint64_t v = s != nullptr ? std::stoull(s) : 20261121;
  std::printf("TSR_SEED=%llu\n", static_cast<unsigned long long>(v));
  return v;
}

// Bytes at scratchpad row `row` onwards (contiguous: the presets used here have a window stride
// equal to the row size), and their core address.
uint32_t put(RefDevice& d, int row, const std::vector<uint8_t>& bytes) {
  const int S = d.params().sp_row_bytes;
  for (size_t i = 0; i < bytes.size(); ++i) {
    d.sp_row(row + static_cast<int>(i) / S)[i % static_cast<size_t>(S)] = static_cast<int8_t>(bytes[i]);
  }
  return mm::kSpadBase + static_cast<uint32_t>(row * d.params().sp_row_stride);
}
std::vector<uint8_t> words(const std::vector<uint32_t>& w) {
  std::vector<uint8_t> b;
  for (uint32_t x : w) {
    for (int k = 0; k < 4; ++k) b.push_back(static_cast<uint8_t>(x >> (8 * k)));
  }
  return b;
}
std::vector<int8_t> get(RefDevice& d, int row, size_t n) {
  const int S = d.params().sp_row_bytes;
  std::vector<int8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = d.sp_row(row + static_cast<int>(i) / S)[i % static_cast<size_t>(S)];
  return v;
}

Command escape(uint32_t func, uint32_t arg0) { return tsr::dev::escape(func, std::span<const uint32_t>(&arg0, 1)); }

void expect_error(const RunResult& r, const char* error, const char* unit, int64_t cmd) {
  EXPECT_EQ(r.status, RunResult::Status::Error) << r.summary();
  EXPECT_EQ(r.error, error) << r.summary();
  EXPECT_EQ(r.unit, unit) << r.summary();
  EXPECT_EQ(r.error_cmd, cmd) << r.summary();
  EXPECT_EQ(r.error_code, tsr::gen::isa::enum_value("error", error));
}

// Softmax arguments at row 0, input at row 8, output at row 8 + rows.
struct SoftmaxCase {
  std::vector<int8_t> in;
  int depth;
  tsr::ref::SoftmaxParams p;
};
uint32_t stage_softmax(RefDevice& d, const SoftmaxCase& c, int& out_row) {
  const int S = d.params().sp_row_bytes;
  const int in_row = 8;
  out_row = in_row + (static_cast<int>(c.in.size()) + S - 1) / S;
  const uint32_t in_addr = put(d, in_row, std::vector<uint8_t>(c.in.begin(), c.in.end()));
  const uint32_t out_addr = mm::kSpadBase + static_cast<uint32_t>(out_row * d.params().sp_row_stride);
  return put(d, 0,
             words({in_addr, out_addr, static_cast<uint32_t>(c.in.size() / static_cast<size_t>(c.depth)),
                    static_cast<uint32_t>(c.depth), static_cast<uint32_t>(c.p.input_multiplier),
                    static_cast<uint32_t>(c.p.input_left_shift), static_cast<uint32_t>(c.p.diff_min)}));
}

TEST(Escape, SoftmaxThroughTheFirmwareMatchesTheGoldenModel) {
  std::mt19937_64 rng(seed());
  for (const char* var : {"default", "wide"}) {
    const DeviceParams dp = preset(var);
    ASSERT_TRUE(dp.has_core);
    RefDevice d(dp, kBase, kSize);
    d.attach_core(firmware(), "tsr_escape.elf");
    for (int t = 0; t < 6; ++t) {
      SoftmaxCase c;
      c.depth = 1 + static_cast<int>(rng() % 40);
      const int rows = 1 + static_cast<int>(rng() % 3);
      c.in.resize(static_cast<size_t>(rows * c.depth));
      for (auto& x : c.in) x = static_cast<int8_t>(rng());
      c.p = tsr::ref::softmax_params(std::ldexp(1.0, -static_cast<int>(rng() % 7)) * 0.75);
      int out_row = 0;
      const uint32_t args = stage_softmax(d, c, out_row);
      const RunResult r = d.run({escape(TSR_ESC_FN_SOFTMAX, args)}, rng());
      ASSERT_TRUE(r.ok()) << var << ": " << r.summary();
      EXPECT_EQ(r.retired, 1U);
      EXPECT_GT(r.stats[0].core_instret, static_cast<uint64_t>(c.in.size())) << "the core did the work";
      EXPECT_EQ(r.total.core_instret, r.stats[0].core_instret);
      EXPECT_EQ(get(d, out_row, c.in.size()), tsr::ref::softmax_i8(c.in, c.depth, c.p))
          << var << " depth " << c.depth << " rows " << rows;
    }
    EXPECT_GT(d.core_boot_instret(), 0U);
    EXPECT_FALSE(d.core()->halted());
  }
}

// The command list of the RUN test: two vectors a and b (rows 40.., 40 + n..) -> LOAD from DRAM,
// VECTOR max over a 2x1 window -> accumulator, STORE avg with divisor 1 (identity) -> DRAM.
std::vector<Command> max_program(const DeviceParams& dp, uint64_t src, uint64_t dst, int n) {
  const int C = dp.cols;
  std::vector<Command> v;
  v.push_back(tsr::dev::load({.dram_addr = src, .dram_stride = static_cast<uint64_t>(C), .rows = 2 * n,
                              .row_bytes = C, .sp_addr = 40, .elem_bytes = C}));
  tsr::dev::VectorFields vf;
  vf.mode = tsr::dev::VectorMode::Max;
  vf.in_addr = 40;
  vf.acc_addr = 3;
  vf.win.in_h = 2;
  vf.win.in_w = n;
  vf.win.out_h = 1;
  vf.win.out_w = n;
  vf.win.k_h = 2;
  v.push_back(tsr::dev::vector(vf));
  tsr::dev::StoreFields sf;
  sf.mode = tsr::dev::StoreMode::Avg;
  sf.div_magic = 1;
  sf.dram_addr = dst;
  sf.dram_stride = static_cast<uint64_t>(C);
  sf.rows = n;
  sf.row_bytes = sf.elem_bytes = C;
  sf.acc_addr = 3;
  v.push_back(tsr::dev::store(sf));
  return v;
}

uint32_t stage_run(RefDevice& d, const std::vector<Command>& cmds) {
  std::vector<uint32_t> w;
  for (const Command& c : cmds) w.insert(w.end(), c.begin(), c.end());
  const uint32_t list = put(d, 100, words(w));
  return put(d, 0, words({list, static_cast<uint32_t>(cmds.size())}));
}

TEST(Escape, RunOpPushesCommandsThatComputeAResult) {
  std::mt19937_64 rng(seed());
  for (const char* var : {"default", "wide"}) {
    const DeviceParams dp = preset(var);
    const int C = dp.cols, n = 3;
    RefDevice d(dp, kBase, kSize);
    d.attach_core(firmware());
    std::vector<uint8_t> src(static_cast<size_t>(2 * n * C));
    for (auto& b : src) b = static_cast<uint8_t>(rng());
    d.write(kBase, src);
    const uint64_t dst = kBase + 0x400;
    const auto cmds = tsr::dev::insert_tokens(max_program(dp, kBase, dst, n), dp);
    const uint32_t args = stage_run(d, cmds);
    for (uint64_t s = 0; s < 5; ++s) {
      d.write(dst, std::vector<uint8_t>(static_cast<size_t>(n * C), 0xA5));
      const RunResult r = d.run({escape(TSR_ESC_FN_RUN, args), tsr::dev::fence()}, rng());
      ASSERT_TRUE(r.ok()) << var << ": " << r.summary();
      EXPECT_EQ(r.retired, 2U);
      EXPECT_EQ(r.stats[0].core_pushed, cmds.size());
      EXPECT_EQ(r.stats[0].dma_rd_bytes, static_cast<uint64_t>(2 * n * C)) << "pushed work counts for the ESCAPE";
      EXPECT_EQ(r.stats[0].dma_wr_bytes, static_cast<uint64_t>(n * C));
      EXPECT_EQ(r.stats[0].vector_ops, static_cast<uint64_t>(2 * n * C));
      // Pixel x of row 0 is a[x], of row 1 is b[x] (in_w = n): out[x][l] = max(a[x][l], b[x][l]).
      const auto got = d.read(dst, static_cast<uint64_t>(n * C));
      for (int x = 0; x < n; ++x) {
        for (int l = 0; l < C; ++l) {
          const auto a = static_cast<int8_t>(src[static_cast<size_t>(x * C + l)]);
          const auto b = static_cast<int8_t>(src[static_cast<size_t>((n + x) * C + l)]);
          ASSERT_EQ(static_cast<int8_t>(got[static_cast<size_t>(x * C + l)]), std::max(a, b))
              << var << " x " << x << " lane " << l;
        }
      }
    }
  }
}

// Whole lowered layers (their tokens, FENCEs and PARAMS included) pushed by the core through RUN
// give the golden kernel's output: the core queue, the hand-over of CMD_DATA words and the pushed
// commands' scheduling are those of the command stream.
TEST(Escape, LoweredLayersPushedByTheCoreMatchTheKernels) {
  namespace ref = tsr::ref;
  std::mt19937_64 rng(seed());
  const auto i = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  const auto tensor = [&](const ref::Shape4& s, int32_t zp) {
    ref::QTensor t;
    t.shape = s;
    t.zero_point = zp;
    t.data.resize(s.elements());
    for (auto& v : t.data) v = static_cast<int8_t>(i(-128, 127));
    return t;
  };
  struct Layer {
    std::string what;
    tsr::dev::Program prog;
    ref::QTensor expect;
  };
  for (const char* var : {"default", "wide"}) {
    const DeviceParams dp = preset(var);
    std::vector<Layer> layers;
    for (int rep = 0; rep < 2; ++rep) {
      {
        const ref::Shape4 is{1, i(3, 7), i(3, 7), i(1, 2 * dp.rows + 3)};
        const int cout = i(1, 2 * dp.cols + 3);
        const ref::Window win = ref::make_window(ref::Padding::Same, is, 3, 3, i(1, 2), i(1, 2));
        const auto in = tensor(is, i(-20, 20));
        const auto f = tensor({cout, 3, 3, is.c}, 0);
        std::vector<int32_t> bias(static_cast<size_t>(cout));
        for (auto& b : bias) b = i(-5000, 5000);
        const auto oq = ref::conv_output_quant(0.05F, std::vector<float>{0.01F}, {0.3F, i(-10, 10)},
                                               ref::Activation::Relu);
        layers.push_back({"conv", tsr::dev::lower_conv2d(dp, "conv", in, f, bias, win, oq),
                          ref::conv2d(in, f, bias, win, oq)});
      }
      {
        const ref::Shape4 is{1, i(2, 8), i(2, 8), i(1, 2 * dp.cols + 3)};
        const ref::PoolParams pp = ref::make_pool_params(ref::Padding::Same, is, 2, 3, 2, 1, {-128, 127});
        const auto in = tensor(is, 3);
        layers.push_back({"max_pool", tsr::dev::lower_max_pool2d(dp, "max", in, pp), ref::max_pool2d(in, pp)});
      }
      {
        const ref::Shape4 s{1, i(1, 6), i(1, 6), i(1, 2 * dp.cols + 3)};
        const ref::AddParams ap = ref::add_params({0.05F, 3}, {0.04F, -7}, {0.1F, 1}, ref::Activation::None);
        const auto a = tensor(s, 3), b = tensor(s, -7);
        layers.push_back({"add", tsr::dev::lower_add(dp, "add", a, b, ap), ref::add(a, b, ap)});
      }
    }
    for (const Layer& L : layers) {
      SCOPED_TRACE(std::string(var) + " " + L.what);
      RefDevice d = tsr::dev::make_device(dp, L.prog);
      d.attach_core(firmware());
      // The command list goes to scratchpad rows no command of the program touches.
      std::vector<bool> used(static_cast<size_t>(dp.sp_rows), false);
      for (const Command& c : L.prog.commands) {
        const auto fp = tsr::dev::footprint(c, dp);
        for (const auto* v : {&fp.sp_read, &fp.sp_write}) {
          for (const auto& st : *v) {
            for (uint64_t k = 0; k < st.count; ++k) {
              for (uint64_t e = 0; e < st.len; ++e) used.at(st.first + k * st.stride + e) = true;
            }
          }
        }
      }
      std::vector<uint32_t> w;
      for (const Command& c : L.prog.commands) w.insert(w.end(), c.begin(), c.end());
      const int need = static_cast<int>(w.size() * 4 / static_cast<size_t>(dp.sp_row_bytes)) + 2;
      int list_row = -1;
      for (int r = 0, run = 0; r < dp.sp_rows && list_row < 0; ++r) {
        run = used[static_cast<size_t>(r)] ? 0 : run + 1;
        if (run == need) list_row = r - need + 2;
      }
      ASSERT_GE(list_row, 1) << "no free rows for the command list";
      const uint32_t list = put(d, list_row, words(w));
      const uint32_t args = put(d, list_row - 1, words({list, static_cast<uint32_t>(L.prog.commands.size())}));
      const RunResult r = d.run({escape(TSR_ESC_FN_RUN, args)}, rng());
      ASSERT_TRUE(r.ok()) << r.summary();
      EXPECT_EQ(r.stats[0].core_pushed, L.prog.commands.size());
      EXPECT_EQ(r.tokens_left, (std::array<int64_t, 4>{0, 0, 0, 0}));
      const auto& out = L.prog.region("output");
      const auto got = tsr::dev::output_from_bytes(L.prog, d.read(out.addr, out.size));
      EXPECT_EQ(got.data, L.expect.data);
    }
  }
}

TEST(Escape, PushedCommandsWithoutTokensAreHazards) {
  // The same list without dependency tokens: the core pushes LOAD, VECTOR and STORE back to back,
  // so the units may run them in any order; the happens-before check must say so for every seed.
  const DeviceParams dp = preset("default");
  RefDevice d(dp, kBase, kSize);
  d.attach_core(firmware());
  const uint32_t args = stage_run(d, max_program(dp, kBase, kBase + 0x400, 2));
  for (uint64_t s = 0; s < 4; ++s) {
    const RunResult r = d.run({escape(TSR_ESC_FN_RUN, args)}, s);
    EXPECT_EQ(r.status, RunResult::Status::Ok) << r.summary();
    ASSERT_FALSE(r.hazards.empty()) << "seed " << s;
    EXPECT_NE(r.hazards.front().find("pushed by the core"), std::string::npos) << r.hazards.front();
  }
}

TEST(Escape, NoCoreOnAVariantWithoutOneOrWithoutFirmware) {
  const DeviceParams unit = preset("unit");
  EXPECT_FALSE(unit.has_core);
  RefDevice u(unit, kBase, kSize);
  EXPECT_THROW(u.attach_core(firmware()), tsr::Error);
  const Command ok_fence = tsr::dev::fence();
  expect_error(u.run({ok_fence, escape(TSR_ESC_FN_SOFTMAX, 0)}, 1), "no_core", "fetch", 1);

  RefDevice d(preset("default"), kBase, kSize);  // a core, but no firmware attached
  const RunResult r = d.run({escape(TSR_ESC_FN_SOFTMAX, 0)}, 1);
  expect_error(r, "no_core", "fetch", 0);
  EXPECT_NE(r.message.find("no firmware"), std::string::npos) << r.message;
}

TEST(Escape, CoreHaltedWhenStoppedOrFaulting) {
  RefDevice d(preset("default"), kBase, kSize);
  d.attach_core(firmware(), "tsr_escape.elf", /*run=*/false);
  expect_error(d.run({tsr::dev::fence(), escape(TSR_ESC_FN_SOFTMAX, 0)}, 1), "core_halted", "fetch", 1);
  // Running, but the op's argument pointer leads outside every region: the core halts with a load
  // fault during the ESCAPE.
  d.set_core_run(true);
  const RunResult r = d.run({escape(TSR_ESC_FN_SOFTMAX, 0x4000'0000u)}, 1);
  expect_error(r, "core_halted", "fetch", 0);
  EXPECT_NE(r.message.find("load_fault"), std::string::npos) << r.message;
  ASSERT_TRUE(d.core()->halted());
  // A halted core stays halted for the next ESCAPE.
  expect_error(d.run({escape(TSR_ESC_FN_SOFTMAX, 0)}, 1), "core_halted", "fetch", 0);
}

TEST(Escape, NonZeroStatusIsEscapeStatusAndTheCoreServesOn) {
  const DeviceParams dp = preset("default");
  RefDevice d(dp, kBase, kSize);
  d.attach_core(firmware());
  const RunResult r = d.run({tsr::dev::fence(), tsr::dev::fence(), escape(999, 0)}, 1);
  expect_error(r, "escape_status", "fetch", 2);
  EXPECT_NE(r.message.find(std::to_string(TSR_ESC_ERR_FUNC)), std::string::npos) << r.message;
  // The firmware wrote ESC_DONE = TSR_ESC_ERR_FUNC and went back to its loop: the next works.
  SoftmaxCase c{{1, 2, 3, 4}, 4, tsr::ref::softmax_params(0.25)};
  int out_row = 0;
  const uint32_t args = stage_softmax(d, c, out_row);
  EXPECT_TRUE(d.run({escape(TSR_ESC_FN_SOFTMAX, args)}, 2).ok());
  EXPECT_EQ(get(d, out_row, 4), tsr::ref::softmax_i8(c.in, 4, c.p));
  // A bad argument: top-k with k = 0 answers TSR_ESC_ERR_ARG.
  const uint32_t topk = put(d, 0, words({args, 1, 4, 0, args, args}));
  const RunResult r2 = d.run({escape(TSR_ESC_FN_TOPK, topk)}, 3);
  expect_error(r2, "escape_status", "fetch", 0);
  EXPECT_NE(r2.message.find(std::to_string(TSR_ESC_ERR_ARG)), std::string::npos) << r2.message;
}

TEST(Escape, TimeoutAndStepBudget) {
  const DeviceParams dp = preset("default");
  RefDevice d(dp, kBase, kSize);
  d.attach_core(firmware());
  SoftmaxCase c{std::vector<int8_t>(64, 3), 64, tsr::ref::softmax_params(0.5)};
  int out_row = 0;
  const uint32_t args = stage_softmax(d, c, out_row);
  // The first ESCAPE after the boot starts inside the service loop's first poll; measure a later one.
  ASSERT_TRUE(d.run({escape(TSR_ESC_FN_SOFTMAX, args)}, 1).ok());
  const RunResult full = d.run({escape(TSR_ESC_FN_SOFTMAX, args)}, 1);
  ASSERT_TRUE(full.ok()) << full.summary();
  EXPECT_EQ(d.run({escape(TSR_ESC_FN_SOFTMAX, args)}, 1).stats[0].core_instret, full.stats[0].core_instret);
  const uint64_t need = full.stats[0].core_instret;
  d.set_core_timeout(need);  // exactly enough
  EXPECT_TRUE(d.run({escape(TSR_ESC_FN_SOFTMAX, args)}, 1).ok());
  d.set_core_timeout(need - 1);
  expect_error(d.run({tsr::dev::fence(), escape(TSR_ESC_FN_SOFTMAX, args)}, 1), "escape_timeout", "fetch", 1);
  // The timed-out op left the core inside the op; a fresh core for the budget check.
  RefDevice d2(dp, kBase, kSize);
  d2.attach_core(firmware());
  stage_softmax(d2, c, out_row);
  ASSERT_TRUE(d2.run({escape(TSR_ESC_FN_SOFTMAX, args)}, 1).ok());  // boots the core
  tsr::dev::RunOptions ro;
  ro.core_step_budget = need / 2;
  const RunResult r = d2.run({escape(TSR_ESC_FN_SOFTMAX, args)}, 1, ro);
  EXPECT_EQ(r.status, RunResult::Status::Deadlock) << r.summary();
  EXPECT_NE(r.message.find("did not end the ESCAPE"), std::string::npos) << r.message;
}

// Hand-assembled core programs (RV32I encodings per the unprivileged spec).
uint32_t rv_i(uint32_t op, int rd, int f3, int rs1, int32_t imm) {
  return (static_cast<uint32_t>(imm) << 20) | static_cast<uint32_t>(rs1 << 15 | f3 << 12 | rd << 7) | op;
}
uint32_t rv_s(int rs1, int rs2, int32_t imm) {  // sw
  const auto u = static_cast<uint32_t>(imm);
  return ((u >> 5 & 0x7Fu) << 25) | static_cast<uint32_t>(rs2 << 20 | rs1 << 15 | 2 << 12) | ((u & 0x1Fu) << 7) | 0x23u;
}
uint32_t rv_lui(int rd, uint32_t upper) { return (upper << 12) | static_cast<uint32_t>(rd << 7) | 0x37u; }
constexpr uint32_t kBeqT1ZeroBack4 = 0xFE030EE3u;  // beq t1, x0, -4
constexpr uint32_t kJumpSelf = 0x0000006Fu;        // jal x0, 0

tsr::iss::ElfImage program(const std::vector<uint32_t>& insns) {
  tsr::iss::ElfImage img;
  tsr::iss::Segment seg;
  seg.addr = 0;
  seg.memsz = static_cast<uint32_t>(4 * insns.size());
  seg.bytes = words(insns);
  img.segments.push_back(seg);
  return img;
}

// Waits for an ESCAPE (ESC_STATUS), then writes EXIT = code.
tsr::iss::ElfImage exit_on_escape(int code) {
  const auto status = static_cast<int32_t>(mm::mmio_offset("ESC_STATUS"));
  const auto exit = static_cast<int32_t>(mm::mmio_offset("EXIT"));
  return program({rv_lui(5, mm::kMmioBase >> 12), rv_i(0x03, 6, 2, 5, status), kBeqT1ZeroBack4,
                  rv_i(0x13, 7, 0, 0, code), rv_s(5, 7, exit), kJumpSelf});
}

TEST(Escape, ExitEndsTheEscapeWithItsCode) {
  const DeviceParams dp = preset("default");
  {
    RefDevice d(dp, kBase, kSize);
    d.attach_core(exit_on_escape(0), "exit0");
    const RunResult r = d.run({escape(TSR_ESC_FN_SOFTMAX, 0), tsr::dev::fence()}, 1);
    EXPECT_TRUE(r.ok()) << r.summary();  // exit code 0: the ESCAPE ends normally
    EXPECT_EQ(r.retired, 2U);
    ASSERT_TRUE(d.core()->halted());
    expect_error(d.run({escape(TSR_ESC_FN_SOFTMAX, 0)}, 1), "core_halted", "fetch", 0);
  }
  {
    RefDevice d(dp, kBase, kSize);
    d.attach_core(exit_on_escape(5), "exit5");
    const RunResult r = d.run({tsr::dev::fence(), escape(TSR_ESC_FN_SOFTMAX, 0)}, 1);
    expect_error(r, "escape_status", "fetch", 1);
    EXPECT_NE(r.message.find("status 5"), std::string::npos) << r.message;
  }
}

TEST(Escape, PushOutsideAnEscapeIsCorePush) {
  // The core pushes (CMD_PUSH in its CSR window) right after reset, with no ESCAPE pending.
  RefDevice d(preset("default"), kBase, kSize);
  d.attach_core(program({rv_lui(5, mm::kCsrBase >> 12),
                         rv_s(5, 0, static_cast<int32_t>(tsr::gen::isa::csr("CMD_PUSH").offset)), kJumpSelf}),
                "pusher");
  expect_error(d.run({tsr::dev::fence(), escape(TSR_ESC_FN_SOFTMAX, 0)}, 1), "core_push", "fetch", 1);
}

TEST(Escape, CorePushErrorsAndPushedCommandErrorsNameTheEscape) {
  const DeviceParams dp = preset("default");
  {
    // A pushed ESCAPE (nested) is core_push.
    RefDevice d(dp, kBase, kSize);
    d.attach_core(firmware());
    const uint32_t args = stage_run(d, {tsr::dev::fence(), escape(TSR_ESC_FN_SOFTMAX, 0)});
    expect_error(d.run({tsr::dev::fence(), escape(TSR_ESC_FN_RUN, args), tsr::dev::fence()}, 1), "core_push",
                 "fetch", 1);
  }
  {
    // A pushed LOAD past the scratchpad end: sp_range from the load unit, at the ESCAPE's index.
    RefDevice d(dp, kBase, kSize);
    d.attach_core(firmware());
    const Command bad = tsr::dev::load({.dram_addr = kBase, .dram_stride = 16, .rows = 2, .row_bytes = 16,
                                        .sp_addr = dp.sp_rows - 1, .elem_bytes = 16});
    const uint32_t args = stage_run(d, {bad});
    const RunResult r = d.run({tsr::dev::fence(), tsr::dev::fence(), escape(TSR_ESC_FN_RUN, args)}, 1);
    expect_error(r, "sp_range", "load", 2);
    EXPECT_NE(r.message.find("LOAD it pushed"), std::string::npos) << r.message;
  }
  {
    // A pushed STORE outside the DMA window: dma_window from the store unit.
    RefDevice d(dp, kBase, kSize);
    d.attach_core(firmware());
    tsr::dev::StoreFields sf;
    sf.mode = tsr::dev::StoreMode::Raw;
    sf.dram_addr = kBase + kSize;
    sf.rows = 1;
    sf.row_bytes = sf.elem_bytes = 4;
    const uint32_t args = stage_run(d, {tsr::dev::store(sf)});
    expect_error(d.run({escape(TSR_ESC_FN_RUN, args)}, 1), "dma_window", "store", 0);
  }
}

}  // namespace

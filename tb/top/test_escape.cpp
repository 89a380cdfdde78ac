// The escape core inside the accelerator (TSR_TOP_VARIANT): the CSR loader, ESCAPE hand-over and
// resume, the core's scratchpad port (byte loads and read-modify-write byte stores next to the
// units), commands pushed by the core (with a FENCE among them), and every ESCAPE error. The
// programs are assembled here instruction by instruction (tb/core/rv_asm.h), so they run on every
// core variant (RV32I too); the expected results are computed by the test from the data.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "rv_asm.h"
#include "tessera/dev/isa_encode.h"
#include "tessera/iss/iss.h"
#include "tessera/ref/escape_ops.h"
#include "tsr_escape_abi.h"
#include "tessera/gen/isa.h"
#include "tessera/tb/harness.h"
#include "tessera/top/top_bench.h"
#include "tsr_memmap.h"
#include "tsr_params.h"
#include TSR_TOP_MODEL_HEADER

namespace {

using tsr::dev::Command;
using tsr::tb::AxiMemory;
using TopBench = tsr::tb::TopBench<TSR_TOP_MODEL>;
using tsr::tb::TopRun;
namespace rv = tsr::core::rv;

constexpr uint64_t kBase = 0x1000'0000;
constexpr uint64_t kLimit = 0x1004'0000;
constexpr uint32_t kRb = TSR_SP_ROW_BYTES;
constexpr uint32_t kStride = TSR_SPAD_ROW_STRIDE;

// Function ids of the test server below.
constexpr uint32_t kFnCopyPlusOne = 1, kFnPush = 2, kFnSpin = 3, kFnBreak = 4;

// A tiny assembler with labels for forward and backward branches / jumps.
class Asm {
 public:
  std::vector<uint32_t> code;
  void label(const std::string& l) { labels_[l] = pc(); }
  void emit(uint32_t w) { code.push_back(w); }
  void li(uint32_t rd, uint32_t v) { rv::li(code, rd, v); }
  // kind: 'q' beq, 'n' bne, 'g' bge, 'j' jal x0
  void br(char kind, uint32_t a, uint32_t b, const std::string& l) {
    fix_.push_back({code.size(), kind, a, b, l});
    code.push_back(0);
  }
  void j(const std::string& l) { br('j', 0, 0, l); }
  std::vector<uint32_t> finish() {
    for (const auto& f : fix_) {
      const int32_t off = labels_.at(f.label) - static_cast<int32_t>(4 * f.at);
      uint32_t w = 0;
      switch (f.kind) {
        case 'q': w = rv::beq(f.a, f.b, off); break;
        case 'n': w = rv::bne(f.a, f.b, off); break;
        case 'g': w = rv::bge(f.a, f.b, off); break;
        default: w = rv::jal(0, off); break;
      }
      code[f.at] = w;
    }
    return code;
  }

 private:
  int32_t pc() const { return static_cast<int32_t>(4 * code.size()); }
  struct Fix {
    size_t at;
    char kind;
    uint32_t a, b;
    std::string label;
  };
  std::vector<Fix> fix_;
  std::map<std::string, int32_t> labels_;
};

// The escape server: waits for ESC_STATUS, dispatches on ESC_FUNC, writes ESC_DONE = ARG5.
//   1 copy+1: ARG0 src, ARG1 dst (core addresses of scratchpad rows), ARG2 rows, ARG3 bytes per
//             row, ARG4 row stride: dst byte = src byte + 1 (lb / sb)
//   2 push:   ARG0 DMEM address of 8-word commands, ARG1 count: waits for a free core-queue entry
//             (CORE_STATUS[15:8]), writes CMD_DATA0..7 and CMD_PUSH; then waits for CORE_STATUS
//             bit 3 (core queue empty, units idle)
//   3 spin forever; 4 ebreak; others: status 99
std::vector<uint32_t> server() {
  Asm a;
  a.li(5, TSR_MMIO_BASE);
  a.li(12, TSR_ACSR_BASE);
  a.label("wait");
  a.emit(rv::lw(6, 5, TSR_MMIO_ESC_STATUS));
  a.emit(rv::andi(6, 6, 1));
  a.br('q', 6, 0, "wait");
  a.emit(rv::lw(7, 5, TSR_MMIO_ESC_FUNC));
  for (int k = 0; k < 6; ++k) {
    static const uint32_t rd[6] = {8, 9, 10, 11, 13, 14};
    a.emit(rv::lw(rd[k], 5, static_cast<int32_t>(TSR_MMIO_ESC_ARG0 + 4 * k)));
  }
  a.li(15, kFnCopyPlusOne);
  a.br('q', 7, 15, "copy");
  a.li(15, kFnPush);
  a.br('q', 7, 15, "push");
  a.li(15, kFnSpin);
  a.br('q', 7, 15, "spin");
  a.li(15, kFnBreak);
  a.br('q', 7, 15, "break");
  a.li(14, 99);
  a.j("done");

  a.label("copy");
  a.br('q', 10, 0, "done");
  a.li(16, 0);
  a.label("lane");
  a.br('g', 16, 11, "lane_end");
  a.emit(rv::add(17, 8, 16));
  a.emit(rv::lb(18, 17, 0));
  a.emit(rv::addi(18, 18, 1));
  a.emit(rv::add(17, 9, 16));
  a.emit(rv::sb(18, 17, 0));
  a.emit(rv::addi(16, 16, 1));
  a.j("lane");
  a.label("lane_end");
  a.emit(rv::add(8, 8, 13));
  a.emit(rv::add(9, 9, 13));
  a.emit(rv::addi(10, 10, -1));
  a.j("copy");

  a.label("push");
  a.br('q', 9, 0, "push_wait");
  a.label("free");
  a.emit(rv::lw(6, 12, TSR_CSR_CORE_STATUS));
  a.emit(rv::srli(6, 6, 8));
  a.emit(rv::andi(6, 6, 0xff));
  a.br('q', 6, 0, "free");
  for (int k = 0; k < 8; ++k) {
    a.emit(rv::lw(17, 8, 4 * k));
    a.emit(rv::sw(17, 12, static_cast<int32_t>(TSR_CSR_CMD_DATA0 + 4 * k)));
  }
  a.emit(rv::sw(0, 12, TSR_CSR_CMD_PUSH));
  a.emit(rv::addi(8, 8, 32));
  a.emit(rv::addi(9, 9, -1));
  a.j("push");
  a.label("push_wait");
  a.emit(rv::lw(6, 12, TSR_CSR_CORE_STATUS));
  a.emit(rv::andi(6, 6, 8));
  a.br('q', 6, 0, "push_wait");
  a.j("done");

  a.label("spin");
  a.j("spin");
  a.label("break");
  a.emit(rv::kEbreak);

  a.label("done");
  a.emit(rv::sw(14, 5, TSR_MMIO_ESC_DONE));
  a.j("wait");
  return a.finish();
}

Command escape(uint32_t func, const std::vector<uint32_t>& args) {
  return tsr::dev::escape(func, args);
}

uint32_t spad_addr(uint32_t row) { return TSR_SPAD_BASE + row * kStride; }

uint32_t error_code(const char* name) {
  return static_cast<uint32_t>(tsr::gen::isa::enum_value("error", name));
}

class Escape : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!TSR_CORE_ENABLE) GTEST_SKIP() << "variant without an escape core";
    seed_ = tsr::tb::test_seed();
    rng_.seed(seed_);
    RecordProperty("seed", std::to_string(seed_));
  }
  AxiMemory::Config mem() {
    AxiMemory::Config c;
    c.base = kBase;
    c.size = 1u << 20;
    c.latency_cycles = static_cast<int>(rng_() % 30) + 1;
    c.bytes_per_cycle = TSR_DMA_BUS_BYTES;
    c.seed = rng_();
    return c;
  }
  // A bench with the window set and the server loaded (and running unless run = false).
  std::unique_ptr<TopBench> bench(bool run = true, const std::vector<uint32_t>& prog = server()) {
    auto b = std::make_unique<TopBench>(mem());
    b->set_window(kBase, kLimit);
    b->core_ctrl(0);
    b->core_write_words(TSR_IMEM_BASE, prog);
    if (run) b->core_ctrl(1);
    return b;
  }
  TopRun run(TopBench& b, const std::vector<Command>& cmds) {
    b.mem().write(kBase + 0x100, tsr::dev::to_bytes(cmds));
    return b.run_list(kBase + 0x100, static_cast<uint32_t>(cmds.size()));
  }
  static void expect_error(const TopRun& r, const char* name, uint32_t cmd) {
    EXPECT_TRUE(r.error) << name;
    EXPECT_EQ(r.err_code, error_code(name)) << "expected " << name;
    EXPECT_EQ(r.err_unit, 0u) << name;
    EXPECT_EQ(r.err_cmd, cmd) << name;
  }
  uint64_t seed_ = 0;
  std::mt19937_64 rng_;
};

// The int8 copy path of the escape ops: VECTOR max over 1x1 windows (rows -> accumulator), then
// STORE avg with a division by one (accumulator -> int8 DRAM).
std::vector<Command> copy_out(uint32_t sp_row, uint32_t rows, uint64_t dram) {
  tsr::dev::VectorFields v;
  v.mode = tsr::dev::VectorMode::Max;
  v.in_addr = sp_row;
  v.win.in_h = v.win.out_h = 1;
  v.win.in_w = v.win.out_w = rows;
  tsr::dev::StoreFields s;
  s.mode = tsr::dev::StoreMode::Avg;
  s.dram_addr = dram;
  s.dram_stride = TSR_ARRAY_COLS;
  s.rows = rows;
  s.row_bytes = TSR_ARRAY_COLS;
  s.elem_bytes = TSR_ARRAY_COLS;
  s.div_magic = 1;
  return {tsr::dev::vector(v), tsr::dev::fence(), tsr::dev::store(s)};
}

TEST_F(Escape, LoaderWritesAndReadsCoreMemory) {
  auto b = bench(false);
  std::vector<uint32_t> words(64);
  for (auto& w : words) w = static_cast<uint32_t>(rng_());
  b->core_write_words(TSR_DMEM_BASE + 0x40, words);
  EXPECT_EQ(b->core_read_words(TSR_DMEM_BASE + 0x40, words.size()), words);
  // The IMEM holds the server: the core runs it once started (status: running, no halt).
  b->core_ctrl(1);
  const uint32_t st = b->read_csr(TSR_CSR_CORE_STATUS);
  EXPECT_EQ(st & 3u, 2u) << fmt::format("CORE_STATUS {:#x}", st);
  EXPECT_EQ((st >> 16) & 1u, 1u);
  EXPECT_EQ((st >> 8) & 0xffu, 4u);  // four free core-queue entries
  // While it runs the loader is ignored and reads 0.
  b->write_csr(TSR_CSR_CORE_LM_ADDR, TSR_DMEM_BASE + 0x40);
  EXPECT_EQ(b->read_csr(TSR_CSR_CORE_LM_DATA), 0u);
}

TEST_F(Escape, CopyThroughTheScratchpadPortAndResume) {
  if (kRb != TSR_ARRAY_COLS) GTEST_SKIP() << "the int8 copy-out needs row bytes == columns";
  auto b = bench();
  const uint32_t rows = 5, src = 3, dst = 40;
  std::vector<uint8_t> data(rows * kRb);
  for (auto& x : data) x = static_cast<uint8_t>(rng_());
  data[0] = 0x7f;  // wraps to -128
  data[1] = 0xff;  // -1 -> 0
  b->mem().write(kBase + 0x4000, data);
  tsr::dev::LoadFields l;
  l.dram_addr = kBase + 0x4000;
  l.dram_stride = kRb;
  l.rows = rows;
  l.row_bytes = kRb;
  l.elem_bytes = kRb;
  l.sp_addr = src;
  std::vector<Command> cmds = {tsr::dev::load(l),
                               escape(kFnCopyPlusOne, {spad_addr(src), spad_addr(dst), rows, kRb,
                                                       kStride, 0})};
  for (const auto& c : copy_out(dst, rows, kBase + 0x8000)) cmds.push_back(c);
  const TopRun r = run(*b, cmds);
  ASSERT_TRUE(r.done) << fmt::format("error {} unit {} cmd {}", r.err_code, r.err_unit, r.err_cmd);
  const auto out = b->mem().read(kBase + 0x8000, data.size());
  for (size_t i = 0; i < data.size(); ++i) {
    ASSERT_EQ(out[i], static_cast<uint8_t>(data[i] + 1)) << "byte " << i;
  }
  EXPECT_EQ(r.counter(TSR_CNT_CMDS), cmds.size());
  EXPECT_GT(r.counter(TSR_CNT_ESC_CYCLES), uint64_t{rows * kRb * 6});  // >= 6 instructions a byte
  EXPECT_EQ(b->read_csr(TSR_CSR_CORE_ESC_STATUS), 0u);
  // The core is back at its wait loop: a second list with an ESCAPE runs too.
  const TopRun r2 = run(*b, {escape(kFnCopyPlusOne, {spad_addr(dst), spad_addr(src), 0, 0, 0, 0}),
                             tsr::dev::fence()});
  EXPECT_TRUE(r2.done);
}

TEST_F(Escape, CommandsPushedByTheCore) {
  if (kRb != TSR_ARRAY_COLS) GTEST_SKIP() << "the int8 copy-out needs row bytes == columns";
  auto b = bench(false);
  const uint32_t rows = 6, row = 7;
  std::vector<uint8_t> data(rows * kRb);
  for (auto& x : data) x = static_cast<uint8_t>(rng_());
  b->mem().write(kBase + 0x4000, data);
  tsr::dev::LoadFields l;
  l.dram_addr = kBase + 0x4000;
  l.dram_stride = kRb;
  l.rows = rows;
  l.row_bytes = kRb;
  l.elem_bytes = kRb;
  l.sp_addr = row;
  // More than the four core-queue entries: the core waits for room (and CMD_PUSH is held).
  std::vector<Command> pushed = {tsr::dev::load(l), tsr::dev::fence()};
  for (const auto& c : copy_out(row, rows, kBase + 0x9000)) pushed.push_back(c);
  const auto bytes = tsr::dev::to_bytes(pushed);
  b->core_write(TSR_DMEM_BASE + 0x100, bytes);
  b->core_ctrl(1);
  const TopRun r = run(*b, {escape(kFnPush, {TSR_DMEM_BASE + 0x100,
                                             static_cast<uint32_t>(pushed.size()), 0, 0, 0, 0}),
                            tsr::dev::fence(true)});
  ASSERT_TRUE(r.done) << fmt::format("error {} unit {} cmd {}", r.err_code, r.err_unit, r.err_cmd);
  EXPECT_EQ(b->mem().read(kBase + 0x9000, data.size()), data);
  EXPECT_EQ(r.counter(TSR_CNT_CMDS), 2u + pushed.size());
}

TEST_F(Escape, Errors) {
  // Core not started: core_halted at the ESCAPE (index 1), before anything is handed over.
  {
    auto b = bench(false);
    expect_error(run(*b, {tsr::dev::fence(), escape(kFnCopyPlusOne, {})}), "core_halted", 1);
  }
  // Non-zero status from the core.
  {
    auto b = bench();
    expect_error(run(*b, {escape(kFnCopyPlusOne, {0, 0, 0, 0, 0, 7})}), "escape_status", 0);
    EXPECT_EQ(b->read_csr(TSR_CSR_CORE_ESC_STATUS), 7u);
  }
  // A function the server does not know: status 99.
  {
    auto b = bench();
    expect_error(run(*b, {tsr::dev::fence(), escape(77, {})}), "escape_status", 1);
    EXPECT_EQ(b->read_csr(TSR_CSR_CORE_ESC_STATUS), 99u);
  }
  // A core that never answers: the timeout.
  {
    auto b = bench();
    b->write_csr(TSR_CSR_CORE_TIMEOUT, 500);
    const TopRun r = run(*b, {escape(kFnSpin, {})});
    expect_error(r, "escape_timeout", 0);
  }
  // A core that halts on a fault (ebreak) during the ESCAPE; CORE_STATUS shows the halt.
  {
    auto b = bench();
    expect_error(run(*b, {escape(kFnBreak, {})}), "core_halted", 0);
    const uint32_t st = b->read_csr(TSR_CSR_CORE_STATUS);
    EXPECT_EQ(st & 1u, 1u);
    EXPECT_NE((st >> 4) & 0xfu, 0u);
  }
  // The core pushes an ESCAPE (nested), and a command whose own error is reported with the
  // ESCAPE's index.
  {
    auto b = bench(false);
    b->core_write(TSR_DMEM_BASE, tsr::dev::to_bytes(std::vector<Command>{escape(1, {})}));
    b->core_ctrl(1);
    expect_error(run(*b, {tsr::dev::fence(), tsr::dev::fence(),
                          escape(kFnPush, {TSR_DMEM_BASE, 1, 0, 0, 0, 0})}),
                 "core_push", 2);
  }
  {
    auto b = bench(false);
    tsr::dev::LoadFields l;
    l.dram_addr = kBase;
    l.dram_stride = kRb;
    l.rows = 2;
    l.row_bytes = kRb;
    l.elem_bytes = kRb;
    l.sp_addr = TSR_SP_ROWS - 1;  // the second row is past the scratchpad
    b->core_write(TSR_DMEM_BASE, tsr::dev::to_bytes(std::vector<Command>{tsr::dev::load(l)}));
    b->core_ctrl(1);
    const TopRun r = run(*b, {tsr::dev::fence(), escape(kFnPush, {TSR_DMEM_BASE, 1, 0, 0, 0, 0})});
    EXPECT_TRUE(r.error);
    EXPECT_EQ(r.err_code, error_code("sp_range"));
    EXPECT_EQ(r.err_unit, 1u);  // the load unit
    EXPECT_EQ(r.err_cmd, 1u);   // the ESCAPE's index
  }
  // A push outside an ESCAPE.
  {
    Asm a;
    a.li(12, TSR_ACSR_BASE);
    a.emit(rv::sw(0, 12, TSR_CSR_CMD_PUSH));
    a.label("end");
    a.j("end");
    auto b = bench(true, a.finish());
    for (int i = 0; i < 50; ++i) b->step();
    EXPECT_EQ(b->read_csr(TSR_CSR_STATUS) & 4u, 4u);
    EXPECT_EQ(b->read_csr(TSR_CSR_ERR_CODE) & 0xffu, error_code("core_push"));
  }
}

// The service firmware (firmware/, linked for the default core map: 16 KiB + 16 KiB, RV32IM) on
// the core inside the accelerator: int8 softmax handed over by an ESCAPE with its argument block
// and input in the scratchpad, the output copied to DRAM by VECTOR/STORE, bit-exact against the
// golden TFLite softmax (tsr::ref::softmax_i8).
TEST_F(Escape, SoftmaxOnTheServiceFirmware) {
  if (!TSR_CORE_M_EXT || TSR_CORE_IMEM_KIB < 16 || TSR_CORE_DMEM_KIB < 16) {
    GTEST_SKIP() << "the service image is linked for a 16 + 16 KiB RV32IM core";
  }
  if (kRb != TSR_ARRAY_COLS || kStride != kRb) GTEST_SKIP() << "needs row bytes == columns";
  const auto elf = tsr::iss::load_elf(std::string(TSR_FW_DIR) + "/tsr_escape.elf");
  auto b = bench(false);
  b->load_core(elf);

  const int rows = 3, depth = 10;
  std::vector<int8_t> in(rows * depth);
  for (auto& x : in) x = static_cast<int8_t>(rng_());
  const auto sp = tsr::ref::softmax_params(0.05 + 0.2 * double(rng_() % 100) / 100.0);
  const auto want = tsr::ref::softmax_i8(in, depth, sp);

  auto rows_of = [](size_t bytes) { return static_cast<uint32_t>((bytes + kRb - 1) / kRb); };
  const uint32_t arg_row = 2, in_row = 10, out_row = 30;
  const std::vector<uint32_t> args = {spad_addr(in_row), spad_addr(out_row),
                                      static_cast<uint32_t>(rows), static_cast<uint32_t>(depth),
                                      static_cast<uint32_t>(sp.input_multiplier),
                                      static_cast<uint32_t>(sp.input_left_shift),
                                      static_cast<uint32_t>(sp.diff_min)};
  std::vector<uint8_t> arg_bytes(rows_of(4 * args.size()) * kRb, 0);
  for (size_t k = 0; k < args.size(); ++k) {
    for (int i = 0; i < 4; ++i) arg_bytes[4 * k + i] = static_cast<uint8_t>(args[k] >> (8 * i));
  }
  std::vector<uint8_t> in_bytes(rows_of(in.size()) * kRb, 0);
  for (size_t i = 0; i < in.size(); ++i) in_bytes[i] = static_cast<uint8_t>(in[i]);
  b->mem().write(kBase + 0x3000, arg_bytes);
  b->mem().write(kBase + 0x4000, in_bytes);
  auto load = [&](uint64_t dram, uint32_t row, size_t bytes) {
    tsr::dev::LoadFields l;
    l.dram_addr = dram;
    l.dram_stride = kRb;
    l.rows = rows_of(bytes);
    l.row_bytes = kRb;
    l.elem_bytes = kRb;
    l.sp_addr = row;
    return tsr::dev::load(l);
  };
  std::vector<Command> cmds = {load(kBase + 0x3000, arg_row, arg_bytes.size()),
                               load(kBase + 0x4000, in_row, in_bytes.size()),
                               escape(TSR_ESC_FN_SOFTMAX, {spad_addr(arg_row)})};
  for (const auto& c : copy_out(out_row, rows_of(in.size()), kBase + 0x8000)) cmds.push_back(c);
  const TopRun r = run(*b, cmds);
  ASSERT_TRUE(r.done) << fmt::format("error {} unit {} cmd {}; core status {:#x} pc {:#x}",
                                     r.err_code, r.err_unit, r.err_cmd,
                                     b->read_csr(TSR_CSR_CORE_STATUS),
                                     b->read_csr(TSR_CSR_CORE_PC));
  const auto out = b->mem().read(kBase + 0x8000, in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    ASSERT_EQ(static_cast<int8_t>(out[i]), want[i]) << "element " << i;
  }
  RecordProperty("escape_cycles", std::to_string(r.counter(TSR_CNT_ESC_CYCLES)));
  std::printf("softmax %dx%d on the escape core: %llu cycles in the ESCAPE, %llu in the list\n",
              rows, depth, static_cast<unsigned long long>(r.counter(TSR_CNT_ESC_CYCLES)),
              static_cast<unsigned long long>(r.cycles));
}

}  // namespace

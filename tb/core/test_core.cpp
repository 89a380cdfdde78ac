// Escape core tests: directed tests of every RV32IM instruction and the spec's edge cases, on the
// ISS and the RTL; halt causes (illegal, misaligned, out of range); random instruction streams in
// lockstep RTL vs ISS (retired pc, register write, memory write); ISS vs qemu-riscv32 on random
// programs and the benchmark programs; tessera core-run's errors.
#include <cstdio>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "rv_asm.h"
#include "tessera/core/core_sim.h"
#include "tessera/error.h"
#include "tessera/gen/memmap.h"
#include "tessera/iss/iss.h"
#include "tessera/tb/harness.h"

namespace fs = std::filesystem;
namespace mm = tsr::gen::memmap;
using namespace tsr::core;
using namespace tsr::core::rv;
using tsr::iss::Retire;

namespace {

struct Outcome {
  tsr::iss::Halt halt;
  std::string console;
  uint32_t regs[32] = {};
  std::vector<Retire> retires;
  uint64_t cycles = 0;
};

Outcome run_iss(const tsr::iss::CoreConfig& cfg, const tsr::iss::ElfImage& img,
                std::vector<uint8_t>& spad, int max_steps = 2'000'000) {
  tsr::iss::Iss iss(cfg);
  iss.load(img);
  spad.assign(cfg.spad_bytes, 0);
  iss.bus = spad_bus(spad);
  Outcome o;
  for (int k = 0; k < max_steps && !iss.halted(); ++k) {
    if (auto r = iss.step()) o.retires.push_back(*r);
  }
  o.halt = iss.halt();
  o.console = iss.console();
  for (int k = 0; k < 32; ++k) o.regs[k] = iss.reg(k);
  return o;
}

Outcome run_rtl(const std::string& variant, const tsr::iss::ElfImage& img, uint32_t latency = 1,
                uint64_t seed = 1, const std::string& wave = "") {
  auto sim = CoreSim::create(variant);
  sim->load(img, "test");
  Outcome o;
  RunOptions ro;
  ro.max_cycles = 4'000'000;
  ro.bus_latency_max = latency;
  ro.bus_seed = seed;
  ro.trace_path = wave;
  ro.on_retire = [&](const Retire& r) {
    o.retires.push_back(r);
    if (r.rd) o.regs[r.rd] = r.rd_value;
  };
  const RunResult res = sim->run(ro);
  EXPECT_FALSE(res.timeout);
  o.halt = res.halt;
  o.console = res.console;
  o.cycles = res.cycles;
  return o;
}

tsr::iss::CoreConfig config_of(const std::string& variant) { return CoreSim::create(variant)->config(); }

tsr::iss::ElfImage image(const std::vector<uint32_t>& text, const tsr::iss::CoreConfig& cfg,
                         const std::vector<uint8_t>& data = {}) {
  return tsr::iss::parse_elf(make_elf(text, cfg.dmem_bytes, data), "test");
}

std::string diff_retire(const Retire& a, const Retire& b) {
  std::string d;
  if (a.pc != b.pc) d += fmt::format(" pc 0x{:08x} vs 0x{:08x};", a.pc, b.pc);
  if (a.insn != b.insn) d += fmt::format(" insn 0x{:08x} vs 0x{:08x};", a.insn, b.insn);
  if (a.rd != b.rd || a.rd_value != b.rd_value) {
    d += fmt::format(" x{} = 0x{:08x} vs x{} = 0x{:08x};", a.rd, a.rd_value, b.rd, b.rd_value);
  }
  if (a.mem_write != b.mem_write || a.mem_addr != b.mem_addr || a.mem_strobe != b.mem_strobe ||
      a.mem_data != b.mem_data) {
    d += fmt::format(" store [0x{:08x}] be {:x} data 0x{:08x} vs [0x{:08x}] be {:x} data 0x{:08x};",
                     a.mem_addr, a.mem_strobe, a.mem_data, b.mem_addr, b.mem_strobe, b.mem_data);
  }
  return d;
}

// Compares the RTL's retire stream with the ISS's, step by step; "" when identical.
std::string compare(const Outcome& iss, const Outcome& rtl) {
  const size_t n = std::min(iss.retires.size(), rtl.retires.size());
  for (size_t k = 0; k < n; ++k) {
    const std::string d = diff_retire(iss.retires[k], rtl.retires[k]);
    if (!d.empty()) {
      return fmt::format("retire {} (pc 0x{:08x} {}): ISS vs RTL:{}", k, iss.retires[k].pc,
                         tsr::iss::disasm(iss.retires[k].insn), d);
    }
  }
  if (iss.retires.size() != rtl.retires.size()) {
    return fmt::format("ISS retired {} instructions, RTL {}", iss.retires.size(), rtl.retires.size());
  }
  if (iss.halt.cause != rtl.halt.cause || iss.halt.pc != rtl.halt.pc || iss.halt.code != rtl.halt.code) {
    return fmt::format("halt: ISS {} pc 0x{:08x} code {}, RTL {} pc 0x{:08x} code {}",
                       mm::halt_name(iss.halt.cause), iss.halt.pc, iss.halt.code,
                       mm::halt_name(rtl.halt.cause), rtl.halt.pc, rtl.halt.code);
  }
  if (iss.console != rtl.console) return "console output differs";
  return "";
}

// Runs a program on the ISS and the RTL of `variant`, checks they agree (with a wave of the RTL
// on failure) and returns the ISS outcome.
Outcome both(const std::string& variant, const std::vector<uint32_t>& text,
             const std::vector<uint8_t>& data = {}, uint32_t latency = 1, uint64_t seed = 1) {
  const auto cfg = config_of(variant);
  const auto img = image(text, cfg, data);
  std::vector<uint8_t> spad;
  const Outcome iss = run_iss(cfg, img, spad);
  const std::string msg = tsr::tb::run_with_wave_on_failure(
      "core_" + variant, "", [&](const std::string& wave) {
        return compare(iss, run_rtl(variant, img, latency, seed, wave));
      });
  EXPECT_TRUE(msg.empty()) << msg;
  return iss;
}

struct Case {
  const char* name;
  std::vector<uint32_t> text;           // without the final exit
  std::map<int, uint32_t> expect;       // register -> value
};

// Loads of a few constants into registers, then the instruction under test.
std::vector<uint32_t> with(std::initializer_list<std::pair<uint32_t, uint32_t>> init,
                           std::initializer_list<uint32_t> body) {
  std::vector<uint32_t> p;
  for (auto [reg, val] : init) li(p, reg, val);
  p.insert(p.end(), body.begin(), body.end());
  return p;
}

const uint32_t kMin = 0x80000000u, kM1 = 0xffffffffu;

std::vector<Case> directed_cases() {
  std::vector<Case> c;
  c.push_back({"lui_auipc", with({}, {lui(5, 0xabcde), addi(0, 0, 0), auipc(6, 0x00001)}),
               {{5, 0xabcde000u}, {6, 0x1008u}}});
  c.push_back({"addi_neg_and_wrap", with({{5, 0x7fffffffu}}, {addi(6, 5, 1), addi(7, 0, -2048)}),
               {{6, kMin}, {7, 0xfffff800u}}});
  c.push_back({"slti_sltiu", with({{5, kM1}}, {slti(6, 5, 0), sltiu(7, 5, -1), sltiu(8, 0, -1),
                                             slti(9, 5, -1)}),
               {{6, 1}, {7, 0}, {8, 1}, {9, 0}}});
  c.push_back({"xori_ori_andi", with({{5, 0x0f0f0f0fu}}, {xori(6, 5, -1), ori(7, 5, 0x700),
                                                          andi(8, 5, 0x0ff)}),
               {{6, 0xf0f0f0f0u}, {7, 0x0f0f0f0fu | 0x700u}, {8, 0x0fu}}});
  c.push_back({"shift_immediates", with({{5, 0x80000001u}}, {slli(6, 5, 31), srli(7, 5, 31),
                                                              srai(8, 5, 31), srai(9, 5, 0)}),
               {{6, kMin}, {7, 1}, {8, kM1}, {9, 0x80000001u}}});
  c.push_back({"add_sub_wrap", with({{5, 0x7fffffffu}, {6, 1}}, {add(7, 5, 6), sub(8, 0, 6),
                                                                  sub(9, 6, 5)}),
               {{7, kMin}, {8, kM1}, {9, 0x80000002u}}});
  c.push_back({"shift_amount_masked", with({{5, 0x80000010u}, {6, 33}, {7, 0xffffffe4u}},
                                           {sll(8, 5, 6), srl(9, 5, 6), sra(10, 5, 6),
                                            sra(11, 5, 7)}),
               {{8, 0x00000020u}, {9, 0x40000008u}, {10, 0xc0000008u}, {11, 0xf8000001u}}});
  c.push_back({"slt_sltu", with({{5, kM1}, {6, 1}}, {slt(7, 5, 6), sltu(8, 5, 6), slt(9, 6, 5),
                                                     sltu(10, 6, 5), sltu(11, 0, 6)}),
               {{7, 1}, {8, 0}, {9, 0}, {10, 1}, {11, 1}}});
  c.push_back({"xor_or_and", with({{5, 0xff00ff00u}, {6, 0x0ff00ff0u}},
                                  {xor_(7, 5, 6), or_(8, 5, 6), and_(9, 5, 6)}),
               {{7, 0xf0f0f0f0u}, {8, 0xfff0fff0u}, {9, 0x0f000f00u}}});
  // Branches: each taken branch skips an addi that would spoil x20; not-taken ones fall through
  // into an addi that counts in x21.
  {
    std::vector<uint32_t> p = with({{5, kM1}, {6, 1}}, {});
    auto taken = [&](uint32_t br) { p.push_back(br); p.push_back(addi(20, 20, 1)); };
    auto fall = [&](uint32_t br) { p.push_back(br); p.push_back(addi(21, 21, 1)); };
    taken(beq(5, 5, 8));
    fall(beq(5, 6, 8));
    taken(bne(5, 6, 8));
    fall(bne(6, 6, 8));
    taken(blt(5, 6, 8));   // -1 < 1 signed
    fall(blt(6, 5, 8));
    taken(bge(6, 5, 8));
    taken(bge(6, 6, 8));
    fall(bge(5, 6, 8));
    taken(bltu(6, 5, 8));  // 1 < 0xffffffff unsigned
    fall(bltu(5, 6, 8));
    taken(bgeu(5, 6, 8));
    fall(bgeu(6, 5, 8));
    p.push_back(jal(0, 8));  // and a backward branch: loop x22 three times
    p.push_back(addi(20, 20, 100));
    li(p, 23, 3);
    p.push_back(addi(22, 22, 1));
    p.push_back(bne(22, 23, -4));
    c.push_back({"branches", p, {{20, 0}, {21, 6}, {22, 3}}});
  }
  c.push_back({"jal_jalr_link", with({}, {jal(1, 8), addi(20, 0, 1),          // pc 0: skip
                                          auipc(5, 0), jalr(6, 5, 13),         // pc 8,12 -> 20
                                          addi(20, 0, 2), addi(21, 0, 7)}),    // 16 skipped, 20
               {{1, 4}, {5, 8}, {6, 16}, {20, 0}, {21, 7}}});
  c.push_back({"x0_writes_ignored", with({{5, 5}}, {addi(0, 5, 1), add(0, 5, 5), lui(0, 1),
                                                    jal(0, 4), add(6, 0, 0)}),
               {{0, 0}, {6, 0}}});
  c.push_back({"loads_stores", with({{5, mm::kDmemBase + 0x100}, {6, 0x80ff7f01u}},
                                    {sw(6, 5, 0), lb(7, 5, 1), lbu(8, 5, 1), lh(9, 5, 2),
                                     lhu(10, 5, 2), lw(11, 5, 0), sb(6, 5, 5), sh(6, 5, 10),
                                     lw(12, 5, 4), lw(13, 5, 8), lb(14, 5, 3), lh(15, 5, 0)}),
               {{7, 0x7fu}, {8, 0x7fu}, {9, 0xffff80ffu}, {10, 0x80ffu}, {11, 0x80ff7f01u},
                {12, 0x00000100u}, {13, 0x7f010000u}, {14, 0xffffff80u}, {15, 0x7f01u}}});
  c.push_back({"load_use_forwarding", with({{5, mm::kDmemBase}, {6, 41}},
                                           {sw(6, 5, 0), lw(7, 5, 0), addi(8, 7, 1),
                                            lw(9, 5, 0), sw(9, 5, 4), lw(10, 5, 4)}),
               {{8, 42}, {10, 41}}});
  c.push_back({"fence_is_nop", with({{5, 3}}, {fence(), i(0, 0, 1, 0, 0x0f), addi(6, 5, 1)}),
               {{6, 4}}});
  // M extension (the spec's values for the edge cases).
  c.push_back({"mul_family", with({{5, 0xfffffffeu}, {6, 3}, {7, kMin}},
                                  {mul(8, 5, 6), mulh(9, 5, 6), mulhsu(10, 5, 6), mulhu(11, 5, 6),
                                   mulh(12, 7, 7), mulhsu(13, 7, 5), mulhu(14, 5, 5),
                                   mul(15, 7, 5)}),
               {{8, 0xfffffffau}, {9, kM1}, {10, kM1}, {11, 2}, {12, 0x40000000u},
                {13, 0x80000001u}, {14, 0xfffffffcu}, {15, 0}}});
  c.push_back({"div_family", with({{5, 0xfffffff9u}, {6, 2}},  // -7, 2
                                  {div(8, 5, 6), divu(9, 5, 6), rem(10, 5, 6), remu(11, 5, 6)}),
               {{8, 0xfffffffdu}, {9, 0x7ffffffcu}, {10, kM1}, {11, 1}}});
  c.push_back({"div_by_zero", with({{5, 0xfffffff9u}},
                                   {div(8, 5, 0), divu(9, 5, 0), rem(10, 5, 0), remu(11, 5, 0)}),
               {{8, kM1}, {9, kM1}, {10, 0xfffffff9u}, {11, 0xfffffff9u}}});
  c.push_back({"div_overflow", with({{5, kMin}, {6, kM1}},
                                    {div(8, 5, 6), rem(9, 5, 6), divu(10, 5, 6), remu(11, 5, 6)}),
               {{8, kMin}, {9, 0}, {10, 0}, {11, kMin}}});
  c.push_back({"muldiv_back_to_back", with({{5, 7}, {6, 6}}, {mul(7, 5, 6), div(8, 7, 5),
                                                              add(9, 8, 7), rem(10, 9, 5)}),
               {{7, 42}, {8, 6}, {9, 48}, {10, 6}}});
  c.push_back({"mmio_id_and_spad", with({{5, mm::kMmioBase}, {6, mm::kSpadBase}, {7, 0x1234abcdu}},
                                        {lw(8, 5, int32_t(mm::mmio_offset("ID"))), sw(7, 6, 8),
                                         lbu(9, 6, 9), lw(10, 6, 8), sh(7, 6, 2), lw(11, 6, 0)}),
               {{8, mm::kCoreId}, {9, 0xabu}, {10, 0x1234abcdu}, {11, 0xabcd0000u}}});
  return c;
}

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class Directed : public ::testing::TestWithParam<Case> {};

TEST_P(Directed, IssAndRtlMatchTheSpec) {
  const Case& c = GetParam();
  std::vector<uint32_t> p = c.text;
  p.push_back(addi(28, 10, 0));  // exit overwrites a0: keep it in x28
  exit_with(p, 0);
  const Outcome o = both("default", p);
  EXPECT_EQ(o.halt.cause, mm::halt_value("exit")) << mm::halt_name(o.halt.cause) << " at pc 0x"
                                                  << std::hex << o.halt.pc;
  for (auto [reg, val] : c.expect) {
    EXPECT_EQ(o.regs[reg == 10 ? 28 : reg], val) << "x" << reg << " (ISS; the RTL matched the ISS)";
  }
}

INSTANTIATE_TEST_SUITE_P(Rv32im, Directed, ::testing::ValuesIn(directed_cases()),
                         [](const auto& tp) { return std::string(tp.param.name); });

// Halt causes: the ISS and the RTL stop at the same pc with the same documented cause.
struct HaltCase {
  const char* name;
  const char* variant;
  std::vector<uint32_t> text;  // runs into the halt
  const char* cause;
  uint32_t pc;                 // expected halt pc
};

std::vector<HaltCase> halt_cases() {
  const uint32_t dm = mm::kDmemBase;
  std::vector<HaltCase> h;
  h.push_back({"all_zero_word", "default", {addi(5, 0, 1), 0x00000000u}, "illegal_insn", 4});
  h.push_back({"all_ones_word", "default", {0xffffffffu}, "illegal_insn", 0});
  h.push_back({"csrrw_no_zicsr", "default", {0x30529073u}, "illegal_insn", 0});
  h.push_back({"bad_shift_funct7", "default", {r(0x20, 1, 5, 1, 6, 0x13)}, "illegal_insn", 0});
  h.push_back({"bad_load_funct3", "default", {i(0, 0, 3, 5, 0x03)}, "illegal_insn", 0});
  h.push_back({"mul_without_m", "tiny", {addi(5, 0, 3), mul(6, 5, 5)}, "illegal_insn", 4});
  h.push_back({"div_without_m", "tiny", {div(6, 5, 5)}, "illegal_insn", 0});
  h.push_back({"ebreak", "default", {addi(5, 0, 1), kEbreak}, "ebreak", 4});
  {
    std::vector<uint32_t> p;
    li(p, 5, dm + 2);
    p.push_back(lw(6, 5, 0));
    h.push_back({"lw_misaligned", "default", p, "load_misaligned", 8});
    p.back() = lh(6, 5, 1);
    h.push_back({"lh_misaligned", "default", p, "load_misaligned", 8});
    p.back() = sw(6, 5, 0);
    h.push_back({"sw_misaligned", "default", p, "store_misaligned", 8});
    p.back() = sh(6, 5, -1);
    h.push_back({"sh_misaligned", "default", p, "store_misaligned", 8});
  }
  h.push_back({"load_from_imem", "default", {lw(6, 0, 0)}, "load_fault", 0});
  h.push_back({"store_to_imem", "default", {sw(6, 0, 16)}, "store_fault", 0});
  {
    std::vector<uint32_t> p;
    li(p, 5, dm + 16 * 1024);  // one past DMEM
    p.push_back(lbu(6, 5, 0));
    h.push_back({"load_past_dmem", "default", p, "load_fault", 8});
    std::vector<uint32_t> q;
    li(q, 5, mm::kCsrBase);  // no accelerator behind the CSR window: error response
    q.push_back(lw(6, 5, 0));
    h.push_back({"csr_window_error_response", "default", q, "load_fault", 8});
    q.back() = sw(6, 5, 4);
    h.push_back({"csr_window_store_error", "default", q, "store_fault", 8});
    std::vector<uint32_t> s;
    li(s, 5, mm::kMmioBase);
    s.push_back(sb(6, 5, 0x20));  // MMIO takes word accesses only
    h.push_back({"mmio_byte_store", "default", s, "store_fault", 8});
  }
  h.push_back({"jalr_misaligned_target", "default", {addi(5, 0, 6), jalr(1, 5, 0)},
               "fetch_misaligned", 4});
  h.push_back({"jal_out_of_imem", "default", {jal(1, 16 * 1024)}, "fetch_fault", 16 * 1024});
  // The pc adders see only the IMEM address bits of the executing pc; targets outside the IMEM
  // (below 0, past its end from a non-zero pc) must still halt with their full 32-bit pc.
  h.push_back({"jal_below_zero", "default", {addi(5, 0, 1), jal(1, -8)}, "fetch_fault",
               0xfffffffcu});
  h.push_back({"branch_past_imem_end", "tiny", {addi(5, 0, 1), beq(0, 0, 4 * 1024 - 4)},
               "fetch_fault", 4 * 1024});
  h.push_back({"branch_far_below", "default", {addi(5, 0, 1), bne(5, 0, -4096)}, "fetch_fault",
               0xfffff004u});
  h.push_back({"zeroed_imem", "tiny", {}, "illegal_insn", 0});  // a zero word is illegal
  {
    std::vector<uint32_t> p;
    li(p, 17, 1);  // unknown system call
    p.push_back(kEcall);
    h.push_back({"unknown_ecall", "default", p, "bad_ecall", 8});
    std::vector<uint32_t> q;
    li(q, 17, mm::kSysWrite);
    li(q, 10, 3);  // fd 3
    q.push_back(kEcall);
    h.push_back({"write_bad_fd", "default", q, "bad_ecall", 16});
  }
  return h;
}

void PrintTo(const HaltCase& c, std::ostream* os) { *os << c.name; }

class Halts : public ::testing::TestWithParam<HaltCase> {};

TEST_P(Halts, SameCauseAndPcOnIssAndRtl) {
  const HaltCase& c = GetParam();
  const Outcome o = both(c.variant, c.text);
  EXPECT_EQ(std::string(mm::halt_name(o.halt.cause)), c.cause);
  EXPECT_EQ(o.halt.pc, c.pc);
}

INSTANTIATE_TEST_SUITE_P(Rv32im, Halts, ::testing::ValuesIn(halt_cases()),
                         [](const auto& tp) { return std::string(tp.param.name); });

TEST(Io, WriteEcallConsoleMmioAndMmioExit) {
  const auto cfg = config_of("default");
  std::vector<uint8_t> data = {'h', 'i', '\n'};
  std::vector<uint32_t> p;
  li(p, 17, mm::kSysWrite);
  li(p, 10, 1);
  li(p, 11, mm::kDmemBase);
  li(p, 12, 3);
  p.push_back(kEcall);
  p.push_back(addi(20, 10, 0));  // the write's return value
  li(p, 5, mm::kMmioBase);
  li(p, 6, '!');
  p.push_back(sw(6, 5, int32_t(mm::mmio_offset("CONSOLE"))));
  li(p, 6, 42);
  p.push_back(sw(6, 5, int32_t(mm::mmio_offset("EXIT"))));
  p.push_back(addi(21, 0, 1));  // never runs
  const Outcome o = both("default", p, data);
  EXPECT_EQ(o.console, "hi\n!");
  EXPECT_EQ(o.regs[20], 3u);
  EXPECT_EQ(o.regs[21], 0u);
  EXPECT_EQ(o.halt.cause, mm::halt_value("exit"));
  EXPECT_EQ(o.halt.code, 42u);
  (void)cfg;
}

TEST(Mmio, EscapeRegistersAndInstret) {
  const auto cfg = config_of("default");
  const uint32_t func = 0x1234, args[7] = {1, 2, 3, 0x80000000u, 5, 6, 0xfffffff0u};
  std::vector<uint32_t> p;
  li(p, 5, mm::kMmioBase);
  auto off = [](const char* reg) { return int32_t(mm::mmio_offset(reg)); };
  p.push_back(lw(6, 5, off("ESC_STATUS")));
  p.push_back(lw(7, 5, off("ESC_FUNC")));
  for (int k = 0; k < 7; ++k) p.push_back(lw(22 + k, 5, off("ESC_ARG0") + 4 * k));
  p.push_back(add(15, 6, 7));
  for (int k = 0; k < 7; ++k) p.push_back(add(15, 15, 22 + k));
  const uint32_t instret_at = uint32_t(p.size());  // instructions retired before the next one
  p.push_back(lw(16, 5, off("INSTRET_LO")));
  p.push_back(lw(18, 5, off("INSTRET_HI")));
  p.push_back(lw(19, 5, off("ID")));
  p.push_back(sw(15, 5, off("ESC_DONE")));
  p.push_back(addi(0, 0, 0));
  p.push_back(lw(20, 5, off("ESC_STATUS")));
  p.push_back(lw(21, 5, 0x80));  // an unlisted offset reads 0
  exit_with(p, 0);
  const auto img = image(p, cfg);
  std::vector<uint8_t> spad;
  tsr::iss::Iss iss(cfg);
  iss.load(img);
  iss.esc_pending = true;
  iss.esc_func = func;
  for (int k = 0; k < 7; ++k) iss.esc_args[k] = args[k];
  Outcome a;
  while (!iss.halted()) {
    if (auto r = iss.step()) a.retires.push_back(*r);
  }
  a.halt = iss.halt();
  auto sim = CoreSim::create("default");
  sim->load(img, "esc");
  RunOptions ro;
  ro.esc_pending = true;
  ro.esc_func = func;
  for (int k = 0; k < 7; ++k) ro.esc_args[k] = args[k];
  Outcome b;
  ro.on_retire = [&](const Retire& r) { b.retires.push_back(r); };
  const RunResult res = sim->run(ro);
  b.halt = res.halt;
  EXPECT_EQ(compare(a, b), "");
  uint32_t sum = 1 + func;
  for (uint32_t v : args) sum += v;
  EXPECT_EQ(iss.reg(6), 1u);
  EXPECT_EQ(iss.reg(7), func);
  for (int k = 0; k < 7; ++k) EXPECT_EQ(iss.reg(22 + k), args[k]);
  EXPECT_EQ(iss.reg(16), instret_at);
  EXPECT_EQ(iss.reg(18), 0u);
  EXPECT_EQ(iss.reg(19), mm::kCoreId);
  EXPECT_EQ(iss.reg(20), 0u);  // no longer pending after ESC_DONE
  EXPECT_EQ(iss.reg(21), 0u);
  ASSERT_TRUE(iss.esc_done.has_value());
  EXPECT_EQ(*iss.esc_done, sum);
  EXPECT_EQ(res.esc_done, 1);
  EXPECT_EQ(res.esc_status, sum);
}

TEST(Mmio, CycleCounterCountsEveryCycle) {
  // RTL only (the ISS has no timing): N single-cycle instructions between two CYCLE_LO reads, then
  // a division (34 cycles) between two more.
  std::vector<uint32_t> p;
  li(p, 5, mm::kMmioBase);
  const int32_t lo = int32_t(mm::mmio_offset("CYCLE_LO"));
  p.push_back(lw(6, 5, lo));
  for (int k = 0; k < 9; ++k) p.push_back(addi(9, 9, 1));
  p.push_back(lw(7, 5, lo));
  p.push_back(div(10, 7, 6));
  p.push_back(lw(8, 5, lo));
  p.push_back(sub(20, 7, 6));
  p.push_back(sub(21, 8, 7));
  exit_with(p, 0);
  const Outcome o = run_rtl("default", image(p, config_of("default")));
  EXPECT_EQ(o.regs[20], 10u);       // 9 addi + the lw itself
  EXPECT_EQ(o.regs[21], 2u + 33u);  // lw + div (34 cycles: 33 stalls) = 35
}

// ---- random instruction streams -----------------------------------------------------------------

// A random program: every register set first, then `n` instructions from RV32I(M) with loads and
// stores through x31 (DMEM) and x30 (scratchpad window, when `spad`), forward branches and jumps;
// ends by storing x1..x31 into a DMEM signature, writing it to fd 1 and exiting with x5 & 0xff.
std::vector<uint32_t> random_program(std::mt19937_64& rng, int n, bool m_ext, bool spad) {
  std::vector<uint32_t> p;
  auto rnd = [&](uint32_t k) { return uint32_t(rng() % k); };
  // Mostly full 32-bit values, some small ones (short multiplies, small divisors) and edges.
  for (uint32_t reg = 1; reg < 30; ++reg) {
    const uint32_t kind = rnd(8);
    const uint32_t v = kind == 0 ? uint32_t(int32_t(rnd(512)) - 256)
                       : kind == 1 ? (rnd(2) ? 0x80000000u : 0xffffffffu)
                                   : uint32_t(rng());
    li(p, reg, v);
  }
  li(p, 31, mm::kDmemBase + 0x800);
  li(p, 30, mm::kSpadBase + 0x800);
  auto rd = [&] { return 1 + rnd(29); };   // never x30 / x31 (kept as bases)
  auto rs = [&] { return rnd(32); };
  int k = 0;
  while (k < n) {
    const uint32_t pick = rnd(100);
    if (pick < 30) {
      static const uint32_t f3s[] = {0, 1, 2, 3, 4, 5, 6, 7};
      const uint32_t f3 = f3s[rnd(8)];
      uint32_t f7 = 0;
      if ((f3 == 0 || f3 == 5) && rnd(2)) f7 = 0x20;
      p.push_back(r(f7, rs(), rs(), f3, rd(), 0x33));
    } else if (pick < 50) {
      const uint32_t f3 = rnd(8);
      if (f3 == 1) p.push_back(slli(rd(), rs(), rnd(32)));
      else if (f3 == 5) p.push_back(rnd(2) ? srai(rd(), rs(), rnd(32)) : srli(rd(), rs(), rnd(32)));
      else p.push_back(i(int32_t(rnd(4096)) - 2048, rs(), f3, rd(), 0x13));
    } else if (pick < 58) {
      p.push_back(rnd(2) ? lui(rd(), rnd(1u << 20)) : auipc(rd(), rnd(1u << 20)));
    } else if (pick < 68 && m_ext) {
      p.push_back(mop(rnd(8), rd(), rs(), rs()));
    } else if (pick < 82) {  // DMEM load / store (aligned to its size)
      const uint32_t kind = rnd(8);
      const bool via_spad = spad && rnd(4) == 0;
      const uint32_t base = via_spad ? 30 : 31;
      if (kind < 5) {
        static const uint32_t lf3[] = {0, 1, 2, 4, 5};
        const uint32_t f3 = lf3[kind];
        const int32_t sz = (f3 & 3) == 0 ? 1 : (f3 & 3) == 1 ? 2 : 4;
        const int32_t off = (int32_t(rnd(1024)) - 512) / sz * sz;
        p.push_back(i(off, base, f3, rd(), 0x03));
      } else {
        const uint32_t f3 = kind - 5;
        const int32_t sz = 1 << f3;
        const int32_t off = (int32_t(rnd(1024)) - 512) / sz * sz;
        p.push_back(s(off, rs(), base, f3));
      }
    } else if (pick < 94) {  // forward branch over 0..3 instructions
      const uint32_t skip = rnd(4);
      static const uint32_t bf3[] = {0, 1, 4, 5, 6, 7};
      p.push_back(b(int32_t(4 * (skip + 1)), rs(), rs(), bf3[rnd(6)]));
    } else if (pick < 97) {
      const uint32_t skip = rnd(3);
      p.push_back(jal(rd(), int32_t(4 * (skip + 1))));
    } else {
      continue;
    }
    ++k;
  }
  for (int q = 0; q < 4; ++q) p.push_back(addi(0, 0, 0));  // landing pad for the last branches
  // Signature: x1..x31 at DMEM + 0x100 (x31 still holds the DMEM pointer: store relative to it).
  for (uint32_t reg = 1; reg < 32; ++reg) p.push_back(sw(reg, 31, int32_t(-0x700 + 4 * (reg - 1))));
  p.push_back(andi(29, 5, 0xff));
  li(p, 17, mm::kSysWrite);
  li(p, 10, 1);
  li(p, 11, mm::kDmemBase + 0x100);
  li(p, 12, 31 * 4);
  p.push_back(kEcall);
  p.push_back(addi(10, 29, 0));
  li(p, 17, mm::kSysExit);
  p.push_back(kEcall);
  return p;
}

TEST(Lockstep, RandomStreamsRtlVsIss) {
  const uint64_t seed = tsr::tb::test_seed();
  std::mt19937_64 rng(seed);
  for (const char* variant : {"default", "tiny"}) {
    const bool m = config_of(variant).m_ext;
    for (int prog = 0; prog < 12; ++prog) {
      const auto text = random_program(rng, 400, m, true);
      const uint32_t latency = 1 + uint32_t(rng() % 4);
      SCOPED_TRACE(fmt::format("variant {}, program {}, seed {} (TSR_SEED={} to reproduce)",
                               variant, prog, seed, seed));
      const Outcome o = both(variant, text, {}, latency, rng());
      EXPECT_EQ(o.halt.cause, mm::halt_value("exit"));
      EXPECT_EQ(o.console.size(), 31u * 4);
      if (::testing::Test::HasFailure()) return;
    }
  }
}

// Random 32-bit words after a register setup (some registers pointing into DMEM and the
// scratchpad window): decoding, illegal encodings, faults and halts must agree on ISS and RTL.
TEST(Lockstep, RandomWordsDecodeAndHalt) {
  const uint64_t seed = tsr::tb::test_seed();
  std::mt19937_64 rng(seed);
  std::map<uint32_t, int> causes;
  int skipped = 0;
  for (const char* variant : {"default", "tiny"}) {
    for (int prog = 0; prog < 150; ++prog) {
      std::vector<uint32_t> p;
      for (uint32_t reg = 1; reg < 32; ++reg) {
        const uint32_t kind = uint32_t(rng() % 4);
        const uint32_t v = kind == 0   ? mm::kDmemBase + uint32_t(rng() % 4096)
                           : kind == 1 ? mm::kSpadBase + uint32_t(rng() % 4096)
                                       : uint32_t(rng());
        li(p, reg, v);
      }
      for (int k = 0; k < 64; ++k) {
        // Mostly a valid major opcode with random fields (funct7 often valid), some raw words.
        static const uint32_t ops[] = {0x03, 0x0f, 0x13, 0x17, 0x23, 0x33, 0x37, 0x63, 0x67, 0x6f, 0x73};
        uint32_t w = uint32_t(rng());
        if (rng() % 8 != 0) {
          const uint32_t op = ops[rng() % 11];
          w = (w & ~0x7fu) | op;
          static const uint32_t f7s[] = {0x00, 0x20, 0x01};
          if ((op == 0x33 || op == 0x13) && rng() % 4 != 0) w = (w & 0x01ffffffu) | f7s[rng() % 3] << 25;
          if (op == 0x73 && rng() % 2) w = rng() % 2 ? kEcall : kEbreak;
        }
        p.push_back(w);
      }
      SCOPED_TRACE(fmt::format("variant {}, program {}, seed {} (TSR_SEED={} to reproduce)",
                               variant, prog, seed, seed));
      const uint32_t latency = 1 + uint32_t(rng() % 3);
      const uint64_t bus_seed = rng();
      // Random jumps can form an endless loop (e.g. `jal x0, 0`): such programs are skipped.
      std::vector<uint8_t> spad;
      if (!run_iss(config_of(variant), image(p, config_of(variant)), spad, 100'000).halt.cause) {
        ++skipped;
        continue;
      }
      const Outcome o = both(variant, p, {}, latency, bus_seed);
      ++causes[o.halt.cause];
      if (::testing::Test::HasFailure()) return;
    }
  }
  // The streams reach several different halts (not just the first illegal word).
  EXPECT_GE(causes.size(), 5u);
  EXPECT_LE(skipped, 30);
  for (auto [cause, n] : causes) std::printf("  %-18s %d\n", mm::halt_name(cause), n);
  std::printf("  (%d endless programs skipped)\n", skipped);
}

// ---- ISS vs qemu-riscv32 ------------------------------------------------------------------------

struct QemuRun {
  int code = -1;
  std::string out;
};

QemuRun run_qemu(const std::string& elf) {
  const auto r = tsr::tb::run_command(fmt::format("timeout 60 qemu-riscv32 '{}' 2>/dev/null; echo \"@rc=$?\"", elf));
  QemuRun q;
  const auto pos = r.output.rfind("@rc=");
  if (pos == std::string::npos) return q;
  q.out = r.output.substr(0, pos);
  q.code = std::stoi(r.output.substr(pos + 4));
  return q;
}

// Links a word-encoded program with the GNU toolchain and the default variant's tsr_memory.ld
// (qemu-riscv32 does not load the minimal ELF files of make_elf()).
void link_words(const std::vector<uint32_t>& text, const fs::path& elf) {
  std::string src = ".section .text.init\n.globl _start\n_start:\n";
  for (uint32_t w : text) src += fmt::format(".word 0x{:08x}\n", w);
  const fs::path s = fs::path(elf).replace_extension(".S");
  tsr::tb::write_text(s.string(), src);
  const auto r = tsr::tb::run_command(fmt::format(
      "riscv64-unknown-elf-gcc -march=rv32im -mabi=ilp32 -nostdlib -nostartfiles -L'{}' -T'{}' "
      "'{}' -o '{}' 2>&1",
      TSR_MEMMAP_LD_DIR, TSR_WORDS_LD, s.string(), elf.string()));
  ASSERT_EQ(r.code, 0) << r.output;
}

bool have_qemu() { return tsr::tb::run_command("command -v qemu-riscv32").code == 0; }

TEST(QemuCross, RandomProgramsIssVsQemu) {
  if (!have_qemu()) GTEST_SKIP() << "qemu-riscv32 not installed (Debian package qemu-user)";
  const uint64_t seed = tsr::tb::test_seed();
  std::mt19937_64 rng(seed ^ 0x5eed);
  const auto cfg = config_of("default");
  const fs::path dir = tsr::tb::fresh_temp_dir("core_qemu");
  for (int prog = 0; prog < 10; ++prog) {
    const auto text = random_program(rng, 400, true, false);  // qemu has no scratchpad window
    const fs::path path = dir / fmt::format("rand{}.elf", prog);
    link_words(text, path);
    ASSERT_FALSE(::testing::Test::HasFailure());
    std::vector<uint8_t> spad;
    const Outcome o = run_iss(cfg, tsr::iss::load_elf(path.string()), spad);
    const QemuRun q = run_qemu(path.string());
    SCOPED_TRACE(fmt::format("{} (seed {}, TSR_SEED to reproduce)", path.string(), seed));
    ASSERT_EQ(o.halt.cause, mm::halt_value("exit"));
    EXPECT_EQ(int(o.halt.code & 0xff), q.code);
    EXPECT_EQ(o.console, q.out) << "register signature differs";
  }
}

#ifdef TSR_BENCH_DIR
TEST(QemuCross, BenchProgramsIssQemuAndRtl) {
  if (!have_qemu()) GTEST_SKIP() << "qemu-riscv32 not installed (Debian package qemu-user)";
  const auto cfg = config_of("default");
  int n = 0;
  for (const char* name : {"crc32", "sort", "matmul"}) {
    const std::string path = std::string(TSR_BENCH_DIR) + "/bench_" + name + ".elf";
    const auto img = tsr::iss::load_elf(path);
    std::vector<uint8_t> spad;
    const Outcome o = run_iss(cfg, img, spad);
    const QemuRun q = run_qemu(path);
    ASSERT_EQ(o.halt.cause, mm::halt_value("exit")) << path;
    EXPECT_EQ(o.halt.code, 0u) << path << ": the program's self-check failed";
    EXPECT_EQ(int(o.halt.code & 0xff), q.code) << path;
    EXPECT_EQ(o.console, q.out) << path;
    const Outcome r = run_rtl("default", img);
    EXPECT_EQ(r.console, o.console) << path;
    EXPECT_EQ(r.halt.code, o.halt.code) << path;
    EXPECT_EQ(r.retires.size(), o.retires.size()) << path;
    ++n;
  }
  EXPECT_EQ(n, 3);
}
#endif

// ---- ELF errors and core-run --------------------------------------------------------------------

std::string elf_error(const std::vector<uint8_t>& bytes) {
  try {
    const auto img = tsr::iss::parse_elf(bytes, "prog.elf");
    tsr::iss::check_placement(img, config_of("default"), "prog.elf");
  } catch (const tsr::Error& e) {
    return e.what();
  }
  return "";
}

TEST(Elf, ClearErrors) {
  std::vector<uint32_t> p;
  exit_with(p, 0);
  const auto good = make_elf(p, 16 * 1024);
  EXPECT_EQ(elf_error(good), "");
  EXPECT_NE(elf_error({'h', 'e', 'l', 'l', 'o'}).find("not an ELF file"), std::string::npos);
  auto e64 = good;
  e64[4] = 2;
  EXPECT_NE(elf_error(e64).find("not a 32-bit ELF"), std::string::npos) << elf_error(e64);
  auto x86 = good;
  x86[18] = 3;
  x86[19] = 0;
  EXPECT_NE(elf_error(x86).find("not a RISC-V ELF"), std::string::npos) << elf_error(x86);
  auto cut = good;
  cut.resize(40);
  EXPECT_NE(elf_error(cut).find("truncated ELF header"), std::string::npos) << elf_error(cut);
  cut = good;
  cut.resize(100);
  EXPECT_NE(elf_error(cut).find("truncated: program headers"), std::string::npos) << elf_error(cut);
  cut = good;
  cut.resize(4100);
  EXPECT_NE(elf_error(cut).find("truncated: segment 0"), std::string::npos) << elf_error(cut);
  const auto big = make_elf(p, 32 * 1024);  // DMEM segment larger than the variant's 16 KiB
  const std::string e = elf_error(big);
  EXPECT_NE(e.find("segment 1 [0x00010000, 0x00018000) lies outside"), std::string::npos) << e;
}

tsr::tb::CommandResult core_run(const std::string& args) {
  return tsr::tb::run_command(fmt::format("'{}' core-run {}", TSR_CLI, args));
}

TEST(CoreRun, ExitCodeOutputAndErrors) {
  const fs::path dir = tsr::tb::fresh_temp_dir("core_run");
  std::vector<uint32_t> p;
  li(p, 17, mm::kSysWrite);
  li(p, 10, 1);
  li(p, 11, mm::kDmemBase);
  li(p, 12, 3);
  p.push_back(kEcall);
  exit_with(p, 7);
  const auto ok = make_elf(p, 16 * 1024, {'o', 'k', '\n'});
  tsr::tb::write_text((dir / "ok.elf").string(), std::string(ok.begin(), ok.end()));
  auto r = core_run((dir / "ok.elf").string());
  EXPECT_EQ(r.code, 7) << r.output;
  EXPECT_NE(r.output.find("ok\n"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("instructions retired, CPI"), std::string::npos) << r.output;

  const std::vector<uint32_t> loop = {jal(0, 0)};
  const auto spin = make_elf(loop, 16 * 1024);
  tsr::tb::write_text((dir / "spin.elf").string(), std::string(spin.begin(), spin.end()));
  r = core_run((dir / "spin.elf").string() + " --max-cycles 1000");
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("no exit within --max-cycles 1000"), std::string::npos) << r.output;

  tsr::tb::write_text((dir / "text.elf").string(), "not a program\n");
  r = core_run((dir / "text.elf").string());
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("text.elf: not an ELF file"), std::string::npos) << r.output;

  const auto big = make_elf(p, 64 * 1024);
  tsr::tb::write_text((dir / "big.elf").string(), std::string(big.begin(), big.end()));
  r = core_run((dir / "big.elf").string());
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("lies outside the core's memories"), std::string::npos) << r.output;

  const std::vector<uint32_t> bad = {0xffffffffu};
  const auto ill = make_elf(bad, 16 * 1024);
  tsr::tb::write_text((dir / "ill.elf").string(), std::string(ill.begin(), ill.end()));
  r = core_run((dir / "ill.elf").string() + " --trace " + (dir / "ill.fst").string());
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("halted with illegal_insn at pc 0x00000000"), std::string::npos) << r.output;
  EXPECT_TRUE(fs::exists(dir / "ill.fst"));

  r = core_run((dir / "ok.elf").string() + " --variant nosuch");
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("unknown variant 'nosuch'"), std::string::npos) << r.output;
}

}  // namespace

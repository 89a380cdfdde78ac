// Tests of the command encoder / decoder (tessera/dev/isa_encode.h) against the isa table.
//
// The round-trip test sets every field of every command to random in-range values at once and
// reads them back, so a field written to the wrong bits, masked too narrowly or not sign-extended
// shows up as a different value in the same or another field. One hand-assembled LOAD pins the bit
// layout to numbers worked out from the table by hand.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>

#include "tessera/dev/isa_encode.h"
#include "tessera/error.h"
#include "tessera/gen/isa.h"
#include "tessera/tb/harness.h"

namespace {

namespace isa = tsr::gen::isa;
using tsr::dev::Command;
using tsr::dev::CommandBuilder;

std::vector<const isa::Field*> all_fields(const isa::Command& c) {
  std::vector<const isa::Field*> v;
  for (const auto& f : isa::common_fields()) v.push_back(&f);
  for (const auto& f : c.fields) v.push_back(&f);
  return v;
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

TEST(IsaEncode, FieldsOfEveryCommandAreDisjointAndInsideTheCommand) {
  for (const auto& c : isa::commands()) {
    std::array<uint64_t, isa::kCmdWords> used{};
    for (const isa::Field* f : all_fields(c)) {
      ASSERT_GE(f->word, 0) << c.name << "." << f->name;
      ASSERT_LT(f->word, isa::kCmdWords) << c.name << "." << f->name;
      ASSERT_LE(f->lsb + f->width, 32) << c.name << "." << f->name;
      const uint64_t mask = ((uint64_t{1} << f->width) - 1) << f->lsb;
      EXPECT_EQ(used[static_cast<size_t>(f->word)] & mask, 0u)
          << c.name << "." << f->name << " overlaps another field";
      used[static_cast<size_t>(f->word)] |= mask;
    }
  }
}

TEST(IsaEncode, EveryFieldRoundTripsWithAllOthersSet) {
  const uint64_t seed = tsr::tb::test_seed();
  std::mt19937_64 rng(seed);
  for (const auto& c : isa::commands()) {
    for (int iter = 0; iter < 200; ++iter) {
      CommandBuilder b(c.name);
      std::vector<std::pair<const isa::Field*, int64_t>> set;
      for (const isa::Field* f : all_fields(c)) {
        if (std::string(f->name) == "opcode") continue;
        const int64_t lo = tsr::dev::field_min(*f), hi = tsr::dev::field_max(*f);
        // Extremes first, then random values.
        const int64_t v = iter == 0   ? lo
                          : iter == 1 ? hi
                                      : std::uniform_int_distribution<int64_t>(lo, hi)(rng);
        b.set(f->name, v);
        set.emplace_back(f, v);
      }
      const Command w = b;
      ASSERT_EQ(tsr::dev::find_spec(w), &c);
      for (const auto& [f, v] : set) {
        ASSERT_EQ(tsr::dev::field(w, f->name), v) << c.name << "." << f->name << " iter " << iter;
      }
      ASSERT_EQ(tsr::dev::field(w, "opcode"), c.opcode);
    }
  }
}

TEST(IsaEncode, HandAssembledLoad) {
  // LOAD (opcode 1) with push_next (bit 11 of word 0): word 0 = 0x801. dram_addr = word 1,
  // dram_stride = word 2, rows = word 3 [15:0], row_bytes = word 3 [31:16], sp_addr = word 4
  // [15:0], elem_bytes = word 4 [31:16].
  const Command c = tsr::dev::load({.dram_addr = 0x10000040,
                                    .dram_stride = 24,
                                    .rows = 3,
                                    .row_bytes = 12,
                                    .sp_addr = 0x123,
                                    .elem_bytes = 4,
                                    .tokens = {.push_next = true}});
  const Command expect = {0x801, 0x10000040, 24, (12u << 16) | 3u, (4u << 16) | 0x123u, 0, 0, 0};
  EXPECT_EQ(c, expect);
  const std::vector<uint8_t> bytes = tsr::dev::to_bytes(std::vector<Command>{c});
  ASSERT_EQ(bytes.size(), 32u);
  EXPECT_EQ(bytes[0], 0x01);
  EXPECT_EQ(bytes[1], 0x08);
  EXPECT_EQ(bytes[4], 0x40);
  EXPECT_EQ(bytes[7], 0x10);
  // A signed field: STORE out_zp = -1 is 0xFF in word 5 [7:0], act_min = -128 is 0x80 in [15:8].
  const Command s = tsr::dev::store(
      {.rows = 1, .row_bytes = 1, .elem_bytes = 1, .out_zp = -1, .act_min = -128, .act_max = 127});
  EXPECT_EQ(s[5], 0x007F80FFu);
  EXPECT_EQ(tsr::dev::field(s, "out_zp"), -1);
  EXPECT_EQ(tsr::dev::field(s, "act_min"), -128);
}

TEST(IsaEncode, TypedHelpersEqualTheBuilder) {
  const Command m = tsr::dev::matmul({.accumulate = true,
                                      .in_addr = 5,
                                      .w_addr = 900,
                                      .acc_addr = 17,
                                      .in_zp = -7,
                                      .chunks = 3,
                                      .win = {.in_h = 9,
                                              .in_w = 8,
                                              .out_h = 4,
                                              .out_w = 4,
                                              .k_h = 3,
                                              .k_w = 3,
                                              .stride_h = 2,
                                              .stride_w = 2,
                                              .pad_top = 1,
                                              .pad_left = 1},
                                      .tokens = {.pop_prev = true, .push_next = true}});
  const Command b = CommandBuilder("MATMUL")
                        .set("accumulate", 1)
                        .set("in_addr", 5)
                        .set("w_addr", 900)
                        .set("acc_addr", 17)
                        .set("in_zp", -7)
                        .set("chunks", 3)
                        .set("in_h", 9)
                        .set("in_w", 8)
                        .set("out_h", 4)
                        .set("out_w", 4)
                        .set("k_h", 3)
                        .set("k_w", 3)
                        .set("stride_h", 2)
                        .set("stride_w", 2)
                        .set("pad_top", 1)
                        .set("pad_left", 1)
                        .set("pop_prev", 1)
                        .set("push_next", 1);
  EXPECT_EQ(m, b);
  const Command v = tsr::dev::vector({.mode = tsr::dev::VectorMode::Scale,
                                      .offset = -3,
                                      .lshift = 20,
                                      .shift = -5,
                                      .mult = 0x40000000});
  EXPECT_EQ(tsr::dev::field(v, "vmode"), isa::enum_value("vector_mode", "scale"));
  EXPECT_EQ(tsr::dev::field(v, "shift"), -5);
  EXPECT_EQ(tsr::dev::field(v, "mult"), 0x40000000);
  const Command st = tsr::dev::store(
      {.mode = tsr::dev::StoreMode::Avg, .pset = 1, .rows = 1, .row_bytes = 2, .elem_bytes = 2});
  EXPECT_EQ(tsr::dev::field(st, "mode"), isa::enum_value("store_mode", "avg"));
  EXPECT_EQ(tsr::dev::field(st, "pset"), 1);
  EXPECT_EQ(tsr::dev::field(tsr::dev::fence(true), "irq"), 1);
  EXPECT_EQ(tsr::dev::spec_of(tsr::dev::escape()).name, std::string("ESCAPE"));
  EXPECT_EQ(tsr::dev::field(tsr::dev::params({.pset = 1, .sp_addr = 77}), "sp_addr"), 77);
}

TEST(IsaEncode, TokensReadAndReplace) {
  const Command c =
      tsr::dev::load({.rows = 1, .row_bytes = 1, .elem_bytes = 1, .tokens = {.pop_next = true}});
  EXPECT_TRUE(tsr::dev::tokens_of(c).pop_next);
  EXPECT_FALSE(tsr::dev::tokens_of(c).push_next);
  const Command d = tsr::dev::with_tokens(c, {.push_next = true});
  EXPECT_FALSE(tsr::dev::tokens_of(d).pop_next);
  EXPECT_TRUE(tsr::dev::tokens_of(d).push_next);
  EXPECT_EQ(tsr::dev::field(d, "rows"), 1);  // nothing else changed
}

TEST(IsaEncode, OutOfRangeValuesNameCommandAndField) {
  auto expect = [](auto&& f, const char* cmd, const char* fld) {
    const std::string e = error_of(f);
    EXPECT_NE(e.find(cmd), std::string::npos) << e;
    EXPECT_NE(e.find(std::string("'") + fld + "'"), std::string::npos) << e;
  };
  expect([] { CommandBuilder("LOAD").set("rows", 65536); }, "LOAD", "rows");
  expect([] { CommandBuilder("LOAD").set("rows", -1); }, "LOAD", "rows");
  expect([] { CommandBuilder("LOAD").set("dram_addr", int64_t{1} << 32); }, "LOAD", "dram_addr");
  expect([] { CommandBuilder("STORE").set("out_zp", 128); }, "STORE", "out_zp");
  expect([] { CommandBuilder("STORE").set("act_min", -129); }, "STORE", "act_min");
  expect([] { CommandBuilder("MATMUL").set("stride_h", 16); }, "MATMUL", "stride_h");
  expect([] { CommandBuilder("VECTOR").set("shift", 32); }, "VECTOR", "shift");
  expect([] { CommandBuilder("VECTOR").set("vmode", 8); }, "VECTOR", "vmode");
  expect([] { tsr::dev::matmul({.chunks = 256}); }, "MATMUL", "chunks");
  expect([] { CommandBuilder("PARAMS").set("rows", 1); }, "PARAMS", "rows");  // no such field
  // The largest values do fit.
  EXPECT_NO_THROW(CommandBuilder("LOAD").set("rows", 65535).set("dram_addr", 0xFFFFFFFF));
  EXPECT_NO_THROW(CommandBuilder("VECTOR").set("shift", -32).set("offset", -32768));
}

TEST(IsaEncode, DecoderRejectsIllegalOpcodesAndDisassembles) {
  Command bad{};
  bad[0] = 0xEE;
  EXPECT_EQ(tsr::dev::find_spec(bad), nullptr);
  EXPECT_NE(error_of([&] { tsr::dev::field(bad, "rows"); }).find("illegal opcode 238"),
            std::string::npos);
  EXPECT_EQ(tsr::dev::disassemble(bad), "ILLEGAL opcode=238");
  const Command c = tsr::dev::load({.dram_addr = 0x40, .rows = 3, .row_bytes = 4, .elem_bytes = 2});
  EXPECT_EQ(tsr::dev::disassemble(c), "LOAD dram_addr=0x40 rows=3 row_bytes=4 elem_bytes=2");
  EXPECT_NE(error_of([&] { tsr::dev::field(c, "acc_addr"); }).find("acc_addr"), std::string::npos);
}

}  // namespace

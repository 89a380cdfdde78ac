// Tests of the reference device (tessera/dev/device.h): every command's semantics on tiny
// hand-computed cases (tiny preset: R = C = 2, scratchpad rows of 2 bytes, 64-bit bus), every error
// code with its unit and command index, the token scheduler (balance, deadlock, fences) and the
// happens-before hazard check.
//
// Expected values are worked out by hand in the comments, using the rounding rules of
// tessera/ref/quant.h: SRDHM(x, 2^30) = floor((x * 2^30 + 2^30) / 2^31) = floor(x / 2 + 1/2), and a
// right shift of the high product rounds half away from zero.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "tessera/dev/device.h"
#include "tessera/dev/isa_encode.h"
#include "tessera/gen/config.h"
#include "tessera/gen/isa.h"
#include "tessera/tb/harness.h"

namespace {

namespace isa = tsr::gen::isa;
using tsr::dev::Command;
using tsr::dev::DeviceParams;
using tsr::dev::RefDevice;
using tsr::dev::RunResult;
using tsr::dev::StoreMode;
using tsr::dev::VectorMode;

constexpr uint64_t kBase = 0x1000;
constexpr uint64_t kSize = 0x400;

DeviceParams tiny() {
  return DeviceParams::from_config(
      tsr::gen::load_config(std::string(TSR_SOURCE_DIR) + "/gen/configs/tiny.toml", {}));
}

void set_sp(RefDevice& d, int row, std::initializer_list<int> lanes) {
  auto r = d.sp_row(row);
  size_t i = 0;
  for (int v : lanes) r[i++] = static_cast<int8_t>(v);
}

std::vector<int32_t> acc(RefDevice& d, int row) {
  auto r = d.acc_row(row);
  return {r.begin(), r.end()};
}

std::vector<int> sp(RefDevice& d, int row) {
  auto r = d.sp_row(row);
  return {r.begin(), r.end()};
}

std::vector<int> dram_i8(const RefDevice& d, uint64_t addr, uint64_t n) {
  std::vector<int> v;
  for (uint8_t b : d.read(addr, n)) v.push_back(static_cast<int8_t>(b));
  return v;
}

void expect_ok(const RunResult& r) {
  EXPECT_EQ(r.status, RunResult::Status::Ok) << r.summary();
  EXPECT_TRUE(r.hazards.empty()) << r.summary();
}

// ---- Parameters ----

TEST(Device, ParamsFromTheTinyPreset) {
  const DeviceParams p = tiny();
  EXPECT_EQ(p.rows, 2);
  EXPECT_EQ(p.cols, 2);
  EXPECT_EQ(p.sp_row_bytes, 2);
  EXPECT_EQ(p.sp_rows, 2 * p.sp_bank_rows);
  EXPECT_EQ(p.acc_rows, 2 * p.acc_bank_rows);
  EXPECT_EQ(p.bus_bytes, 8);
  EXPECT_EQ(p.param_word_rows(), 4);  // 4C = 8 bytes over rows of 2
  EXPECT_EQ(p.param_rows(), 9);
}

// ---- LOAD ----

TEST(Device, LoadCutsRowsIntoElementsAndZeroFills) {
  RefDevice d(tiny(), kBase, kSize);
  std::vector<uint8_t> bytes;
  for (int i = 1; i <= 16; ++i) bytes.push_back(static_cast<uint8_t>(i));
  d.write(kBase, bytes);
  // Rows at 0x1000 and 0x1005, 2 bytes each, 1-byte elements -> sp 10..13 = 1, 2, 6, 7 in lane 0.
  const RunResult r = d.run({tsr::dev::load({.dram_addr = kBase,
                                             .dram_stride = 5,
                                             .rows = 2,
                                             .row_bytes = 2,
                                             .sp_addr = 10,
                                             .elem_bytes = 1}),
                             // One row of 4 bytes at 0x1006 in 2-byte elements: sp 20 = [7, 8],
                             // 21 = [9, 10]; [0x1006, 0x100a) spans two 8-byte beats.
                             tsr::dev::load({.dram_addr = kBase + 6,
                                             .dram_stride = 4,
                                             .rows = 1,
                                             .row_bytes = 4,
                                             .sp_addr = 20,
                                             .elem_bytes = 2})},
                            1);
  expect_ok(r);
  EXPECT_EQ(sp(d, 10), (std::vector<int>{1, 0}));
  EXPECT_EQ(sp(d, 11), (std::vector<int>{2, 0}));
  EXPECT_EQ(sp(d, 12), (std::vector<int>{6, 0}));
  EXPECT_EQ(sp(d, 13), (std::vector<int>{7, 0}));
  EXPECT_EQ(sp(d, 20), (std::vector<int>{7, 8}));
  EXPECT_EQ(sp(d, 21), (std::vector<int>{9, 10}));
  EXPECT_EQ(r.stats[0].dma_rd_bytes, 4u);
  EXPECT_EQ(r.stats[0].dma_rd_beats, 2u);
  EXPECT_EQ(r.stats[1].dma_rd_bytes, 4u);
  EXPECT_EQ(r.stats[1].dma_rd_beats, 2u);
  EXPECT_EQ(r.total.dma_rd_bytes, 8u);
}

// ---- MATMUL ----

TEST(Device, MatmulOneByOneAndAccumulate) {
  RefDevice d(tiny(), kBase, kSize);
  // 2x2 input, one chunk: (0,0)=[1,2] (0,1)=[3,4] (1,0)=[5,6] (1,1)=[0,8].
  set_sp(d, 0, {1, 2});
  set_sp(d, 1, {3, 4});
  set_sp(d, 2, {5, 6});
  set_sp(d, 3, {0, 8});
  // Weight tile: row 0 (input channel 0) = [1, 2], row 1 = [3, -1].
  // lane 0 = x0 + 3 x1, lane 1 = 2 x0 - x1.
  set_sp(d, 100, {1, 2});
  set_sp(d, 101, {3, -1});
  const Command mm = tsr::dev::matmul({.in_addr = 0,
                                       .w_addr = 100,
                                       .acc_addr = 7,
                                       .chunks = 1,
                                       .win = {.in_h = 2, .in_w = 2, .out_h = 2, .out_w = 2}});
  RunResult r = d.run({mm}, 1);
  expect_ok(r);
  EXPECT_EQ(acc(d, 7), (std::vector<int32_t>{7, 0}));
  EXPECT_EQ(acc(d, 8), (std::vector<int32_t>{15, 2}));
  EXPECT_EQ(acc(d, 9), (std::vector<int32_t>{23, 4}));
  EXPECT_EQ(acc(d, 10), (std::vector<int32_t>{24, -8}));
  EXPECT_EQ(r.stats[0].array_rows, 4u);
  EXPECT_EQ(r.stats[0].macs, 16u);         // R * C per row
  EXPECT_EQ(r.stats[0].useful_macs, 14u);  // pixel (1,1) lane 0 is 0: two products skipped
  // The same again with accumulate doubles every row.
  Command acc_mm = tsr::dev::matmul({.accumulate = true,
                                     .in_addr = 0,
                                     .w_addr = 100,
                                     .acc_addr = 7,
                                     .chunks = 1,
                                     .win = {.in_h = 2, .in_w = 2, .out_h = 2, .out_w = 2}});
  expect_ok(d.run({acc_mm}, 1));
  EXPECT_EQ(acc(d, 8), (std::vector<int32_t>{30, 4}));
  EXPECT_EQ(acc(d, 10), (std::vector<int32_t>{48, -16}));
}

TEST(Device, MatmulPaddingFeedsTheZeroPointAndChunksAreOutermost) {
  RefDevice d(tiny(), kBase, kSize);
  set_sp(d, 0, {1, 2});  // pixel (0,0) of a 1x1 input
  // 2x2 kernel, pad 1/1, one output: taps (0,0) (0,1) (1,0) are padding, (1,1) is the pixel.
  // Four identity tiles: 3 x [10, 10] + [1, 2] = [31, 32].
  for (int t = 0; t < 4; ++t) {
    set_sp(d, 200 + 2 * t, {1, 0});
    set_sp(d, 201 + 2 * t, {0, 1});
  }
  expect_ok(d.run({tsr::dev::matmul({.in_addr = 0,
                                     .w_addr = 200,
                                     .acc_addr = 0,
                                     .in_zp = 10,
                                     .chunks = 1,
                                     .win = {.in_h = 1,
                                             .in_w = 1,
                                             .out_h = 1,
                                             .out_w = 1,
                                             .k_h = 2,
                                             .k_w = 2,
                                             .pad_top = 1,
                                             .pad_left = 1}})},
                  1));
  EXPECT_EQ(acc(d, 0), (std::vector<int32_t>{31, 32}));
  // Two chunks per pixel: rows 10 = channels 0..1 = [1, 2], 11 = channels 2..3 = [3, 4]. Tile of
  // chunk 0 = identity, chunk 1 = all ones: [1, 2] + [7, 7] = [8, 9].
  set_sp(d, 10, {1, 2});
  set_sp(d, 11, {3, 4});
  set_sp(d, 300, {1, 0});
  set_sp(d, 301, {0, 1});
  set_sp(d, 302, {1, 1});
  set_sp(d, 303, {1, 1});
  // Stride 2 over a 1x3 input (pixels 10..15, 2 rows each) with a 1x1 kernel: outputs read
  // pixels 0 and 2.
  set_sp(d, 12, {50, 50});
  set_sp(d, 13, {50, 50});
  set_sp(d, 14, {-1, -2});
  set_sp(d, 15, {0, 1});
  expect_ok(d.run(
      {tsr::dev::matmul({.in_addr = 10,
                         .w_addr = 300,
                         .acc_addr = 4,
                         .chunks = 2,
                         .win = {.in_h = 1, .in_w = 3, .out_h = 1, .out_w = 2, .stride_w = 2}})},
      1));
  EXPECT_EQ(acc(d, 4), (std::vector<int32_t>{8, 9}));
  EXPECT_EQ(acc(d, 5), (std::vector<int32_t>{0, -1}));  // [-1, -2] + [1, 1]
}

// ---- VECTOR ----

TEST(Device, VectorDepthwiseSumMaxScale) {
  RefDevice d(tiny(), kBase, kSize);
  // dw: 1x2 input [1,2] [3,4], 1x2 kernel, tap weights [2,3] and [-1,1]:
  // lane 0 = 1*2 + 3*(-1) = -1, lane 1 = 2*3 + 4*1 = 10.
  set_sp(d, 0, {1, 2});
  set_sp(d, 1, {3, 4});
  set_sp(d, 50, {2, 3});
  set_sp(d, 51, {-1, 1});
  const tsr::dev::WindowFields w12{.in_h = 1, .in_w = 2, .out_h = 1, .out_w = 1, .k_w = 2};
  expect_ok(
      d.run({tsr::dev::vector(
                {.mode = VectorMode::Dw, .in_addr = 0, .w_addr = 50, .acc_addr = 0, .win = w12})},
            1));
  EXPECT_EQ(acc(d, 0), (std::vector<int32_t>{-1, 10}));

  // sum over a 1x3 window with pad_left 1 and pad 5: [5,5] + [1,2] + [3,4] = [9, 11].
  const tsr::dev::WindowFields w13{
      .in_h = 1, .in_w = 2, .out_h = 1, .out_w = 1, .k_w = 3, .pad_left = 1};
  expect_ok(
      d.run({tsr::dev::vector({.mode = VectorMode::Sum, .acc_addr = 1, .pad = 5, .win = w13})}, 1));
  EXPECT_EQ(acc(d, 1), (std::vector<int32_t>{9, 11}));

  // max with pitch 2: pixels at rows 10 and 12: [-5, 7], [-9, -1]; pad -128:
  // overwrite: [-5, 7]; accumulate onto [0, 100]: [0, 100].
  set_sp(d, 10, {-5, 7});
  set_sp(d, 11, {99, 99});
  set_sp(d, 12, {-9, -1});
  expect_ok(d.run({tsr::dev::vector({.mode = VectorMode::Max,
                                     .in_addr = 10,
                                     .acc_addr = 2,
                                     .pad = -128,
                                     .pitch = 2,
                                     .win = w13})},
                  1));
  EXPECT_EQ(acc(d, 2), (std::vector<int32_t>{-5, 7}));
  d.acc_row(3)[0] = 0;
  d.acc_row(3)[1] = 100;
  expect_ok(d.run({tsr::dev::vector({.mode = VectorMode::Max,
                                     .accumulate = true,
                                     .in_addr = 10,
                                     .acc_addr = 3,
                                     .pad = -128,
                                     .pitch = 2,
                                     .win = w13})},
                  1));
  EXPECT_EQ(acc(d, 3), (std::vector<int32_t>{0, 100}));

  // scale: x = [3, -3], offset -1, lshift 2 -> [8, -16]; mult 2^30 shift 0 halves with
  // round-half-up: [4, -8]. Then accumulate with shift -1: [4, -8] -> RDBPOT by 1 -> [2, -4];
  // sum [6, -12].
  set_sp(d, 20, {3, -3});
  const tsr::dev::WindowFields w11{};
  expect_ok(d.run({tsr::dev::vector({.mode = VectorMode::Scale,
                                     .in_addr = 20,
                                     .acc_addr = 4,
                                     .win = w11,
                                     .offset = -1,
                                     .lshift = 2,
                                     .shift = 0,
                                     .mult = 1u << 30}),
                   tsr::dev::vector({.mode = VectorMode::Scale,
                                     .accumulate = true,
                                     .in_addr = 20,
                                     .acc_addr = 4,
                                     .win = w11,
                                     .offset = -1,
                                     .lshift = 2,
                                     .shift = -1,
                                     .mult = 1u << 30})},
                  1));
  EXPECT_EQ(acc(d, 4), (std::vector<int32_t>{6, -12}));
}

// ---- PARAMS and STORE ----

TEST(Device, ParamsAndStoreModes) {
  RefDevice d(tiny(), kBase, kSize);
  // Parameter block at sp 30: biases [10, -5] over 4 rows, multipliers [2^30, 2^30], shifts [0, 1].
  const std::vector<std::vector<int>> rows = {{10, 0},   {0, 0}, {-5, -1},  {-1, -1}, {0, 0},
                                              {0, 0x40}, {0, 0}, {0, 0x40}, {0, 1}};
  for (size_t i = 0; i < rows.size(); ++i) {
    set_sp(d, 30 + static_cast<int>(i), {rows[i][0], rows[i][1]});
  }
  // acc 0 = [5, 7]: lane 0: 5 + 10 = 15, x 0.5 -> floor(8) = 8, + zp 3 = 11;
  // lane 1: 7 - 5 = 2, shift 1 -> 4 x 0.5 -> floor(2.5) = 2, + 3 = 5.
  d.acc_row(0)[0] = 5;
  d.acc_row(0)[1] = 7;
  d.acc_row(1)[0] = 0x01020304;
  d.acc_row(1)[1] = -2;
  d.acc_row(2)[0] = -7;
  d.acc_row(2)[1] = 7;
  d.acc_row(3)[0] = 7;
  d.acc_row(3)[1] = 0;
  const RunResult r =
      d.run({tsr::dev::params({.pset = 1, .sp_addr = 30, .tokens = {.push_next = true}}),
             tsr::dev::store({.mode = StoreMode::Requant,
                              .pset = 1,
                              .dram_addr = kBase,
                              .rows = 1,
                              .row_bytes = 2,
                              .acc_addr = 0,
                              .elem_bytes = 2,
                              .out_zp = 3,
                              .act_min = -128,
                              .act_max = 127,
                              .tokens = {.pop_prev = true}}),
             tsr::dev::store({.mode = StoreMode::Requant,
                              .pset = 1,
                              .dram_addr = kBase + 2,
                              .rows = 1,
                              .row_bytes = 2,
                              .acc_addr = 0,
                              .elem_bytes = 2,
                              .out_zp = 3,
                              .act_min = -128,
                              .act_max = 10}),
             // raw: 04 03 02 01 fe ff ff ff
             tsr::dev::store({.mode = StoreMode::Raw,
                              .dram_addr = kBase + 8,
                              .rows = 1,
                              .row_bytes = 8,
                              .acc_addr = 1,
                              .elem_bytes = 8}),
             // avg, count 2 (half 1, magic 2^20, shift 21): 7 -> (7 + 1) / 2 = 4, -7 -> -4; zp 1.
             // elem_bytes 1, two elements per DRAM row: lane 0 of acc rows 2 and 3 -> [-3, 5].
             tsr::dev::store({.mode = StoreMode::Avg,
                              .dram_addr = kBase + 16,
                              .rows = 1,
                              .row_bytes = 2,
                              .acc_addr = 2,
                              .elem_bytes = 1,
                              .out_zp = 1,
                              .act_min = -128,
                              .act_max = 127,
                              .div_magic = 1u << 20,
                              .div_half = 1,
                              .div_shift = 21})},
            1);
  expect_ok(r);
  EXPECT_EQ(d.pset(1).bias, (std::vector<int32_t>{10, -5}));
  EXPECT_EQ(d.pset(1).mult, (std::vector<int32_t>{1 << 30, 1 << 30}));
  EXPECT_EQ(d.pset(1).shift, (std::vector<int8_t>{0, 1}));
  EXPECT_EQ(dram_i8(d, kBase, 4), (std::vector<int>{11, 5, 10, 5}));
  EXPECT_EQ(d.read(kBase + 8, 8),
            (std::vector<uint8_t>{0x04, 0x03, 0x02, 0x01, 0xFE, 0xFF, 0xFF, 0xFF}));
  EXPECT_EQ(dram_i8(d, kBase + 16, 2), (std::vector<int>{-3, 5}));
  EXPECT_EQ(r.stats[4].dma_wr_bytes, 2u);
}

TEST(Device, StoreWritesOnlyItsBytes) {
  RefDevice d(tiny(), kBase, kSize);
  d.write(kBase, std::vector<uint8_t>(16, 0xEE));
  d.acc_row(0)[0] = 0x11;
  d.acc_row(1)[0] = 0x22;
  // Two DRAM rows of one 1-byte element at stride 3, raw mode: bytes 0x1000 and 0x1003 only.
  expect_ok(d.run({tsr::dev::store({.mode = StoreMode::Raw,
                                    .dram_addr = kBase,
                                    .dram_stride = 3,
                                    .rows = 2,
                                    .row_bytes = 1,
                                    .acc_addr = 0,
                                    .elem_bytes = 1})},
                  1));
  EXPECT_EQ(d.read(kBase, 5), (std::vector<uint8_t>{0x11, 0xEE, 0xEE, 0x22, 0xEE}));
}

// ---- Errors ----

struct ErrorCase {
  std::string what;
  std::vector<Command> cmds;
  std::string error;
  std::string unit;
  int64_t index;
};

Command raw_cmd(uint32_t w0) {
  Command c{};
  c[0] = w0;
  return c;
}

TEST(Device, EveryErrorCodeWithUnitAndIndex) {
  const DeviceParams p = tiny();
  const Command ok_load = tsr::dev::load({.dram_addr = kBase,
                                          .dram_stride = 2,
                                          .rows = 1,
                                          .row_bytes = 2,
                                          .sp_addr = 0,
                                          .elem_bytes = 2});
  const tsr::dev::WindowFields w{};
  const std::vector<ErrorCase> cases = {
      {"opcode 0", {ok_load, raw_cmd(0)}, "illegal_opcode", "fetch", 1},
      {"opcode 200", {raw_cmd(200)}, "illegal_opcode", "fetch", 0},
      {"escape", {ok_load, tsr::dev::escape()}, "no_core", "fetch", 1},
      {"fence with a token",
       {tsr::dev::with_tokens(tsr::dev::fence(), {.push_next = true})},
       "token",
       "fetch",
       0},
      {"load pop_prev", {tsr::dev::with_tokens(ok_load, {.pop_prev = true})}, "token", "load", 0},
      {"load push_prev",
       {ok_load, tsr::dev::with_tokens(ok_load, {.push_prev = true})},
       "token",
       "load",
       1},
      {"store push_next",
       {tsr::dev::store({.mode = StoreMode::Raw,
                         .dram_addr = kBase,
                         .rows = 1,
                         .row_bytes = 1,
                         .elem_bytes = 1,
                         .tokens = {.push_next = true}})},
       "token",
       "store",
       0},
      {"load rows 0",
       {tsr::dev::load({.dram_addr = kBase, .rows = 0, .row_bytes = 2, .elem_bytes = 2})},
       "dma_empty",
       "load",
       0},
      {"store row_bytes 0",
       {tsr::dev::store({.dram_addr = kBase, .rows = 1, .row_bytes = 0, .elem_bytes = 1})},
       "dma_empty",
       "store",
       0},
      {"load elem 0",
       {tsr::dev::load({.dram_addr = kBase, .rows = 1, .row_bytes = 2, .elem_bytes = 0})},
       "bad_field",
       "load",
       0},
      {"load elem > row",
       {tsr::dev::load({.dram_addr = kBase, .rows = 1, .row_bytes = 3, .elem_bytes = 3})},
       "bad_field",
       "load",
       0},
      {"load row % elem",
       {tsr::dev::load({.dram_addr = kBase, .rows = 1, .row_bytes = 3, .elem_bytes = 2})},
       "bad_field",
       "load",
       0},
      {"store mode 3",
       {tsr::dev::with_tokens(tsr::dev::CommandBuilder("STORE")
                                  .set("mode", 3)
                                  .set("dram_addr", kBase)
                                  .set("rows", 1)
                                  .set("row_bytes", 1)
                                  .set("elem_bytes", 1),
                              {})},
       "bad_field",
       "store",
       0},
      {"store raw elem 9",
       {tsr::dev::store({.mode = StoreMode::Raw,
                         .dram_addr = kBase,
                         .rows = 1,
                         .row_bytes = 9,
                         .elem_bytes = 9})},
       "bad_field",
       "store",
       0},
      {"store requant elem 3",
       {tsr::dev::store({.dram_addr = kBase, .rows = 1, .row_bytes = 3, .elem_bytes = 3})},
       "bad_field",
       "store",
       0},
      {"store act_min > act_max",
       {tsr::dev::store({.dram_addr = kBase,
                         .rows = 1,
                         .row_bytes = 1,
                         .elem_bytes = 1,
                         .act_min = 5,
                         .act_max = 4})},
       "bad_field",
       "store",
       0},
      {"matmul stride 0",
       {ok_load, tsr::dev::matmul({.win = {.stride_h = 0}})},
       "bad_field",
       "execute",
       1},
      {"matmul k_w 0", {tsr::dev::matmul({.win = {.k_w = 0}})}, "bad_field", "execute", 0},
      {"matmul out_h 0", {tsr::dev::matmul({.win = {.out_h = 0}})}, "bad_field", "execute", 0},
      {"matmul chunks 0", {tsr::dev::matmul({.chunks = 0})}, "bad_field", "execute", 0},
      {"vector pitch 0", {tsr::dev::vector({.pitch = 0})}, "bad_field", "execute", 0},
      {"vector in_w 0", {tsr::dev::vector({.win = {.in_w = 0}})}, "bad_field", "execute", 0},
      {"vector vmode 4",
       {tsr::dev::with_tokens(tsr::dev::CommandBuilder("VECTOR")
                                  .set("vmode", 4)
                                  .set("pitch", 1)
                                  .set("in_h", 1)
                                  .set("in_w", 1)
                                  .set("out_h", 1)
                                  .set("out_w", 1)
                                  .set("k_h", 1)
                                  .set("k_w", 1)
                                  .set("stride_h", 1)
                                  .set("stride_w", 1),
                              {})},
       "bad_field",
       "execute",
       0},
      {"vector scale shift -32",
       {tsr::dev::vector({.mode = VectorMode::Scale, .win = w, .shift = -32})},
       "bad_field",
       "execute",
       0},
      {"load past the scratchpad",
       {tsr::dev::load({.dram_addr = kBase,
                        .rows = 1,
                        .row_bytes = 4,
                        .sp_addr = p.sp_rows - 1,
                        .elem_bytes = 2})},
       "sp_range",
       "load",
       0},
      {"matmul weights past the scratchpad",
       {tsr::dev::matmul({.w_addr = p.sp_rows - 1, .win = w})},
       "sp_range",
       "execute",
       0},
      {"matmul input past the scratchpad",
       {tsr::dev::matmul({.in_addr = p.sp_rows - 3,
                          .chunks = 2,
                          .win = {.in_h = 1, .in_w = 2, .out_h = 1, .out_w = 1}})},
       "sp_range",
       "execute",
       0},
      {"vector input past the scratchpad",
       {tsr::dev::vector({.in_addr = p.sp_rows - 2,
                          .pitch = 2,
                          .win = {.in_h = 1, .in_w = 2, .out_h = 1, .out_w = 1}})},
       "sp_range",
       "execute",
       0},
      {"params past the scratchpad",
       {tsr::dev::params({.sp_addr = p.sp_rows - 8})},
       "sp_range",
       "execute",
       0},
      {"matmul output past the accumulator",
       {tsr::dev::matmul({.acc_addr = p.acc_rows - 1, .win = {.out_h = 1, .out_w = 2}})},
       "acc_range",
       "execute",
       0},
      {"vector output past the accumulator",
       {tsr::dev::vector({.acc_addr = p.acc_rows, .win = w})},
       "acc_range",
       "execute",
       0},
      {"store past the accumulator",
       {tsr::dev::store({.mode = StoreMode::Raw,
                         .dram_addr = kBase,
                         .rows = 2,
                         .row_bytes = 2,
                         .acc_addr = p.acc_rows - 3,
                         .elem_bytes = 1})},
       "acc_range",
       "store",
       0},
      {"load past the window end",
       {tsr::dev::load(
           {.dram_addr = kBase + kSize - 2, .rows = 1, .row_bytes = 4, .elem_bytes = 2})},
       "dma_window",
       "load",
       0},
      {"load below the window",
       {tsr::dev::load({.dram_addr = kBase - 1, .rows = 1, .row_bytes = 2, .elem_bytes = 2})},
       "dma_window",
       "load",
       0},
      {"strided store past the window end",
       {tsr::dev::store({.mode = StoreMode::Raw,
                         .dram_addr = kBase,
                         .dram_stride = 0x200,
                         .rows = 3,
                         .row_bytes = 1,
                         .elem_bytes = 1})},
       "dma_window",
       "store",
       0},
  };
  for (const ErrorCase& c : cases) {
    for (uint64_t seed : {1u, 2u, 3u}) {
      RefDevice d(p, kBase, kSize);
      const RunResult r = d.run(c.cmds, seed);
      EXPECT_EQ(r.status, RunResult::Status::Error) << c.what << ": " << r.summary();
      EXPECT_EQ(r.error, c.error) << c.what << ": " << r.summary();
      EXPECT_EQ(r.error_code, isa::enum_value("error", c.error)) << c.what;
      EXPECT_EQ(r.unit, c.unit) << c.what << ": " << r.summary();
      EXPECT_EQ(r.error_unit, isa::enum_value("error_unit", c.unit)) << c.what;
      EXPECT_EQ(r.error_cmd, c.index) << c.what << ": " << r.summary();
      EXPECT_NE(r.message.find(fmt::format("command {}", c.index)), std::string::npos) << r.message;
    }
  }
  // Within the window (the last 8 bytes exactly) is fine; the window register narrows it.
  RefDevice d(p, kBase, kSize);
  const Command edge = tsr::dev::load({.dram_addr = kBase + kSize - 8,
                                       .dram_stride = 8,
                                       .rows = 1,
                                       .row_bytes = 8,
                                       .elem_bytes = 2});
  expect_ok(d.run({edge}, 1));
  d.set_window(kBase, kBase + kSize - 8);
  EXPECT_EQ(d.run({edge}, 1).error, "dma_window");
}

TEST(Device, ErrorHaltsTheDevice) {
  RefDevice d(tiny(), kBase, kSize);
  d.write(kBase, std::vector<uint8_t>{9, 9});
  set_sp(d, 5, {0, 0});
  // The failing LOAD (index 1) comes before the good one (index 2) on the same unit: the good
  // one never runs.
  const RunResult r =
      d.run({tsr::dev::fence(),
             tsr::dev::load(
                 {.dram_addr = kBase, .rows = 1, .row_bytes = 2, .sp_addr = 5, .elem_bytes = 0}),
             tsr::dev::load(
                 {.dram_addr = kBase, .rows = 1, .row_bytes = 2, .sp_addr = 5, .elem_bytes = 2})},
            1);
  EXPECT_EQ(r.error, "bad_field");
  EXPECT_EQ(r.error_cmd, 1);
  EXPECT_EQ(r.retired, 1u);
  EXPECT_EQ(sp(d, 5), (std::vector<int>{0, 0}));
}

TEST(Device, StoreWithUnusableParametersIsABadField) {
  RefDevice d(tiny(), kBase, kSize);
  for (int i = 0; i < 9; ++i) set_sp(d, i, {0, 0});
  set_sp(d, 8, {40, 0});  // shift 40 in lane 0
  const RunResult r =
      d.run({tsr::dev::params({.pset = 0, .sp_addr = 0, .tokens = {.push_next = true}}),
             tsr::dev::store({.dram_addr = kBase,
                              .rows = 1,
                              .row_bytes = 1,
                              .elem_bytes = 1,
                              .tokens = {.pop_prev = true}})},
            1);
  EXPECT_EQ(r.error, "bad_field") << r.summary();
  EXPECT_EQ(r.unit, "store");
  EXPECT_EQ(r.error_cmd, 1);
}

// ---- Tokens, fences, deadlock, hazards ----

TEST(Device, TokensBalanceAndFenceCountsInterrupts) {
  RefDevice d(tiny(), kBase, kSize);
  d.write(kBase, std::vector<uint8_t>{1, 2});
  const RunResult r =
      d.run({tsr::dev::load({.dram_addr = kBase,
                             .rows = 1,
                             .row_bytes = 2,
                             .sp_addr = 0,
                             .elem_bytes = 2,
                             .tokens = {.push_next = true}}),
             tsr::dev::vector({.mode = VectorMode::Sum,
                               .acc_addr = 0,
                               .win = {},
                               .tokens = {.pop_prev = true, .push_next = true}}),
             tsr::dev::store({.mode = StoreMode::Raw,
                              .dram_addr = kBase + 8,
                              .rows = 1,
                              .row_bytes = 8,
                              .acc_addr = 0,
                              .elem_bytes = 8,
                              .tokens = {.pop_prev = true, .push_prev = true}}),
             tsr::dev::fence(true),
             tsr::dev::vector(
                 {.mode = VectorMode::Sum, .acc_addr = 1, .win = {}, .tokens = {.pop_next = true}}),
             tsr::dev::fence(false)},
            7);
  expect_ok(r);
  EXPECT_EQ(r.fences_irq, 1u);
  EXPECT_EQ(r.tokens_left, (std::array<int64_t, 4>{0, 0, 0, 0}));
  EXPECT_EQ(r.tokens_max, (std::array<int64_t, 4>{1, 0, 1, 1}));
  EXPECT_EQ(r.order, (std::vector<size_t>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(d.read(kBase + 8, 8), (std::vector<uint8_t>{1, 0, 0, 0, 2, 0, 0, 0}));
  // A push nobody pops is left over (no error: the next program may take it).
  const RunResult left = d.run({tsr::dev::load({.dram_addr = kBase,
                                                .rows = 1,
                                                .row_bytes = 2,
                                                .elem_bytes = 2,
                                                .tokens = {.push_next = true}})},
                               1);
  expect_ok(left);
  EXPECT_EQ(left.tokens_left[0], 1);
}

TEST(Device, DeadlockNamesTheStuckCommands) {
  RefDevice d(tiny(), kBase, kSize);
  // The STORE waits for execute, the VECTOR waits for a LOAD that never pushes.
  const RunResult r = d.run(
      {tsr::dev::load({.dram_addr = kBase, .rows = 1, .row_bytes = 2, .elem_bytes = 2}),
       tsr::dev::vector(
           {.mode = VectorMode::Sum, .win = {}, .tokens = {.pop_prev = true, .push_next = true}}),
       tsr::dev::store({.mode = StoreMode::Raw,
                        .dram_addr = kBase + 8,
                        .rows = 1,
                        .row_bytes = 8,
                        .elem_bytes = 8,
                        .tokens = {.pop_prev = true}})},
      3);
  EXPECT_EQ(r.status, RunResult::Status::Deadlock) << r.summary();
  EXPECT_EQ(r.retired, 1u);
  EXPECT_NE(r.message.find("execute unit: command 1 (VECTOR) waits for a token on ld->ex"),
            std::string::npos)
      << r.message;
  EXPECT_NE(r.message.find("store unit: command 2 (STORE) waits for a token on ex->st"),
            std::string::npos)
      << r.message;
  // A fence behind a deadlocked unit is stuck too; commands after it wait behind the fence.
  const RunResult f =
      d.run({tsr::dev::vector({.mode = VectorMode::Sum, .win = {}, .tokens = {.pop_next = true}}),
             tsr::dev::fence(),
             tsr::dev::load({.dram_addr = kBase, .rows = 1, .row_bytes = 2, .elem_bytes = 2})},
            1);
  EXPECT_EQ(f.status, RunResult::Status::Deadlock);
  EXPECT_NE(f.message.find("waits behind command 1 (FENCE)"), std::string::npos) << f.message;
}

// A LOAD feeding a VECTOR, with and without the token between them.
std::vector<Command> load_then_sum(bool with_token) {
  return {tsr::dev::load({.dram_addr = kBase,
                          .rows = 1,
                          .row_bytes = 2,
                          .sp_addr = 40,
                          .elem_bytes = 2,
                          .tokens = {.push_next = with_token}}),
          tsr::dev::vector({.mode = VectorMode::Sum,
                            .in_addr = 40,
                            .acc_addr = 0,
                            .win = {},
                            .tokens = {.pop_prev = with_token}})};
}

TEST(Device, MissingTokenIsAHazardForEverySeedAndAWrongResultForSome) {
  const uint64_t seed0 = tsr::tb::test_seed();
  int stale = 0, fresh = 0;
  for (uint64_t s = seed0; s < seed0 + 32; ++s) {
    RefDevice d(tiny(), kBase, kSize);
    d.write(kBase, std::vector<uint8_t>{11, 22});
    set_sp(d, 40, {1, 2});
    const RunResult bad = d.run(load_then_sum(false), s);
    ASSERT_EQ(bad.status, RunResult::Status::Ok);
    ASSERT_FALSE(bad.hazards.empty()) << "seed " << s;
    // RAW when the LOAD ran first, WAR when the VECTOR did.
    EXPECT_NE(bad.hazards[0].find("hazard on scratchpad row 0x28: command"), std::string::npos)
        << bad.hazards[0];
    (acc(d, 0) == std::vector<int32_t>{1, 2} ? stale : fresh) += 1;

    RefDevice g(tiny(), kBase, kSize);
    g.write(kBase, std::vector<uint8_t>{11, 22});
    const RunResult good = g.run(load_then_sum(true), s);
    expect_ok(good);
    EXPECT_EQ(acc(g, 0), (std::vector<int32_t>{11, 22}));
  }
  // Both orders occur: the scheduler really interleaves the units.
  EXPECT_GT(stale, 0);
  EXPECT_GT(fresh, 0);
}

TEST(Device, WarHazardAcrossUnitsAndFenceOrders) {
  // STORE reads accumulator row 0 while a later VECTOR overwrites it: WAR unless ordered.
  const Command st = tsr::dev::store({.mode = StoreMode::Raw,
                                      .dram_addr = kBase,
                                      .rows = 1,
                                      .row_bytes = 8,
                                      .acc_addr = 0,
                                      .elem_bytes = 8});
  const Command vec = tsr::dev::vector({.mode = VectorMode::Sum, .acc_addr = 0, .win = {}});
  {
    RefDevice d(tiny(), kBase, kSize);
    const RunResult r = d.run({st, vec}, 1);
    ASSERT_FALSE(r.hazards.empty());
    // WAR when the STORE ran first, RAW when the VECTOR did.
    EXPECT_NE(r.hazards[0].find("hazard on accumulator row 0x0: command"), std::string::npos)
        << r.hazards[0];
  }
  {
    RefDevice d(tiny(), kBase, kSize);
    expect_ok(d.run({st, tsr::dev::fence(), vec}, 1));
  }
  {
    RefDevice d(tiny(), kBase, kSize);
    expect_ok(d.run({tsr::dev::with_tokens(st, {.push_prev = true}),
                     tsr::dev::with_tokens(vec, {.pop_next = true})},
                    1));
  }
}

}  // namespace

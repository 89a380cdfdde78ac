// Row balancing for zero-skip arrays (balance.h, docs/skip.md): the snake dealing on hand cases, a
// hand-built graph whose permutation is known, and the exact equivalence of the rewritten graph on
// the real networks: every output byte equal, and every intermediate tensor equal to the original's
// in the permuted channel order.
#include <cstdlib>
#include <cstring>
#include <numeric>

#include <gtest/gtest.h>

#include "models.h"
#include "tessera/driver/balance.h"
#include "tessera/driver/interp.h"
#include "tessera/driver/io.h"
#include "tessera/driver/tflite.h"
#include "tessera/error.h"

namespace tsr::drv {
namespace {

using test::model;

std::vector<int8_t> random_input(const Graph& g, uint32_t seed) {
  std::vector<int8_t> in(g.input().elements());
  for (auto& b : in) b = static_cast<int8_t>((seed = seed * 1664525U + 1013904223U) >> 24);
  return in;
}

// The seeds of the random inputs: $TSR_SEED when set (one run), else a fixed list.
std::vector<uint32_t> seeds() {
  if (const char* s = std::getenv("TSR_SEED")) return {static_cast<uint32_t>(std::strtoul(s, nullptr, 0))};
  return {1, 2, 3};
}

// Every tensor the balanced graph computes equals the original's in the permuted order; the graph
// outputs are the same bytes.
void expect_equivalent(const Graph& g, const BalancedGraph& b, std::span<const int8_t> in) {
  const Values want = interpret(g, in);
  const Values got = interpret(b.graph, in);
  for (int t : g.outputs) {
    ASSERT_FALSE(want[t].empty());
    ASSERT_EQ(got[t], want[t]) << "graph output " << t << " differs";
  }
  for (const Tensor& t : g.tensors) {
    if (want[t.index].empty()) continue;
    ASSERT_EQ(got[t.index], permute_channels(b, t.index, want[t.index])) << "tensor " << t.index << " '" << t.name << "'";
  }
}

TEST(SnakeLanes, DealsDensestAndSparsestToOneRow) {
  // Sorted: 1 (0.9), 2 (0.5), 3 (0.3), 0 (0.1). i = 0, 1 -> lanes 0, 1 (rows 0, 1); i = 2, 3 ->
  // j = 1, rows 1, 0 -> lanes 3, 2. Row 0: 0.9 + 0.1, row 1: 0.5 + 0.3.
  const std::vector<double> d = {0.1, 0.9, 0.5, 0.3};
  EXPECT_EQ(snake_lanes(d, 2, 2), (std::vector<int>{1, 2, 0, 3}));
  // Fewer items than lanes: the padding sorts last (lane 2, row 0 on the way back).
  EXPECT_EQ(snake_lanes(std::span(d).first(3), 2, 2), (std::vector<int>{1, 2, -1, 0}));
  // Equal densities keep their order (stable), the second half reversed.
  EXPECT_EQ(snake_lanes(std::vector<double>(6, 0.5), 3, 2), (std::vector<int>{0, 1, 2, 5, 4, 3}));
}

TEST(BalancedChannelOrder, ChunkGroupsAndTapPairs) {
  // 8 channels on R = 2, D = 2: two groups of 4 dealt separately.
  const std::vector<double> d8 = {0.1, 0.9, 0.5, 0.3, 0.0, 0.2, 0.4, 0.6};
  EXPECT_EQ(balanced_channel_order(d8, 2, 2), (std::vector<int>{1, 2, 0, 3, 7, 6, 4, 5}));
  // One chunk (C = R = 4, D = 2): row r holds positions r and r + 2, so the pairs are (densest,
  // sparsest) and (second, third): 1 + 0 and 3 + 2.
  const std::vector<double> d4 = {0.2, 0.8, 0.4, 0.6};
  EXPECT_EQ(balanced_channel_order(d4, 4, 2), (std::vector<int>{1, 3, 0, 2}));
  // Fewer channels than rows, a partial group, depth 1: unchanged.
  EXPECT_EQ(balanced_channel_order(std::span(d4).first(3), 4, 2), (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(balanced_channel_order(std::span(d8).first(6), 2, 2), (std::vector<int>{1, 2, 0, 3, 4, 5}));
  EXPECT_EQ(balanced_channel_order(d4, 2, 1), (std::vector<int>{0, 1, 2, 3}));
  // Depth 4, tap groups. One chunk (C = R = 8): four taps a pass, tap t's lanes rotated by 2t, so
  // row r holds positions r, r + 2, r + 4, r + 6 (mod 8): two classes of four. Densest first
  // (1, 7, 2, 6, 3, 5, 0, 4) dealt in snake order over the two: {1, 6, 3, 4} and {7, 2, 5, 0}.
  EXPECT_EQ(balanced_channel_order(d8, 8, 4), (std::vector<int>{1, 7, 6, 2, 3, 5, 4, 0}));
  // Two chunks (C = 2R = 8, R = 4): two taps a pass, the second rotated by 2, so row r holds
  // positions r and r + 2 of both chunks: again r + 2k, the same dealing.
  EXPECT_EQ(balanced_channel_order(d8, 4, 4), (std::vector<int>{1, 7, 6, 2, 3, 5, 4, 0}));
  // Three chunks at depth 4 (C = 12, R = 4) is one partial group of 16: unchanged.
  const std::vector<double> d12(12, 0.5);
  std::vector<int> id12(12);
  std::iota(id12.begin(), id12.end(), 0);
  EXPECT_EQ(balanced_channel_order(d12, 4, 4), id12);
}

// A graph under construction (tensors appended in order).
struct Builder {
  Graph g;
  // A new tensor named prefix + index (constant when `constant`).
  Tensor& add(const char* prefix, std::vector<int> shape, DType type, bool constant) {
    Tensor& t = g.tensors.emplace_back();
    t.index = static_cast<int>(g.tensors.size()) - 1;
    t.name = prefix + std::to_string(t.index);
    t.shape = std::move(shape);
    t.type = type;
    t.constant = constant;
    return t;
  }
  int act(std::vector<int> shape, float scale, int zp) {
    Tensor& t = add("a", std::move(shape), DType::Int8, false);
    t.quant.scale = {scale};
    t.quant.zero_point = {zp};
    return t.index;
  }
  // int8 weights with per-channel scales along `axis` (zero points 0), values from a counter.
  int weights(std::vector<int> shape, int axis, uint32_t seed) {
    Tensor& t = add("w", std::move(shape), DType::Int8, true);
    const int ch = t.shape[static_cast<size_t>(axis)];
    for (int c = 0; c < ch; ++c) {
      t.quant.scale.push_back(0.01F * static_cast<float>(c + 1));
      t.quant.zero_point.push_back(0);
    }
    t.quant.axis = axis;
    t.data.resize(t.elements());
    for (auto& b : t.data) b = static_cast<uint8_t>((seed = seed * 1664525U + 1013904223U) >> 24);
    return t.index;
  }
  int bias(int n, int32_t step) {
    Tensor& t = add("b", {n}, DType::Int32, true);
    for (int i = 0; i < n; ++i) {
      const auto v = static_cast<uint32_t>(step * (i - n / 2));
      for (int k = 0; k < 4; ++k) t.data.push_back(static_cast<uint8_t>(v >> (8 * k)));
    }
    return t.index;
  }
  void op(OpKind k, std::vector<int> in, int out, ref::Activation act = ref::Activation::None) {
    Op o;
    o.index = static_cast<int>(g.ops.size());
    o.kind = k;
    o.inputs = std::move(in);
    o.outputs = {out};
    o.act = act;
    o.padding = ref::Padding::Same;
    g.ops.push_back(o);
  }
};

// input 3x3x2 -> conv 1x1 (2 -> 4, ReLU) = t1 -> conv 3x3 (4 -> 4, ReLU) = t2; t1 + t2 = t3 ->
// depthwise 3x3 (ReLU) = t4 -> global average pool = t5 -> reshape [1, 4] = t6 -> FC (4 -> 3) =
// output. t1..t6 form one class; the input and the output keep their order.
struct HandGraph {
  Builder b;
  int in, t1, t2, t3, t4, t5, t6, out, conv_a_w, conv_b_w, dw_w, fc_w;
  HandGraph() {
    in = b.act({1, 3, 3, 2}, 0.05F, -3);
    conv_a_w = b.weights({4, 1, 1, 2}, 0, 11);
    const int ba = b.bias(4, 700);
    t1 = b.act({1, 3, 3, 4}, 0.04F, -128);
    b.op(OpKind::Conv2D, {in, conv_a_w, ba}, t1, ref::Activation::Relu);
    conv_b_w = b.weights({4, 3, 3, 4}, 0, 12);
    const int bb = b.bias(4, -900);
    t2 = b.act({1, 3, 3, 4}, 0.06F, -128);
    b.op(OpKind::Conv2D, {t1, conv_b_w, bb}, t2, ref::Activation::Relu);
    t3 = b.act({1, 3, 3, 4}, 0.08F, -120);
    b.op(OpKind::Add, {t1, t2}, t3);
    dw_w = b.weights({1, 3, 3, 4}, 3, 13);
    const int bd = b.bias(4, 300);
    t4 = b.act({1, 3, 3, 4}, 0.05F, -128);
    b.op(OpKind::DepthwiseConv2D, {t3, dw_w, bd}, t4, ref::Activation::Relu);
    t5 = b.act({1, 1, 1, 4}, 0.05F, -128);
    b.op(OpKind::AveragePool2D, {t4}, t5);
    b.g.ops.back().filter_h = b.g.ops.back().filter_w = 3;
    b.g.ops.back().padding = ref::Padding::Valid;
    t6 = b.act({1, 4}, 0.05F, -128);
    b.op(OpKind::Reshape, {t5}, t6);
    fc_w = b.weights({3, 4}, 0, 14);
    b.g.tensors[static_cast<size_t>(fc_w)].quant.scale.resize(1);  // per tensor
    b.g.tensors[static_cast<size_t>(fc_w)].quant.zero_point.resize(1);
    const int bf = b.bias(3, 50);
    out = b.act({1, 3}, 0.1F, 5);
    b.op(OpKind::FullyConnected, {t6, fc_w, bf}, out);
    b.g.inputs = {in};
    b.g.outputs = {out};
  }
};

TEST(BalanceRows, HandGraphKnownPermutation) {
  HandGraph h;
  const Graph& g = h.b.g;
  // Calibration densities: t1 feeds conv b, t6 feeds the FC; their sum orders the class.
  std::vector<std::vector<double>> d(g.tensors.size());
  d[static_cast<size_t>(h.t1)] = {0.1, 0.9, 0.5, 0.2};
  d[static_cast<size_t>(h.t6)] = {0.0, 0.0, 0.0, 0.1};  // sums 0.1, 0.9, 0.5, 0.3
  const BalancedGraph b = balance_rows(g, d, 2, 2);
  const std::vector<int> P = {1, 2, 0, 3};
  for (int t : {h.t1, h.t2, h.t3, h.t4, h.t5, h.t6}) EXPECT_EQ(b.perm[static_cast<size_t>(t)], P) << "tensor " << t;
  EXPECT_TRUE(b.perm[static_cast<size_t>(h.in)].empty());
  EXPECT_TRUE(b.perm[static_cast<size_t>(h.out)].empty());
  EXPECT_EQ(b.classes, 1);
  EXPECT_EQ(b.classes_permuted, 1);
  EXPECT_EQ(b.tensors_permuted, 6);
  // The constants, element by element: conv a's output rows, conv b's both axes, the depthwise
  // channels (and per-channel scales), the FC's input columns.
  const auto w = [&](const Graph& gr, int t, size_t i) { return gr.tensor(t).i8()[i]; };
  for (size_t o = 0; o < 4; ++o) {
    for (size_t i = 0; i < 2; ++i) EXPECT_EQ(w(b.graph, h.conv_a_w, o * 2 + i), w(g, h.conv_a_w, size_t(P[o]) * 2 + i));
    EXPECT_EQ(b.graph.tensor(h.conv_a_w).quant.scale[o], g.tensor(h.conv_a_w).quant.scale[size_t(P[o])]);
    for (size_t tap = 0; tap < 9; ++tap) {
      for (size_t i = 0; i < 4; ++i) {
        EXPECT_EQ(w(b.graph, h.conv_b_w, (o * 9 + tap) * 4 + i), w(g, h.conv_b_w, (size_t(P[o]) * 9 + tap) * 4 + size_t(P[i])));
      }
      EXPECT_EQ(w(b.graph, h.dw_w, tap * 4 + o), w(g, h.dw_w, tap * 4 + size_t(P[o])));
    }
    EXPECT_EQ(b.graph.tensor(h.dw_w).quant.scale[o], g.tensor(h.dw_w).quant.scale[size_t(P[o])]);
  }
  for (size_t n = 0; n < 3; ++n) {
    for (size_t i = 0; i < 4; ++i) EXPECT_EQ(w(b.graph, h.fc_w, n * 4 + i), w(g, h.fc_w, n * 4 + size_t(P[i])));
  }
  for (uint32_t seed : seeds()) {
    SCOPED_TRACE(testing::Message() << "seed " << seed << " (rerun with TSR_SEED=" << seed << ")");
    expect_equivalent(g, b, random_input(g, seed));
  }
}

TEST(BalanceRows, SharedConstantIsCopied) {
  // A second consumer of t1 with conv b's weights, whose output is a graph output (not permuted):
  // the two convs permute the weights differently, so the shared tensor must be copied.
  HandGraph h;
  Graph& g = h.b.g;
  const int t7 = h.b.act({1, 3, 3, 4}, 0.06F, -128);
  h.b.op(OpKind::Conv2D, {h.t1, h.conv_b_w, -1}, t7);
  g.outputs.push_back(t7);
  std::vector<std::vector<double>> d(g.tensors.size());
  d[static_cast<size_t>(h.t1)] = {0.1, 0.9, 0.5, 0.3};
  d[static_cast<size_t>(h.t6)] = {0.0, 0.0, 0.0, 0.0};
  const BalancedGraph b = balance_rows(g, d, 2, 2);
  EXPECT_EQ(b.classes_permuted, 1);
  ASSERT_GT(b.graph.tensors.size(), g.tensors.size());  // conv b's weights were copied
  EXPECT_NE(b.graph.ops[1].inputs[1], b.graph.ops[7].inputs[1]);
  expect_equivalent(g, b, random_input(g, 7));
}

TEST(BalanceRows, GraphInputsAndOutputsKeepTheirOrder) {
  HandGraph h;
  const Graph& g = h.b.g;
  std::vector<std::vector<double>> d(g.tensors.size());
  d[static_cast<size_t>(h.t1)] = {0.1, 0.9, 0.5, 0.3};
  // t3 as a graph output pins the whole class.
  Graph g2 = g;
  g2.outputs.push_back(h.t3);
  const BalancedGraph b = balance_rows(g2, d, 2, 2);
  EXPECT_EQ(b.classes_permuted, 0);
  for (const auto& p : b.perm) EXPECT_TRUE(p.empty());
  // Missing calibration data for a tensor that feeds the array: an error naming the tensor.
  std::vector<std::vector<double>> none(g.tensors.size());
  EXPECT_THROW(balance_rows(g, none, 2, 2), Error);
}

// The real networks: calibrated on one input, checked on others (random and real).
struct Net {
  const char* file;
  const char* calib;  // image for the calibration ("" = a random input)
  friend void PrintTo(const Net& n, std::ostream* os) { *os << n.file; }
};

class BalanceNetworks : public testing::TestWithParam<Net> {};

TEST_P(BalanceNetworks, ExactOnRandomAndRealInputs) {
  const Net n = GetParam();
  const Graph g = load_tflite(model(n.file));
  const std::vector<int8_t> cal =
      std::string(n.calib).empty() ? random_input(g, 99) : read_input(model(n.calib), g.input());
  for (const auto& [R, D] : std::vector<std::pair<int, int>>{{16, 2}, {2, 2}, {16, 4}}) {
    SCOPED_TRACE(testing::Message() << n.file << " R=" << R << " D=" << D);
    const BalancedGraph b = balance_rows(g, channel_density(g, interpret(g, cal)), R, D);
    EXPECT_GT(b.classes_permuted, 0) << b.summary();
    for (uint32_t seed : seeds()) {
      SCOPED_TRACE(testing::Message() << "seed " << seed << " (rerun with TSR_SEED=" << seed << ")");
      expect_equivalent(g, b, random_input(g, seed));
    }
    if (std::string(n.file) == "person_detect.tflite") expect_equivalent(g, b, read_input(model("person.bmp"), g.input()));
  }
}

INSTANTIATE_TEST_SUITE_P(Models, BalanceNetworks,
                         testing::Values(Net{"ic_resnet8_int8.tflite", ""}, Net{"person_detect.tflite", "no_person.bmp"},
                                         Net{"kws_dscnn_int8.tflite", ""}),
                         [](const testing::TestParamInfo<Net>& p) {
                           std::string s = p.param.file;
                           return s.substr(0, s.find('.'));
                         });

}  // namespace
}  // namespace tsr::drv

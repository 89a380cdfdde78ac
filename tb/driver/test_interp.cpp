// The op-level interpreter: every op on small cases computed by hand (the expected values are
// worked out in the comments), the SOFTMAX fixed-point pieces against their real functions, and
// the real networks end to end (person_detect on both images, hello_world against sin x).
#include <cmath>
#include <numbers>

#include <gtest/gtest.h>

#include "models.h"
#include "tessera/driver/interp.h"
#include "tessera/driver/io.h"
#include "tessera/driver/tflite.h"
#include "tessera/error.h"

namespace tsr::drv {
namespace {

using test::model;

// A graph under construction: tensors and one op.
struct Mini {
  Graph g;
  int tensor(std::vector<int> shape, float scale, int zp, std::vector<int8_t> data = {}) {
    Tensor t;
    t.index = static_cast<int>(g.tensors.size());
    t.name = "t" + std::to_string(t.index);
    t.shape = std::move(shape);
    t.type = DType::Int8;
    t.quant.scale = {scale};
    t.quant.zero_point = {zp};
    if (!data.empty()) {
      t.data.assign(reinterpret_cast<const uint8_t*>(data.data()), reinterpret_cast<const uint8_t*>(data.data()) + data.size());
      t.constant = true;
    }
    g.tensors.push_back(t);
    return t.index;
  }
  int bias(std::vector<int32_t> b) {
    Tensor t;
    t.index = static_cast<int>(g.tensors.size());
    t.shape = {static_cast<int>(b.size())};
    t.type = DType::Int32;
    for (int32_t v : b) {
      for (int k = 0; k < 4; ++k) t.data.push_back(static_cast<uint8_t>(static_cast<uint32_t>(v) >> (8 * k)));
    }
    t.constant = true;
    g.tensors.push_back(t);
    return t.index;
  }
  std::vector<int8_t> run(Op op, std::vector<std::vector<int8_t>> inputs) {
    g.ops = {op};
    Values v(g);
    size_t k = 0;
    for (int t : op.inputs) {
      if (t >= 0 && !g.tensor(t).constant) v[t] = inputs.at(k++);
    }
    interp_op(g, op, v);
    return v[op.outputs[0]];
  }
};

Op make(OpKind k, std::vector<int> in, int out) {
  Op op;
  op.kind = k;
  op.inputs = std::move(in);
  op.outputs = {out};
  return op;
}

using V = std::vector<int8_t>;

TEST(InterpConv, ValidSum) {
  // 2x2 input [1 2; 3 4], 2x2 filter of ones (scale 0.5), bias 2, output scale 1:
  // acc = 10 + 2 = 12, times 1 * 0.5 / 1 = 6.
  Mini m;
  const int x = m.tensor({1, 2, 2, 1}, 1.0F, 0);
  const int f = m.tensor({1, 2, 2, 1}, 0.5F, 0, {1, 1, 1, 1});
  const int b = m.bias({2});
  const int y = m.tensor({1, 1, 1, 1}, 1.0F, 0);
  Op op = make(OpKind::Conv2D, {x, f, b}, y);
  op.padding = ref::Padding::Valid;
  EXPECT_EQ(m.run(op, {{1, 2, 3, 4}}), (V{6}));
}

TEST(InterpConv, SamePaddingInputZeroPointAndRelu6) {
  // Input zero point 1: values 1..4 are reals 0..3. A 3x3 SAME filter of ones sees all four pixels
  // from every output position: acc = 0+1+2+3 = 6, bias 4 -> 10, scale 1*1/0.25 -> 40, ReLU6 at
  // output scale 0.25 clamps to 6 / 0.25 = 24.
  Mini m;
  const int x = m.tensor({1, 2, 2, 1}, 1.0F, 1);
  const int f = m.tensor({1, 3, 3, 1}, 1.0F, 0, V(9, 1));
  const int b = m.bias({4});
  const int y = m.tensor({1, 2, 2, 1}, 0.25F, 0);
  Op op = make(OpKind::Conv2D, {x, f, b}, y);
  op.act = ref::Activation::Relu6;
  EXPECT_EQ(m.run(op, {{1, 2, 3, 4}}), (V{24, 24, 24, 24}));
  op.act = ref::Activation::None;
  m.g.tensors[static_cast<size_t>(y)].quant.scale = {1.0F};
  // No clamp, output scale 1: 10 everywhere.
  EXPECT_EQ(m.run(op, {{1, 2, 3, 4}}), (V{10, 10, 10, 10}));
}

TEST(InterpConv, PerChannelRounding) {
  // One input value 3 (or -3), two output channels with filter scales 0.5 and 0.25:
  //  3 * 0.5  = 1.5  -> high mul rounds half up: 2;       3 * 0.25 = 0.75 -> 2 then /2 -> 1
  // -3 * 0.5  = -1.5 -> high mul rounds half up: -1;     -3 * 0.25 -> -1, then -0.5 rounds away: -1
  Mini m;
  const int x = m.tensor({1, 1, 1, 1}, 1.0F, 0);
  const int f = m.tensor({2, 1, 1, 1}, 0.5F, 0, {1, 1});
  m.g.tensors[static_cast<size_t>(f)].quant.scale = {0.5F, 0.25F};
  m.g.tensors[static_cast<size_t>(f)].quant.zero_point = {0, 0};
  const int y = m.tensor({1, 1, 1, 2}, 1.0F, 0);
  Op op = make(OpKind::Conv2D, {x, f, -1}, y);
  EXPECT_EQ(m.run(op, {{3}}), (V{2, 1}));
  EXPECT_EQ(m.run(op, {{-3}}), (V{-1, -1}));
}

TEST(InterpConv, Stride2) {
  // 1x4 row [1 2 3 4], 1x2 filter [1 10], stride 2 VALID: [1+20, 3+40] = [21, 43].
  Mini m;
  const int x = m.tensor({1, 1, 4, 1}, 1.0F, 0);
  const int f = m.tensor({1, 1, 2, 1}, 1.0F, 0, {1, 10});
  const int y = m.tensor({1, 1, 2, 1}, 1.0F, 0);
  Op op = make(OpKind::Conv2D, {x, f, -1}, y);
  op.padding = ref::Padding::Valid;
  op.stride_w = 2;
  EXPECT_EQ(m.run(op, {{1, 2, 3, 4}}), (V{21, 43}));
}

TEST(InterpDepthwise, Multiplier2) {
  // Input 1x1x2x2: pixel0 (c0=1, c1=2), pixel1 (3, 4). Depth multiplier 2, 1x2 filter, VALID.
  // Filter [0][0][kx][oc]: kx0 = [1 2 3 4], kx1 = [5 6 7 8]; output channel oc = m + ic * 2.
  // oc0 = 1*1 + 3*5 = 16; oc1 = 1*2 + 3*6 = 20; oc2 = 2*3 + 4*7 = 34; oc3 = 2*4 + 4*8 = 40.
  Mini m;
  const int x = m.tensor({1, 1, 2, 2}, 1.0F, 0);
  const int f = m.tensor({1, 1, 2, 4}, 1.0F, 0, {1, 2, 3, 4, 5, 6, 7, 8});
  const int y = m.tensor({1, 1, 1, 4}, 1.0F, 0);
  Op op = make(OpKind::DepthwiseConv2D, {x, f, -1}, y);
  op.padding = ref::Padding::Valid;
  EXPECT_EQ(m.run(op, {{1, 2, 3, 4}}), (V{16, 20, 34, 40}));
}

TEST(InterpFullyConnected, OffsetsBiasAndRounding) {
  // Input [1 2 3] with zero point -1 (reals 2 3 4); filter rows [1 0 -1] and [2 2 2]; bias
  // [10 -5]; output scale 2, zero point 3.
  // row0: 2 - 4 + 10 = 8 -> 4 -> 7.   row1: 18 - 5 = 13 -> 6.5 rounds half up -> 7 -> 10.
  Mini m;
  const int x = m.tensor({1, 3}, 1.0F, -1);
  const int f = m.tensor({2, 3}, 1.0F, 0, {1, 0, -1, 2, 2, 2});
  const int b = m.bias({10, -5});
  const int y = m.tensor({1, 2}, 2.0F, 3);
  Op op = make(OpKind::FullyConnected, {x, f, b}, y);
  EXPECT_EQ(m.run(op, {{1, 2, 3}}), (V{7, 10}));
  // The same reals with a per-tensor filter zero point of 1: stored values + 1.
  Mini m2;
  const int x2 = m2.tensor({1, 3}, 1.0F, -1);
  const int f2 = m2.tensor({2, 3}, 1.0F, 1, {2, 1, 0, 3, 3, 3});
  const int b2 = m2.bias({10, -5});
  const int y2 = m2.tensor({1, 2}, 2.0F, 3);
  EXPECT_EQ(m2.run(make(OpKind::FullyConnected, {x2, f2, b2}, y2), {{1, 2, 3}}), (V{7, 10}));
}

TEST(InterpPool, AverageSameCountsInBoundsOnly) {
  // [4 8; 12 16], 2x2 SAME stride 1: (0,0) 40/4 = 10; (0,1) (8+16)/2 = 12; (1,0) (12+16)/2 = 14;
  // (1,1) 16.
  Mini m;
  const int x = m.tensor({1, 2, 2, 1}, 1.0F, 0);
  const int y = m.tensor({1, 2, 2, 1}, 1.0F, 0);
  Op op = make(OpKind::AveragePool2D, {x}, y);
  op.filter_h = op.filter_w = 2;
  EXPECT_EQ(m.run(op, {{4, 8, 12, 16}}), (V{10, 12, 14, 16}));
}

TEST(InterpPool, AverageRoundsHalfAwayFromZero) {
  // 1x2 windows (VALID, stride 2) over [1 0 | -1 0 | 1 2 | -3 0]: 0.5 -> 1, -0.5 -> -1, 1.5 -> 2,
  // -1.5 -> -2.
  Mini m;
  const int x = m.tensor({1, 1, 8, 1}, 1.0F, 0);
  const int y = m.tensor({1, 1, 4, 1}, 1.0F, 0);
  Op op = make(OpKind::AveragePool2D, {x}, y);
  op.padding = ref::Padding::Valid;
  op.filter_w = 2;
  op.stride_w = 2;
  EXPECT_EQ(m.run(op, {{1, 0, -1, 0, 1, 2, -3, 0}}), (V{1, -1, 2, -2}));
}

TEST(InterpPool, MaxWithReluAtZeroPoint) {
  // [4 16; 12 8], 2x2 SAME: 16, 16, 12, 8; ReLU at zero point 10 lifts 8 to 10.
  Mini m;
  const int x = m.tensor({1, 2, 2, 1}, 1.0F, 10);
  const int y = m.tensor({1, 2, 2, 1}, 1.0F, 10);
  Op op = make(OpKind::MaxPool2D, {x}, y);
  op.filter_h = op.filter_w = 2;
  op.act = ref::Activation::Relu;
  EXPECT_EQ(m.run(op, {{4, 16, 12, 8}}), (V{16, 16, 12, 10}));
}

TEST(InterpAdd, RescaleAndRounding) {
  // a: scale 0.5, zp 0; b: scale 0.25, zp 1; out: scale 1, zp -2.
  // [2,5]: 1 + 1 = 2 -> 0.  [4,1]: 2 + 0 -> 0.  [-6,1]: -3 -> -5.
  // [1,1]: 0.5 -> rounds away -> 1 -> -1.  [-1,1]: -0.5 -> -1 -> -3.
  Mini m;
  const int a = m.tensor({1, 5}, 0.5F, 0);
  const int b = m.tensor({1, 5}, 0.25F, 1);
  const int y = m.tensor({1, 5}, 1.0F, -2);
  Op op = make(OpKind::Add, {a, b}, y);
  EXPECT_EQ(m.run(op, {{2, 4, -6, 1, -1}, {5, 1, 1, 1, 1}}), (V{0, 0, -5, -1, -3}));
  op.act = ref::Activation::Relu;  // clamp at the zero point -2
  EXPECT_EQ(m.run(op, {{2, 4, -6, 1, -1}, {5, 1, 1, 1, 1}}), (V{0, 0, -2, -1, -2}));
}

TEST(InterpReshape, CopiesBytes) {
  Mini m;
  const int x = m.tensor({1, 1, 1, 3}, 1.0F, 0);
  const int y = m.tensor({1, 3}, 1.0F, 0);
  EXPECT_EQ(m.run(make(OpKind::Reshape, {x}, y), {{7, -8, 9}}), (V{7, -8, 9}));
}

TEST(InterpSoftmax, EqualInputsGiveAQuarterEach) {
  // Four equal logits: 1/4 each = 64/256 -> 64 - 128 = -64 (the fixed-point path is exact here:
  // sum of exps 4 * 2^19, reciprocal 1/4, 2^31 * 2^-25 rounds to 64).
  Mini m;
  const int x = m.tensor({1, 4}, 0.1F, 0);
  const int y = m.tensor({1, 4}, 1.0F / 256.0F, -128);
  Op op = make(OpKind::Softmax, {x}, y);
  EXPECT_EQ(m.run(op, {{5, 5, 5, 5}}), (V{-64, -64, -64, -64}));
}

TEST(InterpSoftmax, DominantLogitSaturates) {
  // Scale 1, beta 1: a difference of 255 is below diff_min (-15), so the small logit gives -128
  // and the large one 256/256 -> 128 - 128... clamped to 127.
  Mini m;
  const int x = m.tensor({1, 2}, 1.0F, 0);
  const int y = m.tensor({1, 2}, 1.0F / 256.0F, -128);
  EXPECT_EQ(m.run(make(OpKind::Softmax, {x}, y), {{127, -128}}), (V{127, -128}));
}

TEST(InterpSoftmax, CloseToRealSoftmax) {
  // Against the real softmax: within one quantization step.
  Mini m;
  const float scale = 0.0625F;
  const int x = m.tensor({2, 6}, scale, -3);
  const int y = m.tensor({2, 6}, 1.0F / 256.0F, -128);
  Op op = make(OpKind::Softmax, {x}, y);
  op.beta = 1.0F;
  const V in{-3, 10, 20, -40, 0, 5, 100, 90, 80, -128, 127, 60};
  const V out = m.run(op, {in});
  for (int r = 0; r < 2; ++r) {
    double sum = 0;
    for (int c = 0; c < 6; ++c) sum += std::exp((in[static_cast<size_t>(6 * r + c)] + 3) * scale);
    for (int c = 0; c < 6; ++c) {
      const double p = std::exp((in[static_cast<size_t>(6 * r + c)] + 3) * scale) / sum;
      const double q = std::clamp(std::round(p * 256.0) - 128.0, -128.0, 127.0);
      EXPECT_NEAR(out[static_cast<size_t>(6 * r + c)], q, 1.0) << "row " << r << " col " << c;
    }
  }
}

TEST(InterpSoftmax, FixedPointPieces) {
  // exp on Q5.26 inputs in [-31, 0] against std::exp, and 1/(1+x) on Q0.31 against the real.
  for (double a = -31.0; a <= 0.0; a += 0.37) {
    const auto raw = static_cast<int32_t>(std::lround(a * (1 << 26)));
    const double got = softmax_fp::exp_on_negative_values_q5(raw) / 2147483648.0;
    EXPECT_NEAR(got, std::exp(raw / 67108864.0), 2e-6) << a;
  }
  for (double x = 0.0; x < 1.0; x += 0.013) {
    const auto raw = static_cast<int32_t>(std::lround(x * 2147483648.0));
    const double got = softmax_fp::one_over_one_plus_x_for_x_in_0_1(raw) / 2147483648.0;
    EXPECT_NEAR(got, 1.0 / (1.0 + raw / 2147483648.0), 2e-6) << x;
  }
}

// ---- Real networks ----

int argmax(const std::vector<int8_t>& v) {
  return static_cast<int>(std::max_element(v.begin(), v.end()) - v.begin());
}

TEST(InterpNetworks, PersonDetect) {
  const Graph g = load_tflite(model("person_detect.tflite"));
  const auto yes = interpret(g, read_input(model("person.bmp"), g.input()));
  const auto no = interpret(g, read_input(model("no_person.bmp"), g.input()));
  const auto& py = yes[g.outputs[0]];
  const auto& pn = no[g.outputs[0]];
  EXPECT_EQ(argmax(py), 1) << int{py[0]} << " " << int{py[1]};  // "person"
  EXPECT_EQ(argmax(pn), 0) << int{pn[0]} << " " << int{pn[1]};  // "no person"
}

TEST(InterpNetworks, MicroSpeechYesAndNo) {
  // The recordings through the audio front end: "yes" (index 2) and "no" (index 3) win.
  const Graph g = load_tflite(model("micro_speech_quantized.tflite"));
  for (const auto& [wav, cls] : {std::pair{"yes_1000ms.wav", 2}, std::pair{"no_1000ms.wav", 3}}) {
    const auto v = interpret(g, read_input(model(wav), g.input()));
    EXPECT_EQ(argmax(v[g.outputs[0]]), cls) << wav;
  }
}

TEST(InterpNetworks, HelloWorldFollowsSine) {
  const Graph g = load_tflite(model("hello_world_int8.tflite"));
  const Tensor& ti = g.input();
  const Tensor& to = g.output();
  double worst = 0;
  for (double x = 0.0; x <= 2 * std::numbers::pi; x += 0.1) {
    const auto q = static_cast<int8_t>(std::clamp(std::round(x / ti.quant.scale0()) + ti.quant.zp0(), -128.0, 127.0));
    const auto v = interpret(g, std::vector<int8_t>{q});
    const double y = (v[g.outputs[0]][0] - to.quant.zp0()) * static_cast<double>(to.quant.scale0());
    const double xq = (q - ti.quant.zp0()) * static_cast<double>(ti.quant.scale0());
    worst = std::max(worst, std::fabs(y - std::sin(xq)));
  }
  std::printf("hello_world: worst |y - sin x| = %.3f over [0, 2 pi]\n", worst);
  EXPECT_LT(worst, 0.2);  // the model is a 3-layer 16-unit MLP; it tracks sin x to about 0.1
}

TEST(InterpNetworks, ClassifiersProduceADistribution) {
  // ic_resnet8, kws_dscnn and micro_speech on a fixed pseudo-random input: softmax outputs sum to
  // 256/256 within rounding.
  for (const char* f : {"ic_resnet8_int8.tflite", "kws_dscnn_int8.tflite", "micro_speech_quantized.tflite"}) {
    const Graph g = load_tflite(model(f));
    std::vector<int8_t> in(g.input().elements());
    uint32_t s = 12345;
    for (auto& b : in) b = static_cast<int8_t>((s = s * 1664525U + 1013904223U) >> 24);
    const auto v = interpret(g, in);
    int sum = 0;
    for (int8_t q : v[g.outputs[0]]) sum += q + 128;
    EXPECT_NEAR(sum, 256, static_cast<int>(g.output().elements())) << f;
  }
}

}  // namespace
}  // namespace tsr::drv

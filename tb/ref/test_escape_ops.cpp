// Golden models of the escape-core ops (sw/src/escape_ops.cpp) on hand-worked cases.
#include <cmath>
#include <random>

#include <gtest/gtest.h>

#include "tessera/error.h"
#include "tessera/ref/escape_ops.h"

namespace {

using namespace tsr::ref;

TEST(EscapeSoftmax, ParamsFromScale) {
  // scale 1: real = 2^26 -> multiplier 2^30, shift 27; diff_min = -floor(31 * 2^26 / 2^27) = -15.
  EXPECT_EQ(softmax_params(1.0), (SoftmaxParams{1 << 30, 27, -15}));
  // scale 1/16: real = 2^22 -> {2^30, 23}; diff_min = -floor(31 * 2^26 / 2^23) = -248.
  EXPECT_EQ(softmax_params(1.0 / 16), (SoftmaxParams{1 << 30, 23, -248}));
  // scale 0.1: real = 0.1 * 2^26 = 0.8 * 2^23 -> round(0.8 * 2^31) = 1717986918, shift 23.
  EXPECT_EQ(softmax_params(0.1), (SoftmaxParams{1717986918, 23, -248}));
  EXPECT_THROW(softmax_params(0.0), tsr::Error);
  EXPECT_THROW(softmax_params(1e-9), tsr::Error);  // multiplier below one
}

TEST(EscapeSoftmax, HandWorked) {
  const auto p = softmax_params(1.0 / 16);
  // Two equal entries: 1/2 each -> 0.5 * 256 - 128 = 0. (Sum of exps = 2 * 2^19 in Q12.19,
  // reciprocal ~1/2 at one bit over unit, exp(0) ~ 1: round((2^31 - e) / 2^24) = 128.)
  EXPECT_EQ(softmax_i8(std::vector<int8_t>{7, 7}, 2, p), (std::vector<int8_t>{0, 0}));
  // Four equal entries: 1/4 -> 64 - 128 = -64.
  EXPECT_EQ(softmax_i8(std::vector<int8_t>{-3, -3, -3, -3}, 4, p),
            (std::vector<int8_t>{-64, -64, -64, -64}));
  // One entry: probability 1 -> 256 - 128 = 128, saturated to 127.
  EXPECT_EQ(softmax_i8(std::vector<int8_t>{-100}, 1, p), (std::vector<int8_t>{127}));
  // Scale 1, diff_min -15: a difference of -255 is skipped (-128), the maximum gets all of it.
  EXPECT_EQ(softmax_i8(std::vector<int8_t>{127, -128}, 2, softmax_params(1.0)),
            (std::vector<int8_t>{127, -128}));
  // Two rows are independent.
  EXPECT_EQ(softmax_i8(std::vector<int8_t>{1, 1, 5, 5, 5, 5}, 2, p),
            (std::vector<int8_t>{0, 0, 0, 0, 0, 0}));
  // 300 equal entries: sum 300 in Q12.19 has 8 bits over unit, shift 8 + 23 = 31;
  // 256 / 300 = 0.85 rounds to 1: -127.
  EXPECT_EQ(softmax_i8(std::vector<int8_t>(300, 4), 300, p), std::vector<int8_t>(300, -127));
  // 600 equal entries: 9 bits over unit, shift 32 (undefined in TFLite's int32 code): the
  // quotient 256 / 600 = 0.43 rounds to 0: -128.
  EXPECT_EQ(softmax_i8(std::vector<int8_t>(600, 4), 600, p), std::vector<int8_t>(600, -128));
  EXPECT_THROW(softmax_i8(std::vector<int8_t>{1, 2, 3}, 2, p), tsr::Error);
}

// Against a float softmax: the fixed-point result is within one step of round(256 * p) - 128.
TEST(EscapeSoftmax, CloseToFloat) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> d(-128, 127);
  for (double scale : {1.0 / 256, 1.0 / 32, 0.1, 0.5}) {
    const auto p = softmax_params(scale);
    std::vector<int8_t> x(50);
    for (auto& v : x) v = static_cast<int8_t>(d(rng));
    const auto y = softmax_i8(x, 50, p);
    double mx = -1e9;
    for (auto v : x) mx = std::max(mx, static_cast<double>(v));
    double sum = 0;
    for (auto v : x) sum += std::exp((v - mx) * scale);
    for (size_t i = 0; i < x.size(); ++i) {
      const double want = std::min(127.0, std::round(256.0 * std::exp((x[i] - mx) * scale) / sum) - 128);
      EXPECT_NEAR(y[i], want, 1.0) << "scale " << scale << " i " << i;
    }
  }
}

TEST(EscapeTopK, HandWorked) {
  const std::vector<int8_t> x = {3, 7, 7, -1, 7};
  auto t = top_k_i8(x, 5, 3);
  EXPECT_EQ(t.index, (std::vector<int32_t>{1, 2, 4}));  // ties by ascending index
  EXPECT_EQ(t.value, (std::vector<int8_t>{7, 7, 7}));
  t = top_k_i8(x, 5, 5);
  EXPECT_EQ(t.index, (std::vector<int32_t>{1, 2, 4, 0, 3}));
  t = top_k_i8(std::vector<int8_t>{-128, -5, 0, -5}, 2, 1);  // two rows, argmax each
  EXPECT_EQ(t.index, (std::vector<int32_t>{1, 0}));
  EXPECT_THROW(top_k_i8(x, 5, 6), tsr::Error);
  EXPECT_THROW(top_k_i8(x, 5, 0), tsr::Error);
}

TEST(EscapeNms, IouThresholdIsStrict) {
  // A = [y1 0, x1 0, y2 2, x2 6] (area 12), B = [0, 2, 2, 8] (area 12): intersection 2 x 4 = 8,
  // union 16, IoU exactly 1/2.
  const std::vector<int32_t> boxes = {0, 0, 2, 6, 0, 2, 2, 8};
  const std::vector<int32_t> scores = {10, 9};
  NmsParams p;
  p.max_output_per_class = 10;
  p.iou_threshold_q16 = 32768;  // 0.5: IoU 0.5 is not > 0.5, both kept
  EXPECT_EQ(non_max_suppression(boxes, scores, 1, 1, 2, p).size(), 2U);
  p.iou_threshold_q16 = 32767;  // just below: B suppressed
  const auto s = non_max_suppression(boxes, scores, 1, 1, 2, p);
  ASSERT_EQ(s.size(), 1U);
  EXPECT_EQ(s[0], (NmsSelection{0, 0, 0}));
  // The same boxes in the centre format: A = (xc 3, yc 1, w 6, h 2), B = (5, 1, 6, 2).
  p.center_point_box = 1;
  EXPECT_EQ(non_max_suppression(std::vector<int32_t>{3, 1, 6, 2, 5, 1, 6, 2}, scores, 1, 1, 2, p).size(),
            1U);
  // Flipped corners describe the same box.
  p.center_point_box = 0;
  EXPECT_EQ(non_max_suppression(std::vector<int32_t>{2, 6, 0, 0, 0, 8, 2, 2}, scores, 1, 1, 2, p).size(),
            1U);
}

TEST(EscapeNms, ScoresOrderThresholdAndLimit) {
  // Three disjoint boxes; scores 5, 9, 5: order 1, 0, 2 (equal scores by index).
  const std::vector<int32_t> boxes = {0, 0, 1, 1, 0, 10, 1, 11, 0, 20, 1, 21};
  const std::vector<int32_t> scores = {5, 9, 5};
  NmsParams p;
  p.max_output_per_class = 3;
  auto s = non_max_suppression(boxes, scores, 1, 1, 3, p);
  ASSERT_EQ(s.size(), 3U);
  EXPECT_EQ(s[0].box, 1);
  EXPECT_EQ(s[1].box, 0);
  EXPECT_EQ(s[2].box, 2);
  p.has_score_threshold = true;
  p.score_threshold = 5;  // kept only when strictly greater
  s = non_max_suppression(boxes, scores, 1, 1, 3, p);
  ASSERT_EQ(s.size(), 1U);
  EXPECT_EQ(s[0].box, 1);
  p.has_score_threshold = false;
  p.max_output_per_class = 0;  // ONNX default: nothing
  EXPECT_TRUE(non_max_suppression(boxes, scores, 1, 1, 3, p).empty());
  p.max_output_per_class = 2;
  EXPECT_EQ(non_max_suppression(boxes, scores, 1, 1, 3, p).size(), 2U);
  EXPECT_THROW(non_max_suppression(std::vector<int32_t>{0, 0, 1 << 20, 1}, std::vector<int32_t>{1},
                                   1, 1, 1, p),
               tsr::Error);
}

}  // namespace

// Golden models of the escape-core ops (sw/src/escape_ops.cpp) on hand-worked cases.
#include <cmath>
#include <numbers>
#include <random>

#include <gtest/gtest.h>

#include "tessera/error.h"
#include "tessera/ref/escape_ops.h"
#include "tessera/ref/kws_frontend.h"

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

// ---- KWS front end ----

TEST(EscapeKws, TablesOfMicroSpeech) {
  const auto t = make_kws_tables();
  // Hann window in Q12: symmetric, ~0 at the ends, 4096 in the middle (0.5 - 0.5 cos(pi) = 1).
  EXPECT_EQ(t.window[0], t.window[kKwsWindow - 1]);
  EXPECT_LE(t.window[0], 1);
  EXPECT_EQ(t.window[kKwsWindow / 2], 4096);
  // Twiddles: e^0 = 32767, e^{-i pi/2} = -32767 i at k = 64.
  EXPECT_EQ(t.twiddle[0][0], 32767);
  EXPECT_EQ(t.twiddle[64][0], 0);
  EXPECT_EQ(t.twiddle[64][1], -32767);
  // 31.25 Hz per bin: the filterbank starts at bin int(1.5 + 125 / 31.25) = 5 and ends below
  // 7500 Hz + one channel width (bin 240 = 7500 Hz).
  EXPECT_EQ(t.fb_start, 5);
  EXPECT_GT(t.fb_end, 240);
  EXPECT_LT(t.fb_end, 257);
  for (int b = t.fb_start; b < t.fb_end; ++b) {
    EXPECT_EQ(t.fb_weight[b] + t.fb_unweight[b], 4096) << b;  // weight + unweight = 1 (Q12)
    if (b > t.fb_start) {
      EXPECT_GE(t.fb_range[b], t.fb_range[b - 1]);
    }
  }
  // Noise reduction: 0.025, 0.06, 0.05 in Q14, truncated: 409, 983, 819.
  EXPECT_EQ(t.nr_even_smoothing, 409U);
  EXPECT_EQ(t.nr_odd_smoothing, 983U);
  EXPECT_EQ(t.nr_min_signal_remaining, 819U);
  // correction bits = msb(512) - 1 - 12 / 2 = 3; SNR shift = 21 - 3 - 12 = 6.
  EXPECT_EQ(t.correction_bits, 3);
  EXPECT_EQ(t.pcan_snr_shift, 6);
  // PCAN gain at x = 0: 2^21 * 80^-0.95 = 32767 (saturated: 80^-0.95 = 0.0155 -> 32.5k... ).
  EXPECT_EQ(t.pcan_lut[0], static_cast<int16_t>(std::min(32767.0F, 2097152.0F * std::pow(80.0F, -0.95F)) + 0.5F));
  // Log table: log2(1 + 1/2) - 1/2 = 0.0849625 -> 5568 in Q16; 0 at both ends.
  EXPECT_EQ(t.log_lut[0], 0);
  EXPECT_EQ(t.log_lut[64], 5568);
  EXPECT_EQ(t.log_lut[128], 0);
}

TEST(EscapeKws, ArithmeticPieces) {
  const auto t = make_kws_tables();
  EXPECT_EQ(kws_sqrt64(0), 0U);
  EXPECT_EQ(kws_sqrt64(16), 4U);
  EXPECT_EQ(kws_sqrt64(15), 4U);   // 3.87 rounds up
  EXPECT_EQ(kws_sqrt64(12), 3U);   // 3.46 rounds down
  EXPECT_EQ(kws_sqrt64(uint64_t{1} << 40), 1U << 20);
  EXPECT_EQ(kws_sqrt64((uint64_t{1} << 40) + (uint64_t{1} << 21)), (1U << 20) + 1);  // 2^20 + 1
  // ln(65536) * 2^6 = 709.78: log2 = 16 exactly, (45426 * 16 * 2^16 + 2^15) >> 16 = 726816,
  // then (726816 * 64 + 2^15) >> 16 = 710.
  EXPECT_EQ(kws_log(t, 65536, 6), 710U);
  // ln(3) * 64 = 70.3: close to the real logarithm for a non-power of two.
  EXPECT_NEAR(static_cast<double>(kws_log(t, 3 << 16, 6)), std::log(3.0 * 65536) * 64, 1.0);
  EXPECT_EQ(kws_feature_i8(0), -128);    // (0 + 333) / 666 - 128
  EXPECT_EQ(kws_feature_i8(333), 0);     // (85248 + 333) / 666 = 128
  EXPECT_EQ(kws_feature_i8(666), 127);   // 256.5 -> 256 - 128 = 128, saturated
}

TEST(EscapeKws, FftOfConstantAndTone) {
  const auto t = make_kws_tables();
  // kissfft scales the 512-point transform by 1/512: a constant c gives bin 0 ~ c, others ~ 0.
  std::vector<int16_t> x(kKwsFft, 4096);
  auto y = kws_fft(t, x);
  EXPECT_NEAR(y[0][0], 4096, 4);
  for (int k = 1; k < kKwsBins; ++k) {
    EXPECT_LE(std::abs(y[k][0]) + std::abs(y[k][1]), 4) << k;
  }
  // A cosine of amplitude 16384 at bin 32: |X[32]| ~ 16384 / 2, everything else small.
  for (int i = 0; i < kKwsFft; ++i) {
    x[i] = static_cast<int16_t>(std::lround(16384 * std::cos(2 * std::numbers::pi * 32 * i / kKwsFft)));
  }
  y = kws_fft(t, x);
  EXPECT_NEAR(y[32][0], 8192, 16);
  EXPECT_NEAR(y[32][1], 0, 16);
  for (int k = 0; k < kKwsBins; ++k) {
    if (k != 32) {
      EXPECT_LE(std::abs(y[k][0]) + std::abs(y[k][1]), 8) << k;
    }
  }
}

TEST(EscapeKws, StreamingIsChunkInvariant) {
  const auto t = make_kws_tables();
  std::mt19937 rng(3);
  std::uniform_int_distribution<int> d(-3000, 3000);
  std::vector<int16_t> s(5000);
  for (auto& v : s) v = static_cast<int16_t>(d(rng));
  KwsFrontend whole(t);
  const auto a = whole.process(s);
  ASSERT_EQ(a.size(), 1U + (5000 - 480) / 320);  // 15 frames
  KwsFrontend parts(t);
  std::vector<KwsFrame> b;
  for (size_t pos = 0; pos < s.size(); pos += 777) {
    const auto f = parts.process(std::span<const int16_t>(s).subspan(pos, std::min<size_t>(777, s.size() - pos)));
    b.insert(b.end(), f.begin(), f.end());
  }
  ASSERT_EQ(b.size(), a.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].raw, b[i].raw) << i;
  // Silence: no energy anywhere gives the log floor 0 -> feature -128.
  KwsFrontend quiet(t);
  for (const auto& f : quiet.process(std::vector<int16_t>(960, 0))) {
    for (int c = 0; c < kKwsChannels; ++c) EXPECT_EQ(f.feature[c], -128);
  }
}

TEST(EscapeKws, WavErrorsNameTheFile) {
  try {
    read_wav_pcm16("/nonexistent/x.wav");
    FAIL() << "no exception";
  } catch (const tsr::Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/x.wav"), std::string::npos);
  }
}

}  // namespace

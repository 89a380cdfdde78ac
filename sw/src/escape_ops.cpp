#include "tessera/ref/escape_ops.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <numeric>
#include <optional>
#include <utility>

#include "tessera/error.h"
#include "tessera/ref/quant.h"

namespace tsr::ref {

namespace {

// gemmlowp's fixed-point types are int32 raw values with a given number of integer bits; the
// helpers below name the operations by what they do to the real value.
using i32 = int32_t;

i32 fp_mul(i32 a, i32 b) { return saturating_rounding_doubling_high_mul(a, b); }

// SaturatingRoundingMultiplyByPOT for exponent e (e > 0: saturating left shift; e < 0: rounding
// right shift).
i32 mul_by_pot(i32 x, int e) {
  if (e < 0) return rounding_divide_by_pot(x, -e);
  const int64_t v = static_cast<int64_t>(x) * (int64_t{1} << e);
  return saturate_i32(v);
}

// Rescale a raw value from `from` integer bits to `to` integer bits.
i32 rescale(i32 x, int from, int to) { return mul_by_pot(x, from - to); }

// exp(a) for a in [-1/4, 0), Q0.31 (gemmlowp exp_on_interval_between_negative_one_quarter_and_0_excl).
i32 exp_small(i32 a) {
  const i32 c = 1895147668;           // exp(-1/8) in Q0.31
  const i32 third = 715827883;        // 1/3
  const i32 x = a + (i32{1} << 28);   // a + 1/8
  const i32 x2 = fp_mul(x, x);
  const i32 x3 = fp_mul(x2, x);
  const i32 x4 = fp_mul(x2, x2);
  const i32 x4_over_4 = mul_by_pot(x4, -2);
  const i32 tail = mul_by_pot(fp_mul(x4_over_4 + x3, third) + x2, -1);
  return c + fp_mul(c, x + tail);
}

// exp(a) for a <= 0 given in Q5.26; Q0.31 result (gemmlowp exp_on_negative_values).
i32 exp_neg(i32 a) {
  constexpr int kFrac = 26;
  const i32 quarter = i32{1} << (kFrac - 2);
  const i32 a_mod = (a & (quarter - 1)) - quarter;
  i32 result = exp_small(rescale(a_mod, 5, 0));
  const i32 remainder = a_mod - a;
  // exp(-2^k) for k = -2 .. 4, in Q0.31.
  const std::pair<int, i32> barrel[] = {{-2, 1672461947}, {-1, 1302514674}, {0, 790015084},
                                        {1, 290630308},   {2, 39332535},    {3, 720401},
                                        {4, 242}};
  for (const auto& [k, m] : barrel) {
    if ((remainder & (i32{1} << (kFrac + k))) != 0) result = fp_mul(result, m);
  }
  return a == 0 ? std::numeric_limits<i32>::max() : result;
}

// 1 / (1 + x) for x in [0, 1) in Q0.31 (gemmlowp one_over_one_plus_x_for_x_in_0_1).
i32 one_over_one_plus(i32 x) {
  const int64_t sum = int64_t{x} + std::numeric_limits<i32>::max();
  const i32 half_den = static_cast<i32>((sum + (sum >= 0 ? 1 : -1)) / 2);  // Q0.31
  i32 est = 1515870810 + fp_mul(half_den, -1010580540);                      // Q2.29
  for (int i = 0; i < 3; ++i) {
    const i32 one_minus = (i32{1} << 29) - fp_mul(half_den, est);  // Q2.29
    est += rescale(fp_mul(est, one_minus), 4, 2);                    // Q4.27 product
  }
  return rescale(est, 1, 0);  // est/2 is the answer in Q1.30 (same raw bits)
}

}  // namespace

SoftmaxParams softmax_params(double input_scale, double beta) {
  if (!(input_scale > 0.0) || !std::isfinite(input_scale) || !(beta > 0.0)) {
    fail("softmax_params: input scale {} and beta {} must be positive and finite", input_scale,
         beta);
  }
  constexpr int kIntBits = 5;
  const double real = std::min(beta * input_scale * static_cast<double>(int64_t{1} << (31 - kIntBits)),
                               static_cast<double>((int64_t{1} << 31) - 1));
  const QuantizedMultiplier qm = quantize_multiplier(real);
  if (qm.shift < 0) {
    fail("softmax_params: beta * input scale = {} gives a multiplier below one (shift {})",
         beta * input_scale, qm.shift);
  }
  SoftmaxParams p;
  p.input_multiplier = qm.multiplier;
  p.input_left_shift = qm.shift;
  const double radius = 1.0 * ((1 << kIntBits) - 1) *
                        static_cast<double>(int64_t{1} << (31 - kIntBits)) /
                        static_cast<double>(int64_t{1} << p.input_left_shift);
  p.diff_min = -static_cast<int32_t>(std::floor(radius));
  return p;
}

std::vector<int8_t> softmax_i8(std::span<const int8_t> input, int depth, const SoftmaxParams& p) {
  if (depth <= 0 || input.size() % static_cast<size_t>(depth) != 0) {
    fail("softmax_i8: {} values are not rows of depth {}", input.size(), depth);
  }
  if (p.input_left_shift < 0 || p.input_left_shift > 30 || p.input_multiplier < 0 ||
      p.diff_min > 0) {
    fail("softmax_i8: bad parameters (multiplier {}, left shift {}, diff_min {})",
         p.input_multiplier, p.input_left_shift, p.diff_min);
  }
  std::vector<int8_t> out(input.size());
  const size_t rows = input.size() / static_cast<size_t>(depth);
  for (size_t r = 0; r < rows; ++r) {
    const auto row = input.subspan(r * depth, depth);
    const int32_t max_v = *std::max_element(row.begin(), row.end());
    // The scaled difference of each entry (Q5.26), or nothing when below diff_min.
    std::vector<std::optional<i32>> scaled(depth);
    for (int c = 0; c < depth; ++c) {
      const int32_t diff = row[c] - max_v;
      if (diff >= p.diff_min) {
        scaled[c] = multiply_by_quantized_multiplier(diff, p.input_multiplier, p.input_left_shift);
      }
    }
    i32 sum = 0;  // Q12.19
    for (const auto& s : scaled) {
      if (s) sum += rescale(exp_neg(*s), 0, 12);
    }
    const int headroom = std::countl_zero(static_cast<uint32_t>(sum));
    const int bits_over_unit = 12 - headroom;
    const i32 shifted = static_cast<i32>((static_cast<uint32_t>(sum) << headroom) - (1U << 31));
    const i32 recip = one_over_one_plus(shifted);
    for (int c = 0; c < depth; ++c) {
      int32_t v = kInt8Min;
      if (scaled[c]) {
        // A sum of exps of 256 or more makes the exponent 32 or more, where TFLite's int32 shift
        // is undefined; the product is in [0, 2^31), so the correctly rounded quotient is 0.
        const int e = bits_over_unit + 31 - 8;
        const i32 prod = fp_mul(recip, exp_neg(*scaled[c]));
        v = (e > 31 ? 0 : rounding_divide_by_pot(prod, e)) - 128;
      }
      out[r * depth + c] = saturate_i8(v);
    }
  }
  return out;
}

TopK top_k_i8(std::span<const int8_t> input, int depth, int k) {
  if (depth <= 0 || input.size() % static_cast<size_t>(depth) != 0) {
    fail("top_k_i8: {} values are not rows of depth {}", input.size(), depth);
  }
  if (k < 1 || k > depth) fail("top_k_i8: k = {} is outside [1, {}]", k, depth);
  TopK t;
  std::vector<int32_t> idx(depth);
  for (size_t r = 0; r < input.size() / depth; ++r) {
    const auto row = input.subspan(r * depth, depth);
    std::iota(idx.begin(), idx.end(), 0);
    std::stable_sort(idx.begin(), idx.end(), [&](int32_t a, int32_t b) { return row[a] > row[b]; });
    for (int i = 0; i < k; ++i) {
      t.index.push_back(idx[i]);
      t.value.push_back(row[idx[i]]);
    }
  }
  return t;
}

namespace {

__extension__ using i128 = __int128;  // exact IoU products whatever the coordinates

// A box as doubled corner coordinates (exact for both ONNX formats).
struct Box2 {
  int64_t y1, x1, y2, x2;
};

Box2 to_corners(std::span<const int32_t> b, int center_point_box) {
  if (center_point_box == 1) {
    const int64_t xc = b[0], yc = b[1], w = b[2], h = b[3];
    return {2 * yc - h, 2 * xc - w, 2 * yc + h, 2 * xc + w};
  }
  return {2 * int64_t{std::min(b[0], b[2])}, 2 * int64_t{std::min(b[1], b[3])},
          2 * int64_t{std::max(b[0], b[2])}, 2 * int64_t{std::max(b[1], b[3])}};
}

// ONNX's suppression test IoU(a, b) > t with t = t_q16 / 2^16, evaluated exactly.
bool iou_exceeds(const Box2& a, const Box2& b, int32_t t_q16) {
  const int64_t area_a = (a.x2 - a.x1) * (a.y2 - a.y1);
  const int64_t area_b = (b.x2 - b.x1) * (b.y2 - b.y1);
  if (area_a <= 0 || area_b <= 0) return false;
  const int64_t iw = std::min(a.x2, b.x2) - std::max(a.x1, b.x1);
  const int64_t ih = std::min(a.y2, b.y2) - std::max(a.y1, b.y1);
  if (iw <= 0 || ih <= 0) return false;
  const i128 inter = static_cast<i128>(iw) * ih;
  const i128 uni = static_cast<i128>(area_a) + area_b - inter;
  if (uni <= 0) return false;
  return inter * 65536 > uni * t_q16;
}

}  // namespace

std::vector<NmsSelection> non_max_suppression(std::span<const int32_t> boxes,
                                              std::span<const int32_t> scores, int batches,
                                              int classes, int n, const NmsParams& p) {
  const char* op = "non_max_suppression";
  if (batches < 0 || classes < 0 || n < 0) fail("{}: negative dimension", op);
  if (boxes.size() != static_cast<size_t>(batches) * n * 4) {
    fail("{}: boxes hold {} values, expected {} x {} x 4", op, boxes.size(), batches, n);
  }
  if (scores.size() != static_cast<size_t>(batches) * classes * n) {
    fail("{}: scores hold {} values, expected {} x {} x {}", op, scores.size(), batches, classes, n);
  }
  if (p.center_point_box != 0 && p.center_point_box != 1) {
    fail("{}: center_point_box {} is not 0 or 1", op, p.center_point_box);
  }
  if (p.iou_threshold_q16 < 0 || p.iou_threshold_q16 > 65536) {
    fail("{}: iou threshold {} (Q0.16) is outside [0, 65536]", op, p.iou_threshold_q16);
  }
  for (const int32_t v : boxes) {
    if (v > kNmsCoordLimit || v < -kNmsCoordLimit) {
      fail("{}: box coordinate {} is outside [-2^19, 2^19]", op, v);
    }
  }
  std::vector<NmsSelection> sel;
  for (int b = 0; b < batches; ++b) {
    for (int c = 0; c < classes; ++c) {
      const auto sc = scores.subspan((static_cast<size_t>(b) * classes + c) * n, n);
      std::vector<int> cand;
      for (int i = 0; i < n; ++i) {
        if (!p.has_score_threshold || sc[i] > p.score_threshold) cand.push_back(i);
      }
      std::stable_sort(cand.begin(), cand.end(), [&](int x, int y) { return sc[x] > sc[y]; });
      std::vector<Box2> kept;
      for (const int i : cand) {
        if (static_cast<int64_t>(kept.size()) >= p.max_output_per_class) break;
        const Box2 box = to_corners(boxes.subspan((static_cast<size_t>(b) * n + i) * 4, 4),
                                    p.center_point_box);
        const bool suppressed = std::any_of(kept.begin(), kept.end(), [&](const Box2& k) {
          return iou_exceeds(k, box, p.iou_threshold_q16);
        });
        if (suppressed) continue;
        kept.push_back(box);
        sel.push_back({b, c, i});
      }
    }
  }
  return sel;
}

}  // namespace tsr::ref

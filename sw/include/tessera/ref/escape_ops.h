// Golden models of the ops tessera runs on its escape core (the RV32IM firmware in firmware/ops),
// written independently of the firmware: straightforward reference loops on top of the TFLite
// fixed-point primitives in quant.h. ADD and AVERAGE_POOL_2D have their golden models in
// kernels.h (tsr::ref::add, tsr::ref::average_pool2d); the firmware is checked against those.
//
// Semantics:
// - softmax_i8: TFLite's reference int8 softmax (reference_integer_ops::Softmax, gemmlowp
//   fixed-point exp in Q5.26 -> Q0.31, sum in Q12.19, Newton-Raphson reciprocal), output scale
//   1/256 and zero point -128, with the parameters TFLite's Prepare derives from beta and the
//   input scale. One deviation where TFLite is undefined: when the sum of exps reaches 256 (e.g. a
//   row of 256+ equal values), TFLite's final RoundingDivideByPOT shifts an int32 by 32 or more;
//   here the quotient is then 0 (its correctly rounded value), giving -128.
// - top_k_i8: the k largest values of each row in descending order, equal values by ascending
//   index (argmax = k 1).
// - non_max_suppression: ONNX NonMaxSuppression (opset 11) on integer boxes and scores; the
//   number formats are in firmware/include/tsr_escape_abi.h (coordinates |v| <= 2^19 in any common
//   unit, IoU threshold in Q0.16, scores any monotone fixed-point code).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace tsr::ref {

// ---- Softmax ----

struct SoftmaxParams {
  int32_t input_multiplier = 0;  // beta * input_scale * 2^26 as a fixed-point multiplier
  int input_left_shift = 0;      // >= 0
  int32_t diff_min = 0;          // <= 0: differences below it give -128
  friend bool operator==(const SoftmaxParams&, const SoftmaxParams&) = default;
};

// TFLite's int8 softmax Prepare: PreprocessSoftmaxScaling(beta, input_scale, 5 integer bits)
// (real = min(beta * scale * 2^26, 2^31 - 1), QuantizeMultiplierGreaterThanOne) and
// diff_min = -floor((2^5 - 1) * 2^26 / 2^left_shift). Throws when the multiplier is below one.
SoftmaxParams softmax_params(double input_scale, double beta = 1.0);

// Softmax over rows of `depth` int8 values (input.size() must be a multiple of depth).
std::vector<int8_t> softmax_i8(std::span<const int8_t> input, int depth, const SoftmaxParams& p);

// ---- Top-k / argmax ----

struct TopK {
  std::vector<int32_t> index;  // rows x k
  std::vector<int8_t> value;   // rows x k
};
// Per row of `depth` values; 1 <= k <= depth.
TopK top_k_i8(std::span<const int8_t> input, int depth, int k);

// ---- NonMaxSuppression ----

struct NmsParams {
  int center_point_box = 0;          // 0: [y1, x1, y2, x2]; 1: [xc, yc, w, h]
  int64_t max_output_per_class = 0;  // ONNX default 0 selects nothing
  int32_t iou_threshold_q16 = 0;     // 0..65536
  bool has_score_threshold = false;
  int32_t score_threshold = 0;
};

struct NmsSelection {
  int32_t batch = 0;
  int32_t cls = 0;
  int32_t box = 0;
  friend bool operator==(const NmsSelection&, const NmsSelection&) = default;
};

// boxes [batches][n][4], scores [batches][classes][n]. Selections in ONNX order.
std::vector<NmsSelection> non_max_suppression(std::span<const int32_t> boxes,
                                              std::span<const int32_t> scores, int batches,
                                              int classes, int n, const NmsParams& p);

inline constexpr int32_t kNmsCoordLimit = 1 << 19;

}  // namespace tsr::ref

// The op-level interpreter: runs an imported graph op by op with plain loops that follow TFLite's
// int8 reference kernels (reference_integer_ops: ConvPerChannel, DepthwiseConvPerChannel,
// FullyConnected, AveragePool, MaxPool, Add; reference_ops::Softmax with gemmlowp fixed point;
// Reshape). It shares nothing with the compiler or the tsr::ref kernels but the requantization
// arithmetic of tessera/ref/quant.h (multiply_by_quantized_multiplier, quantize_multiplier,
// activation_range_i8); padding, parameter derivation and the loops are its own. That makes it the
// oracle the compiled command streams are checked against, layer by layer.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "tessera/driver/graph.h"

namespace tsr::drv {

// The int8 value of every tensor (indexed like Graph::tensors; empty = not computed / constant).
struct Values {
  std::vector<std::vector<int8_t>> t;
  explicit Values(const Graph& g) : t(g.tensors.size()) {}
  std::vector<int8_t>& operator[](int i) { return t.at(static_cast<size_t>(i)); }
  const std::vector<int8_t>& operator[](int i) const { return t.at(static_cast<size_t>(i)); }
};

// Runs one op: reads its input tensors from v (constants from the graph), writes its output.
void interp_op(const Graph& g, const Op& op, Values& v);

// Runs the whole graph on the input (the int8 bytes of graph input 0).
Values interpret(const Graph& g, std::span<const int8_t> input);

// gemmlowp/TFLite fixed-point pieces of SOFTMAX, exposed for tests.
namespace softmax_fp {
int32_t exp_on_negative_values_q5(int32_t a_raw);        // FixedPoint<int32, 5> -> <int32, 0>
int32_t one_over_one_plus_x_for_x_in_0_1(int32_t a_raw);  // FixedPoint<int32, 0>
}  // namespace softmax_fp

}  // namespace tsr::drv

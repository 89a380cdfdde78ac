// The driver's graph IR: what the TFLite importer produces and what the interpreter, the compiler
// and the runtime consume. One subgraph, tensors with shape / type / quantization / constant data,
// operators in execution order with their decoded options.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tessera/ref/kernels.h"

namespace tsr::drv {

enum class DType { Float32, Int32, UInt8, Int8, Int16, Int64, Other };
const char* name(DType t);
int element_bytes(DType t);  // 0 for Other

// Per-tensor (one scale) or per-channel (one scale per index of `axis`) quantization.
struct Quant {
  std::vector<float> scale;
  std::vector<int64_t> zero_point;
  int axis = 0;
  bool present() const { return !scale.empty(); }
  bool per_channel() const { return scale.size() > 1; }
  float scale0() const { return scale.empty() ? 0.0F : scale[0]; }
  int32_t zp0() const { return zero_point.empty() ? 0 : static_cast<int32_t>(zero_point[0]); }
  ref::QuantParams params() const { return {scale0(), zp0()}; }
};

struct Tensor {
  int index = 0;
  std::string name;
  std::vector<int> shape;
  DType type = DType::Other;
  int type_code = -1;  // the TFLite TensorType value
  Quant quant;
  std::vector<uint8_t> data;  // constant tensors only (weights, biases, shapes)
  bool constant = false;

  size_t elements() const;
  std::string shape_str() const;  // "1x32x32x3"
  // The shape as NHWC: rank <= 4 right-aligned into {n, h, w, c} with leading 1s.
  ref::Shape4 shape4() const;
  const int8_t* i8() const { return reinterpret_cast<const int8_t*>(data.data()); }
  std::vector<int32_t> i32() const;  // constant INT32 data
};

enum class OpKind {
  Conv2D,
  DepthwiseConv2D,
  FullyConnected,
  Add,
  AveragePool2D,
  MaxPool2D,
  Reshape,
  Softmax,
};
const char* name(OpKind k);  // TFLite builtin name, e.g. "CONV_2D"

struct Op {
  int index = 0;  // position in the subgraph's operator list
  OpKind kind = OpKind::Conv2D;
  std::vector<int> inputs;   // tensor indices; -1 = optional input absent
  std::vector<int> outputs;
  // Options (what the op kind uses).
  ref::Padding padding = ref::Padding::Same;
  int stride_w = 1, stride_h = 1;
  int dilation_w = 1, dilation_h = 1;
  int filter_w = 1, filter_h = 1;  // pools
  int depth_multiplier = 1;
  ref::Activation act = ref::Activation::None;
  float beta = 1.0F;  // softmax
  bool keep_num_dims = false;

  std::string label() const;  // "op 3 (CONV_2D)"
};

struct Graph {
  std::string path;  // the file it came from
  std::string description;
  std::vector<Tensor> tensors;
  std::vector<Op> ops;
  std::vector<int> inputs, outputs;

  const Tensor& tensor(int i) const { return tensors.at(static_cast<size_t>(i)); }
  const Tensor& input() const { return tensor(inputs.at(0)); }
  const Tensor& output() const { return tensor(outputs.at(0)); }
  // The op that produces tensor t, or -1 (graph input or constant).
  int producer(int t) const;
};

}  // namespace tsr::drv

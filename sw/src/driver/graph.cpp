#include "tessera/driver/graph.h"

#include <fmt/format.h>

#include "tessera/error.h"

namespace tsr::drv {

const char* name(DType t) {
  switch (t) {
    case DType::Float32: return "FLOAT32";
    case DType::Int32: return "INT32";
    case DType::UInt8: return "UINT8";
    case DType::Int8: return "INT8";
    case DType::Int16: return "INT16";
    case DType::Int64: return "INT64";
    case DType::Other: break;
  }
  return "OTHER";
}

int element_bytes(DType t) {
  switch (t) {
    case DType::Float32: return 4;
    case DType::Int32: return 4;
    case DType::UInt8: return 1;
    case DType::Int8: return 1;
    case DType::Int16: return 2;
    case DType::Int64: return 8;
    case DType::Other: break;
  }
  return 0;
}

const char* name(OpKind k) {
  switch (k) {
    case OpKind::Conv2D: return "CONV_2D";
    case OpKind::DepthwiseConv2D: return "DEPTHWISE_CONV_2D";
    case OpKind::FullyConnected: return "FULLY_CONNECTED";
    case OpKind::Add: return "ADD";
    case OpKind::AveragePool2D: return "AVERAGE_POOL_2D";
    case OpKind::MaxPool2D: return "MAX_POOL_2D";
    case OpKind::Reshape: return "RESHAPE";
    case OpKind::Softmax: return "SOFTMAX";
  }
  return "?";
}

size_t Tensor::elements() const {
  size_t n = 1;
  for (int d : shape) n *= static_cast<size_t>(d < 0 ? 0 : d);
  return n;
}

std::string Tensor::shape_str() const {
  if (shape.empty()) return "scalar";
  std::string s;
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? "x" : "") + std::to_string(shape[i]);
  return s;
}

ref::Shape4 Tensor::shape4() const {
  if (shape.size() > 4) fail("tensor {} '{}' has rank {} (at most 4 supported)", index, name, shape.size());
  int d[4] = {1, 1, 1, 1};
  const size_t off = 4 - shape.size();
  for (size_t i = 0; i < shape.size(); ++i) d[off + i] = shape[i];
  return {d[0], d[1], d[2], d[3]};
}

std::vector<int32_t> Tensor::i32() const {
  std::vector<int32_t> v(data.size() / 4);
  for (size_t i = 0; i < v.size(); ++i) {
    uint32_t u = 0;
    for (int b = 0; b < 4; ++b) u |= uint32_t{data[4 * i + b]} << (8 * b);
    v[i] = static_cast<int32_t>(u);
  }
  return v;
}

std::string Op::label() const { return fmt::format("op {} ({})", index, name(kind)); }

int Graph::producer(int t) const {
  for (const auto& op : ops) {
    for (int o : op.outputs) {
      if (o == t) return op.index;
    }
  }
  return -1;
}

}  // namespace tsr::drv

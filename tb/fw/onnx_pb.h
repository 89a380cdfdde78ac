// A minimal reader of ONNX protobuf files for tests: TensorProto (.pb test vectors: dims,
// data_type, raw_data / float_data / int64_data) and the integer attributes of a model's nodes.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace tsr::fw {

struct OnnxTensor {
  std::string name;
  std::vector<int64_t> dims;
  int32_t data_type = 0;        // 1 float, 7 int64
  std::vector<double> values;   // every element, converted (float and int64 are exact here)
};

// Throws tsr::Error naming the file on malformed input or an unsupported data type.
OnnxTensor read_onnx_tensor(const std::string& path);

// Integer attributes (AttributeProto.i) of every node of a ModelProto's graph, by name.
std::map<std::string, int64_t> read_onnx_int_attributes(const std::string& model_path);

}  // namespace tsr::fw

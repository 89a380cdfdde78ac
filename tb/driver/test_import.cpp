// TFLite import: the five real models (op counts, shapes, quantization as listed in
// sw/models/PROVENANCE.md), and bad files: truncated, corrupted, wrong identifier, unsupported ops
// and missing attributes (built with the generated flatbuffers API).
#include <fstream>
#include <iterator>
#include <map>
#include <random>

#include <gtest/gtest.h>

#include "models.h"
#include "tessera/driver/tflite.h"
#include "tessera/error.h"
#include "tflite_subset_generated.h"

namespace tsr::drv {
namespace {

using test::model;

std::map<std::string, int> op_counts(const Graph& g) {
  std::map<std::string, int> n;
  for (const auto& op : g.ops) n[name(op.kind)]++;
  return n;
}

std::vector<uint8_t> file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(Import, IcResnet8) {
  const Graph g = load_tflite(model("ic_resnet8_int8.tflite"));
  EXPECT_EQ(op_counts(g), (std::map<std::string, int>{{"CONV_2D", 9}, {"ADD", 3}, {"AVERAGE_POOL_2D", 1},
                                                      {"RESHAPE", 1}, {"FULLY_CONNECTED", 1}, {"SOFTMAX", 1}}));
  EXPECT_EQ(g.input().shape, (std::vector<int>{1, 32, 32, 3}));
  EXPECT_EQ(g.output().shape, (std::vector<int>{1, 10}));
  EXPECT_EQ(g.input().type, DType::Int8);
  // Per-channel weights: the first conv has 16 filter scales along dimension 0.
  const Op& c0 = g.ops[0];
  ASSERT_EQ(c0.kind, OpKind::Conv2D);
  EXPECT_EQ(g.tensor(c0.inputs[1]).quant.scale.size(), 16U);
  EXPECT_EQ(g.tensor(c0.inputs[1]).quant.axis, 0);
  EXPECT_EQ(g.tensor(c0.inputs[2]).type, DType::Int32);
  // Dense MACs of the convolutions and the FC add up to the 12.5 M the model card gives.
  uint64_t macs = 0;
  for (const auto& op : g.ops) {
    const Tensor& o = g.tensor(op.outputs[0]);
    if (op.kind == OpKind::Conv2D) {
      const Tensor& f = g.tensor(op.inputs[1]);
      macs += o.elements() * static_cast<uint64_t>(f.shape[1] * f.shape[2] * f.shape[3]);
    } else if (op.kind == OpKind::FullyConnected) {
      macs += o.elements() * static_cast<uint64_t>(g.tensor(op.inputs[1]).shape[1]);
    }
  }
  EXPECT_NEAR(static_cast<double>(macs) / 1e6, 12.5, 0.1);
}

TEST(Import, KwsDscnn) {
  const Graph g = load_tflite(model("kws_dscnn_int8.tflite"));
  EXPECT_EQ(op_counts(g), (std::map<std::string, int>{{"CONV_2D", 5}, {"DEPTHWISE_CONV_2D", 4},
                                                      {"AVERAGE_POOL_2D", 1}, {"RESHAPE", 1},
                                                      {"FULLY_CONNECTED", 1}, {"SOFTMAX", 1}}));
  EXPECT_EQ(g.input().shape, (std::vector<int>{1, 49, 10, 1}));
  EXPECT_EQ(g.output().shape, (std::vector<int>{1, 12}));
  EXPECT_EQ(g.ops[1].kind, OpKind::DepthwiseConv2D);
  EXPECT_EQ(g.tensor(g.ops[1].inputs[1]).quant.axis, 3);
}

TEST(Import, PersonDetect) {
  const Graph g = load_tflite(model("person_detect.tflite"));
  EXPECT_EQ(op_counts(g), (std::map<std::string, int>{{"CONV_2D", 14}, {"DEPTHWISE_CONV_2D", 14},
                                                      {"AVERAGE_POOL_2D", 1}, {"RESHAPE", 1}, {"SOFTMAX", 1}}));
  EXPECT_EQ(g.input().shape, (std::vector<int>{1, 96, 96, 1}));
  EXPECT_EQ(g.output().shape, (std::vector<int>{1, 2}));
  EXPECT_FLOAT_EQ(g.input().quant.scale0(), 2.0F / 255.0F);
  EXPECT_EQ(g.input().quant.zp0(), -1);
  // The first layer is a depthwise conv with depth multiplier 8 on the single input channel.
  EXPECT_EQ(g.ops[0].kind, OpKind::DepthwiseConv2D);
  EXPECT_EQ(g.tensor(g.ops[0].outputs[0]).shape, (std::vector<int>{1, 48, 48, 8}));
  EXPECT_EQ(g.ops[0].stride_h, 2);
  EXPECT_EQ(g.ops[0].act, ref::Activation::Relu6);
}

TEST(Import, HelloWorld) {
  const Graph g = load_tflite(model("hello_world_int8.tflite"));
  EXPECT_EQ(op_counts(g), (std::map<std::string, int>{{"FULLY_CONNECTED", 3}}));
  EXPECT_EQ(g.input().elements(), 1U);
  EXPECT_EQ(g.output().elements(), 1U);
  EXPECT_EQ(g.ops[0].act, ref::Activation::Relu);
  EXPECT_EQ(g.ops[2].act, ref::Activation::None);
}

TEST(Import, MicroSpeech) {
  const Graph g = load_tflite(model("micro_speech_quantized.tflite"));
  EXPECT_EQ(op_counts(g), (std::map<std::string, int>{{"RESHAPE", 1}, {"DEPTHWISE_CONV_2D", 1},
                                                      {"FULLY_CONNECTED", 1}, {"SOFTMAX", 1}}));
  EXPECT_EQ(g.input().shape, (std::vector<int>{1, 1960}));
  EXPECT_EQ(g.output().shape, (std::vector<int>{1, 4}));
  EXPECT_EQ(g.tensor(g.ops[1].outputs[0]).shape, (std::vector<int>{1, 25, 20, 8}));
}

void expect_error(const std::function<void()>& f, const std::vector<std::string>& parts) {
  try {
    f();
    FAIL() << "no error";
  } catch (const Error& e) {
    for (const auto& p : parts) EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << e.what() << " lacks '" << p << "'";
  }
}

TEST(ImportErrors, MissingFile) {
  expect_error([] { load_tflite("/nonexistent/m.tflite"); }, {"/nonexistent/m.tflite", "cannot open"});
}

TEST(ImportErrors, TruncatedFilesAreRejectedByTheVerifier) {
  const auto b = file_bytes(model("kws_dscnn_int8.tflite"));
  ASSERT_GT(b.size(), 1000U);
  for (size_t n : {size_t{0}, size_t{7}, size_t{64}, b.size() / 3, b.size() / 2, b.size() - 1000}) {
    const std::span<const uint8_t> cut(b.data(), n);
    expect_error([&] { parse_tflite(cut, "cut.tflite"); }, {"cut.tflite"});
  }
}

TEST(ImportErrors, WrongIdentifier) {
  auto b = file_bytes(model("hello_world_int8.tflite"));
  b[4] = 'X';
  expect_error([&] { parse_tflite(b, "x.tflite"); }, {"x.tflite", "TFL3"});
}

// Random byte corruptions: each either imports (the bytes hit only data) or fails with a
// tsr::Error; nothing crashes. Seed: TSR_SEED (default 1).
TEST(ImportErrors, CorruptedBytesNeverCrash) {
  const char* env = std::getenv("TSR_SEED");
  const uint64_t seed = env ? std::stoull(env) : 1;
  std::printf("seed %llu (TSR_SEED)\n", static_cast<unsigned long long>(seed));
  const auto orig = file_bytes(model("hello_world_int8.tflite"));
  std::mt19937_64 rng(seed);
  int rejected = 0;
  for (int i = 0; i < 300; ++i) {
    auto b = orig;
    for (int k = 0; k < 4; ++k) b[rng() % 256] = static_cast<uint8_t>(rng());  // header and tables
    try {
      parse_tflite(b, "corrupt.tflite");
    } catch (const Error&) {
      ++rejected;
    }
  }
  EXPECT_GT(rejected, 0);
}

// A one-op model built with the generated API.
std::vector<uint8_t> one_op_model(int builtin, bool with_options) {
  namespace fb = tsr::tflite;
  flatbuffers::FlatBufferBuilder b;
  std::vector<flatbuffers::Offset<fb::Buffer>> bufs{fb::CreateBuffer(b)};
  const std::vector<float> scale{0.5F};
  const std::vector<int64_t> zp{0};
  std::vector<flatbuffers::Offset<fb::Tensor>> tensors;
  for (int i = 0; i < 3; ++i) {
    auto q = fb::CreateQuantizationParametersDirect(b, nullptr, nullptr, &scale, &zp);
    const std::vector<int> shape{1, 4, 4, 2};
    tensors.push_back(fb::CreateTensorDirect(b, &shape, 9, 0, ("t" + std::to_string(i)).c_str(), q));
  }
  const std::vector<int> ins{0, 1}, outs{2}, gin{0, 1}, gout{2};
  flatbuffers::Offset<void> opts = 0;
  auto type = fb::BuiltinOptions_NONE;
  if (with_options && builtin == 3) {
    opts = fb::CreateConv2DOptions(b, 0, 1, 1, 4 /* TANH */).Union();
    type = fb::BuiltinOptions_Conv2DOptions;
  }
  std::vector<flatbuffers::Offset<fb::Operator>> ops{fb::CreateOperatorDirect(b, 0, &ins, &outs, type, opts)};
  std::vector<flatbuffers::Offset<fb::SubGraph>> sgs{fb::CreateSubGraphDirect(b, &tensors, &gin, &gout, &ops)};
  std::vector<flatbuffers::Offset<fb::OperatorCode>> codes{fb::CreateOperatorCode(b, static_cast<int8_t>(builtin), 0, 1, builtin)};
  auto m = fb::CreateModelDirect(b, 3, &codes, &sgs, "test", &bufs);
  fb::FinishModelBuffer(b, m);
  return {b.GetBufferPointer(), b.GetBufferPointer() + b.GetSize()};
}

TEST(ImportErrors, UnsupportedOpNamesIndexAndOp) {
  const auto b = one_op_model(18 /* MUL */, false);
  expect_error([&] { parse_tflite(b, "mul.tflite"); }, {"mul.tflite", "op 0 (MUL)", "not supported"});
}

TEST(ImportErrors, MissingOptionsNamed) {
  const auto b = one_op_model(3 /* CONV_2D */, false);
  expect_error([&] { parse_tflite(b, "conv.tflite"); }, {"op 0 (CONV_2D)", "missing attribute builtin_options (Conv2DOptions)"});
}

TEST(ImportErrors, UnsupportedActivationNamed) {
  const auto b = one_op_model(3 /* CONV_2D */, true);
  expect_error([&] { parse_tflite(b, "conv.tflite"); }, {"op 0 (CONV_2D)", "fused activation TANH"});
}

}  // namespace
}  // namespace tsr::drv

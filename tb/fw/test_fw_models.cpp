// Firmware against the bundled models. First the KWS front end end to end: one second of "yes" and of "no" (micro_speech's test recordings)
// -> 49 x 40 int8 features -> micro_speech_quantized.tflite, run by the host driver's reference
// interpreter (tsr::drv, written independently of the front end) -> the spoken keyword must win.
// The features come from the golden model and from the firmware on the core's ISS (the fw/*
// tests already hold the two bit-exact; this checks that what they compute is what the model
// was trained on).
#include <algorithm>
#include <random>
#include <string>

#include <gtest/gtest.h>

#include "fw_core_runner.h"
#include "fw_ops_client.h"
#include "tessera/driver/interp.h"
#include "tessera/driver/tflite.h"
#include "tessera/ref/kws_frontend.h"
#include "tessera/tb/harness.h"

namespace {

// micro_speech's output classes.
constexpr int kYes = 2;
constexpr int kNo = 3;

int top_class(const tsr::drv::Graph& g, const std::vector<int8_t>& features) {
  const auto v = tsr::drv::interpret(g, features);
  const auto& scores = v[g.outputs.at(0)];
  EXPECT_EQ(scores.size(), 4U);  // silence, unknown, yes, no
  return static_cast<int>(std::max_element(scores.begin(), scores.end()) - scores.begin());
}

TEST(FwKwsModel, MicroSpeechRecognisesYesAndNo) {
  const auto g = tsr::drv::load_tflite(std::string(TSR_MODELS_DIR) + "/micro_speech_quantized.tflite");
  const auto t = tsr::ref::make_kws_tables();
  auto prev = tsr::fw::set_runner(tsr::fw::make_runner("iss"));
  for (const auto& [name, want] : {std::pair{"yes_1000ms.wav", kYes}, std::pair{"no_1000ms.wav", kNo}}) {
    const auto wav = tsr::ref::read_wav_pcm16(std::string(TSR_MODELS_DIR) + "/" + name);
    tsr::ref::KwsFrontend fe(t);
    std::vector<int8_t> golden;
    for (const auto& f : fe.process(wav.samples)) golden.insert(golden.end(), f.feature.begin(), f.feature.end());
    ASSERT_EQ(golden.size(), 1960U) << name;
    EXPECT_EQ(top_class(g, golden), want) << name << " (golden features)";
    std::vector<size_t> chunks;
    for (size_t pos = 0; pos < wav.samples.size(); pos += tsr::fw::kKwsMaxChunk) {
      chunks.push_back(std::min(tsr::fw::kKwsMaxChunk, wav.samples.size() - pos));
    }
    const auto fw = tsr::fw::run_kws_stream(t, wav.samples, chunks);
    EXPECT_EQ(top_class(g, fw.features), want) << name << " (firmware features on the ISS)";
  }
  tsr::fw::set_runner(std::move(prev));
}

// The escape ops on the layers of the bundled models: for every SOFTMAX, AVERAGE_POOL_2D and ADD of
// ResNet-8, DS-CNN, micro_speech and person_detect (on a seeded random input), the firmware (on
// the core's ISS) is given the layer's real input and quantization and must reproduce the output
// of the driver's interpreter, an independent implementation of the same TFLite kernels.
TEST(FwOpsOnModels, EscapeLayersMatchTheDriverInterpreter) {
  namespace ref = tsr::ref;
  std::mt19937_64 rng(tsr::tb::test_seed());
  auto prev = tsr::fw::set_runner(tsr::fw::make_runner("iss"));
  int checked = 0;
  for (const char* model : {"ic_resnet8_int8.tflite", "kws_dscnn_int8.tflite",
                            "micro_speech_quantized.tflite", "person_detect.tflite"}) {
    const auto g = tsr::drv::load_tflite(std::string(TSR_MODELS_DIR) + "/" + model);
    std::vector<int8_t> input(g.input().elements());
    std::uniform_int_distribution<int> d(-128, 127);
    for (auto& x : input) x = static_cast<int8_t>(d(rng));
    const auto v = tsr::drv::interpret(g, input);
    for (const auto& op : g.ops) {
      SCOPED_TRACE(std::string(model) + " " + op.label());
      const auto& in_t = g.tensor(op.inputs.at(0));
      const auto& out_t = g.tensor(op.outputs.at(0));
      const auto& want = v[op.outputs.at(0)];
      if (op.kind == tsr::drv::OpKind::Softmax) {
        const int depth = in_t.shape.back();
        const auto p = ref::softmax_params(in_t.quant.scale0(), op.beta);
        EXPECT_EQ(tsr::fw::run_softmax(v[op.inputs[0]], depth, p), want);
        ++checked;
      } else if (op.kind == tsr::drv::OpKind::AveragePool2D) {
        const auto s = in_t.shape4();
        const auto p = ref::make_pool_params(op.padding, s, op.filter_h, op.filter_w, op.stride_h,
                                             op.stride_w,
                                             ref::activation_range_i8(op.act, out_t.quant.params()));
        const ref::QTensor x{s, v[op.inputs[0]], in_t.quant.zp0()};
        EXPECT_EQ(tsr::fw::run_avgpool(x, p), want);
        ++checked;
      } else if (op.kind == tsr::drv::OpKind::Add) {
        const auto& b_t = g.tensor(op.inputs.at(1));
        ASSERT_EQ(in_t.elements(), b_t.elements()) << "broadcasting ADD";
        const auto p = ref::add_params(in_t.quant.params(), b_t.quant.params(),
                                       out_t.quant.params(), op.act);
        const auto& a = v[op.inputs[0]];
        const auto& b = v[op.inputs[1]];
        std::vector<int8_t> got;
        for (size_t pos = 0; pos < a.size(); pos += 2000) {  // a request block holds ~3 x 3 KiB
          const int n = static_cast<int>(std::min<size_t>(2000, a.size() - pos));
          const ref::QTensor ca{{1, 1, 1, n}, {a.begin() + pos, a.begin() + pos + n}, in_t.quant.zp0()};
          const ref::QTensor cb{{1, 1, 1, n}, {b.begin() + pos, b.begin() + pos + n}, b_t.quant.zp0()};
          const auto part = tsr::fw::run_add(ca, cb, p);
          got.insert(got.end(), part.begin(), part.end());
        }
        EXPECT_EQ(got, want);
        ++checked;
      }
    }
  }
  // ResNet-8: 3 ADD, 1 pool, 1 softmax; DS-CNN: pool + softmax; micro_speech: softmax;
  // person_detect: pool + softmax.
  EXPECT_EQ(checked, 10);
  tsr::fw::set_runner(std::move(prev));
}

}  // namespace

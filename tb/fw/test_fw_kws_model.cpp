// The KWS front end end to end: one second of "yes" and of "no" (micro_speech's test recordings)
// -> 49 x 40 int8 features -> micro_speech_quantized.tflite, run by the host driver's reference
// interpreter (tsr::drv, written independently of the front end) -> the spoken keyword must win.
// The features come from the golden model and from the firmware on the core's ISS (the fw/*
// tests already hold the two bit-exact; this checks that what they compute is what the model
// was trained on).
#include <algorithm>
#include <string>

#include <gtest/gtest.h>

#include "fw_core_runner.h"
#include "fw_ops_client.h"
#include "tessera/driver/interp.h"
#include "tessera/driver/tflite.h"
#include "tessera/ref/kws_frontend.h"

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

}  // namespace

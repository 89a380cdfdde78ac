// Escape-core firmware ops, each built as its own RV32IM program (build/firmware/fw_<op>.elf) and
// run under qemu-riscv32, on the tessera core's ISS and on its RTL (one parameter each), on seeded
// random inputs and on edge cases; every output is compared bit-exactly with the host golden
// model (tsr::ref). NMS is also checked against the ONNX backend-test vectors.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <random>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "fw_core_runner.h"
#include "fw_harness.h"
#include "fw_ops_client.h"
#include "onnx_pb.h"
#include "tessera/core/core_sim.h"
#include "tessera/error.h"
#include "tessera/gen/memmap.h"
#include "tessera/iss/iss.h"
#include "tessera/ref/escape_ops.h"
#include "tessera/ref/kernels.h"
#include "tessera/ref/kws_frontend.h"
#include "tessera/tb/harness.h"
#include "tsr_escape_abi.h"

namespace {

using tsr::fw::EscapeRequest;
using tsr::fw::FwImage;
using tsr::fw::FwResult;
using tsr::fw::KwsRun;
using tsr::fw::run_add;
using tsr::fw::run_avgpool;
using tsr::fw::run_kws;
using tsr::fw::run_kws_stream;
using tsr::fw::run_nms;
using tsr::fw::run_softmax;
using tsr::fw::run_topk;

std::vector<int8_t> random_i8(std::mt19937_64& rng, size_t n, int lo = -128, int hi = 127) {
  std::uniform_int_distribution<int> d(lo, hi);
  std::vector<int8_t> v(n);
  for (auto& x : v) x = static_cast<int8_t>(d(rng));
  return v;
}


// Fails the test with the program's output when it did not finish with status 0.
void expect_ok(const FwResult& r) {
  ASSERT_EQ(r.exit_code, 0) << "rerun: " << r.rerun << "\n" << r.log;
  ASSERT_EQ(r.status, TSR_ESC_OK) << "rerun: " << r.rerun << "\n" << r.log;
  ASSERT_TRUE(r.ended) << "rerun: " << r.rerun << "\n" << r.log;
}

// Every test runs on each machine: qemu-riscv32 (user mode), the tessera core's ISS and its RTL
// (verilated), all on the same ELF images of the default core variant.
class FwOps : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { prev_ = tsr::fw::set_runner(tsr::fw::make_runner(GetParam())); }
  void TearDown() override { tsr::fw::set_runner(std::move(prev_)); }
  std::mt19937_64 rng_{tsr::tb::test_seed()};
  tsr::fw::Runner prev_;
};

// ---- softmax ----

TEST_P(FwOps, SoftmaxRandomMatchesGolden) {
  for (int iter = 0; iter < 12; ++iter) {
    const int depth = std::uniform_int_distribution<int>(1, 300)(rng_);
    const int rows = std::uniform_int_distribution<int>(1, 4)(rng_);
    const double scale = std::pow(2.0, std::uniform_real_distribution<double>(-7.0, 0.0)(rng_));
    const auto p = tsr::ref::softmax_params(scale);
    const auto in = random_i8(rng_, static_cast<size_t>(rows) * depth);
    const auto got = run_softmax(in, depth, p);
    ASSERT_EQ(got, tsr::ref::softmax_i8(in, depth, p))
        << "rows " << rows << " depth " << depth << " scale " << scale;
  }
}

TEST_P(FwOps, SoftmaxEdgeCases) {
  const auto p_fine = tsr::ref::softmax_params(1.0 / 256);  // diff_min reaches past -255
  const auto p_coarse = tsr::ref::softmax_params(1.0);      // diff_min = -15 cuts most entries
  const std::vector<std::vector<int8_t>> rows = {
      std::vector<int8_t>(10, 0),                      // all equal
      std::vector<int8_t>(1000, -128),                 // long row, all minimum
      {127, -128, -128, -128},                         // one dominant
      {127, 126, 112, 111, 0, -128},                   // around the coarse cut-off
      {-128},                                          // depth 1
  };
  for (const auto& row : rows) {
    for (const auto& p : {p_fine, p_coarse}) {
      ASSERT_EQ(run_softmax(row, static_cast<int>(row.size()), p),
                tsr::ref::softmax_i8(row, static_cast<int>(row.size()), p))
          << "depth " << row.size() << " diff_min " << p.diff_min;
    }
  }
}

// ---- top-k / argmax ----

TEST_P(FwOps, TopKRandomMatchesGolden) {
  for (int iter = 0; iter < 12; ++iter) {
    const int n = std::uniform_int_distribution<int>(1, 400)(rng_);
    const int k = iter % 3 == 0 ? 1 : std::uniform_int_distribution<int>(1, n)(rng_);
    const int rows = std::uniform_int_distribution<int>(1, 3)(rng_);
    // Half the cases from a narrow range: many ties, which must go to the lower index.
    const auto in = iter % 2 == 0 ? random_i8(rng_, static_cast<size_t>(rows) * n)
                                   : random_i8(rng_, static_cast<size_t>(rows) * n, -2, 2);
    const auto got = run_topk(in, n, k);
    const auto want = tsr::ref::top_k_i8(in, n, k);
    ASSERT_EQ(got.index, want.index) << "n " << n << " k " << k;
    ASSERT_EQ(got.value, want.value) << "n " << n << " k " << k;
  }
}

TEST_P(FwOps, TopKEdgeCases) {
  const std::vector<int8_t> flat(64, 5);
  auto t = run_topk(flat, 64, 64);  // all equal: indices in order
  for (int i = 0; i < 64; ++i) ASSERT_EQ(t.index[i], i);
  const std::vector<int8_t> ext = {-128, 127, -128, 127};
  t = run_topk(ext, 4, 1);
  EXPECT_EQ(t.index, std::vector<int32_t>{1});
  const auto want = tsr::ref::top_k_i8(ext, 4, 4);
  t = run_topk(ext, 4, 4);
  EXPECT_EQ(t.index, want.index);
  EXPECT_EQ(t.index, (std::vector<int32_t>{1, 3, 0, 2}));
}

// ---- ADD ----

TEST_P(FwOps, AddRandomMatchesGolden) {
  using tsr::ref::Activation;
  for (int iter = 0; iter < 12; ++iter) {
    std::uniform_real_distribution<double> lg(-8.0, -2.0);
    std::uniform_int_distribution<int> zp(-128, 127);
    const tsr::ref::QuantParams q1{static_cast<float>(std::pow(2.0, lg(rng_))), zp(rng_)};
    const tsr::ref::QuantParams q2{static_cast<float>(std::pow(2.0, lg(rng_))), zp(rng_)};
    const tsr::ref::QuantParams qo{
        static_cast<float>(std::max(q1.scale, q2.scale) * std::pow(2.0, lg(rng_) + 5.5)), zp(rng_)};
    const Activation act = iter % 3 == 0 ? Activation::Relu : Activation::None;
    tsr::ref::AddParams p;
    try {
      p = tsr::ref::add_params(q1, q2, qo, act);
    } catch (const tsr::Error&) {
      continue;  // an output scale too small for TFLite's ADD: not a valid layer
    }
    const int n = std::uniform_int_distribution<int>(1, 2000)(rng_);
    tsr::ref::QTensor a{{1, 1, 1, n}, random_i8(rng_, n), q1.zero_point};
    tsr::ref::QTensor b{{1, 1, 1, n}, random_i8(rng_, n), q2.zero_point};
    ASSERT_EQ(run_add(a, b, p), tsr::ref::add(a, b, p).data) << "n " << n;
  }
}

TEST_P(FwOps, AddExtremes) {
  const auto p = tsr::ref::add_params({0.5F, -128}, {0.25F, 127}, {0.01F, 0},
                                      tsr::ref::Activation::Relu6);
  std::vector<int8_t> va, vb;
  for (int x : {-128, 127}) {
    for (int y : {-128, 127, 0}) {
      va.push_back(static_cast<int8_t>(x));
      vb.push_back(static_cast<int8_t>(y));
    }
  }
  const int n = static_cast<int>(va.size());
  tsr::ref::QTensor a{{1, 1, 1, n}, va, -128};
  tsr::ref::QTensor b{{1, 1, 1, n}, vb, 127};
  EXPECT_EQ(run_add(a, b, p), tsr::ref::add(a, b, p).data);
}

// ---- average pool ----

TEST_P(FwOps, AvgPoolRandomMatchesGolden) {
  std::uniform_int_distribution<int> dim(1, 12), f(1, 5), st(1, 3), ch(1, 8);
  for (int iter = 0; iter < 14; ++iter) {
    tsr::ref::Shape4 s{std::uniform_int_distribution<int>(1, 2)(rng_), dim(rng_), dim(rng_), ch(rng_)};
    const int fh = std::min(f(rng_), s.h), fw = std::min(f(rng_), s.w);
    const auto pad = iter % 2 == 0 ? tsr::ref::Padding::Same : tsr::ref::Padding::Valid;
    tsr::ref::ActRange act;
    if (iter % 4 == 1) act = {-20, 90};
    const auto p = tsr::ref::make_pool_params(pad, s, fh, fw, st(rng_), st(rng_), act);
    tsr::ref::QTensor in{s, random_i8(rng_, s.elements()), 3};
    ASSERT_EQ(run_avgpool(in, p), tsr::ref::average_pool2d(in, p).data)
        << tsr::ref::to_string(s) << " filter " << fh << "x" << fw;
  }
}

TEST_P(FwOps, AvgPoolGlobalAndExtremes) {
  // Global 7x7 pool of -128 and 127 halves: sums with exact halves to round away from zero.
  tsr::ref::Shape4 s{1, 7, 7, 3};
  tsr::ref::QTensor in{s, std::vector<int8_t>(s.elements()), 0};
  for (size_t i = 0; i < in.data.size(); ++i) in.data[i] = (i / 3) % 2 == 0 ? -128 : 127;
  const auto p = tsr::ref::make_pool_params(tsr::ref::Padding::Valid, s, 7, 7, 1, 1);
  EXPECT_EQ(run_avgpool(in, p), tsr::ref::average_pool2d(in, p).data);
  tsr::ref::QTensor two{{1, 1, 2, 1}, {-3, 0}, 0};  // -1.5 -> -2 (away from zero)
  const auto p2 = tsr::ref::make_pool_params(tsr::ref::Padding::Valid, two.shape, 1, 2, 1, 1);
  EXPECT_EQ(run_avgpool(two, p2), std::vector<int8_t>{-2});
}

// ---- NMS ----

std::string to_string(const std::vector<tsr::ref::NmsSelection>& s) {
  std::string r;
  for (const auto& x : s) r += fmt::format("[{} {} {}] ", x.batch, x.cls, x.box);
  return r;
}

TEST_P(FwOps, NmsRandomMatchesGolden) {
  for (int iter = 0; iter < 12; ++iter) {
    const int batches = std::uniform_int_distribution<int>(1, 2)(rng_);
    const int classes = std::uniform_int_distribution<int>(1, 3)(rng_);
    const int n = std::uniform_int_distribution<int>(1, 60)(rng_);
    tsr::ref::NmsParams p;
    p.center_point_box = iter % 2;
    p.max_output_per_class = std::uniform_int_distribution<int>(0, n + 1)(rng_);
    p.iou_threshold_q16 = std::uniform_int_distribution<int>(0, 65536)(rng_);
    p.has_score_threshold = iter % 3 != 0;
    p.score_threshold = std::uniform_int_distribution<int>(-50, 50)(rng_);
    // Boxes clustered in a small field so that many overlap; coordinates up to the limit.
    const int span = iter < 6 ? 200 : tsr::ref::kNmsCoordLimit / 4;
    std::uniform_int_distribution<int> pos(-span, span), size(-span / 4, span / 2);
    std::vector<int32_t> boxes;
    for (int i = 0; i < batches * n; ++i) {
      if (p.center_point_box == 1) {
        boxes.insert(boxes.end(), {pos(rng_), pos(rng_), std::abs(size(rng_)), std::abs(size(rng_))});
      } else {
        const int y = pos(rng_), x = pos(rng_);
        boxes.insert(boxes.end(), {y, x, y + size(rng_), x + size(rng_)});  // corners may be flipped
      }
    }
    std::vector<int32_t> scores(static_cast<size_t>(batches) * classes * n);
    std::uniform_int_distribution<int> sc(-100, 100);
    for (auto& s : scores) s = iter % 4 == 3 ? sc(rng_) / 40 : sc(rng_);  // some with many ties
    const auto want = tsr::ref::non_max_suppression(boxes, scores, batches, classes, n, p);
    const auto got = run_nms(boxes, scores, batches, classes, n, p);
    ASSERT_EQ(to_string(got), to_string(want))
        << "batches " << batches << " classes " << classes << " n " << n << " cpb "
        << p.center_point_box << " iou " << p.iou_threshold_q16;
  }
}

// ONNX's backend tests for NonMaxSuppression (Debian's libonnx-testdata): float inputs converted
// to the integer formats (coordinates Q12, scores Q16, IoU threshold Q0.16), then both the golden
// model and the firmware must reproduce ONNX's selected_indices.
TEST_P(FwOps, NmsOnnxBackendVectors) {
  const std::filesystem::path root = "/usr/share/libonnx-testdata/data/node";
  if (!std::filesystem::exists(root)) GTEST_SKIP() << root << " missing (libonnx-testdata)";
  int cases = 0;
  for (const auto& e : std::filesystem::directory_iterator(root)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("test_nonmaxsuppression_", 0) != 0) continue;
    SCOPED_TRACE(name);
    const auto attrs = tsr::fw::read_onnx_int_attributes((e.path() / "model.onnx").string());
    const auto set = e.path() / "test_data_set_0";
    const auto boxes_t = tsr::fw::read_onnx_tensor((set / "input_0.pb").string());
    const auto scores_t = tsr::fw::read_onnx_tensor((set / "input_1.pb").string());
    const auto expect_t = tsr::fw::read_onnx_tensor((set / "output_0.pb").string());
    ASSERT_EQ(boxes_t.dims.size(), 3U);
    ASSERT_EQ(scores_t.dims.size(), 3U);
    const int batches = static_cast<int>(boxes_t.dims[0]);
    const int n = static_cast<int>(boxes_t.dims[1]);
    const int classes = static_cast<int>(scores_t.dims[1]);
    tsr::ref::NmsParams p;
    p.center_point_box = attrs.contains("center_point_box")
                             ? static_cast<int>(attrs.at("center_point_box")) : 0;
    if (std::filesystem::exists(set / "input_2.pb")) {
      p.max_output_per_class =
          static_cast<int64_t>(tsr::fw::read_onnx_tensor((set / "input_2.pb").string()).values.at(0));
    }
    if (std::filesystem::exists(set / "input_3.pb")) {
      p.iou_threshold_q16 = static_cast<int32_t>(std::lround(
          tsr::fw::read_onnx_tensor((set / "input_3.pb").string()).values.at(0) * 65536.0));
    }
    if (std::filesystem::exists(set / "input_4.pb")) {
      p.has_score_threshold = true;
      p.score_threshold = static_cast<int32_t>(std::lround(
          tsr::fw::read_onnx_tensor((set / "input_4.pb").string()).values.at(0) * 65536.0));
    }
    std::vector<int32_t> boxes, scores;
    for (double v : boxes_t.values) boxes.push_back(static_cast<int32_t>(std::lround(v * 4096.0)));
    for (double v : scores_t.values) scores.push_back(static_cast<int32_t>(std::lround(v * 65536.0)));
    std::vector<tsr::ref::NmsSelection> want;
    for (size_t i = 0; i + 2 < expect_t.values.size(); i += 3) {
      want.push_back({static_cast<int32_t>(expect_t.values[i]),
                      static_cast<int32_t>(expect_t.values[i + 1]),
                      static_cast<int32_t>(expect_t.values[i + 2])});
    }
    const auto golden = tsr::ref::non_max_suppression(boxes, scores, batches, classes, n, p);
    EXPECT_EQ(to_string(golden), to_string(want)) << "golden model vs ONNX";
    EXPECT_EQ(to_string(run_nms(boxes, scores, batches, classes, n, p)), to_string(want))
        << "firmware vs ONNX";
    ++cases;
  }
  EXPECT_GE(cases, 9) << "expected the 9 NonMaxSuppression vectors of libonnx-testdata";
}


// ---- KWS audio front end ----

KwsRun golden_kws(const tsr::ref::KwsTables& t, const std::vector<int16_t>& samples) {
  tsr::ref::KwsFrontend fe(t);
  KwsRun k;
  for (const auto& f : fe.process(samples)) {
    k.features.insert(k.features.end(), f.feature.begin(), f.feature.end());
    k.raw.insert(k.raw.end(), f.raw.begin(), f.raw.end());
  }
  return k;
}

// Cuts n samples into chunks of at most kKwsMaxChunk (the request block's limit per call).
std::vector<size_t> fixed_chunks(size_t n) {
  std::vector<size_t> c;
  for (size_t pos = 0; pos < n; pos += tsr::fw::kKwsMaxChunk) c.push_back(std::min(tsr::fw::kKwsMaxChunk, n - pos));
  return c;
}

// micro_speech's real inputs: one second of "yes" and of "no" -> 49 x 40 int8 features (streamed
// through the firmware in calls of 1600 samples, the state carried between them).
TEST_P(FwOps, KwsFrontendOnSpeechMatchesGolden) {
  static_assert(sizeof(tsr_kws_tables_t) % 4 == 0);
  const auto t = tsr::ref::make_kws_tables();
  for (const char* name : {"yes_1000ms.wav", "no_1000ms.wav"}) {
    const auto wav = tsr::ref::read_wav_pcm16(std::string(TSR_MODELS_DIR) + "/" + name);
    ASSERT_EQ(wav.sample_rate, 16000) << name;
    const auto want = golden_kws(t, wav.samples);
    ASSERT_EQ(want.features.size(), 1960U) << name;  // 49 frames x 40 channels
    const auto got = run_kws_stream(t, wav.samples, fixed_chunks(wav.samples.size()));
    EXPECT_EQ(got.raw, want.raw) << name;
    EXPECT_EQ(got.features, want.features) << name;
  }
}

// Streaming across calls at random cut points: one second of "no" in calls of 1 to 1600 samples.
TEST_P(FwOps, KwsFrontendStreamsAcrossCalls) {
  const auto t = tsr::ref::make_kws_tables();
  const auto wav = tsr::ref::read_wav_pcm16(std::string(TSR_MODELS_DIR) + "/no_1000ms.wav");
  const auto want = golden_kws(t, wav.samples);
  std::uniform_int_distribution<size_t> len(1, tsr::fw::kKwsMaxChunk);
  std::vector<size_t> chunks;
  for (size_t pos = 0; pos < wav.samples.size();) {
    chunks.push_back(std::min(len(rng_), wav.samples.size() - pos));
    pos += chunks.back();
  }
  const auto got = run_kws_stream(t, wav.samples, chunks);
  EXPECT_EQ(got.raw, want.raw) << chunks.size() << " calls";
  EXPECT_EQ(got.features, want.features);
}

// Seeded random audio: noise, tones, silence and full-scale clipping.
TEST_P(FwOps, KwsFrontendRandomAudioMatchesGolden) {
  const auto t = tsr::ref::make_kws_tables();
  for (int iter = 0; iter < 3; ++iter) {
    const int n = std::uniform_int_distribution<int>(480, 6000)(rng_);
    std::vector<int16_t> s(n);
    const double f = std::uniform_real_distribution<double>(100.0, 7000.0)(rng_);
    const int amp = iter == 0 ? 40000 : std::uniform_int_distribution<int>(0, 20000)(rng_);
    std::uniform_int_distribution<int> noise(-300, 300);
    for (int i = 0; i < n; ++i) {
      const double v = amp * std::sin(2 * 3.141592653589793 * f * i / 16000.0) + noise(rng_);
      s[i] = static_cast<int16_t>(std::clamp(v, -32768.0, 32767.0));
      if (iter == 2 && i > n / 2) s[i] = 0;  // silence after sound
    }
    const auto want = golden_kws(t, s);
    const auto got = run_kws_stream(t, s, fixed_chunks(s.size()));
    EXPECT_EQ(got.raw, want.raw) << "n " << n << " f " << f << " amp " << amp;
    EXPECT_EQ(got.features, want.features);
  }
}

// ---- the dispatcher's error paths ----

TEST_P(FwOps, DispatcherRejectsBadRequests) {
  const FwImage img(tsr::fw::firmware_path("fw_softmax"));
  {
    EscapeRequest req(TSR_ESC_FN_SOFTMAX, img.io_addr(), img.io_size());
    req.set_magic(0x12345678);
    const auto r = tsr::fw::run_request(img, req);
    EXPECT_EQ(r.exit_code, static_cast<int>(TSR_ESC_ERR_MAGIC)) << r.log;
    EXPECT_EQ(r.status, TSR_ESC_ERR_MAGIC) << r.log;
  }
  {
    EscapeRequest req(TSR_ESC_FN_NMS, img.io_addr(), img.io_size());  // not linked into fw_softmax
    const auto r = tsr::fw::run_request(img, req);
    EXPECT_EQ(r.status, TSR_ESC_ERR_FUNC) << r.log;
  }
  {
    EscapeRequest req(TSR_ESC_FN_SOFTMAX, img.io_addr(), img.io_size());
    req.arg(TSR_SOFTMAX_DEPTH, 0U);
    const auto r = tsr::fw::run_request(img, req);
    EXPECT_EQ(r.status, TSR_ESC_ERR_ARG) << r.log;
    EXPECT_EQ(r.exit_code, static_cast<int>(TSR_ESC_ERR_ARG)) << r.log;
  }
}

// Every op answers a bad argument with TSR_ESC_ERR_ARG (exit code 3), never a crash or a hang.
TEST_P(FwOps, OpsRejectBadArguments) {
  struct Case {
    const char* program;
    uint32_t func;
    std::vector<std::pair<int, uint32_t>> args;
    const char* what;
  };
  const std::vector<Case> cases = {
      {"fw_softmax", TSR_ESC_FN_SOFTMAX, {{TSR_SOFTMAX_DEPTH, 4}, {TSR_SOFTMAX_BETA_SHIFT, 31}}, "left shift 31"},
      {"fw_softmax", TSR_ESC_FN_SOFTMAX, {{TSR_SOFTMAX_DEPTH, 4}, {TSR_SOFTMAX_DIFF_MIN, 5}}, "positive diff_min"},
      {"fw_topk", TSR_ESC_FN_TOPK, {{TSR_TOPK_N, 4}, {TSR_TOPK_K, 0}}, "k = 0"},
      {"fw_topk", TSR_ESC_FN_TOPK, {{TSR_TOPK_N, 4}, {TSR_TOPK_K, 5}}, "k > n"},
      {"fw_add", TSR_ESC_FN_ADD, {{TSR_ADD_LEFT_SHIFT, 23}, {TSR_ADD_ACT_MAX, 127}}, "left shift 23"},
      {"fw_add", TSR_ESC_FN_ADD, {{TSR_ADD_SHIFT1, 1}, {TSR_ADD_ACT_MAX, 127}}, "input shift > 0"},
      {"fw_add", TSR_ESC_FN_ADD, {{TSR_ADD_ACT_MIN, 10}, {TSR_ADD_ACT_MAX, 5}}, "act_min > act_max"},
      {"fw_avgpool", TSR_ESC_FN_AVGPOOL, {{TSR_POOL_H, 0}}, "zero height"},
      {"fw_avgpool", TSR_ESC_FN_AVGPOOL,
       {{TSR_POOL_N, 1}, {TSR_POOL_H, 2}, {TSR_POOL_W, 2}, {TSR_POOL_C, 1}, {TSR_POOL_FILTER_H, 1},
        {TSR_POOL_FILTER_W, 1}, {TSR_POOL_STRIDE_H, 1}, {TSR_POOL_STRIDE_W, 1},
        {TSR_POOL_PAD_TOP, 5}, {TSR_POOL_OUT_H, 1}, {TSR_POOL_OUT_W, 1}, {TSR_POOL_ACT_MAX, 127}},
       "a window with no input"},
      {"fw_nms", TSR_ESC_FN_NMS, {{TSR_NMS_CENTER_POINT_BOX, 2}}, "center_point_box 2"},
      {"fw_nms", TSR_ESC_FN_NMS, {{TSR_NMS_IOU_Q16, 65537}}, "IoU threshold above 1"},
  };
  for (const auto& c : cases) {
    const FwImage img(tsr::fw::firmware_path(c.program));
    EscapeRequest req(c.func, img.io_addr(), img.io_size());
    const uint32_t scratch = req.reserve(256);  // every pointer argument points here
    for (int slot = 0; slot < TSR_ESC_MAX_ARGS; ++slot) req.arg(slot, scratch);
    for (const auto& [slot, v] : c.args) req.arg(slot, v);
    const auto r = tsr::fw::run_request(img, req);
    EXPECT_EQ(r.status, TSR_ESC_ERR_ARG) << c.program << ": " << c.what << "\n" << r.log;
    EXPECT_EQ(r.exit_code, static_cast<int>(TSR_ESC_ERR_ARG)) << c.program << ": " << c.what;
  }
  // A coordinate beyond +-2^19 (the NMS number format's limit).
  const FwImage img(tsr::fw::firmware_path("fw_nms"));
  EscapeRequest req(TSR_ESC_FN_NMS, img.io_addr(), img.io_size());
  req.arg(TSR_NMS_BOXES, req.put_vec(std::vector<int32_t>{0, 0, 1 << 20, 1}));
  req.arg(TSR_NMS_SCORES, req.put_vec(std::vector<int32_t>{1}));
  const uint32_t out = req.reserve(64);
  req.arg(TSR_NMS_OUT, out);
  req.arg(TSR_NMS_BATCHES, 1U);
  req.arg(TSR_NMS_CLASSES, 1U);
  req.arg(TSR_NMS_N, 1U);
  req.arg(TSR_NMS_MAX_PER_CLASS, 1U);
  req.arg(TSR_NMS_OUT_CAPACITY, 1U);
  req.arg(TSR_NMS_SCRATCH, req.reserve(16));
  EXPECT_EQ(tsr::fw::run_request(img, req).status, TSR_ESC_ERR_ARG);
}

// The escape service image (every op behind one dispatcher) serves each op.
TEST_P(FwOps, ServiceImageRunsEveryOp) {
  const FwImage img(tsr::fw::firmware_path("tsr_escape"));
  const std::vector<int8_t> in = {1, 9, -3, 9, 4};
  EscapeRequest req(TSR_ESC_FN_TOPK, img.io_addr(), img.io_size());
  const uint32_t a_in = req.put_vec(in);
  const uint32_t a_out = req.reserve(2 * 5);
  req.arg(TSR_TOPK_IN, a_in);
  req.arg(TSR_TOPK_ROWS, 1U);
  req.arg(TSR_TOPK_N, 5U);
  req.arg(TSR_TOPK_K, 2U);
  req.arg(TSR_TOPK_OUT_IDX, a_out);
  req.arg(TSR_TOPK_OUT_VAL, a_out + 8);
  req.output(a_out, 10);
  const auto r = tsr::fw::run_request(img, req);
  expect_ok(r);
  EXPECT_EQ(tsr::fw::read_i32(r.out, 0), 1);
  EXPECT_EQ(tsr::fw::read_i32(r.out, 1), 3);
  EXPECT_EQ(r.out[8], 9);
  EXPECT_EQ(r.out[9], 9);
}

// The service image in its real role on the core's ISS: ESCAPE commands arrive through the
// core-local registers (ESC_STATUS, ESC_FUNC, ESC_ARG0 = address of the argument words), the
// operands and results live in the accelerator's scratchpad window, the status comes back through
// ESC_DONE; the loop then serves the next command.
TEST(FwService, IssServesEscapesFromTheScratchpad) {
  namespace mm = tsr::gen::memmap;
  const auto cfg = tsr::core::CoreSim::create("default")->config();
  tsr::iss::Iss iss(cfg);
  iss.load(tsr::iss::load_elf(tsr::fw::firmware_path("tsr_escape")), "tsr_escape.elf");
  std::vector<uint8_t> spad(cfg.spad_bytes, 0);
  ASSERT_GE(spad.size(), 0x1000U);
  iss.bus = tsr::core::spad_bus(spad);
  auto put_words = [&](uint32_t off, const std::vector<uint32_t>& w) {
    for (size_t i = 0; i < w.size(); ++i) {
      for (int b = 0; b < 4; ++b) spad[off + 4 * i + b] = static_cast<uint8_t>(w[i] >> (8 * b));
    }
  };
  auto word_at = [&](uint32_t off) {
    return static_cast<int32_t>(spad[off] | (spad[off + 1] << 8) | (spad[off + 2] << 16) |
                                (static_cast<uint32_t>(spad[off + 3]) << 24));
  };
  auto serve = [&](uint32_t func, uint32_t args_off) {
    iss.esc_func = func;
    iss.esc_args[0] = mm::kSpadBase + args_off;
    iss.esc_done.reset();
    iss.esc_pending = true;
    for (int k = 0; k < 5'000'000 && !iss.esc_done && !iss.halted(); ++k) iss.step();
    EXPECT_FALSE(iss.halted()) << tsr::gen::memmap::halt_name(iss.halt().cause) << " at pc 0x"
                               << std::hex << iss.halt().pc;
    EXPECT_FALSE(iss.esc_pending);
    return iss.esc_done.value_or(0xFFFFFFFFu);
  };

  // 1: top-3 of 16 values at 0x200; indices at 0x300, values at 0x340.
  const std::vector<int8_t> x = {5, -3, 9, 9, 0, 127, -128, 7, 9, 1, 2, 3, 127, 4, 6, 8};
  for (size_t i = 0; i < x.size(); ++i) spad[0x200 + i] = static_cast<uint8_t>(x[i]);
  put_words(0x100, {mm::kSpadBase + 0x200, 1, 16, 3, mm::kSpadBase + 0x300, mm::kSpadBase + 0x340});
  ASSERT_EQ(serve(TSR_ESC_FN_TOPK, 0x100), TSR_ESC_OK);
  const auto want = tsr::ref::top_k_i8(x, 16, 3);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(word_at(0x300 + 4 * i), want.index[i]);
    EXPECT_EQ(static_cast<int8_t>(spad[0x340 + i]), want.value[i]);
  }
  // 2: the next command, softmax of the same row into 0x400.
  const auto p = tsr::ref::softmax_params(1.0 / 16);
  put_words(0x180, {mm::kSpadBase + 0x200, mm::kSpadBase + 0x400, 1, 16,
                    static_cast<uint32_t>(p.input_multiplier), static_cast<uint32_t>(p.input_left_shift),
                    static_cast<uint32_t>(p.diff_min)});
  ASSERT_EQ(serve(TSR_ESC_FN_SOFTMAX, 0x180), TSR_ESC_OK);
  const auto sm = tsr::ref::softmax_i8(x, 16, p);
  for (int i = 0; i < 16; ++i) EXPECT_EQ(static_cast<int8_t>(spad[0x400 + i]), sm[i]) << i;
  // 3: an unknown function id is answered, not fatal.
  EXPECT_EQ(serve(99, 0x180), TSR_ESC_ERR_FUNC);
}

// The same on the verilated RTL core: an ESCAPE pending from the start (softmax of a row in the
// scratchpad); the firmware answers it through ESC_DONE and then waits for the next one, so the
// run ends at the cycle limit without a halt.
TEST(FwService, RtlServesAnEscapeFromTheScratchpad) {
  namespace mm = tsr::gen::memmap;
  auto sim = tsr::core::CoreSim::create("default");
  sim->load(tsr::iss::load_elf(tsr::fw::firmware_path("tsr_escape")), "tsr_escape.elf");
  auto& spad = sim->spad();
  ASSERT_GE(spad.size(), 0x1000U);
  const std::vector<int8_t> x = {-20, 3, 3, 100, -128, 0, 64, 99, 12, -7, 100, 5};
  for (size_t i = 0; i < x.size(); ++i) spad[0x200 + i] = static_cast<uint8_t>(x[i]);
  const auto p = tsr::ref::softmax_params(1.0 / 32);
  const std::vector<uint32_t> args = {mm::kSpadBase + 0x200, mm::kSpadBase + 0x400, 1,
                                      static_cast<uint32_t>(x.size()),
                                      static_cast<uint32_t>(p.input_multiplier),
                                      static_cast<uint32_t>(p.input_left_shift),
                                      static_cast<uint32_t>(p.diff_min)};
  for (size_t i = 0; i < args.size(); ++i) {
    for (int b = 0; b < 4; ++b) spad[0x100 + 4 * i + b] = static_cast<uint8_t>(args[i] >> (8 * b));
  }
  tsr::core::RunOptions ro;
  ro.max_cycles = 300'000;
  ro.esc_pending = true;
  ro.esc_func = TSR_ESC_FN_SOFTMAX;
  ro.esc_args[0] = mm::kSpadBase + 0x100;
  ro.bus_latency_max = 3;  // the scratchpad answers after 1..3 cycles
  const auto r = sim->run(ro);
  EXPECT_TRUE(r.timeout) << "the service loop should wait for the next ESCAPE, not halt ("
                         << mm::halt_name(r.halt.cause) << ")";
  ASSERT_EQ(r.esc_done, 1);
  EXPECT_EQ(r.esc_status, TSR_ESC_OK);
  const auto want = tsr::ref::softmax_i8(x, static_cast<int>(x.size()), p);
  for (size_t i = 0; i < x.size(); ++i) EXPECT_EQ(static_cast<int8_t>(spad[0x400 + i]), want[i]) << i;
}

INSTANTIATE_TEST_SUITE_P(Machines, FwOps, ::testing::Values("qemu", "iss", "rtl"),
                         [](const ::testing::TestParamInfo<std::string>& i) { return i.param; });

}  // namespace

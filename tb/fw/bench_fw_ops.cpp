// Benchmark: instructions the escape core retires per firmware op (qemu-riscv32 single-step
// trace of one dispatch call, from tsr_escape_dispatch's entry to its return), on representative
// shapes of the bundled models. Prints a table and writes JSON (argv[1], default
// fw_ops_bench.json). Results are also checked against the golden models (a wrong result makes
// the benchmark exit 1). Cycle counts need the tessera core (tessera core-run), not qemu.
#include <cstdio>
#include <fstream>
#include <random>

#include <fmt/format.h>

#include "fw_ops_client.h"
#include "tessera/error.h"

namespace {

struct Row {
  std::string op;
  std::string shape;
  uint64_t elements = 0;
  uint64_t instructions = 0;
};

std::vector<int8_t> rnd(std::mt19937_64& g, size_t n) {
  std::uniform_int_distribution<int> d(-128, 127);
  std::vector<int8_t> v(n);
  for (auto& x : v) x = static_cast<int8_t>(d(g));
  return v;
}

void check(bool ok, const std::string& what) {
  if (!ok) tsr::fail("bench_fw_ops: {} differs from the golden model", what);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    namespace ref = tsr::ref;
    std::mt19937_64 g(1);
    std::vector<Row> rows;
    uint64_t n = 0;

    for (int depth : {4, 12, 1000}) {  // micro_speech / KWS DS-CNN / ImageNet-sized outputs
      const auto p = ref::softmax_params(1.0 / 16);
      const auto in = rnd(g, depth);
      check(tsr::fw::run_softmax(in, depth, p, &n) == ref::softmax_i8(in, depth, p), "softmax");
      rows.push_back({"softmax", fmt::format("1x{}", depth), static_cast<uint64_t>(depth), n});
    }
    for (auto [len, k] : {std::pair{12, 1}, std::pair{1000, 1}, std::pair{1000, 5}}) {
      const auto in = rnd(g, len);
      const auto t = tsr::fw::run_topk(in, len, k, &n);
      check(t.index == ref::top_k_i8(in, len, k).index, "top-k");
      rows.push_back({k == 1 ? "argmax" : "top-k", fmt::format("1x{} k={}", len, k),
                      static_cast<uint64_t>(len), n});
    }
    {  // a residual ADD tile of 2048 elements (what fits one 10 KiB request)
      const auto p = ref::add_params({0.05F, 3}, {0.03F, -7}, {0.07F, 1}, ref::Activation::Relu);
      ref::QTensor a{{1, 16, 16, 8}, rnd(g, 2048), 3};
      ref::QTensor b{{1, 16, 16, 8}, rnd(g, 2048), -7};
      check(tsr::fw::run_add(a, b, p, &n) == ref::add(a, b, p).data, "add");
      rows.push_back({"add", "1x16x16x8", 2048, n});
    }
    for (auto [s, f] : {std::pair{ref::Shape4{1, 8, 8, 64}, 8}, std::pair{ref::Shape4{1, 25, 5, 64}, 0}}) {
      const int fh = f == 0 ? 25 : f, fw = f == 0 ? 5 : f;  // global pools of ResNet-8 / DS-CNN
      const auto p = ref::make_pool_params(ref::Padding::Valid, s, fh, fw, 1, 1);
      ref::QTensor in{s, rnd(g, s.elements()), 0};
      check(tsr::fw::run_avgpool(in, p, &n) == ref::average_pool2d(in, p).data, "avgpool");
      rows.push_back({"avgpool", fmt::format("{} global", ref::to_string(s)), s.elements(), n});
    }
    {  // NMS: 100 boxes, 2 classes, up to 10 per class
      const int boxes_n = 100;
      std::uniform_int_distribution<int> pos(0, 4000), size(100, 800), sc(0, 65535);
      std::vector<int32_t> boxes, scores;
      for (int i = 0; i < boxes_n; ++i) {
        const int y = pos(g), x = pos(g);
        boxes.insert(boxes.end(), {y, x, y + size(g), x + size(g)});
      }
      for (int i = 0; i < 2 * boxes_n; ++i) scores.push_back(sc(g));
      ref::NmsParams p;
      p.max_output_per_class = 10;
      p.iou_threshold_q16 = 32768;
      p.has_score_threshold = true;
      p.score_threshold = 16384;
      const auto got = tsr::fw::run_nms(boxes, scores, 1, 2, boxes_n, p, &n);
      check(got == ref::non_max_suppression(boxes, scores, 1, 2, boxes_n, p), "nms");
      rows.push_back({"nms", "100 boxes x 2 classes, max 10", boxes_n, n});
    }
    {  // KWS front end: one 30 ms window (one frame of 40 features)
      const auto t = ref::make_kws_tables();
      const auto wav = ref::read_wav_pcm16(std::string(TSR_MODELS_DIR) + "/yes_1000ms.wav");
      const std::vector<int16_t> first(wav.samples.begin() + 4000, wav.samples.begin() + 4480);
      const auto got = tsr::fw::run_kws(t, first, &n);
      ref::KwsFrontend fe(t);
      const auto want = fe.process(first);
      check(want.size() == 1 && got.raw == std::vector<uint16_t>(want[0].raw.begin(), want[0].raw.end()),
            "kws");
      rows.push_back({"kws frontend", "1 frame (480 samples -> 40 features)", 480, n});
    }

    fmt::print("{:<14} {:<38} {:>10} {:>14} {:>10}\n", "op", "shape", "elements", "instructions",
               "instr/elem");
    std::string json = "[\n";
    for (size_t i = 0; i < rows.size(); ++i) {
      const auto& r = rows[i];
      const double per = static_cast<double>(r.instructions) / static_cast<double>(r.elements);
      fmt::print("{:<14} {:<38} {:>10} {:>14} {:>10.1f}\n", r.op, r.shape, r.elements,
                 r.instructions, per);
      json += fmt::format(R"(  {{"op": "{}", "shape": "{}", "elements": {}, "instructions": {}}}{})",
                          r.op, r.shape, r.elements, r.instructions, i + 1 < rows.size() ? ",\n" : "\n");
    }
    json += "]\n";
    const std::string out = argc > 1 ? argv[1] : "fw_ops_bench.json";
    std::ofstream(out) << json;
    fmt::print("wrote {}\n", out);
    return 0;
  } catch (const std::exception& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 1;
  }
}

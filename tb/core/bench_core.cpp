// `tessera bench core` (see bench_core.h).
#include "tessera/core/bench_core.h"

#include <fstream>
#include <random>

#include <fmt/format.h>

#include "fw_ops_client.h"
#include "tessera/core/core_sim.h"
#include "tessera/error.h"
#include "tessera/gen/memmap.h"

namespace tsr::core {

namespace {

struct Row {
  std::string program;
  std::string what;
  uint64_t cycles = 0;
  uint64_t instret = 0;
};

std::vector<int8_t> rnd(std::mt19937_64& g, size_t n) {
  std::uniform_int_distribution<int> d(-128, 127);
  std::vector<int8_t> v(n);
  for (auto& x : v) x = static_cast<int8_t>(d(g));
  return v;
}

void check(bool ok, const std::string& what) {
  if (!ok) fail("bench core: {} differs from the golden model", what);
}

}  // namespace

int bench_core(const BenchCoreOptions& opt) {
  namespace mm = tsr::gen::memmap;
  std::vector<Row> rows;
  auto sim = CoreSim::create("default");

  // Whole programs: cycles from reset to exit.
  for (const char* name : {"crc32", "sort", "matmul"}) {
    const std::string path = fmt::format("{}/bench_{}.elf", TSR_BENCH_DIR, name);
    sim->load(iss::load_elf(path), path);
    const RunResult r = sim->run(RunOptions{});
    if (r.timeout || r.halt.cause != mm::halt_value("exit") || r.halt.code != 0) {
      fail("bench core: {} did not pass its self-check ({}, code {}): {}", path,
           mm::halt_name(r.halt.cause), r.halt.code, r.console);
    }
    rows.push_back({name, "whole program (-O2)", r.cycles, r.instret});
  }

  if (!opt.quick) {
    // Firmware ops on the core: the call's own cycles and instructions (MMIO counters).
    tsr::fw::FwResult last;
    auto prev = tsr::fw::set_runner([&](const tsr::fw::FwImage& img,
                                        const tsr::fw::EscapeRequest& req, bool count) {
      tsr::fw::EscapeRequest r2 = req;
      r2.set_flags(TSR_ESC_FLAG_COUNTERS);
      const auto bytes = img.with_io(r2.bytes());
      sim->load(iss::parse_elf(bytes, img.path()), img.path());
      RunOptions ro;
      ro.max_cycles = 500'000'000;
      const RunResult rr = sim->run(ro);
      tsr::fw::FwResult res;
      if (rr.timeout) fail("bench core: {} did not finish", img.path());
      res.exit_code = rr.halt.cause == mm::halt_value("exit") ? int(rr.halt.code & 0xff) : -1;
      tsr::fw::parse_program_output(rr.console, res);
      res.log = rr.console;
      if (count) res.op_instructions = res.instret;
      last = res;
      return res;
    });
    namespace ref = tsr::ref;
    std::mt19937_64 g(1);
    uint64_t n = 0;
    auto row = [&](const std::string& op, const std::string& what) {
      rows.push_back({op, what, last.cycles, last.instret});
    };
    {
      const auto p = ref::softmax_params(1.0 / 16);
      const auto in = rnd(g, 1000);
      check(tsr::fw::run_softmax(in, 1000, p, &n) == ref::softmax_i8(in, 1000, p), "softmax");
      row("op softmax", "1x1000");
    }
    for (int k : {1, 5}) {
      const auto in = rnd(g, 1000);
      check(tsr::fw::run_topk(in, 1000, k, &n).index == ref::top_k_i8(in, 1000, k).index, "top-k");
      row(k == 1 ? "op argmax" : "op top-k", fmt::format("1x1000 k={}", k));
    }
    {
      const auto p = ref::add_params({0.05F, 3}, {0.03F, -7}, {0.07F, 1}, ref::Activation::Relu);
      ref::QTensor a{{1, 16, 16, 8}, rnd(g, 2048), 3};
      ref::QTensor b{{1, 16, 16, 8}, rnd(g, 2048), -7};
      check(tsr::fw::run_add(a, b, p, &n) == ref::add(a, b, p).data, "add");
      row("op add", "1x16x16x8");
    }
    {
      const ref::Shape4 s{1, 8, 8, 64};
      const auto p = ref::make_pool_params(ref::Padding::Valid, s, 8, 8, 1, 1);
      ref::QTensor in{s, rnd(g, s.elements()), 0};
      check(tsr::fw::run_avgpool(in, p, &n) == ref::average_pool2d(in, p).data, "avgpool");
      row("op avgpool", "1x8x8x64 global");
    }
    {
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
      check(tsr::fw::run_nms(boxes, scores, 1, 2, boxes_n, p, &n) ==
                ref::non_max_suppression(boxes, scores, 1, 2, boxes_n, p),
            "nms");
      row("op nms", "100 boxes x 2 classes");
    }
    {
      const auto t = ref::make_kws_tables();
      const auto wav = ref::read_wav_pcm16(std::string(TSR_MODELS_DIR) + "/yes_1000ms.wav");
      const std::vector<int16_t> first(wav.samples.begin() + 4000, wav.samples.begin() + 4480);
      const auto got = tsr::fw::run_kws(t, first, &n);
      ref::KwsFrontend fe(t);
      const auto want = fe.process(first);
      check(want.size() == 1 &&
                got.raw == std::vector<uint16_t>(want[0].raw.begin(), want[0].raw.end()),
            "kws");
      row("op kws frontend", "1 frame (480 samples)");
    }
    tsr::fw::set_runner(prev);
  }

  std::string md = "| program | what | cycles | instructions | CPI |\n|---|---|---:|---:|---:|\n";
  std::string json = "[\n";
  fmt::print("{:<16} {:<26} {:>12} {:>12} {:>7}\n", "program", "what", "cycles", "instructions",
             "CPI");
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& r = rows[i];
    const double cpi = r.instret ? double(r.cycles) / double(r.instret) : 0.0;
    fmt::print("{:<16} {:<26} {:>12} {:>12} {:>7.3f}\n", r.program, r.what, r.cycles, r.instret, cpi);
    md += fmt::format("| {} | {} | {} | {} | {:.3f} |\n", r.program, r.what, r.cycles, r.instret, cpi);
    json += fmt::format(R"(  {{"program": "{}", "what": "{}", "cycles": {}, "instructions": {}, "cpi": {:.4f}}}{})",
                        r.program, r.what, r.cycles, r.instret, cpi, i + 1 < rows.size() ? ",\n" : "\n");
  }
  json += "]\n";
  if (!opt.json_path.empty()) std::ofstream(opt.json_path) << json;
  if (!opt.markdown_path.empty()) std::ofstream(opt.markdown_path) << md;
  return 0;
}

}  // namespace tsr::core

#include "tessera/top/bench_layers.h"

#include <chrono>
#include <cmath>
#include <fstream>
#include <functional>
#include <random>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "tessera/dev/program.h"
#include "tessera/error.h"
#include "tessera/ref/kernels.h"
#include "tessera/top/random_layer.h"
#include "tessera/top/top_bench.h"
#include "top_models.h"

namespace tsr::top {

namespace {

namespace ref = tsr::ref;
using dev::Program;

struct Layer {
  std::string name;
  std::string shape;
  Program program;
  ref::QTensor want;
  uint64_t macs = 0;
  uint64_t bytes = 0;  // compulsory DRAM traffic: inputs, weights, biases, output
};

struct Row {
  std::string variant, layer, shape;
  uint64_t macs = 0, bytes = 0, bound = 0, cycles = 0, dma_bytes = 0, commands = 0;
  double of_bound = 0, array_util = 0, sim_mcps = 0;
  // Share of the layer's cycles each unit was busy / stalled with a command (counters).
  double ld_busy = 0, ld_stall = 0, ex_busy = 0, ex_stall = 0, st_busy = 0, st_stall = 0;
  bool exact = false;
};


// ReLU-like activations: the distribution a layer sees after a ReLU layer.
ref::QTensor relu_tensor(std::mt19937_64& rng, ref::Shape4 s) { return random_tensor(rng, s, -128); }

ref::OutputQuant oq_for(int channels, int taps) {
  std::vector<float> fs(static_cast<size_t>(channels), 1.0F / (40.0F * std::sqrt(float(taps))));
  return ref::conv_output_quant(1.0F, fs, {1.0F, -5}, ref::Activation::Relu);
}

std::vector<int32_t> bias_for(int n) {
  std::vector<int32_t> b(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) b[static_cast<size_t>(i)] = 100 * i - 700;
  return b;
}

Layer conv(const dev::DeviceParams& dp, std::mt19937_64& rng, const std::string& name, int h, int w,
           int cin, int cout, int k, int s, int kw = 0) {
  const int kh = k;
  if (kw == 0) kw = k;
  const auto in = relu_tensor(rng, {1, h, w, cin});
  const auto f = random_tensor(rng, {cout, kh, kw, cin}, 0, -127, 127);
  const auto b = bias_for(cout);
  const auto win = ref::make_window(ref::Padding::Same, in.shape, kh, kw, s, s);
  const auto oq = oq_for(cout, kh * kw * cin);
  Layer l;
  l.name = name;
  l.shape = fmt::format("{}x{}x{} -> {}, {}x{} s{}", h, w, cin, cout, kh, kw, s);
  l.program = dev::lower_conv2d(dp, name, in, f, b, win, oq);
  l.want = ref::conv2d(in, f, b, win, oq);
  l.macs = uint64_t(win.out_h) * win.out_w * cout * kh * kw * cin;
  l.bytes = in.data.size() + f.data.size() + 4 * b.size() + l.want.data.size();
  return l;
}

Layer depthwise(const dev::DeviceParams& dp, std::mt19937_64& rng, const std::string& name, int h,
                int w, int c, int s) {
  const auto in = relu_tensor(rng, {1, h, w, c});
  const auto f = random_tensor(rng, {1, 3, 3, c}, 0, -127, 127);
  const auto b = bias_for(c);
  const auto win = ref::make_window(ref::Padding::Same, in.shape, 3, 3, s, s);
  const auto oq = oq_for(c, 9);
  Layer l;
  l.name = name;
  l.shape = fmt::format("{}x{}x{}, 3x3 s{}", h, w, c, s);
  l.program = dev::lower_depthwise_conv2d(dp, name, in, f, b, 1, win, oq);
  l.want = ref::depthwise_conv2d(in, f, b, 1, win, oq);
  l.macs = uint64_t(win.out_h) * win.out_w * c * 9;
  l.bytes = in.data.size() + f.data.size() + 4 * b.size() + l.want.data.size();
  return l;
}

Layer fc(const dev::DeviceParams& dp, std::mt19937_64& rng, int k, int o) {
  const auto in = relu_tensor(rng, {1, 1, 1, k});
  const auto f = random_tensor(rng, {o, 1, 1, k}, 0, -127, 127);
  const auto b = bias_for(o);
  const auto oq = oq_for(o, k);
  Layer l;
  l.name = "fully_connected";
  l.shape = fmt::format("{} -> {}", k, o);
  l.program = dev::lower_fully_connected(dp, "fc", in, f, b, oq);
  l.want = ref::fully_connected(in, f, b, oq);
  l.macs = uint64_t(k) * o;
  l.bytes = in.data.size() + f.data.size() + 4 * b.size() + l.want.data.size();
  return l;
}

Layer pool(const dev::DeviceParams& dp, std::mt19937_64& rng, bool avg, int h, int w, int c, int k,
           int s) {
  const auto in = relu_tensor(rng, {1, h, w, c});
  const auto pp = ref::make_pool_params(ref::Padding::Valid, in.shape, k, k, s, s);
  Layer l;
  l.name = avg ? (k == h ? "global_avg_pool" : "avg_pool") : "max_pool";
  l.shape = fmt::format("{}x{}x{}, {}x{} s{}", h, w, c, k, k, s);
  l.program = avg ? dev::lower_average_pool2d(dp, l.name, in, pp)
                  : dev::lower_max_pool2d(dp, l.name, in, pp);
  l.want = avg ? ref::average_pool2d(in, pp) : ref::max_pool2d(in, pp);
  l.bytes = in.data.size() + l.want.data.size();
  return l;
}

Layer add(const dev::DeviceParams& dp, std::mt19937_64& rng, int h, int w, int c) {
  const auto a = random_tensor(rng, {1, h, w, c}, 3);
  const auto b = random_tensor(rng, {1, h, w, c}, -7);
  const auto ap = ref::add_params({0.05F, 3}, {0.08F, -7}, {0.1F, 0}, ref::Activation::Relu);
  Layer l;
  l.name = "add";
  l.shape = fmt::format("{}x{}x{}", h, w, c);
  l.program = dev::lower_add(dp, "add", a, b, ap);
  l.want = ref::add(a, b, ap);
  l.bytes = a.data.size() + b.data.size() + l.want.data.size();
  return l;
}

dev::DeviceParams params_of(const std::string& variant) {
  const std::string path = fmt::format("{}/{}/manifest.json", TSR_GEN_DIR, variant);
  std::ifstream in(path);
  if (!in) fail("bench layers: cannot read {}", path);
  const auto j = nlohmann::json::parse(in);
  const auto& k = j.at("constants");
  const auto num = [&](const char* name) { return std::stoi(k.at(name).get<std::string>()); };
  dev::DeviceParams p;
  p.name = variant;
  p.rows = num("TSR_ARRAY_ROWS");
  p.cols = num("TSR_ARRAY_COLS");
  p.sp_row_bytes = num("TSR_SP_ROW_BYTES");
  p.sp_rows = num("TSR_SP_ROWS");
  p.sp_bank_rows = num("TSR_SP_BANK_ROWS");
  p.sp_banks = num("TSR_SP_BANKS");
  p.acc_rows = num("TSR_ACC_ROWS");
  p.acc_bank_rows = num("TSR_ACC_BANK_ROWS");
  p.bus_bytes = num("TSR_DMA_BUS_BYTES");
  if (k.contains("TSR_SKIP_ENABLE") && num("TSR_SKIP_ENABLE") != 0) p.skip_depth = num("TSR_SKIP_DEPTH");
  return p;
}

template <class V>
Row run_layer(const std::string& variant, const dev::DeviceParams& dp, const Layer& l,
              int latency, const std::string& wave) {
  tb::AxiMemory::Config mc;
  mc.base = l.program.dram_base;
  mc.size = (l.program.dram.size() + 0xFFFF) & ~uint64_t{0xFFFF};
  mc.latency_cycles = latency;
  mc.bytes_per_cycle = dp.bus_bytes;
  mc.max_outstanding = 32;
  tb::TopBench<V> bench(mc, wave);
  bench.mem().write(l.program.dram_base, l.program.dram);
  bench.set_window(l.program.window_base(), l.program.window_limit());
  const auto t0 = std::chrono::steady_clock::now();
  const uint64_t c0 = bench.cycle();
  const auto run = bench.run_list(l.program.region("commands").addr,
                                  static_cast<uint32_t>(l.program.commands.size()));
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  Row r;
  r.variant = variant;
  r.layer = l.name;
  r.shape = l.shape;
  r.macs = l.macs;
  r.bytes = l.bytes;
  r.cycles = run.cycles;
  r.commands = l.program.commands.size();
  const uint64_t compute = (l.macs + dp.rows * dp.cols - 1) / (dp.rows * dp.cols);
  const uint64_t memory = (l.bytes + dp.bus_bytes - 1) / dp.bus_bytes;
  r.bound = std::max(compute, memory);
  r.of_bound = run.cycles ? double(r.bound) / double(run.cycles) : 0.0;
  r.array_util = run.cycles ? double(l.macs) / (double(run.cycles) * dp.rows * dp.cols) : 0.0;
  r.dma_bytes = run.counter(TSR_CNT_DMA_RD_BYTES) + run.counter(TSR_CNT_DMA_WR_BYTES);
  const auto share = [&](int c) { return run.cycles ? double(run.counter(c)) / run.cycles : 0.0; };
  r.ld_busy = share(TSR_CNT_LD_BUSY);
  r.ld_stall = share(TSR_CNT_LD_STALL);
  r.ex_busy = share(TSR_CNT_EX_BUSY);
  r.ex_stall = share(TSR_CNT_EX_STALL);
  r.st_busy = share(TSR_CNT_ST_BUSY);
  r.st_stall = share(TSR_CNT_ST_STALL);
  r.sim_mcps = secs > 0 ? double(bench.cycle() - c0) / secs / 1e6 : 0.0;
  if (run.done) {
    const auto& out = l.program.region("output");
    const auto got = dev::output_from_bytes(l.program, bench.mem().read(out.addr, out.size));
    r.exact = got.data == l.want.data && got.shape == l.want.shape;
  }
  return r;
}

using Runner = std::function<Row(const std::string&, const dev::DeviceParams&, const Layer&, int,
                                  const std::string&)>;

Runner runner_for(const std::string& variant) {
#define TSR_X(v) \
  if (variant == #v) return &run_layer<Vtop_##v>;
  TSR_TOP_MODELS(TSR_X)
#undef TSR_X
  std::string names;
  for (const auto& n : top_variants()) names += (names.empty() ? "" : ", ") + n;
  fail("bench layers: no accelerator model for variant '{}'; built: {}", variant, names);
}

}  // namespace

std::vector<std::string> top_variants() {
  std::vector<std::string> v;
#define TSR_X(n) v.push_back(#n);
  TSR_TOP_MODELS(TSR_X)
#undef TSR_X
  return v;
}

int bench_layers(const BenchLayersOptions& opt) {
  std::vector<std::string> variants = opt.variants;
  if (variants.empty()) variants = {"default"};
  std::vector<Row> rows;
  bool all_ok = true;
  for (const auto& v : variants) {
    const Runner run = runner_for(v);
    const dev::DeviceParams dp = params_of(v);
    std::mt19937_64 rng(12345);
    const int q = opt.quick ? 2 : 1;  // quick: halve the spatial sizes
    std::vector<Layer> layers;
    layers.push_back(conv(dp, rng, "conv3x3", 32 / q, 32 / q, 16, 16, 3, 1));
    layers.push_back(conv(dp, rng, "conv3x3", 16 / q, 16 / q, 32, 32, 3, 1));
    layers.push_back(conv(dp, rng, "conv3x3_s2", 32 / q, 32 / q, 16, 32, 3, 2));
    layers.push_back(conv(dp, rng, "conv3x3_first", 32 / q, 32 / q, 3, 16, 3, 1));
    layers.push_back(conv(dp, rng, "conv10x4_first", 49 / q, 10, 1, 64, 10, 2, 4));  // KWS
    layers.push_back(conv(dp, rng, "conv1x1", 24 / q, 24 / q, 64, 64, 1, 1));
    layers.push_back(conv(dp, rng, "conv1x1", 16 / q, 16 / q, 32, 64, 1, 2));
    layers.push_back(depthwise(dp, rng, "depthwise3x3", 24 / q, 24 / q, 64, 1));
    layers.push_back(depthwise(dp, rng, "depthwise3x3", 25 / q, 5, 64, 1));
    layers.push_back(depthwise(dp, rng, "depthwise3x3_s2", 24 / q, 24 / q, 32, 2));
    layers.push_back(fc(dp, rng, 256, 64));
    layers.push_back(pool(dp, rng, true, 8, 8, 64, 8, 1));
    layers.push_back(pool(dp, rng, false, 16 / q, 16 / q, 32, 2, 2));
    layers.push_back(add(dp, rng, 16 / q, 16 / q, 32));
    for (const auto& l : layers) {
      if (!opt.only.empty() && (l.name + " " + l.shape).find(opt.only) == std::string::npos) {
        continue;
      }
      if (opt.disassemble) {
        fmt::print("-- {} {} ({} commands)\n", l.name, l.shape, l.program.commands.size());
        for (const auto& c : l.program.commands) fmt::print("   {}\n", dev::disassemble(c));
      }
      Row r = run(v, dp, l, opt.latency, opt.wave);
      all_ok = all_ok && r.exact;
      rows.push_back(r);
    }
  }
  std::string md = fmt::format(
      "| variant | layer | shape | MACs | DRAM bytes | bound (cycles) | cycles | % of bound | "
      "array util | DMA bytes moved | bit-exact |\n|---|---|---|---:|---:|---:|---:|---:|---:|---:|"
      "---|\n");
  for (const auto& r : rows) {
    md += fmt::format("| {} | {} | {} | {} | {} | {} | {} | {:.1f} % | {:.1f} % | {} | {} |\n",
                      r.variant, r.layer, r.shape, r.macs, r.bytes, r.bound, r.cycles,
                      100.0 * r.of_bound, 100.0 * r.array_util, r.dma_bytes,
                      r.exact ? "yes" : "NO");
  }
  md += "\nUnit activity (performance counters, share of the layer's cycles: busy / stalled with a "
        "command):\n\n| variant | layer | shape | load | execute | store | commands |\n"
        "|---|---|---|---|---|---|---:|\n";
  for (const auto& r : rows) {
    md += fmt::format("| {} | {} | {} | {:.0f} / {:.0f} % | {:.0f} / {:.0f} % | {:.0f} / {:.0f} % | "
                      "{} |\n",
                      r.variant, r.layer, r.shape, 100 * r.ld_busy, 100 * r.ld_stall,
                      100 * r.ex_busy, 100 * r.ex_stall, 100 * r.st_busy, 100 * r.st_stall,
                      r.commands);
  }
  fmt::print("tessera bench layers: memory model {} cycles latency, bus-width bytes per cycle\n\n{}",
             opt.latency, md);
  if (!opt.markdown_path.empty()) {
    std::ofstream(opt.markdown_path) << md;
  }
  if (!opt.json_path.empty()) {
    nlohmann::json j = nlohmann::json::array();
    for (const auto& r : rows) {
      j.push_back({{"variant", r.variant}, {"layer", r.layer}, {"shape", r.shape},
                   {"macs", r.macs}, {"bytes", r.bytes}, {"bound", r.bound},
                   {"cycles", r.cycles}, {"of_bound", r.of_bound},
                   {"array_util", r.array_util}, {"dma_bytes", r.dma_bytes},
                   {"bit_exact", r.exact}, {"sim_mcycles_per_s", r.sim_mcps}});
    }
    std::ofstream(opt.json_path) << j.dump(2) << "\n";
  }
  if (!all_ok) fmt::print("\nbench layers: a layer was NOT bit-exact or did not finish\n");
  return all_ok ? 0 : 1;
}

}  // namespace tsr::top

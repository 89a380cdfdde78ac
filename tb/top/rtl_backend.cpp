#include "tessera/top/rtl_backend.h"

#include <algorithm>
#include <chrono>
#include <fstream>

#include <fmt/format.h>

#include "tessera/driver/io.h"
#include "tessera/driver/tflite.h"
#include "tessera/error.h"
#include "tessera/top/bench_layers.h"
#include "tessera/top/top_bench.h"
#include "top_models.h"

namespace tsr::top {

namespace {

template <class V>
class RtlBackend : public drv::Backend {
 public:
  RtlBackend(std::string variant, std::string trace, int latency)
      : variant_(std::move(variant)), trace_(std::move(trace)), latency_(latency) {}
  std::string name() const override { return "rtl"; }
  bool has_cycles() const override { return true; }
  void load(const drv::CompiledNet& net) override {
    tb::AxiMemory::Config mc;
    mc.base = net.dram_base;
    mc.size = (net.dram.size() + 0xFFFF) & ~uint64_t{0xFFFF};
    mc.latency_cycles = latency_;
    mc.bytes_per_cycle = net.dp.bus_bytes;
    mc.max_outstanding = 32;
    bench_ = std::make_unique<tb::TopBench<V>>(mc, trace_);
    bench_->mem().write(net.dram_base, net.dram);
    bench_->set_window(net.window_base(), net.window_limit());
    if (net.firmware) bench_->load_core(*net.firmware);  // the escape core's service image
  }
  bool loads_firmware() const override { return true; }
  void write(uint64_t addr, std::span<const uint8_t> bytes) override { bench().mem().write(addr, bytes); }
  std::vector<uint8_t> read(uint64_t addr, uint64_t n) override { return bench().mem().read(addr, n); }
  drv::SegmentRun run(const drv::CompiledNet& net, size_t first, size_t count, const std::string& what) override {
    tb::TopRun r;
    try {
      r = bench().run_list(net.cmd_addr + 32 * first, static_cast<uint32_t>(count));
    } catch (const Error& e) {
      fail("rtl '{}', layer {}: {}", variant_, what, e.what());
    }
    if (r.error || !r.done) {
      fail("rtl '{}', layer {}: accelerator error code {} in unit {} at command {} of the segment", variant_, what,
           r.err_code, r.err_unit, r.err_cmd);
    }
    drv::SegmentRun s;
    s.cycles = r.cycles;
    s.dma_rd_bytes = r.counter(TSR_CNT_DMA_RD_BYTES);
    s.dma_wr_bytes = r.counter(TSR_CNT_DMA_WR_BYTES);
    s.core_instret = r.counter(TSR_CNT_ESC_INSTRET);
    s.array_macs = r.counter(TSR_CNT_ARRAY_MACS);
    s.skip_steps = r.counter(TSR_CNT_SKIP_CYCLES);
    s.gated_macs = r.counter(TSR_CNT_GATED_MACS);
    s.array_cycles = r.counter(TSR_CNT_ARRAY_CYCLES);
    return s;
  }

 private:
  tb::TopBench<V>& bench() {
    if (!bench_) fail("rtl backend: no network loaded");
    return *bench_;
  }
  std::string variant_, trace_;
  int latency_;
  std::unique_ptr<tb::TopBench<V>> bench_;
};

}  // namespace

std::unique_ptr<drv::Backend> make_rtl_backend(const std::string& variant, const std::string& trace, int latency) {
#define TSR_X(v) \
  if (variant == #v) return std::make_unique<RtlBackend<Vtop_##v>>(variant, trace, latency);
  TSR_TOP_MODELS(TSR_X)
#undef TSR_X
  std::string names;
  for (const auto& n : top_variants()) names += (names.empty() ? "" : ", ") + n;
  fail("rtl backend: no verilated accelerator for variant '{}'; built: {}", variant, names);
}

drv::VariantInfo top_variant_info(const std::string& variant) {
  bool known = false;
  for (const auto& n : top_variants()) known = known || n == variant;
  if (!known) make_rtl_backend(variant);  // throws with the list of variants
  return drv::variant_from_manifest(fmt::format("{}/{}/manifest.json", TSR_GEN_DIR, variant));
}

drv::RtlFactory rtl_factory() {
  drv::RtlFactory f;
  f.make = [](const std::string& v, const std::string& trace) { return make_rtl_backend(v, trace); };
  f.params = [](const std::string& v) { return top_variant_info(v).dp; };
  f.clock_mhz = [](const std::string& v) { return top_variant_info(v).clock_mhz; };
  return f;
}

int bench_nets(const BenchNetsOptions& opt) {
  struct Net {
    std::string key, file, input, label;
    uint64_t gap9;  // GAP9 + NE16 cycles per inference (the reference figures)
  };
  std::vector<Net> nets = {{"ic_resnet8", "ic_resnet8_int8.tflite", "", "IC (ResNet-8)", 228000},
                           {"kws_dscnn", "kws_dscnn_int8.tflite", "", "KWS (DS-CNN)", 176000},
                           {"person_detect", "person_detect.tflite", "person.bmp", "VWW (person_detect)", 415000}};
  if (!opt.nets.empty()) {
    std::vector<Net> sel;
    for (const auto& k : opt.nets) {
      bool found = false;
      for (const auto& n : nets) {
        if (n.key == k) {
          sel.push_back(n);
          found = true;
        }
      }
      if (!found) fail("bench nets: unknown network '{}' (ic_resnet8, kws_dscnn, person_detect)", k);
    }
    nets = sel;
  }
  const auto vi = top_variant_info(opt.variant);
  std::string md = fmt::format(
      "| network | MACs | cycles / inference | latency at {} MHz | array util | DMA bytes | GAP9+NE16 cycles | "
      "ratio | of which on the escape core | bit-exact (every layer) | sim wall time |\n"
      "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|\n",
      vi.clock_mhz);
  bool ok = true;
  for (const auto& n : nets) {
    const drv::Graph g = drv::load_tflite(std::string(TSR_MODELS_DIR) + "/" + n.file);
    std::vector<int8_t> in;
    if (!n.input.empty()) {
      in = drv::read_input(std::string(TSR_MODELS_DIR) + "/" + n.input, g.input());
    } else {
      in.resize(g.input().elements());
      uint32_t s = 12345;
      for (auto& b : in) b = static_cast<int8_t>((s = s * 1664525U + 1013904223U) >> 24);
    }
    const drv::Values want = drv::interpret(g, in);
    drv::CompileOptions co;  // SOFTMAX on the escape core when the build has its firmware
    co.firmware = drv::firmware_for("");
    const drv::CompiledNet net = drv::compile(g, vi.dp, co);
    auto be = make_rtl_backend(opt.variant);
    drv::RunOptions ro;
    ro.oracle = &want;
    const auto t0 = std::chrono::steady_clock::now();
    const drv::NetResult r = drv::run_network(net, *be, in, ro);
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    uint64_t macs = 0, dma = 0, core_cycles = 0;
    for (const auto& lr : r.layers) {
      macs += net.layers[lr.layer].macs;
      dma += lr.run.dma_rd_bytes + lr.run.dma_wr_bytes;
      if (net.layers[lr.layer].placement == drv::Placement::Core) core_cycles += lr.run.cycles;
    }
    const double util = r.cycles ? double(macs) / (double(r.cycles) * vi.dp.rows * vi.dp.cols) : 0.0;
    ok = ok && r.exact;
    fmt::print("{}: {} cycles, {:.1f} s wall, {}\n", n.key, r.cycles, secs, r.exact ? "bit-exact" : r.first_mismatch);
    fmt::print("{}\n", drv::profile_table(net, r, vi.clock_mhz, true));
    md += fmt::format("| {} | {} | {} | {:.1f} us | {:.1f} % | {} | {} | {:.2f} | {} | {} | {:.1f} s |\n", n.label,
                      macs, r.cycles, double(r.cycles) / vi.clock_mhz, 100.0 * util, dma, n.gap9,
                      double(r.cycles) / double(n.gap9), core_cycles, r.exact ? "yes" : "NO", secs);
  }
  fmt::print("tessera bench nets on '{}' ({}x{}, {} B/cycle, memory latency 64 cycles)\n\n{}", vi.dp.name, vi.dp.rows,
             vi.dp.cols, vi.dp.bus_bytes, md);
  if (!opt.markdown_path.empty()) std::ofstream(opt.markdown_path) << md;
  return ok ? 0 : 1;
}

}  // namespace tsr::top

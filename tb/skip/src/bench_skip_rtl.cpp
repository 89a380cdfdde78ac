// `tessera bench skip-rtl`: zero skipping on the whole verilated accelerator with real activations
// (docs/skip.md). Each network runs three times on the RTL: on a dense variant, on a zero-skip
// variant with MATMUL.skip clear and with it set. Every layer is checked bit-exact against the
// interpreter; the tables give the cycles of every layer on the array and the skip counters.
#include "tessera/skip/bench_skip_rtl.h"

#include <fmt/format.h>

#include <fstream>
#include <string>
#include <vector>

#include "tessera/driver/compile.h"
#include "tessera/driver/interp.h"
#include "tessera/driver/io.h"
#include "tessera/driver/runtime.h"
#include "tessera/driver/tflite.h"
#include "tessera/error.h"
#include "tessera/skip/study.h"
#include "tessera/top/rtl_backend.h"

namespace tsr::skip {

namespace {

struct NetRun {
  drv::CompiledNet net;
  drv::NetResult result;
};

NetRun run_once(const drv::Graph& g, const std::vector<int8_t>& in, const drv::Values& want,
                const std::string& variant, bool skip) {
  drv::VariantInfo vi = top::top_variant_info(variant);
  vi.dp.skip = skip;
  drv::CompileOptions co;  // SOFTMAX on the host: the bench is about the array layers
  drv::CompiledNet net = drv::compile(g, vi.dp, co);
  auto be = top::make_rtl_backend(variant);
  drv::RunOptions ro;
  ro.oracle = &want;
  drv::NetResult r = drv::run_network(net, *be, in, ro);
  return {std::move(net), std::move(r)};
}

}  // namespace

int bench_skip_rtl(const BenchSkipRtlOptions& opt) {
  const std::string models = std::string(TSR_MODELS_DIR);
  struct Net {
    std::string key, file, label;
  };
  std::vector<Net> nets;
  for (const auto& k : opt.nets) {
    if (k == "ic_resnet8") {
      nets.push_back({k, "ic_resnet8_int8.tflite", "ResNet-8 (person.bmp as a 32x32x3 image)"});
    } else if (k == "person_detect") {
      nets.push_back({k, "person_detect.tflite", "person_detect (person.bmp)"});
    } else {
      fail("bench skip-rtl: unknown network '{}' (ic_resnet8, person_detect)", k);
    }
  }
  const auto vs = top::top_variant_info(opt.variant);
  if (vs.dp.skip_depth == 0) fail("bench skip-rtl: variant '{}' has no zero-skip array", opt.variant);
  std::string md = fmt::format(
      "Zero skipping on the RTL: `{}` ({}x{}, skip depth {}) with MATMUL.skip off and on, and the dense "
      "`{}`; cycles of each array layer (its whole command segment), every layer bit-exact.\n\n",
      opt.variant, vs.dp.rows, vs.dp.cols, vs.dp.skip_depth, opt.dense_variant);
  bool ok = true;
  for (const auto& n : nets) {
    const std::string path = models + "/" + n.file;
    const drv::Graph g = drv::load_tflite(path);
    const std::vector<int8_t> in = n.key == "ic_resnet8"
                                       ? cifar_like_input(path, models + "/person.bmp")
                                       : drv::read_input(models + "/person.bmp", g.input());
    const drv::Values want = drv::interpret(g, in);
    const NetRun dense = run_once(g, in, want, opt.dense_variant, true);
    const NetRun off = run_once(g, in, want, opt.variant, false);
    const NetRun on = run_once(g, in, want, opt.variant, true);
    for (const NetRun* r : {&dense, &off, &on}) {
      if (!r->result.exact) {
        ok = false;
        fmt::print("{}: NOT bit-exact: {}\n", n.key, r->result.first_mismatch);
      }
    }
    md += fmt::format("### {}\n\n| layer | MACs | dense `{}` | skip off | skip on | on vs off | on vs dense | "
                      "row-steps skipped | MACs gated (on) |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n",
                      n.label, opt.dense_variant);
    uint64_t cd = 0, cf = 0, cn = 0, sk = 0, st = 0, ga = 0;
    for (size_t i = 0; i < on.result.layers.size(); ++i) {
      const auto& lo = on.result.layers[i];
      const drv::Layer& L = on.net.layers[lo.layer];
      if (L.placement != drv::Placement::Array) continue;
      // The three compiled nets place the same layers (same graph, same array shape).
      const auto find = [&](const NetRun& r) -> uint64_t {
        for (const auto& x : r.result.layers)
          if (x.layer == lo.layer) return x.run.cycles;
        return 0;
      };
      const uint64_t d = find(dense), f = find(off), c = lo.run.cycles;
      const uint64_t steps = lo.run.array_macs / static_cast<uint64_t>(vs.dp.cols);
      cd += d;
      cf += f;
      cn += c;
      sk += lo.run.skip_steps;
      st += steps;
      ga += lo.run.gated_macs;
      md += fmt::format("| {} | {} | {} | {} | {} | {:.2f} | {:.2f} | {:.1f} % | {} |\n", L.name, L.macs, d, f, c,
                        c ? double(f) / double(c) : 0.0, c ? double(d) / double(c) : 0.0,
                        steps ? 100.0 * double(lo.run.skip_steps) / double(steps) : 0.0, lo.run.gated_macs);
    }
    md += fmt::format("| **array layers** | | **{}** | **{}** | **{}** | **{:.2f}** | **{:.2f}** | **{:.1f} %** | {} |\n",
                      cd, cf, cn, cn ? double(cf) / double(cn) : 0.0, cn ? double(cd) / double(cn) : 0.0,
                      st ? 100.0 * double(sk) / double(st) : 0.0, ga);
    md += fmt::format("| whole network | | {} | {} | {} | {:.2f} | {:.2f} | | |\n\n", dense.result.cycles,
                      off.result.cycles, on.result.cycles,
                      on.result.cycles ? double(off.result.cycles) / double(on.result.cycles) : 0.0,
                      on.result.cycles ? double(dense.result.cycles) / double(on.result.cycles) : 0.0);
  }
  fmt::print("{}", md);
  if (!opt.markdown_path.empty()) std::ofstream(opt.markdown_path) << md;
  return ok ? 0 : 1;
}

}  // namespace tsr::skip

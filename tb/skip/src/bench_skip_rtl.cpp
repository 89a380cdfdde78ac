// `tessera bench skip-rtl`: zero skipping on the whole verilated accelerator with real activations
// (docs/skip.md). Each network runs three times on the RTL: on a dense variant, on a zero-skip
// variant with MATMUL.skip clear and with it set, and (unless --no-balance) once more with it set
// on the row-balanced graph (drv::balance_rows, densities from no_person.bmp, not the evaluated
// image). Every layer is checked bit-exact against the interpreter (of the balanced graph for the
// balanced run, whose graph outputs equal the original's); the tables give the cycles of every
// layer on the array and the skip counters.
#include "tessera/skip/bench_skip_rtl.h"

#include <fmt/format.h>

#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "tessera/driver/balance.h"
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
      "Zero skipping on the RTL: `{}` ({}x{}, skip depth {}) with MATMUL.skip off and on (and on with the rows "
      "balanced), and the dense `{}`; cycles of each array layer (its whole command segment), every layer "
      "bit-exact. Skip columns: the balanced run's when there is one.\n\n",
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
    // Balanced: calibration densities from the other image.
    std::optional<drv::BalancedGraph> bg;
    std::optional<drv::Values> bwant;
    std::optional<NetRun> bal;
    if (opt.balance) {
      const std::vector<int8_t> cal = n.key == "ic_resnet8" ? cifar_like_input(path, models + "/no_person.bmp")
                                                            : drv::read_input(models + "/no_person.bmp", g.input());
      bg = drv::balance_rows(g, cal, vs.dp);
      bwant = drv::interpret(bg->graph, in);
      if (bwant->t.at(static_cast<size_t>(g.outputs[0])) != want.t.at(static_cast<size_t>(g.outputs[0]))) {
        ok = false;
        fmt::print("{}: the balanced graph's output differs from the original's: NOT bit-exact\n", n.key);
      }
      bal.emplace(run_once(bg->graph, in, *bwant, opt.variant, true));
    }
    for (const NetRun* r : std::initializer_list<const NetRun*>{&dense, &off, &on, bal ? &*bal : nullptr}) {
      if (r && !r->result.exact) {
        ok = false;
        fmt::print("{}: NOT bit-exact: {}\n", n.key, r->result.first_mismatch);
      }
    }
    const std::string bcols = bal ? " skip on, balanced | balanced vs dense |" : "";
    md += fmt::format("### {}\n\n{}\n\n| layer | MACs | dense `{}` | skip off | skip on | on vs off | on vs dense |{} "
                      "row-steps skipped | MACs gated (on) |\n|---|---:|---:|---:|---:|---:|---:|{}---:|---:|\n",
                      n.label, bg ? "Balanced run: " + bg->summary() + " (calibration: no_person.bmp)." : "Rows not balanced.",
                      opt.dense_variant, bcols, bal ? "---:|---:|" : "");
    const auto find = [](const NetRun& r, size_t layer) -> const drv::LayerResult* {
      for (const auto& x : r.result.layers)
        if (x.layer == layer) return &x;
      return nullptr;
    };
    uint64_t cd = 0, cf = 0, cn = 0, cb = 0, sk = 0, st = 0, ga = 0;
    // Array cycles (ARRAY_CYCLES): the cycles in which the array computed, per layer; sums over the
    // array layers and over the conv layers.
    std::string arr = fmt::format(
        "Array cycles (`ARRAY_CYCLES`: dense array, cycles an activation vector enters; skip array, cycles in "
        "which a row issues a step):\n\n| layer | dense `{}` | skip off | skip on |{} {} vs dense |\n"
        "|---|---:|---:|---:|{}---:|\n",
        opt.dense_variant, bal ? " skip on, balanced |" : "", bal ? "balanced" : "on", bal ? "---:|" : "");
    uint64_t ad[2] = {0, 0}, af[2] = {0, 0}, an[2] = {0, 0}, ab[2] = {0, 0};  // [conv only, all]
    for (size_t i = 0; i < on.result.layers.size(); ++i) {
      const auto& lo = on.result.layers[i];
      const drv::Layer& L = on.net.layers[lo.layer];
      if (L.placement != drv::Placement::Array) continue;
      // The compiled nets place the same layers (same graph shape, same array shape). The skip
      // columns are the balanced run's when there is one.
      const auto* ld = find(dense, lo.layer);
      const auto* lf = find(off, lo.layer);
      const auto* lb = bal ? find(*bal, lo.layer) : nullptr;
      const auto& ls = lb ? *lb : lo;
      const uint64_t d = ld ? ld->run.cycles : 0, f = lf ? lf->run.cycles : 0, c = lo.run.cycles;
      const uint64_t b = lb ? lb->run.cycles : 0;
      const uint64_t steps = ls.run.array_macs / static_cast<uint64_t>(vs.dp.cols);
      cd += d;
      cf += f;
      cn += c;
      cb += b;
      sk += ls.run.skip_steps;
      st += steps;
      ga += ls.run.gated_macs;
      {
        const uint64_t xd = ld ? ld->run.array_cycles : 0, xf = lf ? lf->run.array_cycles : 0;
        const uint64_t xn = lo.run.array_cycles, xb = lb ? lb->run.array_cycles : 0, xs = lb ? xb : xn;
        const bool conv = L.name.find("CONV") != std::string::npos;
        for (int k = conv ? 0 : 1; k < 2; ++k) {
          ad[k] += xd;
          af[k] += xf;
          an[k] += xn;
          ab[k] += xs;
        }
        arr += fmt::format("| {} | {} | {} | {} |{} {:.2f} |\n", L.name, xd, xf, xn,
                           bal ? fmt::format(" {} |", xb) : "", xs ? double(xd) / double(xs) : 0.0);
      }
      md += fmt::format("| {} | {} | {} | {} | {} | {:.2f} | {:.2f} |{} {:.1f} % | {} |\n", L.name, L.macs, d, f, c,
                        c ? double(f) / double(c) : 0.0, c ? double(d) / double(c) : 0.0,
                        bal ? fmt::format(" {} | {:.2f} |", b, b ? double(d) / double(b) : 0.0) : "",
                        steps ? 100.0 * double(ls.run.skip_steps) / double(steps) : 0.0, ls.run.gated_macs);
    }
    md += fmt::format("| **array layers** | | **{}** | **{}** | **{}** | **{:.2f}** | **{:.2f}** |{} **{:.1f} %** | {} |\n",
                      cd, cf, cn, cn ? double(cf) / double(cn) : 0.0, cn ? double(cd) / double(cn) : 0.0,
                      bal ? fmt::format(" **{}** | **{:.2f}** |", cb, cb ? double(cd) / double(cb) : 0.0) : "",
                      st ? 100.0 * double(sk) / double(st) : 0.0, ga);
    md += fmt::format("| whole network | | {} | {} | {} | {:.2f} | {:.2f} |{} | |\n\n", dense.result.cycles,
                      off.result.cycles, on.result.cycles,
                      on.result.cycles ? double(off.result.cycles) / double(on.result.cycles) : 0.0,
                      on.result.cycles ? double(dense.result.cycles) / double(on.result.cycles) : 0.0,
                      bal ? fmt::format(" {} | {:.2f} |", bal->result.cycles,
                                        double(dense.result.cycles) / double(std::max<uint64_t>(1, bal->result.cycles)))
                          : "");
    for (int k = 0; k < 2; ++k) {
      arr += fmt::format("| **{}** | **{}** | **{}** | **{}** |{} **{:.2f}** |\n", k ? "array layers" : "conv layers",
                         ad[k], af[k], an[k], bal ? fmt::format(" **{}** |", ab[k]) : "",
                         ab[k] ? double(ad[k]) / double(ab[k]) : 0.0);
    }
    md += arr + "\n";
  }
  fmt::print("{}", md);
  if (!opt.markdown_path.empty()) std::ofstream(opt.markdown_path) << md;
  return ok ? 0 : 1;
}

}  // namespace tsr::skip

#include "tessera/skip/bench_skip.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "tessera/driver/io.h"
#include "tessera/driver/tflite.h"
#include "tessera/error.h"
#include "tessera/ref/gemm.h"
#include "tessera/sim/array_sim.h"
#include "tessera/sim/gemm_runner.h"
#include "tessera/skip/model.h"
#include "tessera/skip/study.h"
#ifdef TSR_SKIP_WITH_SYNTH
#include "tessera/synth/synth.h"
#endif

namespace tsr::skip {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

namespace {

struct Gemm {
  std::vector<int8_t> a, b;
  int m = 0, n = 0, k = 0;
  int8_t zp = 0;
};

// Activations equal to zp with probability `percent`, else random values != zp; random weights.
Gemm sparse_gemm(int m, int n, int k, int percent, int8_t zp, std::mt19937_64& rng) {
  Gemm g{std::vector<int8_t>(static_cast<size_t>(m) * k), std::vector<int8_t>(static_cast<size_t>(k) * n),
         m, n, k, zp};
  std::uniform_int_distribution<int> full(-128, 127), pct(0, 99);
  for (auto& x : g.a) {
    if (pct(rng) < percent) {
      x = zp;
    } else {
      do x = static_cast<int8_t>(full(rng)); while (x == zp);
    }
  }
  for (auto& x : g.b) x = static_cast<int8_t>(full(rng));
  return g;
}

// Runs g on a fresh simulator of `variant`; throws unless the result is bit-exact.
sim::GemmStats run_checked(const std::string& variant, const Gemm& g, bool skip,
                           const std::string& trace = "") {
  // toggle traces start from zeros, so both builds count the same power-up flips (none)
  auto s = sim::make_array_sim(variant, {1, trace, !trace.empty()});
  s->reset();
  sim::GemmOptions opt;
  opt.skip = skip;
  opt.a_zp = s->info().skip_depth > 0 ? g.zp : int8_t{0};
  sim::GemmStats st;
  const auto got = sim::run_gemm(*s, g.a, g.b, g.m, g.n, g.k, opt, &st);
  s->close_trace();
  if (got != ref::gemm_i8(g.a, g.b, g.m, g.n, g.k, opt.a_zp)) {
    fail("bench skip: variant {} (skip {}) differs from the golden model on a {}x{}x{} GEMM", variant,
         skip, g.m, g.n, g.k);
  }
  return st;
}

// ---- toggle counting from an FST trace (fst2vcd) ------------------------------------------------

struct Toggles {
  uint64_t operands = 0;  // multiplier inputs: a_i (the operand) and w_sel (the selected weight)
  uint64_t products = 0;  // prod
  uint64_t psums = 0;     // psum FIFO entries (ent_q) and the adder output (sum)
  uint64_t total() const { return operands + products + psums; }
};

Toggles count_toggles(const std::string& fst) {
  FILE* p = popen(("fst2vcd '" + fst + "' 2>/dev/null").c_str(), "r");
  if (p == nullptr) fail("bench skip: cannot run fst2vcd on {}", fst);
  enum Kind { None, Operand, Product, Psum };
  std::map<std::string, Kind> kind;  // VCD id -> what it is (first matching alias wins)
  std::map<std::string, std::string> value;
  std::vector<std::string> scope;
  Toggles t;
  bool body = false;
  char buf[1 << 16];
  auto classify = [&](const std::string& name) {
    bool in_pe = false;
    for (const auto& s : scope) in_pe |= s.rfind("u_pe_", 0) == 0;
    if (!in_pe) return None;
    if (name == "a_i" || name == "w_sel") return Operand;
    if (name == "prod") return Product;
    if (name == "sum" || name == "ent_q") return Psum;  // ent_q: a psum FIFO entry (g_ent[i])
    return None;
  };
  auto flips = [](const std::string& a, const std::string& b) {
    uint64_t n = 0;
    const size_t w = std::max(a.size(), b.size());
    for (size_t i = 0; i < w; ++i) {
      const char x = i < w - a.size() ? '0' : a[i - (w - a.size())];
      const char y = i < w - b.size() ? '0' : b[i - (w - b.size())];
      n += (x == '1') != (y == '1');
    }
    return n;
  };
  while (fgets(buf, sizeof buf, p) != nullptr) {
    std::string line(buf);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    if (line.empty()) continue;
    if (!body) {
      std::istringstream in(line);
      std::string tok;
      in >> tok;
      if (tok == "$scope") {
        std::string k2, name;
        in >> k2 >> name;
        scope.push_back(name);
      } else if (tok == "$upscope") {
        if (!scope.empty()) scope.pop_back();
      } else if (tok == "$var") {
        std::string type, width, id, name;
        in >> type >> width >> id >> name;
        const Kind k = classify(name);
        auto it = kind.find(id);
        if (it == kind.end() || it->second == None) kind[id] = k;
      } else if (tok == "$enddefinitions") {
        body = true;
      }
      continue;
    }
    std::string id, v;
    if (line[0] == 'b' || line[0] == 'B') {
      const auto sp = line.find(' ');
      if (sp == std::string::npos) continue;
      v = line.substr(1, sp - 1);
      id = line.substr(sp + 1);
    } else if (line[0] == '0' || line[0] == '1' || line[0] == 'x' || line[0] == 'z') {
      v = line.substr(0, 1);
      id = line.substr(1);
    } else {
      continue;
    }
    auto k = kind.find(id);
    if (k == kind.end() || k->second == None) continue;
    auto old = value.find(id);
    if (old != value.end()) {
      const uint64_t f = flips(old->second, v);
      (k->second == Operand ? t.operands : k->second == Product ? t.products : t.psums) += f;
      old->second = v;
    } else {
      value[id] = v;  // the first value: no toggle
    }
  }
  pclose(p);
  if (t.total() == 0) fail("bench skip: no PE datapath signals found in the trace {}", fst);
  return t;
}

std::string svg_plot(const std::vector<int>& xs, const std::vector<std::pair<std::string, std::vector<double>>>& lines,
                     const std::string& title, const std::string& ylabel) {
  const int W = 640, H = 400, L = 60, Rm = 170, T = 40, B = 50;
  double ymax = 1.0;
  for (const auto& [n, ys] : lines) for (double y : ys) ymax = std::max(ymax, y);
  ymax = std::ceil(ymax * 2) / 2;
  const auto X = [&](double x) { return L + (W - L - Rm) * x / 100.0; };
  const auto Y = [&](double y) { return H - B - (H - T - B) * y / ymax; };
  std::string s = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" font-family=\"sans-serif\" "
      "font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      "<text x=\"{}\" y=\"20\" font-size=\"14\">{}</text>\n",
      W, H, L, title);
  for (double y = 0; y <= ymax + 1e-9; y += 0.5) {
    s += fmt::format("<line x1=\"{}\" y1=\"{:.1f}\" x2=\"{}\" y2=\"{:.1f}\" stroke=\"#ddd\"/>"
                     "<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\">{:.1f}</text>\n",
                     L, Y(y), W - Rm, Y(y), L - 5, Y(y) + 4, y);
  }
  for (int x : xs) {
    s += fmt::format("<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n", X(x), H - B + 16, x);
  }
  s += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">activation sparsity (% equal to the zero point)</text>\n",
                   (L + W - Rm) / 2, H - 12);
  s += fmt::format("<text x=\"14\" y=\"{}\" transform=\"rotate(-90 14 {})\" text-anchor=\"middle\">{}</text>\n",
                   (T + H - B) / 2, (T + H - B) / 2, ylabel);
  const char* colors[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"};
  int i = 0;
  for (const auto& [name, ys] : lines) {
    std::string pts;
    for (size_t j = 0; j < xs.size() && j < ys.size(); ++j) pts += fmt::format("{:.1f},{:.1f} ", X(xs[j]), Y(ys[j]));
    const char* col = colors[i % 5];
    s += fmt::format("<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"2\" points=\"{}\"/>\n", col, pts);
    s += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\" stroke-width=\"2\"/>"
                     "<text x=\"{}\" y=\"{}\">{}</text>\n",
                     W - Rm + 10, T + 20 * i, W - Rm + 30, T + 20 * i, col, W - Rm + 35, T + 20 * i + 4, name);
    ++i;
  }
  return s + "</svg>\n";
}

}  // namespace

int bench_skip(const BenchSkipOptions& opt) {
  if (opt.out_dir.empty()) fail("bench skip: --out is required");
  fs::create_directories(opt.out_dir);
  const std::string models = opt.models_dir.empty() ? std::string(TSR_MODELS_DIR) : opt.models_dir;
  std::string md = "# tessera bench skip\n\n";
  json j;
  auto out = [&](const std::string& s) {
    fmt::print("{}", s);
    md += s;
  };

  // ---- 1. RTL cycles over sparsity ---------------------------------------------------------------
  const auto info = sim::make_array_sim(opt.variant)->info();
  const auto dinfo = sim::make_array_sim(opt.dense_variant)->info();
  if (info.skip_depth == 0) fail("bench skip: variant {} is not a skip variant", opt.variant);
  if (dinfo.skip_depth != 0 || dinfo.rows != info.rows || dinfo.cols != info.cols) {
    fail("bench skip: {} must be a dense variant of the same size as {}", opt.dense_variant, opt.variant);
  }
  const int R = info.rows, C = info.cols, D = info.skip_depth;
  const int m = opt.quick ? 2 * R : 16 * R, k = 2 * D * R, n = C;
  out(fmt::format("## 1. Array cycles vs. activation sparsity (RTL, {}x{}, D = {}, psum FIFO {}, row FIFO {})\n\n"
                  "GEMM {}x{}x{} (M x N x K: two K tiles of D*R), zero point -128, zeros i.i.d.; "
                  "`{}` with skipping on and off, `{}` (dense array). Every run bit-exact.\n\n",
                  R, C, D, info.skip_psum_fifo, info.skip_row_fifo, m, n, k, opt.variant, opt.dense_variant));
  out("| sparsity % | dense array | skip array, skip off | skip array, skip on | speedup vs dense | model | "
      "bound D/E[max(1,nnz)] | row-steps skipped | MACs gated |\n|---|---|---|---|---|---|---|---|---|\n");
  std::vector<int> xs;
  std::vector<double> sp_rtl, sp_model, sp_bound;
  json sweep = json::array();
  std::mt19937_64 rng(2024);
  ElasticParams ep{R, D, info.skip_psum_fifo, info.skip_row_fifo};
  for (int pct = 0; pct <= 90; pct += 10) {
    const Gemm g = sparse_gemm(m, n, k, pct, -128, rng);
    const auto on = run_checked(opt.variant, g, true);
    const auto off = run_checked(opt.variant, g, false);
    const auto dense = run_checked(opt.dense_variant, g, false);
    // The model over the same beats: two tiles back to back.
    std::vector<uint8_t> nz;
    for (int t = 0; t < 2; ++t) {
      for (int i = 0; i < m; ++i) {
        for (int l = 0; l < D * R; ++l) nz.push_back(g.a[static_cast<size_t>(i) * k + t * D * R + l] != g.zp);
      }
    }
    const uint64_t model_on = elastic_cycles(ep, row_steps(nz, 2 * m, R, D, true), 2 * m);
    const uint64_t model_off = elastic_cycles(ep, row_steps(nz, 2 * m, R, D, false), 2 * m);
    const double s = pct / 100.0;
    const double bound = D / (D * (1 - s) + std::pow(s, D));
    const double speed = static_cast<double>(dense.cycles) / on.cycles;
    // The model counts compute cycles only; add the RTL's fixed part (dense run minus its model).
    const double model_speed = static_cast<double>(dense.cycles) /
                               (static_cast<double>(model_on) + static_cast<double>(off.cycles) - model_off);
    xs.push_back(pct);
    sp_rtl.push_back(speed);
    sp_model.push_back(model_speed);
    sp_bound.push_back(bound);
    out(fmt::format("| {} | {} | {} | {} | {:.3f} | {:.3f} | {:.3f} | {} | {} |\n", pct, dense.cycles,
                    off.cycles, on.cycles, speed, model_speed, bound, on.counters.skipped, on.counters.gated));
    sweep.push_back({{"sparsity", pct}, {"dense_cycles", dense.cycles}, {"skip_off_cycles", off.cycles},
                     {"skip_on_cycles", on.cycles}, {"speedup", speed}, {"model_speedup", model_speed},
                     {"bound", bound}, {"skipped", on.counters.skipped}, {"gated", on.counters.gated}});
  }
  j["sweep"] = {{"variant", opt.variant}, {"dense_variant", opt.dense_variant}, {"m", m}, {"n", n},
                {"k", k}, {"points", sweep}};
  const std::string svg = (fs::path(opt.out_dir) / "skip_sweep.svg").string();
  {
    std::ofstream o(svg);
    o << svg_plot(xs, {{"RTL (skip array)", sp_rtl}, {"cycle model", sp_model}, {"bound", sp_bound}},
                  fmt::format("Zero skip: speedup over the dense {}x{} array (D = {})", R, C, D),
                  "array cycles, dense / skip");
    if (!o) fail("bench skip: cannot write {}", svg);
  }
  out(fmt::format("\nPlot: {}\n\n", svg));

  // ---- 2. toggles ---------------------------------------------------------------------------------
  {
    const auto tv = sim::make_array_sim(opt.toggle_variant)->info();
    const auto tb = sim::make_array_sim(opt.toggle_baseline)->info();
    if (!tv.skip_gate || tb.skip_depth == 0 || tb.skip_gate || tv.rows != tb.rows || tv.cols != tb.cols ||
        tv.skip_depth != tb.skip_depth) {
      fail("bench skip: toggle variants {} (gated) and {} (not gated) must be skip variants of one shape",
           opt.toggle_variant, opt.toggle_baseline);
    }
    const int tm = opt.quick ? 2 * tv.rows : 8 * tv.rows, tk = 2 * tv.skip_depth * tv.rows, tn = tv.cols;
    out(fmt::format("## 2. Datapath toggles (Verilator FST traces, `{}` gated vs `{}` not gated)\n\n"
                    "GEMM {}x{}x{}, bit flips summed over all PEs: multiplier operands (a_i, w_sel), "
                    "products (prod), psum entries and adder output (ent_q, sum).\n\n",
                    opt.toggle_variant, opt.toggle_baseline, tm, tn, tk));
    out("| sparsity % | skipping | operands gated / not | products gated / not | psums gated / not | total "
        "reduction |\n|---|---|---|---|---|---|\n");
    json tj = json::array();
    for (int pct : {50, 80}) {
      const Gemm g = sparse_gemm(tm, tn, tk, pct, -128, rng);
      for (bool skip : {false, true}) {
        Toggles t[2];
        for (int v = 0; v < 2; ++v) {
          const std::string name = v == 0 ? opt.toggle_variant : opt.toggle_baseline;
          const std::string fst = (fs::path(opt.out_dir) / fmt::format("toggle_{}_{}_{}.fst", name, pct, skip)).string();
          run_checked(name, g, skip, fst);
          t[v] = count_toggles(fst);
          fs::remove(fst);
        }
        const double red = 100.0 * (1.0 - static_cast<double>(t[0].total()) / static_cast<double>(t[1].total()));
        out(fmt::format("| {} | {} | {} / {} | {} / {} | {} / {} | {:.1f}% |\n", pct, skip ? "on" : "off",
                        t[0].operands, t[1].operands, t[0].products, t[1].products, t[0].psums, t[1].psums, red));
        tj.push_back({{"sparsity", pct}, {"skip", skip},
                      {"gated", {{"operands", t[0].operands}, {"products", t[0].products}, {"psums", t[0].psums}}},
                      {"not_gated", {{"operands", t[1].operands}, {"products", t[1].products}, {"psums", t[1].psums}}},
                      {"reduction_percent", red}});
      }
    }
    j["toggles"] = tj;
    out("\n");
  }

  // ---- 3. area ------------------------------------------------------------------------------------
#ifdef TSR_SKIP_WITH_SYNTH
  if (opt.synth && !opt.quick) {
    const std::string preset = std::string(TSR_SRC_DIR) + "/gen/configs/" + opt.area_preset + ".toml";
    struct Point {
      std::string name;
      std::vector<std::string> sets;
    };
    const std::vector<Point> points = {
        {"dense", {}},
        {"skip_d2", {"skip.enable=true", "skip.depth=2", "skip.psum_fifo=2", "skip.row_fifo=16"}},
        {"skip_d4", {"skip.enable=true", "skip.depth=4", "skip.psum_fifo=2", "skip.row_fifo=16"}},
        {"skip_d4_nogate", {"skip.enable=true", "skip.depth=4", "skip.psum_fifo=2", "skip.row_fifo=16",
                            "skip.gate=false"}},
    };
    out(fmt::format("## 3. Area (tessera synth, Yosys + Nangate45, preset `{}`, tsr_array)\n\n", opt.area_preset));
    out("| array | area um^2 | PEs um^2 | controller um^2 | overhead vs dense | Fmax MHz |\n|---|---|---|---|---|---|\n");
    json aj = json::array();
    double base = 0;
    for (const auto& pt : points) {
      std::vector<std::string> sets = pt.sets;
      sets.push_back("name=" + opt.area_preset + "_" + pt.name);
      const std::string dir = (fs::path(opt.out_dir) / "synth" / pt.name).string();
      synth::Options so;
      so.variant_dir = synth::generate_variant(preset, sets, dir);
      so.out_dir = dir;
      so.ref_mac = false;
      const auto res = synth::run_synth(so);
      const double area = res.design.area_um2.value_or(0);
      double pe = 0, ctrl = 0;
      for (const auto& grp : res.design.groups) {
        if (grp.module.rfind("tsr_pe_", 0) == 0) pe += grp.area_um2.value_or(0);
        if (grp.module.find("ctrl") != std::string::npos) ctrl += grp.area_um2.value_or(0);
      }
      if (pt.name == "dense") base = area;
      const double over = base > 0 ? 100.0 * (area / base - 1.0) : 0.0;
      const double fmax = res.timing ? res.timing->fmax_mhz() : 0.0;
      out(fmt::format("| {} | {:.0f} | {:.0f} | {:.0f} | {:+.1f}% | {:.0f} |\n", pt.name, area, pe, ctrl, over, fmax));
      aj.push_back({{"array", pt.name}, {"area_um2", area}, {"pe_area_um2", pe}, {"ctrl_area_um2", ctrl},
                    {"overhead_percent", over}, {"fmax_mhz", fmax}});
    }
    j["area"] = aj;
    out("\n");
  }
#endif

  // ---- 4. real activations ------------------------------------------------------------------------
  {
    struct Net {
      std::string name;
      std::vector<LayerStream> eval, calib;
    };
    std::vector<Net> nets;
    const std::string rn = models + "/ic_resnet8_int8.tflite", pd = models + "/person_detect.tflite";
    nets.push_back({"ResNet-8 (person.bmp as 32x32x3; rows balanced on no_person.bmp)",
                    conv_streams(rn, cifar_like_input(rn, models + "/person.bmp")),
                    conv_streams(rn, cifar_like_input(rn, models + "/no_person.bmp"))});
    {
      const auto g = drv::load_tflite(pd);
      nets.push_back({"person_detect (person.bmp; rows balanced on no_person.bmp)",
                      conv_streams(pd, drv::read_input(models + "/person.bmp", g.input())),
                      conv_streams(pd, drv::read_input(models + "/no_person.bmp", g.input()))});
    }
    const ElasticParams chosen{16, 4, 2, 16};
    out("## 4. Real activations (cycle model of the RTL, 16x16 array, CONV_2D layers)\n\n"
        "Per layer: array cycles of the dense array and speedups of the schemes, for the chosen "
        "configuration D = 4, psum FIFO 2, row FIFO 16 with rows balanced (K permuted by "
        "calibration density). vector = skip all-zero 16-lane vectors; sync = D per row, rows in lock "
        "step; elastic = this design; row bound = the busiest row's steps; non-zero bound = no zero "
        "costs anything.\n\n");
    json nj = json::array();
    for (const auto& net : nets) {
      out(fmt::format("### {}\n\n| layer | shape | K | zero % | dense cycles | vector | sync | elastic | "
                      "elastic unbalanced | row bound | non-zero bound |\n|---|---|---|---|---|---|---|---|---|---|---|\n",
                      net.name));
      uint64_t tot[7] = {0, 0, 0, 0, 0, 0, 0};
      json lj = json::array();
      for (size_t i = 0; i < net.eval.size(); ++i) {
        const auto& l = net.eval[i];
        const auto b = layer_cycles(l, chosen, k_density(net.calib[i]));
        const auto u = layer_cycles(l, chosen);
        const uint64_t nt = static_cast<uint64_t>((l.cout + 15) / 16);
        const uint64_t v[7] = {b.dense, b.vector_skip, b.sync, b.elastic, u.elastic, b.row_bound, b.nonzero};
        for (int q = 0; q < 7; ++q) tot[q] += v[q] * nt;
        const auto x = [&](uint64_t c) { return static_cast<double>(b.dense) / static_cast<double>(c); };
        out(fmt::format("| {} | {} | {} | {:.0f} | {} | {:.2f} | {:.2f} | {:.2f} | {:.2f} | {:.2f} | {:.2f} |\n",
                        l.label, l.shape, l.k, 100 * l.zero_share, b.dense * nt, x(b.vector_skip), x(b.sync),
                        x(b.elastic), x(u.elastic), x(b.row_bound), x(b.nonzero)));
        lj.push_back({{"layer", l.label}, {"shape", l.shape}, {"k", l.k}, {"zero_share", l.zero_share},
                      {"dense_cycles", b.dense * nt}, {"elastic_cycles", b.elastic * nt},
                      {"elastic_unbalanced_cycles", u.elastic * nt}, {"speedup", x(b.elastic)}});
      }
      const auto x = [&](uint64_t c) { return static_cast<double>(tot[0]) / static_cast<double>(c); };
      out(fmt::format("| **network** | | | | {} | {:.2f} | {:.2f} | **{:.2f}** | {:.2f} | {:.2f} | {:.2f} |\n\n",
                      tot[0], x(tot[1]), x(tot[2]), x(tot[3]), x(tot[4]), x(tot[5]), x(tot[6])));
      // Network speedup over the design space.
      out("| D | psum FIFO | row FIFO | elastic, balanced | elastic, K order |\n|---|---|---|---|---|\n");
      json sj = json::array();
      const std::vector<int> depths = opt.quick ? std::vector<int>{2, 4} : std::vector<int>{2, 4, 8};
      for (int d : depths) {
        for (int f : {2, 4}) {
          for (int in : {16, 64}) {
            if (opt.quick && (f != 2 || in != 16)) continue;
            const ElasticParams p{16, d, f, in};
            uint64_t den = 0, bal = 0, unb = 0;
            for (size_t i = 0; i < net.eval.size(); ++i) {
              const auto& l = net.eval[i];
              const uint64_t nt = static_cast<uint64_t>((l.cout + 15) / 16);
              const auto b = layer_cycles(l, p, k_density(net.calib[i]));
              den += b.dense * nt;
              bal += b.elastic * nt;
              unb += layer_cycles(l, p).elastic * nt;
            }
            const double sb = static_cast<double>(den) / bal, su = static_cast<double>(den) / unb;
            out(fmt::format("| {} | {} | {} | {:.3f} | {:.3f} |\n", d, f, in, sb, su));
            sj.push_back({{"depth", d}, {"psum_fifo", f}, {"row_fifo", in}, {"balanced", sb}, {"unbalanced", su}});
          }
        }
      }
      out("\n");
      nj.push_back({{"network", net.name}, {"layers", lj}, {"dense_cycles", tot[0]}, {"elastic_cycles", tot[3]},
                    {"speedup", x(tot[3])}, {"design_space", sj}});
    }
    j["networks"] = nj;
  }

  const std::string mdp = (fs::path(opt.out_dir) / "bench_skip.md").string();
  const std::string jp = (fs::path(opt.out_dir) / "bench_skip.json").string();
  std::ofstream(mdp) << md;
  std::ofstream(jp) << j.dump(2) << "\n";
  fmt::print("tessera: wrote {}, {} and {}\n", mdp, jp, svg);
  return 0;
}

}  // namespace tsr::skip

#include "tessera/synth/sweep.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdio>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "tessera/error.h"
#include "tessera/synth/report.h"
#include "tessera/synth/synth.h"

namespace tsr::synth {

namespace {

void write_file(const std::filesystem::path& p, const std::string& text) {
  std::ofstream o(p, std::ios::binary);
  o << text;
  if (!o) fail("sweep: cannot write '{}'", p.string());
}

// Three line charts side by side against the array size (log2 axis): the total (area, LUT+FF or
// cells), the array's metric per MAC, and Fmax (nangate45). One series per dataflow + options.
std::string svg_plot(const std::vector<SweepPoint>& pts, const std::string& metric, bool timing) {
  const int panel_w = 380, panel_h = 300, pad = 70;
  const int panels = timing ? 3 : 2;
  std::string s = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" font-family=\"sans-serif\" "
      "font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n",
      panels * (panel_w + pad) + pad, panel_h + 2 * pad);
  std::vector<int> sizes;
  std::vector<std::string> series;
  for (const auto& p : pts) {
    if (!p.error.empty()) continue;
    if (std::find(sizes.begin(), sizes.end(), p.rows) == sizes.end()) sizes.push_back(p.rows);
    if (std::find(series.begin(), series.end(), p.series) == series.end()) series.push_back(p.series);
  }
  if (sizes.empty()) return s + "</svg>\n";
  std::sort(sizes.begin(), sizes.end());
  const double lo = std::log2(sizes.front()), hi = std::max(lo + 1, std::log2(sizes.back()));
  const char* colors[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"};
  const bool area = metric == "area_um2";
  for (int panel = 0; panel < panels; ++panel) {
    auto value = [&](const SweepPoint& p) {
      if (panel == 0) return area ? p.total / 1e6 : p.total;
      if (panel == 1) return p.metric_array / (p.rows * p.cols);
      return p.fmax_mhz;
    };
    const std::string title =
        panel == 0   ? (area ? std::string("total area (mm^2)")
                             : "total " + metric)
        : panel == 1 ? "array " + metric + " per MAC"
                     : std::string("Fmax (MHz)");
    double vmax = 0;
    for (const auto& p : pts) {
      if (p.error.empty()) vmax = std::max(vmax, value(p));
    }
    vmax = vmax > 0 ? vmax * 1.1 : 1;
    const int x0 = pad + panel * (panel_w + pad), y0 = pad;
    s += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"black\"/>\n",
                     x0, y0, panel_w, panel_h);
    s += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"13\">{}</text>\n",
                     x0 + panel_w / 2, y0 - 20, title);
    for (int t = 0; t <= 4; ++t) {
      const double v = vmax * t / 4;
      const int y = y0 + panel_h - static_cast<int>(panel_h * t / 4.0);
      s += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n", x0 - 5, y + 4,
                       vmax < 10 ? fmt::format("{:.3g}", v) : fmt::format("{:.0f}", v));
    }
    auto xpos = [&](int size) {
      return x0 + static_cast<int>(panel_w * (std::log2(size) - lo) / (hi - lo) * 0.9 + panel_w * 0.05);
    };
    for (int sz : sizes) {
      s += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}x{}</text>\n", xpos(sz),
                       y0 + panel_h + 18, sz, sz);
    }
    for (std::size_t k = 0; k < series.size(); ++k) {
      const char* color = colors[k % 6];
      std::string path;
      for (const auto& p : pts) {
        if (p.series != series[k] || !p.error.empty()) continue;
        const int x = xpos(p.rows);
        const int y = y0 + panel_h - static_cast<int>(panel_h * value(p) / vmax);
        path += fmt::format("{}{},{} ", path.empty() ? "M" : "L", x, y);
        s += fmt::format("<circle cx=\"{}\" cy=\"{}\" r=\"3\" fill=\"{}\"/>\n", x, y, color);
      }
      if (!path.empty()) {
        s += fmt::format("<path d=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\"/>\n", path, color);
        s += fmt::format("<text x=\"{}\" y=\"{}\" fill=\"{}\">{}</text>\n", x0 + 10,
                         y0 + 16 + 14 * static_cast<int>(k), color, series[k]);
      }
    }
  }
  return s + "</svg>\n";
}

}  // namespace

std::vector<SweepPoint> run_sweep(const SweepOptions& opt) {
  if (opt.sizes.empty()) fail("sweep: --sizes is empty");
  for (int s : opt.sizes) {
    if (s < 1 || s > 64) fail("sweep: size {} is outside 1..64", s);
  }
  for (const auto& d : opt.dataflows) {
    if (d != "ws" && d != "os") fail("sweep: dataflow '{}' is not ws or os", d);
  }
  if (opt.jobs < 1) fail("sweep: --jobs must be at least 1");
  if (opt.scope != "array" && opt.scope != "top") {
    fail("sweep: --scope '{}' is not array or top", opt.scope);
  }
  for (const auto& [key, values] : opt.vary) {
    if (key.empty() || values.empty()) fail("sweep: --vary needs KEY=V1,V2,...");
    if (key == "array.rows" || key == "array.cols" || key == "array.dataflow" || key == "name") {
      fail("sweep: --vary {} is set by the sweep itself (use --sizes / --dataflows)", key);
    }
  }
  // Every combination of the --vary values, in order.
  std::vector<std::vector<std::pair<std::string, std::string>>> combos = {{}};
  for (const auto& [key, values] : opt.vary) {
    std::vector<std::vector<std::pair<std::string, std::string>>> next;
    for (const auto& c : combos) {
      for (const auto& v : values) {
        auto d = c;
        d.emplace_back(key, v);
        next.push_back(std::move(d));
      }
    }
    combos = std::move(next);
  }
  std::vector<SweepPoint> pts;
  for (const auto& df : opt.dataflows) {
    for (const auto& combo : combos) {
      for (int s : opt.sizes) {
        SweepPoint p;
        p.rows = p.cols = s;
        p.dataflow = df;
        p.options = combo;
        p.name = fmt::format("{}_{}x{}", df, s, s);
        p.series = df;
        for (const auto& [k, v] : combo) {
          std::string tag = k + "-" + v;
          for (char& ch : tag) {
            if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '-') ch = '_';
          }
          p.name += "_" + tag;
          p.series += " " + k + "=" + v;
        }
        pts.push_back(p);
      }
    }
  }
  std::filesystem::create_directories(opt.out_dir);
  std::atomic<size_t> next{0};
  std::mutex print_mutex;
  auto worker = [&] {
    for (size_t i = next++; i < pts.size(); i = next++) {
      SweepPoint& p = pts[i];
      const std::string dir = (std::filesystem::path(opt.out_dir) / p.name).string();
      try {
        std::vector<std::string> sets = opt.sets;
        for (const auto& [k, v] : p.options) sets.push_back(k + "=" + v);
        sets.push_back(fmt::format("name=sweep_{}_{}", p.dataflow, p.rows));
        sets.push_back(fmt::format("array.rows={}", p.rows));
        sets.push_back(fmt::format("array.cols={}", p.cols));
        sets.push_back("array.dataflow=" + p.dataflow);
        Options so;
        so.variant_dir = generate_variant(opt.config_path, sets, dir);
        so.out_dir = dir;
        so.target = opt.target;
        so.liberty = opt.liberty;
        so.command = "tessera sweep";
        // OS variants have no accelerator top yet: array scope.
        so.scope = opt.scope == "top" && p.dataflow == "ws" ? "top" : "array";
        const SynthResult r = run_synth(so);
        p.scope = r.scope;
        const Metric m = pe_metric(r);
        p.metric = m.name;
        p.metric_array = m.array;
        p.metric_pe = m.pe;
        p.metric_mac = m.mac;
        p.fmax_mhz = r.timing ? r.timing->fmax_mhz() : 0;
        auto metric_of = [&](const DesignStats& d) -> double {
          if (m.name == "area_um2") return d.area_um2.value_or(0.0);
          if (m.name == "LUT+FF") {
            double v = 0;
            for (const char* cls : {"LUT", "FF"}) {
              if (const auto it = d.resources.find(cls); it != d.resources.end()) v += static_cast<double>(it->second);
            }
            return v;
          }
          return static_cast<double>(d.cells);
        };
        const bool area = m.name == "area_um2";
        p.total = metric_of(r.design) + (area ? r.macro_area_um2 : 0.0);
        if (r.core) p.core = metric_of(r.core->design) + (area ? r.core->macro_area_um2 : 0.0);
        p.total += p.core;
      } catch (const std::exception& e) {
        p.error = e.what();
      }
      std::lock_guard<std::mutex> lock(print_mutex);
      fmt::print("sweep: {} {}\n", p.name, p.error.empty() ? "done" : "FAILED: " + p.error);
      std::fflush(stdout);
    }
  };
  std::vector<std::thread> threads;
  for (int j = 0; j < std::min<int>(opt.jobs, static_cast<int>(pts.size())); ++j) threads.emplace_back(worker);
  for (auto& t : threads) t.join();

  std::string csv =
      "dataflow,options,rows,cols,scope,metric,total,core,array,per_mac,pe,mac,pe_over_mac,fmax_mhz,error\n";
  std::string md =
      "| dataflow | options | array | scope | metric | total | core | array | array per MAC | "
      "PE / lone MAC | Fmax (MHz) |\n|---|---|---|---|---|---:|---:|---:|---:|---:|---:|\n";
  bool timing = false;
  std::string metric;
  for (const auto& p : pts) {
    std::string opts;
    for (const auto& [k, v] : p.options) opts += (opts.empty() ? "" : " ") + k + "=" + v;
    const double per_mac = p.metric_array / (p.rows * p.cols);
    const double ratio = p.metric_mac > 0 ? p.metric_pe / p.metric_mac : 0;
    timing = timing || p.fmax_mhz > 0;
    if (metric.empty() && p.error.empty()) metric = p.metric;
    std::string err = p.error;
    for (char& ch : err) {
      if (ch == '"' || ch == '\n') ch = '\'';
    }
    csv += fmt::format("{},\"{}\",{},{},{},{},{:.1f},{:.1f},{:.1f},{:.2f},{:.2f},{:.2f},{:.3f},{:.0f},\"{}\"\n",
                       p.dataflow, opts, p.rows, p.cols, p.scope, p.metric, p.total, p.core,
                       p.metric_array, per_mac, p.metric_pe, p.metric_mac, ratio, p.fmax_mhz, err);
    if (p.error.empty()) {
      md += fmt::format("| {} | {} | {}x{} | {} | {} | {:.1f} | {:.1f} | {:.1f} | {:.1f} | {:.3f} | {} |\n",
                        p.dataflow, opts.empty() ? "-" : opts, p.rows, p.cols, p.scope, p.metric,
                        p.total, p.core, p.metric_array, per_mac, ratio,
                        p.fmax_mhz > 0 ? fmt::format("{:.0f}", p.fmax_mhz) : "-");
    } else {
      md += fmt::format("| {} | {} | {}x{} | | failed: {} | | | | | | |\n", p.dataflow,
                        opts.empty() ? "-" : opts, p.rows, p.cols, err);
    }
  }
  const std::filesystem::path out(opt.out_dir);
  write_file(out / "sweep.csv", csv);
  write_file(out / "sweep.md", md);
  write_file(out / "sweep.svg", svg_plot(pts, metric, timing));
  fmt::print("{}", md);
  fmt::print("sweep: wrote {}, {} and {}\n", (out / "sweep.csv").string(), (out / "sweep.md").string(),
             (out / "sweep.svg").string());
  return pts;
}

}  // namespace tsr::synth

// report.json and report.md of `tessera synth`.
#include "tessera/synth/report.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "tessera/gen/emit.h"
#include "tessera/synth/synth.h"

namespace tsr::synth {

namespace {

using nlohmann::json;

constexpr double kPeRatioTarget = 1.25;  // PE array area / (R*C lone MACs), the project's target
constexpr double kCoreTargetKge = 20.0;  // escape core, standard cells without its memories

json opt_num(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

// The PE module: tsr_pe_ws / tsr_pe_os, or the zero-skip PE tsr_pe_ws_skip when the variant uses it.
std::string pe_module(const SynthResult& r) {
  const std::string plain = "tsr_pe_" + r.variant.dataflow;
  if (r.design.group(plain) == nullptr && r.design.group(plain + "_skip") != nullptr) return plain + "_skip";
  return plain;
}

}  // namespace

Metric pe_metric(const SynthResult& r) {
  Metric m;
  if (!r.ref_design) return m;
  const ModuleGroup* pe = r.design.group(pe_module(r));
  if (pe == nullptr || pe->instances == 0) return m;
  const ModuleGroup* mac = r.ref_design->group("tsr_ref_mac");
  if (mac == nullptr) return m;
  const double n = static_cast<double>(pe->instances);
  // The whole array: the design itself (scope array) or its PE and array blocks (scope top).
  bool have_area = r.design.area_um2.has_value();
  double array_area_v = r.design.area_um2.value_or(0.0);
  std::map<std::string, long> array_res = r.design.resources;
  long array_cells = r.design.cells;
  if (!r.blocks.empty()) {
    have_area = false;
    array_area_v = 0;
    array_res.clear();
    array_cells = 0;
    for (const auto& b : r.blocks) {
      if (b.key != "pe" && b.key != "array") continue;
      if (b.area_um2) {
        have_area = true;
        array_area_v += *b.area_um2;
      }
      for (const auto& [k, v] : b.resources) array_res[k] += v;
      array_cells += b.cells;
    }
  }
  const std::optional<double> array_area =
      have_area ? std::optional<double>(array_area_v) : std::nullopt;
  // One PE with what it instantiates (its clock gates, array.clock_gate).
  if (pe->subtree_area_um2 && r.ref_design->area_um2 && array_area) {
    m = {"area_um2", *pe->subtree_area_um2 / n, *r.ref_design->area_um2, *array_area, true};
  } else if (r.target == Target::Ice40 || r.target == Target::Ecp5) {
    // LUTs alone can be 0 for the MAC (ECP5 puts it all in a DSP, carry cells and flops).
    auto get = [](const std::map<std::string, long>& res) {
      double v = 0;
      for (const char* cls : {"LUT", "FF"}) {
        const auto it = res.find(cls);
        if (it != res.end()) v += static_cast<double>(it->second);
      }
      return v;
    };
    m = {"LUT+FF", get(pe->subtree_resources) / n, get(r.ref_design->resources), get(array_res), true};
  } else {
    m = {"cells", static_cast<double>(pe->subtree_cells) / n, static_cast<double>(r.ref_design->cells),
         static_cast<double>(array_cells), true};
  }
  m.ok = m.mac > 0;
  return m;
}

namespace {

std::string instance_module(const DesignStats& d, const std::string& inst) {
  const auto it = d.instance_modules.find(inst);
  if (it == d.instance_modules.end()) return "";
  for (const auto& m : d.modules) {
    if (m.name == it->second) return m.label;
  }
  return it->second;
}

json path_json(const std::optional<TimingPath>& p, const DesignStats& d) {
  if (!p) return nullptr;
  json segs = json::array();
  int cells = 0;
  for (const auto& s : p->segments()) {
    segs.push_back({{"instance", s.instance},
                    {"module", instance_module(d, s.instance)},
                    {"cells", s.cells},
                    {"delay_ns", s.delay_ns}});
    cells += s.cells;
  }
  json pts = json::array();
  for (const auto& pt : p->points) {
    pts.push_back({{"pin", pt.pin},
                   {"cell", pt.cell},
                   {"edge", std::string(1, pt.edge)},
                   {"incr_ns", pt.incr_ns},
                   {"time_ns", pt.time_ns}});
  }
  return {{"startpoint", p->startpoint}, {"start_kind", p->start_kind},
          {"endpoint", p->endpoint},     {"end_kind", p->end_kind},
          {"arrival_ns", p->arrival_ns}, {"required_ns", p->required_ns},
          {"setup_ns", p->setup_ns},     {"slack_ns", p->slack_ns},
          {"cycles", p->cycles},         {"fmax_mhz", p->fmax_mhz},     {"cells", cells},
          {"segments", segs},            {"points", pts}};
}

json timing_json(const std::optional<TimingReport>& t, const DesignStats& d) {
  if (!t) return nullptr;
  json nets = json::array();
  for (const auto& n : t->buffered_nets) {
    nets.push_back({{"net", n.net}, {"loads", n.loads}, {"levels", n.levels}});
  }
  return {{"clock_mhz", 1000.0 / t->period_ns},
          {"period_ns", t->period_ns},
          {"io_delay_ns", t->io_delay_ns},
          {"wns_ns", t->wns_ns},
          {"tns_ns", t->tns_ns},
          {"worst_slack_ns", t->worst ? json(t->worst->slack_ns) : json(nullptr)},
          {"fmax_mhz", t->fmax_mhz()},
          {"meets_clock", t->worst ? json(t->worst->slack_ns >= 0) : json(nullptr)},
          {"paths",
           {{"worst", path_json(t->worst, d)},
            {"reg2reg", path_json(t->reg2reg, d)},
            {"from_inputs", path_json(t->from_inputs, d)},
            {"to_outputs", path_json(t->to_outputs, d)},
            {"core_internal", path_json(t->core_internal, d)},
            {"core_out", path_json(t->core_out, d)},
            {"core_in", path_json(t->core_in, d)}}},
          {"core_clk_div", t->core_clk_div},
          {"core_clock_mhz", t->core_clk_div > 1 ? json(t->fmax_mhz() / t->core_clk_div) : json(nullptr)},
          {"buffer_trees",
           {{"cell", t->buffer_cell},
            {"max_fanout", t->max_fanout},
            {"buffers", t->buffers},
            {"area_um2", t->buffer_area_um2},
            {"nets", nets}}}};
}

json design_json(const DesignStats& d, const std::optional<double>& kge_um2) {
  auto kge = [&](const std::optional<double>& a) -> json {
    return (a && kge_um2) ? json(*a / *kge_um2) : json(nullptr);
  };
  json groups = json::object();
  for (const auto& g : d.groups) {
    json jg = {{"derivations", g.derivations},
               {"instances", g.instances},
               {"cells", g.cells},
               {"resources", g.resources},
               {"area_um2", opt_num(g.area_um2)},
               {"area_kge", kge(g.area_um2)},
               {"transistors", g.transistors ? json(*g.transistors) : json(nullptr)}};
    if (g.area_um2 && g.instances > 0) {
      jg["area_per_instance_um2"] = *g.area_um2 / static_cast<double>(g.instances);
    }
    // with the submodules it instantiates (a PE with its clock gates)
    jg["subtree_cells"] = g.subtree_cells;
    jg["subtree_area_um2"] = opt_num(g.subtree_area_um2);
    if (g.subtree_area_um2 && g.instances > 0) {
      jg["subtree_area_per_instance_um2"] = *g.subtree_area_um2 / static_cast<double>(g.instances);
    }
    if (g.area_um2 && d.area_um2 && *d.area_um2 > 0) jg["area_share"] = *g.area_um2 / *d.area_um2;
    groups[g.module] = jg;
  }
  json derivs = json::array();
  for (const auto& m : d.modules) {
    derivs.push_back({{"name", m.name},
                      {"module", m.module},
                      {"label", m.label},
                      {"params", m.params},
                      {"instances", m.instances},
                      {"cells", m.cells},
                      {"cell_types", m.cell_types},
                      {"area_um2", opt_num(m.area_um2)},
                      {"transistors", m.transistors ? json(*m.transistors) : json(nullptr)}});
  }
  return {{"top", d.top},
          {"cells", d.cells},
          {"yosys_cells", d.yosys_cells ? json(*d.yosys_cells) : json(nullptr)},
          {"cell_types", d.cell_types},
          {"resources", d.resources},
          {"area_um2", opt_num(d.area_um2)},
          {"area_kge", kge(d.area_um2)},
          {"transistors", d.transistors ? json(*d.transistors) : json(nullptr)},
          {"modules", groups},
          {"derivations", derivs}};
}

json srams_json(const std::vector<SramInstance>& srams) {
  json a = json::array();
  for (const auto& m : srams) {
    a.push_back({{"instance", m.path},
                 {"width", m.width},
                 {"depth", m.depth},
                 {"bits", m.bits()},
                 {"kib", static_cast<double>(m.bits()) / 8192.0},
                 {"mapped_as", m.macro ? "macro" : "flops"},
                 {"cell", m.macro ? json(m.cell) : json(nullptr)},
                 {"model_area_um2", m.macro ? json(m.model_area_um2) : json(nullptr)}});
  }
  return a;
}

json blocks_json(const std::vector<BlockRow>& blocks, const std::optional<double>& kge_um2,
                 const std::optional<double>& total) {
  json a = json::array();
  for (const auto& b : blocks) {
    json jb = {{"key", b.key},
               {"name", b.name},
               {"modules", b.modules},
               {"instances", b.instances},
               {"cells", b.cells},
               {"resources", b.resources},
               {"area_um2", opt_num(b.area_um2)},
               {"area_kge", (b.area_um2 && kge_um2) ? json(*b.area_um2 / *kge_um2) : json(nullptr)},
               {"transistors", b.transistors ? json(*b.transistors) : json(nullptr)}};
    if (b.area_um2 && total && *total > 0) jb["area_share"] = *b.area_um2 / *total;
    a.push_back(jb);
  }
  return a;
}

// ---- markdown ----

std::string num(double v, int digits) { return fmt::format("{:.{}f}", v, digits); }

std::string kge_text(const std::optional<double>& area, const std::optional<double>& kge_um2) {
  return (area && kge_um2) ? num(*area / *kge_um2, 2) : "-";
}

std::string kind_arrow(const TimingPath& p) {
  return fmt::format("{} -> {}", p.start_kind, p.end_kind);
}

void area_table(std::string& md, const SynthResult& r, const DesignStats& d) {
  const bool fpga = r.target == Target::Ice40 || r.target == Target::Ecp5;
  if (r.target == Target::Nangate45) {
    md += "| module | derivations | instances | cells | um^2 per instance | um^2 total | kGE | share |\n";
    md += "|---|---:|---:|---:|---:|---:|---:|---:|\n";
    for (const auto& g : d.groups) {
      const double area = g.area_um2.value_or(0.0);
      md += fmt::format("| `{}` | {} | {} | {} | {} | {} | {} | {} |\n", g.module, g.derivations,
                        g.instances, g.cells,
                        g.instances ? num(area / static_cast<double>(g.instances), 1) : "-",
                        num(area, 1), kge_text(g.area_um2, r.kge_um2),
                        d.area_um2 && *d.area_um2 > 0 ? num(100.0 * area / *d.area_um2, 1) + "%" : "-");
    }
    md += fmt::format("| **total `{}`** | | | **{}** | | **{}** | **{}** | 100% |\n\n", d.top, d.cells,
                      num(d.area_um2.value_or(0.0), 1), kge_text(d.area_um2, r.kge_um2));
  } else if (fpga) {
    const std::vector<std::string> cols = {"LUT", "FF", "CARRY", "DSP", "BRAM", "LUTRAM", "MUX", "other"};
    std::vector<std::string> used;
    for (const auto& c : cols) {
      if (d.resources.count(c) || c == "LUT" || c == "FF" || c == "DSP" || c == "BRAM") used.push_back(c);
    }
    md += "| module | derivations | instances |";
    for (const auto& c : used) md += " " + c + " |";
    md += "\n|---|---:|---:|";
    for (std::size_t i = 0; i < used.size(); ++i) md += "---:|";
    md += "\n";
    auto cell = [](const std::map<std::string, long>& res, const std::string& c) {
      const auto it = res.find(c);
      return it == res.end() ? 0L : it->second;
    };
    for (const auto& g : d.groups) {
      md += fmt::format("| `{}` | {} | {} |", g.module, g.derivations, g.instances);
      for (const auto& c : used) md += fmt::format(" {} |", cell(g.resources, c));
      md += "\n";
    }
    md += fmt::format("| **total `{}`** | | |", d.top);
    for (const auto& c : used) md += fmt::format(" **{}** |", cell(d.resources, c));
    md += "\n\n";
  } else {
    md += "| module | derivations | instances | cells | flip-flops | transistors (est.) |\n";
    md += "|---|---:|---:|---:|---:|---:|\n";
    auto ff = [](const std::map<std::string, long>& res) {
      const auto it = res.find("FF");
      return it == res.end() ? 0L : it->second;
    };
    for (const auto& g : d.groups) {
      md += fmt::format("| `{}` | {} | {} | {} | {} | {} |\n", g.module, g.derivations, g.instances,
                        g.cells, ff(g.resources),
                        g.transistors ? std::to_string(*g.transistors) : "-");
    }
    md += fmt::format("| **total `{}`** | | | **{}** | **{}** | **{}** |\n\n", d.top, d.cells,
                      ff(d.resources), d.transistors ? std::to_string(*d.transistors) : "-");
  }
}

void path_rows(std::string& md, const TimingReport& t) {
  md += "| path | startpoint | endpoint | arrival (ns) | slack (ns) | Fmax (MHz) |\n";
  md += "|---|---|---|---:|---:|---:|\n";
  const std::pair<const char*, const std::optional<TimingPath>*> rows[] = {
      {"worst", &t.worst},
      {"register -> register", &t.reg2reg},
      {"from an input", &t.from_inputs},
      {"to an output", &t.to_outputs},
      {"inside the escape core (multicycle)", &t.core_internal},
      {"escape core -> accelerator", &t.core_out},
      {"accelerator -> escape core", &t.core_in}};
  for (const auto& [name, p] : rows) {
    if (t.core_clk_div <= 1 && (p == &t.core_internal || p == &t.core_out || p == &t.core_in)) continue;
    if (!*p) {
      md += fmt::format("| {} | (no path) | | | | |\n", name);
      continue;
    }
    const TimingPath& q = **p;
    const std::string label =
        &q == &*t.worst ? fmt::format("{} ({})", name, kind_arrow(q)) : std::string(name);
    const std::string cyc = q.cycles > 1 ? fmt::format(" ({} cycles)", q.cycles) : std::string();
    md += fmt::format("| {}{} | `{}` | `{}` | {} | {} | {} |\n", label, cyc, q.startpoint, q.endpoint,
                      num(q.arrival_ns, 3), num(q.slack_ns, 3), num(q.fmax_mhz, 0));
  }
  md += "\n";
}

void segment_table(std::string& md, const TimingPath& p, const DesignStats& d) {
  md += "| instance | module | cells | delay (ns) |\n|---|---|---:|---:|\n";
  for (const auto& s : p.segments()) {
    const std::string mod = instance_module(d, s.instance);
    md += fmt::format("| `{}` | {} | {} | {} |\n", s.instance, mod.empty() ? "" : "`" + mod + "`",
                      s.cells, num(s.delay_ns, 3));
  }
  if (p.setup_ns != 0.0) md += fmt::format("| (setup of `{}`) | | | {} |\n", p.endpoint, num(p.setup_ns, 3));
  md += "\n";
}

long res(const std::map<std::string, long>& m, const std::string& k) {
  const auto it = m.find(k);
  return it == m.end() ? 0L : it->second;
}

const std::vector<std::string>& fpga_cols() {
  static const std::vector<std::string> c = {"LUT", "FF", "CARRY", "DSP", "BRAM", "LUTRAM"};
  return c;
}

void sram_table(std::string& md, const std::vector<SramInstance>& srams) {
  md += "| instance | width x depth | KiB | mapped as | model um^2 |\n|---|---|---:|---|---:|\n";
  for (const auto& m : srams) {
    md += fmt::format("| `{}` | {} x {} | {} | {} | {} |\n", m.path, m.width, m.depth,
                      num(static_cast<double>(m.bits()) / 8192.0, 3),
                      m.macro ? "macro `" + m.cell + "` (black box)" : std::string("flip-flops"),
                      m.macro ? num(m.model_area_um2, 1) : "-");
  }
  md += "\n";
}

// A block row of the per-block table: std-cell area and kGE (nangate45), FPGA classes, or cells.
std::string block_cells(const SynthResult& r, long cells, const std::map<std::string, long>& resources,
                        const std::optional<double>& area, const std::optional<double>& total,
                        bool bold) {
  const std::string b = bold ? "**" : "";
  if (r.target == Target::Nangate45) {
    return fmt::format(" {0}{1}{0} | {0}{2}{0} | {0}{3}{0} | {4} |", b, cells, num(area.value_or(0.0), 1),
                       kge_text(area, r.kge_um2),
                       (area && total && *total > 0) ? num(100.0 * *area / *total, 1) + "%" : "");
  }
  if (r.target == Target::Ice40 || r.target == Target::Ecp5) {
    std::string out;
    for (const auto& c : fpga_cols()) out += fmt::format(" {0}{1}{0} |", b, res(resources, c));
    return out;
  }
  return fmt::format(" {0}{1}{0} | {0}{2}{0} |", b, cells, res(resources, "FF"));
}

void blocks_section(std::string& md, const SynthResult& r) {
  const bool asic = r.target == Target::Nangate45;
  const bool fpga = r.target == Target::Ice40 || r.target == Target::Ecp5;
  if (r.scope == "top") {
    md += "## Area by block\n\n";
    md += "Every instance belongs to the block of its nearest enclosing instance whose module names a "
          "block (docs/synth.md, \"Blocks\").";
    if (r.core_in_top) md += " The escape core is part of `tsr_top`: its row is the core's area.";
    if (asic) md += " Standard cells only; SRAM macros are the modelled rows below.";
    md += "\n\n";
    std::string head = "| block | modules | instances |";
    std::string rule = "|---|---|---:|";
    if (asic) {
      head += " cells | um^2 | kGE | share |";
      rule += "---:|---:|---:|---:|";
    } else if (fpga) {
      for (const auto& c : fpga_cols()) {
        head += " " + c + " |";
        rule += "---:|";
      }
    } else {
      head += " cells | flip-flops |";
      rule += "---:|---:|";
    }
    md += head + "\n" + rule + "\n";
    for (const auto& b : r.blocks) {
      std::string mods;
      for (const auto& m : b.modules) mods += (mods.empty() ? "" : ", ") + ("`" + m + "`");
      md += fmt::format("| {} | {} | {} |", b.name, mods, b.instances) +
            block_cells(r, b.cells, b.resources, b.area_um2, r.design.area_um2, false) + "\n";
    }
    md += fmt::format("| **total `{}`** | | |", r.variant.top) +
          block_cells(r, r.design.cells, r.design.resources, r.design.area_um2, r.design.area_um2, true) +
          "\n";
    long macros = 0;
    for (const auto& m : r.srams) macros += m.macro ? 1 : 0;
    if (asic && macros > 0 && r.design.area_um2) {
      md += fmt::format("| SRAM macros (model, {} um^2/KiB) | {} instances | {} | | {} | {} | |\n",
                        num(r.sram_model.um2_per_kib, 0), macros, macros, num(r.macro_area_um2, 1),
                        kge_text(r.macro_area_um2, r.kge_um2));
      const double t = *r.design.area_um2 + r.macro_area_um2;
      md += fmt::format("| **total with macros** | | | | **{}** | **{}** | |\n", num(t, 1),
                        kge_text(t, r.kge_um2));
    }
    md += "\n";
  }
  if (r.core) {
    const CoreResult& c = *r.core;
    md += "## Escape core (separate run)\n\n";
    md += fmt::format(
        "`tsr_core` is not instantiated in `tsr_top` yet, so it is synthesized on its own with the "
        "variant's parameters ({}) and is **not** in the totals above. Files: `{}`.\n\n",
        c.params, c.work_dir);
    if (asic && c.design.area_um2) {
      const double kge = r.kge_um2 ? *c.design.area_um2 / *r.kge_um2 : 0;
      md += fmt::format(
          "Standard cells {} um^2 = **{} kGE** (target <= {} kGE: {}); its memories: {} um^2 of "
          "modelled macros.",
          num(*c.design.area_um2, 1), num(kge, 2), num(kCoreTargetKge, 0),
          kge <= kCoreTargetKge ? "met" : "not met", num(c.macro_area_um2, 1));
      if (c.timing && c.timing->worst) {
        md += fmt::format(" Fmax {} MHz (worst path `{}` -> `{}`, slack {} ns).",
                          num(c.timing->fmax_mhz(), 0), c.timing->worst->startpoint,
                          c.timing->worst->endpoint, num(c.timing->worst->slack_ns, 3));
      }
      md += "\n\n";
    } else if (fpga) {
      md += "|";
      for (const auto& col : fpga_cols()) md += " " + col + " |";
      md += "\n|";
      for (std::size_t i = 0; i < fpga_cols().size(); ++i) md += "---:|";
      md += "\n|" + block_cells(r, c.design.cells, c.design.resources, {}, {}, false) + "\n\n";
    } else {
      md += fmt::format("{} cells, {} flip-flops.\n\n", c.design.cells, res(c.design.resources, "FF"));
    }
    if (!c.srams.empty()) sram_table(md, c.srams);
  }
  if (!r.srams.empty()) {
    md += "## SRAMs\n\n";
    md += fmt::format(
        "Every `tsr_sram_1r1w` instance. Above {} bits an instance is a black-box macro with a "
        "modelled area of {} um^2 per KiB (clock-to-q {} ns, setup {} ns for OpenSTA); at or below, "
        "flip-flops. These model numbers are assumptions, see docs/synth.md.\n\n",
        r.sram_model.threshold_bits == std::numeric_limits<long>::max()
            ? std::string("any number of")
            : std::to_string(r.sram_model.threshold_bits),
        num(r.sram_model.um2_per_kib, 0), num(r.sram_model.clk_to_q_ns, 2),
        num(r.sram_model.setup_ns, 2));
    sram_table(md, r.srams);
  }
}

}  // namespace

std::string report_json(const SynthResult& r) {
  json j;
  j["generator"] = {{"name", "tessera"}, {"version", tsr::gen::version()}};
  j["command"] = r.command;
  j["target"] = target_name(r.target);
  j["tools"] = {{"yosys", r.yosys_version}, {"sta", r.sta_version.empty() ? json(nullptr) : json(r.sta_version)}};
  j["liberty"] = r.liberty.empty() ? json(nullptr) : json(r.liberty);
  j["liberty_plain"] = r.liberty_plain.empty() ? json(nullptr) : json(r.liberty_plain);
  j["variant"] = {{"name", r.variant.name},         {"dir", r.variant.dir},
                  {"config_hash", r.variant.config_hash}, {"top", r.variant.top},
                  {"rows", r.variant.rows},         {"cols", r.variant.cols},
                  {"dataflow", r.variant.dataflow}, {"clock_mhz", r.variant.freq_mhz}};
  j["units"] = {{"area", "um^2"}, {"time", "ns"}, {"kge_um2", opt_num(r.kge_um2)}};
  j["design"] = design_json(r.design, r.kge_um2);
  j["timing"] = timing_json(r.timing, r.design);
  if (r.ref_design) {
    j["ref_mac"] = {{"design", design_json(*r.ref_design, r.kge_um2)},
                    {"timing", r.ref_timing ? timing_json(r.ref_timing, *r.ref_design) : json(nullptr)}};
  } else {
    j["ref_mac"] = nullptr;
  }
  j["scope"] = r.scope;
  j["core_in_top"] = r.core_in_top;
  if (r.scope != "array") {
    const auto total = [&](const DesignStats& d, double macro) -> json {
      return d.area_um2 ? json(*d.area_um2 + macro) : json(nullptr);
    };
    j["sram_model"] = {{"threshold_bits", r.sram_model.threshold_bits},
                      {"um2_per_kib", r.sram_model.um2_per_kib},
                      {"clk_to_q_ns", r.sram_model.clk_to_q_ns},
                      {"setup_ns", r.sram_model.setup_ns}};
    j["srams"] = srams_json(r.srams);
    j["macro_area_um2"] = r.macro_area_um2;
    j["total_area_um2"] = total(r.design, r.macro_area_um2);
    j["total_area_kge"] = (r.design.area_um2 && r.kge_um2)
                              ? json((*r.design.area_um2 + r.macro_area_um2) / *r.kge_um2)
                              : json(nullptr);
    j["blocks"] = blocks_json(r.blocks, r.kge_um2, r.design.area_um2);
    if (r.core) {
      const CoreResult& c = *r.core;
      j["core"] = {{"top", "tsr_core"},
                   {"params", c.params},
                   {"work_dir", c.work_dir},
                   {"design", design_json(c.design, r.kge_um2)},
                   {"timing", timing_json(c.timing, c.design)},
                   {"srams", srams_json(c.srams)},
                   {"macro_area_um2", c.macro_area_um2},
                   {"area_um2", opt_num(c.design.area_um2)},
                   {"area_kge", (c.design.area_um2 && r.kge_um2) ? json(*c.design.area_um2 / *r.kge_um2)
                                                                 : json(nullptr)},
                   {"target_kge", kCoreTargetKge},
                   {"meets_target", (c.design.area_um2 && r.kge_um2)
                                        ? json(*c.design.area_um2 / *r.kge_um2 <= kCoreTargetKge)
                                        : json(nullptr)}};
    } else {
      j["core"] = nullptr;
    }
  }
  const Metric m = pe_metric(r);
  if (m.ok) {
    const double macs = static_cast<double>(r.variant.rows) * r.variant.cols;
    j["pe"] = {{"module", pe_module(r)},
               {"count", r.variant.rows * r.variant.cols},
               {"metric", m.name},
               {"per_pe", m.pe},
               {"ref_mac", m.mac},
               {"pe_over_mac", m.pe / m.mac},
               {"array_over_macs", m.array / (macs * m.mac)},
               {"target_pe_over_mac", kPeRatioTarget},
               {"meets_target", m.pe / m.mac <= kPeRatioTarget}};
  } else {
    j["pe"] = nullptr;
  }
  return j.dump(2) + "\n";
}

std::string report_markdown(const SynthResult& r) {
  const VariantInfo& v = r.variant;
  std::string md;
  md += fmt::format("# Synthesis of variant `{}` for {}\n\n", v.name, target_name(r.target));
  md += fmt::format(
      "<!-- Generated by tessera {} -- do not edit. Regenerate: {} -->\n\n"
      "Variant `{}`: {}x{} array, {} dataflow, clock {} MHz, config hash `{}`, top `{}` "
      "(from `{}`).  \nTools: {}{}.{}\n\n",
      tsr::gen::version(), r.command, v.name, v.rows, v.cols, v.dataflow, v.freq_mhz, v.config_hash,
      v.top, v.dir, r.yosys_version.empty() ? "Yosys" : r.yosys_version,
      r.sta_version.empty() ? "" : ", OpenSTA " + r.sta_version,
      r.liberty.empty() ? "" : fmt::format("  \nLibrary: `{}`.", r.liberty));

  md += "## Area\n\n";
  if (r.target == Target::Nangate45) {
    md += fmt::format(
        "Cell area from Yosys `stat -liberty` (Nangate45 typical): standard cells only, no wiring or "
        "placement density. 1 kGE = 1000 x NAND2_X1 = {} um^2.\n\n",
        r.kge_um2 ? num(*r.kge_um2, 0) : "?");
  } else if (r.target == Target::Generic) {
    md += "Yosys internal gates (`synth`), transistor estimate from `stat -tech cmos`.\n\n";
  } else {
    md += "FPGA cells from Yosys `stat` after `synth_" + target_name(r.target) + "`.\n\n";
  }
  if (r.scope != "array") blocks_section(md, r);
  if (r.scope == "top") md += "### Area by module\n\n";
  area_table(md, r, r.design);
  if (r.design.yosys_cells && *r.design.yosys_cells != r.design.cells) {
    md += fmt::format("**Warning:** the modules above hold {} cells, Yosys counts {} in the whole "
                      "hierarchy; some instances are missing from the module list.\n\n",
                      r.design.cells, *r.design.yosys_cells);
  }

  const Metric m = pe_metric(r);
  if (m.ok) {
    const double macs = static_cast<double>(v.rows) * v.cols;
    const std::string unit = m.name == "area_um2" ? "um^2" : m.name;
    md += "## PE versus a lone MAC\n\n";
    md += "`tsr_ref_mac` (scripts/synth/tsr_ref_mac.v): registered int8 x int8 multiplier, 32-bit "
          "adder and accumulator register, nothing else; mapped with the same flow and clock.\n\n";
    md += fmt::format("| | {} | ratio |\n|---|---:|---:|\n", unit);
    md += fmt::format("| lone MAC `tsr_ref_mac` | {} | 1 |\n", num(m.mac, 1));
    md += fmt::format("| one PE `{}` | {} | **{}** |\n", pe_module(r), num(m.pe, 1), num(m.pe / m.mac, 3));
    md += fmt::format("| PE array ({} PEs) / {} MACs | {} | **{}** (target <= {}: {}) |\n", v.rows * v.cols,
                      v.rows * v.cols, num(m.pe * macs, 1), num(m.pe / m.mac, 3), kPeRatioTarget,
                      m.pe / m.mac <= kPeRatioTarget ? "met" : "not met");
    md += fmt::format("| whole array `{}` / {} MACs | {} | {} |\n\n", v.array_top, v.rows * v.cols,
                      num(m.array, 1), num(m.array / (macs * m.mac), 3));
  }

  if (r.timing) {
    const TimingReport& t = *r.timing;
    md += "## Timing\n\n";
    md += fmt::format(
        "OpenSTA on the flat netlist: ideal clock, the library's default wire-load model, no "
        "placement. Clock {} ns ({} MHz, from the variant's clock.freq_mhz); inputs arrive and "
        "outputs are due {} ns after / before the edge; inputs driven by BUF_X1, outputs load 4 x "
        "DFF_X1/D. Fmax = 1 / (period - slack); for a multicycle path of N cycles N / (N period - "
        "slack).\n\n",
        num(t.period_ns, 3), v.freq_mhz, num(t.io_delay_ns, 3));
    if (t.core_clk_div > 1) {
      md += fmt::format(
          "Escape core on a clock enable (core.clk_div = {0}): its internal paths are multicycle {0}; "
          "core clock at Fmax {1} MHz.\n\n",
          t.core_clk_div, num(t.fmax_mhz() / t.core_clk_div, 0));
    }
    if (t.worst) {
      md += fmt::format("**Fmax {} MHz** (target {} MHz: {}; worst slack {} ns, WNS {} ns, TNS {} ns).\n\n",
                        num(t.fmax_mhz(), 0), v.freq_mhz, t.worst->slack_ns >= 0 ? "met" : "not met",
                        num(t.worst->slack_ns, 3), num(t.wns_ns, 3), num(t.tns_ns, 3));
    } else {
      md += "No constrained path.\n\n";
    }
    path_rows(md, t);
    if (t.worst) {
      md += fmt::format("### Worst path by instance ({} -> {})\n\n", t.worst->start_kind, t.worst->end_kind);
      segment_table(md, *t.worst, r.design);
    }
    if (t.reg2reg && t.worst && t.reg2reg->endpoint != t.worst->endpoint) {
      md += "### Worst register -> register path by instance\n\n";
      segment_table(md, *t.reg2reg, r.design);
    }
    md += "### Buffer trees\n\n";
    md += fmt::format(
        "Yosys maps each module without seeing the loads its outputs have elsewhere, so the STA script "
        "adds a buffer tree ({}, at most {} loads per buffer) to every net with more loads. {} nets, "
        "{} buffers, {} um^2 ({} kGE) -- not included in the area above.\n\n",
        t.buffer_cell, t.max_fanout, t.buffered_nets.size(), t.buffers, num(t.buffer_area_um2, 1),
        kge_text(t.buffer_area_um2, r.kge_um2));
    if (!t.buffered_nets.empty()) {
      md += "| net | loads | tree levels |\n|---|---:|---:|\n";
      const std::size_t n = std::min<std::size_t>(t.buffered_nets.size(), 10);
      for (std::size_t i = 0; i < n; ++i) {
        const auto& b = t.buffered_nets[i];
        md += fmt::format("| `{}` | {} | {} |\n", b.net, b.loads, b.levels);
      }
      if (t.buffered_nets.size() > n) {
        md += fmt::format("| ({} more, see report.json) | | |\n", t.buffered_nets.size() - n);
      }
      md += "\n";
    }
  }

  if (r.ref_timing && r.ref_timing->worst) {
    md += fmt::format("Lone MAC alone: Fmax {} MHz (worst path `{}` -> `{}`, {} ns).\n\n",
                      num(r.ref_timing->fmax_mhz(), 0), r.ref_timing->worst->startpoint,
                      r.ref_timing->worst->endpoint, num(r.ref_timing->worst->arrival_ns, 3));
  }

  md += "## Every derivation\n\nYosys derives a module once per parameter set; counts are per instance.\n\n";
  const bool area = r.target == Target::Nangate45;
  md += area ? "| module | instances | cells | um^2 each |\n|---|---:|---:|---:|\n"
             : "| module | instances | cells |\n|---|---:|---:|\n";
  for (const auto& mod : r.design.modules) {
    if (area) {
      md += fmt::format("| `{}` | {} | {} | {} |\n", mod.label, mod.instances, mod.cells,
                        mod.area_um2 ? num(*mod.area_um2, 1) : "-");
    } else {
      md += fmt::format("| `{}` | {} | {} |\n", mod.label, mod.instances, mod.cells);
    }
  }
  return md;
}

}  // namespace tsr::synth

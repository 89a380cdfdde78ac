// Parsers of Yosys `stat` text, Yosys JSON module lists, OpenSTA reports and Liberty cell areas.
#include "tessera/synth/parse.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <regex>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "tessera/error.h"

namespace tsr::synth {

namespace {

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::stringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(line);
  }
  return lines;
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  const auto e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

// Yosys prints some names escaped ('\tsr_array') and some not ('tsr_array').
std::string unescape(std::string name) {
  if (!name.empty() && name[0] == '\\') name.erase(0, 1);
  return name;
}

// "  Chip area for module '\tsr_array': 5525.884000" -> ("tsr_array", 5525.884)
bool parse_area_line(const std::string& line, const std::string& prefix, std::string& name,
                     double& area) {
  const std::string t = trim(line);
  if (!starts_with(t, prefix)) return false;
  const auto q1 = t.find('\'', prefix.size());
  const auto q2 = t.rfind('\'');
  const auto colon = t.rfind(':');
  if (q1 == std::string::npos || q2 == std::string::npos || q2 <= q1 || colon == std::string::npos ||
      colon < q2) {
    return false;
  }
  name = unescape(t.substr(q1 + 1, q2 - q1 - 1));
  try {
    area = std::stod(t.substr(colon + 1));
  } catch (const std::exception&) {
    return false;
  }
  return true;
}

// A Yosys constant in JSON: a number, or a string of bits (MSB first) for sized constants.
std::optional<long> json_param_value(const nlohmann::json& v) {
  if (v.is_number_integer()) return v.get<long>();
  if (!v.is_string()) return std::nullopt;
  const std::string bits = v.get<std::string>();
  if (bits.empty() || bits.size() > 63 || bits.find_first_not_of("01xz") != std::string::npos) {
    return std::nullopt;
  }
  long value = 0;
  for (char c : bits) value = (value << 1) | (c == '1' ? 1 : 0);
  // Integer parameters are 32-bit signed.
  if (bits.size() == 32 && bits[0] == '1') value -= (1L << 32);
  return value;
}

std::string label_of(const std::string& module, const std::map<std::string, long>& params) {
  if (params.empty()) return module;
  std::string s = module + "(";
  bool first = true;
  for (const auto& [k, v] : params) {
    s += (first ? "" : ",") + k + "=" + std::to_string(v);
    first = false;
  }
  return s + ")";
}

}  // namespace

const ModuleGroup* DesignStats::group(const std::string& module) const {
  for (const auto& g : groups) {
    if (g.module == module) return &g;
  }
  return nullptr;
}

double TimingReport::fmax_mhz() const { return worst ? worst->fmax_mhz : 0.0; }

std::vector<TimingPath::Segment> TimingPath::segments() const {
  std::vector<Segment> out;
  for (std::size_t i = 0; i < points.size(); ++i) {
    const PathPoint& p = points[i];
    std::string inst;
    if (p.cell.empty() || p.cell == "in") {
      inst = "(input)";
    } else if (p.cell == "out") {
      inst = "(output)";
    } else {
      const auto slash = p.pin.rfind('/');
      const std::string path = slash == std::string::npos ? p.pin : p.pin.substr(0, slash);
      // The cell's own instance path (u_pe_r3_c5, u_accel.u_ex): cells are named c<n> inside it.
      const auto dot = path.rfind('.');
      if (starts_with(path, "tsr_hfbuf_")) {
        inst = "(buffer tree)";
      } else if (dot == std::string::npos) {
        inst = "(top)";
      } else {
        inst = path.substr(0, dot);
      }
    }
    if (out.empty() || out.back().instance != inst) out.push_back({inst, 0, 0.0});
    // Every point is a cell's output pin, except a launching register's clock pin (first) and
    // the capturing register's data pin (last).
    const bool clock_pin = i == 0 && start_kind == "register";
    const bool data_pin = i + 1 == points.size() && end_kind == "register";
    if (!clock_pin && !data_pin && !p.cell.empty() && p.cell != "in" && p.cell != "out") {
      ++out.back().cells;
    }
    out.back().delay_ns += p.incr_ns;
  }
  return out;
}

StatText parse_stat(const std::string& text) {
  StatText st;
  StatBlock* cur = nullptr;
  bool in_cells = false;
  bool in_hierarchy = false;
  for (const auto& line : split_lines(text)) {
    const std::string t = trim(line);
    if (starts_with(t, "=== ") && t.size() > 8 && t.substr(t.size() - 4) == " ===") {
      const std::string name = unescape(t.substr(4, t.size() - 8));
      in_cells = false;
      if (name == "design hierarchy") {
        in_hierarchy = true;
        cur = nullptr;
      } else {
        in_hierarchy = false;
        st.modules.push_back({});
        cur = &st.modules.back();
        cur->name = name;
      }
      continue;
    }
    std::string name;
    double area = 0;
    if (parse_area_line(line, "Chip area for top module", name, area)) {
      st.top_area_um2 = area;
      continue;
    }
    if (in_hierarchy && starts_with(t, "Number of cells:")) {
      st.hierarchy_cells = std::stol(trim(t.substr(16)));
      continue;
    }
    if (in_hierarchy || cur == nullptr) continue;
    if (parse_area_line(line, "Chip area for module", name, area)) {
      cur->area_um2 = area;
      in_cells = false;
      continue;
    }
    if (starts_with(t, "Number of cells:")) {
      cur->cells = std::stol(trim(t.substr(16)));
      in_cells = true;
      continue;
    }
    if (starts_with(t, "Estimated number of transistors:")) {
      std::string n = trim(t.substr(32));
      while (!n.empty() && n.back() == '+') n.pop_back();
      cur->transistors = std::stol(n);
      in_cells = false;
      continue;
    }
    if (in_cells) {
      // "     MUX2_X1                        32": the type (no spaces) and its count.
      if (t.empty() || line.size() < 5 || line.compare(0, 5, "     ") != 0) {
        in_cells = false;
        continue;
      }
      const auto sp = t.find_last_of(" \t");
      if (sp == std::string::npos) {
        in_cells = false;
        continue;
      }
      const std::string count = t.substr(sp + 1);
      if (count.empty() || count.find_first_not_of("0123456789") != std::string::npos) {
        in_cells = false;
        continue;
      }
      cur->cell_types[unescape(trim(t.substr(0, sp)))] += std::stol(count);
    }
  }
  return st;
}

std::vector<ModuleInfo> parse_modules_json(const std::string& text) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    fail("Yosys module list is not valid JSON: {}", e.what());
  }
  std::vector<ModuleInfo> out;
  if (!j.contains("modules") || !j["modules"].is_object()) return out;
  for (const auto& [name, m] : j["modules"].items()) {
    ModuleInfo info;
    info.name = unescape(name);
    info.module = info.name;
    if (m.contains("attributes") && m["attributes"].is_object()) {
      const auto& attrs = m["attributes"];
      if (attrs.contains("hdlname") && attrs["hdlname"].is_string()) {
        info.module = unescape(attrs["hdlname"].get<std::string>());
      }
      if (attrs.contains("top")) {
        const auto v = json_param_value(attrs["top"]);
        info.top = v && *v != 0;
      }
    }
    if (m.contains("parameter_default_values") && m["parameter_default_values"].is_object()) {
      for (const auto& [k, v] : m["parameter_default_values"].items()) {
        if (const auto value = json_param_value(v)) info.params[k] = *value;
      }
    }
    if (m.contains("cells") && m["cells"].is_object()) {
      for (const auto& [inst, c] : m["cells"].items()) {
        if (c.contains("type") && c["type"].is_string()) {
          info.instances[unescape(inst)] = unescape(c["type"].get<std::string>());
        }
      }
    }
    out.push_back(std::move(info));
  }
  return out;
}

std::map<std::string, long> fpga_resources(Target target, const std::map<std::string, long>& cells) {
  std::map<std::string, long> r;
  for (const auto& [type, n] : cells) {
    std::string cls = "other";
    switch (target) {
      case Target::Ice40:
        if (type == "SB_LUT4") cls = "LUT";
        else if (starts_with(type, "SB_DFF")) cls = "FF";
        else if (type == "SB_CARRY") cls = "CARRY";
        else if (type == "SB_MAC16") cls = "DSP";
        else if (starts_with(type, "SB_RAM40_4K") || starts_with(type, "SB_SPRAM")) cls = "BRAM";
        break;
      case Target::Ecp5:
        if (type == "LUT4") cls = "LUT";
        else if (type == "TRELLIS_FF") cls = "FF";
        else if (type == "CCU2C") cls = "CARRY";
        else if (type == "MULT18X18D" || type == "ALU54B") cls = "DSP";
        else if (type == "DP16KD" || type == "PDPW16KD") cls = "BRAM";
        else if (type == "TRELLIS_DPR16X4") cls = "LUTRAM";
        else if (type == "PFUMX" || type == "L6MUX21") cls = "MUX";
        break;
      case Target::Generic:
        cls = (starts_with(type, "$_DFF") || starts_with(type, "$_SDFF") ||
               starts_with(type, "$_ALDFF") || starts_with(type, "$_DLATCH") ||
               starts_with(type, "$_SR_") || starts_with(type, "$_FF_"))
                  ? "FF"
                  : "logic";
        break;
      case Target::Nangate45:
        cls = (starts_with(type, "DFF") || starts_with(type, "SDFF") || starts_with(type, "DL") ||
               starts_with(type, "TLAT"))
                  ? "FF"
                  : "logic";
        break;
    }
    r[cls] += n;
  }
  return r;
}

DesignStats combine(const StatText& stat, const std::vector<ModuleInfo>& modules,
                    const std::string& top, Target target) {
  DesignStats d;
  d.top = top;

  std::map<std::string, const ModuleInfo*> info;
  for (const auto& m : modules) info[m.name] = &m;
  // The design's own modules are the ones `stat` reports. The JSON may also hold a technology
  // library's cell models (SB_LUT4, ICESTORM_LC, ...): an instance of one of those is a cell.
  std::set<std::string> module_names;
  for (const auto& b : stat.modules) module_names.insert(b.name);
  if (!module_names.count(top)) fail("the synthesized design has no module '{}'", top);

  // Instance counts over the hierarchy (a DAG): a module's count is the sum over its parents of
  // the parent's count times the instances of it there.
  std::map<std::string, long> count;
  std::function<void(const std::string&, long)> walk = [&](const std::string& mod, long n) {
    count[mod] += n;
    const auto it = info.find(mod);
    if (it == info.end()) return;
    std::map<std::string, long> children;
    for (const auto& [inst, type] : it->second->instances) {
      if (module_names.count(type)) ++children[type];
    }
    for (const auto& [child, k] : children) walk(child, n * k);
  };
  walk(top, 1);

  for (const auto& b : stat.modules) {
    ModuleStats m;
    m.name = b.name;
    const auto it = info.find(b.name);
    m.module = it != info.end() ? it->second->module : b.name;
    if (it != info.end()) m.params = it->second->params;
    m.label = label_of(m.module, m.params);
    m.instances = count.count(b.name) ? count[b.name] : 0;
    for (const auto& [type, n] : b.cell_types) {
      if (module_names.count(type)) continue;  // a submodule instance, not a cell
      m.cell_types[type] = n;
      m.cells += n;
    }
    m.area_um2 = b.area_um2;
    m.transistors = b.transistors;
    d.modules.push_back(std::move(m));
  }
  // The top last, as in Yosys' hierarchy view.
  std::stable_partition(d.modules.begin(), d.modules.end(),
                        [&](const ModuleStats& m) { return m.name != top; });

  std::map<std::string, ModuleGroup> groups;
  double area = 0;
  long transistors = 0;
  bool have_area = false, have_transistors = false;
  for (const auto& m : d.modules) {
    if (m.instances == 0) continue;
    d.cells += m.cells * m.instances;
    for (const auto& [type, n] : m.cell_types) d.cell_types[type] += n * m.instances;
    auto& g = groups[m.module];
    g.module = m.module;
    ++g.derivations;
    g.instances += m.instances;
    g.cells += m.cells * m.instances;
    for (const auto& [cls, n] : fpga_resources(target, m.cell_types)) g.resources[cls] += n * m.instances;
    if (m.area_um2) {
      const double a = *m.area_um2 * static_cast<double>(m.instances);
      g.area_um2 = g.area_um2.value_or(0.0) + a;
      area += a;
      have_area = true;
    }
    if (m.transistors) {
      const long t = *m.transistors * m.instances;
      g.transistors = g.transistors.value_or(0) + t;
      transistors += t;
      have_transistors = true;
    }
  }
  d.resources = fpga_resources(target, d.cell_types);
  d.yosys_cells = stat.hierarchy_cells;
  if (stat.top_area_um2) {
    d.area_um2 = stat.top_area_um2;
  } else if (have_area) {
    d.area_um2 = area;
  }
  if (have_transistors) d.transistors = transistors;

  // Subtree totals: a module with everything it instantiates (memoized over the DAG).
  std::map<std::string, const ModuleStats*> by_name;
  for (const auto& m : d.modules) by_name[m.name] = &m;
  struct Subtree {
    long cells = 0;
    std::map<std::string, long> cell_types;
    std::optional<double> area;
  };
  std::map<std::string, Subtree> subtree;
  std::function<const Subtree&(const std::string&, int)> sub = [&](const std::string& mod,
                                                                   int depth) -> const Subtree& {
    if (depth > 64) fail("synth: hierarchy under '{}' deeper than 64 levels", top);
    if (const auto it = subtree.find(mod); it != subtree.end()) return it->second;
    Subtree t;
    if (const auto st = by_name.find(mod); st != by_name.end()) {
      t.cells = st->second->cells;
      t.cell_types = st->second->cell_types;
      t.area = st->second->area_um2;
    }
    if (const auto it = info.find(mod); it != info.end()) {
      for (const auto& [inst, type] : it->second->instances) {
        if (!module_names.count(type)) continue;
        const Subtree& c = sub(type, depth + 1);
        t.cells += c.cells;
        for (const auto& [type2, n] : c.cell_types) t.cell_types[type2] += n;
        if (c.area) t.area = t.area.value_or(0.0) + *c.area;
      }
    }
    return subtree[mod] = std::move(t);
  };
  for (const auto& m : d.modules) {
    if (m.instances == 0) continue;
    const Subtree& t = sub(m.name, 0);
    auto& g = groups[m.module];
    g.subtree_cells += t.cells * m.instances;
    for (const auto& [cls, n] : fpga_resources(target, t.cell_types)) {
      g.subtree_resources[cls] += n * m.instances;
    }
    if (t.area) {
      g.subtree_area_um2 = g.subtree_area_um2.value_or(0.0) + *t.area * static_cast<double>(m.instances);
    }
  }

  for (auto& [name, g] : groups) d.groups.push_back(g);
  std::stable_sort(d.groups.begin(), d.groups.end(), [](const ModuleGroup& a, const ModuleGroup& b) {
    if (a.area_um2 && b.area_um2 && *a.area_um2 != *b.area_um2) return *a.area_um2 > *b.area_um2;
    return a.cells > b.cells;
  });

  if (const auto it = info.find(top); it != info.end()) {
    for (const auto& [inst, type] : it->second->instances) {
      if (module_names.count(type)) d.instance_modules[inst] = type;
    }
  }
  return d;
}

namespace {

// One path: the text from its "Startpoint:" line to the next one.
std::optional<TimingPath> parse_one_sta_path(const std::string& text, double period_ns) {
  const auto lines = split_lines(text);
  TimingPath p;
  bool have_start = false, in_data = false, done_data = false, have_required = false;
  bool have_slack = false, have_edge = false;
  double capture_edge_ns = 0;
  static const std::regex point_re(
      R"(^\s*(-?\d+(?:\.\d+)?)\s+(-?\d+(?:\.\d+)?)\s+([\^v])\s+(.*?)\s*$)");
  static const std::regex value_re(R"(^\s*(-?\d+(?:\.\d+)?)\s+(.*?)\s*$)");
  static const std::regex two_values_re(R"(^\s*(-?\d+(?:\.\d+)?)\s+(-?\d+(?:\.\d+)?)\s+(.*?)\s*$)");

  auto kind_of = [](const std::string& paren) {
    if (paren.find("flip-flop") != std::string::npos || paren.find("latch") != std::string::npos) {
      return std::string("register");
    }
    if (paren.find("input port") != std::string::npos) return std::string("input");
    if (paren.find("output port") != std::string::npos) return std::string("output");
    return paren;
  };
  // "Startpoint: name (kind)", the kind possibly on the next line.
  auto point_and_kind = [&](std::size_t i, const std::string& prefix, std::string& name,
                            std::string& kind) {
    std::string rest = trim(lines[i].substr(prefix.size()));
    const auto paren = rest.find(" (");
    if (paren != std::string::npos) {
      name = rest.substr(0, paren);
      kind = kind_of(rest.substr(paren + 1));
    } else {
      name = rest;
      if (i + 1 < lines.size() && starts_with(trim(lines[i + 1]), "(")) kind = kind_of(trim(lines[i + 1]));
    }
  };

  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    const std::string t = trim(line);
    if (t == "No paths found." && !have_start) return std::nullopt;
    if (starts_with(t, "Startpoint:")) {
      if (have_start) break;  // only the first path
      have_start = true;
      point_and_kind(i, line.substr(0, line.find("Startpoint:")) + "Startpoint:", p.startpoint,
                     p.start_kind);
      continue;
    }
    if (!have_start) continue;
    if (starts_with(t, "Endpoint:")) {
      point_and_kind(i, line.substr(0, line.find("Endpoint:")) + "Endpoint:", p.endpoint, p.end_kind);
      continue;
    }
    if (starts_with(t, "-----")) {
      if (!done_data && !in_data) in_data = true;
      continue;
    }
    std::smatch m;
    if (t.size() > 17 && t.substr(t.size() - 17) == "data arrival time") {
      if (std::regex_match(line, m, value_re) && in_data && !done_data) {
        p.arrival_ns = std::stod(m[1]);
        in_data = false;
        done_data = true;
      }
      continue;
    }
    if (t.size() > 18 && t.substr(t.size() - 18) == "data required time") {
      if (!have_required && std::regex_match(line, m, value_re)) {
        p.required_ns = std::stod(m[1]);
        have_required = true;
      }
      continue;
    }
    // The capture clock edge (the first "clock ... edge" line after the data path): a multiple of
    // the period for a multicycle path.
    if (done_data && !have_edge && t.find("clock ") != std::string::npos &&
        t.find(" edge)") != std::string::npos && std::regex_match(line, m, two_values_re)) {
      capture_edge_ns = std::stod(m[2]);
      have_edge = true;
      continue;
    }
    if (t.find("library setup time") != std::string::npos && std::regex_match(line, m, two_values_re)) {
      p.setup_ns = -std::stod(m[1]);
      continue;
    }
    if (t.find("slack (") != std::string::npos && std::regex_match(line, m, value_re)) {
      p.slack_ns = std::stod(m[1]);
      have_slack = true;
      continue;
    }
    if (in_data && std::regex_match(line, m, point_re)) {
      PathPoint pt;
      pt.incr_ns = std::stod(m[1]);
      pt.time_ns = std::stod(m[2]);
      pt.edge = m[3].str()[0];
      const std::string desc = m[4];
      const auto paren = desc.rfind(" (");
      if (paren != std::string::npos && desc.back() == ')') {
        pt.pin = desc.substr(0, paren);
        pt.cell = desc.substr(paren + 2, desc.size() - paren - 3);
      } else {
        pt.pin = desc;  // "input external delay"
      }
      p.points.push_back(pt);
    }
  }
  if (!have_start || !done_data || !have_slack) return std::nullopt;
  if (have_edge && period_ns > 0) {
    p.cycles = std::max(1, static_cast<int>(std::lround(capture_edge_ns / period_ns)));
  }
  const double denom = p.cycles * period_ns - p.slack_ns;
  p.fmax_mhz = denom > 0 ? 1000.0 * p.cycles / denom : 0.0;
  return p;
}

}  // namespace

// report_checks prints the worst path of every path group (clk_i, **async_default** for the
// recovery/removal checks of asynchronous resets, escape_core for the multicycle paths of a core on
// a clock enable, ...): the result is the one that limits the clock, the lowest Fmax.
std::optional<TimingPath> parse_sta_path(const std::string& text, double period_ns) {
  std::vector<std::size_t> starts;
  std::size_t line_start = 0;
  while (line_start < text.size()) {
    const std::size_t first = text.find_first_not_of(" \t", line_start);
    if (first != std::string::npos && text.compare(first, 11, "Startpoint:") == 0) starts.push_back(line_start);
    const std::size_t nl = text.find('\n', line_start);
    if (nl == std::string::npos) break;
    line_start = nl + 1;
  }
  if (starts.size() <= 1) return parse_one_sta_path(text, period_ns);
  std::optional<TimingPath> best;
  for (std::size_t k = 0; k < starts.size(); ++k) {
    const std::size_t end = k + 1 < starts.size() ? starts[k + 1] : text.size();
    auto p = parse_one_sta_path(text.substr(starts[k], end - starts[k]), period_ns);
    if (!p) continue;
    // The path that limits the clock: the lowest Fmax (the least slack while every path is
    // single-cycle; a multicycle path's slack is over N periods).
    const bool better = !best || (p->fmax_mhz > 0 && (best->fmax_mhz <= 0 || p->fmax_mhz < best->fmax_mhz)) ||
                        (p->fmax_mhz <= 0 && best->fmax_mhz <= 0 && p->slack_ns < best->slack_ns);
    if (better) best = std::move(p);
  }
  return best;
}

double parse_sta_value(const std::string& text, const std::string& key) {
  for (const auto& line : split_lines(text)) {
    std::stringstream in(line);
    std::string k;
    double v = 0;
    if (in >> k >> v && k == key) return v;
  }
  fail("no '{}' value in the OpenSTA report", key);
}

std::vector<BufferedNet> parse_buffered_nets(const std::string& text) {
  std::vector<BufferedNet> out;
  for (const auto& line : split_lines(text)) {
    const std::string t = trim(line);
    if (t.empty() || t[0] == '#') continue;
    // The net name may contain spaces only if escaped; the last two fields are numbers.
    const auto s2 = t.find_last_of(' ');
    if (s2 == std::string::npos) continue;
    const auto s1 = t.find_last_of(' ', s2 - 1);
    if (s1 == std::string::npos) continue;
    BufferedNet b;
    b.net = t.substr(0, s1);
    if (b.net.size() > 2 && b.net.front() == '{' && b.net.back() == '}') {
      b.net = b.net.substr(1, b.net.size() - 2);  // Tcl list quoting
    }
    try {
      b.loads = std::stol(t.substr(s1 + 1, s2 - s1 - 1));
      b.levels = std::stoi(t.substr(s2 + 1));
    } catch (const std::exception&) {
      continue;
    }
    out.push_back(b);
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const BufferedNet& a, const BufferedNet& b) { return a.loads > b.loads; });
  return out;
}

std::optional<double> liberty_cell_area(const std::string& liberty_text, const std::string& cell) {
  // The group "cell (NAME) {" (the name possibly quoted); comments may mention "cell (NAME)" too,
  // so an occurrence counts only when a '{' follows.
  const std::string& t = liberty_text;
  for (const std::string& key : {"cell (" + cell + ")", "cell (\"" + cell + "\")", "cell(" + cell + ")"}) {
    for (auto pos = t.find(key); pos != std::string::npos; pos = t.find(key, pos + key.size())) {
      const auto brace = t.find_first_not_of(" \t\r\n", pos + key.size());
      if (brace == std::string::npos || t[brace] != '{') continue;
      // The cell's own area comes before its first pin group.
      const auto limit = std::min(t.find("pin", brace), t.find("cell", brace));
      for (auto a = t.find("area", brace); a != std::string::npos && a < limit; a = t.find("area", a + 4)) {
        const auto colon = t.find_first_not_of(" \t", a + 4);
        if (colon == std::string::npos || t[colon] != ':') continue;  // e.g. "area_..."
        try {
          return std::stod(t.substr(colon + 1, 32));
        } catch (const std::exception&) {
          return std::nullopt;
        }
      }
      return std::nullopt;
    }
  }
  return std::nullopt;
}

// The blocks of the whole accelerator, in report order. An instance belongs to the block of the
// nearest enclosing instance (itself included) whose source module is listed here; the rest is glue.
const std::vector<BlockDef>& block_defs() {
  static const std::vector<BlockDef> defs = {
      {"pe", "PEs (tsr_pe_*)", {"tsr_pe_ws", "tsr_pe_os", "tsr_pe_ws_skip"}},
      {"skip", "zero-skip control (tsr_ws_skip_ctrl)", {"tsr_ws_skip_ctrl"}},
      {"array", "array around the PEs (skew, de-skew, controller, output FIFO)", {"tsr_array"}},
      {"post", "post-processing (tsr_st, tsr_post_lane, tsr_requant)",
       {"tsr_st", "tsr_post_lane", "tsr_requant"}},
      {"ex", "execute sequencer (tsr_ex)", {"tsr_ex"}},
      {"ld", "load unit (tsr_ld)", {"tsr_ld"}},
      {"dma", "DMA (tsr_dma_*)", {"tsr_dma_rd", "tsr_dma_wr", "tsr_dma_agen"}},
      {"ctrl", "CSR / fetch / queues (tsr_csr, tsr_fetch, tsr_unit_seq)",
       {"tsr_csr", "tsr_fetch", "tsr_unit_seq"}},
      {"mem", "memory logic + flop SRAMs (tsr_spad, tsr_acc_*, tsr_sram_1r1w)",
       {"tsr_spad", "tsr_acc_banks", "tsr_acc_mem", "tsr_sram_1r1w", "tsr_sram_1r1w_flops"}},
      {"core", "escape core (tsr_core, tsr_core_bus)", {"tsr_core", "tsr_core_bus"}},
      {"glue", "glue (tsr_accel, tsr_top, their FIFOs)", {}},
  };
  return defs;
}

std::vector<BlockRow> block_rows(const DesignStats& d, const std::vector<ModuleInfo>& info,
                                 Target target) {
  std::map<std::string, const ModuleStats*> stats;
  for (const auto& m : d.modules) stats[m.name] = &m;
  std::map<std::string, const ModuleInfo*> infos;
  for (const auto& m : info) infos[m.name] = &m;
  std::map<std::string, std::string> block_of;
  for (const auto& b : block_defs()) {
    for (const auto& m : b.modules) block_of[m] = b.key;
  }
  std::map<std::string, BlockRow> rows;
  std::map<std::string, std::set<std::string>> seen;
  std::function<void(const std::string&, const std::string&, int)> walk =
      [&](const std::string& mod, const std::string& parent_block, int depth) {
        if (depth > 64) fail("synth: hierarchy under '{}' deeper than 64 levels", d.top);
        const auto st = stats.find(mod);
        if (st == stats.end()) return;
        const ModuleStats& m = *st->second;
        const auto bo = block_of.find(m.module);
        const std::string block = bo != block_of.end() ? bo->second : parent_block;
        BlockRow& r = rows[block];
        ++r.instances;
        r.cells += m.cells;
        for (const auto& [cls, n] : fpga_resources(target, m.cell_types)) r.resources[cls] += n;
        if (m.area_um2) r.area_um2 = r.area_um2.value_or(0.0) + *m.area_um2;
        if (m.transistors) r.transistors = r.transistors.value_or(0) + *m.transistors;
        seen[block].insert(m.module);
        const auto in = infos.find(mod);
        if (in == infos.end()) return;
        for (const auto& [inst, type] : in->second->instances) walk(type, block, depth + 1);
      };
  walk(d.top, "glue", 0);
  std::vector<BlockRow> out;
  for (const auto& b : block_defs()) {
    BlockRow r = rows.count(b.key) ? rows.at(b.key) : BlockRow{};
    r.key = b.key;
    r.name = b.name;
    r.modules.assign(seen[b.key].begin(), seen[b.key].end());
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace tsr::synth

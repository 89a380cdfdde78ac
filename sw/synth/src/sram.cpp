// SRAM discovery, classification, the synthesis wrapper and the macros' Liberty model.
#include "tessera/synth/sram.h"

#include <algorithm>
#include <functional>
#include <map>
#include <regex>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "tessera/error.h"

namespace tsr::synth {

namespace {

std::string unescape(std::string name) {
  if (!name.empty() && name[0] == '\\') name.erase(0, 1);
  return name;
}

// A Yosys JSON parameter: a binary string ("00001010") or a number.
long param_value(const nlohmann::json& v, const std::string& what) {
  if (v.is_number_integer()) return v.get<long>();
  if (v.is_string()) {
    const std::string s = v.get<std::string>();
    if (!s.empty() && s.size() <= 62 && s.find_first_not_of("01") == std::string::npos) {
      return std::stol(s, nullptr, 2);
    }
  }
  fail("Yosys JSON: parameter {} of a {} instance is not a number: {}", what, kSramModule, v.dump());
}

struct Port {
  std::string dir;    // "input" / "output"
  std::string range;  // "AddrW-1:0" or ""
  std::string name;
};

struct Header {
  std::size_t start = 0;
  std::string text;  // "module tsr_sram_1r1w ... );"
  std::vector<std::string> params;
  std::vector<Port> ports;
};

Header parse_header(const std::string& primitive_text) {
  Header h;
  const std::string head = std::string("module ") + kSramModule;
  h.start = primitive_text.find(head);
  if (h.start == std::string::npos) fail("{}.v: no 'module {}' found", kSramModule, kSramModule);
  const auto end = primitive_text.find("\n);", h.start);
  if (end == std::string::npos) fail("{}.v: the port list does not end with a line ');'", kSramModule);
  h.text = primitive_text.substr(h.start, end + 3 - h.start);
  const std::regex pre(R"(parameter\s+(?:integer\s+)?(\w+))");
  for (std::sregex_iterator it(h.text.begin(), h.text.end(), pre), e; it != e; ++it) {
    h.params.push_back((*it)[1]);
  }
  const std::regex portre(R"((input|output)\s+(?:wire\s+|reg\s+)?(?:\[([^\]]+)\]\s*)?(\w+))");
  for (std::sregex_iterator it(h.text.begin(), h.text.end(), portre), e; it != e; ++it) {
    h.ports.push_back({(*it)[1], (*it)[2], (*it)[3]});
  }
  if (h.ports.empty()) fail("{}.v: no ports found in the module header", kSramModule);
  return h;
}

// The width of a port of a macro of this size; 0 for a scalar port.
long port_width(const Port& p, const SramInstance& s) {
  if (p.range.empty()) return 0;
  const std::map<std::string, long> values = {
      {"Width", s.width}, {"Depth", s.depth}, {"AddrW", s.addr_bits}};
  std::smatch m;
  const std::string r = p.range;
  if (!std::regex_match(r, m, std::regex(R"(\s*(\w+)\s*-\s*1\s*:\s*0\s*)")) || !values.count(m[1])) {
    fail("{}.v: port {} has the range [{}]; the SRAM stubs understand only [Width-1:0], "
         "[Depth-1:0] and [AddrW-1:0]",
         kSramModule, p.name, p.range);
  }
  return values.at(m[1]);
}

}  // namespace

std::vector<SramInstance> parse_sram_instances(const std::string& yosys_json, const std::string& top) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(yosys_json);
  } catch (const nlohmann::json::exception& e) {
    fail("Yosys JSON of the elaborated design is not valid JSON: {}", e.what());
  }
  if (!j.contains("modules") || !j.at("modules").is_object()) fail("Yosys JSON has no \"modules\"");
  const auto& mods = j.at("modules");
  if (!mods.contains(top)) fail("Yosys JSON of the elaborated design has no module '{}'", top);
  std::vector<SramInstance> out;
  std::function<void(const std::string&, const std::string&, int)> walk =
      [&](const std::string& mod, const std::string& prefix, int depth) {
        if (depth > 64) fail("Yosys JSON: hierarchy under '{}' deeper than 64 levels", top);
        const auto& m = mods.at(mod);
        if (!m.contains("cells")) return;
        for (const auto& [name, cell] : m.at("cells").items()) {
          const std::string type = unescape(cell.value("type", ""));
          const std::string path = prefix + unescape(name);
          if (type == kSramModule) {
            const auto& p = cell.value("parameters", nlohmann::json::object());
            SramInstance s;
            s.path = path;
            if (!p.contains("Width") || !p.contains("Depth")) {
              fail("Yosys JSON: {} instance {} lacks its Width/Depth parameters", kSramModule, path);
            }
            s.width = param_value(p.at("Width"), "Width");
            s.depth = param_value(p.at("Depth"), "Depth");
            s.addr_bits = p.contains("AddrW") ? param_value(p.at("AddrW"), "AddrW") : 0;
            out.push_back(std::move(s));
          } else if (mods.contains(cell.value("type", ""))) {
            walk(cell.value("type", ""), path + ".", depth + 1);
          }
        }
      };
  walk(top, "", 0);
  std::sort(out.begin(), out.end(),
            [](const SramInstance& a, const SramInstance& b) { return a.path < b.path; });
  return out;
}

std::string sram_cell_name(long width, long depth) {
  return fmt::format("tsr_sram_w{}_d{}", width, depth);
}

void classify_srams(std::vector<SramInstance>& srams, const SramModel& model) {
  for (auto& s : srams) {
    s.macro = s.bits() > model.threshold_bits;
    s.cell = s.macro ? sram_cell_name(s.width, s.depth) : std::string();
    s.model_area_um2 = s.macro ? static_cast<double>(s.bits()) / 8192.0 * model.um2_per_kib : 0.0;
  }
}

std::string sram_wrapper_verilog(const std::string& primitive_text,
                                 const std::vector<SramInstance>& srams, const std::string& banner) {
  const Header h = parse_header(primitive_text);
  const auto& ports = h.ports;
  const auto& params = h.params;
  // Distinct macro sizes.
  std::map<std::string, const SramInstance*> macros;
  for (const auto& s : srams) {
    if (s.macro) macros.emplace(s.cell, &s);
  }

  std::string out = fmt::format("// {}\n", banner);
  out += "// SRAM mapping for synthesis (docs/synth.md, \"SRAMs\"): the primitive's behavioural body\n"
         "// renamed, a wrapper with the primitive's name that picks a macro stub by size, and the stubs.\n\n";
  // 1. The behavioural body, renamed.
  std::string flops = primitive_text;
  flops.replace(h.start, std::string("module ").size() + std::string(kSramModule).size(),
                std::string("module ") + kSramFlopsModule);
  out += flops;
  out += "\n\n";
  // 2. The wrapper.
  std::string conns;
  for (std::size_t i = 0; i < ports.size(); ++i) {
    conns += fmt::format("{}      .{}({})", i ? ",\n" : "", ports[i].name, ports[i].name);
  }
  std::string pass_params;
  for (std::size_t i = 0; i < params.size(); ++i) {
    pass_params += fmt::format("{}.{}({})", i ? ", " : "", params[i], params[i]);
  }
  out += h.text + "\n\n";
  out += "  generate\n";
  bool first = true;
  for (const auto& [cell, s] : macros) {
    out += fmt::format("    {}if (Width == {} && Depth == {}) begin : g_{}\n", first ? "" : "else ",
                       s->width, s->depth, cell);
    out += fmt::format("      {} u_macro (\n{}\n      );\n    end\n", cell, conns);
    first = false;
  }
  out += fmt::format("    {}begin : g_flops\n", first ? "if (1) " : "else ");
  out += fmt::format("      {} #({}) u_flops (\n{}\n      );\n    end\n", kSramFlopsModule,
                     pass_params, conns);
  out += "  endgenerate\n\nendmodule\n";
  // 3. The macro stubs, with the widths of this size.
  for (const auto& [cell, s] : macros) {
    out += fmt::format("\n(* blackbox *)\nmodule {} (\n", cell);
    for (std::size_t i = 0; i < ports.size(); ++i) {
      const auto& p = ports[i];
      const long w = port_width(p, *s);
      const std::string range = w > 0 ? fmt::format("[{}:0] ", w - 1) : "";
      out += fmt::format("  {} wire {}{}{}\n", p.dir, range, p.name, i + 1 < ports.size() ? "," : "");
    }
    out += ");\nendmodule\n";
  }
  return out;
}

std::string sram_liberty(const std::string& primitive_text, const std::vector<SramInstance>& srams,
                         const SramModel& model, const std::string& banner) {
  const Header h = parse_header(primitive_text);
  std::map<std::string, const SramInstance*> macros;
  for (const auto& s : srams) {
    if (s.macro) macros.emplace(s.cell, &s);
  }
  std::set<long> widths;
  for (const auto& [cell, s] : macros) {
    for (const auto& p : h.ports) {
      if (const long w = port_width(p, *s); w > 0) widths.insert(w);
    }
  }
  std::string out = fmt::format("/* {} */\n", banner);
  out += fmt::format(
      "/* SRAM macro MODEL for OpenSTA (docs/synth.md, \"SRAMs\"): not a foundry library. Area\n"
      "   {} um^2 per KiB, clock-to-q {} ns, setup {} ns, hold 0: assumptions for a 1R1W macro in\n"
      "   45 nm. Scalar values: no load or slew dependence. */\n",
      model.um2_per_kib, model.clk_to_q_ns, model.setup_ns);
  out += "library (tsr_sram_macros) {\n"
         "  delay_model : table_lookup;\n"
         "  time_unit : \"1ns\";\n"
         "  voltage_unit : \"1V\";\n"
         "  current_unit : \"1mA\";\n"
         "  pulling_resistance_unit : \"1kohm\";\n"
         "  leakage_power_unit : \"1nW\";\n"
         "  capacitive_load_unit (1,ff);\n"
         "  nom_process : 1.0;\n"
         "  nom_temperature : 25.0;\n"
         "  nom_voltage : 1.1;\n"
         "  slew_lower_threshold_pct_rise : 30;\n"
         "  slew_upper_threshold_pct_rise : 70;\n"
         "  slew_lower_threshold_pct_fall : 30;\n"
         "  slew_upper_threshold_pct_fall : 70;\n"
         "  input_threshold_pct_rise : 50;\n"
         "  input_threshold_pct_fall : 50;\n"
         "  output_threshold_pct_rise : 50;\n"
         "  output_threshold_pct_fall : 50;\n";
  for (const long w : widths) {
    out += fmt::format(
        "  type (tsr_bus_{0}) {{\n    base_type : array;\n    data_type : bit;\n    bit_width : {0};\n"
        "    bit_from : {1};\n    bit_to : 0;\n    downto : true;\n  }}\n",
        w, w - 1);
  }
  const auto check = [&](const std::string& type, double v) {
    return fmt::format(
        "      timing () {{\n        related_pin : \"clk_i\";\n        timing_type : {};\n"
        "        rise_constraint (scalar) {{ values (\"{:.4f}\"); }}\n"
        "        fall_constraint (scalar) {{ values (\"{:.4f}\"); }}\n      }}\n",
        type, v, v);
  };
  const std::string in_timing = check("setup_rising", model.setup_ns) + check("hold_rising", 0.0);
  const std::string out_timing = fmt::format(
      "      timing () {{\n        related_pin : \"clk_i\";\n        timing_type : rising_edge;\n"
      "        cell_rise (scalar) {{ values (\"{0:.4f}\"); }}\n"
      "        cell_fall (scalar) {{ values (\"{0:.4f}\"); }}\n"
      "        rise_transition (scalar) {{ values (\"0.0500\"); }}\n"
      "        fall_transition (scalar) {{ values (\"0.0500\"); }}\n      }}\n",
      model.clk_to_q_ns);
  for (const auto& [cell, s] : macros) {
    out += fmt::format("  cell ({}) {{\n    area : {:.3f};\n    dont_use : true;\n    dont_touch : true;\n",
                       cell, s->model_area_um2);
    const auto pin = [&](const std::string& name, const std::string& dir, long width) {
      const std::string body =
          dir == "input" ? fmt::format("      direction : input;\n      capacitance : {:.3f};\n{}",
                                       model.pin_cap_ff, in_timing)
                         : "      direction : output;\n" + out_timing;
      if (width <= 0) return fmt::format("    pin ({}) {{\n{}    }}\n", name, body);
      return fmt::format("    bus ({}) {{\n      bus_type : tsr_bus_{};\n{}    }}\n", name, width, body);
    };
    for (const auto& p : h.ports) {
      if (p.name == kSramClock) {
        out += fmt::format("    pin ({}) {{\n      direction : input;\n      capacitance : {:.3f};\n"
                           "      clock : true;\n    }}\n",
                           p.name, model.pin_cap_ff);
      } else {
        out += pin(p.name, p.dir, port_width(p, *s));
      }
    }
    out += "  }\n";
  }
  out += "}\n";
  return out;
}

}  // namespace tsr::synth

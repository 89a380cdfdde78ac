// The `tessera synth` flow: render the Yosys script (and for nangate45 the SDC and the OpenSTA
// script) from the templates in scripts/synth/ and constraints/, run the tools in
// <out>/<target>/, parse what they wrote, and write the reports.
#include "tessera/synth/synth.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <filesystem>
#include <fstream>
#include <functional>
#include <regex>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "embedded.h"
#include "tessera/error.h"
#include "tessera/gen/config.h"
#include "tessera/gen/emit.h"
#include "tessera/synth/parse.h"
#include "tessera/synth/report.h"
#include "tessera/synth/tool.h"

#ifndef TSR_DEFAULT_LIBERTY
#error "TSR_DEFAULT_LIBERTY must name the default Nangate45 Liberty file"
#endif

namespace fs = std::filesystem;

namespace tsr::synth {

namespace {

// Project conventions the constraints rely on (conventions §4: clk_i, rst_ni).
constexpr const char* kClockPort = "clk_i";
constexpr const char* kResetPort = "rst_ni";
// Nangate45 cells the SDC and the buffer trees use.
constexpr const char* kDrivingCell = "BUF_X1";
constexpr const char* kDrivingPin = "Z";
constexpr const char* kLoadCell = "DFF_X1";
constexpr const char* kLoadPin = "D";
constexpr int kLoadCount = 4;
constexpr const char* kBufferCell = "BUF_X4";
constexpr const char* kBufferIn = "A";
constexpr const char* kBufferOut = "Z";
constexpr const char* kGateEquivalentCell = "NAND2_X1";
// The escape core's instance in the flat netlist of tsr_top (tsr_accel's generate block g_core).
constexpr const char* kCoreInstance = "u_accel.g_core.u_core";

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

// SDC for an escape core on a clock enable (core.clk_div = N): every flip-flop, clock gate and
// memory of the core advances only at every N-th edge, so a path that starts and ends inside the
// core has N cycles (setup) and its hold check stays at the launch edge (N - 1). Paths into and
// out of the core keep one cycle. The core's paths form their own path group, escape_core.
std::string core_multicycle_sdc(const std::string& instance, int n) {
  return fmt::format(
      "# Escape core on a clock enable (core.clk_div = {0}): its flip-flops, clock gates and memories\n"
      "# advance only at every {0}th edge of {1} (docs/synth.md, \"Escape core clock\"), so a path that\n"
      "# starts and ends inside it has {0} cycles; its hold check stays at the launch edge. Paths\n"
      "# between the core and the accelerator keep one cycle.\n"
      "set tsr_core_cells [get_cells {{{2}.*}}]\n"
      "if {{[llength $tsr_core_cells] == 0}} {{ error \"no cells match {2}.*: the escape core's instance\" }}\n"
      "set_multicycle_path {0} -setup -from $tsr_core_cells -to $tsr_core_cells\n"
      "set_multicycle_path {3} -hold -from $tsr_core_cells -to $tsr_core_cells\n"
      "group_path -name escape_core -from $tsr_core_cells -to $tsr_core_cells\n",
      n, kClockPort, instance, n - 1);
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) fail("cannot read {}", p.string());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_text(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  if (!out) fail("cannot write {}", p.string());
  out << text;
  if (!out) fail("cannot write {}", p.string());
}

// Paths go into Yosys and Tcl scripts unquoted; refuse the characters those would misread.
void check_script_path(const fs::path& p, const std::string& what) {
  const std::string s = p.string();
  if (s.find_first_of(" \t\n\"'{}[]$;\\#") != std::string::npos) {
    fail("{} '{}' contains a space or one of \"'{{}}[]$;\\# which the Yosys/OpenSTA scripts cannot "
         "take; use a path without them",
         what, s);
  }
}

std::string render(const std::string& name, const std::map<std::string, std::string>& vars) {
  const auto& files = embedded_synth_files();
  const auto it = files.find(name);
  if (it == files.end()) fail("internal: no embedded template '{}'", name);
  const std::string& text = it->second;
  std::string out;
  std::size_t pos = 0;
  while (true) {
    const auto open = text.find("{{", pos);
    if (open == std::string::npos) break;
    const auto close = text.find("}}", open + 2);
    if (close == std::string::npos) fail("internal: unterminated placeholder in template '{}'", name);
    const std::string key = text.substr(open + 2, close - open - 2);
    const auto v = vars.find(key);
    if (v == vars.end()) fail("internal: template '{}' uses {{{{{}}}}} which tessera does not fill", name, key);
    out.append(text, pos, open - pos);
    out += v->second;
    pos = close + 2;
  }
  out.append(text, pos, std::string::npos);
  return out;
}

std::string tool_failure(const std::string& tool, int code, const std::string& what,
                         const fs::path& log) {
  std::string text;
  try {
    text = read_text(log);
  } catch (const Error&) {
  }
  return fmt::format("{} failed (exit {}) on {}:\n{}\nfull log: {}", tool, code, what,
                     error_excerpt(text), log.string());
}

std::string format_ns(double v) { return fmt::format("{:.4f}", v); }

std::string first_match(const std::string& text, const std::regex& re) {
  std::smatch m;
  return std::regex_search(text, m, re) ? m[0].str() : std::string();
}

struct FlowInput {
  std::string what;  // "variant 'tiny'", "the reference MAC"
  fs::path rtl_dir;
  std::vector<std::string> rtl_files;  // relative to rtl_dir, or absolute
  std::string top;
  fs::path work;
  fs::path macro_liberty;  // nangate45: the SRAM macros' Liberty model, when there are macros
  bool blocks = false;     // compute the per-block rows (whole accelerator)
  // Escape core on a clock enable inside the top: the flat-netlist name prefix of its instance
  // and core.clk_div (> 1: its internal paths are multicycle; docs/synth.md).
  std::string core_instance;
  int core_clk_div = 1;
  std::string setup;       // Yosys commands after read_verilog (chparam, read_liberty -lib)
};

struct FlowEnv {
  Target target;
  std::string yosys, sta;
  fs::path liberty;          // plain-text Liberty (nangate45)
  std::string liberty_text;  // its contents, for cell areas
  std::string liberty_name;  // its library name (NangateOpenCellLibrary)
  double period_ns = 0;
  int freq_mhz = 0;
  double io_fraction = 0.2;
  int max_fanout = 16;
  double macro_clk_to_q_ns = 0;  // the SRAM macro model's read data delay (nangate45)
  std::string banner;
};

struct FlowOutput {
  DesignStats design;
  std::vector<BlockRow> blocks;
  std::optional<TimingReport> timing;
  std::string yosys_version;
};

FlowOutput run_flow(const FlowInput& in, const FlowEnv& env) {
  const fs::path& w = in.work;
  fs::create_directories(w);
  check_script_path(fs::absolute(w), "output directory");

  const fs::path stat_file = w / "stat.txt";
  const fs::path modules_file = w / "modules.json";
  const fs::path netlist = w / "netlist.v";
  const fs::path sdc = w / (in.top + ".sdc");
  const std::map<std::string, fs::path> reports = {
      {"REPORT_WORST", w / "timing_worst.rpt"},       {"REPORT_REG2REG", w / "timing_reg2reg.rpt"},
      {"REPORT_FROM_INPUTS", w / "timing_from_inputs.rpt"},
      {"REPORT_TO_OUTPUTS", w / "timing_to_outputs.rpt"},
      {"REPORT_TNS", w / "tns.rpt"},                  {"REPORT_WNS", w / "wns.rpt"},
      {"BUFFERS_FILE", w / "buffers.txt"},
      {"REPORT_CORE", w / "timing_core.rpt"},         {"REPORT_CORE_OUT", w / "timing_core_out.rpt"},
      {"REPORT_CORE_IN", w / "timing_core_in.rpt"}};
  const bool multicycle = !in.core_instance.empty() && in.core_clk_div > 1;
  // A failed run must not leave an earlier run's results to be parsed.
  for (const auto& p : {stat_file, modules_file, netlist, sdc}) fs::remove(p);
  for (const auto& [k, p] : reports) fs::remove(p);

  std::string files;
  for (const auto& f : in.rtl_files) {
    const fs::path p = fs::absolute(in.rtl_dir / f);
    check_script_path(p, "RTL file");
    files += (files.empty() ? "" : " ") + p.string();
  }
  check_script_path(fs::absolute(in.rtl_dir), "RTL directory");
  std::map<std::string, std::string> vars = {
      {"BANNER", env.banner},
      {"RTL_DIR", fs::absolute(in.rtl_dir).string()},
      {"RTL_FILES", files},
      {"TOP", in.top},
      {"SETUP", in.setup.empty() ? std::string("# (no parameter overrides)") : in.setup},
      {"STAT_FILE", fs::absolute(stat_file).string()},
      {"MODULES_FILE", fs::absolute(modules_file).string()},
  };
  if (env.target == Target::Nangate45) {
    vars["LIBERTY"] = env.liberty.string();
    // ABC maps the logic between registers against a delay target; it does not see the
    // flip-flops' clock-to-Q (DFF_X1 about 0.1-0.16 ns) and setup (about 0.04 ns), nor the
    // buffer trees added before timing. The target is the period less that register overhead,
    // so that a path ABC meets is one that OpenSTA meets at the period (docs/synth.md).
    constexpr long kRegOverheadPs = 200;
    const long period_ps = std::lround(env.period_ns * 1000.0);
    vars["ABC_DELAY_PS"] = std::to_string(std::max(period_ps - kRegOverheadPs, period_ps / 2));
    // The accumulator's read-modify-write starts at an SRAM macro's read data, which arrives the
    // macro's clock-to-q after the edge; ABC sees only its own module and would time it from 0.
    const long macro_ps = std::lround(env.macro_clk_to_q_ns * 1000.0);
    vars["ABC_MACRO_DELAY_PS"] = std::to_string(std::max(period_ps - kRegOverheadPs - macro_ps, period_ps / 2));
    vars["NETLIST"] = fs::absolute(netlist).string();
  }
  const std::string script = target_name(env.target) + ".ys";
  write_text(w / script, render(script + ".in", vars));

  const fs::path ylog = w / "yosys.log";
  const int yrc = run_tool({env.yosys, "-s", script}, w.string(), ylog.string());
  if (yrc != 0) fail("{}", tool_failure("yosys", yrc, in.what, ylog));
  if (!fs::exists(stat_file) || !fs::exists(modules_file)) {
    fail("{}", tool_failure("yosys", yrc, in.what + " (no statistics written)", ylog));
  }

  FlowOutput out;
  out.yosys_version = first_match(read_text(ylog), std::regex(R"(Yosys \d+\.\d+[^\r\n]*)"));
  const auto module_info = parse_modules_json(read_text(modules_file));
  out.design = combine(parse_stat(read_text(stat_file)), module_info, in.top, env.target);
  if (in.blocks) out.blocks = block_rows(out.design, module_info, env.target);
  if (env.target != Target::Nangate45) return out;

  // Timing: the SDC from the variant's clock, then OpenSTA.
  const double io_delay = env.period_ns * env.io_fraction;
  const std::map<std::string, std::string> sdc_vars = {
      {"BANNER", env.banner},
      {"FREQ_MHZ", std::to_string(env.freq_mhz)},
      {"CLOCK_PORT", kClockPort},
      {"RESET_PORT", kResetPort},
      {"PERIOD_NS", format_ns(env.period_ns)},
      {"IO_DELAY_NS", format_ns(io_delay)},
      {"IO_DELAY_PCT", fmt::format("{:g}", env.io_fraction * 100.0)},
      {"DRIVING_CELL", kDrivingCell},
      {"DRIVING_PIN", kDrivingPin},
      {"LOAD_COUNT", std::to_string(kLoadCount)},
      {"LOAD_PIN_CELL", kLoadCell},
      // The library by name: a wildcard (*/DFF_X1/D) finds nothing in this OpenSTA once a second
      // library (the SRAM macro model) is loaded.
      {"LOAD_LIB", env.liberty_name},
      {"LOAD_PIN", kLoadPin},
      {"MULTICYCLE", multicycle ? core_multicycle_sdc(in.core_instance, in.core_clk_div)
                                : std::string("# (no multicycle paths)")},
  };
  write_text(sdc, render("tsr_clock.sdc.in", sdc_vars));

  std::map<std::string, std::string> sta_vars = {
      {"BANNER", env.banner},
      {"LIBERTY", env.liberty.string()},
      {"NETLIST", fs::absolute(netlist).string()},
      {"TOP", in.top},
      {"SDC", fs::absolute(sdc).string()},
      {"CLOCK_PORT", kClockPort},
      {"MAX_FANOUT", std::to_string(env.max_fanout)},
      {"BUFFER_CELL", kBufferCell},
      {"BUFFER_IN_PIN", kBufferIn},
      {"BUFFER_OUT_PIN", kBufferOut},
      {"MACRO_LIBERTY", in.macro_liberty.empty()
                            ? std::string("# (no SRAM macros)")
                            : "read_liberty " + fs::absolute(in.macro_liberty).string()},
      {"CORE_PATTERN", multicycle ? in.core_instance + ".*" : std::string()},
  };
  for (const auto& [k, p] : reports) sta_vars[k] = fs::absolute(p).string();
  write_text(w / "sta.tcl", render("nangate45_sta.tcl.in", sta_vars));

  const fs::path slog = w / "sta.log";
  const int src = run_tool({env.sta, "-no_init", "-no_splash", "-exit", "sta.tcl"}, w.string(),
                           slog.string());
  const std::string slog_text = read_text(slog);
  bool complete = src == 0 && slog_text.find("tessera: sta done") != std::string::npos;
  for (const auto& [k, p] : reports) {
    if (!multicycle && starts_with(k, "REPORT_CORE")) continue;
    complete = complete && fs::exists(p);
  }
  // OpenSTA reports a failed command inside a script (a constraint that names nothing) as an
  // "Error:" line and carries on; a run with one is not trusted.
  complete = complete && !std::regex_search(slog_text, std::regex(R"((^|\n)Error:)"));
  if (!complete) fail("{}", tool_failure("sta (OpenSTA)", src, in.what, slog));

  TimingReport t;
  t.period_ns = env.period_ns;
  t.io_delay_ns = io_delay;
  t.worst = parse_sta_path(read_text(reports.at("REPORT_WORST")), env.period_ns);
  t.reg2reg = parse_sta_path(read_text(reports.at("REPORT_REG2REG")), env.period_ns);
  t.from_inputs = parse_sta_path(read_text(reports.at("REPORT_FROM_INPUTS")), env.period_ns);
  t.to_outputs = parse_sta_path(read_text(reports.at("REPORT_TO_OUTPUTS")), env.period_ns);
  if (multicycle) {
    t.core_clk_div = in.core_clk_div;
    t.core_internal = parse_sta_path(read_text(reports.at("REPORT_CORE")), env.period_ns);
    t.core_out = parse_sta_path(read_text(reports.at("REPORT_CORE_OUT")), env.period_ns);
    t.core_in = parse_sta_path(read_text(reports.at("REPORT_CORE_IN")), env.period_ns);
  }
  t.tns_ns = parse_sta_value(read_text(reports.at("REPORT_TNS")), "tns");
  t.wns_ns = parse_sta_value(read_text(reports.at("REPORT_WNS")), "wns");
  t.buffer_cell = kBufferCell;
  t.max_fanout = env.max_fanout;
  t.buffered_nets = parse_buffered_nets(read_text(reports.at("BUFFERS_FILE")));
  std::smatch m;
  if (std::regex_search(slog_text, m, std::regex(R"(tessera: inserted (\d+) buffers)"))) {
    t.buffers = std::stol(m[1]);
  }
  if (const auto a = liberty_cell_area(env.liberty_text, kBufferCell)) {
    t.buffer_area_um2 = *a * static_cast<double>(t.buffers);
  }
  out.timing = std::move(t);
  return out;
}

// The Liberty file as plain text in the output directory (Yosys and OpenSTA want it unpacked).
fs::path plain_liberty(const fs::path& src, const fs::path& work) {
  if (src.extension() != ".gz") return fs::absolute(src);
  const fs::path dest = fs::absolute(work / src.stem());
  std::error_code ec;
  if (fs::exists(dest) && fs::file_size(dest, ec) > 0 &&
      fs::last_write_time(dest, ec) >= fs::last_write_time(src, ec) && !ec) {
    return dest;
  }
  const fs::path tmp = dest.string() + ".tsr-tmp";
  const fs::path log = work / "gunzip.log";
  const int rc = run_tool({"gzip", "-dc", fs::absolute(src).string()}, "", log.string(), tmp.string());
  if (rc != 0) {
    fs::remove(tmp);
    fail("{}", tool_failure("gzip", rc, "the Liberty file " + src.string(), log));
  }
  fs::rename(tmp, dest);
  return dest;
}

// Whole accelerator: find the SRAMs (a quick elaboration with the primitive as a black box),
// classify them, and when some are macros replace the primitive by the wrapper with macro stubs
// (and, for nangate45, write the macros' Liberty model).
struct SramPlan {
  std::vector<SramInstance> srams;
  double macro_area_um2 = 0;
};

SramPlan prepare_srams(FlowInput& in, const FlowEnv& env, const SramModel& model) {
  SramPlan plan;
  const fs::path dir = in.work / "sram";
  fs::create_directories(dir);
  const fs::path probe = dir / "sram_probe.json";
  fs::remove(probe);
  std::string files;
  std::vector<std::string> others;
  bool have_primitive = false;
  for (const auto& f : in.rtl_files) {
    if (fs::path(f).filename() == std::string(kSramModule) + ".v") {
      have_primitive = true;
      continue;
    }
    others.push_back(f);
    const fs::path p = fs::absolute(in.rtl_dir / f);
    check_script_path(p, "RTL file");
    files += (files.empty() ? "" : " ") + p.string();
  }
  if (!have_primitive) return plan;  // no memories
  const fs::path primitive = in.rtl_dir / (std::string(kSramModule) + ".v");
  const std::map<std::string, std::string> vars = {
      {"BANNER", env.banner},
      {"RTL_DIR", fs::absolute(in.rtl_dir).string()},
      {"RTL_FILES", files},
      {"SRAM_FILE", fs::absolute(primitive).string()},
      {"TOP", in.top},
      {"SETUP", in.setup.empty() ? std::string("# (no parameter overrides)") : in.setup},
      {"PROBE_FILE", fs::absolute(probe).string()},
  };
  write_text(dir / "sram_probe.ys", render("sram_probe.ys.in", vars));
  const fs::path log = dir / "sram_probe.log";
  const int rc = run_tool({env.yosys, "-q", "-s", "sram_probe.ys"}, dir.string(), log.string());
  if (rc != 0 || !fs::exists(probe)) {
    fail("{}", tool_failure("yosys", rc, in.what + " (finding the SRAMs)", log));
  }
  plan.srams = parse_sram_instances(read_text(probe), in.top);
  classify_srams(plan.srams, model);
  bool any_macro = false;
  for (const auto& s : plan.srams) {
    plan.macro_area_um2 += s.model_area_um2;
    any_macro = any_macro || s.macro;
  }
  if (!any_macro) return plan;
  const std::string primitive_text = read_text(primitive);
  const fs::path map = fs::absolute(dir / "tsr_sram_map.v");
  write_text(map, sram_wrapper_verilog(primitive_text, plan.srams, env.banner));
  others.insert(others.begin(), map.string());
  in.rtl_files = others;
  if (env.target == Target::Nangate45) {
    in.macro_liberty = fs::absolute(dir / "tsr_sram_macros.lib");
    write_text(in.macro_liberty, sram_liberty(primitive_text, plan.srams, model, env.banner));
  }
  return plan;
}

// The escape core on its own (it is not instantiated in tsr_top yet): rtl/tsr_core.v and its
// submodules (embedded in the binary), the variant's tsr_memmap.vh and SRAM primitive, the core
// parameters from the variant, Trace = 0. Nangate45 maps the register file's clock gates to the
// library's CLKGATE_X1 (scripts/synth/tsr_clk_gate_nangate45.v); other targets synthesize the
// latch + AND of rtl/tsr_clk_gate.v.
FlowInput core_flow_input(const VariantInfo& v, const FlowEnv& env, const fs::path& work,
                          std::string& params) {
  FlowInput in;
  in.what = fmt::format("the escape core tsr_core of variant '{}'", v.name);
  in.work = work;
  in.rtl_dir = work / "rtl";
  fs::create_directories(in.rtl_dir);
  const auto& files = embedded_synth_files();
  const std::string gate = env.target == Target::Nangate45 ? "tsr_clk_gate_nangate45.v" : "tsr_clk_gate.v";
  for (const std::string f : {"tsr_core.v", "tsr_core_muldiv.v"}) {
    write_text(in.rtl_dir / f, files.at(f));
  }
  write_text(in.rtl_dir / "tsr_clk_gate.v", files.at(gate));
  for (const std::string f : {"tsr_memmap.vh", "tsr_sram_1r1w.v"}) {
    const fs::path src = fs::path(v.dir) / "rtl" / f;
    if (!fs::exists(src)) fail("synth: the escape core needs {}, which variant '{}' lacks", src.string(), v.name);
    write_text(in.rtl_dir / f, read_text(src));
  }
  in.rtl_files = {"tsr_sram_1r1w.v", "tsr_clk_gate.v", "tsr_core_muldiv.v", "tsr_core.v"};
  in.top = "tsr_core";
  params = fmt::format("MExt={} ImemKib={} DmemKib={} SpadBytes={} Trace=0 ClkDiv={}",
                       v.core_m_ext ? 1 : 0, v.core_imem_kib, v.core_dmem_kib, v.spad_bytes,
                       v.core_clk_div);
  in.setup = fmt::format("chparam -set MExt {} -set ImemKib {} -set DmemKib {} -set SpadBytes {} "
                         "-set Trace 0 -set ClkDiv {} tsr_core",
                         v.core_m_ext ? 1 : 0, v.core_imem_kib, v.core_dmem_kib, v.spad_bytes,
                         v.core_clk_div);
  if (env.target == Target::Nangate45) {
    in.setup = "read_liberty -lib " + env.liberty.string() + "\n" + in.setup;
  }
  return in;
}

}  // namespace

const std::vector<std::string>& target_names() {
  static const std::vector<std::string> names = {"generic", "ice40", "ecp5", "nangate45"};
  return names;
}

std::string target_name(Target t) { return target_names().at(static_cast<std::size_t>(t)); }

Target parse_target(const std::string& name) {
  const auto& names = target_names();
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return static_cast<Target>(i);
  }
  fail("unknown synthesis target '{}' (allowed: {})", name, fmt::join(names, ", "));
}

std::string default_liberty() {
  if (const char* env = std::getenv("TSR_LIBERTY"); env != nullptr && *env != '\0') return env;
  return fs::path(TSR_DEFAULT_LIBERTY).lexically_normal().string();
}

VariantInfo read_variant(const std::string& variant_dir) {
  const fs::path dir = variant_dir;
  const fs::path mpath = dir / "manifest.json";
  if (!fs::exists(mpath)) {
    fail("{} not found: '{}' is not a generated variant (generate one with: tessera gen --config "
         "PRESET.toml --out {}, or use tessera synth --config)",
         mpath.string(), variant_dir, variant_dir);
  }
  nlohmann::json m;
  try {
    m = nlohmann::json::parse(read_text(mpath));
  } catch (const nlohmann::json::exception& e) {
    fail("{}: not valid JSON: {}", mpath.string(), e.what());
  }
  auto field = [&](const nlohmann::json& obj, const std::string& key) -> const nlohmann::json& {
    if (!obj.is_object() || !obj.contains(key)) fail("{}: missing \"{}\"", mpath.string(), key);
    return obj.at(key);
  };
  VariantInfo v;
  v.dir = variant_dir;
  try {
    v.name = field(m, "variant").get<std::string>();
    v.config_hash = field(m, "config_hash").get<std::string>();
    // "top" is the accelerator (tsr_top) when the variant has one, else the array itself.
    const std::string top = field(m, "top").get<std::string>();
    v.array_top = m.contains("array_top") ? m.at("array_top").get<std::string>() : top;
    v.accel_top = top != v.array_top ? top : std::string();
    v.top = v.array_top;
    v.rtl_files = field(m, "rtl_files").get<std::vector<std::string>>();
    const auto& params = field(m, "params");
    v.rows = field(params, "array.rows").get<int>();
    v.cols = field(params, "array.cols").get<int>();
    v.dataflow = field(params, "array.dataflow").get<std::string>();
    v.freq_mhz = field(params, "clock.freq_mhz").get<int>();
    v.core_enable = params.contains("core.enable") && params.at("core.enable").is_boolean() &&
                    params.at("core.enable").get<bool>();
    if (v.core_enable) {
      v.core_m_ext = field(params, "core.m_ext").get<bool>();
      v.core_imem_kib = field(params, "core.imem_kib").get<int>();
      v.core_dmem_kib = field(params, "core.dmem_kib").get<int>();
      if (params.contains("core.clk_div")) v.core_clk_div = params.at("core.clk_div").get<int>();
      v.spad_bytes = field(field(field(m, "core_memmap"), "SPAD"), "size").get<long>();
    }
  } catch (const nlohmann::json::exception& e) {
    fail("{}: unexpected field type: {}", mpath.string(), e.what());
  }
  if (v.rtl_files.empty()) fail("{}: \"rtl_files\" is empty", mpath.string());
  if (v.freq_mhz <= 0) fail("{}: clock.freq_mhz must be positive", mpath.string());
  for (const auto& f : v.rtl_files) {
    if (!fs::exists(dir / "rtl" / f)) {
      fail("{}: lists rtl/{}, which does not exist in {}", mpath.string(), f, variant_dir);
    }
  }
  return v;
}

std::string generate_variant(const std::string& config_path, const std::vector<std::string>& sets,
                             const std::string& out_dir) {
  const tsr::gen::AccelConfig cfg = tsr::gen::load_config(config_path, sets);
  const std::string dir = (fs::path(out_dir) / "variant").string();
  std::string command = "tessera gen --config " + config_path;
  for (const auto& s : sets) command += " --set " + s;
  command += " --out " + dir;
  tsr::gen::write_output(tsr::gen::generate(cfg, command), dir, false);
  return dir;
}

SynthResult run_synth(const Options& opt) {
  if (opt.out_dir.empty()) fail("synth: no output directory given (--out DIR)");
  if (opt.max_fanout < 2) fail("synth: max fanout must be at least 2, not {}", opt.max_fanout);
  if (!(opt.io_delay_fraction >= 0.0 && opt.io_delay_fraction < 1.0)) {
    fail("synth: I/O delay fraction must be in [0, 1), not {}", opt.io_delay_fraction);
  }

  // Check every input before running anything.
  SynthResult r;
  r.target = opt.target;
  r.variant = read_variant(opt.variant_dir);
  const std::string yosys = find_program(opt.yosys);
  if (yosys.empty()) fail("'{}' not found on PATH (scripts/install-deps installs yosys)", opt.yosys);
  std::string sta;
  fs::path liberty_src;
  if (opt.target == Target::Nangate45) {
    sta = find_program(opt.sta);
    if (sta.empty()) {
      fail("'{}' (OpenSTA) not found on PATH (scripts/install-deps installs the opensta package)",
           opt.sta);
    }
    liberty_src = opt.liberty.empty() ? default_liberty() : opt.liberty;
    if (!fs::is_regular_file(liberty_src)) {
      fail("Liberty file '{}' not found; pass --liberty FILE (.lib or .lib.gz) or set TSR_LIBERTY "
           "(the Nangate45 library is shared/liberty/nangate45_typ.lib.gz beside the repository)",
           liberty_src.string());
    }
  }

  if (opt.scope == "core") {
    if (!r.variant.core_enable) {
      fail("synth: variant '{}' has no escape core (core.enable = false); --scope core needs one",
           r.variant.name);
    }
    r.scope = "core";
    r.variant.top = "tsr_core";
  } else if (opt.scope == "top" || (opt.scope.empty() && !r.variant.accel_top.empty())) {
    if (r.variant.accel_top.empty()) {
      fail("synth: variant '{}' has no accelerator top (its manifest's \"top\" is the array {}); "
           "use --scope array",
           r.variant.name, r.variant.array_top);
    }
    r.scope = "top";
    r.variant.top = r.variant.accel_top;
  } else if (opt.scope == "array" || opt.scope.empty()) {
    r.scope = "array";
    r.variant.top = r.variant.array_top;
  } else {
    fail("synth: unknown --scope '{}' (allowed: top, array, core)", opt.scope);
  }
  r.sram_model = opt.sram_model;
  if (opt.sram_threshold_bits) {
    if (*opt.sram_threshold_bits < 0) {
      fail("synth: --sram-threshold-bits must be >= 0, not {}", *opt.sram_threshold_bits);
    }
    r.sram_model.threshold_bits = *opt.sram_threshold_bits;
  } else if (opt.target == Target::Ice40 || opt.target == Target::Ecp5) {
    r.sram_model.threshold_bits = std::numeric_limits<long>::max();  // block RAM, not macros
  }

  const fs::path work = fs::path(opt.out_dir) / target_name(opt.target);
  fs::create_directories(work);
  r.work_dir = work.string();
  r.command = opt.command.empty()
                  ? fmt::format("tessera synth --variant-dir {} --target {} --out {}", opt.variant_dir,
                                target_name(opt.target), opt.out_dir)
                  : opt.command;

  FlowEnv env;
  env.target = opt.target;
  env.yosys = yosys;
  env.sta = sta;
  env.freq_mhz = r.variant.freq_mhz;
  env.period_ns = 1000.0 / r.variant.freq_mhz;
  env.io_fraction = opt.io_delay_fraction;
  env.max_fanout = opt.max_fanout;
  env.macro_clk_to_q_ns = r.sram_model.clk_to_q_ns;
  env.banner = fmt::format(
      "Generated by tessera {} for variant '{}' (config hash {}), target {} -- do not edit. "
      "Regenerate: {}",
      tsr::gen::version(), r.variant.name, r.variant.config_hash, target_name(opt.target), r.command);
  if (opt.target == Target::Nangate45) {
    env.liberty = plain_liberty(liberty_src, work);
    check_script_path(env.liberty, "Liberty file");
    env.liberty_text = read_text(env.liberty);
    env.liberty_name = first_match(env.liberty_text, std::regex(R"(library\s*\(\s*"?[A-Za-z_]\w*)"));
    if (env.liberty_name.empty()) fail("Liberty file '{}' has no library (...) group", liberty_src.string());
    env.liberty_name = env.liberty_name.substr(env.liberty_name.find_first_of("(") + 1);
    env.liberty_name.erase(0, env.liberty_name.find_first_not_of(" \t\""));
    r.liberty = fs::absolute(liberty_src).lexically_normal().string();
    r.liberty_plain = env.liberty.string();
    if (const auto a = liberty_cell_area(env.liberty_text, kGateEquivalentCell)) r.kge_um2 = *a * 1000.0;
    const fs::path vlog = work / "sta_version.txt";
    if (run_tool({sta, "-version"}, work.string(), vlog.string()) == 0) {
      std::string v = read_text(vlog);
      while (!v.empty() && (v.back() == '\n' || v.back() == '\r')) v.pop_back();
      r.sta_version = v;
    }
  }

  FlowInput variant_in;
  if (r.scope == "core") {
    std::string params;
    variant_in = core_flow_input(r.variant, env, work / "core_rtl", params);
    variant_in.work = work;
  } else {
    variant_in.what = fmt::format("variant '{}' ({})", r.variant.name, r.variant.dir);
    variant_in.rtl_dir = fs::path(r.variant.dir) / "rtl";
    variant_in.rtl_files = r.variant.rtl_files;
    variant_in.top = r.variant.top;
    variant_in.work = work;
  }
  // Nangate45: the register file's clock gates become the library's CLKGATE_X1 (the RTL's latch +
  // AND would stay an unmapped latch cell that OpenSTA cannot link).
  if (env.target == Target::Nangate45 && r.scope != "core") {
    for (auto& f : variant_in.rtl_files) {
      if (fs::path(f).filename() != "tsr_clk_gate.v") continue;
      const fs::path cg = fs::absolute(work / "clk_gate" / "tsr_clk_gate.v");
      fs::create_directories(cg.parent_path());
      write_text(cg, embedded_synth_files().at("tsr_clk_gate_nangate45.v"));
      f = cg.string();
      variant_in.setup = "read_liberty -lib " + env.liberty.string();
    }
  }
  r.core_in_top = r.scope == "top" && std::find(r.variant.rtl_files.begin(), r.variant.rtl_files.end(),
                                                 "tsr_core.v") != r.variant.rtl_files.end();
  if (r.core_in_top && r.variant.core_enable && r.variant.core_clk_div > 1) {
    variant_in.core_instance = kCoreInstance;
    variant_in.core_clk_div = r.variant.core_clk_div;
  }
  if (r.scope != "array") {
    variant_in.blocks = r.scope == "top";
    SramPlan plan = prepare_srams(variant_in, env, r.sram_model);
    r.srams = std::move(plan.srams);
    r.macro_area_um2 = plan.macro_area_um2;
  }
  FlowOutput vo = run_flow(variant_in, env);
  r.yosys_version = vo.yosys_version;
  r.design = std::move(vo.design);
  r.timing = std::move(vo.timing);
  r.blocks = std::move(vo.blocks);

  // A variant whose tsr_top does not hold the escape core (generated before the core moved into
  // the accelerator): with --scope top the core is synthesized on its own and reported beside the
  // accelerator (docs/synth.md, "Escape core"). Otherwise its block row reports it.
  if (r.scope == "top" && r.variant.core_enable && opt.core && !r.core_in_top) {
    CoreResult c;
    FlowInput core_in = core_flow_input(r.variant, env, work / "core" / "rtl", c.params);
    core_in.work = work / "core";
    SramPlan plan = prepare_srams(core_in, env, r.sram_model);
    c.srams = std::move(plan.srams);
    c.macro_area_um2 = plan.macro_area_um2;
    FlowOutput co = run_flow(core_in, env);
    c.design = std::move(co.design);
    c.timing = std::move(co.timing);
    c.work_dir = core_in.work.string();
    r.core = std::move(c);
  }

  if (opt.ref_mac && r.scope != "core") {
    FlowInput mac_in;
    mac_in.what = "the reference MAC (tsr_ref_mac)";
    mac_in.work = work / "ref_mac";
    mac_in.rtl_dir = mac_in.work / "rtl";
    fs::create_directories(mac_in.rtl_dir);
    write_text(mac_in.rtl_dir / "tsr_ref_mac.v", embedded_synth_files().at("tsr_ref_mac.v"));
    mac_in.rtl_files = {"tsr_ref_mac.v"};
    mac_in.top = "tsr_ref_mac";
    FlowOutput mo = run_flow(mac_in, env);
    r.ref_design = std::move(mo.design);
    r.ref_timing = std::move(mo.timing);
  }

  r.json_path = (work / "report.json").string();
  r.markdown_path = (work / "report.md").string();
  write_text(r.json_path, report_json(r));
  write_text(r.markdown_path, report_markdown(r));
  return r;
}

}  // namespace tsr::synth

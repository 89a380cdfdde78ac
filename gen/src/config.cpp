#include "tessera/gen/config.h"

#include <algorithm>
#include <charconv>
#include <functional>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "tessera/error.h"

namespace tsr::gen {

namespace {

std::string allowed(const ParamSpec& s) {
  switch (s.kind) {
    case ParamKind::Int:
      return fmt::format("an integer in {}..{}", s.min, s.max);
    case ParamKind::Enum:
      return fmt::format("one of \"{}\"", fmt::join(s.choices, "\", \""));
    case ParamKind::String:
      return "a lowercase identifier ([a-z][a-z0-9_]*, at most 32 characters)";
    case ParamKind::Bool:
      return "true or false";
  }
  return "";
}

const ParamSpec* find_spec(const std::string& key) {
  for (const auto& s : param_specs()) {
    if (s.key == key) return &s;
  }
  return nullptr;
}

std::string known_keys() {
  std::vector<std::string> keys;
  for (const auto& s : param_specs()) keys.push_back(s.key);
  return fmt::format("{}", fmt::join(keys, ", "));
}

bool parse_int(const std::string& text, int64_t& out) {
  if (text.empty()) return false;
  const char* first = text.data();
  const char* last = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(first, last, out);
  return ec == std::errc() && ptr == last;
}

bool is_identifier(const std::string& s) {
  if (s.empty() || s.size() > 32 || !(s[0] >= 'a' && s[0] <= 'z')) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

// Check one value against its spec; return it in canonical text form.
std::string check_value(const ParamSpec& s, const ParamValue& v) {
  switch (s.kind) {
    case ParamKind::Int: {
      int64_t x = 0;
      if (!parse_int(v.text, x)) {
        fail("{}: key '{}': '{}' is not an integer; expected {}", v.where, s.key, v.text,
             allowed(s));
      }
      if (x < s.min || x > s.max) {
        fail("{}: key '{}': {} is out of range; expected {}", v.where, s.key, x, allowed(s));
      }
      return std::to_string(x);
    }
    case ParamKind::Enum:
      for (const auto& c : s.choices) {
        if (c == v.text) return c;
      }
      fail("{}: key '{}': \"{}\" is not allowed; expected {}", v.where, s.key, v.text, allowed(s));
    case ParamKind::String:
      if (!is_identifier(v.text)) {
        fail("{}: key '{}': \"{}\" is not allowed; expected {}", v.where, s.key, v.text,
             allowed(s));
      }
      return v.text;
    case ParamKind::Bool:
      if (v.text != "true" && v.text != "false") {
        fail("{}: key '{}': \"{}\" is not allowed; expected {}", v.where, s.key, v.text,
             allowed(s));
      }
      return v.text;
  }
  return v.text;
}

std::string type_name(const toml::node& n) {
  if (n.is_string()) return "string";
  if (n.is_integer()) return "integer";
  if (n.is_floating_point()) return "float";
  if (n.is_boolean()) return "boolean";
  if (n.is_array()) return "array";
  if (n.is_table()) return "table";
  return "date/time";
}

void flatten(const toml::table& tbl, const std::string& prefix, const std::string& file,
             ParamValues& out) {
  for (const auto& [k, node] : tbl) {
    const std::string key = prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
    const auto line = node.source().begin.line;
    const std::string where = fmt::format("{}:{}", file, line);
    if (const auto* sub = node.as_table()) {
      bool is_section = false;
      for (const auto& s : param_specs()) {
        if (s.key.rfind(key + ".", 0) == 0) is_section = true;
      }
      if (!is_section) fail("{}: unknown section '{}'; known keys: {}", where, key, known_keys());
      flatten(*sub, key, file, out);
      continue;
    }
    const ParamSpec* spec = find_spec(key);
    if (spec == nullptr) fail("{}: unknown key '{}'; known keys: {}", where, key, known_keys());
    std::string text;
    if (spec->kind == ParamKind::Int) {
      if (!node.is_integer()) {
        fail("{}: key '{}': expected {}, got a {}", where, key, allowed(*spec),
             type_name(node));
      }
      text = std::to_string(node.as_integer()->get());
    } else if (spec->kind == ParamKind::Bool) {
      if (!node.is_boolean()) {
        fail("{}: key '{}': expected {}, got a {}", where, key, allowed(*spec),
             type_name(node));
      }
      text = node.as_boolean()->get() ? "true" : "false";
    } else if (spec->kind == ParamKind::Enum && node.is_integer()) {
      text = std::to_string(node.as_integer()->get());  // numeric choices, e.g. bus_bits = 128
    } else {
      if (!node.is_string()) {
        fail("{}: key '{}': expected {}, got a {}", where, key, allowed(*spec),
             type_name(node));
      }
      text = node.as_string()->get();
    }
    out[key] = ParamValue{text, where};
  }
}

}  // namespace

std::string AccelConfig::dataflow_name() const {
  return dataflow == Dataflow::WeightStationary ? "ws" : "os";
}

const std::vector<ParamSpec>& param_specs() {
  static const std::vector<ParamSpec> specs = {
      {"name", ParamKind::String, 0, 0, {},
       "Variant name; prefixes build directories and appears in every banner.", "TSR_VARIANT"},
      {"array.rows", ParamKind::Int, 1, 64, {},
       "Rows of the systolic array (R): activation lanes; the K depth of one WS weight tile, the "
       "M height of one OS output tile.",
       "TSR_ARRAY_ROWS"},
      {"array.cols", ParamKind::Int, 1, 64, {},
       "Columns of the systolic array (C): weight / B lanes and result lanes; the N width of one "
       "tile.",
       "TSR_ARRAY_COLS"},
      {"array.dataflow", ParamKind::Enum, 0, 0, {"ws", "os"},
       "Dataflow: ws = weight-stationary (double-buffered weights, partial sums flow down), os = "
       "output-stationary (accumulators stay in the PEs and drain through a shift chain).",
       "TSR_ARRAY_DATAFLOW_OS"},
      {"array.clock_gate", ParamKind::Bool, 0, 0, {},
       "Clock gating in the array: each PE's step and weight-bank registers and each skew / "
       "de-skew line run on a clock gated by their enable (an integrated clock-gating cell, "
       "CLKGATE_X1 on Nangate45) instead of a hold multiplexer per bit. Smaller, and the "
       "registers do not toggle while the array stalls or idles. false for FPGA targets, where a "
       "gated clock does not belong in the fabric.",
       "TSR_ARRAY_CLOCK_GATE"},
      {"clock.freq_mhz", ParamKind::Int, 1, 2000, {},
       "Target clock frequency in MHz (timing constraints, latency reports).", "TSR_CLOCK_MHZ"},
      {"memory.sp_kib", ParamKind::Int, 1, 4096, {},
       "Scratchpad size in KiB (int8 rows of max(R, C) bytes). Each bank is rounded down to a "
       "power of two rows; the derived TSR_SP_ROWS is what is built.",
       "TSR_SP_KIB"},
      {"memory.sp_banks", ParamKind::Enum, 0, 0, {"1", "2", "4"},
       "Scratchpad banks (by high address bits); the array's weight and activation reads run in "
       "parallel when they hit different banks.",
       "TSR_SP_BANKS"},
      {"memory.acc_kib", ParamKind::Int, 1, 1024, {},
       "Accumulator size in KiB (rows of C int32 lanes, two banks so stores overlap compute). "
       "Each bank is rounded down to a power of two rows.",
       "TSR_ACC_KIB"},
      {"memory.dw_line_px", ParamKind::Int, 0, 1024, {},
       "Depthwise line buffer of the execute unit's vector lanes, in pixels (rows of max(R, C) "
       "bytes, one tsr_sram_1r1w). A depthwise VECTOR with a 3-row kernel, stride_h 1 or 2, k_w <= "
       "3 and an input row span ((out_w - 1) * stride_w + k_w) of 2 .. dw_line_px pixels runs as "
       "one three-row pass instead of two (docs/architecture.md). 0 or 1: no three-row FIR and no "
       "line buffer.",
       "TSR_MEMORY_DW_LINE_PX"},
      {"dma.bus_bits", ParamKind::Enum, 0, 0, {"64", "128"},
       "AXI4 data width of the DMA master in bits.", "TSR_DMA_BUS_BITS"},
      {"core.enable", ParamKind::Bool, 0, 0, {},
       "Escape core: a small RV32IM core with its own instruction / data memories that runs the "
       "ops the array cannot (ESCAPE commands); see docs/memory-map.md.",
       "TSR_CORE_ENABLE"},
      {"core.m_ext", ParamKind::Bool, 0, 0, {},
       "Escape core implements the M extension (mul/div); without it they are illegal "
       "instructions.",
       "TSR_CORE_M_EXT"},
      {"core.imem_kib", ParamKind::Int, 1, 64, {},
       "Escape core instruction memory in KiB (a power of two), at address 0x0000_0000.",
       "TSR_CORE_IMEM_KIB"},
      {"core.dmem_kib", ParamKind::Int, 1, 256, {},
       "Escape core data memory in KiB (a power of two), at address 0x0001_0000; the stack "
       "starts at its top.",
       "TSR_CORE_DMEM_KIB"},
      {"core.clk_div", ParamKind::Int, 1, 8, {},
       "Escape core clock divider N: the core advances on a clock enable every N-th accelerator "
       "cycle (one core cycle = N accelerator cycles), so its single-cycle execute stage does not "
       "set the accelerator's clock; the SDC declares the core's internal paths multicycle N. "
       "Pick N >= clock.freq_mhz / the core's Fmax (docs/synth.md).",
       "TSR_CORE_CLK_DIV"},
      {"skip.enable", ParamKind::Bool, 0, 0, {},
       "Row-elastic zero skipping (ws only): every PE holds skip.depth weights per bank, each row "
       "issues one step per activation that differs from the zero point (at least one per pixel) "
       "and rows are decoupled by psum FIFOs; the array then takes skip.depth*R activations per "
       "beat plus the zero point. See docs/skip.md. With skip.depth <= 2, or skip.depth = 4 and "
       "memory.sp_banks = 4 (four mirrored copies of the input, one per bank), the variant has "
       "the accelerator top tsr_top; depth 4 on fewer banks builds the array only.",
       "TSR_SKIP_ENABLE"},
      {"skip.depth", ParamKind::Enum, 0, 0, {"1", "2", "4"},
       "Skip granularity: K indices per row and pixel (D); a beat carries D*R activations and a "
       "row spends max(1, non-zero of its D) cycles on a pixel. 1 = gating only, no skipping.",
       "TSR_SKIP_DEPTH"},
      {"skip.psum_fifo", ParamKind::Int, 2, 4, {},
       "Psum FIFO entries per PE (above the bottom row), including the entry being accumulated: "
       "how far a row may run ahead of the row below.",
       "TSR_SKIP_PSUM_FIFO"},
      {"skip.row_fifo", ParamKind::Enum, 0, 0, {"2", "4", "8", "16", "32", "64"},
       "Input FIFO entries per row (D bytes each): how far the top rows may run ahead of the "
       "bottom rows before the activation stream stalls.",
       "TSR_SKIP_ROW_FIFO"},
      {"skip.gate", ParamKind::Bool, 0, 0, {},
       "Zero gating in the skip PEs: operand registers hold and the accumulator entry is not "
       "written on zero steps (no datapath toggles). false only as a power baseline.",
       "TSR_SKIP_GATE"},
  };
  return specs;
}

ParamValues load_preset(const std::string& path) {
  toml::table tbl;
  try {
    tbl = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    const auto& src = e.source();
    if (src.begin.line == 0) fail("{}: cannot read config: {}", path, e.description());
    fail("{}:{}:{}: TOML syntax error: {}", path, src.begin.line, src.begin.column,
         e.description());
  }
  ParamValues values;
  flatten(tbl, "", path, values);
  return values;
}

void apply_overrides(ParamValues& values, const std::vector<std::string>& overrides) {
  for (const auto& o : overrides) {
    const auto eq = o.find('=');
    if (eq == std::string::npos || eq == 0) {
      fail("--set {}: expected key=value; known keys: {}", o, known_keys());
    }
    const std::string key = o.substr(0, eq);
    if (find_spec(key) == nullptr) fail("--set {}: unknown key '{}'; known keys: {}", o, key, known_keys());
    values[key] = ParamValue{o.substr(eq + 1), "--set " + o};
  }
}

AccelConfig validate(const ParamValues& values, const std::string& origin) {
  for (const auto& [key, v] : values) {
    if (find_spec(key) == nullptr) fail("{}: unknown key '{}'; known keys: {}", v.where, key, known_keys());
  }
  std::map<std::string, std::string> canon;
  for (const auto& s : param_specs()) {
    auto it = values.find(s.key);
    if (it == values.end()) fail("{}: missing key '{}'; expected {}", origin, s.key, allowed(s));
    canon[s.key] = check_value(s, it->second);
  }
  AccelConfig c;
  c.name = canon["name"];
  c.rows = std::stoi(canon["array.rows"]);
  c.cols = std::stoi(canon["array.cols"]);
  c.dataflow = canon["array.dataflow"] == "os" ? Dataflow::OutputStationary
                                                : Dataflow::WeightStationary;
  c.clock_gate = canon["array.clock_gate"] == "true";
  c.freq_mhz = std::stoi(canon["clock.freq_mhz"]);
  c.sp_kib = std::stoi(canon["memory.sp_kib"]);
  c.sp_banks = std::stoi(canon["memory.sp_banks"]);
  c.acc_kib = std::stoi(canon["memory.acc_kib"]);
  c.dw_line_px = std::stoi(canon["memory.dw_line_px"]);
  c.bus_bits = std::stoi(canon["dma.bus_bits"]);
  c.core_enable = canon["core.enable"] == "true";
  c.core_m_ext = canon["core.m_ext"] == "true";
  c.core_imem_kib = std::stoi(canon["core.imem_kib"]);
  c.core_dmem_kib = std::stoi(canon["core.dmem_kib"]);
  c.core_clk_div = std::stoi(canon["core.clk_div"]);
  c.skip_enable = canon["skip.enable"] == "true";
  c.skip_depth = std::stoi(canon["skip.depth"]);
  c.skip_psum_fifo = std::stoi(canon["skip.psum_fifo"]);
  c.skip_row_fifo = std::stoi(canon["skip.row_fifo"]);
  c.skip_gate = canon["skip.gate"] == "true";

  c.macs = c.rows * c.cols;
  c.a_width = (c.skip_enable ? c.skip_depth : 1) * c.rows * AccelConfig::kInBits;
  c.b_width = c.cols * AccelConfig::kInBits;
  c.c_width = c.cols * AccelConfig::kAccBits;
  // WS: the skew (row r waits r cycles), the PE column (R cycles to the bottom), the de-skew
  // (column c waits C-1-c) and one cycle through the PE row: R + C - 1. OS: the same wave plus the
  // drain chain, counted per tile by the driver; the wave part is identical.
  c.fill_latency = c.rows + c.cols - 1;

  const auto floor_pow2 = [](int64_t v) {
    int64_t p = 1;
    while (p * 2 <= v) p *= 2;
    return p;
  };
  c.sp_row_bytes = std::max(c.rows, c.cols);
  c.bus_bytes = c.bus_bits / 8;
  const int64_t sp_bank = int64_t{c.sp_kib} * 1024 / c.sp_row_bytes / c.sp_banks;
  const int64_t acc_bank = int64_t{c.acc_kib} * 1024 / (4 * c.cols) / AccelConfig::kAccBanks;
  const auto where = [&](const char* key) {
    auto it = values.find(key);
    return it == values.end() ? origin : it->second.where;
  };
  if (sp_bank < 16 || sp_bank * c.sp_banks > 65536) {
    fail("{}: memory.sp_kib = {} gives {} scratchpad rows of {} bytes per bank; each bank needs "
         "16 .. {} rows (16-bit row addresses)",
         where("memory.sp_kib"), c.sp_kib, sp_bank, c.sp_row_bytes, 65536 / c.sp_banks);
  }
  if (acc_bank < 16 || acc_bank * AccelConfig::kAccBanks > 65536) {
    fail("{}: memory.acc_kib = {} gives {} accumulator rows of {} bytes per bank; each bank "
         "needs 16 .. 32768 rows",
         where("memory.acc_kib"), c.acc_kib, acc_bank, 4 * c.cols);
  }
  if (c.skip_enable && c.dataflow != Dataflow::WeightStationary) {
    fail("{}: key 'skip.enable': zero skipping needs array.dataflow = \"ws\" (the row-elastic "
         "array is weight-stationary); set skip.enable = false for an os variant",
         where("skip.enable"));
  }
  for (const char* key : {"core.imem_kib", "core.dmem_kib"}) {
    const int kib = std::stoi(canon[key]);
    if (floor_pow2(kib) != kib) {
      fail("{}: key '{}': {} is not a power of two; expected 1, 2, 4, ..., {}", where(key), key,
           kib, find_spec(key)->max);
    }
  }
  c.sp_bank_rows = static_cast<int>(floor_pow2(sp_bank));
  c.sp_rows = c.sp_bank_rows * c.sp_banks;
  c.acc_bank_rows = static_cast<int>(floor_pow2(acc_bank));
  c.acc_rows = c.acc_bank_rows * AccelConfig::kAccBanks;

  // FNV-1a 64 over the canonical listing.
  uint64_t h = 1469598103934665603ull;
  for (unsigned char ch : canonical(c)) {
    h ^= ch;
    h *= 1099511628211ull;
  }
  c.hash = fmt::format("{:016x}", h);
  return c;
}

std::string param_value(const AccelConfig& cfg, const std::string& key) {
  if (key == "name") return cfg.name;
  if (key == "array.rows") return std::to_string(cfg.rows);
  if (key == "array.cols") return std::to_string(cfg.cols);
  if (key == "array.dataflow") return cfg.dataflow_name();
  if (key == "array.clock_gate") return cfg.clock_gate ? "true" : "false";
  if (key == "clock.freq_mhz") return std::to_string(cfg.freq_mhz);
  if (key == "memory.sp_kib") return std::to_string(cfg.sp_kib);
  if (key == "memory.sp_banks") return std::to_string(cfg.sp_banks);
  if (key == "memory.acc_kib") return std::to_string(cfg.acc_kib);
  if (key == "memory.dw_line_px") return std::to_string(cfg.dw_line_px);
  if (key == "dma.bus_bits") return std::to_string(cfg.bus_bits);
  if (key == "core.enable") return cfg.core_enable ? "true" : "false";
  if (key == "core.m_ext") return cfg.core_m_ext ? "true" : "false";
  if (key == "core.imem_kib") return std::to_string(cfg.core_imem_kib);
  if (key == "core.dmem_kib") return std::to_string(cfg.core_dmem_kib);
  if (key == "core.clk_div") return std::to_string(cfg.core_clk_div);
  if (key == "skip.enable") return cfg.skip_enable ? "true" : "false";
  if (key == "skip.depth") return std::to_string(cfg.skip_depth);
  if (key == "skip.psum_fifo") return std::to_string(cfg.skip_psum_fifo);
  if (key == "skip.row_fifo") return std::to_string(cfg.skip_row_fifo);
  if (key == "skip.gate") return cfg.skip_gate ? "true" : "false";
  fail("internal: no value accessor for parameter '{}'", key);
}

std::string canonical(const AccelConfig& cfg) {
  std::string out;
  for (const auto& s : param_specs()) out += fmt::format("{} = {}\n", s.key, param_value(cfg, s.key));
  return out;
}

AccelConfig load_config(const std::string& preset_path, const std::vector<std::string>& overrides) {
  ParamValues values = load_preset(preset_path);
  apply_overrides(values, overrides);
  return validate(values, preset_path);
}

}  // namespace tsr::gen

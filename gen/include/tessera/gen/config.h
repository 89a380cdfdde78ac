// AccelConfig: every parameter of a tessera variant and every value derived from them, validated
// once. The table of parameter specs is the single source of truth: it drives TOML parsing, --set
// overrides, validation messages, the generated header, the manifest and the config reference doc.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace tsr::gen {

enum class Dataflow { WeightStationary, OutputStationary };

struct AccelConfig {
  // --- parameters (one per ParamSpec) ---
  std::string name;
  int rows = 0;
  int cols = 0;
  Dataflow dataflow = Dataflow::WeightStationary;
  bool clock_gate = false;  // clock-gated PE / delay-line registers instead of hold multiplexers
  int freq_mhz = 0;
  int sp_kib = 0;     // requested scratchpad size
  int sp_banks = 0;
  int acc_kib = 0;    // requested accumulator size
  int dw_line_px = 0; // depthwise line buffer in pixels (0: none)
  int bus_bits = 0;   // AXI4 data width of the DMA master
  bool core_enable = false;  // escape core (RV32IM) present
  bool core_m_ext = false;   // M extension (mul/div) in the escape core
  int core_imem_kib = 0;     // escape core instruction memory (power of two)
  int core_dmem_kib = 0;     // escape core data memory (power of two)
  int core_clk_div = 1;      // escape core clock enable every N-th accelerator cycle
  bool skip_enable = false;  // row-elastic zero skipping (ws): docs/skip.md
  int skip_depth = 1;        // D: K indices per row and pixel (weights per bank per PE)
  int skip_psum_fifo = 2;    // psum FIFO entries per PE above the bottom row
  int skip_row_fifo = 4;     // input FIFO entries per row
  bool skip_gate = true;     // zero gating in the skip PEs

  // --- fixed architecture constants ---
  static constexpr int kInBits = 8;    // int8 operands
  static constexpr int kAccBits = 32;  // int32 accumulation
  static constexpr int kOutFifoDepth = 2;

  // --- derived, filled by validate() ---
  int macs = 0;          // rows * cols
  int a_width = 0;       // activation / A-step bus width, bits
  int b_width = 0;       // weight / B-step bus width, bits
  int c_width = 0;       // result bus width, bits
  int fill_latency = 0;  // cycles from an accepted input beat to its output beat, unstalled
  int sp_row_bytes = 0;   // scratchpad row: max(R, C) int8 lanes
  int sp_bank_rows = 0;   // rows per scratchpad bank (power of two)
  int sp_rows = 0;        // sp_banks * sp_bank_rows
  int acc_bank_rows = 0;  // rows per accumulator bank (power of two; 2 banks)
  int acc_rows = 0;       // 2 * acc_bank_rows, each row C int32 lanes
  int bus_bytes = 0;      // bus_bits / 8
  static constexpr int kAccBanks = 2;
  std::string hash;      // 16 hex digits over the canonical parameter list

  std::string dataflow_name() const;  // "ws" or "os"
  // The accelerator top: weight-stationary, dense or zero-skip. The execute unit reads a beat's D
  // chunks from D mirrored copies of the input, one per bank: depth 4 needs four banks
  // (docs/skip.md).
  bool has_top() const {
    return dataflow == Dataflow::WeightStationary &&
           (!skip_enable || skip_depth <= 2 || sp_banks >= skip_depth);
  }
};

enum class ParamKind { Int, Enum, String, Bool };

struct ParamSpec {
  std::string key;  // dotted TOML key, e.g. "array.rows"
  ParamKind kind;
  int64_t min = 0, max = 0;          // Int
  std::vector<std::string> choices;  // Enum
  std::string doc;
  std::string macro;  // C / Verilog name of the emitted constant, e.g. "TSR_ARRAY_ROWS"
};

const std::vector<ParamSpec>& param_specs();

// A parameter value as text, with where it came from ("file.toml:12" or "--set array.rows=4").
struct ParamValue {
  std::string text;
  std::string where;
};
// Values keyed by dotted key (the form of --set overrides and of the canonical list).
using ParamValues = std::map<std::string, ParamValue>;

// Parse a TOML preset. Errors name the file, the key and (where known) the line.
ParamValues load_preset(const std::string& path);

// Apply "key=value" overrides. Errors name the override and the allowed keys/values.
void apply_overrides(ParamValues& values, const std::vector<std::string>& overrides);

// Check every key is known and present and every value in range; compute derived values.
// `origin` names the preset file for missing-key messages.
AccelConfig validate(const ParamValues& values, const std::string& origin);

// load_preset + apply_overrides + validate.
AccelConfig load_config(const std::string& preset_path, const std::vector<std::string>& overrides);

// The canonical "key = value" listing (sorted by spec order) that the hash is computed over.
std::string canonical(const AccelConfig& cfg);

// Value of a parameter as text, by key.
std::string param_value(const AccelConfig& cfg, const std::string& key);

}  // namespace tsr::gen

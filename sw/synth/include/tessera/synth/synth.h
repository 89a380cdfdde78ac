// `tessera synth`: area and timing of a generated variant from open tools. Runs Yosys (and, for
// nangate45, OpenSTA) as subprocesses on a variant directory, parses their reports, and writes
// report.md and report.json into <out>/<target>/. The same flow maps a lone reference MAC
// (scripts/synth/tsr_ref_mac.v) so the report can relate the PE's area to a bare multiply-add.
// See docs/synth.md.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "tessera/synth/result.h"
#include "tessera/synth/sram.h"

namespace tsr::synth {

// "generic", "ice40", "ecp5", "nangate45".
const std::vector<std::string>& target_names();
std::string target_name(Target t);
// Throws tsr::Error naming the allowed targets.
Target parse_target(const std::string& name);

// The Nangate45 Liberty file used when Options::liberty is empty: $TSR_LIBERTY if set, else
// shared/liberty/nangate45_typ.lib.gz beside the repository this binary was built from.
std::string default_liberty();

struct Options {
  std::string variant_dir;  // a generated variant (manifest.json, rtl/)
  std::string out_dir;      // results go to out_dir/<target>/
  Target target = Target::Nangate45;
  std::string liberty;      // nangate45: .lib or .lib.gz; empty = default_liberty()
  bool ref_mac = true;      // also map the lone reference MAC
  int max_fanout = 16;      // OpenSTA buffer trees: most loads per buffer
  double io_delay_fraction = 0.2;  // input/output delay as a fraction of the clock period
  std::string yosys = "yosys";     // program names or paths
  std::string sta = "sta";
  std::string command;             // the command line, for the report's banner
  // "top" (the whole accelerator, tsr_top), "array" (tsr_array), or "" = top when the variant has
  // one, else array.
  std::string scope;
  // SRAMs (top scope): Width x Depth above the threshold become black-box macros with modelled
  // area. Unset: sram_model.threshold_bits for nangate45 and generic; no macros for the FPGA
  // targets (their memories map to block RAM).
  std::optional<long> sram_threshold_bits;
  SramModel sram_model;
  // core.enable: also synthesize the escape core (rtl/tsr_core.v) in a separate run and report it
  // as its own row (it is not instantiated in the accelerator yet).
  bool core = true;
  std::string core_rtl_dir;        // where tsr_core.v lives; empty = the repository's rtl/
};

// The escape core, synthesized on its own (tsr_core, MExt from the variant, Trace = 0, its
// memories black boxes).
struct CoreResult {
  DesignStats design;
  std::optional<TimingReport> timing;      // nangate45
  std::vector<SramInstance> srams;         // IMEM and DMEM lanes
  double macro_area_um2 = 0;               // modelled area of its macros
  std::string params;                      // "MExt=1 ImemKib=16 DmemKib=16 SpadBytes=262144 Trace=0"
  std::string work_dir;
};

struct SynthResult {
  Target target = Target::Generic;
  VariantInfo variant;
  std::string work_dir;     // out_dir/<target>
  std::string liberty;      // the Liberty file given (nangate45 only)
  std::string liberty_plain;  // the plain-text copy the tools read
  std::string yosys_version, sta_version;
  std::string command;
  DesignStats design;
  std::optional<TimingReport> timing;
  std::optional<DesignStats> ref_design;  // the lone reference MAC
  std::optional<TimingReport> ref_timing;
  std::optional<double> kge_um2;          // area of 1000 NAND2_X1 in the library
  std::string scope;                      // "top" or "array"
  SramModel sram_model;                   // with the threshold used
  std::vector<SramInstance> srams;        // every tsr_sram_1r1w (top scope)
  double macro_area_um2 = 0;              // modelled area of the macros
  std::vector<BlockRow> blocks;           // top scope: area by block
  std::optional<CoreResult> core;         // the separate core run (core not inside tsr_top)
  bool core_in_top = false;               // tsr_core is part of tsr_top: its block row reports it
  std::string json_path, markdown_path;
};

// Reads the variant's manifest. Throws tsr::Error naming the file when it is missing or lacks a
// field, or when an RTL file it lists does not exist.
VariantInfo read_variant(const std::string& variant_dir);

// Generates a variant from a preset (+ overrides) into out_dir/variant, as `tessera gen` would
// (its banners name the equivalent `tessera gen` command), and returns that directory.
std::string generate_variant(const std::string& config_path, const std::vector<std::string>& sets,
                             const std::string& out_dir);

// Runs the whole flow and writes the reports. Throws tsr::Error when an input is missing, a tool
// is not on PATH, or a tool fails (with the tool's last error lines and the log's path).
SynthResult run_synth(const Options& opt);

}  // namespace tsr::synth

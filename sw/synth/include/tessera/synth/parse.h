// Parsers of the tools' text output. Pure functions of their input, so the tests can feed them
// captured reports.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tessera/synth/result.h"

namespace tsr::synth {

// One "=== module ===" block of Yosys `stat` (the design-hierarchy block excluded). Cell types
// include submodule instances; combine() separates them.
struct StatBlock {
  std::string name;
  long cells = 0;
  std::map<std::string, long> cell_types;
  std::optional<double> area_um2;    // "Chip area for module ..." (stat -liberty)
  std::optional<long> transistors;   // "Estimated number of transistors" (stat -tech cmos)
};
struct StatText {
  std::vector<StatBlock> modules;
  std::optional<double> top_area_um2;  // "Chip area for top module ..."
  std::optional<long> hierarchy_cells; // the design hierarchy's "Number of cells" (leaf cells, flat)
};
StatText parse_stat(const std::string& text);

// A module of the JSON Yosys writes (write_json) after the leaf cells were deleted: its source
// name, parameters, and the submodule instances it holds.
struct ModuleInfo {
  std::string name;
  std::string module;                              // hdlname, or name when not derived
  std::map<std::string, long> params;
  std::map<std::string, std::string> instances;    // instance name -> module name
  bool top = false;
};
std::vector<ModuleInfo> parse_modules_json(const std::string& text);

// Joins stat and module info into per-module and per-source-module statistics; instance counts
// follow the hierarchy from `top`. Throws tsr::Error when top is missing.
DesignStats combine(const StatText& stat, const std::vector<ModuleInfo>& modules,
                    const std::string& top, Target target);

// Resource classes of a cell-type histogram. FPGA targets: LUT, FF, CARRY, DSP, BRAM, LUTRAM,
// MUX (ECP5 wide-function muxes), other. Generic and nangate45: FF (flip-flops and latches) and
// logic.
std::map<std::string, long> fpga_resources(Target target, const std::map<std::string, long>& cells);

// The path with the least slack of an OpenSTA `report_checks -path_delay max` report (it prints the
// worst path of each path group, e.g. clk_i and **async_default**); nullopt when the report
// says "No paths found.". fmax_mhz is computed against period_ns.
std::optional<TimingPath> parse_sta_path(const std::string& text, double period_ns);

// The number of `report_tns` / `report_wns` ("tns -1.23"); key is "tns" or "wns".
double parse_sta_value(const std::string& text, const std::string& key);

// The buffer-tree list the STA script writes ("net loads levels" per line, '#' comments).
std::vector<BufferedNet> parse_buffered_nets(const std::string& text);

// The area of a cell in a Liberty file's text; nullopt when the cell is not there.
std::optional<double> liberty_cell_area(const std::string& liberty_text, const std::string& cell);

// The blocks of the whole accelerator (tsr_top), in report order: key, name and the source modules
// that define a block. An instance belongs to the block of its nearest enclosing instance (itself
// included) whose module is listed; instances under no listed module are "glue".
struct BlockDef {
  const char* key;
  const char* name;
  std::vector<std::string> modules;
};
const std::vector<BlockDef>& block_defs();

// Sums the per-instance statistics of d over the hierarchy (module info from parse_modules_json)
// into one row per block_defs() entry, in that order (rows with no instance are kept, empty).
std::vector<BlockRow> block_rows(const DesignStats& d, const std::vector<ModuleInfo>& info, Target target);

}  // namespace tsr::synth

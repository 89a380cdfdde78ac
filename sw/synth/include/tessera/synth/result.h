// What `tessera synth` measures: per-module cell counts and area from Yosys `stat`, timing paths
// from OpenSTA, and the report that ties them to a variant. Plain data; parse.h fills it,
// report.h prints it.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tsr::synth {

// What the design is mapped to: Yosys' internal gates, two FPGA families, or the Nangate45
// standard cells (area from the Liberty file, timing from OpenSTA).
enum class Target { Generic, Ice40, Ecp5, Nangate45 };

// The variant a report is about, as its manifest.json describes it.
struct VariantInfo {
  std::string dir;                     // the generated variant directory
  std::string name;                    // "default"
  std::string config_hash;
  std::string top;                     // the module synthesized: array_top or accel_top
  std::string array_top;               // manifest "array_top" ("tsr_array")
  std::string accel_top;               // manifest "top" when it is not the array ("tsr_top"), else ""
  bool core_enable = false;            // core.enable: the variant has an escape core
  bool core_m_ext = false;             // core.m_ext
  int core_imem_kib = 0, core_dmem_kib = 0;  // core.imem_kib / core.dmem_kib
  int core_clk_div = 1;                // core.clk_div (1 when the manifest predates it)
  long spad_bytes = 0;                 // core_memmap SPAD size (the core's SpadBytes parameter)
  std::vector<std::string> rtl_files;  // in dependency order, relative to dir/rtl
  int rows = 0, cols = 0;
  std::string dataflow;                // "ws" / "os"
  int freq_mhz = 0;                    // clock.freq_mhz: the clock the SDC constrains
};

// One module of the synthesized hierarchy, as Yosys names it (a parameterized module is derived
// once per parameter set: "$paramod$<hash>\tsr_delay"). Counts and area are for one instance and
// exclude the submodules it instantiates.
struct ModuleStats {
  std::string name;                      // Yosys module name
  std::string module;                    // source module name (hdlname), e.g. "tsr_delay"
  std::map<std::string, long> params;    // parameter values of this derivation
  std::string label;                     // "tsr_delay(Width=8,Depth=3,Reset=0)"
  long instances = 0;                    // instances in the whole hierarchy under the top
  long cells = 0;                        // leaf cells of one instance
  std::map<std::string, long> cell_types;
  std::optional<double> area_um2;        // one instance, `stat -liberty` (nangate45 only)
  std::optional<long> transistors;       // one instance, `stat -tech cmos` (generic only)
};

// Totals over every instance of one source module (all derivations).
struct ModuleGroup {
  std::string module;
  long derivations = 0;  // distinct parameter sets
  long instances = 0;
  long cells = 0;        // over all instances
  std::map<std::string, long> resources;  // FPGA: LUT, FF, DSP, ... over all instances
  std::optional<double> area_um2;          // over all instances
  std::optional<long> transistors;
  // The same over all instances with the submodules they instantiate (a PE with its clock gates)
  long subtree_cells = 0;
  std::map<std::string, long> subtree_resources;
  std::optional<double> subtree_area_um2;
};

struct DesignStats {
  std::string top;
  std::vector<ModuleStats> modules;     // Yosys order (alphabetical); the top last
  std::vector<ModuleGroup> groups;      // by source module, largest first
  std::map<std::string, std::string> instance_modules;  // top-level instance -> Yosys module
  long cells = 0;                        // leaf cells over the whole hierarchy
  std::optional<long> yosys_cells;       // the same count as Yosys' stat gives it (a cross-check)
  std::map<std::string, long> cell_types;
  std::map<std::string, long> resources;  // FPGA targets: LUT, FF, DSP, BRAM, LUTRAM, CARRY, other
  std::optional<double> area_um2;          // Yosys' "Chip area for top module"
  std::optional<long> transistors;

  const ModuleGroup* group(const std::string& module) const;
};

// One point of a timing path: a pin, the cell it belongs to, its transition, the delay it adds.
struct PathPoint {
  std::string pin;    // "u_pe_r1_c0.acc_q_DFF_X1_Q/Q", or a port name
  std::string cell;   // "DFF_X1", "in", "out"
  char edge = '^';    // '^' rise, 'v' fall
  double incr_ns = 0;
  double time_ns = 0;
};

// A path of `report_checks -path_delay max`.
struct TimingPath {
  std::string startpoint, endpoint;
  std::string start_kind, end_kind;  // "register", "input", "output"
  std::vector<PathPoint> points;     // the data path, launch clock edge excluded
  double arrival_ns = 0;
  double required_ns = 0;
  double slack_ns = 0;
  double setup_ns = 0;               // library setup time (0 for an output)
  int cycles = 1;                    // clock cycles between launch and capture (multicycle N)
  double fmax_mhz = 0;               // 1000 * cycles / (cycles * period - slack)

  // The data path's delay by the instance that holds each cell (its full path: u_pe_r3_c5,
  // u_accel.u_ex), in path order ("(top)" for cells of the top
  // module, "(buffer tree)" for inserted buffers, "(input)" for the input delay).
  struct Segment {
    std::string instance;
    int cells = 0;
    double delay_ns = 0;
  };
  std::vector<Segment> segments() const;
};

// A block of the whole accelerator: the instances under the modules that define it (an instance
// belongs to the nearest enclosing instance whose module names a block; see docs/synth.md).
struct BlockRow {
  std::string key;                       // "array", "post", "ex", "ld", "dma", "ctrl", "mem", "glue"
  std::string name;                      // "array + PEs"
  std::vector<std::string> modules;      // source modules seen in the block
  long instances = 0;
  long cells = 0;
  std::map<std::string, long> resources;
  std::optional<double> area_um2;
  std::optional<long> transistors;
};

struct BufferedNet {
  std::string net;
  long loads = 0;
  int levels = 0;
};

struct TimingReport {
  double period_ns = 0;
  double io_delay_ns = 0;
  double wns_ns = 0;  // worst negative slack (0 when met)
  double tns_ns = 0;
  std::optional<TimingPath> worst, reg2reg, from_inputs, to_outputs;
  // Escape core on a clock enable (core.clk_div = N > 1, --scope top): its internal paths are
  // multicycle N; the worst of them, and the worst single-cycle paths out of and into the core.
  int core_clk_div = 1;
  std::optional<TimingPath> core_internal, core_out, core_in;
  std::string buffer_cell;
  int max_fanout = 0;
  long buffers = 0;
  double buffer_area_um2 = 0;
  std::vector<BufferedNet> buffered_nets;  // most loads first

  // Fmax from the worst path: the lowest path Fmax (1 / (period - slack) for single-cycle paths,
  // N / (N * period - slack) for multicycle N); 0 when no path is constrained.
  double fmax_mhz() const;
};

}  // namespace tsr::synth

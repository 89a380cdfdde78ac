// `tessera sweep`: synthesize a range of array sizes and dataflows in parallel and tabulate area,
// area per MAC, PE / lone-MAC ratio and Fmax (CSV, markdown and an SVG plot).
#pragma once

#include <string>
#include <vector>

#include "tessera/synth/result.h"

namespace tsr::synth {

struct SweepOptions {
  std::string config_path;             // base preset; rows/cols/dataflow/name are overridden
  std::vector<std::string> sets;       // further --set overrides for every point
  std::vector<int> sizes;              // square arrays: rows = cols = size
  std::vector<std::string> dataflows;  // "ws", "os"
  // Further option dimensions: config key -> values, every combination is a point
  // (--vary core.enable=true,false). The skip unit's on/off joins here as one more key once the
  // config has one (docs/synth.md, "tessera sweep").
  std::vector<std::pair<std::string, std::vector<std::string>>> vary;
  // "array" (tsr_array, fast) or "top" (the whole accelerator; the escape core, when enabled, is
  // synthesized separately and added to the total). OS variants have no accelerator top: with
  // "top" they are synthesized at array scope and say so in the scope column.
  std::string scope = "array";
  Target target = Target::Nangate45;
  std::string liberty;
  int jobs = 2;                        // synthesis runs at once
  std::string out_dir;
};

struct SweepPoint {
  std::string name;
  int rows = 0, cols = 0;
  std::string dataflow;
  std::vector<std::pair<std::string, std::string>> options;  // the --vary values of this point
  std::string series;       // dataflow and options: "ws", "ws core.enable=false"
  std::string scope;        // what was synthesized: "array" or "top"
  double total = 0;         // metric of everything synthesized: scope top adds SRAM macros + core
  double core = 0;          // the escape core's share of total (0 when off or scope array)
  double metric_array = 0;  // area in um^2 (nangate45), LUT+FF (FPGA) or cells (generic)
  double metric_pe = 0, metric_mac = 0;
  std::string metric;       // "area_um2", "LUT+FF", "cells"
  double fmax_mhz = 0;      // nangate45 only, else 0
  std::string error;        // non-empty: this point failed (message)
};

// Runs the sweep, prints the table, writes sweep.csv, sweep.md and sweep.svg into out_dir.
// Returns the points in (dataflow, size) order. Throws tsr::Error on bad options.
std::vector<SweepPoint> run_sweep(const SweepOptions& opt);

}  // namespace tsr::synth

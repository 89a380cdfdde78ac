// `tessera bench layers`: cycles of single layers on the verilated accelerator against the roofline
// bound max(MACs / (R*C), compulsory DRAM bytes / bus bytes per cycle), with the AXI memory model at
// bus-width bytes per cycle and 64 cycles of latency. Every run is also checked bit-exactly against
// the tsr::ref kernel.
#pragma once

#include <string>
#include <vector>

namespace tsr::top {

struct BenchLayersOptions {
  std::vector<std::string> variants;  // empty: "default"
  std::string json_path;
  std::string markdown_path;
  bool quick = false;  // smaller layers (tests)
  int latency = 64;
  bool disassemble = false;  // print each layer's command list
  std::string only;          // run only the layers whose "name shape" contains this
  std::string wave;          // write an FST wave of the (last) layer run to this file
};

// Prints the table; returns 0, or 1 when a layer is not bit-exact or does not finish.
int bench_layers(const BenchLayersOptions& opt);

// Names of the variants with a verilated accelerator top.
std::vector<std::string> top_variants();

}  // namespace tsr::top

// `tessera bench core`: cycles, retired instructions and CPI of the escape core (verilated RTL,
// default variant) on the integer benchmarks (firmware/bench) and on the firmware ops (each op
// call measured by the core's MMIO counters, results checked against the golden models).
#pragma once

#include <string>

namespace tsr::core {

struct BenchCoreOptions {
  std::string json_path;
  std::string markdown_path;
  bool quick = false;  // the integer benchmarks only
};
int bench_core(const BenchCoreOptions& opt);

}  // namespace tsr::core

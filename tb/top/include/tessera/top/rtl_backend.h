// The `rtl` backend of the driver: the verilated accelerator top of a built-in variant (tiny,
// wide, default), in process and cycle-accurate, behind drv::Backend. The DMA talks to the AXI
// memory model at the variant's bus width per cycle with `latency` cycles of latency (64 by
// default, as in `tessera bench layers`). Each layer segment is one CMD_BASE / CMD_COUNT start; its
// cycles are the accelerator's CYCLES counter, its DMA bytes the DMA counters.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "tessera/driver/run.h"

namespace tsr::top {

std::unique_ptr<drv::Backend> make_rtl_backend(const std::string& variant, const std::string& trace = "",
                                               int latency = 64);

// The variant's parameters and clock from its generated manifest.
drv::VariantInfo top_variant_info(const std::string& variant);

// The factory `tessera run --backend rtl` uses.
drv::RtlFactory rtl_factory();

// `tessera bench nets`: cycles per inference of ic_resnet8, kws_dscnn and person_detect on a
// variant, every layer checked against the interpreter, next to the GAP9 + NE16 figures.
struct BenchNetsOptions {
  std::string variant = "default";
  std::string markdown_path;
  std::vector<std::string> nets;  // empty: the three MLPerf-Tiny-style networks
};
int bench_nets(const BenchNetsOptions& opt);

}  // namespace tsr::top

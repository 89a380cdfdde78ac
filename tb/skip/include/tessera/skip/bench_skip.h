// `tessera bench skip`: what zero skipping buys and costs (docs/skip.md).
//  1. RTL array cycles with and without skipping for activation sparsity 0..90% (verilated
//     skip variant, skipping on and off, and the dense array of the same size), bit-exact checked,
//     with the cycle model's prediction and the analytic bound; table + SVG plot.
//  2. Toggle counts (a dynamic-power proxy) from Verilator FST traces: bit flips on the PEs'
//     multiplier operands, products and psum entries, with and without zero gating.
//  3. Area from `tessera synth` (Yosys + Nangate45): dense array vs skip arrays, overhead in %.
//  4. Real activations: ResNet-8 and person_detect conv layers through the cycle model (per layer
//     and per network speedup for several depths / FIFO sizes, with and without row balancing).
#pragma once

#include <string>

namespace tsr::skip {

struct BenchSkipOptions {
  std::string out_dir;                       // bench_skip.md, bench_skip.json, skip_sweep.svg, synth/
  bool quick = false;                        // small GEMMs, no synthesis, one study config (tests)
  bool synth = true;                         // run the area comparison (needs yosys + Liberty)
  std::string area_preset = "default";       // preset whose array is synthesized dense and skip
  std::string variant = "default_skip";      // built-in skip variant for the sweep
  std::string dense_variant = "default";     // built-in dense variant of the same size
  std::string toggle_variant = "wide_skip";  // gated skip variant for the toggle counts
  std::string toggle_baseline = "wide_skip_nogate";  // the same without gating
  std::string models_dir;                    // empty: the repository's sw/models
};

int bench_skip(const BenchSkipOptions& opt);

}  // namespace tsr::skip

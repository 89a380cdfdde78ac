// `tessera run`: import, (compile,) run on a backend, print top-k and optionally the profile and
// the layer-by-layer check, save the output. The CLI is a thin shell over run_model().
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "tessera/driver/runtime.h"

namespace tsr::drv {

struct RunModelOptions {
  std::string model;
  std::string input;
  std::string backend = "reference";  // interp | reference | rtl
  std::string config;                 // preset name (tiny, wide, default, ...) or TOML path
  std::string manifest;               // DIR/manifest.json of a generated variant
  std::string variant;                // rtl: verilated top (tiny, wide, default)
  std::string labels;
  std::string output_npy;
  std::string trace;  // rtl: FST wave file
  // Escape-core firmware (ELF): "" = the build's firmware/tsr_escape.elf when it exists, "none" =
  // no firmware (SOFTMAX stays on the host).
  std::string firmware;
  int top_k = 3;
  bool profile = false;
  bool check = false;  // compare every layer with the interpreter (device backends)
  bool progress = false;
  bool no_skip = false;  // zero-skip variants: MATMULs with skipping off (same array, A/B runs)
  // Zero-skip variants with skipping on: balance the array rows (balance.h) with channel densities
  // from the interpreter on `calibration` ("" = the run's own input).
  bool balance = true;
  std::string calibration;
};

// Makes the rtl backend for a variant (provided by the CLI when the verilated tops are linked) and
// returns the device parameters and clock of that variant.
struct RtlFactory {
  std::function<std::unique_ptr<Backend>(const std::string& variant, const std::string& trace)> make;
  std::function<dev::DeviceParams(const std::string& variant)> params;
  std::function<int(const std::string& variant)> clock_mhz;
};

// Returns the exit code (0 ok, 1 when --check finds a difference).
int run_model(const RunModelOptions& opt, const RtlFactory* rtl = nullptr);

// Device parameters and clock from a preset name / TOML file, or from a generated manifest.
struct VariantInfo {
  dev::DeviceParams dp;
  int clock_mhz = 0;
};
VariantInfo variant_from_config(const std::string& name_or_path);
VariantInfo variant_from_manifest(const std::string& manifest_path);

// The firmware image `opt.firmware` names (see RunModelOptions::firmware), or null for none.
std::shared_ptr<const iss::ElfImage> firmware_for(const std::string& option);
// The path the build's default firmware has (it may not exist).
std::string default_firmware_path();

// The per-layer profile table (MACs, cycles, utilization vs roofline, DMA bytes, placement).
std::string profile_table(const CompiledNet& net, const NetResult& r, int clock_mhz, bool has_cycles);

}  // namespace tsr::drv

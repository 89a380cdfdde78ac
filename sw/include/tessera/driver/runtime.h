// The runtime: runs a CompiledNet on a device backend, layer by layer, with host ops in between.
//
// Backends share one interface: `reference` (RefDevice, the command-level golden model: fast, no
// cycles) and `rtl` (the verilated accelerator, in-process and cycle-accurate; built in
// tb/top, see tessera/top/rtl_backend.h). A run can be checked layer by layer against the
// op-level interpreter: the first layer and element that differ are reported.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "tessera/driver/compile.h"
#include "tessera/driver/interp.h"

namespace tsr::drv {

// What a backend reports for one command segment.
struct SegmentRun {
  uint64_t cycles = 0;  // accelerator cycles (0 when the backend has no notion of time)
  uint64_t dma_rd_bytes = 0, dma_wr_bytes = 0;
  uint64_t array_macs = 0;  // MACs issued to the array (R*C per array row)
  uint64_t core_instret = 0;  // instructions the escape core retired serving ESCAPEs
  // Zero-skip variants (docs/skip.md): SKIP_CYCLES (array row-steps skipped) and GATED_MACS.
  uint64_t skip_steps = 0, gated_macs = 0;
  // ARRAY_CYCLES: cycles in which the array computed (a vector entered a dense array; a row of a
  // zero-skip array issued a step). 0 when the backend has no notion of time.
  uint64_t array_cycles = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;
  virtual bool has_cycles() const = 0;
  // Whether load() can load net.firmware into the escape core and start it. A backend that cannot
  // gets networks compiled without core layers (their ops run on the host).
  virtual bool loads_firmware() const { return false; }
  // Loads the image and sets the DMA window. With net.firmware: writes every segment of the ELF
  // image into the core's IMEM / DMEM (CORE_LM_ADDR / CORE_LM_DATA, zero-filled to memsz) and
  // sets CORE_CTRL.run, so the core is in its service loop when the first ESCAPE arrives.
  virtual void load(const CompiledNet& net) = 0;
  virtual void write(uint64_t addr, std::span<const uint8_t> bytes) = 0;
  virtual std::vector<uint8_t> read(uint64_t addr, uint64_t n) = 0;
  // Runs net.commands[first, first + count); throws tsr::Error naming the failure.
  virtual SegmentRun run(const CompiledNet& net, size_t first, size_t count, const std::string& what) = 0;
};

// RefDevice behind the Backend interface (the `reference` backend). The seed picks the unit
// interleaving; the happens-before hazard check is on.
std::unique_ptr<Backend> make_reference_backend(const dev::DeviceParams& dp, uint64_t seed = 1);

struct LayerResult {
  size_t layer = 0;
  SegmentRun run;
  bool checked = false;
  bool exact = true;
  double host_seconds = 0;  // wall time of the segment (simulation or host kernel)
};

struct NetResult {
  std::vector<int8_t> output;  // graph output 0
  Values values;               // every activation read back from the device
  std::vector<LayerResult> layers;
  uint64_t cycles = 0;
  bool checked = false;
  bool exact = true;
  std::string first_mismatch;  // "layer 3 ADD: tensor 'x' element 17 (n0 y0 x1 c1): got 5, want 6"
  explicit NetResult(const Graph& g) : values(g) {}
};

struct RunOptions {
  const Values* oracle = nullptr;  // check every layer against these values (interpreter)
  bool stop_at_mismatch = false;
  // Called before each layer (index, count): progress display.
  std::function<void(size_t, size_t)> progress;
};

NetResult run_network(const CompiledNet& net, Backend& backend, std::span<const int8_t> input,
                      const RunOptions& opt = {});

// First difference of two int8 tensors of graph tensor t, or "" when equal.
std::string first_difference(const Graph& g, int t, const std::vector<int8_t>& got,
                             const std::vector<int8_t>& want);

}  // namespace tsr::drv

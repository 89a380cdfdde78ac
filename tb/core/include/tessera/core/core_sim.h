// CoreSim: the verilated escape core (rtl/tsr_core.v) of a built-in variant with its environment:
// the loader port, the ecall service (write to the console, exit), a scratchpad-window memory on
// the bus port (the accelerator-CSR window answers with an error: there is no accelerator here)
// and the retire trace. `tessera core-run` and the tb/core tests run programs through it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tessera/iss/iss.h"

namespace tsr::core {

struct RunOptions {
  uint64_t max_cycles = 100'000'000;
  std::string trace_path;       // FST wave of the whole run when not empty
  uint32_t bus_latency_max = 1; // bus responses come 1..max cycles after the grant (seeded)
  uint64_t bus_seed = 1;
  bool echo_console = false;    // also write console bytes to stdout as they come
  std::function<void(const iss::Retire&)> on_retire;  // every retired instruction, in order
  // An ESCAPE handed to the core (MMIO ESC_*): pending from the start until the core writes
  // ESC_DONE or EXIT.
  bool esc_pending = false;
  uint32_t esc_func = 0;
  uint32_t esc_args[7] = {};
};

struct RunResult {
  bool timeout = false;  // max_cycles reached before a halt
  uint64_t cycles = 0;   // from run start to the halt
  uint64_t instret = 0;
  iss::Halt halt;
  std::string console;
  int esc_done = 0;         // esc_done_o pulses seen
  uint32_t esc_status = 0;  // status of the last one
};

class CoreSim {
 public:
  virtual ~CoreSim() = default;
  // A built-in variant (see variants()); tsr::Error for an unknown name.
  static std::unique_ptr<CoreSim> create(const std::string& variant);
  static std::vector<std::string> variants();

  virtual const iss::CoreConfig& config() const = 0;
  // Resets the core and writes IMEM and DMEM (every word; zero outside the segments). Checks the
  // placement first (tsr::Error naming `name`).
  virtual void load(const iss::ElfImage& img, const std::string& name) = 0;
  virtual RunResult run(const RunOptions& opt) = 0;
  // The scratchpad window's backing memory (zeroed by load()).
  virtual std::vector<uint8_t>& spad() = 0;
};

// The same bus model for the ISS: the scratchpad window is `spad`, the CSR window errors.
iss::Bus spad_bus(std::vector<uint8_t>& spad);

}  // namespace tsr::core

namespace tsr::core {

struct CoreRunCli {
  std::string elf;
  std::string variant = "default";
  uint64_t max_cycles = 100'000'000;
  std::string trace_path;
};
// `tessera core-run`: loads the ELF, runs it on the verilated core, echoes the program's output to
// stdout, prints cycles, retired instructions and CPI to stderr and returns the program's exit
// code. tsr::Error for a bad ELF, a fault halt (cause + pc) or a run past max_cycles.
int core_run(const CoreRunCli& opt);

}  // namespace tsr::core

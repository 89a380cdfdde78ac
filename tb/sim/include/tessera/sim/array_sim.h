// A cycle-accurate model of one variant's tsr_array (a verilated build of the generated RTL) behind
// one interface, so testbenches, benchmarks and the driver work with any built-in variant.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace tsr::sim {

// Facts about a variant, read from its generated header (never re-declared by hand).
struct VariantInfo {
  std::string name;
  int rows = 0;
  int cols = 0;
  bool output_stationary = false;
  std::string config_hash;
  int freq_mhz = 0;
  int fill_latency = 0;
  std::string gen_dir;  // the generator's output directory (manifest, rtl/, include/)
  int skip_depth = 0;   // row-elastic zero-skip array (skip.enable): D; 0 = dense array
  bool skip_gate = false;  // skip array with zero gating (skip.gate)
  int skip_psum_fifo = 0;  // skip.psum_fifo
  int skip_row_fifo = 0;   // skip.row_fifo
  // Activation lanes per beat: D*R on a skip array, R (WS) / R (OS) otherwise.
  int a_lanes() const { return skip_depth > 0 ? skip_depth * rows : rows; }
};

// The zero-skip array's counters (wrapping 32-bit in the RTL).
struct SkipCounters {
  uint32_t skipped = 0;  // row-steps skipped
  uint32_t gated = 0;    // PE MACs gated (zero-operand steps x C)
  uint32_t active = 0;   // array cycles: cycles in which a row issued a step
};

struct SimOptions {
  uint64_t seed = 1;       // Verilator's random initial values (--x-initial unique)
  std::string trace_path;  // non-empty: write an FST wave here
  // Power-up values 0 instead of random: toggle counts that two builds of different register
  // layouts can compare without the random fill's first flips.
  bool zero_init = false;
};

class ArraySim {
 public:
  virtual ~ArraySim() = default;
  const VariantInfo& info() const { return info_; }
  uint64_t cycle() const { return cycle_; }

  // Assert reset for a few cycles, then release it with all inputs idle.
  virtual void reset() = 0;
  // Inputs for the coming clock edge. lanes.size() must be info().a_lanes() (a) / cols (b).
  virtual void set_a(bool valid, bool last, std::span<const int8_t> lanes) = 0;
  virtual void set_b(bool valid, std::span<const int8_t> lanes) = 0;
  virtual void set_c_ready(bool ready) = 0;
  // Skip arrays: skipping on/off and the activation zero point (held while beats are in flight).
  // Dense arrays accept only (false, 0) and throw tsr::Error otherwise.
  virtual void set_skip(bool enable, int8_t zp) = 0;
  // Skip arrays: the counters; dense arrays: zeros.
  virtual SkipCounters skip_counters() const = 0;
  // Evaluate the combinational outputs for the current inputs (call before reading them).
  virtual void settle() = 0;
  virtual bool a_ready() const = 0;
  virtual bool b_ready() const = 0;
  virtual bool c_valid() const = 0;
  virtual void c_data(std::span<int32_t> lanes) const = 0;
  // One rising clock edge; handshakes seen by settle() complete here.
  virtual void tick() = 0;
  // Flush and close the wave file, if any.
  virtual void close_trace() = 0;

 protected:
  explicit ArraySim(VariantInfo info) : info_(std::move(info)) {}
  VariantInfo info_;
  uint64_t cycle_ = 0;
};

// The variants built into this binary (see tb/sim/CMakeLists.txt).
std::vector<std::string> builtin_variants();
// Throws tsr::Error naming the variant and listing the built-in ones when it is unknown.
std::unique_ptr<ArraySim> make_array_sim(const std::string& variant, const SimOptions& opt = {});

}  // namespace tsr::sim

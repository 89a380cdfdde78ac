// The reference device: a C++ model of every accelerator command at command granularity, the
// oracle the RTL is checked against.
//
// RefDevice holds the state the commands act on (a DRAM image, the scratchpad, the accumulator and
// the two requantization parameter sets) and runs a command stream with its three units (load,
// execute, store) interleaved in a random order that the dependency tokens permit: each step picks,
// with a seeded generator, one unit whose next command may start and runs that command to
// completion. A program that misses a dependency token therefore computes wrong results for some
// seeds; independently of the seed, a happens-before check (vector clocks over the token edges,
// unit order and fences) reports every pair of commands of different units that touch the same
// scratchpad row, accumulator row, parameter set or DRAM byte (one of them writing) without being
// ordered. A deadlock (commands left, no unit can start) ends the run with a message naming the
// stuck commands and what each waits for.
//
// Arithmetic is the golden model's (tsr::ref::requantize, multiply_by_quantized_multiplier,
// wrap_add): one implementation of each rule.
//
// What run() models (see docs/lowering.md, "Device model", for the full list):
//   * Dispatch: unit commands go to their unit in stream order; a unit runs its commands in order.
//     FENCE retires once every earlier command has finished; no later command starts before that.
//   * Checks happen when a command reaches the head of its unit's queue, before it waits for
//     tokens, in this order: token flags that name no neighbour (error `token`), LOAD/STORE with
//     zero rows or row bytes (`dma_empty`), field values (`bad_field`), scratchpad and accumulator
//     extents (`sp_range`, `acc_range`), DMA extent rounded out to the bus width (`dma_window`).
//     Illegal opcodes are reported by the fetch unit when dispatch reaches them. The first failing
//     command halts the device (code, unit, command index).
//   * ESCAPE (docs/lowering.md, "Device model"): a full barrier like FENCE; then the escape core
//     (an iss::Iss running the firmware given to attach_core) serves it. Commands the core pushes
//     through its CSR window (CMD_DATA0..7, CMD_PUSH) join the unit queues while the ESCAPE is
//     pending; it retires once the core wrote ESC_DONE (or exited) and every pushed command
//     finished. Errors: no_core, core_halted, escape_status, escape_timeout, core_push, and the
//     errors of pushed commands, all reported with the ESCAPE's index.
//   * run() starts like the CSR start after a soft reset: token counters at 0; memories keep their
//     contents (scratchpad and accumulator start as a fixed pseudo-random pattern, not zeros).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "tessera/dev/isa_encode.h"
#include "tessera/gen/config.h"
#include "tessera/iss/iss.h"

namespace tsr::dev {

// The variant parameters the commands depend on.
struct DeviceParams {
  std::string name;
  int rows = 0;          // R: array rows = input channels per MATMUL chunk
  int cols = 0;          // C: array columns = output lanes, accumulator lanes
  int sp_row_bytes = 0;  // max(R, C)
  int sp_rows = 0;
  int sp_bank_rows = 0;  // scratchpad bank of row r = r / sp_bank_rows
  int sp_banks = 0;
  int acc_rows = 0;
  int acc_bank_rows = 0;  // 2 accumulator banks
  int bus_bytes = 0;      // DMA data width; window checks round extents out to it
  // The escape core ([core] keys). Without one, ESCAPE fails with no_core.
  bool has_core = false;
  bool core_m_ext = false;
  uint32_t core_imem_bytes = 0, core_dmem_bytes = 0;
  int sp_row_stride = 0;  // bytes per scratchpad row in the core's window (power of two >= 4)
  // Zero skipping ([skip] keys, docs/skip.md): 0 on dense variants, else the array's depth D (a
  // beat carries D chunks; the array computes sum((a - in_zp) * w)). `skip` is what the lowering
  // puts into MATMUL.skip (false runs the same array without skipping, for A/B runs).
  int skip_depth = 0;
  bool skip = true;
  // Banks a mirrored LOAD writes: the partner bank (row XOR sp_bank_rows), or all four banks
  // (row XOR j*sp_bank_rows) on depth-4 zero-skip variants, whose beats read chunk j from copy j.
  int mirror_ways() const { return skip_depth > 2 ? 4 : 2; }
  // Taps a zero-skip MATMUL pass covers (tap groups, docs/skip.md): T = D / chunks when the input
  // has one chunk (or two on a depth-4 array) and k_w > 1, else 1. Lane group j of a beat is then
  // chunk j mod chunks of tap kx + j / chunks, its lanes rotated by (j / chunks) * R / T.
  int skip_taps(int chunks, int kw) const {
    if (skip_depth < 2 || kw < 2) return 1;
    if (chunks == 1) return skip_depth;
    if (chunks == 2 && skip_depth == 4) return 2;
    return 1;
  }

  // Passes of one chunk group of a skip MATMUL (docs/skip.md): tap groups run the k_h*k_w taps
  // in flattened order, T a pass across kernel rows; otherwise one pass per tap.
  int skip_passes(int chunks, int kh, int kw) const {
    const int T = skip_taps(chunks, kw);
    return (kh * kw + T - 1) / T;
  }

  static DeviceParams from_config(const gen::AccelConfig& cfg);
  // Rows of one PARAMS block: ceil(4C / sp_row_bytes) rows of biases, as many of multipliers, one
  // row of shifts.
  int param_word_rows() const { return (4 * cols + sp_row_bytes - 1) / sp_row_bytes; }
  int param_rows() const { return 2 * param_word_rows() + 1; }
  // The escape core's configuration (tsr::iss) for these parameters.
  iss::CoreConfig core_config() const;
};

// The three token units. Token channel k counts tokens from one unit to a neighbour.
enum class TokenUnit { Load = 0, Execute = 1, Store = 2 };
inline constexpr int kTokenChannels = 4;
const char* channel_name(int channel);  // "ld->ex", "ex->ld", "ex->st", "st->ex"

// `count` runs of `len` consecutive locations, run i starting at first + i * stride.
struct Strided {
  uint64_t first = 0;
  uint64_t count = 0;
  uint64_t stride = 0;
  uint64_t len = 0;
};

// What a command reads and writes, from its fields (the command's whole extent: a strided MATMUL
// counts every input pixel of its window as read). Empty for FENCE, ESCAPE and illegal opcodes.
// Assumes the command passes the device's checks.
struct Footprint {
  std::vector<Strided> sp_read, sp_write;      // scratchpad rows
  std::vector<Strided> acc_read, acc_write;    // accumulator rows
  std::vector<Strided> dram_read, dram_write;  // DRAM byte addresses
  std::array<bool, gen::isa::kParamSets> pset_read{}, pset_write{};
};
Footprint footprint(const Command& c, const DeviceParams& p);

// The token unit of a command, or -1 for dispatch-level commands (FENCE, ESCAPE, illegal).
int token_unit(const Command& c);

// Work done by one command.
struct CommandStats {
  uint64_t array_rows = 0;    // activation vectors fed into the array (MATMUL)
  uint64_t macs = 0;          // R * C per array row
  uint64_t useful_macs = 0;   // of those, products with a non-zero weight and a non-zero input
  uint64_t vector_ops = 0;    // VECTOR: C lane operations per row
  // Zero-skip variants (docs/skip.md), as the array counts them (SKIP_CYCLES, GATED_MACS): per
  // beat and row with nnz of its D activations != in_zp, skipping on: D - max(1, nnz) steps
  // skipped and C MACs gated when nnz = 0; skipping off: (D - nnz) * C MACs gated.
  uint64_t skip_steps = 0;
  uint64_t gated_macs = 0;
  uint64_t dma_rd_bytes = 0;  // payload bytes read (LOAD)
  uint64_t dma_wr_bytes = 0;  // payload bytes written (STORE)
  uint64_t dma_rd_beats = 0;  // bus beats: each DRAM row rounded out to bus_bytes alignment
  uint64_t dma_wr_beats = 0;
  // ESCAPE: instructions the escape core retired from the hand-over to ESC_DONE, and the commands
  // it pushed (their own work is added to the ESCAPE's stats too).
  uint64_t core_instret = 0;
  uint64_t core_pushed = 0;
  CommandStats& operator+=(const CommandStats& o);
};

struct RunOptions {
  bool detect_hazards = true;  // the happens-before check (costs memory per DRAM byte)
  // Instructions the escape core may run for one ESCAPE (and for its boot into the service loop)
  // before the run ends with a deadlock message (the model has no cycles; CORE_TIMEOUT, see
  // RefDevice::set_core_timeout, gives the error escape_timeout instead).
  uint64_t core_step_budget = 50'000'000;
};

struct RunResult {
  enum class Status { Ok, Error, Deadlock };
  Status status = Status::Ok;
  // Error: code and unit as in the isa enums `error` and `error_unit`, and the failing command.
  int error_code = 0;
  std::string error;  // enumerator name, e.g. "sp_range"; "none" when no error
  int error_unit = 0;
  std::string unit;  // "fetch", "load", "execute", "store"
  int64_t error_cmd = -1;
  std::string message;  // error or deadlock description (names commands and the reason)
  std::vector<std::string> hazards;  // unordered conflicting accesses found (capped at 32)
  std::vector<CommandStats> stats;   // per command (zero for commands that did not run)
  CommandStats total;
  std::vector<size_t> order;                          // command indices in the order they ran
  std::array<int64_t, kTokenChannels> tokens_left{};  // counters at the end
  std::array<int64_t, kTokenChannels> tokens_max{};   // largest value each counter reached
  uint64_t fences_irq = 0;
  uint64_t retired = 0;
  bool ok() const { return status == Status::Ok && hazards.empty(); }
  std::string summary() const;  // one line: status, message, first hazards
};

class RefDevice {
 public:
  // DRAM image of `dram_size` bytes at [dram_base, dram_base + dram_size), zero-filled; the DMA
  // window starts as the whole image.
  RefDevice(const DeviceParams& p, uint64_t dram_base, uint64_t dram_size);

  const DeviceParams& params() const { return p_; }
  uint64_t dram_base() const { return base_; }
  uint64_t dram_size() const { return dram_.size(); }

  // The WIN_BASE / WIN_LIMIT registers (must lie within the image).
  void set_window(uint64_t base, uint64_t limit);

  void write(uint64_t addr, std::span<const uint8_t> bytes);  // throws outside the image
  std::vector<uint8_t> read(uint64_t addr, uint64_t n) const;

  // Direct state access (for unit tests and debugging).
  std::span<int8_t> sp_row(int row);
  std::span<int32_t> acc_row(int row);
  struct ParamSet {
    std::vector<int32_t> bias, mult;
    std::vector<int8_t> shift;
  };
  const ParamSet& pset(int i) const { return pset_.at(static_cast<size_t>(i)); }

  RunResult run(const std::vector<Command>& cmds, uint64_t seed, const RunOptions& opt = {});

  // ---- The escape core ----
  // Loads a firmware image into the core's IMEM / DMEM (what the host does through CORE_LM_ADDR /
  // CORE_LM_DATA), resets the core and sets CORE_CTRL.run when `run`. The core boots (crt0, main)
  // into its service loop at the first ESCAPE. Throws tsr::Error on a variant without a core or
  // an image that does not fit it (iss::check_placement).
  void attach_core(const iss::ElfImage& img, const std::string& name = "firmware", bool run = true);
  bool core_attached() const { return core_ != nullptr; }
  void set_core_run(bool run) { core_run_ = run; }  // CORE_CTRL.run
  // CORE_TIMEOUT: an ESCAPE whose core runs more than `limit` instructions before ESC_DONE fails
  // with escape_timeout (0: no limit). The model counts instructions, a lower bound of cycles.
  void set_core_timeout(uint64_t limit) { core_timeout_ = limit; }
  const iss::Iss* core() const { return core_.get(); }
  uint64_t core_boot_instret() const { return core_boot_instret_; }

 private:
  struct Check;
  Check check(const Command& c) const;
  CommandStats execute(const Command& c);  // may throw a data-dependent fault

  DeviceParams p_;
  uint64_t base_ = 0;
  uint64_t win_base_ = 0, win_limit_ = 0;
  std::vector<uint8_t> dram_;
  std::vector<int8_t> sp_;
  std::vector<int32_t> acc_;
  std::array<ParamSet, gen::isa::kParamSets> pset_;

  // Escape core state (see attach_core). The bus callbacks of core_ reach the scratchpad and the
  // CSR window through these members; run() reads the events they leave.
  std::unique_ptr<iss::Iss> core_;
  bool core_run_ = false;
  bool core_booted_ = false;
  uint64_t core_timeout_ = 0;
  uint64_t core_boot_instret_ = 0;
  std::array<uint32_t, 8> core_cmd_data_{};
  std::vector<Command> core_pushes_;  // pushed since run() last looked
  bool core_esc_active_ = false;      // an ESCAPE is pending (CORE_STATUS bit 2)
  bool core_units_idle_ = true;       // CORE_STATUS bit 3 as run() last computed it
  int core_free_ = 4;                 // CORE_STATUS bits 15:8
  int core_status_reads_ = 0;         // reads of CORE_STATUS since run() last looked
  bool core_saw_busy_ = false;        // one of them found bit 3 clear
  bool core_bus_read(uint32_t addr, uint32_t& data);
  bool core_bus_write(uint32_t addr, uint32_t data, uint32_t strobe);
};

}  // namespace tsr::dev

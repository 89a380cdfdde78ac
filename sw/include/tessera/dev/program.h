// Lowering of single TFLite-semantics int8 layers into accelerator programs, and the glue to run a
// program on the reference device. docs/lowering.md describes the layouts and the tiling.
//
// A Program is everything a device needs: the command list and a DRAM image (input, weight,
// parameter, output and command regions with their bytes before the run). An RTL testbench
//   (a) lowers a layer:           Program p = lower_conv2d(dp, "conv1", in, filter, bias, win, oq);
//   (b) writes p.dram at p.dram_base into its AXI memory model and sets WIN_BASE / WIN_LIMIT to
//       p.window_base() / p.window_limit(),
//   (c) starts the accelerator with CMD_BASE = p.region("commands").addr and
//       CMD_COUNT = p.commands.size(),
//   (d) reads p.region("output").size bytes at p.region("output").addr, turns them into a tensor
//       with output_from_bytes(p, bytes) and compares with the tsr::ref kernel (same arguments).
// run_program() does (b)-(d) on RefDevice.
//
// The lowerings take exactly the arguments of the tsr::ref kernels (plus the device and a layer
// name) and throw tsr::Error naming the layer and the reason when a layer is not supported or
// cannot be tiled on the device.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tessera/dev/device.h"
#include "tessera/dev/isa_encode.h"
#include "tessera/ref/kernels.h"

namespace tsr::dev {

struct Region {
  std::string name;  // "input", "input2", "weights", "params", "output", "commands"
  uint64_t addr = 0;
  uint64_t size = 0;  // bytes holding data (the region is followed by slack, see docs)
};

struct Program {
  std::string name;  // the layer's name
  std::string op;    // "conv2d", "depthwise_conv2d", "fully_connected", "average_pool2d", ...
  std::vector<Command> commands;
  uint64_t dram_base = 0;
  std::vector<uint8_t> dram;  // image of [dram_base, dram_base + dram.size()) before the run
  std::vector<Region> regions;
  ref::Shape4 output_shape;
  int32_t output_zero_point = 0;
  uint64_t layer_macs = 0;  // the layer's multiply-accumulates (dense count, padded taps included)
  std::string mapping;      // how the lowering mapped the layer when not plainly ("width folded: ...")

  const Region& region(std::string_view region_name) const;  // throws when absent
  uint64_t window_base() const { return dram_base; }
  uint64_t window_limit() const { return dram_base + dram.size(); }
};

struct LowerOptions {
  uint64_t dram_base = 0x1000'0000;  // where the image starts (64-byte aligned)
};

Program lower_conv2d(const DeviceParams& dp, const std::string& name, const ref::QTensorView& input,
                     const ref::QTensorView& filter, std::span<const int32_t> bias,
                     const ref::Window& win, const ref::OutputQuant& oq,
                     const LowerOptions& opt = {});

// Depth multiplier 1 only.
Program lower_depthwise_conv2d(const DeviceParams& dp, const std::string& name,
                               const ref::QTensorView& input, const ref::QTensorView& filter,
                               std::span<const int32_t> bias, int depth_multiplier,
                               const ref::Window& win, const ref::OutputQuant& oq,
                               const LowerOptions& opt = {});

// Batch rows become the output pixels of a 1x1 MATMUL. Filter zero point must be 0.
Program lower_fully_connected(const DeviceParams& dp, const std::string& name,
                              const ref::QTensorView& input, const ref::QTensorView& filter,
                              std::span<const int32_t> bias, const ref::OutputQuant& oq,
                              const LowerOptions& opt = {});

// VALID windows only (every window fully inside the input), at most 4096 taps.
Program lower_average_pool2d(const DeviceParams& dp, const std::string& name,
                             const ref::QTensorView& input, const ref::PoolParams& pp,
                             const LowerOptions& opt = {});

Program lower_max_pool2d(const DeviceParams& dp, const std::string& name,
                         const ref::QTensorView& input, const ref::PoolParams& pp,
                         const LowerOptions& opt = {});

// Same shapes (no broadcasting), as tsr::ref::add.
Program lower_add(const DeviceParams& dp, const std::string& name, const ref::QTensorView& a,
                  const ref::QTensorView& b, const ref::AddParams& ap,
                  const LowerOptions& opt = {});

// ---- Building blocks ----

// Dependency tokens for a command stream: clears every token flag, then walks the stream in order
// and, for each pair of commands of different units that touch the same scratchpad row,
// accumulator row, parameter set or DRAM byte with at least one write (RAW, WAR, WAW; footprints
// from footprint()), makes the later command wait for the earlier one: a pop on the consumer
// paired with a push on the producer, unless the order already follows from earlier tokens, unit
// order or a fence. Load <-> store conflicts (no token channel) get a FENCE before the consumer.
// Tokens are paired in FIFO order per channel and every push has its pop, so the counters end at 0;
// every wait points backwards in the stream, so the result cannot deadlock.
std::vector<Command> insert_tokens(const std::vector<Command>& cmds, const DeviceParams& dp);

// Re-encodes p.commands into the "commands" region (the last region; grows the image if needed).
void write_command_region(Program& p);

// Sets the `skip` field of every MATMUL (zero-skip variants: skip on / off, same results) and
// rewrites the command region.
void set_matmul_skip(Program& p, bool skip);

// The average-pool division of STORE mode avg: q = ((n + half) * magic) >> shift equals
// floor((n + half) / count) for every n + half < 2^20 (proved in lower.cpp and verified there).
struct AvgDivisor {
  uint32_t magic = 0;
  int shift = 0;
  int half = 0;
};
AvgDivisor avg_divisor(int count);  // count in 1..4096

// ---- Running ----

// A device with the program's image loaded and the DMA window set to it.
RefDevice make_device(const DeviceParams& dp, const Program& p);
// The output tensor from the bytes of the output region (p.region("output").size bytes).
ref::QTensor output_from_bytes(const Program& p, std::span<const uint8_t> bytes);

struct ProgramRun {
  RunResult result;
  ref::QTensor output;
};
// make_device + run(p.commands, seed) + read the output region.
ProgramRun run_program(const DeviceParams& dp, const Program& p, uint64_t seed,
                       const RunOptions& opt = {});

}  // namespace tsr::dev

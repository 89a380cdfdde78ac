// The compiler: graph -> one command stream and one DRAM image for the whole network.
//
// Each op is placed:
//   array   CONV_2D, FULLY_CONNECTED, and DEPTHWISE_CONV_2D with one input channel (lowered as a
//           convolution): MATMUL on the systolic array;
//   vector  DEPTHWISE_CONV_2D (multiplier 1), AVERAGE_POOL_2D, MAX_POOL_2D, ADD: VECTOR commands
//           on the post-processing lanes;
//   alias   RESHAPE: no commands, the output shares the input's DRAM buffer (NHWC bytes are
//           already in TFLite's row-major order);
//   core    SOFTMAX on the escape core (ESCAPE of the service firmware's softmax), when the variant
//           has a core, a firmware image is given (CompileOptions::firmware) and the scratchpad
//           rows are C bytes and contiguous in the core's window;
//   host    SOFTMAX otherwise, and any op the lowering rejects (the reason is kept and printed by
//           --profile): runs on the host in the interpreter's kernel between device segments.
// Device ops are lowered one by one by tessera_dev's lowerings (tiling to the scratchpad and
// accumulator, double-buffered activation / weight slots, requantization and activation fused
// into the STORE; docs/lowering.md). Each layer's weights and parameter blocks stay where its
// lowering put them; its LOADs and STOREs are relocated onto the network's activation buffers
// (one per tensor, 64-byte aligned, with slack for over-reading LOADs). Every layer's command
// segment ends with a FENCE, so the whole stream can also run as one list.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tessera/dev/device.h"
#include "tessera/dev/isa_encode.h"
#include "tessera/driver/graph.h"

namespace tsr::drv {

enum class Placement { Array, Vector, Alias, Host, Core };
const char* name(Placement p);

struct Layer {
  int op = 0;  // index into Graph::ops
  std::string name;
  Placement placement = Placement::Host;
  std::string note;   // tiling summary (device) or why the op runs on the host
  size_t cmd_first = 0, cmd_count = 0;  // segment of CompiledNet::commands (FENCE included)
  uint64_t macs = 0;                    // the op's dense multiply-accumulates (TFLite's count)
  uint64_t compulsory_bytes = 0;        // inputs + weights + params + output, each once
};

struct CompiledNet {
  const Graph* graph = nullptr;  // the graph outlives the compiled net
  dev::DeviceParams dp;
  uint64_t dram_base = 0;
  std::vector<uint8_t> dram;  // initial image: weights, parameters, commands, activation buffers
  std::vector<dev::Command> commands;
  uint64_t cmd_addr = 0;  // where commands[0] is in the image (32 bytes per command)
  std::vector<Layer> layers;
  std::vector<int64_t> tensor_addr;  // DRAM address of each activation tensor, -1 if none
  // Set by a caller that compiled a row-balanced graph (balance.h): BalancedGraph::summary() and the
  // calibration input; the profile prints it.
  std::string row_balance;
  // The escape core's firmware when a layer runs on the core (else null): a backend loads it into
  // the core's IMEM / DMEM (every PT_LOAD segment, zero-filled to memsz) and starts the core
  // (CORE_CTRL.run) in Backend::load(), before the first command.
  std::shared_ptr<const iss::ElfImage> firmware;
  std::string firmware_name;

  uint64_t window_base() const { return dram_base; }
  uint64_t window_limit() const { return dram_base + dram.size(); }
  uint64_t addr_of(int tensor) const;  // throws when the tensor has no buffer
};

struct CompileOptions {
  uint64_t dram_base = 0x1000'0000;
  // The escape core's service firmware (firmware/tsr_escape.elf, iss::load_elf). Null: no op is
  // placed on the core.
  std::shared_ptr<const iss::ElfImage> firmware;
  std::string firmware_name = "firmware";
};

// Why op `op` cannot run on the escape core of `dp` with `opt` ("" when it can).
std::string core_placement_problem(const Graph& g, const Op& op, const dev::DeviceParams& dp,
                                   const CompileOptions& opt);

CompiledNet compile(const Graph& g, const dev::DeviceParams& dp, const CompileOptions& opt = {});

// Human-readable placement / tiling table (what --profile prints before running).
std::string placement_table(const CompiledNet& net);

}  // namespace tsr::drv

// Calling each escape op of the firmware from the host: build the request (tsr_escape_abi.h)
// from golden-model types, run the op's program (build/firmware/fw_<op>.elf) under
// qemu-riscv32, decode the result. Shared by the tests and the benchmark. Every function throws
// tsr::Error (with the program's output) when the program does not finish with status 0;
// `instructions`, when non-null, receives the instructions retired by the dispatch call
// (qemu single-step trace: slow, for benchmarks).
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "fw_harness.h"
#include "tessera/ref/escape_ops.h"
#include "tessera/ref/kernels.h"
#include "tessera/ref/kws_frontend.h"
#include "tsr_escape_abi.h"

namespace tsr::fw {

// The machine the run_* functions use: qemu-riscv32 by default; the tessera core's ISS or RTL
// model when a test installs one. `count` asks for op_instructions. Returns the previous runner.
using Runner = std::function<FwResult(const FwImage&, const EscapeRequest&, bool count)>;
Runner set_runner(Runner r);
// Runs a request on the current machine (no status check).
FwResult run_request(const FwImage& img, const EscapeRequest& req);

std::vector<int8_t> run_softmax(const std::vector<int8_t>& in, int depth,
                                const tsr::ref::SoftmaxParams& p, uint64_t* instructions = nullptr);
tsr::ref::TopK run_topk(const std::vector<int8_t>& in, int n, int k,
                        uint64_t* instructions = nullptr);
std::vector<int8_t> run_add(const tsr::ref::QTensor& a, const tsr::ref::QTensor& b,
                            const tsr::ref::AddParams& p, uint64_t* instructions = nullptr);
std::vector<int8_t> run_avgpool(const tsr::ref::QTensor& in, const tsr::ref::PoolParams& p,
                                uint64_t* instructions = nullptr);
std::vector<tsr::ref::NmsSelection> run_nms(const std::vector<int32_t>& boxes,
                                            const std::vector<int32_t>& scores, int batches,
                                            int classes, int n, const tsr::ref::NmsParams& p,
                                            uint64_t* instructions = nullptr);

// The golden model's KWS tables in the firmware's layout.
tsr_kws_tables_t pack_kws_tables(const tsr::ref::KwsTables& t);
struct KwsRun {
  std::vector<int8_t> features;  // frames x 40
  std::vector<uint16_t> raw;     // frames x 40
};
// `state`, when non-null, is the streaming state going in (zero = a fresh front end) and comes
// back updated, so consecutive calls continue one stream.
KwsRun run_kws(const tsr::ref::KwsTables& t, const std::vector<int16_t>& samples,
               uint64_t* instructions = nullptr, tsr_kws_state_t* state = nullptr);

// A stream cut into calls of the given sizes (summing to samples.size()), the state carried from
// call to call: what a long recording needs when one call's operands must fit the request block.
KwsRun run_kws_stream(const tsr::ref::KwsTables& t, const std::vector<int16_t>& samples,
                      const std::vector<size_t>& chunks);
// The largest chunk of samples one call takes (the request block is 10 KiB).
inline constexpr size_t kKwsMaxChunk = 1600;

}  // namespace tsr::fw

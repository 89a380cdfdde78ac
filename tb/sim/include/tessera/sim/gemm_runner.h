// Runs a whole GEMM on an ArraySim: tiles it to the array (per the variant's dataflow), streams the
// weight / activation beats through the valid-ready handshakes, collects the result beats, and
// accumulates K tiles (WS) in wrapping int32 as the accumulator memory will.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "tessera/sim/array_sim.h"

namespace tsr::sim {

struct GemmOptions {
  int c_ready_percent = 100;   // < 100: random back-pressure on the result stream
  int in_valid_percent = 100;  // < 100: random bubbles on the input streams
  uint64_t seed = 1;           // for the two above
  uint64_t max_cycles = 0;     // 0: a bound derived from the shape; exceeded -> tsr::Error
  // Skip variants only (a dense variant ignores `skip` and rejects a non-zero a_zp):
  bool skip = true;            // skip zero activations (false: the same array, every step issued)
  int8_t a_zp = 0;             // activation zero point: C = (A - a_zp) * B
};

struct GemmStats {
  uint64_t cycles = 0;   // from the first beat offered to the last result beat taken
  uint64_t a_beats = 0;  // activation vectors (WS) / A columns (OS) accepted
  uint64_t b_beats = 0;  // weight rows (WS) / B rows (OS) accepted
  uint64_t c_beats = 0;  // result vectors taken
  uint64_t tiles = 0;
  SkipCounters counters;  // skip variants: counter increase over the GEMM
};

// The beats of a GEMM for one variant, and where each result beat goes. On a skip variant a tile is
// D*R K indices: activation lane j*R + r is K index k0 + j*R + r (row r, weight stage j), weight
// beat t lands in chain position D*R-1-t (row q / D, stage q % D). Padding lanes carry a_zp.
struct GemmBeat {
  std::vector<int8_t> lanes;
  bool last = false;
};
struct ResultSlot {
  int row;          // row of C (may be >= M: padding, dropped)
  int col0;         // first column of C this beat covers (lanes past N are dropped)
  bool accumulate;  // add to C (later K tiles of WS) instead of writing
};
struct GemmPlan {
  std::vector<GemmBeat> a, b;
  std::vector<ResultSlot> slots;
  uint64_t tiles = 0;
};
GemmPlan plan_gemm(const VariantInfo& v, std::span<const int8_t> a, std::span<const int8_t> b, int m,
                   int n, int k, int8_t a_zp = 0);
// Places result beat `lanes` per `slot` into C (M x N, row-major).
void place_result(std::span<int32_t> c, int m, int n, const ResultSlot& slot,
                  std::span<const int32_t> lanes);

// C[M x N] = A[M x K] * B[K x N] on the simulated array. The simulator must be out of reset.
std::vector<int32_t> run_gemm(ArraySim& sim, std::span<const int8_t> a, std::span<const int8_t> b,
                              int m, int n, int k, const GemmOptions& opt = {},
                              GemmStats* stats = nullptr);

// The SCALE-Sim fold model of the same GEMM: WS (2R + C + M - 2) per fold over ceil(K/R)*ceil(N/C)
// folds; OS (R + C + K - 2) per fold over ceil(M/R)*ceil(N/C) folds.
uint64_t scalesim_cycles(const VariantInfo& v, int m, int n, int k);

}  // namespace tsr::sim

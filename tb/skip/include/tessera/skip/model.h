// Cycle models of zero-skip schemes for the weight-stationary array (docs/skip.md).
//
// elastic_cycles() is the cycle-level model of the generated row-elastic array (tsr_ws_skip_ctrl):
// the same per-row input FIFOs, registered psum-FIFO slot/ready counts and first-step conditions,
// so for one tile it predicts the RTL's compute cycles exactly (test_skip checks the RTL against
// it). The other functions are simpler schemes the study compares it with.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace tsr::skip {

struct ElasticParams {
  int rows = 16;      // R
  int depth = 2;      // D: K indices per row and pixel
  int psum_fifo = 2;  // F: psum FIFO entries per PE (incl. the accumulating one), >= 1
  int row_fifo = 16;  // input FIFO entries per row
};

// Steps per (pixel, row) of one tile: steps[p * R + r] = max(1, non-zero of row r's D activations)
// when skipping, D when dense. `nz` holds one byte per (pixel, lane), lane j*R + r, 1 = non-zero.
std::vector<uint8_t> row_steps(std::span<const uint8_t> nz, int pixels, int rows, int depth,
                               bool skip);

// Cycles from the first accepted beat to the bottom row's last step of the last pixel (inclusive),
// with the activation stream always valid and the output never stalled.
uint64_t elastic_cycles(const ElasticParams& p, std::span<const uint8_t> steps, int pixels);

// The same run with the array-cycle count of the RTL's cnt_active_o (ARRAY_CYCLES on a top): the
// cycles in which at least one row issues a step.
struct ElasticCount {
  uint64_t cycles = 0;  // elastic_cycles()
  uint64_t active = 0;  // cycles with a step issued
};
ElasticCount elastic_run(const ElasticParams& p, std::span<const uint8_t> steps, int pixels);

// Synchronized alternatives over the same tile (beats of D*R lanes), in array cycles:
// dense:        D per pixel (D beats of R lanes).
// vector skip:  the R-lane beats that are not all zero (whole vectors skipped; 0 for a zero pixel).
// synchronized: max over rows of the row's steps (every row waits for the slowest).
uint64_t dense_cycles(int pixels, int depth);
uint64_t vector_skip_cycles(std::span<const uint8_t> nz, int pixels, int rows, int depth);
uint64_t sync_cycles(std::span<const uint8_t> steps, int pixels, int rows);

}  // namespace tsr::skip

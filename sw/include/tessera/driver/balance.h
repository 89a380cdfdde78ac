// Row balancing for zero-skip arrays (docs/skip.md, "Row balancing"): a graph rewrite, applied
// before lowering, that permutes the channels of activation tensors so that every row of a skip
// array mixes channels that are often zero with channels that rarely are. The rewrite is exact:
// the permuted graph computes the same graph outputs, byte for byte (graph inputs and outputs keep
// their channel order); only the order of channels inside intermediate tensors changes.
//
// Permuting a tensor's channels permutes its producer's output channels (conv / depthwise weights,
// bias, per-channel quantization) and every consumer's input-channel axis (conv weights, FC input
// features). Tensors joined by channel-wise ops (ADD, pools, depthwise with multiplier 1, RESHAPE
// that keeps the last dimension) form one class and share one permutation.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "tessera/dev/device.h"
#include "tessera/driver/graph.h"
#include "tessera/driver/interp.h"

namespace tsr::drv {

// The zero-skip study's dealing of one tile (tb/skip/src/study.cpp uses it for K tiles): the n <=
// D*R items, sorted by density (descending, stable; the D*R - n padding positions sort last), are
// dealt to lanes in snake order: the i-th goes to lane j*R + row with j = i / R and row = i % R for
// even j, R - 1 - i % R for odd j. Lane j*R + r feeds array row r. Returns the item of each lane
// (D*R entries, -1 = padding).
std::vector<int> snake_lanes(std::span<const double> density, int R, int D);

// The channel order of a tensor with per-channel densities `d` consumed by a skip array of R rows
// and depth D (result[p] = original channel now at position p). D*R-channel groups (chunk groups of
// the skip MATMULs) are dealt by snake_lanes. A tensor of exactly R channels (one chunk), or of 2R
// at D = 4 (two chunks), runs as tap groups of T = D / chunks taps (the lowering rotates tap t's
// lanes by t*R/T, so row r holds the positions r + k*R/T, mod R and in every chunk): it is dealt by
// snake_lanes(d, R/T, D); at D = 2 and R channels that pairs the i-th densest with the i-th
// sparsest. Everything else (fewer than R channels, a partial last group) keeps its order.
std::vector<int> balanced_channel_order(std::span<const double> d, int R, int D);

// Per-channel non-zero rate (value != the tensor's zero point, over all its pixels) of every int8
// activation tensor that `v` holds (indexed like Graph::tensors; empty where v has no value).
std::vector<std::vector<double>> channel_density(const Graph& g, const Values& v);

struct BalancedGraph {
  Graph graph;                         // the rewritten graph (constants it changes are copies)
  std::vector<std::vector<int>> perm;  // per tensor of `graph`: perm[p] = original channel at p; empty = as before
  int classes = 0;                     // classes of activation tensors that may be permuted
  int classes_permuted = 0;
  int tensors_permuted = 0;
  std::string summary() const;  // "rows balanced: 5 of 9 channel classes permuted (12 tensors)"
};

// Rewrites g so that every permutable class of tensors feeding an array layer (CONV_2D or
// FULLY_CONNECTED input) takes balanced_channel_order() of the summed densities of those members.
BalancedGraph balance_rows(const Graph& g, const std::vector<std::vector<double>>& density, int R, int D);

// balance_rows() with densities measured by the interpreter on `calibration` (bytes of the graph's
// input), for an array of dp.rows rows and depth dp.skip_depth.
BalancedGraph balance_rows(const Graph& g, std::span<const int8_t> calibration, const dev::DeviceParams& dp);

// The values of tensor t of the original graph in the channel order of the balanced graph (the
// identity when t is not permuted): what the balanced graph must compute for t.
std::vector<int8_t> permute_channels(const BalancedGraph& b, int t, std::span<const int8_t> original);

}  // namespace tsr::drv

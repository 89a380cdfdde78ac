// The zero-skip study on real activations: runs a TFLite model in the driver's interpreter, takes
// every CONV_2D layer's input, forms the weight-stationary array's activation stream (im2col K
// order: tap-major, channel-minor; SAME padding taps carry the zero point) and counts array cycles
// of the dense array and of each skip scheme with the models of model.h. docs/skip.md.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tessera/skip/model.h"

namespace tsr::drv {
struct Graph;
}

namespace tsr::skip {

struct LayerStream {
  std::string label;   // "op 3 (CONV_2D)"
  std::string shape;   // "32x32x16 -> 32x32x16, 3x3/1"
  int pixels = 0;      // M: output pixels
  int k = 0;           // K = kh*kw*Cin
  int cout = 1;        // output channels: the stream repeats ceil(cout / C) times (N tiles)
  int kh = 1, kw = 1, cin = 1;  // K index (ky * kw + kx) * cin + c
  double zero_share = 0;  // share of the K x M activations equal to the zero point (incl. padding)
  std::vector<uint8_t> nz;  // [pixel][k] 1 = activation != zero point
};

// Conv layers of a model on one input (bytes of the model's input tensor).
std::vector<LayerStream> conv_streams(const std::string& model_path, const std::vector<int8_t>& input);
// The same for a graph already loaded (e.g. row-balanced).
std::vector<LayerStream> conv_streams(const drv::Graph& g, const std::vector<int8_t>& input);

// A 32x32x3 CIFAR-like image for ResNet-8 made from a real 96x96 grey image (person.bmp): 3x3 box
// averages, the grey value in all three channels, quantized with the model input's scale and zp.
std::vector<int8_t> cifar_like_input(const std::string& resnet_path, const std::string& bmp_path);

// Share of pixels in which each K index is non-zero (calibration data for balance()).
std::vector<double> k_density(const LayerStream& l);

struct SchemeCycles {
  uint64_t dense = 0;        // the dense array: M * ceil(K/R) beats + R - 1 to the bottom row
  uint64_t vector_skip = 0;  // whole all-zero R-lane vectors skipped
  uint64_t sync = 0;         // D per row, rows synchronized (max over rows)
  uint64_t elastic = 0;      // the row-elastic array (model of the RTL)
  uint64_t row_bound = 0;    // the busiest row's steps: the elastic array's limit at any FIFO size
  uint64_t nonzero = 0;      // ceil(non-zero activations / R): no skip scheme can beat it
};
// Array cycles of one layer for one N tile (all K tiles streamed back to back) on an R-row array.
// `density` (empty: K order as is) balances the rows: within each tile of D*R K indices, sorted by
// calibration density, indices are dealt to rows in snake order, so every row mixes dense and
// sparse channels (a K permutation the lowering applies to weights and activations alike).
SchemeCycles layer_cycles(const LayerStream& l, const ElasticParams& p,
                          const std::vector<double>& density = {});

}  // namespace tsr::skip

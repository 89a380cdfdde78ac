#include "tessera/skip/study.h"

#include <algorithm>
#include <cmath>
#include <span>

#include <fmt/format.h>

#include "tessera/driver/balance.h"
#include "tessera/driver/interp.h"
#include "tessera/driver/io.h"
#include "tessera/driver/tflite.h"
#include "tessera/error.h"
#include "tessera/ref/kernels.h"

namespace tsr::skip {

using namespace tsr::drv;

std::vector<LayerStream> conv_streams(const std::string& model_path, const std::vector<int8_t>& input) {
  const Graph g = load_tflite(model_path);
  if (input.size() != g.input().elements()) {
    fail("{}: input has {} bytes, the model takes {}", model_path, input.size(), g.input().elements());
  }
  return conv_streams(g, input);
}

std::vector<LayerStream> conv_streams(const Graph& g, const std::vector<int8_t>& input) {
  const Values v = interpret(g, input);
  std::vector<LayerStream> out;
  for (const Op& op : g.ops) {
    if (op.kind != OpKind::Conv2D) continue;
    const Tensor& in = g.tensor(op.inputs[0]);
    const Tensor& w = g.tensor(op.inputs[1]);
    const Tensor& o = g.tensor(op.outputs[0]);
    const auto& a = v[op.inputs[0]];
    const int zp = in.quant.zp0();
    const int H = in.shape[1], W = in.shape[2], Cin = in.shape[3];
    const int kh = w.shape[1], kw = w.shape[2], Cout = w.shape[0];
    const auto pad = ref::compute_padding_height_width(op.stride_h, op.stride_w, op.dilation_h,
                                                       op.dilation_w, H, W, kh, kw, op.padding);
    LayerStream l;
    l.label = op.label();
    l.shape = fmt::format("{}x{}x{} -> {}x{}x{}, {}x{}/{}", H, W, Cin, o.shape[1], o.shape[2], Cout, kh,
                          kw, op.stride_h);
    l.pixels = pad.out_height * pad.out_width;
    l.k = kh * kw * Cin;
    l.cout = Cout;
    l.kh = kh;
    l.kw = kw;
    l.cin = Cin;
    l.nz.resize(static_cast<size_t>(l.pixels) * l.k);
    uint64_t zeros = 0;
    for (int oy = 0; oy < pad.out_height; ++oy) {
      for (int ox = 0; ox < pad.out_width; ++ox) {
        const size_t base = (static_cast<size_t>(oy) * pad.out_width + ox) * l.k;
        for (int ky = 0; ky < kh; ++ky) {
          for (int kx = 0; kx < kw; ++kx) {
            const int iy = oy * op.stride_h - pad.padding.height + ky * op.dilation_h;
            const int ix = ox * op.stride_w - pad.padding.width + kx * op.dilation_w;
            const bool inside = iy >= 0 && iy < H && ix >= 0 && ix < W;
            for (int c = 0; c < Cin; ++c) {
              const int val = inside ? a[(static_cast<size_t>(iy) * W + ix) * Cin + c] : zp;
              const bool nz = val != zp;
              l.nz[base + (ky * kw + kx) * Cin + c] = nz;
              zeros += !nz;
            }
          }
        }
      }
    }
    l.zero_share = static_cast<double>(zeros) / static_cast<double>(l.nz.size());
    out.push_back(std::move(l));
  }
  return out;
}

std::vector<int8_t> cifar_like_input(const std::string& resnet_path, const std::string& bmp_path) {
  const Graph g = load_tflite(resnet_path);
  const Tensor& in = g.input();
  if (in.elements() != 32 * 32 * 3) fail("{}: input is {}, expected 1x32x32x3", resnet_path, in.shape_str());
  Tensor grey;
  grey.shape = {1, 96, 96, 1};
  grey.type = DType::Int8;
  const std::vector<int8_t> img = read_input(bmp_path, grey);
  const float scale = in.quant.scale0();
  const int zp = in.quant.zp0();
  std::vector<int8_t> x(32 * 32 * 3);
  for (int y = 0; y < 32; ++y) {
    for (int xx = 0; xx < 32; ++xx) {
      int sum = 0;
      for (int dy = 0; dy < 3; ++dy) {
        for (int dx = 0; dx < 3; ++dx) sum += img[(3 * y + dy) * 96 + 3 * xx + dx] + 128;  // 0..255
      }
      const float real = static_cast<float>(sum) / 9.0F / 255.0F;
      const int q = std::clamp(static_cast<int>(std::lround(real / scale)) + zp, -128, 127);
      for (int c = 0; c < 3; ++c) x[(y * 32 + xx) * 3 + c] = static_cast<int8_t>(q);
    }
  }
  return x;
}

std::vector<double> k_density(const LayerStream& l) {
  std::vector<double> d(l.k, 0.0);
  for (int px = 0; px < l.pixels; ++px) {
    for (int kk = 0; kk < l.k; ++kk) d[kk] += l.nz[static_cast<size_t>(px) * l.k + kk];
  }
  for (auto& x : d) x /= std::max(1, l.pixels);
  return d;
}

SchemeCycles layer_cycles(const LayerStream& l, const ElasticParams& p,
                          const std::vector<double>& density) {
  const int R = p.rows, D = p.depth, KT = R * D;
  const int tiles = (l.k + KT - 1) / KT;
  if (!density.empty() && density.size() != static_cast<size_t>(l.k)) {
    fail("layer_cycles: {} densities for K = {}", density.size(), l.k);
  }
  // lane_k[t * KT + lane]: the K index in that lane (-1: padding, a zero).
  std::vector<int> lane_k(static_cast<size_t>(tiles) * KT, -1);
  for (int t = 0; t < tiles; ++t) {
    const int n = std::min(KT, l.k - t * KT);
    if (!density.empty()) {
      // The compiler's row balancing deals channels the same way (drv::balanced_channel_order).
      const auto lanes = snake_lanes(std::span<const double>(density).subspan(static_cast<size_t>(t) * KT, static_cast<size_t>(n)), R, D);
      for (int lane = 0; lane < KT; ++lane) {
        const int i = lanes[static_cast<size_t>(lane)];
        lane_k[static_cast<size_t>(t) * KT + lane] = i < 0 ? -1 : t * KT + i;
      }
    } else {
      for (int lane = 0; lane < n; ++lane) lane_k[static_cast<size_t>(t) * KT + lane] = t * KT + lane;
    }
  }
  // One stream: every K tile's pixels back to back (the bank tags let them overlap in the array).
  std::vector<uint8_t> nz(static_cast<size_t>(tiles) * l.pixels * KT, 0);
  for (int t = 0; t < tiles; ++t) {
    for (int px = 0; px < l.pixels; ++px) {
      for (int lane = 0; lane < KT; ++lane) {
        const int kk = lane_k[static_cast<size_t>(t) * KT + lane];
        if (kk >= 0) {
          nz[(static_cast<size_t>(t) * l.pixels + px) * KT + lane] = l.nz[static_cast<size_t>(px) * l.k + kk];
        }
      }
    }
  }
  const int beats = tiles * l.pixels;
  const auto steps = row_steps(nz, beats, R, D, true);
  SchemeCycles s;
  const uint64_t fill = R - 1;
  s.dense = static_cast<uint64_t>(l.pixels) * ((l.k + R - 1) / R) + fill;
  s.vector_skip = vector_skip_cycles(nz, beats, R, D) + fill;
  s.sync = sync_cycles(steps, beats, R) + fill;
  s.elastic = elastic_cycles(p, steps, beats);
  std::vector<uint64_t> per_row(R, 0);
  for (int b = 0; b < beats; ++b) {
    for (int r = 0; r < R; ++r) per_row[r] += steps[static_cast<size_t>(b) * R + r];
  }
  s.row_bound = *std::max_element(per_row.begin(), per_row.end()) + fill;
  uint64_t nnz = 0;
  for (auto x : l.nz) nnz += x;
  s.nonzero = (nnz + R - 1) / R + fill;
  return s;
}

}  // namespace tsr::skip

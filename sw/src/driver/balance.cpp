#include "tessera/driver/balance.h"

#include <algorithm>
#include <numeric>

#include <fmt/format.h>

#include "tessera/error.h"

namespace tsr::drv {

std::vector<int> snake_lanes(std::span<const double> density, int R, int D) {
  const int KT = R * D;
  if (R < 1 || D < 1) fail("snake_lanes: {} rows, depth {}", R, D);
  if (density.size() > static_cast<size_t>(KT)) fail("snake_lanes: {} items for {} lanes", density.size(), KT);
  const int n = static_cast<int>(density.size());
  std::vector<int> ks(static_cast<size_t>(KT));
  std::iota(ks.begin(), ks.end(), 0);
  std::stable_sort(ks.begin(), ks.end(), [&](int a, int b) {
    return (a < n ? density[static_cast<size_t>(a)] : -1.0) > (b < n ? density[static_cast<size_t>(b)] : -1.0);
  });
  std::vector<int> lane(static_cast<size_t>(KT), -1);
  for (int i = 0; i < KT; ++i) {
    const int j = i / R, pos = i % R, row = (j % 2 == 0) ? pos : R - 1 - pos;
    const int k = ks[static_cast<size_t>(i)];
    lane[static_cast<size_t>(j * R + row)] = k < n ? k : -1;
  }
  return lane;
}

std::vector<int> balanced_channel_order(std::span<const double> d, int R, int D) {
  const int C = static_cast<int>(d.size());
  std::vector<int> perm(static_cast<size_t>(C));
  std::iota(perm.begin(), perm.end(), 0);
  if (D < 2 || R < 2) return perm;
  // Tap groups (one chunk, or two at D = 4): T = D / chunks taps a pass, tap t's lanes rotated by
  // t*R/T, so row r holds the positions r + k*R/T (mod R, and in every chunk): R/T rows of D.
  const int T = C == R ? D : (C == 2 * R && D == 4 ? 2 : 1);
  if (T > 1 && R % T == 0) {
    const auto lanes = snake_lanes(d, R / T, D);
    for (int p = 0; p < C; ++p) perm[static_cast<size_t>(p)] = lanes[static_cast<size_t>(p)];
    return perm;
  }
  if (C <= R) return perm;
  const int G = D * R;
  for (int g0 = 0; g0 + G <= C; g0 += G) {
    const auto lanes = snake_lanes(d.subspan(static_cast<size_t>(g0), static_cast<size_t>(G)), R, D);
    for (int p = 0; p < G; ++p) perm[static_cast<size_t>(g0 + p)] = g0 + lanes[static_cast<size_t>(p)];
  }
  return perm;
}

std::vector<std::vector<double>> channel_density(const Graph& g, const Values& v) {
  std::vector<std::vector<double>> out(g.tensors.size());
  for (const Tensor& t : g.tensors) {
    const auto& x = v.t.at(static_cast<size_t>(t.index));
    if (x.empty() || t.constant || t.type != DType::Int8 || t.shape.empty() || t.shape.back() < 1) continue;
    const size_t C = static_cast<size_t>(t.shape.back());
    if (x.size() % C != 0) fail("channel_density: tensor {} '{}' has {} values for {} channels", t.index, t.name, x.size(), C);
    const int zp = t.quant.zp0();
    std::vector<double> d(C, 0.0);
    for (size_t i = 0; i < x.size(); ++i) d[i % C] += x[i] != zp;
    for (auto& e : d) e /= static_cast<double>(x.size() / C);
    out[static_cast<size_t>(t.index)] = std::move(d);
  }
  return out;
}

std::string BalancedGraph::summary() const {
  return fmt::format("rows balanced: {} of {} channel classes permuted ({} tensors)", classes_permuted, classes,
                     tensors_permuted);
}

namespace {

struct UnionFind {
  std::vector<int> parent;
  explicit UnionFind(size_t n) : parent(n) { std::iota(parent.begin(), parent.end(), 0); }
  int find(int x) {
    while (parent[static_cast<size_t>(x)] != x) {
      parent[static_cast<size_t>(x)] = parent[static_cast<size_t>(parent[static_cast<size_t>(x)])];
      x = parent[static_cast<size_t>(x)];
    }
    return x;
  }
  void join(int a, int b) { parent[static_cast<size_t>(find(a))] = find(b); }
};

int last_dim(const Tensor& t) { return t.shape.empty() ? 1 : t.shape.back(); }

// Permutes `n` blocks of `inner` elements of `bytes`-byte values along one axis: the layout is
// [outer][axis][inner], and new[o][p][i] = old[o][perm[p]][i].
std::vector<uint8_t> permute_axis(const std::vector<uint8_t>& data, size_t outer, const std::vector<int>& perm,
                                  size_t inner, size_t bytes) {
  const size_t n = perm.size();
  if (data.size() != outer * n * inner * bytes) fail("balance: constant of {} bytes is not {}x{}x{}x{}", data.size(), outer, n, inner, bytes);
  std::vector<uint8_t> out(data.size());
  const size_t blk = inner * bytes;
  for (size_t o = 0; o < outer; ++o) {
    for (size_t p = 0; p < n; ++p) {
      std::copy_n(data.begin() + static_cast<std::ptrdiff_t>((o * n + static_cast<size_t>(perm[p])) * blk), blk,
                  out.begin() + static_cast<std::ptrdiff_t>((o * n + p) * blk));
    }
  }
  return out;
}

template <class T>
void permute_vec(std::vector<T>& v, const std::vector<int>& perm) {
  if (v.size() != perm.size()) return;  // per-tensor (one value): nothing to permute
  std::vector<T> out(v.size());
  for (size_t p = 0; p < perm.size(); ++p) out[p] = v[static_cast<size_t>(perm[p])];
  v = std::move(out);
}

}  // namespace

BalancedGraph balance_rows(const Graph& g, const std::vector<std::vector<double>>& density, int R, int D) {
  BalancedGraph b;
  b.graph = g;
  Graph& ng = b.graph;
  const size_t nt = g.tensors.size();
  if (density.size() != nt) fail("balance_rows: {} densities for {} tensors", density.size(), nt);
  UnionFind uf(nt);
  std::vector<uint8_t> fixed(nt, 0);
  const auto fix = [&](int t) {
    if (t >= 0) fixed[static_cast<size_t>(t)] = 1;
  };
  for (int t : g.inputs) fix(t);
  for (int t : g.outputs) fix(t);
  // Array consumers (their input's channel order sets the rows) and the classes.
  std::vector<uint8_t> feeds_array(nt, 0);
  for (const Op& op : g.ops) {
    const int in = op.inputs.empty() ? -1 : op.inputs[0], out = op.outputs.empty() ? -1 : op.outputs[0];
    if (in < 0 || out < 0) continue;
    const Tensor& ti = g.tensor(in);
    const Tensor& to = g.tensor(out);
    switch (op.kind) {
      case OpKind::Conv2D: feeds_array[static_cast<size_t>(in)] = 1; break;
      case OpKind::FullyConnected: {
        // Input features f = pixel * C + channel (NHWC flattened); the output stays in order.
        const int K = g.tensor(op.inputs[1]).shape.at(1);
        if (K % last_dim(ti) != 0) {
          fix(in);
        } else {
          feeds_array[static_cast<size_t>(in)] = 1;
        }
        fix(out);
        break;
      }
      case OpKind::DepthwiseConv2D:
        if (last_dim(ti) == last_dim(to)) {
          uf.join(in, out);
        } else if (last_dim(ti) != 1) {
          fix(in);
          fix(out);
        }
        break;
      case OpKind::Add:
        uf.join(in, out);
        uf.join(op.inputs.at(1), out);
        break;
      case OpKind::AveragePool2D:
      case OpKind::MaxPool2D: uf.join(in, out); break;
      case OpKind::Reshape:
        if (last_dim(ti) == last_dim(to)) {
          uf.join(in, out);
        } else {
          fix(in);
          fix(out);
        }
        break;
      case OpKind::Softmax:
        fix(in);
        fix(out);
        break;
    }
  }
  // One permutation per class.
  std::vector<std::vector<int>> members(nt);
  for (const Tensor& t : g.tensors) {
    if (t.constant || t.type != DType::Int8) continue;
    members[static_cast<size_t>(uf.find(t.index))].push_back(t.index);
  }
  b.perm.assign(nt, {});
  for (size_t root = 0; root < nt; ++root) {
    const auto& m = members[root];
    if (m.empty()) continue;
    bool is_fixed = false, used = false;
    const int C = last_dim(g.tensor(m[0]));
    std::vector<double> sum(static_cast<size_t>(C), 0.0);
    for (int t : m) {
      is_fixed = is_fixed || fixed[static_cast<size_t>(t)] != 0;
      if (last_dim(g.tensor(t)) != C) fail("balance_rows: tensors {} and {} share channels but not their count", m[0], t);
    }
    if (is_fixed) continue;
    for (int t : m) {
      if (feeds_array[static_cast<size_t>(t)] == 0) continue;
      const auto& d = density[static_cast<size_t>(t)];
      if (d.size() != static_cast<size_t>(C)) fail("balance_rows: no calibration density for tensor {} '{}'", t, g.tensor(t).name);
      for (int c = 0; c < C; ++c) sum[static_cast<size_t>(c)] += d[static_cast<size_t>(c)];
      used = true;
    }
    if (!used) continue;
    ++b.classes;
    const auto perm = balanced_channel_order(sum, R, D);
    bool identity = true;
    for (int p = 0; p < C; ++p) identity = identity && perm[static_cast<size_t>(p)] == p;
    if (identity) continue;
    ++b.classes_permuted;
    for (int t : m) {
      b.perm[static_cast<size_t>(t)] = perm;
      ++b.tensors_permuted;
    }
  }
  // Rewrite the constants. A constant shared by several ops is copied before it changes.
  std::vector<int> uses(nt, 0);
  for (const Op& op : g.ops) {
    for (int t : op.inputs) {
      if (t >= 0) ++uses[static_cast<size_t>(t)];
    }
  }
  const auto own = [&](Op& op, size_t slot) -> Tensor& {
    const int t = op.inputs.at(slot);
    if (uses[static_cast<size_t>(t)] > 1) {
      Tensor c = ng.tensors[static_cast<size_t>(t)];
      c.index = static_cast<int>(ng.tensors.size());
      --uses[static_cast<size_t>(t)];
      ng.tensors.push_back(std::move(c));
      b.perm.emplace_back();
      uses.push_back(1);
      op.inputs[slot] = static_cast<int>(ng.tensors.size()) - 1;
    }
    return ng.tensors[static_cast<size_t>(op.inputs[slot])];
  };
  const auto has = [&](size_t slot, const Op& op) { return op.inputs.size() > slot && op.inputs[slot] >= 0; };
  // Output channels: weights along `axis` of `shape` (int8), bias and per-channel quantization.
  const auto permute_out = [&](Op& op, const std::vector<int>& P, int axis) {
    Tensor& w = own(op, 1);
    size_t outer = 1, inner = 1;
    for (int a = 0; a < axis; ++a) outer *= static_cast<size_t>(w.shape[static_cast<size_t>(a)]);
    for (size_t a = static_cast<size_t>(axis) + 1; a < w.shape.size(); ++a) inner *= static_cast<size_t>(w.shape[a]);
    w.data = permute_axis(w.data, outer, P, inner, 1);
    permute_vec(w.quant.scale, P);
    permute_vec(w.quant.zero_point, P);
    if (has(2, op)) {
      Tensor& bias = own(op, 2);
      bias.data = permute_axis(bias.data, 1, P, 1, 4);
      permute_vec(bias.quant.scale, P);
      permute_vec(bias.quant.zero_point, P);
    }
  };
  for (Op& op : ng.ops) {
    const int in = op.inputs.empty() ? -1 : op.inputs[0], out = op.outputs.empty() ? -1 : op.outputs[0];
    if (in < 0 || out < 0) continue;
    // Copies: own() may append to b.perm.
    const std::vector<int> Pin = b.perm[static_cast<size_t>(in)];
    const std::vector<int> Pout = b.perm[static_cast<size_t>(out)];
    switch (op.kind) {
      case OpKind::Conv2D:
        // OHWI: input channels are the innermost axis.
        if (!Pin.empty()) {
          Tensor& w = own(op, 1);
          w.data = permute_axis(w.data, w.elements() / Pin.size(), Pin, 1, 1);
        }
        if (!Pout.empty()) permute_out(op, Pout, 0);
        break;
      case OpKind::DepthwiseConv2D:
        // [1, kh, kw, C*mult]: channels innermost; multiplier 1 joins input and output (Pin == Pout).
        if (!Pout.empty()) permute_out(op, Pout, 3);
        break;
      case OpKind::FullyConnected:
        if (!Pin.empty()) {
          Tensor& w = own(op, 1);  // [O, K], K = pixels * C
          w.data = permute_axis(w.data, w.elements() / Pin.size(), Pin, 1, 1);
        }
        break;
      default: break;
    }
  }
  return b;
}

BalancedGraph balance_rows(const Graph& g, std::span<const int8_t> calibration, const dev::DeviceParams& dp) {
  if (calibration.size() != g.input().elements()) {
    fail("balance: the calibration input has {} bytes, the model input '{}' takes {}", calibration.size(),
         g.input().name, g.input().elements());
  }
  const Values v = interpret(g, calibration);
  return balance_rows(g, channel_density(g, v), dp.rows, std::max(1, dp.skip_depth));
}

std::vector<int8_t> permute_channels(const BalancedGraph& b, int t, std::span<const int8_t> original) {
  const auto& P = b.perm.at(static_cast<size_t>(t));
  std::vector<int8_t> out(original.begin(), original.end());
  if (P.empty()) return out;
  const size_t C = P.size();
  if (original.size() % C != 0) fail("permute_channels: {} values for {} channels", original.size(), C);
  for (size_t px = 0; px < original.size() / C; ++px) {
    for (size_t p = 0; p < C; ++p) out[px * C + p] = original[px * C + static_cast<size_t>(P[p])];
  }
  return out;
}

}  // namespace tsr::drv

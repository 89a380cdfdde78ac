#include "tessera/driver/interp.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "tessera/error.h"
#include "tessera/ref/quant.h"

namespace tsr::drv {

namespace {

using ref::multiply_by_quantized_multiplier;
using ref::quantize_multiplier;
using ref::saturating_rounding_doubling_high_mul;
using ref::rounding_divide_by_pot;
using ref::wrap_i32;

// TFLite's padding rule (kernels/padding.h), written out here so the interpreter does not depend
// on the golden-model helpers the compiler uses.
struct Pad1 {
  int out = 0;
  int before = 0;
};
Pad1 pad_1d(ref::Padding p, int in, int filter, int stride, int dilation) {
  const int eff = (filter - 1) * dilation + 1;
  Pad1 r;
  r.out = p == ref::Padding::Same ? (in + stride - 1) / stride : (in + stride - eff) / stride;
  const int total = std::max(0, (r.out - 1) * stride + eff - in);
  r.before = total / 2;
  return r;
}

std::vector<int8_t> const_or_value(const Graph& g, const Values& v, int t) {
  const Tensor& ten = g.tensor(t);
  if (ten.constant) return {ten.i8(), ten.i8() + ten.data.size()};
  const auto& x = v[t];
  if (x.size() != ten.elements()) {
    fail("interpreter: tensor {} '{}' has no value ({} of {} elements)", t, ten.name, x.size(), ten.elements());
  }
  return x;
}

// Per-output-channel multipliers of conv / depthwise / FC: TFLite's
// PopulateConvolutionQuantizationParams / GetQuantizedConvolutionMultipler, all in double.
struct ChannelQ {
  std::vector<int32_t> mult;
  std::vector<int> shift;
};
ChannelQ channel_q(const Tensor& in, const Tensor& filter, const Tensor& out, int channels) {
  ChannelQ q;
  for (int c = 0; c < channels; ++c) {
    const float fs = filter.quant.per_channel() ? filter.quant.scale[static_cast<size_t>(c)] : filter.quant.scale0();
    const double real = static_cast<double>(in.quant.scale0()) * static_cast<double>(fs) /
                        static_cast<double>(out.quant.scale0());
    const auto m = quantize_multiplier(real);
    q.mult.push_back(m.multiplier);
    q.shift.push_back(m.shift);
  }
  return q;
}

std::vector<int32_t> bias_of(const Graph& g, const Op& op, int channels) {
  if (op.inputs.size() > 2 && op.inputs[2] >= 0) return g.tensor(op.inputs[2]).i32();
  return std::vector<int32_t>(static_cast<size_t>(channels), 0);
}

int8_t finish(int32_t acc, int32_t mult, int shift, int32_t zp, ref::ActRange r) {
  int32_t x = multiply_by_quantized_multiplier(acc, mult, shift);
  x = wrap_i32(int64_t{x} + zp);
  return static_cast<int8_t>(std::clamp(x, r.min, r.max));
}

void conv(const Graph& g, const Op& op, Values& v) {
  const Tensor& ti = g.tensor(op.inputs[0]);
  const Tensor& tf = g.tensor(op.inputs[1]);
  const Tensor& to = g.tensor(op.outputs[0]);
  const auto in = const_or_value(g, v, op.inputs[0]);
  const int8_t* f = tf.i8();
  const int N = ti.shape[0], H = ti.shape[1], W = ti.shape[2], C = ti.shape[3];
  const int O = tf.shape[0], KH = tf.shape[1], KW = tf.shape[2];
  const auto ph = pad_1d(op.padding, H, KH, op.stride_h, op.dilation_h);
  const auto pw = pad_1d(op.padding, W, KW, op.stride_w, op.dilation_w);
  if (to.shape != std::vector<int>{N, ph.out, pw.out, O}) {
    fail("{}: {}: output shape {} but the options give {}x{}x{}x{}", g.path, op.label(), to.shape_str(), N, ph.out, pw.out, O);
  }
  const auto q = channel_q(ti, tf, to, O);
  const auto bias = bias_of(g, op, O);
  const auto range = ref::activation_range_i8(op.act, to.quant.params());
  const int32_t in_off = -ti.quant.zp0();
  std::vector<int8_t> out(to.elements());
  size_t o_i = 0;
  for (int b = 0; b < N; ++b) {
    for (int oy = 0; oy < ph.out; ++oy) {
      for (int ox = 0; ox < pw.out; ++ox) {
        for (int oc = 0; oc < O; ++oc) {
          int64_t acc = 0;
          for (int fy = 0; fy < KH; ++fy) {
            const int iy = oy * op.stride_h - ph.before + op.dilation_h * fy;
            if (iy < 0 || iy >= H) continue;
            for (int fx = 0; fx < KW; ++fx) {
              const int ix = ox * op.stride_w - pw.before + op.dilation_w * fx;
              if (ix < 0 || ix >= W) continue;
              const int8_t* px = &in[((static_cast<size_t>(b) * H + iy) * W + ix) * C];
              const int8_t* fw = &f[((static_cast<size_t>(oc) * KH + fy) * KW + fx) * C];
              for (int ic = 0; ic < C; ++ic) acc += int32_t{fw[ic]} * (int32_t{px[ic]} + in_off);
            }
          }
          const int32_t a = wrap_i32(int64_t{wrap_i32(acc)} + bias[static_cast<size_t>(oc)]);
          out[o_i++] = finish(a, q.mult[static_cast<size_t>(oc)], q.shift[static_cast<size_t>(oc)], to.quant.zp0(), range);
        }
      }
    }
  }
  v[op.outputs[0]] = std::move(out);
}

void depthwise(const Graph& g, const Op& op, Values& v) {
  const Tensor& ti = g.tensor(op.inputs[0]);
  const Tensor& tf = g.tensor(op.inputs[1]);
  const Tensor& to = g.tensor(op.outputs[0]);
  const auto in = const_or_value(g, v, op.inputs[0]);
  const int8_t* f = tf.i8();
  const int N = ti.shape[0], H = ti.shape[1], W = ti.shape[2], C = ti.shape[3];
  const int KH = tf.shape[1], KW = tf.shape[2], OC = tf.shape[3];
  const int M = OC / C;
  const auto ph = pad_1d(op.padding, H, KH, op.stride_h, op.dilation_h);
  const auto pw = pad_1d(op.padding, W, KW, op.stride_w, op.dilation_w);
  if (to.shape != std::vector<int>{N, ph.out, pw.out, OC}) {
    fail("{}: {}: output shape {} but the options give {}x{}x{}x{}", g.path, op.label(), to.shape_str(), N, ph.out, pw.out, OC);
  }
  const auto q = channel_q(ti, tf, to, OC);
  const auto bias = bias_of(g, op, OC);
  const auto range = ref::activation_range_i8(op.act, to.quant.params());
  const int32_t in_off = -ti.quant.zp0();
  std::vector<int8_t> out(to.elements());
  for (int b = 0; b < N; ++b) {
    for (int oy = 0; oy < ph.out; ++oy) {
      for (int ox = 0; ox < pw.out; ++ox) {
        for (int ic = 0; ic < C; ++ic) {
          for (int m = 0; m < M; ++m) {
            const int oc = m + ic * M;
            int64_t acc = 0;
            for (int fy = 0; fy < KH; ++fy) {
              const int iy = oy * op.stride_h - ph.before + op.dilation_h * fy;
              if (iy < 0 || iy >= H) continue;
              for (int fx = 0; fx < KW; ++fx) {
                const int ix = ox * op.stride_w - pw.before + op.dilation_w * fx;
                if (ix < 0 || ix >= W) continue;
                const int32_t x = in[((static_cast<size_t>(b) * H + iy) * W + ix) * C + ic];
                const int32_t w = f[(static_cast<size_t>(fy) * KW + fx) * OC + oc];
                acc += w * (x + in_off);
              }
            }
            const int32_t a = wrap_i32(int64_t{wrap_i32(acc)} + bias[static_cast<size_t>(oc)]);
            out[((static_cast<size_t>(b) * ph.out + oy) * pw.out + ox) * OC + oc] =
                finish(a, q.mult[static_cast<size_t>(oc)], q.shift[static_cast<size_t>(oc)], to.quant.zp0(), range);
          }
        }
      }
    }
  }
  v[op.outputs[0]] = std::move(out);
}

void fully_connected(const Graph& g, const Op& op, Values& v) {
  const Tensor& ti = g.tensor(op.inputs[0]);
  const Tensor& tf = g.tensor(op.inputs[1]);
  const Tensor& to = g.tensor(op.outputs[0]);
  const auto in = const_or_value(g, v, op.inputs[0]);
  const int8_t* f = tf.i8();
  const int O = tf.shape[0], K = tf.shape[1];
  const int rows = static_cast<int>(ti.elements() / static_cast<size_t>(K));
  if (to.elements() != static_cast<size_t>(rows) * O) {
    fail("{}: {}: output {} does not hold {} rows of {}", g.path, op.label(), to.shape_str(), rows, O);
  }
  const auto q = channel_q(ti, tf, to, O);
  const auto bias = bias_of(g, op, O);
  const auto range = ref::activation_range_i8(op.act, to.quant.params());
  const int32_t in_off = -ti.quant.zp0();
  // Per-tensor: TFLite's FullyConnected uses the filter offset; per-channel ignores it (it is 0).
  const int32_t f_off = tf.quant.per_channel() ? 0 : -tf.quant.zp0();
  std::vector<int8_t> out(to.elements());
  for (int r = 0; r < rows; ++r) {
    for (int o = 0; o < O; ++o) {
      int64_t acc = 0;
      for (int k = 0; k < K; ++k) {
        acc += (int32_t{f[static_cast<size_t>(o) * K + k]} + f_off) *
               (int32_t{in[static_cast<size_t>(r) * K + k]} + in_off);
      }
      const int32_t a = wrap_i32(int64_t{wrap_i32(acc)} + bias[static_cast<size_t>(o)]);
      out[static_cast<size_t>(r) * O + o] =
          finish(a, q.mult[static_cast<size_t>(o)], q.shift[static_cast<size_t>(o)], to.quant.zp0(), range);
    }
  }
  v[op.outputs[0]] = std::move(out);
}

void pool(const Graph& g, const Op& op, Values& v, bool avg) {
  const Tensor& ti = g.tensor(op.inputs[0]);
  const Tensor& to = g.tensor(op.outputs[0]);
  const auto in = const_or_value(g, v, op.inputs[0]);
  const int N = ti.shape[0], H = ti.shape[1], W = ti.shape[2], C = ti.shape[3];
  const auto ph = pad_1d(op.padding, H, op.filter_h, op.stride_h, 1);
  const auto pw = pad_1d(op.padding, W, op.filter_w, op.stride_w, 1);
  if (to.shape != std::vector<int>{N, ph.out, pw.out, C}) {
    fail("{}: {}: output shape {} but the options give {}x{}x{}x{}", g.path, op.label(), to.shape_str(), N, ph.out, pw.out, C);
  }
  const auto range = ref::activation_range_i8(op.act, to.quant.params());
  std::vector<int8_t> out(to.elements());
  size_t o_i = 0;
  for (int b = 0; b < N; ++b) {
    for (int oy = 0; oy < ph.out; ++oy) {
      for (int ox = 0; ox < pw.out; ++ox) {
        for (int c = 0; c < C; ++c) {
          const int y0 = oy * op.stride_h - ph.before, x0 = ox * op.stride_w - pw.before;
          const int fy0 = std::max(0, -y0), fy1 = std::min(op.filter_h, H - y0);
          const int fx0 = std::max(0, -x0), fx1 = std::min(op.filter_w, W - x0);
          int32_t acc = avg ? 0 : std::numeric_limits<int8_t>::lowest();
          int count = 0;
          for (int fy = fy0; fy < fy1; ++fy) {
            for (int fx = fx0; fx < fx1; ++fx) {
              const int32_t x = in[((static_cast<size_t>(b) * H + y0 + fy) * W + x0 + fx) * C + c];
              acc = avg ? acc + x : std::max(acc, x);
              ++count;
            }
          }
          if (avg) {
            if (count == 0) fail("{}: {}: a pooling window has no input", g.path, op.label());
            acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
          }
          out[o_i++] = static_cast<int8_t>(std::clamp(acc, range.min, range.max));
        }
      }
    }
  }
  v[op.outputs[0]] = std::move(out);
}

void add(const Graph& g, const Op& op, Values& v) {
  const Tensor& ta = g.tensor(op.inputs[0]);
  const Tensor& tb = g.tensor(op.inputs[1]);
  const Tensor& to = g.tensor(op.outputs[0]);
  const auto a = const_or_value(g, v, op.inputs[0]);
  const auto b = const_or_value(g, v, op.inputs[1]);
  // TFLite's ADD Prepare for int8 (general rescaling path).
  const int left_shift = 20;
  const double twice_max = 2.0 * static_cast<double>(std::max(ta.quant.scale0(), tb.quant.scale0()));
  const auto small = [&](double real) {
    const auto m = quantize_multiplier(real);
    if (m.shift > 0) fail("{}: {}: rescale multiplier {} is not below one", g.path, op.label(), real);
    return m;
  };
  const auto m1 = small(static_cast<double>(ta.quant.scale0()) / twice_max);
  const auto m2 = small(static_cast<double>(tb.quant.scale0()) / twice_max);
  const auto mo = small(twice_max / (static_cast<double>(1 << left_shift) * static_cast<double>(to.quant.scale0())));
  const auto range = ref::activation_range_i8(op.act, to.quant.params());
  std::vector<int8_t> out(to.elements());
  for (size_t i = 0; i < out.size(); ++i) {
    const int32_t x1 = (int32_t{a[i]} - ta.quant.zp0()) * (1 << left_shift);
    const int32_t x2 = (int32_t{b[i]} - tb.quant.zp0()) * (1 << left_shift);
    const int32_t s1 = multiply_by_quantized_multiplier(x1, m1.multiplier, m1.shift);
    const int32_t s2 = multiply_by_quantized_multiplier(x2, m2.multiplier, m2.shift);
    const int32_t raw = multiply_by_quantized_multiplier(wrap_i32(int64_t{s1} + s2), mo.multiplier, mo.shift) + to.quant.zp0();
    out[i] = static_cast<int8_t>(std::clamp(raw, range.min, range.max));
  }
  v[op.outputs[0]] = std::move(out);
}

// ---- SOFTMAX (reference_ops::Softmax, int8 -> int8, gemmlowp fixed point) ----

// gemmlowp SaturatingRoundingMultiplyByPOT<e>: e > 0 saturating left shift, e < 0 rounding right.
int32_t sat_mul_pot(int32_t x, int e) {
  if (e == 0) return x;
  if (e < 0) return rounding_divide_by_pot(x, -e);
  const int32_t threshold = (1 << (31 - e)) - 1;
  if (x > threshold) return std::numeric_limits<int32_t>::max();
  if (x < -threshold) return std::numeric_limits<int32_t>::min();
  return static_cast<int32_t>(static_cast<uint32_t>(x) << e);
}
int32_t fmul(int32_t a, int32_t b) { return saturating_rounding_doubling_high_mul(a, b); }
int32_t fadd(int32_t a, int32_t b) { return wrap_i32(int64_t{a} + b); }
int32_t fsub(int32_t a, int32_t b) { return wrap_i32(int64_t{a} - b); }

// exp(x) for x in [-1/4, 0), Q0.31.
int32_t exp_quarter(int32_t a) {
  const int32_t constant_term = 1895147668;   // exp(-1/8)
  const int32_t constant_1_over_3 = 715827883;
  const int32_t x = fadd(a, 1 << 28);  // a + 1/8
  const int32_t x2 = fmul(x, x);
  const int32_t x3 = fmul(x2, x);
  const int32_t x4 = fmul(x2, x2);
  const int32_t x4_over_4 = sat_mul_pot(x4, -2);
  const int32_t poly = sat_mul_pot(fadd(fmul(fadd(x4_over_4, x3), constant_1_over_3), x2), -1);
  return fadd(constant_term, fmul(constant_term, fadd(x, poly)));
}

}  // namespace

namespace softmax_fp {

int32_t exp_on_negative_values_q5(int32_t a) {
  constexpr int kIntegerBits = 5;
  constexpr int kFractionalBits = 31 - kIntegerBits;
  const int32_t one_quarter = 1 << (kFractionalBits - 2);
  const int32_t mask = one_quarter - 1;
  const int32_t a_mod_quarter_minus_one_quarter = fsub(a & mask, one_quarter);
  int32_t result = exp_quarter(sat_mul_pot(a_mod_quarter_minus_one_quarter, kIntegerBits));  // Rescale<0>
  const int32_t remainder = fsub(a_mod_quarter_minus_one_quarter, a);
  struct Step {
    int exponent;
    int32_t multiplier;  // exp(-2^exponent) in Q0.31
  };
  constexpr Step steps[] = {{-2, 1672461947}, {-1, 1302514674}, {0, 790015084}, {1, 290630308},
                            {2, 39332535},    {3, 720401},      {4, 242}};
  for (const Step& s : steps) {
    if (kIntegerBits > s.exponent && (remainder & (1 << (kFractionalBits + s.exponent))) != 0) {
      result = fmul(result, s.multiplier);
    }
  }
  if (a == 0) result = std::numeric_limits<int32_t>::max();  // One() of Q0.31
  return result;
}

int32_t one_over_one_plus_x_for_x_in_0_1(int32_t a) {
  // RoundingHalfSum(a, One) in Q0.31.
  const int64_t sum = int64_t{a} + std::numeric_limits<int32_t>::max();
  const int32_t half_denominator = static_cast<int32_t>((sum + (sum >= 0 ? 1 : -1)) / 2);
  const int32_t c48_17 = 1515870810;    // Q2.29
  const int32_t cm32_17 = -1010580540;  // Q2.29
  int32_t x = fadd(c48_17, fmul(half_denominator, cm32_17));
  const int32_t one_q2 = 1 << 29;
  for (int i = 0; i < 3; ++i) {
    const int32_t hdx = fmul(half_denominator, x);
    const int32_t one_minus = fsub(one_q2, hdx);
    x = fadd(x, sat_mul_pot(fmul(x, one_minus), 2));  // Q4 -> Q2
  }
  return sat_mul_pot(x, 1);  // ExactMulByPot<-1> (Q2 -> Q1, same raw), then Rescale<0>
}

}  // namespace softmax_fp

namespace {

void softmax(const Graph& g, const Op& op, Values& v) {
  const Tensor& ti = g.tensor(op.inputs[0]);
  const Tensor& to = g.tensor(op.outputs[0]);
  const auto in = const_or_value(g, v, op.inputs[0]);
  constexpr int kScaledDiffIntegerBits = 5;
  constexpr int kAccumulationIntegerBits = 12;
  // PreprocessSoftmaxScaling + CalculateInputRadius (TFLite's Prepare for int8).
  const double real = std::min<double>(static_cast<double>(op.beta) * static_cast<double>(ti.quant.scale0()) *
                                           static_cast<double>(1 << (31 - kScaledDiffIntegerBits)),
                                       (1LL << 31) - 1.0);
  const auto qm = quantize_multiplier(real);
  if (qm.shift < 0) fail("{}: {}: input scale * beta too small for the softmax multiplier", g.path, op.label());
  const int left_shift = qm.shift;
  const double max_input_rescaled = 1.0 * ((1 << kScaledDiffIntegerBits) - 1) *
                                    static_cast<double>(1LL << (31 - kScaledDiffIntegerBits)) /
                                    static_cast<double>(1LL << left_shift);
  const int diff_min = -static_cast<int>(std::floor(max_input_rescaled));
  const int depth = ti.shape.empty() ? 1 : ti.shape.back();
  const size_t outer = in.size() / static_cast<size_t>(depth);
  std::vector<int8_t> out(in.size());
  for (size_t i = 0; i < outer; ++i) {
    const int8_t* row = &in[i * static_cast<size_t>(depth)];
    int32_t max_in_row = std::numeric_limits<int8_t>::min();
    for (int c = 0; c < depth; ++c) max_in_row = std::max<int32_t>(max_in_row, row[c]);
    int32_t sum_of_exps = 0;  // Q12.19
    for (int c = 0; c < depth; ++c) {
      const int32_t diff = row[c] - max_in_row;
      if (diff >= diff_min) {
        const int32_t scaled = multiply_by_quantized_multiplier(diff, qm.multiplier, left_shift);
        sum_of_exps = fadd(sum_of_exps, sat_mul_pot(softmax_fp::exp_on_negative_values_q5(scaled), -kAccumulationIntegerBits));
      }
    }
    // GetReciprocal(sum, 12).
    const int headroom_plus_one = std::countl_zero(static_cast<uint32_t>(sum_of_exps));
    const int num_bits_over_unit = kAccumulationIntegerBits - headroom_plus_one;
    const int32_t shifted_sum_minus_one = static_cast<int32_t>(
        (static_cast<uint32_t>(sum_of_exps) << headroom_plus_one) - (uint32_t{1} << 31));
    const int32_t shifted_scale = softmax_fp::one_over_one_plus_x_for_x_in_0_1(shifted_sum_minus_one);
    for (int c = 0; c < depth; ++c) {
      const int32_t diff = row[c] - max_in_row;
      int32_t o = std::numeric_limits<int8_t>::min();
      if (diff >= diff_min) {
        const int32_t scaled = multiply_by_quantized_multiplier(diff, qm.multiplier, left_shift);
        const int32_t e = softmax_fp::exp_on_negative_values_q5(scaled);
        const int32_t unsat = rounding_divide_by_pot(fmul(shifted_scale, e), num_bits_over_unit + 31 - 8);
        o = std::clamp(unsat - 128, -128, 127);
      }
      out[i * static_cast<size_t>(depth) + static_cast<size_t>(c)] = static_cast<int8_t>(o);
    }
  }
  (void)to;
  v[op.outputs[0]] = std::move(out);
}

}  // namespace

void interp_op(const Graph& g, const Op& op, Values& v) {
  switch (op.kind) {
    case OpKind::Conv2D: conv(g, op, v); return;
    case OpKind::DepthwiseConv2D: depthwise(g, op, v); return;
    case OpKind::FullyConnected: fully_connected(g, op, v); return;
    case OpKind::AveragePool2D: pool(g, op, v, true); return;
    case OpKind::MaxPool2D: pool(g, op, v, false); return;
    case OpKind::Add: add(g, op, v); return;
    case OpKind::Reshape: v[op.outputs[0]] = const_or_value(g, v, op.inputs[0]); return;
    case OpKind::Softmax: softmax(g, op, v); return;
  }
}

Values interpret(const Graph& g, std::span<const int8_t> input) {
  Values v(g);
  const Tensor& ti = g.input();
  if (input.size() != ti.elements()) {
    fail("{}: input has {} elements, the model's input tensor '{}' ({}) has {}", g.path, input.size(),
         ti.name, ti.shape_str(), ti.elements());
  }
  v[g.inputs[0]].assign(input.begin(), input.end());
  for (const Op& op : g.ops) interp_op(g, op, v);
  return v;
}

}  // namespace tsr::drv

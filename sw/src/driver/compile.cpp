#include "tessera/driver/compile.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "tessera/dev/program.h"
#include "tessera/error.h"
#include "tessera/gen/isa.h"
#include "tessera/gen/memmap.h"
#include "tessera/ref/escape_ops.h"
#include "tsr_escape_abi.h"

namespace tsr::drv {

namespace {

constexpr uint64_t kAlign = 64;
uint64_t round_up(uint64_t x, uint64_t a) { return (x + a - 1) / a * a; }

// A zero tensor with the tensor's shape and zero point (the lowering only copies activation bytes
// into its own image; the network's buffers replace them).
struct Zeros {
  std::vector<int8_t> data;
  ref::QTensorView view;
};
Zeros zeros(const Tensor& t, ref::Shape4 s) {
  Zeros z;
  z.data.assign(t.elements(), 0);
  z.view = {s, z.data, t.quant.zp0()};
  return z;
}

ref::QTensorView const_view(const Tensor& t, ref::Shape4 s, int32_t zp = 0) {
  return {s, std::span<const int8_t>(t.i8(), t.data.size()), zp};
}

std::vector<int32_t> bias_or_empty(const Graph& g, const Op& op) {
  if (op.inputs.size() > 2 && op.inputs[2] >= 0) return g.tensor(op.inputs[2]).i32();
  return {};
}

ref::OutputQuant out_quant(const Tensor& in, const Tensor& filter, const Tensor& out, ref::Activation act) {
  return ref::conv_output_quant(in.quant.scale0(), filter.quant.scale, out.quant.params(), act);
}

struct Lowered {
  dev::Program prog;
  Placement placement = Placement::Array;
  std::string how;  // e.g. "as conv (1 input channel)"
};


// A convolution (OHWI filter); the lowering picks its mapping (plain, width folded, or kernel width
// folded; docs/lowering.md) and names it in Program::mapping.
Lowered lower_conv(const Graph& g, const Op& op, const dev::DeviceParams& dp, const dev::LowerOptions& lo,
                   const std::string& lname, const std::vector<int8_t>& f, ref::Shape4 fs,
                   const ref::OutputQuant& oq) {
  const Tensor& ti = g.tensor(op.inputs[0]);
  const ref::Shape4 in = ti.shape4();
  const auto win = ref::make_window(op.padding, in, fs.h, fs.w, op.stride_h, op.stride_w);
  const auto z = zeros(ti, in);
  Lowered r;
  r.prog = dev::lower_conv2d(dp, lname, z.view, ref::QTensorView{fs, f, 0}, bias_or_empty(g, op), win, oq, lo);
  r.how = r.prog.mapping;
  return r;
}

// The op's own multiply-accumulates (a folded or reshaped lowering may issue more, zeros included).
uint64_t true_macs(const Graph& g, const Op& op, uint64_t lowered) {
  const uint64_t out = g.tensor(op.outputs[0]).elements();
  switch (op.kind) {
    case OpKind::Conv2D: {
      const Tensor& f = g.tensor(op.inputs[1]);
      return out * static_cast<uint64_t>(f.shape[1]) * static_cast<uint64_t>(f.shape[2]) * static_cast<uint64_t>(f.shape[3]);
    }
    case OpKind::DepthwiseConv2D: {
      const Tensor& f = g.tensor(op.inputs[1]);
      return out * static_cast<uint64_t>(f.shape[1]) * static_cast<uint64_t>(f.shape[2]);
    }
    case OpKind::FullyConnected: return out * static_cast<uint64_t>(g.tensor(op.inputs[1]).shape[1]);
    default: return lowered;
  }
}

Lowered lower_op(const Graph& g, const Op& op, const dev::DeviceParams& dp, const dev::LowerOptions& lo,
                 const std::string& lname) {
  const Tensor& ti = g.tensor(op.inputs[0]);
  const Tensor& to = g.tensor(op.outputs[0]);
  Lowered r;
  switch (op.kind) {
    case OpKind::Conv2D: {
      if (op.dilation_h != 1 || op.dilation_w != 1) fail("dilated convolution is not supported by the lowering");
      const Tensor& tf = g.tensor(op.inputs[1]);
      return lower_conv(g, op, dp, lo, lname, std::vector<int8_t>(tf.i8(), tf.i8() + tf.data.size()),
                               tf.shape4(), out_quant(ti, tf, to, op.act));
    }
    case OpKind::DepthwiseConv2D: {
      if (op.dilation_h != 1 || op.dilation_w != 1) fail("dilated convolution is not supported by the lowering");
      const Tensor& tf = g.tensor(op.inputs[1]);
      const int C = ti.shape[3], KH = tf.shape[1], KW = tf.shape[2], OC = tf.shape[3];
      const auto in = zeros(ti, ti.shape4());
      const auto win = ref::make_window(op.padding, ti.shape4(), KH, KW, op.stride_h, op.stride_w);
      const auto oq = out_quant(ti, tf, to, op.act);
      if (OC == C) {
        r.placement = Placement::Vector;
        r.prog = dev::lower_depthwise_conv2d(dp, lname, in.view, const_view(tf, tf.shape4()), bias_or_empty(g, op),
                                             1, win, oq, lo);
        return r;
      }
      if (C == 1) {
        // One input channel: output channel m of the depthwise conv is a convolution with filter
        // m (OHWI filter [m][y][x][0] = depthwise [0][y][x][m]).
        std::vector<int8_t> f(static_cast<size_t>(OC) * KH * KW);
        for (int m = 0; m < OC; ++m) {
          for (int y = 0; y < KH; ++y) {
            for (int x = 0; x < KW; ++x) {
              f[(static_cast<size_t>(m) * KH + y) * KW + x] = tf.i8()[(static_cast<size_t>(y) * KW + x) * OC + m];
            }
          }
        }
        r = lower_conv(g, op, dp, lo, lname, f, {OC, KH, KW, 1}, oq);
        r.how = "as conv (1 input channel)" + (r.how.empty() ? "" : ", " + r.how);
        return r;
      }
      fail("depth multiplier {} with {} input channels is not supported by the lowering", OC / C, C);
    }
    case OpKind::FullyConnected: {
      const Tensor& tf = g.tensor(op.inputs[1]);
      const int O = tf.shape[0], K = tf.shape[1];
      const int rows = static_cast<int>(ti.elements() / static_cast<size_t>(K));
      const auto in = zeros(ti, {rows, 1, 1, K});
      const auto oq = out_quant(ti, tf, to, op.act);
      try {
        r.prog = dev::lower_fully_connected(dp, lname, in.view, const_view(tf, {O, 1, 1, K}, tf.quant.zp0()),
                                            bias_or_empty(g, op), oq, lo);
        return r;
      } catch (const Error& e) {
        // Too many input channels for one MATMUL (the chunks field): a single-row FC is a VALID
        // convolution whose kernel covers a KH x KW x C image with KH*KW*C = K in row-major order
        // (the input's own 4-D shape when it has one), so the window spreads K over taps.
        if (rows != 1 || tf.quant.zp0() != 0) throw;
        ref::Shape4 s = ti.shape.size() == 4 ? ti.shape4() : ref::Shape4{1, 1, 1, K};
        if (s.h * s.w == 1) {
          int c = std::min(K, 255 * dp.rows);
          while (c > 1 && K % c != 0) --c;
          s = {1, 1, K / c, c};
        }
        if (s.h > 255 || s.w > 255) throw;
        const auto in4 = zeros(ti, s);
        const ref::Window win{1, 1, 1, 1, 0, 0, 1, 1};
        r.prog = dev::lower_conv2d(dp, lname, in4.view, const_view(tf, {O, s.h, s.w, s.c}), bias_or_empty(g, op),
                                   win, oq, lo);
        r.how = fmt::format("as a {}x{}x{} VALID conv ({})", s.h, s.w, s.c, e.what());
        return r;
      }
    }
    case OpKind::AveragePool2D:
    case OpKind::MaxPool2D: {
      r.placement = Placement::Vector;
      const auto in = zeros(ti, ti.shape4());
      // A VALID window as tall (wide) as the input gives one output row (column) whatever the
      // stride: use stride 1 there (the stride fields are 4 bits; global pools have large ones).
      const bool one_row = op.padding == ref::Padding::Valid && op.filter_h == ti.shape[1];
      const bool one_col = op.padding == ref::Padding::Valid && op.filter_w == ti.shape[2];
      const auto pp = ref::make_pool_params(op.padding, ti.shape4(), op.filter_h, op.filter_w,
                                            one_row ? 1 : op.stride_h, one_col ? 1 : op.stride_w,
                                            ref::activation_range_i8(op.act, to.quant.params()));
      r.prog = op.kind == OpKind::AveragePool2D ? dev::lower_average_pool2d(dp, lname, in.view, pp, lo)
                                                : dev::lower_max_pool2d(dp, lname, in.view, pp, lo);
      return r;
    }
    case OpKind::Add: {
      r.placement = Placement::Vector;
      const Tensor& tb = g.tensor(op.inputs[1]);
      const auto a = zeros(ti, ti.shape4());
      const auto b = zeros(tb, tb.shape4());
      const auto ap = ref::add_params(ti.quant.params(), tb.quant.params(), to.quant.params(), op.act);
      r.prog = dev::lower_add(dp, lname, a.view, b.view, ap, lo);
      return r;
    }
    case OpKind::Reshape:
    case OpKind::Softmax: break;
  }
  fail("no lowering");
}

// SOFTMAX on the escape core. Scratchpad rows: the argument words at row 0, the input from row
// `in_row`, the firmware's output from row `out_row` (byte i of a tensor at row + i / S, lane i % S;
// contiguous in the core's window because its row stride is S).
struct CoreSoftmax {
  uint64_t args_addr = 0;  // DRAM address of the argument block
  int64_t args_rows = 0;
  int64_t in_row = 0, out_row = 0;
  int64_t rows = 0;  // scratchpad rows of the tensor
  int64_t n = 0;     // elements
};

CoreSoftmax core_softmax_layout(const Tensor& ti, const dev::DeviceParams& dp) {
  CoreSoftmax c;
  const int64_t S = dp.sp_row_bytes;
  c.n = static_cast<int64_t>(ti.elements());
  c.args_rows = (4 * TSR_SOFTMAX_DIFF_MIN + 4 + S - 1) / S;
  c.rows = (c.n + S - 1) / S;
  c.in_row = c.args_rows;
  c.out_row = c.in_row + c.rows;
  return c;
}

std::vector<uint32_t> core_softmax_args(const Tensor& ti, const Op& op, const dev::DeviceParams& dp,
                                        const CoreSoftmax& c) {
  const auto sp = ref::softmax_params(ti.quant.scale0(), op.beta);
  const int depth = ti.shape.empty() ? 1 : ti.shape.back();
  const auto core_addr = [&](int64_t row) {
    return gen::memmap::kSpadBase + static_cast<uint32_t>(row) * static_cast<uint32_t>(dp.sp_row_stride);
  };
  std::vector<uint32_t> a(TSR_SOFTMAX_DIFF_MIN + 1);
  a[TSR_SOFTMAX_IN] = core_addr(c.in_row);
  a[TSR_SOFTMAX_OUT] = core_addr(c.out_row);
  a[TSR_SOFTMAX_ROWS] = static_cast<uint32_t>(c.n / depth);
  a[TSR_SOFTMAX_DEPTH] = static_cast<uint32_t>(depth);
  a[TSR_SOFTMAX_BETA_MULT] = static_cast<uint32_t>(sp.input_multiplier);
  a[TSR_SOFTMAX_BETA_SHIFT] = static_cast<uint32_t>(sp.input_left_shift);
  a[TSR_SOFTMAX_DIFF_MIN] = static_cast<uint32_t>(sp.diff_min);
  return a;
}

// LOAD the argument block and the input, ESCAPE, then copy the firmware's output back through the
// accumulator (VECTOR max over a 1x1 window) and a STORE in avg mode with divisor 1 (the identity on
// int8), so the result lands in the output buffer as any layer's does.
std::vector<dev::Command> core_softmax_commands(const dev::DeviceParams& dp, const CoreSoftmax& c,
                                                uint64_t in_addr, uint64_t out_addr) {
  const int64_t S = dp.sp_row_bytes, C = dp.cols;
  std::vector<dev::Command> v;
  v.push_back(dev::load({.dram_addr = c.args_addr, .dram_stride = static_cast<uint64_t>(S), .rows = c.args_rows,
                         .row_bytes = S, .sp_addr = 0, .elem_bytes = S}));
  v.push_back(dev::load({.dram_addr = in_addr, .dram_stride = static_cast<uint64_t>(S), .rows = c.rows,
                         .row_bytes = S, .sp_addr = c.in_row, .elem_bytes = S}));
  const uint32_t arg0 = gen::memmap::kSpadBase;  // row 0
  v.push_back(dev::escape(TSR_ESC_FN_SOFTMAX, std::span<const uint32_t>(&arg0, 1)));
  dev::VectorFields vf;
  vf.mode = dev::VectorMode::Max;
  vf.in_addr = c.out_row;
  vf.acc_addr = 0;
  vf.pitch = 1;
  vf.win.in_w = vf.win.out_w = c.rows;
  v.push_back(dev::vector(vf));
  dev::StoreFields sf;
  sf.mode = dev::StoreMode::Avg;
  sf.div_magic = 1;
  sf.act_min = -128;
  sf.act_max = 127;
  const int64_t full = c.n / C, tail = c.n % C;
  if (full > 0) {
    sf.dram_addr = out_addr;
    sf.dram_stride = static_cast<uint64_t>(C);
    sf.rows = full;
    sf.row_bytes = sf.elem_bytes = C;
    sf.acc_addr = 0;
    v.push_back(dev::store(sf));
  }
  if (tail > 0) {
    sf.dram_addr = out_addr + static_cast<uint64_t>(full * C);
    sf.dram_stride = static_cast<uint64_t>(tail);
    sf.rows = 1;
    sf.row_bytes = sf.elem_bytes = tail;
    sf.acc_addr = full;
    v.push_back(dev::store(sf));
  }
  return dev::insert_tokens(v, dp);
}

const gen::isa::Field& field_of(const dev::Command& c, const char* fname) {
  return gen::isa::field(dev::spec_of(c), fname);
}

std::string tiling_summary(const dev::Program& p) {
  std::map<std::string, int> n;
  for (const auto& c : p.commands) n[dev::spec_of(c).name]++;
  std::string s;
  for (const char* k : {"MATMUL", "VECTOR", "LOAD", "STORE", "PARAMS"}) {
    if (n.count(k)) s += fmt::format("{}{} {}", s.empty() ? "" : ", ", n[k], k);
  }
  return s;
}

}  // namespace

const char* name(Placement p) {
  switch (p) {
    case Placement::Array: return "array";
    case Placement::Vector: return "vector";
    case Placement::Alias: return "alias";
    case Placement::Host: return "host";
    case Placement::Core: return "core";
  }
  return "?";
}

std::string core_placement_problem(const Graph& g, const Op& op, const dev::DeviceParams& dp,
                                   const CompileOptions& opt) {
  if (op.kind != OpKind::Softmax) return "only SOFTMAX runs on the escape core";
  if (!dp.has_core) return fmt::format("variant '{}' has no escape core", dp.name);
  if (!opt.firmware) return "no escape-core firmware given (--firmware)";
  if (!dp.core_m_ext) return "the firmware is built for RV32IM; this core has no M extension";
  try {
    iss::check_placement(*opt.firmware, dp.core_config(), opt.firmware_name);
  } catch (const Error& e) {
    return fmt::format("the firmware does not fit this core: {}", e.what());
  }
  if (dp.sp_row_bytes != dp.cols) {
    return fmt::format("scratchpad rows of {} B but {} accumulator lanes (the copy back needs them equal)",
                       dp.sp_row_bytes, dp.cols);
  }
  if (dp.sp_row_stride != dp.sp_row_bytes) {
    return fmt::format("scratchpad rows of {} B are not contiguous in the core's window (stride {})",
                       dp.sp_row_bytes, dp.sp_row_stride);
  }
  const Tensor& ti = g.tensor(op.inputs[0]);
  const Tensor& to = g.tensor(op.outputs[0]);
  if (to.quant.zp0() != -128 || to.quant.scale0() != 1.0F / 256.0F) {
    return "the output quantization is not TFLite's int8 softmax output (scale 1/256, zero point -128)";
  }
  const CoreSoftmax c = core_softmax_layout(ti, dp);
  if (c.out_row + c.rows > dp.sp_rows || c.rows > dp.acc_rows) {
    return fmt::format("{} elements need {} scratchpad and {} accumulator rows; the variant holds {} / {}", c.n,
                       c.out_row + c.rows, c.rows, dp.sp_rows, dp.acc_rows);
  }
  try {
    (void)ref::softmax_params(ti.quant.scale0(), op.beta);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

uint64_t CompiledNet::addr_of(int tensor) const {
  const int64_t a = tensor_addr.at(static_cast<size_t>(tensor));
  if (a < 0) fail("compiled net: tensor {} has no DRAM buffer", tensor);
  return static_cast<uint64_t>(a);
}

CompiledNet compile(const Graph& g, const dev::DeviceParams& dp, const CompileOptions& opt) {
  if (opt.dram_base % kAlign != 0) fail("compile: DRAM base {:#x} is not 64-byte aligned", opt.dram_base);
  CompiledNet net;
  net.graph = &g;
  net.dp = dp;
  net.dram_base = opt.dram_base;
  uint64_t cursor = 0;  // bytes used in the image
  std::vector<std::pair<size_t, dev::Program>> progs;  // (layer index, program)
  std::map<size_t, CoreSoftmax> core_layers;           // layer index -> layout
  for (const Op& op : g.ops) {
    Layer L;
    L.op = op.index;
    L.name = fmt::format("{} {}", op.index, name(op.kind));
    if (op.kind == OpKind::Reshape) {
      L.placement = Placement::Alias;
      L.note = "no commands: output aliases the input buffer";
    } else if (op.kind == OpKind::Softmax) {
      const std::string why = core_placement_problem(g, op, dp, opt);
      if (!why.empty()) {
        L.placement = Placement::Host;
        L.note = fmt::format("host: SOFTMAX has no array command, and not on the escape core: {}", why);
      } else {
        // The argument block (core addresses and TFLite's softmax parameters) in the image.
        const Tensor& ti = g.tensor(op.inputs[0]);
        CoreSoftmax c = core_softmax_layout(ti, dp);
        cursor = round_up(cursor, kAlign);
        c.args_addr = opt.dram_base + cursor;
        const auto words = core_softmax_args(ti, op, dp, c);
        const uint64_t bytes = static_cast<uint64_t>(c.args_rows * dp.sp_row_bytes);
        net.dram.resize(cursor + bytes, 0);
        for (size_t w = 0; w < words.size(); ++w) {
          for (size_t b = 0; b < 4; ++b) net.dram[cursor + 4 * w + b] = static_cast<uint8_t>(words[w] >> (8 * b));
        }
        cursor += bytes;
        L.placement = Placement::Core;
        L.compulsory_bytes = 2 * static_cast<uint64_t>(c.n) + bytes;
        const int64_t depth = ti.shape.empty() ? 1 : ti.shape.back();
        L.note = fmt::format("ESCAPE softmax on the escape core ({} x {}): LOAD args + input, VECTOR + STORE copy",
                             c.n / depth, depth);
        core_layers.emplace(net.layers.size(), c);
      }
    } else {
      try {
        dev::LowerOptions lo;
        lo.dram_base = opt.dram_base + round_up(cursor, kAlign);
        Lowered lw = lower_op(g, op, dp, lo, L.name);
        const dev::Program& p = lw.prog;
        L.placement = lw.placement;
        L.macs = true_macs(g, op, p.layer_macs);
        for (const auto& r : p.regions) {
          if (r.name != "commands") L.compulsory_bytes += r.size;
        }
        L.note = tiling_summary(p) + (lw.how.empty() ? "" : ", " + lw.how);
        // The layer's own image (weights and parameters at their final addresses).
        const uint64_t off = p.dram_base - opt.dram_base;
        if (net.dram.size() < off + p.dram.size()) net.dram.resize(off + p.dram.size());
        std::copy(p.dram.begin(), p.dram.end(), net.dram.begin() + static_cast<ptrdiff_t>(off));
        cursor = off + p.dram.size();
        progs.emplace_back(net.layers.size(), std::move(lw.prog));
      } catch (const Error& e) {
        L.placement = Placement::Host;
        L.note = fmt::format("host: {}", e.what());
      }
    }
    net.layers.push_back(L);
  }
  // Activation buffers: one per non-constant tensor, RESHAPE outputs alias their input.
  net.tensor_addr.assign(g.tensors.size(), -1);
  const uint64_t slack = static_cast<uint64_t>(dp.sp_row_bytes + dp.bus_bytes);
  const auto alloc = [&](int t) {
    if (t < 0 || net.tensor_addr[static_cast<size_t>(t)] >= 0 || g.tensor(t).constant) return;
    cursor = round_up(cursor, kAlign);
    net.tensor_addr[static_cast<size_t>(t)] = static_cast<int64_t>(opt.dram_base + cursor);
    cursor += g.tensor(t).elements() + slack;
  };
  for (int t : g.inputs) alloc(t);
  for (const Op& op : g.ops) {
    for (int t : op.inputs) alloc(t);
    if (op.kind == OpKind::Reshape && net.tensor_addr[static_cast<size_t>(op.inputs[0])] >= 0) {
      net.tensor_addr[static_cast<size_t>(op.outputs[0])] = net.tensor_addr[static_cast<size_t>(op.inputs[0])];
    }
    alloc(op.outputs[0]);
  }
  net.dram.resize(round_up(cursor, kAlign));
  // Relocate each device layer's LOADs / STOREs onto the buffers and append its commands.
  size_t pi = 0;
  for (size_t li = 0; li < net.layers.size(); ++li) {
    Layer& L = net.layers[li];
    L.cmd_first = net.commands.size();
    if (const auto it = core_layers.find(li); it != core_layers.end()) {
      const Op& op = g.ops[static_cast<size_t>(L.op)];
      for (const dev::Command& c : core_softmax_commands(dp, it->second, net.addr_of(op.inputs[0]),
                                                         net.addr_of(op.outputs[0]))) {
        net.commands.push_back(c);
      }
      net.commands.push_back(dev::fence());
    } else if (pi < progs.size() && progs[pi].first == li) {
      const dev::Program& p = progs[pi].second;
      const Op& op = g.ops[static_cast<size_t>(L.op)];
      std::vector<std::pair<const dev::Region*, uint64_t>> loads, stores;
      loads.emplace_back(&p.region("input"), net.addr_of(op.inputs[0]));
      if (op.kind == OpKind::Add) loads.emplace_back(&p.region("input2"), net.addr_of(op.inputs[1]));
      stores.emplace_back(&p.region("output"), net.addr_of(op.outputs[0]));
      for (dev::Command c : p.commands) {
        const std::string cname = dev::spec_of(c).name;
        const bool is_load = cname == "LOAD", is_store = cname == "STORE";
        if (is_load || is_store) {
          const auto& f = field_of(c, "dram_addr");
          const auto a = static_cast<uint64_t>(dev::get_field(c, f));
          for (const auto& [r, buf] : is_load ? loads : stores) {
            if (a >= r->addr && a < r->addr + r->size) {
              dev::put_field(c, cname.c_str(), f, static_cast<int64_t>(buf + (a - r->addr)));
            }
          }
        }
        net.commands.push_back(c);
      }
      net.commands.push_back(dev::fence());
      ++pi;
    }
    L.cmd_count = net.commands.size() - L.cmd_first;
  }
  if (!core_layers.empty()) {
    net.firmware = opt.firmware;
    net.firmware_name = opt.firmware_name;
  }
  // The command region.
  net.cmd_addr = opt.dram_base + round_up(net.dram.size(), kAlign);
  const auto bytes = dev::to_bytes(net.commands);
  net.dram.resize(net.cmd_addr - opt.dram_base);
  net.dram.insert(net.dram.end(), bytes.begin(), bytes.end());
  net.dram.resize(round_up(net.dram.size() + slack, kAlign));
  if (opt.dram_base + net.dram.size() > (uint64_t{1} << 32)) fail("compile: the DRAM image does not fit 32-bit addresses");
  return net;
}

std::string placement_table(const CompiledNet& net) {
  std::string s = fmt::format("placement and tiling on '{}' ({}x{} array, {} scratchpad rows of {} B, {} accumulator rows)\n",
                              net.dp.name, net.dp.rows, net.dp.cols, net.dp.sp_rows, net.dp.sp_row_bytes, net.dp.acc_rows);
  s += fmt::format("{:<24} {:<7} {:>10} {:>9} {:>5}  {}\n", "layer", "place", "MACs", "bytes", "cmds", "tiling / note");
  for (const auto& L : net.layers) {
    s += fmt::format("{:<24} {:<7} {:>10} {:>9} {:>5}  {}\n", L.name, name(L.placement), L.macs, L.compulsory_bytes,
                     L.cmd_count, L.note);
  }
  s += fmt::format("image {} bytes at {:#x}, {} commands\n", net.dram.size(), net.dram_base, net.commands.size());
  return s;
}

}  // namespace tsr::drv

#include "tessera/driver/tflite.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>

#include <fmt/format.h>

#include "tessera/error.h"
#include "tflite_subset_generated.h"

namespace tsr::drv {

namespace fb = tsr::tflite;

namespace {

// TFLite BuiltinOperator values (the published enum) of the operators the driver runs, and names
// of other common ones for error messages.
enum Builtin : int {
  kAdd = 0,
  kAveragePool2D = 1,
  kConv2D = 3,
  kDepthwiseConv2D = 4,
  kFullyConnected = 9,
  kMaxPool2D = 17,
  kReshape = 22,
  kSoftmax = 25,
};

const std::map<int, const char*>& builtin_names() {
  static const std::map<int, const char*> names = {
      {0, "ADD"}, {1, "AVERAGE_POOL_2D"}, {2, "CONCATENATION"}, {3, "CONV_2D"},
      {4, "DEPTHWISE_CONV_2D"}, {5, "DEPTH_TO_SPACE"}, {6, "DEQUANTIZE"},
      {7, "EMBEDDING_LOOKUP"}, {8, "FLOOR"}, {9, "FULLY_CONNECTED"}, {10, "HASHTABLE_LOOKUP"},
      {11, "L2_NORMALIZATION"}, {12, "L2_POOL_2D"}, {13, "LOCAL_RESPONSE_NORMALIZATION"},
      {14, "LOGISTIC"}, {15, "LSH_PROJECTION"}, {16, "LSTM"}, {17, "MAX_POOL_2D"}, {18, "MUL"},
      {19, "RELU"}, {20, "RELU_N1_TO_1"}, {21, "RELU6"}, {22, "RESHAPE"},
      {23, "RESIZE_BILINEAR"}, {24, "RNN"}, {25, "SOFTMAX"}, {26, "SPACE_TO_DEPTH"},
      {27, "SVDF"}, {28, "TANH"}, {32, "CUSTOM"}, {34, "PAD"}, {36, "GATHER"},
      {39, "TRANSPOSE"}, {40, "MEAN"}, {41, "SUB"}, {42, "DIV"}, {43, "SQUEEZE"},
      {45, "STRIDED_SLICE"}, {47, "EXP"}, {49, "SPLIT"}, {50, "LOG_SOFTMAX"}, {53, "CAST"},
      {54, "PRELU"}, {55, "MAXIMUM"}, {56, "ARG_MAX"}, {57, "MINIMUM"}, {60, "PADV2"},
      {65, "SLICE"}, {67, "TRANSPOSE_CONV"}, {70, "EXPAND_DIMS"}, {74, "SUM"},
      {83, "PACK"}, {88, "UNPACK"}, {97, "RESIZE_NEAREST_NEIGHBOR"}, {98, "LEAKY_RELU"},
      {114, "QUANTIZE"}, {117, "HARD_SWISH"}, {126, "BATCH_MATMUL"}};
  return names;
}

DType dtype_of(int code) {
  switch (code) {
    case 0: return DType::Float32;
    case 2: return DType::Int32;
    case 3: return DType::UInt8;
    case 4: return DType::Int64;
    case 7: return DType::Int16;
    case 9: return DType::Int8;
    default: return DType::Other;
  }
}

const char* type_code_name(int code) {
  static const char* names[] = {"FLOAT32", "FLOAT16", "INT32",  "UINT8",     "INT64",
                                "STRING",  "BOOL",    "INT16",  "COMPLEX64", "INT8",
                                "FLOAT64", "COMPLEX128", "UINT64", "RESOURCE", "VARIANT",
                                "UINT32",  "UINT16",  "INT4"};
  if (code >= 0 && code < static_cast<int>(std::size(names))) return names[code];
  return "UNKNOWN";
}

const char* activation_name(int a) {
  static const char* names[] = {"NONE", "RELU", "RELU_N1_TO_1", "RELU6", "TANH", "SIGN_BIT"};
  return (a >= 0 && a < 6) ? names[a] : "UNKNOWN";
}

class Importer {
 public:
  Importer(const fb::Model& m, std::string what) : m_(m), what_(std::move(what)) {}

  Graph run() {
    Graph g;
    g.path = what_;
    if (m_.version() != 3) fail("{}: schema version {} (only version 3 is supported)", what_, m_.version());
    if (m_.description()) g.description = m_.description()->str();
    const auto* sgs = m_.subgraphs();
    if (!sgs || sgs->size() == 0) fail("{}: the model has no subgraph", what_);
    const fb::SubGraph& sg = *sgs->Get(0);
    const auto* tensors = sg.tensors();
    if (!tensors) fail("{}: subgraph 0 has no tensors", what_);
    for (flatbuffers::uoffset_t i = 0; i < tensors->size(); ++i) {
      g.tensors.push_back(tensor(static_cast<int>(i), *tensors->Get(i)));
    }
    const int nt = static_cast<int>(g.tensors.size());
    const auto idx_list = [&](const flatbuffers::Vector<int32_t>* v, const char* what) {
      std::vector<int> out;
      if (!v || v->size() == 0) fail("{}: subgraph 0 has no {}", what_, what);
      for (int32_t t : *v) {
        if (t < 0 || t >= nt) fail("{}: subgraph {} names tensor {} (the model has {})", what_, what, t, nt);
        out.push_back(t);
      }
      return out;
    };
    g.inputs = idx_list(sg.inputs(), "inputs");
    g.outputs = idx_list(sg.outputs(), "outputs");
    const auto* ops = sg.operators();
    if (!ops || ops->size() == 0) fail("{}: subgraph 0 has no operators", what_);
    for (flatbuffers::uoffset_t i = 0; i < ops->size(); ++i) {
      g.ops.push_back(op(g, static_cast<int>(i), *ops->Get(i)));
    }
    for (int t : g.inputs) {
      if (g.tensor(t).type != DType::Int8) {
        fail("{}: graph input tensor {} '{}' has type {} (int8 models only)", what_, t,
             g.tensor(t).name, type_code_name(g.tensor(t).type_code));
      }
    }
    return g;
  }

 private:
  Tensor tensor(int i, const fb::Tensor& t) {
    Tensor out;
    out.index = i;
    out.name = t.name() ? t.name()->str() : fmt::format("tensor{}", i);
    if (t.shape()) {
      for (int32_t d : *t.shape()) {
        if (d <= 0) fail("{}: tensor {} '{}' has dimension {} (static positive shapes only)", what_, i, out.name, d);
        out.shape.push_back(d);
      }
    }
    out.type_code = t.type();
    out.type = dtype_of(t.type());
    if (t.sparsity()) fail("{}: tensor {} '{}' is sparse (not supported)", what_, i, out.name);
    if (const auto* q = t.quantization()) {
      if (q->details_type() != fb::QuantizationDetails_NONE) {
        fail("{}: tensor {} '{}' uses custom quantization details (not supported)", what_, i, out.name);
      }
      if (q->scale()) out.quant.scale.assign(q->scale()->begin(), q->scale()->end());
      if (q->zero_point()) out.quant.zero_point.assign(q->zero_point()->begin(), q->zero_point()->end());
      out.quant.axis = q->quantized_dimension();
      if (!out.quant.scale.empty() && out.quant.zero_point.size() != out.quant.scale.size()) {
        fail("{}: tensor {} '{}' has {} scales but {} zero points", what_, i, out.name,
             out.quant.scale.size(), out.quant.zero_point.size());
      }
      for (float s : out.quant.scale) {
        if (!(s > 0.0F) || !std::isfinite(s)) {
          fail("{}: tensor {} '{}' has quantization scale {} (must be positive)", what_, i, out.name, s);
        }
      }
    }
    const auto* bufs = m_.buffers();
    const uint32_t b = t.buffer();
    if (b != 0) {
      if (!bufs || b >= bufs->size()) {
        fail("{}: tensor {} '{}' names buffer {} (the model has {})", what_, i, out.name, b,
             bufs ? bufs->size() : 0);
      }
      const fb::Buffer& buf = *bufs->Get(b);
      if (buf.offset() > 1) {
        fail("{}: tensor {} '{}' keeps its data outside the flatbuffer (offset {}; not supported)",
             what_, i, out.name, buf.offset());
      }
      if (buf.data() && buf.data()->size() > 0) {
        out.data.assign(buf.data()->begin(), buf.data()->end());
        out.constant = true;
        const size_t want = out.elements() * static_cast<size_t>(element_bytes(out.type));
        if (element_bytes(out.type) && out.data.size() != want) {
          fail("{}: tensor {} '{}' ({} {}) has {} data bytes, expected {}", what_, i, out.name,
               name(out.type), out.shape_str(), out.data.size(), want);
        }
      }
    }
    return out;
  }

  [[noreturn]] void op_fail(int index, const std::string& opname, const std::string& msg) const {
    fail("{}: op {} ({}): {}", what_, index, opname, msg);
  }

  Op op(const Graph& g, int index, const fb::Operator& o) {
    const auto* codes = m_.operator_codes();
    if (!codes || o.opcode_index() >= codes->size()) {
      fail("{}: op {}: opcode index {} out of range (the model has {} operator codes)", what_, index,
           o.opcode_index(), codes ? codes->size() : 0);
    }
    const fb::OperatorCode& code = *codes->Get(o.opcode_index());
    // The extended builtin_code field holds the code; old files only have the byte field.
    const int bc = std::max<int>(code.builtin_code(), code.deprecated_builtin_code());
    std::string opname = builtin_name(bc);
    if (bc == 32 && code.custom_code()) opname = "CUSTOM '" + code.custom_code()->str() + "'";
    Op out;
    out.index = index;
    switch (bc) {
      case kConv2D: out.kind = OpKind::Conv2D; break;
      case kDepthwiseConv2D: out.kind = OpKind::DepthwiseConv2D; break;
      case kFullyConnected: out.kind = OpKind::FullyConnected; break;
      case kAdd: out.kind = OpKind::Add; break;
      case kAveragePool2D: out.kind = OpKind::AveragePool2D; break;
      case kMaxPool2D: out.kind = OpKind::MaxPool2D; break;
      case kReshape: out.kind = OpKind::Reshape; break;
      case kSoftmax: out.kind = OpKind::Softmax; break;
      default:
        op_fail(index, opname,
                "operator not supported (supported: CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, "
                "ADD, AVERAGE_POOL_2D, MAX_POOL_2D, RESHAPE, SOFTMAX)");
    }
    const int nt = static_cast<int>(g.tensors.size());
    const auto list = [&](const flatbuffers::Vector<int32_t>* v, const char* what) {
      std::vector<int> r;
      if (v) {
        for (int32_t t : *v) {
          if (t < -1 || t >= nt) op_fail(index, opname, fmt::format("{} names tensor {} (the model has {})", what, t, nt));
          r.push_back(t);
        }
      }
      return r;
    };
    out.inputs = list(o.inputs(), "input");
    out.outputs = list(o.outputs(), "output");
    if (out.outputs.size() != 1 || out.outputs[0] < 0) op_fail(index, opname, "needs exactly one output tensor");
    // Options.
    const auto need = [&](const void* p, const char* table) {
      if (!p) op_fail(index, opname, fmt::format("missing attribute builtin_options ({})", table));
    };
    const auto act = [&](int a) {
      switch (a) {
        case 0: return ref::Activation::None;
        case 1: return ref::Activation::Relu;
        case 2: return ref::Activation::ReluN1To1;
        case 3: return ref::Activation::Relu6;
        default:
          op_fail(index, opname, fmt::format("fused activation {} not supported", activation_name(a)));
      }
    };
    const auto pad = [&](int p) {
      if (p == 0) return ref::Padding::Same;
      if (p == 1) return ref::Padding::Valid;
      op_fail(index, opname, fmt::format("padding {} unknown", p));
    };
    const auto positive = [&](int v, const char* what) {
      if (v <= 0) op_fail(index, opname, fmt::format("{} is {} (must be positive)", what, v));
      return v;
    };
    switch (out.kind) {
      case OpKind::Conv2D: {
        const auto* opt = o.builtin_options_as_Conv2DOptions();
        need(opt, "Conv2DOptions");
        out.padding = pad(opt->padding());
        out.stride_w = positive(opt->stride_w(), "stride_w");
        out.stride_h = positive(opt->stride_h(), "stride_h");
        out.dilation_w = positive(opt->dilation_w_factor(), "dilation_w_factor");
        out.dilation_h = positive(opt->dilation_h_factor(), "dilation_h_factor");
        out.act = act(opt->fused_activation_function());
        if (opt->quantized_bias_type() != 0 && opt->quantized_bias_type() != 2) {
          op_fail(index, opname, fmt::format("quantized_bias_type {} not supported (INT32 only)",
                                             type_code_name(opt->quantized_bias_type())));
        }
        break;
      }
      case OpKind::DepthwiseConv2D: {
        const auto* opt = o.builtin_options_as_DepthwiseConv2DOptions();
        need(opt, "DepthwiseConv2DOptions");
        out.padding = pad(opt->padding());
        out.stride_w = positive(opt->stride_w(), "stride_w");
        out.stride_h = positive(opt->stride_h(), "stride_h");
        out.dilation_w = positive(opt->dilation_w_factor(), "dilation_w_factor");
        out.dilation_h = positive(opt->dilation_h_factor(), "dilation_h_factor");
        out.depth_multiplier = opt->depth_multiplier();
        out.act = act(opt->fused_activation_function());
        break;
      }
      case OpKind::FullyConnected: {
        const auto* opt = o.builtin_options_as_FullyConnectedOptions();
        need(opt, "FullyConnectedOptions");
        out.act = act(opt->fused_activation_function());
        if (opt->weights_format() != 0) op_fail(index, opname, "weights_format SHUFFLED4x16INT8 not supported");
        if (opt->asymmetric_quantize_inputs()) op_fail(index, opname, "asymmetric_quantize_inputs (hybrid) not supported");
        if (opt->quantized_bias_type() != 0 && opt->quantized_bias_type() != 2) {
          op_fail(index, opname, "quantized_bias_type other than INT32 not supported");
        }
        out.keep_num_dims = opt->keep_num_dims();
        break;
      }
      case OpKind::AveragePool2D:
      case OpKind::MaxPool2D: {
        const auto* opt = o.builtin_options_as_Pool2DOptions();
        need(opt, "Pool2DOptions");
        out.padding = pad(opt->padding());
        out.stride_w = positive(opt->stride_w(), "stride_w");
        out.stride_h = positive(opt->stride_h(), "stride_h");
        out.filter_w = positive(opt->filter_width(), "filter_width");
        out.filter_h = positive(opt->filter_height(), "filter_height");
        out.act = act(opt->fused_activation_function());
        break;
      }
      case OpKind::Add: {
        const auto* opt = o.builtin_options_as_AddOptions();
        // ADD without options means no fused activation.
        if (opt) out.act = act(opt->fused_activation_function());
        break;
      }
      case OpKind::Softmax: {
        const auto* opt = o.builtin_options_as_SoftmaxOptions();
        need(opt, "SoftmaxOptions");
        out.beta = opt->beta();
        if (!(out.beta > 0.0F) || !std::isfinite(out.beta)) {
          op_fail(index, opname, fmt::format("beta {} (must be positive)", out.beta));
        }
        break;
      }
      case OpKind::Reshape: break;  // the output tensor's shape is authoritative
    }
    check_types(g, out, opname);
    return out;
  }

  // Tensor roles, types and shapes per op kind.
  void check_types(const Graph& g, const Op& op, const std::string& opname) const {
    const auto in = [&](size_t k, const char* role) -> const Tensor& {
      if (k >= op.inputs.size() || op.inputs[k] < 0) op_fail(op.index, opname, fmt::format("missing input {} ({})", k, role));
      return g.tensor(op.inputs[k]);
    };
    const auto int8_act = [&](const Tensor& t, const char* role) {
      if (t.type != DType::Int8) {
        op_fail(op.index, opname, fmt::format("{} tensor {} '{}' has type {} (int8 only)", role,
                                              t.index, t.name, type_code_name(t.type_code)));
      }
      if (!t.quant.present()) {
        op_fail(op.index, opname, fmt::format("{} tensor {} '{}' has no quantization parameters",
                                              role, t.index, t.name));
      }
      if (t.quant.per_channel()) {
        op_fail(op.index, opname, fmt::format("{} tensor {} '{}' is quantized per channel (activations "
                                              "must be per-tensor)", role, t.index, t.name));
      }
      if (t.quant.zero_point[0] < -128 || t.quant.zero_point[0] > 127) {
        op_fail(op.index, opname, fmt::format("{} tensor {} '{}' has zero point {} outside int8", role,
                                              t.index, t.name, t.quant.zero_point[0]));
      }
    };
    const auto rank = [&](const Tensor& t, size_t r, const char* role) {
      if (t.shape.size() != r) {
        op_fail(op.index, opname, fmt::format("{} tensor {} '{}' has shape {} (rank {} expected)", role,
                                              t.index, t.name, t.shape_str(), r));
      }
    };
    const auto constant = [&](const Tensor& t, const char* role) {
      if (!t.constant) op_fail(op.index, opname, fmt::format("{} tensor {} '{}' is not constant", role, t.index, t.name));
    };
    const auto weights = [&](const Tensor& t, int axis, int channels) {
      constant(t, "filter");
      if (t.type != DType::Int8) {
        op_fail(op.index, opname, fmt::format("filter tensor {} '{}' has type {} (int8 only)", t.index,
                                              t.name, type_code_name(t.type_code)));
      }
      if (!t.quant.present()) op_fail(op.index, opname, "filter has no quantization parameters");
      if (t.quant.per_channel()) {
        if (t.quant.axis != axis) {
          op_fail(op.index, opname, fmt::format("filter quantized along dimension {} (expected {})",
                                                t.quant.axis, axis));
        }
        if (static_cast<int>(t.quant.scale.size()) != channels) {
          op_fail(op.index, opname, fmt::format("filter has {} scales for {} output channels",
                                                t.quant.scale.size(), channels));
        }
        for (int64_t zp : t.quant.zero_point) {
          if (zp != 0) op_fail(op.index, opname, "per-channel filter with a non-zero zero point");
        }
      }
    };
    const auto bias = [&](size_t k, int channels) {
      if (k >= op.inputs.size() || op.inputs[k] < 0) return;
      const Tensor& b = g.tensor(op.inputs[k]);
      constant(b, "bias");
      if (b.type != DType::Int32) {
        op_fail(op.index, opname, fmt::format("bias tensor {} '{}' has type {} (int32 only)", b.index,
                                              b.name, type_code_name(b.type_code)));
      }
      if (static_cast<int>(b.elements()) != channels) {
        op_fail(op.index, opname, fmt::format("bias has {} elements for {} output channels",
                                              b.elements(), channels));
      }
    };
    const Tensor& out = g.tensor(op.outputs[0]);
    int8_act(out, "output");
    switch (op.kind) {
      case OpKind::Conv2D: {
        const Tensor& x = in(0, "input");
        const Tensor& f = in(1, "filter");
        int8_act(x, "input");
        rank(x, 4, "input");
        rank(f, 4, "filter");
        rank(out, 4, "output");
        weights(f, 0, f.shape[0]);
        if (f.shape[3] != x.shape[3]) {
          op_fail(op.index, opname, fmt::format("filter depth {} differs from input depth {} (grouped "
                                                "convolution not supported)", f.shape[3], x.shape[3]));
        }
        if (out.shape[3] != f.shape[0]) op_fail(op.index, opname, "output depth differs from the filter count");
        bias(2, f.shape[0]);
        break;
      }
      case OpKind::DepthwiseConv2D: {
        const Tensor& x = in(0, "input");
        const Tensor& f = in(1, "filter");
        int8_act(x, "input");
        rank(x, 4, "input");
        rank(f, 4, "filter");
        rank(out, 4, "output");
        weights(f, 3, f.shape[3]);
        if (f.shape[0] != 1 || f.shape[3] % x.shape[3] != 0 || out.shape[3] != f.shape[3]) {
          op_fail(op.index, opname, fmt::format("filter {} does not fit input {} / output {}",
                                                f.shape_str(), x.shape_str(), out.shape_str()));
        }
        bias(2, f.shape[3]);
        break;
      }
      case OpKind::FullyConnected: {
        const Tensor& x = in(0, "input");
        const Tensor& f = in(1, "filter");
        int8_act(x, "input");
        rank(f, 2, "filter");
        weights(f, 0, f.shape[0]);
        if (x.elements() % static_cast<size_t>(f.shape[1]) != 0) {
          op_fail(op.index, opname, fmt::format("input {} is not a multiple of the filter depth {}",
                                                x.shape_str(), f.shape[1]));
        }
        if (out.shape.empty() || out.shape.back() != f.shape[0]) {
          op_fail(op.index, opname, "output depth differs from the filter count");
        }
        bias(2, f.shape[0]);
        break;
      }
      case OpKind::AveragePool2D:
      case OpKind::MaxPool2D: {
        const Tensor& x = in(0, "input");
        int8_act(x, "input");
        rank(x, 4, "input");
        rank(out, 4, "output");
        if (x.quant.scale0() != out.quant.scale0() || x.quant.zp0() != out.quant.zp0()) {
          op_fail(op.index, opname, "input and output quantization differ (TFLite requires them equal)");
        }
        break;
      }
      case OpKind::Add: {
        const Tensor& a = in(0, "input1");
        const Tensor& b = in(1, "input2");
        int8_act(a, "input1");
        int8_act(b, "input2");
        if (a.shape != b.shape || a.shape != out.shape) {
          op_fail(op.index, opname, fmt::format("broadcasting not supported ({} + {} -> {})",
                                                a.shape_str(), b.shape_str(), out.shape_str()));
        }
        break;
      }
      case OpKind::Reshape: {
        const Tensor& x = in(0, "input");
        int8_act(x, "input");
        if (x.elements() != out.elements()) {
          op_fail(op.index, opname, fmt::format("{} elements reshaped to {}", x.elements(), out.elements()));
        }
        break;
      }
      case OpKind::Softmax: {
        const Tensor& x = in(0, "input");
        int8_act(x, "input");
        if (x.shape != out.shape) op_fail(op.index, opname, "input and output shapes differ");
        if (out.quant.zp0() != -128 || std::fabs(out.quant.scale0() - 1.0F / 256.0F) > 1e-6F) {
          op_fail(op.index, opname, "int8 output must have zero point -128 and scale 1/256");
        }
        break;
      }
    }
  }

  const fb::Model& m_;
  std::string what_;
};

}  // namespace

std::string builtin_name(int code) {
  const auto& n = builtin_names();
  const auto it = n.find(code);
  return it != n.end() ? it->second : fmt::format("BUILTIN_{}", code);
}

Graph parse_tflite(std::span<const uint8_t> bytes, const std::string& what) {
  if (bytes.size() < 8) fail("{}: {} bytes is too short for a TFLite flatbuffer", what, bytes.size());
  if (!fb::ModelBufferHasIdentifier(bytes.data())) {
    fail("{}: not a TFLite flatbuffer (file identifier is not \"TFL3\")", what);
  }
  // The verifier wants the buffer aligned as the flatbuffer was: copy into aligned storage.
  std::vector<uint64_t> aligned((bytes.size() + 7) / 8);
  std::memcpy(aligned.data(), bytes.data(), bytes.size());
  const auto* p = reinterpret_cast<const uint8_t*>(aligned.data());
  flatbuffers::Verifier v(p, bytes.size());
  if (!fb::VerifyModelBuffer(v)) {
    fail("{}: the flatbuffer verifier rejects the file (corrupt or truncated TFLite model)", what);
  }
  return Importer(*fb::GetModel(p), what).run();
}

Graph load_tflite(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("{}: cannot open the model file", path);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return parse_tflite(bytes, path);
}

}  // namespace tsr::drv

#include "onnx_pb.h"

#include <cstring>
#include <fstream>
#include <iterator>
#include <span>

#include "tessera/error.h"

namespace tsr::fw {

namespace {

// One protobuf message: a walk over (field, wire type, value) records.
class PbReader {
 public:
  PbReader(std::span<const uint8_t> d, const std::string& what) : d_(d), what_(what) {}
  bool done() const { return pos_ >= d_.size(); }
  uint64_t varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= d_.size()) fail("{}: truncated varint", what_);
      const uint8_t b = d_[pos_++];
      v |= static_cast<uint64_t>(b & 0x7F) << shift;
      if ((b & 0x80) == 0) return v;
    }
    fail("{}: varint longer than 10 bytes", what_);
  }
  std::span<const uint8_t> bytes(size_t n) {
    if (n > d_.size() - pos_) fail("{}: field of {} bytes runs past the end", what_, n);
    const auto s = d_.subspan(pos_, n);
    pos_ += n;
    return s;
  }
  // Next key; false at the end.
  bool next(uint32_t& field, uint32_t& wire) {
    if (done()) return false;
    const uint64_t key = varint();
    field = static_cast<uint32_t>(key >> 3);
    wire = static_cast<uint32_t>(key & 7);
    return true;
  }
  void skip(uint32_t wire) {
    switch (wire) {
      case 0: varint(); break;
      case 1: bytes(8); break;
      case 2: bytes(varint()); break;
      case 5: bytes(4); break;
      default: fail("{}: unsupported wire type {}", what_, wire);
    }
  }
  std::span<const uint8_t> length_delimited() { return bytes(varint()); }

 private:
  std::span<const uint8_t> d_;
  std::string what_;
  size_t pos_ = 0;
};

std::vector<uint8_t> slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) fail("{}: cannot open", path);
  return {std::istreambuf_iterator<char>(f), {}};
}

}  // namespace

OnnxTensor read_onnx_tensor(const std::string& path) {
  const auto data = slurp(path);
  PbReader r(data, path);
  OnnxTensor t;
  std::vector<uint8_t> raw;
  std::vector<double> floats, ints;
  uint32_t field = 0, wire = 0;
  while (r.next(field, wire)) {
    if (field == 1 && wire == 0) {
      t.dims.push_back(static_cast<int64_t>(r.varint()));
    } else if (field == 1 && wire == 2) {
      PbReader p(r.length_delimited(), path);
      while (!p.done()) t.dims.push_back(static_cast<int64_t>(p.varint()));
    } else if (field == 2 && wire == 0) {
      t.data_type = static_cast<int32_t>(r.varint());
    } else if (field == 8 && wire == 2) {
      const auto s = r.length_delimited();
      t.name.assign(s.begin(), s.end());
    } else if (field == 9 && wire == 2) {
      const auto s = r.length_delimited();
      raw.assign(s.begin(), s.end());
    } else if (field == 4 && wire == 2) {
      const auto s = r.length_delimited();
      for (size_t i = 0; i + 4 <= s.size(); i += 4) {
        float f = 0;
        std::memcpy(&f, s.data() + i, 4);
        floats.push_back(f);
      }
    } else if (field == 7 && wire == 2) {
      PbReader p(r.length_delimited(), path);
      while (!p.done()) ints.push_back(static_cast<double>(static_cast<int64_t>(p.varint())));
    } else {
      r.skip(wire);
    }
  }
  if (t.data_type == 1) {
    if (!raw.empty()) {
      for (size_t i = 0; i + 4 <= raw.size(); i += 4) {
        float f = 0;
        std::memcpy(&f, raw.data() + i, 4);
        t.values.push_back(f);
      }
    } else {
      t.values = floats;
    }
  } else if (t.data_type == 7) {
    if (!raw.empty()) {
      for (size_t i = 0; i + 8 <= raw.size(); i += 8) {
        int64_t v = 0;
        std::memcpy(&v, raw.data() + i, 8);
        t.values.push_back(static_cast<double>(v));
      }
    } else {
      t.values = ints;
    }
  } else {
    fail("{}: tensor data type {} is not supported (float or int64 only)", path, t.data_type);
  }
  size_t count = 1;
  for (const int64_t d : t.dims) count *= static_cast<size_t>(d);
  if (count != t.values.size()) {
    fail("{}: dims give {} elements but the tensor holds {}", path, count, t.values.size());
  }
  return t;
}

std::map<std::string, int64_t> read_onnx_int_attributes(const std::string& model_path) {
  const auto data = slurp(model_path);
  std::map<std::string, int64_t> attrs;
  PbReader model(data, model_path);
  uint32_t f = 0, w = 0;
  while (model.next(f, w)) {
    if (f != 7 || w != 2) {  // ModelProto.graph
      model.skip(w);
      continue;
    }
    PbReader graph(model.length_delimited(), model_path);
    while (graph.next(f, w)) {
      if (f != 1 || w != 2) {  // GraphProto.node
        graph.skip(w);
        continue;
      }
      PbReader node(graph.length_delimited(), model_path);
      while (node.next(f, w)) {
        if (f != 5 || w != 2) {  // NodeProto.attribute
          node.skip(w);
          continue;
        }
        PbReader attr(node.length_delimited(), model_path);
        std::string name;
        bool has_i = false;
        int64_t i = 0;
        while (attr.next(f, w)) {
          if (f == 1 && w == 2) {
            const auto s = attr.length_delimited();
            name.assign(s.begin(), s.end());
          } else if (f == 3 && w == 0) {
            i = static_cast<int64_t>(attr.varint());
            has_i = true;
          } else {
            attr.skip(w);
          }
        }
        if (has_i) attrs[name] = i;
      }
    }
  }
  return attrs;
}

}  // namespace tsr::fw

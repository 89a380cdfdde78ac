#include "tessera/driver/io.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>

#include <fmt/format.h>

#include "tessera/error.h"
#include "tessera/ref/kws_frontend.h"

namespace tsr::drv {

namespace {

std::vector<uint8_t> slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("{}: cannot open the input file", path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

bool ends_with(const std::string& s, const std::string& suf) {
  if (s.size() < suf.size()) return false;
  std::string t = s.substr(s.size() - suf.size());
  std::transform(t.begin(), t.end(), t.begin(), [](unsigned char c) { return std::tolower(c); });
  return t == suf;
}

uint32_t le32(const std::vector<uint8_t>& b, size_t at) {
  return uint32_t{b[at]} | uint32_t{b[at + 1]} << 8 | uint32_t{b[at + 2]} << 16 | uint32_t{b[at + 3]} << 24;
}
uint16_t le16(const std::vector<uint8_t>& b, size_t at) {
  return static_cast<uint16_t>(b[at] | b[at + 1] << 8);
}

Npy parse_npy(const std::vector<uint8_t>& b, const std::string& path) {
  if (b.size() < 10 || std::memcmp(b.data(), "\x93NUMPY", 6) != 0) fail("{}: not an .npy file", path);
  const int major = b[6];
  size_t hlen = 0, hstart = 0;
  if (major == 1) {
    hlen = le16(b, 8);
    hstart = 10;
  } else if (major == 2 || major == 3) {
    if (b.size() < 12) fail("{}: truncated .npy header", path);
    hlen = le32(b, 8);
    hstart = 12;
  } else {
    fail("{}: .npy version {} not supported", path, major);
  }
  if (hstart + hlen > b.size()) fail("{}: truncated .npy header", path);
  const std::string h(b.begin() + static_cast<long>(hstart), b.begin() + static_cast<long>(hstart + hlen));
  const auto value_of = [&](const std::string& key) {
    const auto k = h.find("'" + key + "'");
    if (k == std::string::npos) fail("{}: .npy header has no '{}'", path, key);
    const auto colon = h.find(':', k);
    if (colon == std::string::npos) fail("{}: malformed .npy header", path);
    return colon + 1;
  };
  Npy n;
  {
    size_t p = value_of("descr");
    const auto q1 = h.find('\'', p);
    const auto q2 = h.find('\'', q1 + 1);
    if (q1 == std::string::npos || q2 == std::string::npos) fail("{}: malformed .npy descr", path);
    n.descr = h.substr(q1 + 1, q2 - q1 - 1);
  }
  {
    size_t p = value_of("fortran_order");
    while (p < h.size() && h[p] == ' ') ++p;
    if (h.compare(p, 4, "True") == 0) fail("{}: Fortran-order .npy arrays are not supported", path);
  }
  {
    size_t p = h.find('(', value_of("shape"));
    const auto e = h.find(')', p);
    if (p == std::string::npos || e == std::string::npos) fail("{}: malformed .npy shape", path);
    std::string dims = h.substr(p + 1, e - p - 1);
    size_t i = 0;
    while (i < dims.size()) {
      while (i < dims.size() && (dims[i] == ' ' || dims[i] == ',')) ++i;
      if (i >= dims.size()) break;
      size_t j = i;
      while (j < dims.size() && std::isdigit(static_cast<unsigned char>(dims[j]))) ++j;
      if (j == i) fail("{}: malformed .npy shape '{}'", path, dims);
      n.shape.push_back(std::stoi(dims.substr(i, j - i)));
      i = j;
    }
  }
  n.bytes.assign(b.begin() + static_cast<long>(hstart + hlen), b.end());
  return n;
}

std::vector<int8_t> from_npy(const Npy& n, const Tensor& input, const std::string& path) {
  size_t count = 1;
  for (int d : n.shape) count *= static_cast<size_t>(d);
  const auto check = [&](size_t esize) {
    if (count != input.elements()) {
      fail("{}: array has {} elements, the model input '{}' ({}) has {}", path, count, input.name,
           input.shape_str(), input.elements());
    }
    if (n.bytes.size() < count * esize) fail("{}: truncated .npy data ({} bytes for {} elements)", path, n.bytes.size(), count);
  };
  std::vector<int8_t> out(count);
  if (n.descr == "|i1" || n.descr == "i1") {
    check(1);
    std::memcpy(out.data(), n.bytes.data(), count);
  } else if (n.descr == "|u1" || n.descr == "u1") {
    check(1);
    for (size_t i = 0; i < count; ++i) out[i] = static_cast<int8_t>(int{n.bytes[i]} - 128);
  } else if (n.descr == "<f4") {
    check(4);
    const float scale = input.quant.scale0();
    const int32_t zp = input.quant.zp0();
    if (!(scale > 0)) fail("{}: the model input has no quantization scale for float input", path);
    for (size_t i = 0; i < count; ++i) {
      float x = 0;
      std::memcpy(&x, &n.bytes[4 * i], 4);
      if (!std::isfinite(x)) fail("{}: element {} is not finite", path, i);
      const float r = std::round(x / scale);
      const float q = std::clamp(r + static_cast<float>(zp), -128.0F, 127.0F);
      out[i] = static_cast<int8_t>(q);
    }
  } else {
    fail("{}: .npy dtype '{}' not supported (int8 '|i1', uint8 '|u1' or float32 '<f4')", path, n.descr);
  }
  return out;
}

void check_image(const std::string& path, int w, int h, const Tensor& input) {
  const auto s = input.shape4();
  if (s.c != 1 || s.n != 1 || s.h != h || s.w != w) {
    fail("{}: {}x{} 8-bit image, but the model input '{}' is {} (an image gives 1x{}x{}x1)", path, w, h,
         input.name, input.shape_str(), h, w);
  }
}

std::vector<int8_t> from_bmp(const std::vector<uint8_t>& b, const Tensor& input, const std::string& path) {
  if (b.size() < 54) fail("{}: truncated BMP header", path);
  const uint32_t data_off = le32(b, 10);
  const uint32_t hdr = le32(b, 14);
  if (hdr < 40) fail("{}: BMP core headers (OS/2) are not supported", path);
  const int32_t w = static_cast<int32_t>(le32(b, 18));
  const int32_t hraw = static_cast<int32_t>(le32(b, 22));
  const uint16_t bpp = le16(b, 28);
  const uint32_t comp = le32(b, 30);
  if (bpp != 8) fail("{}: BMP with {} bits per pixel (8-bit only)", path, bpp);
  if (comp != 0) fail("{}: compressed BMP (compression {}) not supported", path, comp);
  if (w <= 0 || hraw == 0) fail("{}: BMP size {}x{} invalid", path, w, hraw);
  const bool top_down = hraw < 0;
  const int h = top_down ? -hraw : hraw;
  check_image(path, w, h, input);
  const size_t stride = (static_cast<size_t>(w) + 3) & ~size_t{3};
  if (data_off + stride * static_cast<size_t>(h) > b.size()) fail("{}: truncated BMP pixel data", path);
  std::vector<int8_t> out(static_cast<size_t>(w) * h);
  for (int y = 0; y < h; ++y) {
    const int src_row = top_down ? y : h - 1 - y;
    std::memcpy(&out[static_cast<size_t>(y) * w], &b[data_off + stride * static_cast<size_t>(src_row)], static_cast<size_t>(w));
  }
  return out;
}

std::vector<int8_t> from_pgm(const std::vector<uint8_t>& b, const Tensor& input, const std::string& path) {
  size_t p = 2;
  const auto next_int = [&]() {
    for (;;) {
      while (p < b.size() && std::isspace(b[p])) ++p;
      if (p < b.size() && b[p] == '#') {
        while (p < b.size() && b[p] != '\n') ++p;
        continue;
      }
      break;
    }
    if (p >= b.size() || !std::isdigit(b[p])) fail("{}: malformed PGM header", path);
    long v = 0;
    while (p < b.size() && std::isdigit(b[p])) v = v * 10 + (b[p++] - '0');
    return v;
  };
  const long w = next_int(), h = next_int(), maxval = next_int();
  if (maxval <= 0 || maxval > 255) fail("{}: PGM maxval {} (8-bit only)", path, maxval);
  if (w <= 0 || h <= 0 || w > 65535 || h > 65535) fail("{}: PGM size {}x{} invalid", path, w, h);
  ++p;  // the single whitespace after maxval
  check_image(path, static_cast<int>(w), static_cast<int>(h), input);
  const size_t n = static_cast<size_t>(w * h);
  if (p + n > b.size()) fail("{}: truncated PGM pixel data", path);
  std::vector<int8_t> out(n);
  std::memcpy(out.data(), &b[p], n);
  return out;
}

// 16-bit PCM at 16 kHz through the keyword-spotting audio front end (micro_speech's: 30 ms
// windows every 20 ms, 40 channels, int8 features). It runs here on the host in the golden model of
// the escape core's firmware (tsr::ref::KwsFrontend); it moves to the escape core once the
// accelerator has one. The input tensor must hold whole frames of 40 features.
std::vector<int8_t> from_wav(const std::string& path, const Tensor& input) {
  const ref::Wav w = ref::read_wav_pcm16(path);
  if (w.sample_rate != ref::kKwsSampleRate) {
    fail("{}: {} Hz audio; the audio front end takes {} Hz", path, w.sample_rate, ref::kKwsSampleRate);
  }
  const size_t n = input.elements();
  if (n % ref::kKwsChannels != 0) {
    fail("{}: the model input '{}' ({}) is not a whole number of {}-channel audio frames", path, input.name,
         input.shape_str(), ref::kKwsChannels);
  }
  const size_t frames = n / ref::kKwsChannels;
  const ref::KwsTables tables = ref::make_kws_tables();
  ref::KwsFrontend fe(tables);
  const auto out = fe.process(w.samples);
  if (out.size() < frames) {
    fail("{}: {} samples give {} audio frames; the model input '{}' needs {}", path, w.samples.size(), out.size(),
         input.name, frames);
  }
  std::vector<int8_t> v;
  v.reserve(n);
  for (size_t f = 0; f < frames; ++f) v.insert(v.end(), out[f].feature.begin(), out[f].feature.end());
  return v;
}

}  // namespace

Npy read_npy(const std::string& path) { return parse_npy(slurp(path), path); }

std::vector<int8_t> read_input(const std::string& path, const Tensor& input) {
  const auto b = slurp(path);
  if (b.size() >= 6 && std::memcmp(b.data(), "\x93NUMPY", 6) == 0) return from_npy(parse_npy(b, path), input, path);
  if (b.size() >= 2 && b[0] == 'B' && b[1] == 'M') return from_bmp(b, input, path);
  if (b.size() >= 2 && b[0] == 'P' && b[1] == '5') return from_pgm(b, input, path);
  if ((b.size() >= 4 && std::memcmp(b.data(), "RIFF", 4) == 0) || ends_with(path, ".wav")) {
    return from_wav(path, input);
  }
  if (ends_with(path, ".npy")) fail("{}: not an .npy file (bad magic)", path);
  if (ends_with(path, ".bmp") || ends_with(path, ".pgm")) fail("{}: not a BMP/PGM file (bad magic)", path);
  if (b.size() != input.elements()) {
    fail("{}: raw input has {} bytes, the model input '{}' ({}, int8) needs {}", path, b.size(),
         input.name, input.shape_str(), input.elements());
  }
  return {reinterpret_cast<const int8_t*>(b.data()), reinterpret_cast<const int8_t*>(b.data()) + b.size()};
}

void write_npy(const std::string& path, const std::vector<int8_t>& data, const std::vector<int>& shape) {
  std::string dims;
  for (int d : shape) dims += std::to_string(d) + ", ";
  if (shape.size() > 1) dims.resize(dims.size() - 2);
  if (shape.empty()) dims = "";
  std::string h = fmt::format("{{'descr': '|i1', 'fortran_order': False, 'shape': ({}), }}", dims);
  while ((10 + h.size() + 1) % 64 != 0) h += ' ';
  h += '\n';
  std::ofstream out(path, std::ios::binary);
  if (!out) fail("{}: cannot write the output file", path);
  out.write("\x93NUMPY\x01\x00", 8);
  const char len[2] = {static_cast<char>(h.size() & 0xff), static_cast<char>(h.size() >> 8)};
  out.write(len, 2);
  out.write(h.data(), static_cast<std::streamsize>(h.size()));
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
  if (!out) fail("{}: write failed", path);
}

std::vector<std::string> read_labels(const std::string& path) {
  std::ifstream in(path);
  if (!in) fail("{}: cannot open the labels file", path);
  std::vector<std::string> labels;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    labels.push_back(line);
  }
  return labels;
}

}  // namespace tsr::drv

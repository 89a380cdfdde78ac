#include "tessera/ref/kws_frontend.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <numbers>

#include "tessera/error.h"

namespace tsr::ref {

namespace {

constexpr int kWindowBits = 12;
constexpr int kFilterbankBits = 12;
constexpr int kNoiseReductionBits = 14;
constexpr int kPcanSnrBits = 12;
constexpr int kPcanOutputBits = 6;
constexpr int kWideDynamicBits = 32;
constexpr int kLogScaleLog2 = 16;
constexpr int kLogSegmentsLog2 = 7;
constexpr uint32_t kLogCoeff = 45426;  // ln(2) in Q16

int msb32(uint32_t x) { return x == 0 ? 0 : 32 - std::countl_zero(x); }
int msb64(uint64_t x) { return x == 0 ? 0 : 64 - std::countl_zero(x); }

// micro_frontend's FreqToMel: computed in double, returned as float.
float freq_to_mel(float hz) { return static_cast<float>(1127.0 * std::log1p(hz / 700.0)); }

// kissfft's kf_cexp for int16: floor(0.5 + 32767 * cos / sin).
std::array<int16_t, 2> cexp_q15(double phase) {
  return {static_cast<int16_t>(std::floor(0.5 + 32767.0 * std::cos(phase))),
          static_cast<int16_t>(std::floor(0.5 + 32767.0 * std::sin(phase)))};
}

// micro_frontend's PcanGainLookupFunction (float arithmetic).
int16_t pcan_gain(int input_bits, uint32_t x) {
  const float xf = static_cast<float>(x) / static_cast<float>(uint32_t{1} << input_bits);
  const float g = static_cast<float>(uint32_t{1} << 21) * std::pow(xf + 80.0F, -0.95F);
  if (g > 32767.0F) return 32767;
  return static_cast<int16_t>(g + 0.5F);
}

// ---- kissfft, int16 (FIXED_POINT 16) ----

struct Cpx {
  int16_t r = 0;
  int16_t i = 0;
};

int16_t sround(int32_t x) { return static_cast<int16_t>((x + (1 << 14)) >> 15); }
int32_t smul(int16_t a, int16_t b) { return int32_t{a} * int32_t{b}; }
int16_t wrap16(int32_t x) { return static_cast<int16_t>(x); }
Cpx fixdiv(Cpx c, int d) {
  const auto k = static_cast<int16_t>(32767 / d);
  return {sround(smul(c.r, k)), sround(smul(c.i, k))};
}
Cpx cmul(Cpx a, Cpx b) {
  return {sround(smul(a.r, b.r) - smul(a.i, b.i)), sround(smul(a.r, b.i) + smul(a.i, b.r))};
}
Cpx cadd(Cpx a, Cpx b) { return {wrap16(a.r + b.r), wrap16(a.i + b.i)}; }
Cpx csub(Cpx a, Cpx b) { return {wrap16(a.r - b.r), wrap16(a.i - b.i)}; }

// kissfft's forward radix-4 butterfly over m groups.
void bfly4(Cpx* out, size_t fstride, const std::vector<Cpx>& tw, size_t m) {
  for (size_t k = 0; k < m; ++k) {
    Cpx& a = out[k];
    Cpx& b = out[k + m];
    Cpx& c = out[k + 2 * m];
    Cpx& d = out[k + 3 * m];
    a = fixdiv(a, 4);
    b = fixdiv(b, 4);
    c = fixdiv(c, 4);
    d = fixdiv(d, 4);
    const Cpx s0 = cmul(b, tw[k * fstride]);
    const Cpx s1 = cmul(c, tw[2 * k * fstride]);
    const Cpx s2 = cmul(d, tw[3 * k * fstride]);
    const Cpx s5 = csub(a, s1);
    a = cadd(a, s1);
    const Cpx s3 = cadd(s0, s2);
    const Cpx s4 = csub(s0, s2);
    c = csub(a, s3);
    a = cadd(a, s3);
    b = {wrap16(s5.r + s4.i), wrap16(s5.i - s4.r)};
    d = {wrap16(s5.r - s4.i), wrap16(s5.i + s4.r)};
  }
}

// kissfft's kf_work: mixed-radix decimation in time, here with every radix 4.
void fft_work(Cpx* out, const Cpx* in, size_t fstride, size_t n, const std::vector<Cpx>& tw) {
  const size_t m = n / 4;
  if (m == 1) {
    for (size_t q = 0; q < 4; ++q) out[q] = in[q * fstride];
  } else {
    for (size_t q = 0; q < 4; ++q) fft_work(out + q * m, in + q * fstride, fstride * 4, m, tw);
  }
  bfly4(out, fstride, tw, m);
}

// Sqrt32 / Sqrt64 of micro_frontend's filterbank (bit-by-bit, rounded).
uint32_t sqrt32(uint32_t num) {
  if (num == 0) return 0;
  uint32_t res = 0;
  const int max_bit = (32 - msb32(num)) | 1;
  uint32_t bit = 1U << (31 - max_bit);
  for (int it = (31 - max_bit) / 2 + 1; it > 0; --it) {
    if (num >= res + bit) {
      num -= res + bit;
      res = (res >> 1) + bit;
    } else {
      res >>= 1;
    }
    bit >>= 2;
  }
  if (num > res && res != 0xFFFF) ++res;
  return res;
}

int16_t wide_dynamic(uint32_t x, const std::array<int16_t, kKwsPcanLut>& lut) {
  if (x <= 2) return lut[x];
  const int interval = msb32(x);
  const int16_t* l = lut.data() + 4 * interval - 6;
  const int16_t frac = static_cast<int16_t>(
      ((interval < 11) ? (x << (11 - interval)) : (x >> (interval - 11))) & 0x3FF);
  int32_t r = (int32_t{l[2]} * frac) >> 5;
  r += static_cast<int32_t>(static_cast<uint32_t>(l[1]) << 5);
  r *= frac;
  r = (r + (1 << 14)) >> 15;
  r += l[0];
  return static_cast<int16_t>(r);
}

uint32_t pcan_shrink(uint32_t x) {
  if (x < (2U << kPcanSnrBits)) return (x * x) >> (2 + 2 * kPcanSnrBits - kPcanOutputBits);
  return (x >> (kPcanSnrBits - kPcanOutputBits)) - (1U << kPcanOutputBits);
}

}  // namespace

KwsTables make_kws_tables() {
  KwsTables t;
  // Window (WindowPopulateState): 0.5 - 0.5 cos(2 pi (i + 0.5) / size), in float, Q12.
  const float arg = static_cast<float>(std::numbers::pi * 2.0 / static_cast<float>(kKwsWindow));
  for (int i = 0; i < kKwsWindow; ++i) {
    const auto v = static_cast<float>(0.5 - 0.5 * std::cos(static_cast<double>(arg) * (i + 0.5)));
    t.window[i] = static_cast<int16_t>(std::floor(v * (1 << kWindowBits) + 0.5));
  }
  // kissfft twiddles of the 256-point complex FFT and the real-FFT split.
  const int ncfft = kKwsFft / 2;
  for (int i = 0; i < ncfft; ++i) {
    t.twiddle[i] = cexp_q15(-2.0 * std::numbers::pi * i / ncfft);
  }
  for (int i = 0; i < ncfft / 2; ++i) {
    t.super_twiddle[i] =
        cexp_q15(-std::numbers::pi * (static_cast<double>(i + 1) / ncfft + 0.5));
  }
  // Filterbank (FilterbankPopulateState), 41 ranges of mel-spaced centres.
  constexpr int kRanges = kKwsChannels + 1;
  const float lower = 125.0F, upper = 7500.0F;
  const float mel_low = freq_to_mel(lower);
  const float mel_hi = freq_to_mel(upper);
  const float mel_spacing = (mel_hi - mel_low) / static_cast<float>(kRanges);
  std::array<float, kRanges> centre{};
  for (int i = 0; i < kRanges; ++i) centre[i] = mel_low + mel_spacing * static_cast<float>(i + 1);
  const auto hz_per_bin =
      static_cast<float>(0.5 * kKwsSampleRate / (static_cast<float>(kKwsBins) - 1));
  t.fb_start = static_cast<int>(1.5 + lower / hz_per_bin);
  t.fb_range.fill(-1);
  int bin = t.fb_start;
  for (int r = 0; r < kRanges; ++r) {
    const float denom = r == 0 ? mel_low : centre[r - 1];
    while (freq_to_mel(static_cast<float>(bin) * hz_per_bin) <= centre[r]) {
      if (bin >= kKwsBins) fail("make_kws_tables: filterbank runs past the spectrum");
      const float w =
          (centre[r] - freq_to_mel(static_cast<float>(bin) * hz_per_bin)) / (centre[r] - denom);
      t.fb_range[bin] = r;
      t.fb_weight[bin] = static_cast<int16_t>(std::floor(w * (1 << kFilterbankBits) + 0.5));
      t.fb_unweight[bin] =
          static_cast<int16_t>(std::floor((1.0 - w) * (1 << kFilterbankBits) + 0.5));
      ++bin;
    }
  }
  t.fb_end = bin;
  // Noise reduction (NoiseReductionPopulateState): float * 2^14, truncated.
  t.nr_smoothing_bits = 10;
  t.nr_even_smoothing = static_cast<uint32_t>(0.025F * (1 << kNoiseReductionBits));
  t.nr_odd_smoothing = static_cast<uint32_t>(0.06F * (1 << kNoiseReductionBits));
  t.nr_min_signal_remaining = static_cast<uint32_t>(0.05F * (1 << kNoiseReductionBits));
  // PCAN (PcanGainControlPopulateState).
  t.correction_bits = msb32(kKwsFft) - 1 - kFilterbankBits / 2;
  t.pcan_snr_shift = 21 - t.correction_bits - kPcanSnrBits;
  const int input_bits = static_cast<int>(t.nr_smoothing_bits) - t.correction_bits;
  t.pcan_lut[0] = pcan_gain(input_bits, 0);
  t.pcan_lut[1] = pcan_gain(input_bits, 1);
  for (int interval = 2; interval <= kWideDynamicBits; ++interval) {
    const uint32_t x0 = uint32_t{1} << (interval - 1);
    const uint32_t x1 = x0 + (x0 >> 1);
    const uint32_t x2 = interval == kWideDynamicBits ? x0 + (x0 - 1) : 2 * x0;
    const int16_t y0 = pcan_gain(input_bits, x0);
    const int16_t y1 = pcan_gain(input_bits, x1);
    const int16_t y2 = pcan_gain(input_bits, x2);
    const int32_t diff1 = y1 - y0;
    const int32_t diff2 = y2 - y0;
    const int32_t a1 = 4 * diff1 - diff2;
    const int32_t a2 = diff2 - a1;
    const int base = 4 * interval - 6;
    t.pcan_lut[base] = y0;
    t.pcan_lut[base + 1] = static_cast<int16_t>(a1);
    t.pcan_lut[base + 2] = static_cast<int16_t>(a2);
  }
  // Log table: the correction log2(1 + x) - x at the 128 segment ends, Q16 (the last entry pads).
  for (int k = 0; k <= 128; ++k) {
    const double x = k / 128.0;
    t.log_lut[k] = static_cast<uint16_t>(std::lround((std::log2(1.0 + x) - x) * 65536.0));
  }
  t.log_lut[129] = 0;
  return t;
}

std::vector<std::array<int16_t, 2>> kws_fft(const KwsTables& t, std::span<const int16_t> in) {
  if (in.size() != static_cast<size_t>(kKwsFft)) fail("kws_fft: {} samples, want {}", in.size(), kKwsFft);
  const size_t ncfft = kKwsFft / 2;
  std::vector<Cpx> tw(ncfft), time(ncfft), freq(ncfft);
  for (size_t i = 0; i < ncfft; ++i) {
    tw[i] = {t.twiddle[i][0], t.twiddle[i][1]};
    time[i] = {in[2 * i], in[2 * i + 1]};  // pairs of real samples as one complex value
  }
  fft_work(freq.data(), time.data(), 1, ncfft, tw);
  std::vector<std::array<int16_t, 2>> out(ncfft + 1);
  const Cpx dc = fixdiv(freq[0], 2);
  out[0] = {wrap16(dc.r + dc.i), 0};
  out[ncfft] = {wrap16(dc.r - dc.i), 0};
  for (size_t k = 1; k <= ncfft / 2; ++k) {
    const Cpx fpk = fixdiv(freq[k], 2);
    const Cpx fpnk = fixdiv({freq[ncfft - k].r, wrap16(-freq[ncfft - k].i)}, 2);
    const Cpx f1k = cadd(fpk, fpnk);
    const Cpx f2k = csub(fpk, fpnk);
    const Cpx twk = cmul(f2k, {t.super_twiddle[k - 1][0], t.super_twiddle[k - 1][1]});
    out[k] = {wrap16((f1k.r + twk.r) >> 1), wrap16((f1k.i + twk.i) >> 1)};
    out[ncfft - k] = {wrap16((f1k.r - twk.r) >> 1), wrap16((twk.i - f1k.i) >> 1)};
  }
  return out;
}

uint32_t kws_sqrt64(uint64_t num) {
  if ((num >> 32) == 0) return sqrt32(static_cast<uint32_t>(num));
  uint64_t res = 0;
  const int max_bit = (64 - msb64(num)) | 1;
  uint64_t bit = uint64_t{1} << (63 - max_bit);
  for (int it = (63 - max_bit) / 2 + 1; it > 0; --it) {
    if (num >= res + bit) {
      num -= res + bit;
      res = (res >> 1) + bit;
    } else {
      res >>= 1;
    }
    bit >>= 2;
  }
  if (num > res && res != 0xFFFFFFFFULL) ++res;
  return static_cast<uint32_t>(res);
}

uint32_t kws_log(const KwsTables& t, uint32_t x, int scale_shift) {
  const uint32_t integer = static_cast<uint32_t>(msb32(x) - 1);
  // Fraction of log2: the mantissa in Q16 plus the table's interpolated correction.
  auto frac = static_cast<int32_t>(x - (uint32_t{1} << integer));
  if (integer < kLogScaleLog2) {
    frac = static_cast<int32_t>(static_cast<uint32_t>(frac) << (kLogScaleLog2 - integer));
  } else {
    frac >>= integer - kLogScaleLog2;
  }
  const auto seg = static_cast<uint32_t>(frac) >> (kLogScaleLog2 - kLogSegmentsLog2);
  const int32_t c0 = t.log_lut[seg];
  const int32_t c1 = t.log_lut[seg + 1];
  const auto seg_base = static_cast<int32_t>((uint32_t{1} << (kLogScaleLog2 - kLogSegmentsLog2)) * seg);
  const int32_t rel = ((c1 - c0) * (frac - seg_base)) >> kLogScaleLog2;
  const uint32_t fraction = static_cast<uint32_t>(frac + c0 + rel);
  const uint32_t log2 = (integer << kLogScaleLog2) + fraction;
  const uint32_t round = 1U << (kLogScaleLog2 - 1);
  const auto loge = static_cast<uint32_t>((uint64_t{kLogCoeff} * log2 + round) >> kLogScaleLog2);
  return ((loge << scale_shift) + round) >> kLogScaleLog2;
}

int8_t kws_feature_i8(uint16_t v) {
  const int32_t value = (static_cast<int32_t>(v) * 256 + 666 / 2) / 666 - 128;
  return static_cast<int8_t>(std::clamp(value, -128, 127));
}

KwsFrame KwsFrontend::frame() {
  // Window: Q12 coefficients, and the largest magnitude for the FFT's input scaling.
  std::vector<int16_t> fft_in(kKwsFft, 0);
  int16_t max_abs = 0;
  for (int i = 0; i < kKwsWindow; ++i) {
    const auto v = static_cast<int16_t>((int32_t{input_[i]} * t_.window[i]) >> kWindowBits);
    fft_in[i] = v;
    const auto a = static_cast<int16_t>(v < 0 ? -v : v);  // -(-32768) stays -32768 in int16
    max_abs = std::max(max_abs, a);
  }
  const int shift = 15 - msb32(static_cast<uint32_t>(max_abs));
  for (int i = 0; i < kKwsWindow; ++i) {
    fft_in[i] = static_cast<int16_t>(static_cast<uint16_t>(fft_in[i]) << shift);
  }
  const auto spec = kws_fft(t_, fft_in);

  // Filterbank: each bin adds weight * energy to the channel above its range and
  // unweight * energy to the channel of its range (channel c = range c + 1's upper half ...).
  std::array<uint64_t, kKwsChannels> acc{};
  for (int b = t_.fb_start; b < t_.fb_end; ++b) {
    const int32_t re = spec[b][0], im = spec[b][1];
    const uint32_t energy = static_cast<uint32_t>(re * re) + static_cast<uint32_t>(im * im);
    const int r = t_.fb_range[b];
    if (r >= 1) acc[r - 1] += static_cast<uint64_t>(static_cast<uint16_t>(t_.fb_weight[b])) * energy;
    if (r < kKwsChannels) acc[r] += static_cast<uint64_t>(static_cast<uint16_t>(t_.fb_unweight[b])) * energy;
  }
  std::array<uint32_t, kKwsChannels> sig{};
  for (int c = 0; c < kKwsChannels; ++c) sig[c] = kws_sqrt64(acc[c]) >> shift;

  // Noise reduction: a per-channel running estimate (even/odd channels smooth differently),
  // subtracted, with a floor of min_signal_remaining of the signal.
  for (int c = 0; c < kKwsChannels; ++c) {
    const uint32_t sm = (c % 2 == 0) ? t_.nr_even_smoothing : t_.nr_odd_smoothing;
    const uint32_t up = sig[c] << t_.nr_smoothing_bits;
    uint32_t est = static_cast<uint32_t>(
        (static_cast<uint64_t>(up) * sm +
         static_cast<uint64_t>(noise_estimate_[c]) * ((1U << kNoiseReductionBits) - sm)) >>
        kNoiseReductionBits);
    noise_estimate_[c] = est;
    est = std::min(est, up);
    const auto floor_v = static_cast<uint32_t>(
        (static_cast<uint64_t>(sig[c]) * t_.nr_min_signal_remaining) >> kNoiseReductionBits);
    const uint32_t sub = (up - est) >> t_.nr_smoothing_bits;
    sig[c] = std::max(sub, floor_v);
  }
  // PCAN gain control, then log.
  KwsFrame f;
  for (int c = 0; c < kKwsChannels; ++c) {
    const auto gain = static_cast<uint32_t>(static_cast<int32_t>(wide_dynamic(noise_estimate_[c], t_.pcan_lut)));
    const auto snr = static_cast<uint32_t>((static_cast<uint64_t>(sig[c]) * gain) >> t_.pcan_snr_shift);
    uint32_t v = pcan_shrink(snr);
    v = t_.correction_bits < 0 ? v >> -t_.correction_bits : v << t_.correction_bits;
    v = v > 1 ? kws_log(t_, v, t_.log_scale_shift) : 0;
    f.raw[c] = static_cast<uint16_t>(std::min<uint32_t>(v, 0xFFFF));
    f.feature[c] = kws_feature_i8(f.raw[c]);
  }
  return f;
}

std::vector<KwsFrame> KwsFrontend::process(std::span<const int16_t> samples) {
  std::vector<KwsFrame> frames;
  size_t pos = 0;
  while (pos < samples.size()) {
    const size_t take = std::min<size_t>(kKwsWindow - input_used_, samples.size() - pos);
    std::copy_n(samples.begin() + static_cast<std::ptrdiff_t>(pos), take, input_.begin() + input_used_);
    pos += take;
    input_used_ += static_cast<int>(take);
    if (input_used_ < kKwsWindow) break;
    frames.push_back(frame());
    std::copy(input_.begin() + kKwsStep, input_.end(), input_.begin());
    input_used_ -= kKwsStep;
  }
  return frames;
}

Wav read_wav_pcm16(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) fail("{}: cannot open WAV file", path);
  const std::vector<uint8_t> b{std::istreambuf_iterator<char>(f), {}};
  auto u32 = [&](size_t o) {
    if (o + 4 > b.size()) fail("{}: truncated WAV header", path);
    return static_cast<uint32_t>(b[o] | (b[o + 1] << 8) | (b[o + 2] << 16)) | (uint32_t{b[o + 3]} << 24);
  };
  auto u16 = [&](size_t o) {
    if (o + 2 > b.size()) fail("{}: truncated WAV header", path);
    return static_cast<uint16_t>(b[o] | (b[o + 1] << 8));
  };
  if (b.size() < 12 || std::memcmp(b.data(), "RIFF", 4) != 0 || std::memcmp(b.data() + 8, "WAVE", 4) != 0) {
    fail("{}: not a RIFF/WAVE file", path);
  }
  Wav w;
  bool fmt_seen = false;
  for (size_t o = 12; o + 8 <= b.size();) {
    const uint32_t len = u32(o + 4);
    if (std::memcmp(b.data() + o, "fmt ", 4) == 0) {
      if (u16(o + 8) != 1 || u16(o + 10) != 1 || u16(o + 22) != 16) {
        fail("{}: not 16-bit mono PCM (format {}, channels {}, bits {})", path, u16(o + 8),
             u16(o + 10), u16(o + 22));
      }
      w.sample_rate = static_cast<int>(u32(o + 12));
      fmt_seen = true;
    } else if (std::memcmp(b.data() + o, "data", 4) == 0) {
      if (!fmt_seen) fail("{}: data chunk before fmt chunk", path);
      if (o + 8 + len > b.size()) fail("{}: data chunk runs past the end of the file", path);
      for (size_t i = 0; i + 1 < len; i += 2) w.samples.push_back(static_cast<int16_t>(u16(o + 8 + i)));
      return w;
    }
    o += 8 + len + (len & 1);
  }
  fail("{}: no data chunk", path);
}

}  // namespace tsr::ref

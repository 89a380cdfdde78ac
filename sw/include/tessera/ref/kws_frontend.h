// Golden model of the keyword-spotting audio front end the escape core runs: TFLite-Micro's
// micro_frontend (window -> FFT -> filterbank -> noise reduction -> PCAN -> log) with the
// configuration of the micro_speech example, followed by micro_speech's conversion of the
// front end's uint16 output to the int8 features the model eats (49 frames x 40 channels for one
// second of 16 kHz audio).
//
// The front end's setup (window coefficients, FFT twiddles, mel filterbank weights, noise
// reduction coefficients, PCAN gain table, log table) is floating point; make_kws_tables()
// computes it once on the host, exactly as micro_frontend's *PopulateState functions do (float /
// double where they use float / double). Per-frame processing is integer only and is what the
// firmware (firmware/ops/kws.c) implements. Number formats:
//   samples int16; window Q12; FFT input scaled by 2^(15 - msb(max |windowed|)); 512-point real
//   FFT with kissfft's int16 arithmetic (every radix-4 stage divides by 4, the real split by 2,
//   products rounded by (x + 2^14) >> 15); energy re^2 + im^2 (uint32); filterbank weights Q12,
//   accumulated in uint64, square root, shifted back by the input scaling; noise reduction Q14
//   with 10 smoothing bits; PCAN gain from a piecewise-quadratic table of
//   2^21 * (x + 80)^-0.95, SNR shift 6, shrink to 6 output bits; log = ln in Q16 times 2^6 / 2^16
//   (after a correction shift of 3 bits), saturated to uint16. int8 feature =
//   clamp((v * 256 + 333) / 666 - 128, -128, 127).
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace tsr::ref {

inline constexpr int kKwsSampleRate = 16000;
inline constexpr int kKwsWindow = 480;   // 30 ms
inline constexpr int kKwsStep = 320;     // 20 ms
inline constexpr int kKwsFft = 512;
inline constexpr int kKwsBins = kKwsFft / 2 + 1;
inline constexpr int kKwsChannels = 40;
inline constexpr int kKwsPcanLut = 125;  // 4 * 32 - 3
inline constexpr int kKwsLogLut = 130;

struct KwsTables {
  std::array<int16_t, kKwsWindow> window{};              // Q12 Hann
  std::array<std::array<int16_t, 2>, kKwsFft / 2> twiddle{};
  std::array<std::array<int16_t, 2>, kKwsFft / 4> super_twiddle{};
  int fb_start = 0;                                      // first bin read
  int fb_end = 0;                                        // one past the last
  std::array<int, kKwsBins> fb_range{};                  // range 0..40 of each bin, -1 outside
  std::array<int16_t, kKwsBins> fb_weight{};
  std::array<int16_t, kKwsBins> fb_unweight{};
  uint32_t nr_smoothing_bits = 10;
  uint32_t nr_even_smoothing = 0;  // Q14
  uint32_t nr_odd_smoothing = 0;
  uint32_t nr_min_signal_remaining = 0;
  std::array<int16_t, kKwsPcanLut> pcan_lut{};
  int pcan_snr_shift = 0;
  int log_scale_shift = 6;
  int correction_bits = 0;
  std::array<uint16_t, kKwsLogLut> log_lut{};
};

// micro_speech's front-end setup (16 kHz, 30 ms / 20 ms, 40 channels 125..7500 Hz, noise
// reduction 0.025 / 0.06 / 0.05 with 10 smoothing bits, PCAN strength 0.95 offset 80 gain bits
// 21, log scale shift 6).
KwsTables make_kws_tables();

struct KwsFrame {
  std::array<uint16_t, kKwsChannels> raw{};    // the front end's output
  std::array<int8_t, kKwsChannels> feature{};  // micro_speech's int8 input
};

// A streaming front end: feed any number of samples; every completed window yields a frame.
class KwsFrontend {
 public:
  explicit KwsFrontend(const KwsTables& t) : t_(t) {}
  std::vector<KwsFrame> process(std::span<const int16_t> samples);

 private:
  KwsFrame frame();
  const KwsTables& t_;
  std::array<int16_t, kKwsWindow> input_{};
  int input_used_ = 0;
  std::array<uint32_t, kKwsChannels> noise_estimate_{};
};

// The pieces, exposed for hand-worked tests.
// kissfft's int16 512-point real FFT of `in` (512 samples): 257 complex bins.
std::vector<std::array<int16_t, 2>> kws_fft(const KwsTables& t, std::span<const int16_t> in);
// micro_frontend's integer square root of a 64-bit value (rounded; 32-bit path below 2^32).
uint32_t kws_sqrt64(uint64_t x);
// micro_frontend's Log(x, scale_shift) for x > 1.
uint32_t kws_log(const KwsTables& t, uint32_t x, int scale_shift);
// micro_speech's conversion of a front-end value to an int8 feature.
int8_t kws_feature_i8(uint16_t v);

// Reads a 16-bit mono PCM WAV file (any sample rate is reported, not converted); throws
// tsr::Error naming the file when it is not one.
struct Wav {
  int sample_rate = 0;
  std::vector<int16_t> samples;
};
Wav read_wav_pcm16(const std::string& path);

}  // namespace tsr::ref

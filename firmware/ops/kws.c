/* Keyword-spotting audio front end (TFLite-Micro micro_frontend, micro_speech configuration),
 * integer only. Tables (window, twiddles, filterbank, PCAN and log tables) come from the host;
 * the streaming state (window input, noise estimates) lives in the caller's tsr_kws_state_t.
 * Per completed window: Hann window (Q12) -> scale to full int16 range -> 512-point real FFT
 * with kissfft's int16 arithmetic (iterative radix-4 here) -> energy -> mel filterbank with
 * square root -> noise reduction -> PCAN -> log -> uint16 and micro_speech's int8 feature. */
#include "tsr_escape_abi.h"
#include "tsr_ops.h"
#include "tsr_rt.h"

#define NC (TSR_KWS_FFT / 2) /* complex points of the inner FFT */

typedef struct {
  int16_t r, i;
} cpx_t;

static cpx_t fft_buf[NC];
static cpx_t spectrum[NC + 1];

static int msb(uint32_t x) { return x == 0 ? 0 : 32 - __builtin_clz(x); }

static inline int16_t q15_round(int32_t x) { return (int16_t)((x + (1 << 14)) >> 15); }
static inline cpx_t c_scale(cpx_t a, int16_t k) { /* kissfft C_FIXDIV: x * (32767 / d) */
  cpx_t r = {q15_round((int32_t)a.r * k), q15_round((int32_t)a.i * k)};
  return r;
}
static inline cpx_t c_mul(cpx_t a, const int16_t* w) {
  cpx_t r = {q15_round((int32_t)a.r * w[0] - (int32_t)a.i * w[1]),
             q15_round((int32_t)a.r * w[1] + (int32_t)a.i * w[0])};
  return r;
}

/* Base-4 digit reversal of an 8-bit index (4 digits). */
static unsigned rev4(unsigned n) {
  return ((n & 3u) << 6) | ((n & 12u) << 2) | ((n & 48u) >> 2) | ((n & 192u) >> 6);
}

/* 256-point complex FFT of the 512 real samples in `x` (pairs as complex), in place in fft_buf:
 * digit-reversed load, then radix-4 stages of growing span. */
static void fft256(const int16_t* x, const int16_t (*tw)[2]) {
  for (unsigned n = 0; n < NC; ++n) {
    cpx_t c = {x[2 * n], x[2 * n + 1]};
    fft_buf[rev4(n)] = c;
  }
  for (unsigned m = 1; m < NC; m *= 4) {
    const unsigned stride = (NC / 4) / m; /* twiddle step of this stage */
    for (unsigned g = 0; g < NC; g += 4 * m) {
      cpx_t* f = fft_buf + g;
      for (unsigned k = 0; k < m; ++k) {
        const cpx_t a = c_scale(f[k], 8191);
        const cpx_t b = c_mul(c_scale(f[k + m], 8191), tw[k * stride]);
        const cpx_t c = c_mul(c_scale(f[k + 2 * m], 8191), tw[2 * k * stride]);
        const cpx_t d = c_mul(c_scale(f[k + 3 * m], 8191), tw[3 * k * stride]);
        const int16_t ac_r = (int16_t)(a.r - c.r), ac_i = (int16_t)(a.i - c.i);
        const int16_t s_r = (int16_t)(a.r + c.r), s_i = (int16_t)(a.i + c.i);
        const int16_t bd_r = (int16_t)(b.r + d.r), bd_i = (int16_t)(b.i + d.i);
        const int16_t df_r = (int16_t)(b.r - d.r), df_i = (int16_t)(b.i - d.i);
        f[k].r = (int16_t)(s_r + bd_r);
        f[k].i = (int16_t)(s_i + bd_i);
        f[k + 2 * m].r = (int16_t)(s_r - bd_r);
        f[k + 2 * m].i = (int16_t)(s_i - bd_i);
        f[k + m].r = (int16_t)(ac_r + df_i);
        f[k + m].i = (int16_t)(ac_i - df_r);
        f[k + 3 * m].r = (int16_t)(ac_r - df_i);
        f[k + 3 * m].i = (int16_t)(ac_i + df_r);
      }
    }
  }
}

/* The real-FFT split: 257 bins from the 256-point complex result. */
static void real_split(const int16_t (*stw)[2]) {
  const cpx_t dc = c_scale(fft_buf[0], 16383);
  spectrum[0].r = (int16_t)(dc.r + dc.i);
  spectrum[0].i = 0;
  spectrum[NC].r = (int16_t)(dc.r - dc.i);
  spectrum[NC].i = 0;
  for (unsigned k = 1; k <= NC / 2; ++k) {
    const cpx_t p = c_scale(fft_buf[k], 16383);
    cpx_t q = fft_buf[NC - k];
    q.i = (int16_t)(-q.i);
    q = c_scale(q, 16383);
    const cpx_t sum = {(int16_t)(p.r + q.r), (int16_t)(p.i + q.i)};
    const cpx_t dif = {(int16_t)(p.r - q.r), (int16_t)(p.i - q.i)};
    const cpx_t t = c_mul(dif, stw[k - 1]);
    spectrum[k].r = (int16_t)((sum.r + t.r) >> 1);
    spectrum[k].i = (int16_t)((sum.i + t.i) >> 1);
    spectrum[NC - k].r = (int16_t)((sum.r - t.r) >> 1);
    spectrum[NC - k].i = (int16_t)((t.i - sum.i) >> 1);
  }
}

/* Rounded integer square root, bit by bit (32-bit path when the value fits). */
static uint32_t isqrt(uint64_t v) {
  if (v == 0) return 0;
  const int hi = (v >> 32) != 0;
  const int width = hi ? 64 : 32;
  const int top = hi ? 64 - (32 + msb((uint32_t)(v >> 32))) : 32 - msb((uint32_t)v);
  const int first = top | 1;
  uint64_t res = 0;
  uint64_t bit = (uint64_t)1 << (width - 1 - first);
  for (int it = (width - 1 - first) / 2 + 1; it > 0; --it) {
    if (v >= res + bit) {
      v -= res + bit;
      res = (res >> 1) + bit;
    } else {
      res >>= 1;
    }
    bit >>= 2;
  }
  if (v > res && res != (hi ? 0xFFFFFFFFull : 0xFFFFull)) ++res;
  return (uint32_t)res;
}

/* PCAN gain: piecewise quadratic in the table's segment of x. */
static int16_t pcan_gain(uint32_t x, const int16_t* lut) {
  if (x <= 2) return lut[x];
  const int iv = msb(x);
  const int16_t* seg = lut + 4 * iv - 6;
  const int16_t frac = (int16_t)((iv < 11 ? x << (11 - iv) : x >> (iv - 11)) & 0x3FFu);
  int32_t r = ((int32_t)seg[2] * frac) >> 5;
  r += (int32_t)((uint32_t)seg[1] << 5);
  r = (r * frac + (1 << 14)) >> 15;
  return (int16_t)(r + seg[0]);
}

/* ln(x) in Q16 scaled by 2^shift / 2^16, x > 1, through log2 with a corrected mantissa. */
static uint32_t log_scaled(uint32_t x, int shift, const uint16_t* lut) {
  const uint32_t e = (uint32_t)msb(x) - 1u;
  int32_t m = (int32_t)(x - (1u << e));
  m = e < 16 ? (int32_t)((uint32_t)m << (16 - e)) : m >> (e - 16);
  const uint32_t s = (uint32_t)m >> 9;
  const int32_t c0 = lut[s], c1 = lut[s + 1];
  const int32_t corr = c0 + (((c1 - c0) * (m - (int32_t)(s << 9))) >> 16);
  const uint32_t l2 = (e << 16) + (uint32_t)(m + corr);
  const uint32_t ln = (uint32_t)(((uint64_t)45426u * l2 + 32768u) >> 16);
  return ((ln << shift) + 32768u) >> 16;
}

static void kws_frame(const tsr_kws_tables_t* t, tsr_kws_state_t* st, uint16_t* raw, int8_t* feat) {
  /* Window into the first 480 of 512 FFT inputs (kept in `spectrum`'s memory as scratch). */
  int16_t* x = (int16_t*)spectrum;
  int16_t peak = 0;
  for (int i = 0; i < TSR_KWS_WINDOW; ++i) {
    const int16_t v = (int16_t)(((int32_t)st->input[i] * t->window[i]) >> 12);
    x[i] = v;
    const int16_t a = (int16_t)(v < 0 ? -v : v);
    if (a > peak) peak = a;
  }
  const int shift = 15 - msb((uint32_t)peak);
  for (int i = 0; i < TSR_KWS_WINDOW; ++i) x[i] = (int16_t)((uint16_t)x[i] << shift);
  for (int i = TSR_KWS_WINDOW; i < TSR_KWS_FFT; ++i) x[i] = 0;
  fft256(x, t->twiddle);
  real_split(t->super_twiddle);

  uint64_t acc[TSR_KWS_CHANNELS];
  for (int c = 0; c < TSR_KWS_CHANNELS; ++c) acc[c] = 0;
  for (int b = t->fb_start; b < t->fb_end; ++b) {
    const int32_t re = spectrum[b].r, im = spectrum[b].i;
    const uint32_t e = (uint32_t)(re * re) + (uint32_t)(im * im);
    const unsigned r = t->fb_range[b];
    if (r == TSR_KWS_NO_CHANNEL) continue;
    if (r >= 1) acc[r - 1] += (uint64_t)(uint16_t)t->fb_weight[b] * e;
    if (r < TSR_KWS_CHANNELS) acc[r] += (uint64_t)(uint16_t)t->fb_unweight[b] * e;
  }
  for (int c = 0; c < TSR_KWS_CHANNELS; ++c) {
    uint32_t s = isqrt(acc[c]) >> shift;
    /* noise reduction */
    const uint32_t sm = (c & 1) ? t->nr_odd_smoothing : t->nr_even_smoothing;
    const uint32_t up = s << t->nr_smoothing_bits;
    uint32_t est = (uint32_t)(((uint64_t)up * sm + (uint64_t)st->noise_estimate[c] * ((1u << 14) - sm)) >> 14);
    st->noise_estimate[c] = est;
    if (est > up) est = up;
    const uint32_t fl = (uint32_t)(((uint64_t)s * t->nr_min_signal_remaining) >> 14);
    const uint32_t sub = (up - est) >> t->nr_smoothing_bits;
    s = sub > fl ? sub : fl;
    /* PCAN */
    const uint32_t gain = (uint32_t)(int32_t)pcan_gain(st->noise_estimate[c], t->pcan_lut);
    const uint32_t snr = (uint32_t)(((uint64_t)s * gain) >> t->pcan_snr_shift);
    s = snr < (2u << 12) ? (snr * snr) >> 20 : (snr >> 6) - 64u;
    /* log */
    s = t->log_correction_bits < 0 ? s >> -t->log_correction_bits : s << t->log_correction_bits;
    s = s > 1 ? log_scaled(s, t->log_scale_shift, t->log_lut) : 0;
    if (s > 0xFFFFu) s = 0xFFFFu;
    raw[c] = (uint16_t)s;
    int32_t f = ((int32_t)s * 256 + 333) / 666 - 128;
    feat[c] = (int8_t)(f < -128 ? -128 : (f > 127 ? 127 : f));
  }
}

uint32_t tsr_op_kws(const volatile uint32_t* args) {
  const tsr_kws_tables_t* t = (const tsr_kws_tables_t*)(uintptr_t)args[TSR_KWS_TABLES];
  tsr_kws_state_t* st = (tsr_kws_state_t*)(uintptr_t)args[TSR_KWS_STATE];
  const int16_t* samples = (const int16_t*)(uintptr_t)args[TSR_KWS_SAMPLES];
  const uint32_t n = args[TSR_KWS_NUM_SAMPLES];
  int8_t* out = (int8_t*)(uintptr_t)args[TSR_KWS_OUT];
  uint16_t* out_raw = (uint16_t*)(uintptr_t)args[TSR_KWS_OUT_U16];
  const uint32_t max_frames = args[TSR_KWS_MAX_FRAMES];
  uint32_t* out_frames = (uint32_t*)(uintptr_t)args[TSR_KWS_OUT_FRAMES];
  if (st->input_used > TSR_KWS_WINDOW || t->fb_start < 0 || t->fb_end > TSR_KWS_BINS ||
      t->fb_start > t->fb_end) {
    return TSR_ESC_ERR_ARG;
  }
  uint32_t frames = 0;
  uint32_t pos = 0;
  uint16_t raw[TSR_KWS_CHANNELS];
  while (pos < n) {
    uint32_t take = TSR_KWS_WINDOW - st->input_used;
    if (take > n - pos) take = n - pos;
    for (uint32_t i = 0; i < take; ++i) st->input[st->input_used + i] = samples[pos + i];
    pos += take;
    st->input_used += take;
    if (st->input_used < TSR_KWS_WINDOW) break;
    if (frames >= max_frames) return TSR_ESC_ERR_ARG;
    kws_frame(t, st, raw, out + frames * TSR_KWS_CHANNELS);
    if (out_raw != 0) {
      for (int c = 0; c < TSR_KWS_CHANNELS; ++c) out_raw[frames * TSR_KWS_CHANNELS + c] = raw[c];
    }
    ++frames;
    for (int i = 0; i < TSR_KWS_WINDOW - TSR_KWS_STEP; ++i) st->input[i] = st->input[i + TSR_KWS_STEP];
    st->input_used -= TSR_KWS_STEP;
  }
  *out_frames = frames;
  return TSR_ESC_OK;
}

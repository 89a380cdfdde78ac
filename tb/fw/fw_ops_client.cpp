#include "fw_ops_client.h"

#include <algorithm>
#include <cstring>

#include "tessera/error.h"
#include "tsr_escape_abi.h"

namespace tsr::fw {

namespace {

Runner& current_runner() {
  static Runner r = [](const FwImage& img, const EscapeRequest& req, bool count) {
    return run_qemu(img, req, count);
  };
  return r;
}

// Runs the request; throws tsr::Error with the program's output unless it finished with status 0
// and a complete result.
FwResult checked_run(const FwImage& img, const EscapeRequest& req, uint64_t* instructions) {
  FwResult r = current_runner()(img, req, instructions != nullptr);
  if (r.exit_code != 0 || r.status != TSR_ESC_OK || !r.ended) {
    fail("{}: escape op failed (exit {}, status {}); rerun: {}\n{}", img.path(), r.exit_code,
         r.status, r.rerun, r.log);
  }
  if (instructions != nullptr) *instructions = r.op_instructions;
  return r;
}

std::vector<int8_t> as_i8(const std::vector<uint8_t>& b) { return {b.begin(), b.end()}; }

}  // namespace

FwResult run_request(const FwImage& img, const EscapeRequest& req) {
  return current_runner()(img, req, false);
}

Runner set_runner(Runner r) {
  Runner old = std::move(current_runner());
  current_runner() = std::move(r);
  return old;
}

std::vector<int8_t> run_softmax(const std::vector<int8_t>& in, int depth,
                                const tsr::ref::SoftmaxParams& p, uint64_t* instructions) {
  const FwImage img(firmware_path("fw_softmax"));
  EscapeRequest req(TSR_ESC_FN_SOFTMAX, img.io_addr(), img.io_size());
  const uint32_t a_in = req.put_vec(in);
  const uint32_t a_out = req.reserve(static_cast<uint32_t>(in.size()));
  req.arg(TSR_SOFTMAX_IN, a_in);
  req.arg(TSR_SOFTMAX_OUT, a_out);
  req.arg(TSR_SOFTMAX_ROWS, static_cast<uint32_t>(in.size() / depth));
  req.arg(TSR_SOFTMAX_DEPTH, static_cast<uint32_t>(depth));
  req.arg(TSR_SOFTMAX_BETA_MULT, p.input_multiplier);
  req.arg(TSR_SOFTMAX_BETA_SHIFT, p.input_left_shift);
  req.arg(TSR_SOFTMAX_DIFF_MIN, p.diff_min);
  req.output(a_out, static_cast<uint32_t>(in.size()));
  const FwResult r = checked_run(img, req, instructions);
  return as_i8(r.out);
}


tsr::ref::TopK run_topk(const std::vector<int8_t>& in, int n, int k, uint64_t* instructions) {
  const FwImage img(firmware_path("fw_topk"));
  EscapeRequest req(TSR_ESC_FN_TOPK, img.io_addr(), img.io_size());
  const uint32_t rows = static_cast<uint32_t>(in.size() / n);
  const uint32_t a_in = req.put_vec(in);
  const uint32_t a_idx = req.reserve(rows * k * 4 + rows * k);  // indices then values
  const uint32_t a_val = a_idx + rows * k * 4;
  req.arg(TSR_TOPK_IN, a_in);
  req.arg(TSR_TOPK_ROWS, rows);
  req.arg(TSR_TOPK_N, static_cast<uint32_t>(n));
  req.arg(TSR_TOPK_K, static_cast<uint32_t>(k));
  req.arg(TSR_TOPK_OUT_IDX, a_idx);
  req.arg(TSR_TOPK_OUT_VAL, a_val);
  req.output(a_idx, rows * k * 5);
  const FwResult r = checked_run(img, req, instructions);
  tsr::ref::TopK t;
  for (uint32_t i = 0; i < rows * k; ++i) t.index.push_back(read_i32(r.out, i));
  for (uint32_t i = 0; i < rows * k; ++i) t.value.push_back(static_cast<int8_t>(r.out[rows * k * 4 + i]));
  return t;
}


std::vector<int8_t> run_add(const tsr::ref::QTensor& a, const tsr::ref::QTensor& b,
                            const tsr::ref::AddParams& p, uint64_t* instructions) {
  const FwImage img(firmware_path("fw_add"));
  EscapeRequest req(TSR_ESC_FN_ADD, img.io_addr(), img.io_size());
  const uint32_t n = static_cast<uint32_t>(a.data.size());
  req.arg(TSR_ADD_IN1, req.put_vec(a.data));
  req.arg(TSR_ADD_IN2, req.put_vec(b.data));
  const uint32_t a_out = req.reserve(n);
  req.arg(TSR_ADD_OUT, a_out);
  req.arg(TSR_ADD_COUNT, n);
  req.arg(TSR_ADD_ZP1, a.zero_point);
  req.arg(TSR_ADD_ZP2, b.zero_point);
  req.arg(TSR_ADD_LEFT_SHIFT, p.left_shift);
  req.arg(TSR_ADD_MULT1, p.input1.multiplier);
  req.arg(TSR_ADD_SHIFT1, p.input1.shift);
  req.arg(TSR_ADD_MULT2, p.input2.multiplier);
  req.arg(TSR_ADD_SHIFT2, p.input2.shift);
  req.arg(TSR_ADD_MULT_OUT, p.output.multiplier);
  req.arg(TSR_ADD_SHIFT_OUT, p.output.shift);
  req.arg(TSR_ADD_ZP_OUT, p.output_zero_point);
  req.arg(TSR_ADD_ACT_MIN, p.act_min);
  req.arg(TSR_ADD_ACT_MAX, p.act_max);
  req.output(a_out, n);
  const FwResult r = checked_run(img, req, instructions);
  return as_i8(r.out);
}


std::vector<int8_t> run_avgpool(const tsr::ref::QTensor& in, const tsr::ref::PoolParams& p, uint64_t* instructions) {
  const FwImage img(firmware_path("fw_avgpool"));
  EscapeRequest req(TSR_ESC_FN_AVGPOOL, img.io_addr(), img.io_size());
  const auto& s = in.shape;
  const uint32_t n_out = static_cast<uint32_t>(s.n * p.window.out_h * p.window.out_w * s.c);
  req.arg(TSR_POOL_IN, req.put_vec(in.data));
  const uint32_t a_out = req.reserve(n_out);
  req.arg(TSR_POOL_OUT, a_out);
  req.arg(TSR_POOL_N, s.n);
  req.arg(TSR_POOL_H, s.h);
  req.arg(TSR_POOL_W, s.w);
  req.arg(TSR_POOL_C, s.c);
  req.arg(TSR_POOL_FILTER_H, p.filter_h);
  req.arg(TSR_POOL_FILTER_W, p.filter_w);
  req.arg(TSR_POOL_STRIDE_H, p.window.stride_h);
  req.arg(TSR_POOL_STRIDE_W, p.window.stride_w);
  req.arg(TSR_POOL_PAD_TOP, p.window.pad_top);
  req.arg(TSR_POOL_PAD_LEFT, p.window.pad_left);
  req.arg(TSR_POOL_OUT_H, p.window.out_h);
  req.arg(TSR_POOL_OUT_W, p.window.out_w);
  req.arg(TSR_POOL_ACT_MIN, p.act_min);
  req.arg(TSR_POOL_ACT_MAX, p.act_max);
  req.output(a_out, n_out);
  const FwResult r = checked_run(img, req, instructions);
  return as_i8(r.out);
}


std::vector<tsr::ref::NmsSelection> run_nms(const std::vector<int32_t>& boxes,
                                            const std::vector<int32_t>& scores, int batches,
                                            int classes, int n, const tsr::ref::NmsParams& p, uint64_t* instructions) {
  const FwImage img(firmware_path("fw_nms"));
  EscapeRequest req(TSR_ESC_FN_NMS, img.io_addr(), img.io_size());
  const uint32_t cap = static_cast<uint32_t>(batches * classes * n);
  req.arg(TSR_NMS_BOXES, req.put_vec(boxes));
  req.arg(TSR_NMS_SCORES, req.put_vec(scores));
  const uint32_t a_out = req.reserve(4 + cap * 12);
  req.arg(TSR_NMS_OUT, a_out);
  req.arg(TSR_NMS_BATCHES, static_cast<uint32_t>(batches));
  req.arg(TSR_NMS_CLASSES, static_cast<uint32_t>(classes));
  req.arg(TSR_NMS_N, static_cast<uint32_t>(n));
  req.arg(TSR_NMS_CENTER_POINT_BOX, static_cast<uint32_t>(p.center_point_box));
  req.arg(TSR_NMS_MAX_PER_CLASS,
          static_cast<uint32_t>(std::clamp<int64_t>(p.max_output_per_class, 0, 0x7FFFFFFF)));
  req.arg(TSR_NMS_IOU_Q16, p.iou_threshold_q16);
  req.arg(TSR_NMS_HAS_SCORE_THR, p.has_score_threshold ? 1U : 0U);
  req.arg(TSR_NMS_SCORE_THR, p.score_threshold);
  req.arg(TSR_NMS_OUT_CAPACITY, cap);
  req.arg(TSR_NMS_SCRATCH, req.reserve(static_cast<uint32_t>(8 * n + 8)));
  req.output(a_out, 4 + cap * 12);
  const FwResult r = checked_run(img, req, instructions);
  std::vector<tsr::ref::NmsSelection> sel;
  const int32_t count = read_i32(r.out, 0);
  for (int32_t i = 0; i < count; ++i) {
    sel.push_back({read_i32(r.out, 1 + i * 3), read_i32(r.out, 2 + i * 3),
                   read_i32(r.out, 3 + i * 3)});
  }
  return sel;
}


// The golden model's tables in the firmware's layout (tsr_kws_tables_t).
tsr_kws_tables_t pack_kws_tables(const tsr::ref::KwsTables& t) {
  tsr_kws_tables_t p{};
  p.fb_start = t.fb_start;
  p.fb_end = t.fb_end;
  p.nr_smoothing_bits = t.nr_smoothing_bits;
  p.nr_even_smoothing = t.nr_even_smoothing;
  p.nr_odd_smoothing = t.nr_odd_smoothing;
  p.nr_min_signal_remaining = t.nr_min_signal_remaining;
  p.pcan_snr_shift = t.pcan_snr_shift;
  p.log_scale_shift = t.log_scale_shift;
  p.log_correction_bits = t.correction_bits;
  std::copy(t.window.begin(), t.window.end(), p.window);
  for (size_t i = 0; i < t.twiddle.size(); ++i) {
    p.twiddle[i][0] = t.twiddle[i][0];
    p.twiddle[i][1] = t.twiddle[i][1];
  }
  for (size_t i = 0; i < t.super_twiddle.size(); ++i) {
    p.super_twiddle[i][0] = t.super_twiddle[i][0];
    p.super_twiddle[i][1] = t.super_twiddle[i][1];
  }
  for (int b = 0; b < tsr::ref::kKwsBins; ++b) {
    p.fb_weight[b] = t.fb_weight[b];
    p.fb_unweight[b] = t.fb_unweight[b];
    p.fb_range[b] = t.fb_range[b] < 0 ? TSR_KWS_NO_CHANNEL : static_cast<uint8_t>(t.fb_range[b]);
  }
  std::copy(t.pcan_lut.begin(), t.pcan_lut.end(), p.pcan_lut);
  std::copy(t.log_lut.begin(), t.log_lut.end(), p.log_lut);
  return p;
}


KwsRun run_kws(const tsr::ref::KwsTables& t, const std::vector<int16_t>& samples,
               uint64_t* instructions, tsr_kws_state_t* state) {
  const FwImage img(firmware_path("fw_kws"));
  EscapeRequest req(TSR_ESC_FN_KWS, img.io_addr(), img.io_size());
  const tsr_kws_tables_t packed = pack_kws_tables(t);
  const tsr_kws_state_t st_in = state != nullptr ? *state : tsr_kws_state_t{};
  const uint32_t max_frames = static_cast<uint32_t>(samples.size() / TSR_KWS_STEP + 1);
  req.arg(TSR_KWS_TABLES, req.put({reinterpret_cast<const uint8_t*>(&packed), sizeof packed}));
  req.arg(TSR_KWS_SAMPLES, req.put_vec(samples));
  req.arg(TSR_KWS_NUM_SAMPLES, static_cast<uint32_t>(samples.size()));
  // One output block, dumped after the call: frame count, the streaming state (the op updates it
  // in place), int8 features, uint16 values.
  const uint32_t st_size = sizeof(tsr_kws_state_t);
  const uint32_t n = max_frames * TSR_KWS_CHANNELS;
  const uint32_t out_len = 4 + st_size + n * 3;
  const uint32_t a_out = req.put(std::vector<uint8_t>(out_len, 0));
  EscapeRequest::Patch st_bytes{reinterpret_cast<const uint8_t*>(&st_in), st_size};
  req.write(a_out + 4, st_bytes);
  req.arg(TSR_KWS_OUT_FRAMES, a_out);
  req.arg(TSR_KWS_STATE, a_out + 4);
  req.arg(TSR_KWS_OUT, a_out + 4 + st_size);
  req.arg(TSR_KWS_OUT_U16, a_out + 4 + st_size + n);
  req.arg(TSR_KWS_MAX_FRAMES, max_frames);
  req.output(a_out, out_len);
  const FwResult r = checked_run(img, req, instructions);
  KwsRun k;
  const auto frames = static_cast<uint32_t>(read_i32(r.out, 0));
  if (state != nullptr) std::memcpy(state, r.out.data() + 4, st_size);
  for (uint32_t i = 0; i < frames * TSR_KWS_CHANNELS; ++i) {
    k.features.push_back(static_cast<int8_t>(r.out[4 + st_size + i]));
    const size_t o = 4 + st_size + n + 2 * i;
    k.raw.push_back(static_cast<uint16_t>(r.out[o] | (r.out[o + 1] << 8)));
  }
  return k;
}

KwsRun run_kws_stream(const tsr::ref::KwsTables& t, const std::vector<int16_t>& samples,
                      const std::vector<size_t>& chunks) {
  tsr_kws_state_t state{};
  KwsRun all;
  size_t pos = 0;
  for (const size_t n : chunks) {
    if (pos + n > samples.size()) fail("run_kws_stream: chunks run past the {} samples", samples.size());
    const std::vector<int16_t> part(samples.begin() + static_cast<std::ptrdiff_t>(pos),
                                    samples.begin() + static_cast<std::ptrdiff_t>(pos + n));
    const KwsRun r = run_kws(t, part, nullptr, &state);
    all.features.insert(all.features.end(), r.features.begin(), r.features.end());
    all.raw.insert(all.raw.end(), r.raw.begin(), r.raw.end());
    pos += n;
  }
  if (pos != samples.size()) fail("run_kws_stream: chunks cover {} of {} samples", pos, samples.size());
  return all;
}

}  // namespace tsr::fw

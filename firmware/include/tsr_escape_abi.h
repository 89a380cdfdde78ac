/* The escape-op request ABI: how a caller (the accelerator's ESCAPE command, or a test that writes
 * the block into the firmware image) names an op and hands it its arguments. Plain C, included by
 * the firmware and by the host (tests, golden models, the driver): the one definition of the
 * function ids, the argument slots and the status codes.
 *
 * A request is a block of little-endian 32-bit words:
 *   word 0  magic     TSR_ESC_MAGIC
 *   word 1  func      TSR_ESC_FN_*
 *   word 2  status    written by the firmware: TSR_ESC_OK or a TSR_ESC_ERR_* code
 *   word 3  out_addr  first byte of the op's result (the test prints it as hex)
 *   word 4  out_len   its length in bytes
 *   word 5  flags     TSR_ESC_FLAG_*
 *   word 6..          arg[0 .. TSR_ESC_MAX_ARGS-1], the op's arguments (slots below)
 * Addresses are core addresses (DMEM, or the scratchpad window). An ESCAPE command carries the
 * function id and, in argument word 0, the address of the arg[] words. Every tensor is row-major (NHWC
 * for images). */
#ifndef TSR_ESCAPE_ABI_H
#define TSR_ESCAPE_ABI_H

#include <stdint.h>

#define TSR_ESC_MAGIC 0x43534554u /* "TESC" */
#define TSR_ESC_MAX_ARGS 24
#define TSR_ESC_HEADER_WORDS 6

/* Request flags. */
#define TSR_ESC_FLAG_COUNTERS 1u /* report the call's cycles and instructions (tessera core only) */

/* Function ids. */
#define TSR_ESC_FN_SOFTMAX 1u
#define TSR_ESC_FN_TOPK 2u
#define TSR_ESC_FN_ADD 3u
#define TSR_ESC_FN_AVGPOOL 4u
#define TSR_ESC_FN_NMS 5u
#define TSR_ESC_FN_KWS 6u
#define TSR_ESC_FN_RUN 7u

/* Status codes (also the program's exit code). */
#define TSR_ESC_OK 0u
#define TSR_ESC_ERR_MAGIC 1u   /* word 0 is not TSR_ESC_MAGIC */
#define TSR_ESC_ERR_FUNC 2u    /* unknown (or not linked) function id */
#define TSR_ESC_ERR_ARG 3u     /* an argument is out of range */

/* SOFTMAX (TFLite int8 reference softmax, int8 in -> int8 out with scale 1/256, zero point -128).
 *   in[rows][depth] int8, out[rows][depth] int8. beta_multiplier / beta_left_shift / diff_min as
 *   TFLite's Prepare computes them (PreprocessSoftmaxScaling with 5 integer bits). */
#define TSR_SOFTMAX_IN 0
#define TSR_SOFTMAX_OUT 1
#define TSR_SOFTMAX_ROWS 2
#define TSR_SOFTMAX_DEPTH 3
#define TSR_SOFTMAX_BETA_MULT 4
#define TSR_SOFTMAX_BETA_SHIFT 5
#define TSR_SOFTMAX_DIFF_MIN 6 /* negative, as an int32 */

/* TOPK (argmax is k = 1): per row of in[rows][n] int8, the k largest values in descending order,
 * ties broken by the lower index. out_idx[rows][k] int32, out_val[rows][k] int8. 1 <= k <= n. */
#define TSR_TOPK_IN 0
#define TSR_TOPK_ROWS 1
#define TSR_TOPK_N 2
#define TSR_TOPK_K 3
#define TSR_TOPK_OUT_IDX 4
#define TSR_TOPK_OUT_VAL 5

/* ADD (TFLite int8 ADD, general rescaling path, same shapes):
 *   x_i = (in_i - zp_i) << left_shift; s_i = MBQM(x_i, m_i, sh_i);
 *   out = clamp(MBQM(s_1 + s_2, m_out, sh_out) + zp_out, act_min, act_max).
 * Shifts are signed int32 (<= 0 for these multipliers below one). */
#define TSR_ADD_IN1 0
#define TSR_ADD_IN2 1
#define TSR_ADD_OUT 2
#define TSR_ADD_COUNT 3
#define TSR_ADD_ZP1 4
#define TSR_ADD_ZP2 5
#define TSR_ADD_LEFT_SHIFT 6
#define TSR_ADD_MULT1 7
#define TSR_ADD_SHIFT1 8
#define TSR_ADD_MULT2 9
#define TSR_ADD_SHIFT2 10
#define TSR_ADD_MULT_OUT 11
#define TSR_ADD_SHIFT_OUT 12
#define TSR_ADD_ZP_OUT 13
#define TSR_ADD_ACT_MIN 14
#define TSR_ADD_ACT_MAX 15

/* AVGPOOL (TFLite int8 AveragePool2D): in[n][h][w][c] -> out[n][out_h][out_w][c]; window origin
 * oy * stride_h - pad_top (taps outside the input are skipped); mean of the in-bounds taps rounded
 * half away from zero; clamp to [act_min, act_max]. */
#define TSR_POOL_IN 0
#define TSR_POOL_OUT 1
#define TSR_POOL_N 2
#define TSR_POOL_H 3
#define TSR_POOL_W 4
#define TSR_POOL_C 5
#define TSR_POOL_FILTER_H 6
#define TSR_POOL_FILTER_W 7
#define TSR_POOL_STRIDE_H 8
#define TSR_POOL_STRIDE_W 9
#define TSR_POOL_PAD_TOP 10
#define TSR_POOL_PAD_LEFT 11
#define TSR_POOL_OUT_H 12
#define TSR_POOL_OUT_W 13
#define TSR_POOL_ACT_MIN 14
#define TSR_POOL_ACT_MAX 15

/* NMS (ONNX NonMaxSuppression, integer coordinates):
 *   boxes[batches][n][4] int32, scores[batches][classes][n] int32 (any fixed-point scale; only
 *   their order and the comparison with score_threshold matter), box coordinates int32 in any
 *   common unit with |value| <= 2^19 (IoU is scale free), center_point_box 0 ([y1, x1, y2, x2], any
 *   two opposite corners) or 1 ([x_center, y_center, width, height]).
 *   iou_threshold in Q0.16 (0..65536 = 0.0..1.0): a box is suppressed when IoU > threshold.
 *   score filter (if has_score_threshold): keep score > score_threshold.
 *   out: word 0 = number of selected triples, then [count][3] int32 (batch, class, box) in ONNX
 *   order (batch, class, then selection order); at most out_capacity triples.
 *   scratch: 8 * n bytes of work space. */
#define TSR_NMS_BOXES 0
#define TSR_NMS_SCORES 1
#define TSR_NMS_OUT 2
#define TSR_NMS_BATCHES 3
#define TSR_NMS_CLASSES 4
#define TSR_NMS_N 5
#define TSR_NMS_CENTER_POINT_BOX 6
#define TSR_NMS_MAX_PER_CLASS 7
#define TSR_NMS_IOU_Q16 8
#define TSR_NMS_HAS_SCORE_THR 9
#define TSR_NMS_SCORE_THR 10
#define TSR_NMS_OUT_CAPACITY 11
#define TSR_NMS_SCRATCH 12

#define TSR_NMS_COORD_LIMIT (1 << 19)

/* KWS (keyword-spotting audio front end, TFLite-Micro micro_frontend semantics as configured by
 * micro_speech: 16 kHz, 30 ms Hann window (Q12) every 20 ms, 512-point fixed-point real FFT
 * (kissfft int16 arithmetic), 40-channel mel filterbank 125..7500 Hz with square root, noise
 * reduction, PCAN gain control, log scale; then micro_speech's int8 feature:
 * clamp((v * 256 + 333) / 666 - 128)).
 *   tables: a tsr_kws_tables_t (computed on the host: every float step of the front end's setup)
 *   state:  a tsr_kws_state_t, zeroed before the first call, kept between calls (streaming)
 *   samples[num_samples] int16; every completed window produces one frame of 40 features:
 *   out[frames][40] int8, out_u16[frames][40] uint16 (the front end's output; 0 = not wanted);
 *   out_frames receives the number of frames produced; at most max_frames. */
#define TSR_KWS_TABLES 0
#define TSR_KWS_STATE 1
#define TSR_KWS_SAMPLES 2
#define TSR_KWS_NUM_SAMPLES 3
#define TSR_KWS_OUT 4
#define TSR_KWS_OUT_U16 5
#define TSR_KWS_MAX_FRAMES 6
#define TSR_KWS_OUT_FRAMES 7

/* RUN (the core pushes accelerator commands; tessera accelerator only, not under qemu):
 *   cmds: core address of count commands of 8 little-endian words each (the words the host
 *   writes to CMD_DATA0..7), e.g. in DMEM or in the scratchpad window (contiguous only when
 *   TSR_SPAD_ROW_STRIDE == TSR_SPAD_ROW_BYTES). Each is pushed through the core's CMD_DATA0..7 +
 *   CMD_PUSH after a free core-queue entry shows in CORE_STATUS bits 15:8; then the op waits for
 *   CORE_STATUS bit 3 (queue empty, every unit idle) and returns TSR_ESC_OK. The commands carry
 *   their own dependency tokens or FENCEs. A pushed ESCAPE or a failing command ends the ESCAPE
 *   with that error (reported with the ESCAPE's index). count > TSR_RUN_MAX_COMMANDS: bad argument. */
#define TSR_RUN_CMDS 0
#define TSR_RUN_COUNT 1
#define TSR_RUN_MAX_COMMANDS 65536u

#define TSR_KWS_WINDOW 480
#define TSR_KWS_STEP 320
#define TSR_KWS_FFT 512
#define TSR_KWS_CHANNELS 40
#define TSR_KWS_BINS 257      /* TSR_KWS_FFT / 2 + 1 */
#define TSR_KWS_PCAN_LUT 128  /* 125 used (4 * 32 - 3) */
#define TSR_KWS_LOG_LUT 130   /* 129 segment ends + 1 */
#define TSR_KWS_NO_CHANNEL 0xFFu

/* Only fixed-width fields, 4-byte scalars first: the same layout on the host and on RV32. */
typedef struct {
  int32_t fb_start;              /* first FFT bin the filterbank reads */
  int32_t fb_end;                /* one past the last */
  uint32_t nr_smoothing_bits;    /* noise reduction */
  uint32_t nr_even_smoothing;    /* Q14 */
  uint32_t nr_odd_smoothing;     /* Q14 */
  uint32_t nr_min_signal_remaining; /* Q14 */
  int32_t pcan_snr_shift;
  int32_t log_scale_shift;
  int32_t log_correction_bits;   /* also PCAN's input correction */
  int16_t window[TSR_KWS_WINDOW];            /* Hann, Q12 */
  int16_t twiddle[TSR_KWS_FFT / 2][2];        /* kissfft: round(32767 * e^{-2 pi i k / 256}) */
  int16_t super_twiddle[TSR_KWS_FFT / 4][2];  /* kissfft real-FFT split twiddles */
  int16_t fb_weight[TSR_KWS_BINS];            /* Q12 weight of a bin in its channel range */
  int16_t fb_unweight[TSR_KWS_BINS];          /* Q12 weight in the range below */
  int16_t pcan_lut[TSR_KWS_PCAN_LUT];         /* PCAN's piecewise-quadratic gain table */
  uint16_t log_lut[TSR_KWS_LOG_LUT];          /* log2(1 + x) - x in Q16 at 128 segments */
  uint8_t fb_range[TSR_KWS_BINS];             /* range index 0..40 of a bin, or NO_CHANNEL */
  uint8_t pad[3];
} tsr_kws_tables_t;

typedef struct {
  uint32_t input_used;                    /* samples held in `input` */
  uint32_t noise_estimate[TSR_KWS_CHANNELS];
  int16_t input[TSR_KWS_WINDOW];          /* the window's input samples */
} tsr_kws_state_t;

#endif /* TSR_ESCAPE_ABI_H */

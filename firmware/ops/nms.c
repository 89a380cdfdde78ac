/* ONNX NonMaxSuppression on integer boxes and scores (number format in tsr_escape_abi.h).
 * Per batch and class: candidates (score > threshold when given) in descending score order,
 * equal scores by ascending box index; a candidate is kept unless its IoU with a box already kept
 * for this class exceeds the threshold; at most max_per_class kept.
 * Boxes are compared as doubled corner coordinates (2*y1 <= 2*y2 ...; the centre format becomes
 * 2*xc -/+ w), so both formats are exact in integers. IoU > t is evaluated as
 * intersection * 2^16 > t_q16 * union in 64 bits. */
#include "tsr_escape_abi.h"
#include "tsr_ops.h"

typedef struct {
  int32_t y1, x1, y2, x2;
} corners_t;

static corners_t load_box(const int32_t* b, uint32_t center) {
  corners_t r;
  if (center) {
    r.x1 = 2 * b[0] - b[2];
    r.x2 = 2 * b[0] + b[2];
    r.y1 = 2 * b[1] - b[3];
    r.y2 = 2 * b[1] + b[3];
  } else {
    r.y1 = 2 * (b[0] < b[2] ? b[0] : b[2]);
    r.y2 = 2 * (b[0] < b[2] ? b[2] : b[0]);
    r.x1 = 2 * (b[1] < b[3] ? b[1] : b[3]);
    r.x2 = 2 * (b[1] < b[3] ? b[3] : b[1]);
  }
  return r;
}

static int overlaps_too_much(corners_t a, corners_t b, uint32_t iou_q16) {
  const int64_t area_a = (int64_t)(a.x2 - a.x1) * (a.y2 - a.y1);
  const int64_t area_b = (int64_t)(b.x2 - b.x1) * (b.y2 - b.y1);
  if (area_a <= 0 || area_b <= 0) return 0;
  const int32_t ix = (a.x2 < b.x2 ? a.x2 : b.x2) - (a.x1 > b.x1 ? a.x1 : b.x1);
  const int32_t iy = (a.y2 < b.y2 ? a.y2 : b.y2) - (a.y1 > b.y1 ? a.y1 : b.y1);
  if (ix <= 0 || iy <= 0) return 0;
  const int64_t inter = (int64_t)ix * iy;
  const int64_t uni = area_a + area_b - inter;
  if (uni <= 0) return 0;
  return inter * 65536 > (int64_t)iou_q16 * uni;
}

uint32_t tsr_op_nms(const volatile uint32_t* args) {
  const int32_t* boxes = (const int32_t*)(uintptr_t)args[TSR_NMS_BOXES];
  const int32_t* scores = (const int32_t*)(uintptr_t)args[TSR_NMS_SCORES];
  int32_t* out = (int32_t*)(uintptr_t)args[TSR_NMS_OUT];
  const uint32_t batches = args[TSR_NMS_BATCHES];
  const uint32_t classes = args[TSR_NMS_CLASSES];
  const uint32_t n = args[TSR_NMS_N];
  const uint32_t center = args[TSR_NMS_CENTER_POINT_BOX];
  const uint32_t max_per_class = args[TSR_NMS_MAX_PER_CLASS];
  const uint32_t iou_q16 = args[TSR_NMS_IOU_Q16];
  const uint32_t has_thr = args[TSR_NMS_HAS_SCORE_THR];
  const int32_t thr = (int32_t)args[TSR_NMS_SCORE_THR];
  const uint32_t capacity = args[TSR_NMS_OUT_CAPACITY];
  uint32_t* order = (uint32_t*)(uintptr_t)args[TSR_NMS_SCRATCH]; /* n candidates */
  uint32_t* kept = order + n;                                      /* n kept boxes */
  if (center > 1 || iou_q16 > 65536) return TSR_ESC_ERR_ARG;

  uint32_t count = 0;
  for (uint32_t b = 0; b < batches; ++b) {
    const int32_t* bb = boxes + b * n * 4;
    for (uint32_t i = 0; i < n * 4; ++i) {
      if (bb[i] > TSR_NMS_COORD_LIMIT || bb[i] < -TSR_NMS_COORD_LIMIT) return TSR_ESC_ERR_ARG;
    }
    for (uint32_t c = 0; c < classes; ++c) {
      const int32_t* sc = scores + (b * classes + c) * n;
      /* Insertion sort of the candidates: descending score, ascending index on ties. */
      uint32_t m = 0;
      for (uint32_t i = 0; i < n; ++i) {
        if (has_thr && !(sc[i] > thr)) continue;
        uint32_t p = m++;
        while (p > 0 && sc[order[p - 1]] < sc[i]) {
          order[p] = order[p - 1];
          --p;
        }
        order[p] = i;
      }
      uint32_t nk = 0;
      for (uint32_t j = 0; j < m && nk < max_per_class; ++j) {
        const corners_t cand = load_box(bb + order[j] * 4, center);
        int keep = 1;
        for (uint32_t q = 0; q < nk && keep; ++q) {
          if (overlaps_too_much(load_box(bb + kept[q] * 4, center), cand, iou_q16)) keep = 0;
        }
        if (!keep) continue;
        kept[nk++] = order[j];
        if (count >= capacity) return TSR_ESC_ERR_ARG;
        out[1 + count * 3 + 0] = (int32_t)b;
        out[1 + count * 3 + 1] = (int32_t)c;
        out[1 + count * 3 + 2] = (int32_t)order[j];
        ++count;
      }
    }
  }
  out[0] = (int32_t)count;
  return TSR_ESC_OK;
}

#include "tessera/skip/model.h"

#include <algorithm>

#include "tessera/error.h"

namespace tsr::skip {

std::vector<uint8_t> row_steps(std::span<const uint8_t> nz, int pixels, int rows, int depth,
                               bool skip) {
  if (nz.size() != static_cast<size_t>(pixels) * rows * depth) {
    fail("row_steps: {} flags for {} pixels of {} lanes", nz.size(), pixels, rows * depth);
  }
  std::vector<uint8_t> s(static_cast<size_t>(pixels) * rows);
  for (int p = 0; p < pixels; ++p) {
    for (int r = 0; r < rows; ++r) {
      int n = 0;
      for (int j = 0; j < depth; ++j) n += nz[static_cast<size_t>(p) * rows * depth + j * rows + r] != 0;
      s[static_cast<size_t>(p) * rows + r] = static_cast<uint8_t>(skip ? std::max(1, n) : depth);
    }
  }
  return s;
}

uint64_t elastic_cycles(const ElasticParams& p, std::span<const uint8_t> steps, int pixels) {
  return elastic_run(p, steps, pixels).cycles;
}

ElasticCount elastic_run(const ElasticParams& p, std::span<const uint8_t> steps, int pixels) {
  const int R = p.rows;
  if (R < 1 || p.depth < 1 || p.psum_fifo < 1 || p.row_fifo < 1) fail("elastic_cycles: bad parameters");
  if (steps.size() != static_cast<size_t>(pixels) * R) fail("elastic_cycles: {} step counts for {} pixels", steps.size(), pixels);
  if (pixels == 0) return {};
  // Registered state, as in tsr_ws_skip_ctrl.
  std::vector<int> head(R, 0);     // next pixel of row r (its FIFO head when count > 0)
  std::vector<int> count(R, 0);    // input FIFO occupancy
  std::vector<int> done(R, 0);     // steps issued for the head pixel
  std::vector<int> slots(R, 0), ready(R, 0);
  std::vector<char> issue(R), first(R), last(R);
  int accepted = 0;
  uint64_t cycle = 0;
  bool started = false;
  uint64_t start = 0, active = 0;
  for (;;) {
    for (int r = 0; r < R; ++r) {
      issue[r] = 0;
      if (count[r] == 0) continue;
      const int need = steps[static_cast<size_t>(head[r]) * R + r];
      first[r] = done[r] == 0;
      last[r] = done[r] + 1 >= need;
      const bool up_ok = r == 0 || ready[r - 1] > 0;
      const bool slot_ok = r == R - 1 || slots[r] < p.psum_fifo;
      issue[r] = !first[r] || (up_ok && slot_ok);
    }
    bool accept = accepted < pixels;
    for (int r = 0; r < R && accept; ++r) accept = count[r] < p.row_fifo;
    if (accept && !started) {
      started = true;
      start = cycle;
    }
    const bool finish = issue[R - 1] && last[R - 1] && head[R - 1] == pixels - 1;
    active += std::find(issue.begin(), issue.end(), 1) != issue.end();
    // Update.
    for (int r = 0; r < R; ++r) {
      const bool take = r + 1 < R && issue[r + 1] && first[r + 1];
      if (r + 1 < R) {
        slots[r] += (issue[r] && first[r]) - take;
        ready[r] += (issue[r] && last[r]) - take;
      }
      if (issue[r]) {
        if (last[r]) {
          done[r] = 0;
          ++head[r];
          --count[r];
        } else {
          ++done[r];
        }
      }
      if (accept) ++count[r];
    }
    if (accept) ++accepted;
    if (finish) return {cycle - start + 1, active};
    ++cycle;
  }
}

uint64_t dense_cycles(int pixels, int depth) { return static_cast<uint64_t>(pixels) * depth; }

uint64_t vector_skip_cycles(std::span<const uint8_t> nz, int pixels, int rows, int depth) {
  uint64_t n = 0;
  for (int p = 0; p < pixels; ++p) {
    for (int j = 0; j < depth; ++j) {
      bool any = false;
      for (int r = 0; r < rows; ++r) any |= nz[static_cast<size_t>(p) * rows * depth + j * rows + r] != 0;
      n += any;
    }
  }
  return n;
}

uint64_t sync_cycles(std::span<const uint8_t> steps, int pixels, int rows) {
  uint64_t n = 0;
  for (int p = 0; p < pixels; ++p) {
    int m = 0;
    for (int r = 0; r < rows; ++r) m = std::max<int>(m, steps[static_cast<size_t>(p) * rows + r]);
    n += m;
  }
  return n;
}

}  // namespace tsr::skip

#include "tessera/sim/gemm_runner.h"

#include <deque>
#include <random>

#include "tessera/error.h"
#include "tessera/ref/gemm.h"

namespace tsr::sim {

namespace {

int ceil_div(int a, int b) { return (a + b - 1) / b; }

}  // namespace

uint64_t scalesim_cycles(const VariantInfo& v, int m, int n, int k) {
  const uint64_t R = v.rows, C = v.cols;
  if (!v.output_stationary) {
    const uint64_t folds = static_cast<uint64_t>(ceil_div(k, v.rows)) * ceil_div(n, v.cols);
    return folds * (2 * R + C + m - 2);
  }
  const uint64_t folds = static_cast<uint64_t>(ceil_div(m, v.rows)) * ceil_div(n, v.cols);
  return folds * (R + C + k - 2);
}

GemmPlan plan_gemm(const VariantInfo& v, std::span<const int8_t> a, std::span<const int8_t> b, int m,
                   int n, int k, int8_t a_zp) {
  const int R = v.rows, C = v.cols;
  if (m < 1 || n < 1 || k < 1) fail("plan_gemm: shape {}x{}x{} must be at least 1x1x1", m, n, k);
  if (a.size() != static_cast<size_t>(m) * k || b.size() != static_cast<size_t>(k) * n) {
    fail("plan_gemm: operand sizes {} and {} do not match {}x{}x{}", a.size(), b.size(), m, n, k);
  }
  auto A = [&](int i, int x) -> int8_t { return (i < m && x < k) ? a[i * k + x] : a_zp; };
  auto B = [&](int x, int j) -> int8_t { return (x < k && j < n) ? b[x * n + j] : int8_t{0}; };
  GemmPlan p;
  if (a_zp != 0 && v.skip_depth == 0) {
    fail("plan_gemm: variant {} is dense; an activation zero point needs a skip variant", v.name);
  }
  if (v.skip_depth > 0) {
    const int D = v.skip_depth, KT = D * R;
    for (int n0 = 0; n0 < n; n0 += C) {
      for (int k0 = 0; k0 < k; k0 += KT) {
        ++p.tiles;
        for (int t = 0; t < KT; ++t) {
          const int q = KT - 1 - t, r = q / D, j = q % D;
          GemmBeat w;
          for (int c = 0; c < C; ++c) w.lanes.push_back(B(k0 + j * R + r, n0 + c));
          p.b.push_back(std::move(w));
        }
        for (int i = 0; i < m; ++i) {
          GemmBeat x;
          for (int l = 0; l < KT; ++l) x.lanes.push_back(A(i, k0 + l));
          x.last = (i == m - 1);
          p.a.push_back(std::move(x));
          p.slots.push_back({i, n0, k0 > 0});
        }
      }
    }
  } else if (!v.output_stationary) {
    // Weight-stationary: a tile is R rows of K by C columns of N; every row of A streams through.
    for (int n0 = 0; n0 < n; n0 += C) {
      for (int k0 = 0; k0 < k; k0 += R) {
        ++p.tiles;
        for (int i = R - 1; i >= 0; --i) {  // the first beat ends up in the bottom row
          GemmBeat w;
          for (int c = 0; c < C; ++c) w.lanes.push_back(B(k0 + i, n0 + c));
          p.b.push_back(std::move(w));
        }
        for (int i = 0; i < m; ++i) {
          GemmBeat x;
          for (int r = 0; r < R; ++r) x.lanes.push_back(A(i, k0 + r));
          x.last = (i == m - 1);
          p.a.push_back(std::move(x));
          p.slots.push_back({i, n0, k0 > 0});
        }
      }
    }
  } else {
    // Output-stationary: a tile is R rows of M by C columns of N; K steps each; results leave
    // the bottom row first.
    for (int m0 = 0; m0 < m; m0 += R) {
      for (int n0 = 0; n0 < n; n0 += C) {
        ++p.tiles;
        for (int x = 0; x < k; ++x) {
          GemmBeat s, t;
          for (int r = 0; r < R; ++r) s.lanes.push_back(A(m0 + r, x));
          for (int c = 0; c < C; ++c) t.lanes.push_back(B(x, n0 + c));
          s.last = (x == k - 1);
          p.a.push_back(std::move(s));
          p.b.push_back(std::move(t));
        }
        for (int r = R - 1; r >= 0; --r) p.slots.push_back({m0 + r, n0, false});
      }
    }
  }

  return p;
}

void place_result(std::span<int32_t> c, int m, int n, const ResultSlot& s,
                  std::span<const int32_t> lanes) {
  if (s.row >= m) return;
  for (size_t j = 0; j < lanes.size() && s.col0 + static_cast<int>(j) < n; ++j) {
    int32_t& dst = c[static_cast<size_t>(s.row) * n + s.col0 + j];
    dst = s.accumulate ? ref::wrap_add(dst, lanes[j]) : lanes[j];
  }
}

std::vector<int32_t> run_gemm(ArraySim& sim, std::span<const int8_t> a, std::span<const int8_t> b,
                              int m, int n, int k, const GemmOptions& opt, GemmStats* stats) {
  const VariantInfo& v = sim.info();
  const int R = v.rows, C = v.cols;
  const GemmPlan plan = plan_gemm(v, a, b, m, n, k, opt.a_zp);
  if (v.skip_depth > 0) sim.set_skip(opt.skip, opt.a_zp);
  const SkipCounters cnt0 = sim.skip_counters();
  std::deque<GemmBeat> aq(plan.a.begin(), plan.a.end()), bq(plan.b.begin(), plan.b.end());
  std::deque<ResultSlot> slots(plan.slots.begin(), plan.slots.end());
  const uint64_t tiles = plan.tiles;
  const uint64_t total_a = aq.size(), total_b = bq.size(), total_c = slots.size();
  const uint64_t bound = opt.max_cycles ? opt.max_cycles
                                        : 64 + 8 * std::max(1, v.skip_depth) *
                                                   (total_a + total_b + total_c + (uint64_t)tiles * (R + C)) *
                                                   (100 / std::max(1, std::min(opt.c_ready_percent, opt.in_valid_percent)) + 1);
  std::mt19937_64 rng(opt.seed);
  std::uniform_int_distribution<int> pct(0, 99);

  std::vector<int32_t> out(static_cast<size_t>(m) * n, 0);
  std::vector<int32_t> lanes(C);
  const std::vector<int8_t> zero_a(v.a_lanes(), 0), zero_b(C, 0);
  const uint64_t start = sim.cycle();
  uint64_t got = 0;
  while (got < total_c) {
    if (sim.cycle() - start > bound) {
      fail("variant {}: GEMM {}x{}x{} did not finish in {} cycles: {} of {} A beats and {} of {} B "
           "beats accepted, {} of {} results out (array stuck: a_ready={} b_ready={} c_valid={})",
           v.name, m, n, k, bound, total_a - aq.size(), total_a, total_b - bq.size(), total_b, got,
           total_c, sim.a_ready(), sim.b_ready(), sim.c_valid());
    }
    const bool offer_a = !aq.empty() && (opt.in_valid_percent >= 100 || pct(rng) < opt.in_valid_percent);
    const bool offer_b = !bq.empty() && (opt.in_valid_percent >= 100 || pct(rng) < opt.in_valid_percent);
    const bool ready_c = opt.c_ready_percent >= 100 || pct(rng) < opt.c_ready_percent;
    sim.set_a(offer_a, offer_a && aq.front().last, offer_a ? aq.front().lanes : zero_a);
    sim.set_b(offer_b, offer_b ? bq.front().lanes : zero_b);
    sim.set_c_ready(ready_c);
    sim.settle();
    const bool fire_a = offer_a && sim.a_ready();
    const bool fire_b = offer_b && sim.b_ready();
    if (ready_c && sim.c_valid()) {
      if (slots.empty()) fail("variant {}: the array produced more results than expected", v.name);
      sim.c_data(lanes);
      place_result(out, m, n, slots.front(), lanes);
      slots.pop_front();
      ++got;
    }
    sim.tick();
    if (fire_a) aq.pop_front();
    if (fire_b) bq.pop_front();
  }
  // Leave the inputs idle.
  sim.set_a(false, false, zero_a);
  sim.set_b(false, zero_b);
  sim.set_c_ready(true);
  if (stats) {
    stats->cycles = sim.cycle() - start;
    stats->a_beats = total_a;
    stats->b_beats = total_b;
    stats->c_beats = total_c;
    stats->tiles = tiles;
    const SkipCounters cnt1 = sim.skip_counters();
    stats->counters.skipped = cnt1.skipped - cnt0.skipped;
    stats->counters.gated = cnt1.gated - cnt0.gated;
    stats->counters.active = cnt1.active - cnt0.active;
  }
  return out;
}

}  // namespace tsr::sim

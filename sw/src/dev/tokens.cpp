// Dependency-token insertion (see insert_tokens in tessera/dev/program.h).
#include <algorithm>
#include <array>
#include <limits>

#include "tessera/dev/program.h"
#include "tessera/error.h"

namespace tsr::dev {

namespace {

using Clock = std::array<uint32_t, 3>;

Clock join(const Clock& a, const Clock& b) {
  return {std::max(a[0], b[0]), std::max(a[1], b[1]), std::max(a[2], b[2])};
}

bool neighbours(int a, int b) { return a - b == 1 || b - a == 1; }

// Last writer and last reader per unit of one location, as indices into the output stream.
struct Loc {
  int64_t w = -1;
  std::array<int64_t, 3> r{-1, -1, -1};
};

}  // namespace

std::vector<Command> insert_tokens(const std::vector<Command>& cmds, const DeviceParams& dp) {
  // DRAM locations: the span every footprint touches.
  std::vector<Footprint> fps;
  fps.reserve(cmds.size());
  uint64_t lo = std::numeric_limits<uint64_t>::max(), hi = 0;
  for (const Command& c : cmds) {
    fps.push_back(footprint(c, dp));
    for (const auto* v : {&fps.back().dram_read, &fps.back().dram_write}) {
      for (const Strided& s : *v) {
        if (s.count == 0 || s.len == 0) continue;
        lo = std::min(lo, s.first);
        hi = std::max(hi, s.first + (s.count - 1) * s.stride + s.len);
      }
    }
  }
  if (hi < lo) lo = hi = 0;
  if (hi - lo > (uint64_t{1} << 31))
    fail("insert_tokens: DRAM footprint of {} bytes is too large", hi - lo);
  std::vector<Loc> sp(static_cast<size_t>(dp.sp_rows)), acc(static_cast<size_t>(dp.acc_rows)),
      pset(gen::isa::kParamSets), dram(hi - lo);

  std::vector<Command> out;
  std::vector<int> out_unit;
  std::vector<uint32_t> out_seq;
  std::vector<Clock> out_clock;
  std::array<std::vector<size_t>, 3> by_seq;  // seq - 1 -> output index
  std::array<Clock, 3> clock{};

  auto emit = [&](const Command& c, int u, uint32_t seq, const Clock& vc) {
    out.push_back(c);
    out_unit.push_back(u);
    out_seq.push_back(seq);
    out_clock.push_back(vc);
  };
  auto fence_all = [&]() {
    const Clock j = join(join(clock[0], clock[1]), clock[2]);
    for (auto& c : clock) c = j;
    return j;
  };

  for (size_t i = 0; i < cmds.size(); ++i) {
    Command c = with_tokens(cmds[i], {});
    const int u = token_unit(c);
    if (u < 0) {
      // FENCE and ESCAPE wait until every earlier command finished (an ESCAPE also retires only
      // after the commands its core pushed): both order everything before against everything after.
      if (find_spec(c) != nullptr && (std::string_view(spec_of(c).name) == "FENCE" ||
                                      std::string_view(spec_of(c).name) == "ESCAPE")) {
        fence_all();
      }
      emit(c, -1, 0, clock[0]);
      continue;
    }
    const Footprint& fp = fps[i];
    std::array<uint32_t, 3> need{};
    auto producer = [&](int64_t idx) {
      if (idx < 0) return;
      const int pu = out_unit[static_cast<size_t>(idx)];
      if (pu < 0 || pu == u) return;
      need[static_cast<size_t>(pu)] =
          std::max(need[static_cast<size_t>(pu)], out_seq[static_cast<size_t>(idx)]);
    };
    auto each = [&](std::vector<Loc>& mem, const std::vector<Strided>& spans, uint64_t base,
                    auto&& fn) {
      for (const Strided& s : spans) {
        for (uint64_t k = 0; k < s.count; ++k) {
          for (uint64_t b = 0; b < s.len; ++b) {
            const uint64_t a = s.first + k * s.stride + b;
            if (a < base || a - base >= mem.size()) continue;
            fn(mem[a - base]);
          }
        }
      }
    };
    auto on_read = [&](Loc& l) { producer(l.w); };
    auto on_write = [&](Loc& l) {
      producer(l.w);
      for (int64_t r : l.r) producer(r);
    };
    each(sp, fp.sp_read, 0, on_read);
    each(acc, fp.acc_read, 0, on_read);
    each(dram, fp.dram_read, lo, on_read);
    each(sp, fp.sp_write, 0, on_write);
    each(acc, fp.acc_write, 0, on_write);
    each(dram, fp.dram_write, lo, on_write);
    for (int k = 0; k < gen::isa::kParamSets; ++k) {
      if (fp.pset_read[static_cast<size_t>(k)]) on_read(pset[static_cast<size_t>(k)]);
      if (fp.pset_write[static_cast<size_t>(k)]) on_write(pset[static_cast<size_t>(k)]);
    }

    Clock cur = clock[static_cast<size_t>(u)];
    Tokens mine{};
    for (int a = 0; a < 3; ++a) {
      if (a == u || !neighbours(a, u)) continue;
      const uint32_t n = need[static_cast<size_t>(a)];
      if (n == 0 || n <= cur[static_cast<size_t>(a)]) continue;
      const size_t p = by_seq[static_cast<size_t>(a)][n - 1];
      Tokens pt = tokens_of(out[p]);
      if (a < u) {  // producer is the previous unit of u
        mine.pop_prev = true;
        pt.push_next = true;
      } else {
        mine.pop_next = true;
        pt.push_prev = true;
      }
      out[p] = with_tokens(out[p], pt);
      cur = join(cur, out_clock[p]);
    }
    for (int a = 0; a < 3; ++a) {
      if (a == u || neighbours(a, u)) continue;
      const uint32_t n = need[static_cast<size_t>(a)];
      if (n == 0 || n <= cur[static_cast<size_t>(a)]) continue;
      emit(fence(), -1, 0, clock[0]);  // load <-> store: no token channel
      cur = join(cur, fence_all());
    }
    c = with_tokens(c, mine);
    const uint32_t seq = static_cast<uint32_t>(by_seq[static_cast<size_t>(u)].size() + 1);
    cur[static_cast<size_t>(u)] = seq;
    clock[static_cast<size_t>(u)] = cur;
    const auto idx = static_cast<int64_t>(out.size());
    by_seq[static_cast<size_t>(u)].push_back(out.size());
    emit(c, u, seq, cur);

    auto mark_read = [&](Loc& l) { l.r[static_cast<size_t>(u)] = idx; };
    auto mark_write = [&](Loc& l) {
      l.w = idx;
      l.r = {-1, -1, -1};
    };
    each(sp, fp.sp_read, 0, mark_read);
    each(acc, fp.acc_read, 0, mark_read);
    each(dram, fp.dram_read, lo, mark_read);
    each(sp, fp.sp_write, 0, mark_write);
    each(acc, fp.acc_write, 0, mark_write);
    each(dram, fp.dram_write, lo, mark_write);
    for (int k = 0; k < gen::isa::kParamSets; ++k) {
      if (fp.pset_read[static_cast<size_t>(k)]) mark_read(pset[static_cast<size_t>(k)]);
      if (fp.pset_write[static_cast<size_t>(k)]) mark_write(pset[static_cast<size_t>(k)]);
    }
  }
  return out;
}

}  // namespace tsr::dev

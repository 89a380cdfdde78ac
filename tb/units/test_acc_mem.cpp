// tsr_acc_mem and tsr_acc_banks against a plain C++ model: random overwrite / accumulate / maximum
// beats (often to the same row back to back and a few beats apart, exercising the forwarding paths)
// interleaved with reads (often of a row just written, exercising the read hold-off), with random
// idle cycles. The write port never stalls; a read is checked one cycle after it is accepted and
// must see every beat accepted before it.
#include <algorithm>
#include <deque>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "Vtsr_acc_banks.h"
#include "Vtsr_acc_mem.h"
#include "tessera/ref/gemm.h"
#include "tessera/sim/bits.h"
#include "tessera/tb/dut.h"
#include "tessera/tb/harness.h"

namespace {

constexpr int kLanes = 4;

struct Counts {
  int checked = 0, held_off = 0, max_beats = 0;
};

template <typename V>
Counts run_random(const char* name, int rows) {
  const uint64_t seed = tsr::tb::test_seed();
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> pct(0, 99), row(0, rows - 1);
  std::uniform_int_distribution<int32_t> val(INT32_MIN, INT32_MAX);

  tsr::tb::Dut<V> dut(name);
  dut->wr_valid_i = 0;
  dut->rd_valid_i = 0;
  dut.reset();

  // Model: contents are known only once a row has been overwritten (reset leaves them random).
  std::vector<std::vector<int32_t>> model(rows, std::vector<int32_t>(kLanes, 0));
  std::vector<bool> known(rows, false);
  std::deque<int> recent(4, 0);  // rows of the last beats, to revisit them
  int pending_read = -1;         // row whose read data appears this cycle (-2: value unknown)
  std::vector<int32_t> pending_value;
  Counts n;
  for (int cycle = 0; cycle < 30000; ++cycle) {
    // Inputs for this cycle.
    const bool wr = pct(rng) < 70;
    const int kind = pct(rng);  // < 35 overwrite, < 80 accumulate, else maximum
    const bool accum = kind >= 35;
    const bool maxm = kind >= 80;
    const int near = recent[static_cast<size_t>(pct(rng) % 4)];
    const int wrow = pct(rng) < 60 ? near : row(rng);
    std::vector<int32_t> data(kLanes);
    for (auto& x : data) x = val(rng);
    if (maxm && pct(rng) < 50) {  // small values, so that both sides of the comparison win
      for (auto& x : data) x = static_cast<int32_t>(val(rng) % 64);
    }
    const bool rd = pct(rng) < 40;
    const int rrow = pct(rng) < 60 ? recent[static_cast<size_t>(pct(rng) % 4)] : row(rng);
    dut->wr_valid_i = wr;
    dut->wr_accum_i = accum;
    dut->wr_max_i = maxm;
    dut->wr_addr_i = wrow;
    for (int l = 0; l < kLanes; ++l) tsr::sim::put_lane(dut->wr_data_i, l, 32, static_cast<uint32_t>(data[l]));
    dut->rd_valid_i = rd;
    dut->rd_addr_i = rrow;
    dut->eval();
    // Outputs of this cycle: read data requested last cycle.
    if (pending_read >= 0) {
      EXPECT_TRUE(dut->rd_valid_o) << "cycle " << cycle;
      for (int l = 0; l < kLanes; ++l) {
        const auto got = static_cast<int32_t>(tsr::sim::get_lane(dut->rd_data_o, l, 32));
        if (got != pending_value[l]) {
          ADD_FAILURE() << name << ": cycle " << cycle << " row " << pending_read << " lane " << l << " got "
                        << got << " want " << pending_value[l] << " (seed " << seed << ")";
          return n;
        }
      }
      ++n.checked;
    } else if (pending_read == -1) {
      EXPECT_FALSE(dut->rd_valid_o) << "cycle " << cycle;
    } else {
      EXPECT_TRUE(dut->rd_valid_o) << "cycle " << cycle;
    }
    const bool rd_fire = rd && dut->rd_ready_o;
    if (rd && !dut->rd_ready_o && !(wr && accum)) ++n.held_off;
    // A read sees every beat accepted before this cycle (not this cycle's).
    pending_read = rd_fire ? (known[rrow] ? rrow : -2) : -1;
    if (pending_read >= 0) pending_value = model[rrow];
    if (wr) {
      if (!accum) known[wrow] = true;
      if (maxm) ++n.max_beats;
      for (int l = 0; l < kLanes; ++l) {
        int32_t& m = model[wrow][l];
        m = !accum ? data[l] : maxm ? std::max(m, data[l]) : tsr::ref::wrap_add(m, data[l]);
      }
      recent.pop_front();
      recent.push_back(wrow);
    }
    dut.tick();
  }
  return n;
}

TEST(AccMem, RandomAccumulateMaxOverwriteAndReads) {
  const Counts n = run_random<Vtsr_acc_mem>("acc_mem", 16);
  EXPECT_GT(n.checked, 1000);
  EXPECT_GT(n.held_off, 100);  // reads of a row a beat in s1 writes are held off
  EXPECT_GT(n.max_beats, 1000);
}

// Two banks of 8 rows behind the write register: the bank bit is address bit 3.
TEST(AccBanks, RandomAccumulateMaxOverwriteAndReads) {
  const Counts n = run_random<Vtsr_acc_banks>("acc_banks", 16);
  EXPECT_GT(n.checked, 1000);
  EXPECT_GT(n.held_off, 100);
  EXPECT_GT(n.max_beats, 1000);
}

}  // namespace

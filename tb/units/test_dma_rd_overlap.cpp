// The DMA read engine in the load unit's mode (tsr_dma_rd, Overlap = 3: four descriptors in the
// engine): the next descriptor is accepted once the previous one's bursts are all issued, its ARs
// go out while older data still arrives, and the element stream stays that of the descriptors one
// after the other.
//
// Each test offers a list of descriptors back to back against the AXI memory model (long latency,
// random element back-pressure) and checks, against an independent model of the stream (the row
// bytes of each descriptor in order, cut into its own element size, upper lanes zero):
// - the elements, byte for byte, and out_last_o exactly on each descriptor's final element;
// - the overlap itself: a descriptor accepted, and one of its ARs issued, before the previous
//   descriptor's final element left, and its data sooner than a serial engine could deliver it;
//   four descriptors in at once (the fourth accepted before the first's final element), never
//   more;
// - a check error of the second descriptor (window, bad descriptor) is reported only after the
//   first's final element, with no AR of its own;
// - a response error in the first stops all accepted ones: err_o with the response's code, the
//   engine drains and falls idle, no element of a later descriptor leaves, and the descriptors
//   offered afterwards run cleanly.
#include <cstdint>
#include <random>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "Vtsr_dma_rd_ovl.h"
#include "tessera/error.h"
#include "tessera/sim/bits.h"
#include "tessera/tb/axi_mem.h"
#include "tessera/tb/dut.h"
#include "tessera/tb/harness.h"
#include "dma_mem_config.h"

namespace {

using tsr::sim::get_lane;
using tsr::sim::put_lane;
using tsr::tb::AxiMasterPins;
using tsr::tb::AxiMemory;
using tsr::tb::AxiSlavePins;

constexpr int kBus = 16, kElem = 16;
constexpr int kDepth = 4;  // descriptors in the engine (Overlap + 1, see tb/units/CMakeLists.txt)
constexpr uint64_t kBase = 0x10000, kSize = 0x20000;
constexpr uint64_t kWinLo = kBase + 0x1000, kWinHi = kBase + kSize - 0x1000;

struct Desc {
  uint64_t addr;
  uint32_t stride, rows, row_bytes, elem_bytes;
  uint64_t elems() const { return uint64_t{rows} * row_bytes / elem_bytes; }
};

using Elem = std::vector<uint8_t>;

// The element stream of one descriptor, from the memory image.
std::vector<Elem> model(const AxiMemory& mem, const Desc& d) {
  std::vector<Elem> out;
  for (uint32_t r = 0; r < d.rows; ++r) {
    const auto row = mem.read(d.addr + uint64_t{r} * d.stride, d.row_bytes);
    for (uint32_t k = 0; k < d.row_bytes; k += d.elem_bytes) {
      Elem e(kElem, 0);
      std::copy_n(row.begin() + k, d.elem_bytes, e.begin());
      out.push_back(std::move(e));
    }
  }
  return out;
}

struct Trace {
  std::vector<Elem> elems;
  std::vector<size_t> lasts;                  // element index of every out_last_o
  std::vector<uint64_t> accept, last_cycle;   // per descriptor: handshake, final element
  std::vector<uint64_t> first_ar;             // per descriptor: its first AR (by address order)
  int max_unfinished = 0;
  bool err = false;
  unsigned code = 0;
  uint64_t err_cycle = 0;                     // first cycle err_o was seen high
  size_t resumed_at = SIZE_MAX;               // elements taken when the engine was offered
                                              // descriptors again after the error
  size_t resumed_desc = SIZE_MAX;             // the first descriptor offered then
  int ars = 0;
};

class DmaRdOverlap : public ::testing::Test {
 protected:
  void SetUp() override {
    seed_ = tsr::tb::test_seed();
    rng_.seed(seed_);
    RecordProperty("seed", std::to_string(seed_));
  }

  uint32_t pick(uint32_t lo, uint32_t hi) {
    return std::uniform_int_distribution<uint32_t>(lo, hi)(rng_);
  }

  // A random well-formed descriptor: element sizes 1..16 that divide the row, unaligned
  // addresses, gaps or no gaps, and now and then overlapping single-element rows (coalesced).
  Desc random_desc() {
    Desc d{};
    d.elem_bytes = pick(0, 3) == 0 ? kElem : pick(1, kElem);
    d.row_bytes = d.elem_bytes * pick(1, 12);
    d.rows = pick(1, 24);
    d.stride = pick(0, 2) == 0 ? d.row_bytes : d.row_bytes + pick(1, 40);
    if (pick(0, 4) == 0) {  // window-start rows, as the lowering loads them
      d.row_bytes = d.elem_bytes = pick(2, kElem);
      d.stride = pick(1, d.elem_bytes - 1);
      d.rows = pick(2, 40);
    }
    const uint64_t span = uint64_t{d.rows - 1} * d.stride + d.row_bytes;
    d.addr = kWinLo + pick(0, static_cast<uint32_t>(kWinHi - kWinLo - span));
    return d;
  }

  // Offers `descs` back to back (each held until accepted) and takes elements with probability
  // pct%; runs until the engine is idle after the last handshake. After an error it stops
  // offering; with `resume` it offers the rest once the engine is idle again.
  Trace run(AxiMemory& mem, const std::vector<Desc>& descs, int pct, bool resume = false) {
    tsr::tb::Dut<Vtsr_dma_rd_ovl> dut("dma_rd_ovl");
    dut->win_base_i = static_cast<uint32_t>(kWinLo);
    dut->win_limit_i = static_cast<uint32_t>(kWinHi);
    dut->desc_valid_i = 0;
    dut->out_ready_i = 0;
    dut->m_arready_i = dut->m_rvalid_i = dut->m_rlast_i = 0;
    dut->m_rresp_i = 0;
    dut.reset();
    Trace t;
    size_t next = 0;
    std::vector<uint64_t> want_elems;  // cumulative element count at the end of each descriptor
    uint64_t total = 0;
    for (const auto& d : descs) want_elems.push_back(total += d.elems());
    t.last_cycle.assign(descs.size(), 0);
    const uint64_t start = mem.cycle();
    bool idle = true;  // busy_o low after the last edge
    for (;;) {
      if (mem.cycle() - start > 100000) throw tsr::Error("DMA read engine stuck");
      AxiSlavePins s;
      mem.outputs(s);
      dut->m_arready_i = s.arready;
      dut->m_rvalid_i = s.rvalid;
      for (int i = 0; i < kBus; ++i) put_lane(dut->m_rdata_i, i, 8, s.rdata[static_cast<size_t>(i)]);
      dut->m_rresp_i = s.rresp;
      dut->m_rlast_i = s.rlast;
      const bool resuming = t.err && resume && idle;
      if (resuming && t.resumed_at == SIZE_MAX) {
        t.resumed_at = t.elems.size();
        t.resumed_desc = next;
      }
      const bool offer = next < descs.size() && (!t.err || resuming);
      dut->desc_valid_i = offer;
      if (offer) {
        dut->desc_addr_i = static_cast<uint32_t>(descs[next].addr);
        dut->desc_stride_i = descs[next].stride;
        dut->desc_rows_i = descs[next].rows;
        dut->desc_row_bytes_i = descs[next].row_bytes;
        dut->desc_elem_bytes_i = descs[next].elem_bytes;
      }
      dut->out_ready_i = static_cast<int>(rng_() % 100) < pct;
      dut->eval();
      const uint64_t now = mem.cycle() - start;
      if (dut->err_o && !t.err) {
        t.err = true;
        t.code = dut->err_code_o;
        t.err_cycle = now;
      }
      if (offer && dut->desc_ready_o) {
        t.accept.push_back(now);
        ++next;
      }
      if (dut->m_arvalid_o && s.arready) {
        ++t.ars;
        // the descriptor an AR belongs to: the one whose span holds its address
        for (size_t i = t.first_ar.size(); i < next; ++i) {
          const Desc& d = descs[i];
          const uint64_t lo = d.addr / kBus * kBus;
          const uint64_t hi = d.addr + uint64_t{d.rows - 1} * d.stride + d.row_bytes;
          if (dut->m_araddr_o >= lo && dut->m_araddr_o < hi) {
            t.first_ar.resize(i + 1, UINT64_MAX);
            t.first_ar[i] = now;
            break;
          }
        }
      }
      if (dut->out_valid_o && dut->out_ready_i) {
        Elem e(kElem);
        for (int i = 0; i < kElem; ++i) e[static_cast<size_t>(i)] = static_cast<uint8_t>(get_lane(dut->out_data_o, i, 8));
        t.elems.push_back(std::move(e));
        if (dut->out_last_o) t.lasts.push_back(t.elems.size() - 1);
        for (size_t i = 0; i < want_elems.size(); ++i) {
          if (want_elems[i] == t.elems.size()) t.last_cycle[i] = now;
        }
      }
      size_t finished = 0;
      while (finished < want_elems.size() && want_elems[finished] <= t.elems.size()) ++finished;
      t.max_unfinished = std::max(t.max_unfinished, static_cast<int>(next - std::min(next, finished)));
      AxiMasterPins m;
      m.arvalid = dut->m_arvalid_o;
      m.araddr = dut->m_araddr_o;
      m.arlen = dut->m_arlen_o;
      m.arsize = dut->m_arsize_o;
      m.arburst = dut->m_arburst_o;
      m.rready = dut->m_rready_o;
      m.wdata.assign(kBus, 0);
      mem.tick(m);
      dut.tick();
      idle = !dut->busy_o;
      if ((next == descs.size() || (t.err && !resume)) && !dut->busy_o && !dut->desc_valid_i) {
        // one more look: err_o is sticky, busy_o low means everything drained
        if (dut->err_o && !t.err) {
          t.err = true;
          t.code = dut->err_code_o;
          t.err_cycle = mem.cycle() - start;
        }
        break;
      }
    }
    return t;
  }

  uint64_t seed_ = 0;
  std::mt19937_64 rng_;
};

AxiMemory::Config config(int latency) {
  return tsr::tb::dma_mem_config(kBase, kSize, kBus, latency);
}

TEST_F(DmaRdOverlap, BackToBackDescriptorsStreamInOrder) {
  for (int trial = 0; trial < 20; ++trial) {
    AxiMemory mem(config(static_cast<int>(pick(8, 80))));
    mem.fill_random();
    std::vector<Desc> descs;
    const uint32_t n = pick(2, 10);
    for (uint32_t i = 0; i < n; ++i) descs.push_back(random_desc());
    const int pct = trial % 3 == 0 ? 100 : static_cast<int>(pick(30, 100));
    const Trace t = run(mem, descs, pct);
    const std::string ctx = fmt::format("seed {} trial {}", seed_, trial);
    ASSERT_FALSE(t.err) << ctx << ": code " << t.code;
    std::vector<Elem> want;
    std::vector<size_t> want_lasts;
    for (const auto& d : descs) {
      for (auto& e : model(mem, d)) want.push_back(std::move(e));
      want_lasts.push_back(want.size() - 1);
    }
    ASSERT_EQ(t.elems.size(), want.size()) << ctx;
    for (size_t i = 0; i < want.size(); ++i) ASSERT_EQ(t.elems[i], want[i]) << ctx << " element " << i;
    EXPECT_EQ(t.lasts, want_lasts) << ctx << ": out_last_o not on each descriptor's final element";
    EXPECT_LE(t.max_unfinished, kDepth) << ctx;
  }
}

TEST_F(DmaRdOverlap, NextDescriptorIssuesItsBurstsUnderTheCurrentOnesLatency) {
  AxiMemory mem(config(64));
  mem.fill_random();
  // four LOAD-like descriptors: 16-byte elements, rows of 64 bytes
  std::vector<Desc> descs;
  for (uint32_t i = 0; i < 4; ++i) descs.push_back({kWinLo + 0x2000 * i + 16, 64, 8, 64, 16});
  const Trace t = run(mem, descs, 100);
  ASSERT_FALSE(t.err);
  ASSERT_EQ(t.first_ar.size(), descs.size());
  for (size_t i = 1; i < descs.size(); ++i) {
    EXPECT_LT(t.accept[i], t.last_cycle[i - 1]) << "descriptor " << i << " accepted only after "
                                                << "the previous one ended";
    EXPECT_LT(t.first_ar[i], t.last_cycle[i - 1]) << "descriptor " << i << "'s first AR waited";
    // A serial engine needs at least its 4 check cycles, the 64-cycle latency and the 32 data
    // beats between the two final elements; the overlapped one hides the check and part of the
    // latency under the previous descriptor's data.
    EXPECT_LT(t.last_cycle[i] - t.last_cycle[i - 1], 64u + 32u) << "descriptor " << i;
  }
  // all four in at once: the last one is taken before the first one's final element
  EXPECT_LT(t.accept[kDepth - 1], t.last_cycle[0]) << "fewer than " << kDepth << " in flight";
  EXPECT_EQ(t.max_unfinished, kDepth);
}

TEST_F(DmaRdOverlap, SecondDescriptorsCheckErrorWaitsForTheFirst) {
  for (int trial = 0; trial < 6; ++trial) {
    AxiMemory mem(config(static_cast<int>(pick(20, 80))));
    mem.fill_random();
    const Desc a{kWinLo + 0x100 + pick(0, 15), 48, 16, 48, 16};
    Desc b = random_desc();
    const bool window = trial % 2 == 0;
    if (window) {
      b.addr = kWinHi - 1;  // the row ends past the window
    } else {
      b.row_bytes = b.elem_bytes * 3 + (b.elem_bytes > 1 ? 1 : 0);  // not a multiple (or 0 rows)
      if (b.elem_bytes == 1) b.rows = 0;
    }
    const Desc c = random_desc();  // never offered: the engine stops taking after the error
    const Trace t = run(mem, {a, b, c}, static_cast<int>(pick(40, 100)));
    const std::string ctx = fmt::format("seed {} trial {}", seed_, trial);
    ASSERT_TRUE(t.err) << ctx;
    EXPECT_EQ(t.code, window ? 1u : 2u) << ctx;
    const auto want = model(mem, a);
    ASSERT_EQ(t.elems.size(), want.size()) << ctx << ": the first descriptor's stream is cut";
    EXPECT_EQ(t.elems, want) << ctx;
    EXPECT_GE(t.err_cycle, t.last_cycle[0]) << ctx << ": error raised before the first completed";
    // b was accepted while a was still streaming, and issued no AR: a's bursts only
    ASSERT_EQ(t.accept.size(), 2u) << ctx;
    EXPECT_LT(t.accept[1], t.last_cycle[0]) << ctx;
    EXPECT_EQ(t.ars, static_cast<int>(a.rows)) << ctx;  // one burst per 48-byte row
  }
}

TEST_F(DmaRdOverlap, ResponseErrorStopsBothAndTheEngineRecovers) {
  for (int trial = 0; trial < 8; ++trial) {
    AxiMemory mem(config(static_cast<int>(pick(20, 80))));
    mem.fill_random();
    const Desc a{kWinLo + 0x100, 64, 12, 64, 16};  // 4 elements a row
    const Desc b{kWinLo + 0x4000, 64, 12, 64, 16};
    const Desc c{kWinLo + 0x800 + pick(0, 15), 40, pick(1, 9), 32, 8};
    const Desc d{kWinLo + 0x6000, 16, 20, 16, 16};
    const Desc e{kWinLo + 0x7000 + pick(0, 15), 64, pick(1, 6), 48, 16};
    const Desc f{kWinLo + 0x9000, 32, 9, 32, 8};
    const uint32_t bad_row = pick(0, a.rows - 1);
    const uint64_t bad = a.addr + uint64_t{bad_row} * a.stride + 8;
    mem.add_error_range(bad, bad + 1);
    const std::vector<Desc> all{a, b, c, d, e, f};
    const Trace t = run(mem, all, static_cast<int>(pick(40, 100)), /*resume=*/true);
    const std::string ctx = fmt::format("seed {} trial {} bad row {}", seed_, trial, bad_row);
    ASSERT_TRUE(t.err) << ctx;
    EXPECT_EQ(t.code, 4u + tsr::tb::kAxiSlvErr) << ctx;
    // b was accepted before the error; it must not produce a single element
    ASSERT_GE(t.accept.size(), 2u) << ctx;
    EXPECT_LT(t.accept[1], t.err_cycle) << ctx << ": no overlap before the error";
    ASSERT_NE(t.resumed_at, SIZE_MAX) << ctx;
    // before the restart: a prefix of a's rows before the failing one
    const auto want_a = model(mem, a);
    EXPECT_LE(t.resumed_at, uint64_t{bad_row} * 4) << ctx;
    for (size_t i = 0; i < t.resumed_at; ++i) EXPECT_EQ(t.elems[i], want_a[i]) << ctx << " element " << i;
    // after it: the descriptors offered afterwards, exactly (the engine recovered, with overlap);
    // at most kDepth were taken before the error
    ASSERT_LE(t.resumed_desc, static_cast<size_t>(kDepth)) << ctx;
    std::vector<Elem> want;
    for (size_t k = t.resumed_desc; k < all.size(); ++k) {
      for (auto& el : model(mem, all[k])) want.push_back(std::move(el));
    }
    const std::vector<Elem> after(t.elems.begin() + static_cast<long>(t.resumed_at), t.elems.end());
    EXPECT_EQ(after, want) << ctx;
  }
}

}  // namespace

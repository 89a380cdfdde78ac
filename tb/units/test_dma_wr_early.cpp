// The DMA write engine in the accelerator's mode (tsr_dma_wr, EarlyDone = 1): a descriptor ends
// (done_o) when its last W beat is out, the next one is taken while up to two earlier ones still
// wait for their write responses, busy_o stays high until every response is back, and a response
// error is reported once on berr_o with the tag of the descriptor whose burst failed.
//
// Each test streams a list of descriptors (rows of 16-byte elements at random addresses) through
// the engine against the AXI memory model at a long response latency, and checks: the memory image
// (every row written, nothing else), done_o once per descriptor in order and before that
// descriptor's last response, a later descriptor accepted before an earlier one's responses are
// all back (the overlap), at most two descriptors waiting, busy_o until the last response, and on
// an error range the tag on berr_o.
#include <cstdint>
#include <random>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "Vtsr_dma_wr_early.h"
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
constexpr uint64_t kBase = 0x10000, kSize = 0x20000;

struct Desc {
  uint64_t addr;
  uint32_t rows;
  uint32_t tag;
};

struct Trace {
  std::vector<uint64_t> accept_cycle, done_cycle;
  uint64_t last_b_cycle = 0;       // the last write response
  uint64_t busy_low_cycle = 0;     // first cycle busy_o was low after everything was sent
  bool overlap = false;            // a descriptor accepted while earlier responses were pending
  int berr_count = 0;
  uint32_t berr_tag = 0;
};

class DmaWrEarly : public ::testing::Test {
 protected:
  void SetUp() override {
    seed_ = tsr::tb::test_seed();
    rng_.seed(seed_);
    RecordProperty("seed", std::to_string(seed_));
  }

  // Runs the descriptors back to back; the elements are random bytes, returned in `sent`.
  Trace run(AxiMemory& mem, const std::vector<Desc>& descs, std::vector<std::vector<uint8_t>>& sent) {
    tsr::tb::Dut<Vtsr_dma_wr_early> dut("dma");
    dut->win_base_i = static_cast<uint32_t>(kBase);
    dut->win_limit_i = static_cast<uint32_t>(kBase + kSize);
    dut->desc_valid_i = 0;
    dut->in_valid_i = 0;
    dut->m_awready_i = dut->m_wready_i = dut->m_bvalid_i = 0;
    dut->m_bresp_i = 0;
    dut.reset();
    Trace t;
    sent.assign(descs.size(), {});
    for (size_t i = 0; i < descs.size(); ++i) {
      sent[i].resize(size_t{descs[i].rows} * kElem);
      for (auto& b : sent[i]) b = static_cast<uint8_t>(rng_());
    }
    size_t next = 0, feeding = 0;  // descriptor to offer; descriptor whose elements go in
    size_t fed = 0;                // elements of `feeding` accepted
    uint64_t b_seen = 0, aw_seen = 0;
    const uint64_t start = mem.cycle();
    for (;;) {
      if (mem.cycle() - start > 200000) throw tsr::Error("DMA write engine stuck");
      AxiSlavePins s;
      mem.outputs(s);
      dut->m_awready_i = s.awready;
      dut->m_wready_i = s.wready;
      dut->m_bvalid_i = s.bvalid;
      dut->m_bresp_i = s.bresp;
      const bool offer = next < descs.size();
      dut->desc_valid_i = offer;
      if (offer) {
        dut->desc_addr_i = static_cast<uint32_t>(descs[next].addr);
        dut->desc_stride_i = 3 * kElem;  // rows spread out: one burst per row
        dut->desc_rows_i = descs[next].rows;
        dut->desc_row_bytes_i = kElem;
        dut->desc_elem_bytes_i = kElem;
        dut->desc_tag_i = descs[next].tag;
      }
      const bool feed = feeding < next && feeding < descs.size();
      dut->in_valid_i = feed && (rng_() % 4 != 0);
      if (feed) {
        for (int i = 0; i < kElem; ++i) {
          put_lane(dut->in_data_i, i, 8, sent[feeding][fed * kElem + static_cast<size_t>(i)]);
        }
      }
      dut->eval();
      const bool desc_fire = offer && dut->desc_ready_o;
      const bool in_fire = dut->in_valid_i && dut->in_ready_o;
      const bool b_fire = s.bvalid && dut->m_bready_o;
      const bool aw_fire = dut->m_awvalid_o && s.awready;
      if (dut->done_o) t.done_cycle.push_back(mem.cycle());
      if (dut->berr_o) {
        ++t.berr_count;
        t.berr_tag = dut->berr_tag_o;
      }
      if (desc_fire) {
        t.accept_cycle.push_back(mem.cycle());
        // earlier descriptors whose responses are not all back
        if (b_seen < aw_seen) t.overlap = t.overlap || next > 0;
      }
      AxiMasterPins m;
      m.awburst = 1;
      m.awvalid = dut->m_awvalid_o;
      m.awaddr = dut->m_awaddr_o;
      m.awlen = dut->m_awlen_o;
      m.awsize = dut->m_awsize_o;
      m.awburst = dut->m_awburst_o;
      m.wvalid = dut->m_wvalid_o;
      m.wdata.resize(kBus);
      for (int i = 0; i < kBus; ++i) m.wdata[static_cast<size_t>(i)] = static_cast<uint8_t>(get_lane(dut->m_wdata_o, i, 8));
      m.wstrb = dut->m_wstrb_o;
      m.wlast = dut->m_wlast_o;
      m.bready = dut->m_bready_o;
      mem.tick(m);
      dut.tick();
      if (aw_fire) ++aw_seen;
      if (b_fire) {
        ++b_seen;
        t.last_b_cycle = mem.cycle();
      }
      if (desc_fire) ++next;
      if (in_fire && ++fed == descs[feeding].rows) {
        fed = 0;
        ++feeding;
      }
      const bool all_done = next == descs.size() && t.done_cycle.size() == descs.size();
      // after a response error no further descriptor is taken: stop once the engine is idle
      const bool stopped = t.berr_count > 0 && feeding == next && !dut->busy_o;
      if ((all_done || stopped) && !dut->busy_o) {
        t.busy_low_cycle = mem.cycle();
        break;
      }
    }
    EXPECT_EQ(b_seen, aw_seen);
    return t;
  }

  uint64_t seed_ = 0;
  std::mt19937_64 rng_;
};

AxiMemory::Config config(int latency) {
  return tsr::tb::dma_mem_config(kBase, kSize, kBus, latency);
}

TEST_F(DmaWrEarly, DoneBeforeResponsesAndOverlappedDescriptors) {
  AxiMemory mem(config(60));
  mem.fill_random();
  const auto before = mem.read(kBase, kSize);
  std::vector<Desc> descs;
  for (uint32_t i = 0; i < 8; ++i) {
    descs.push_back({kBase + 0x1000 + uint64_t{i} * 0x800 + 16 * (rng_() % 8), 1 + static_cast<uint32_t>(rng_() % 12), 100 + i});
  }
  std::vector<std::vector<uint8_t>> sent;
  const Trace t = run(mem, descs, sent);
  ASSERT_EQ(t.done_cycle.size(), descs.size());
  EXPECT_TRUE(t.overlap) << "no descriptor was taken while earlier responses were outstanding";
  EXPECT_LT(t.done_cycle.back(), t.last_b_cycle) << "done_o waits for the responses";
  EXPECT_GT(t.busy_low_cycle, t.last_b_cycle - 1) << "busy_o fell before the last response";
  EXPECT_EQ(t.berr_count, 0);
  // The memory image: every row written, nothing else changed.
  auto want = before;
  for (size_t i = 0; i < descs.size(); ++i) {
    for (uint32_t r = 0; r < descs[i].rows; ++r) {
      for (int b = 0; b < kElem; ++b) {
        want[descs[i].addr - kBase + r * 3 * kElem + static_cast<uint64_t>(b)] = sent[i][r * kElem + static_cast<size_t>(b)];
      }
    }
  }
  EXPECT_TRUE(mem.read(kBase, kSize) == want) << "memory image differs";
}

TEST_F(DmaWrEarly, ResponseErrorCarriesTheFailingDescriptorsTag) {
  for (int trial = 0; trial < 6; ++trial) {
    AxiMemory mem(config(40 + static_cast<int>(rng_() % 40)));
    std::vector<Desc> descs;
    for (uint32_t i = 0; i < 4; ++i) descs.push_back({kBase + 0x1000 + uint64_t{i} * 0x800, 4, 7 + i});
    const uint32_t bad = static_cast<uint32_t>(rng_() % 3);  // not the last: a later one overlaps
    mem.add_error_range(descs[bad].addr + 3 * kElem, descs[bad].addr + 3 * kElem + 1);  // row 1
    std::vector<std::vector<uint8_t>> sent;
    const Trace t = run(mem, descs, sent);
    EXPECT_LT(t.accept_cycle.size(), descs.size() + 1);
    EXPECT_EQ(t.berr_count, 1) << "trial " << trial;
    EXPECT_EQ(t.berr_tag, descs[bad].tag) << "trial " << trial << ": error on descriptor " << bad;
  }
}

}  // namespace

// DMA read / write engines (tsr_dma_rd, tsr_dma_wr) against the AXI4 memory model, at 64- and
// 128-bit data width and two element-port widths each. Descriptors are element-granular and
// byte-aligned: rows of row_bytes bytes at any address, cut into elements of elem_bytes bytes.
//
// Checked against independent C++ models: the read engine's element stream byte for byte
// (including the zeroed lanes above elem_bytes); the write engine changes exactly the bytes of the
// rows (every W strobe is checked against the rows, the whole memory image is compared); the exact
// list of bursts (MaxBurst splits, 4 KiB boundaries, one pass over the beats of each row); the
// descriptor checks (bad descriptor, window by one byte, 32-bit overflow) with no bus access;
// AXI SLVERR/DECERR reported, drained and recovered from; exactly rows * row_bytes / elem_bytes
// elements consumed by the write engine, also after an error; the element stream handshake rules;
// and streaming throughput against the memory's bandwidth and latency.
#include <algorithm>
#include <deque>
#include <memory>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "Vtsr_dma_rd16_e16.h"
#include "Vtsr_dma_rd16_e36.h"
#include "Vtsr_dma_rd8_e16.h"
#include "Vtsr_dma_rd8_e36.h"
#include "Vtsr_dma_wr16_e12.h"
#include "Vtsr_dma_wr16_e64.h"
#include "Vtsr_dma_wr8_e12.h"
#include "Vtsr_dma_wr8_e64.h"
#include "tessera/error.h"
#include "tessera/sim/bits.h"
#include "tessera/tb/axi_mem.h"
#include "tessera/tb/dut.h"
#include "tessera/tb/harness.h"

namespace {

using tsr::sim::get_lane;
using tsr::sim::put_lane;
using tsr::tb::AxiMasterPins;
using tsr::tb::AxiMemory;
using tsr::tb::AxiSlavePins;

constexpr uint64_t kBase = 0x10000;
constexpr uint64_t kSize = 0x10000;
constexpr uint64_t kWinLo = kBase + 0x1000;  // window strictly inside the memory
constexpr uint64_t kWinHi = kBase + 0xF000;
constexpr int kMaxBurst = 16;

constexpr unsigned kErrWindow = 1;
constexpr unsigned kErrBad = 2;

struct Desc {
  uint64_t addr = 0;
  uint64_t stride = 0;  // 32-bit field
  uint32_t rows = 0, row_bytes = 0, elem_bytes = 0;
  uint64_t bytes() const { return uint64_t{rows} * row_bytes; }
  uint64_t elems() const { return elem_bytes == 0 ? 0 : bytes() / elem_bytes; }
  uint64_t row_addr(uint32_t r) const { return addr + r * stride; }
};

std::string show(const Desc& d) {
  return fmt::format("addr {:#x} stride {} rows {} row_bytes {} elem_bytes {}", d.addr, d.stride,
                     d.rows, d.row_bytes, d.elem_bytes);
}

using Elem = std::vector<uint8_t>;  // all lanes of the element port

struct Burst {
  uint64_t addr;
  uint32_t len;
  bool operator==(const Burst&) const = default;
};

void PrintTo(const Burst& b, std::ostream* os) {
  *os << fmt::format("{{{:#x}, len {}}}", b.addr, b.len);
}

struct Result {
  std::vector<Elem> elems;  // read: elements streamed out
  int lasts = 0;            // read: elements flagged last
  bool last_on_final = false;
  bool err = false;
  unsigned code = 0;
  uint64_t cycles = 0;        // descriptor offered .. done
  uint64_t accepted = 0;      // write: elements taken from the input stream
  int64_t first_valid = -1;   // cycles from the descriptor handshake to the first AR/AW valid
  std::vector<Burst> bursts;  // AR / AW handshakes
  int bursts_after_err = 0;   // AR / AW handshakes after the first error response was taken
  std::vector<std::string> violations;  // element-stream rule or W strobe outside the rows
};

AxiMemory::Config mem_config(int data_bytes) {
  AxiMemory::Config c;
  c.base = kBase;
  c.size = kSize;
  c.data_bytes = data_bytes;
  c.latency_cycles = 64;
  c.bytes_per_cycle = 16.0;
  c.max_outstanding = 8;
  return c;
}

uint64_t pick(std::mt19937_64& rng, uint64_t lo, uint64_t hi) {
  return std::uniform_int_distribution<uint64_t>(lo, hi)(rng);
}

AxiMemory::Config random_mem_config(std::mt19937_64& rng, int data_bytes) {
  AxiMemory::Config c = mem_config(data_bytes);
  static constexpr double kBw[] = {2, 4, 8, 16, 32};
  static constexpr int kReady[] = {100, 100, 70, 30};
  c.latency_cycles = static_cast<int>(pick(rng, 1, 80));
  c.bytes_per_cycle = kBw[pick(rng, 0, 4)];
  c.max_outstanding = static_cast<int>(pick(rng, 1, 8));
  c.ready_percent = kReady[pick(rng, 0, 3)];
  c.seed = rng();
  return c;
}

// The bursts a correct engine issues for a descriptor: per row, the beats covering its bytes, in
// INCR bursts of at most MaxBurst beats that stop at every 4 KiB boundary.
std::vector<Burst> expected_bursts(const Desc& d, int bus) {
  const auto b = static_cast<uint64_t>(bus);
  std::vector<Burst> out;
  for (uint32_t r = 0; r < d.rows; ++r) {
    uint64_t a = d.row_addr(r) / b * b;
    const uint64_t end = (d.row_addr(r) + d.row_bytes + b - 1) / b * b;
    while (a < end) {
      const uint64_t n = std::min({uint64_t{kMaxBurst}, (end - a) / b, (4096 - a % 4096) / b});
      out.push_back({a, static_cast<uint32_t>(n - 1)});
      a += n * b;
    }
  }
  return out;
}

// The read engine reads overlapping single-element rows (elem_bytes = row_bytes <= the port,
// 0 < stride < row_bytes, span < 2^16) as one contiguous span: the AR bursts of that span.
Desc read_span(const Desc& d, int elem_max) {
  const uint64_t span = uint64_t{d.rows - 1} * d.stride + d.row_bytes;
  const bool co = d.rows > 1 && d.elem_bytes == d.row_bytes &&
                  d.row_bytes <= static_cast<uint32_t>(elem_max) && d.stride > 0 &&
                  d.stride < d.row_bytes && span < 65536;
  return co ? Desc{d.addr, 0, 1, static_cast<uint32_t>(span), 1} : d;
}

// Random well-formed descriptor inside the window: unaligned addresses, elements of any size up to
// the port that divide the row, zero-gap and unaligned strides; overlapping rows when asked.
Desc random_desc(std::mt19937_64& rng, int bus, int elem_max, bool overlap) {
  Desc d;
  const auto c = pick(rng, 0, 99);
  d.elem_bytes = static_cast<uint32_t>(c < 10   ? 1
                                       : c < 25 ? elem_max
                                       : c < 40 ? std::min(bus, elem_max)
                                                : static_cast<int>(pick(rng, 1, elem_max)));
  if (pick(rng, 0, 9) == 0) {  // a few long rows: many bursts, likely 4 KiB crossings
    d.row_bytes = d.elem_bytes * static_cast<uint32_t>(pick(rng, 1, 4096 / d.elem_bytes));
    d.rows = static_cast<uint32_t>(pick(rng, 1, 4));
  } else {
    d.row_bytes =
        d.elem_bytes * static_cast<uint32_t>(pick(rng, 1, std::max(1u, 320 / d.elem_bytes)));
    d.rows = static_cast<uint32_t>(pick(rng, 1, 40));
  }
  const auto s = pick(rng, 0, 99);
  if (overlap && s < 10) {
    d.stride = pick(rng, 0, d.row_bytes - 1);  // rows overlap (or repeat, stride 0)
  } else if (s < 35) {
    d.stride = d.row_bytes;  // no gap
  } else {
    d.stride = d.row_bytes + pick(rng, 1, 3 * static_cast<uint64_t>(bus));
  }
  const uint64_t span = (d.rows - 1) * d.stride + d.row_bytes;
  d.addr = kWinLo + pick(rng, 0, (kWinHi - kWinLo) - span);
  return d;
}

// Byte mask of the rows over the memory (true: the byte belongs to some row).
std::vector<bool> row_mask(const Desc& d) {
  std::vector<bool> m(kSize, false);
  for (uint32_t r = 0; r < d.rows; ++r) {
    for (uint64_t i = 0; i < d.row_bytes; ++i) {
      const uint64_t a = d.row_addr(r) + i;
      if (a >= kBase && a < kBase + kSize) m[a - kBase] = true;
    }
  }
  return m;
}

// The element stream a correct read engine produces: row bytes in order, elem_bytes per element,
// the lanes above zero.
std::vector<Elem> expected_elems(const AxiMemory& mem, const Desc& d, int elem_max) {
  std::vector<Elem> out;
  for (uint32_t r = 0; r < d.rows; ++r) {
    const auto row = mem.read(d.row_addr(r), d.row_bytes);
    for (uint32_t k = 0; k < d.row_bytes; k += d.elem_bytes) {
      Elem e(static_cast<size_t>(elem_max), 0);
      std::copy_n(row.begin() + k, d.elem_bytes, e.begin());
      out.push_back(std::move(e));
    }
  }
  return out;
}

std::vector<Elem> random_payload(std::mt19937_64& rng, const Desc& d, int elem_max) {
  std::vector<Elem> p(d.elems(), Elem(static_cast<size_t>(elem_max)));
  for (auto& e : p) {
    for (auto& x : e) x = static_cast<uint8_t>(rng());  // upper lanes too: they must be ignored
  }
  return p;
}

// The memory image after a correct write engine ran `d` with `payload` on `before`.
std::vector<uint8_t> expected_image(std::vector<uint8_t> before, const Desc& d,
                                    const std::vector<Elem>& payload) {
  size_t k = 0;
  for (uint32_t r = 0; r < d.rows; ++r) {
    for (uint32_t off = 0; off < d.row_bytes; off += d.elem_bytes, ++k) {
      std::copy_n(payload[k].begin(), d.elem_bytes, before.begin() + (d.row_addr(r) + off - kBase));
    }
  }
  return before;
}

// One DUT (read or write engine) wired to an AxiMemory.
template <typename V, int B, int E>
class Bench {
 public:
  static constexpr bool kIsRead = requires(V v) { v.out_valid_o; };

  explicit Bench(AxiMemory::Config cfg = mem_config(B)) : dut("dma"), mem(cfg) {
    dut->win_base_i = static_cast<uint32_t>(kWinLo);
    dut->win_limit_i = static_cast<uint32_t>(kWinHi);
    dut->desc_valid_i = 0;
    // Every input idle before the first edge: Verilator starts them at random values.
    AxiSlavePins idle;
    idle.rdata.assign(B, 0);
    drive_slave(idle);
    if constexpr (kIsRead) {
      dut->out_ready_i = 0;
    } else {
      dut->in_valid_i = 0;
    }
    dut.reset();
    mem.fill_random();
  }

  // Runs one descriptor until done_o. Read engine: takes elements with probability pct% per cycle.
  // Write engine: offers `payload` (and then filler elements, which must never be taken), a new
  // element with probability pct% per cycle, held until accepted.
  Result run(const Desc& d, int pct, uint64_t seed, const std::vector<Elem>& payload = {}) {
    std::mt19937_64 rng(seed);
    std::uniform_int_distribution<int> p(0, 99);
    const std::vector<bool> allowed = kIsRead ? std::vector<bool>{} : row_mask(d);
    const Elem filler(E, 0xEE);
    Result r;
    bool sent = false, offering = false;
    uint64_t fire_cycle = 0;
    bool prev_hold = false, prev_last = false;
    Elem prev_elem;
    std::deque<Burst> aw;  // write: AWs whose W beats are not all seen
    uint32_t wbeat = 0;
    const uint64_t start = mem.cycle();
    const uint64_t bound = 20000 + 40 * (d.bytes() / B + 2ull * d.rows + d.elems());
    bool resp_err = false;
    for (;;) {
      if (mem.cycle() - start > bound) {
        throw tsr::Error(fmt::format("DMA stuck: {} after {} cycles", show(d), bound));
      }
      AxiSlavePins s;
      mem.outputs(s);
      drive_slave(s);
      dut->desc_valid_i = !sent;
      dut->desc_addr_i = static_cast<uint32_t>(d.addr);
      dut->desc_stride_i = static_cast<uint32_t>(d.stride);
      dut->desc_rows_i = d.rows;
      dut->desc_row_bytes_i = d.row_bytes;
      dut->desc_elem_bytes_i = d.elem_bytes;
      if constexpr (kIsRead) {
        dut->out_ready_i = p(rng) < pct;
      } else {
        if (!offering) offering = p(rng) < pct;
        const Elem& e = r.accepted < payload.size() ? payload[r.accepted] : filler;
        dut->in_valid_i = offering;
        for (int i = 0; i < E; ++i) put_lane(dut->in_data_i, i, 8, e[i]);
      }
      dut->eval();
      const bool desc_fire = dut->desc_valid_i && dut->desc_ready_o;
      if constexpr (kIsRead) {
        Elem e(E);
        for (int i = 0; i < E; ++i) e[i] = static_cast<uint8_t>(get_lane(dut->out_data_o, i, 8));
        const bool valid = dut->out_valid_o, last = dut->out_last_o;
        if (prev_hold && !(valid && e == prev_elem && last == prev_last)) {
          r.violations.push_back(fmt::format("cycle {}: out_valid_o withdrawn or element changed "
                                             "while stalled",
                                             mem.cycle() - start));
        }
        if (valid && dut->out_ready_i) {
          r.elems.push_back(e);
          if (last) {
            ++r.lasts;
            r.last_on_final = r.elems.size() == d.elems();
          }
        }
        prev_hold = valid && !dut->out_ready_i;
        prev_elem = e;
        prev_last = last;
        if (sent && r.first_valid < 0 && dut->m_arvalid_o) {
          r.first_valid = static_cast<int64_t>(mem.cycle() - fire_cycle);
        }
        if (dut->m_arvalid_o && s.arready) {
          r.bursts.push_back({dut->m_araddr_o, dut->m_arlen_o});
          r.bursts_after_err += resp_err;
        }
        resp_err |= s.rvalid && dut->m_rready_o && s.rresp != 0;
      } else {
        if (dut->in_valid_i && dut->in_ready_o) {
          ++r.accepted;
          offering = false;
        }
        if (sent && r.first_valid < 0 && dut->m_awvalid_o) {
          r.first_valid = static_cast<int64_t>(mem.cycle() - fire_cycle);
        }
        if (dut->m_awvalid_o && s.awready) {
          r.bursts.push_back({dut->m_awaddr_o, dut->m_awlen_o});
          r.bursts_after_err += resp_err;
          aw.push_back(r.bursts.back());
        }
        resp_err |= s.bvalid && dut->m_bready_o && s.bresp != 0;
        if (dut->m_wvalid_o && s.wready) check_w_beat(aw, wbeat, allowed, r);
      }
      const bool done = dut->done_o;
      mem.tick(master_pins());
      dut.tick();
      if (desc_fire) {
        sent = true;
        fire_cycle = mem.cycle() - 1;  // the cycle of the handshake
      }
      if (done && sent) break;
    }
    r.err = dut->err_o;
    r.code = dut->err_code_o;
    r.cycles = mem.cycle() - start;
    return r;
  }

  tsr::tb::Dut<V> dut;
  AxiMemory mem;

 private:
  // Every strobed byte of an accepted W beat must belong to a row of the descriptor.
  void check_w_beat(std::deque<Burst>& aw, uint32_t& wbeat, const std::vector<bool>& allowed,
                    Result& r) {
    if (aw.empty()) {
      r.violations.push_back("W beat before its AW");
      return;
    }
    const uint64_t beat_addr = aw.front().addr + uint64_t{wbeat} * B;
    const uint64_t strb = dut->m_wstrb_o;
    for (int i = 0; i < B; ++i) {
      if (((strb >> i) & 1u) == 0) continue;
      const uint64_t a = beat_addr + i;
      if (a < kBase || a >= kBase + kSize || !allowed[a - kBase]) {
        r.violations.push_back(fmt::format("WSTRB enables byte {:#x}, outside the rows", a));
      }
    }
    if (wbeat == aw.front().len) {
      aw.pop_front();
      wbeat = 0;
    } else {
      ++wbeat;
    }
  }

  void drive_slave(const AxiSlavePins& s) {
    if constexpr (kIsRead) {
      dut->m_arready_i = s.arready;
      dut->m_rvalid_i = s.rvalid;
      for (int i = 0; i < B; ++i) put_lane(dut->m_rdata_i, i, 8, s.rdata[i]);
      dut->m_rresp_i = s.rresp;
      dut->m_rlast_i = s.rlast;
    } else {
      dut->m_awready_i = s.awready;
      dut->m_wready_i = s.wready;
      dut->m_bvalid_i = s.bvalid;
      dut->m_bresp_i = s.bresp;
    }
  }

  AxiMasterPins master_pins() const {
    AxiMasterPins m;
    m.arburst = m.awburst = 1;
    if constexpr (kIsRead) {
      m.arvalid = dut->m_arvalid_o;
      m.araddr = dut->m_araddr_o;
      m.arlen = dut->m_arlen_o;
      m.arsize = dut->m_arsize_o;
      m.arburst = dut->m_arburst_o;
      m.rready = dut->m_rready_o;
      m.wdata.assign(B, 0);
    } else {
      m.awvalid = dut->m_awvalid_o;
      m.awaddr = dut->m_awaddr_o;
      m.awlen = dut->m_awlen_o;
      m.awsize = dut->m_awsize_o;
      m.awburst = dut->m_awburst_o;
      m.wvalid = dut->m_wvalid_o;
      m.wdata.resize(B);
      for (int i = 0; i < B; ++i) m.wdata[i] = static_cast<uint8_t>(get_lane(dut->m_wdata_o, i, 8));
      m.wstrb = dut->m_wstrb_o;
      m.wlast = dut->m_wlast_o;
      m.bready = dut->m_bready_o;
    }
    return m;
  }
};

template <typename V, int B, int E>
struct Cfg {
  using Model = V;
  static constexpr int kBytes = B;
  static constexpr int kElem = E;
};

struct CfgName {
  template <typename T>
  static std::string GetName(int) {
    return fmt::format("Bus{}Elem{}", T::kBytes, T::kElem);
  }
};

template <typename T>
class DmaTest : public ::testing::Test {
 public:
  static constexpr int kB = T::kBytes;
  static constexpr int kE = T::kElem;
  using Bench_ = Bench<typename T::Model, kB, kE>;
};
template <typename T>
class DmaRead : public DmaTest<T> {};
template <typename T>
class DmaWrite : public DmaTest<T> {};

// Element ports of 16 and 36 bytes (read), 12 and 64 bytes (write): powers of two and not.
using ReadDuts = ::testing::Types<Cfg<Vtsr_dma_rd8_e16, 8, 16>, Cfg<Vtsr_dma_rd8_e36, 8, 36>,
                                  Cfg<Vtsr_dma_rd16_e16, 16, 16>, Cfg<Vtsr_dma_rd16_e36, 16, 36>>;
using WriteDuts = ::testing::Types<Cfg<Vtsr_dma_wr8_e12, 8, 12>, Cfg<Vtsr_dma_wr8_e64, 8, 64>,
                                   Cfg<Vtsr_dma_wr16_e12, 16, 12>, Cfg<Vtsr_dma_wr16_e64, 16, 64>>;
TYPED_TEST_SUITE(DmaRead, ReadDuts, CfgName);
TYPED_TEST_SUITE(DmaWrite, WriteDuts, CfgName);

// Descriptors the check must reject with code 2, each with bytes inside the window.
std::vector<Desc> bad_descriptors(int elem_max) {
  const auto e1 = static_cast<uint32_t>(elem_max) + 1;
  return {
      {kWinLo + 3, 100, 0, 12, 4},       // no rows
      {kWinLo + 3, 100, 2, 0, 4},        // empty rows
      {kWinLo + 3, 100, 2, 12, 0},       // empty elements
      {kWinLo + 3, 300, 2, 2 * e1, e1},  // element wider than the port
      {kWinLo + 3, 100, 2, 10, 4},       // row not a multiple of the element
      {kWinLo + 3, 100, 2, 16, 3},       //   (non-power-of-two element)
      {kWinLo + 3, 100, 2, 0x8001, 2},   //   (remainder only in the low dividend byte)
      {kWinLo + 3, 100, 2, 3090, 12},    //   (3090 = 257 * 12 + 6)
      {kWinLo + 3, 100, 2, 9004, 9},     //   (9004 = 1000 * 9 + 4)
      {kWinLo + 3, 100, 2, 0x230, 12},   //   (560 % 12 = 8, the low four dividend bits 0)
      {kWinHi - 4, 100, 2, 10, 4},       // bad and outside the window: bad wins
  };
}

// Descriptors just outside the window (code 1), each with unaligned rows.
std::vector<Desc> window_violations() {
  return {
      {kWinLo - 1, 37, 3, 12, 4},                   // first byte one below the window
      {kWinHi + 1 - (2 * 37 + 12), 37, 3, 12, 4},   // last byte one past the window
      {kWinHi - 5, 37, 1, 6, 3},                    // a single row, one byte past
      {kWinLo + 0x100, 0xFFFFFF00u, 2, 16, 4},      // row 1 wraps 32 bits into the window
      {kWinLo + 0x40, 0x01000000u, 257, 16, 4},     // (rows - 1) * stride = 2^32 exactly
      {kWinLo + 0x40, 0x00100000u, 0xFFFF, 16, 4},  // far past 32 bits
  };
}

// Descriptors that touch the window's first and last bytes exactly: accepted.
std::vector<Desc> window_edges() {
  return {
      {kWinLo, 37, 3, 12, 4},                  // first byte at win_base
      {kWinHi - (2 * 37 + 12), 37, 3, 12, 4},  // last byte at win_limit - 1
      {kWinLo + 1, 1, 5, 2, 1},                // overlapping one-byte-stride rows
  };
}

// Descriptors with one failing byte: long rows (the error arrives in the middle of a row) and
// rows of a single burst each (it arrives at a row end): generation must stop either way.
std::vector<std::pair<Desc, uint64_t>> error_cases(int bus) {
  const auto b = static_cast<uint64_t>(bus);
  const Desc long_rows{kWinLo + 3, 200 * b, 2, static_cast<uint32_t>(160 * b), 8};
  const Desc short_rows{kWinLo + 3, 16 * b, 30, static_cast<uint32_t>(8 * b - 8), 8};
  return {{long_rows, long_rows.addr + 3 * b}, {short_rows, short_rows.row_addr(0) + 2 * b}};
}

// Bytes of the element stream that lie below `addr` (rows in increasing address order).
uint64_t stream_bytes_below(const Desc& d, uint64_t addr) {
  uint64_t n = 0;
  for (uint32_t r = 0; r < d.rows; ++r) {
    if (addr > d.row_addr(r)) n += std::min<uint64_t>(addr - d.row_addr(r), d.row_bytes);
  }
  return n;
}

// ---------------------------------------------------------------------------------------------
// Read engine

TYPED_TEST(DmaRead, RandomDescriptorsBitExact) {
  constexpr int B = TestFixture::kB, E = TestFixture::kE;
  const uint64_t seed = tsr::tb::test_seed();
  std::mt19937_64 rng(seed);
  static constexpr int kPct[] = {100, 60, 25};
  for (int batch = 0; batch < 6; ++batch) {
    typename TestFixture::Bench_ bench(random_mem_config(rng, B));
    for (int t = 0; t < 10; ++t) {
      const Desc d = random_desc(rng, B, E, /*overlap=*/true);
      const Result r = bench.run(d, kPct[t % 3], rng());
      const std::string where =
          fmt::format("batch {} descriptor {}: {} (seed {})", batch, t, show(d), seed);
      ASSERT_FALSE(r.err) << "code " << r.code << " " << where;
      ASSERT_EQ(r.elems, expected_elems(bench.mem, d, E)) << where;
      EXPECT_EQ(r.lasts, 1) << where;
      EXPECT_TRUE(r.last_on_final) << where;
      EXPECT_EQ(r.bursts, expected_bursts(read_span(d, E), B)) << where;
      EXPECT_EQ(r.violations, std::vector<std::string>{}) << where;
    }
    EXPECT_EQ(bench.mem.stats().read_errors, 0u);
    EXPECT_TRUE(bench.mem.idle());
  }
}

TYPED_TEST(DmaRead, OverlappingRowsAreReadAsOneSpan) {
  // Single-element rows that overlap (the lowering's folded and window-start rows): the same
  // elements as row-by-row reading, from the bursts of one contiguous span. A repeated row
  // (stride 0) and rows of several elements are read row by row. (Spans of 2^16 bytes or more,
  // also read row by row, do not fit this bench's window.)
  constexpr int B = TestFixture::kB, E = TestFixture::kE;
  const uint64_t seed = tsr::tb::test_seed();
  std::mt19937_64 rng(seed);
  typename TestFixture::Bench_ bench(random_mem_config(rng, B));
  std::vector<Desc> ds;
  for (int t = 0; t < 24; ++t) {
    Desc d;
    d.row_bytes = d.elem_bytes = static_cast<uint32_t>(pick(rng, 2, E));
    d.stride = pick(rng, 1, d.row_bytes - 1);
    d.rows = static_cast<uint32_t>(pick(rng, 2, 300));
    d.addr = kWinLo + pick(rng, 0, 4 * static_cast<uint64_t>(B));
    ds.push_back(d);
  }
  if (E >= 3) {
    ds.push_back({kWinLo + 5, 0, 7, 3, 3});      // stride 0
    ds.push_back({kWinLo + 5, 1, 9, 2 * static_cast<uint32_t>(E / 2), static_cast<uint32_t>(E / 2)});
  }
  for (const Desc& d : ds) {
    const Result r = bench.run(d, 60, rng());
    const std::string where = fmt::format("{} (seed {})", show(d), seed);
    ASSERT_FALSE(r.err) << "code " << r.code << " " << where;
    ASSERT_EQ(r.elems, expected_elems(bench.mem, d, E)) << where;
    EXPECT_EQ(r.lasts, 1) << where;
    EXPECT_TRUE(r.last_on_final) << where;
    const Desc span = read_span(d, E);
    EXPECT_EQ(r.bursts, expected_bursts(span, B)) << where;
    if (span.rows == 1 && d.rows > 1) {
      EXPECT_LT(r.bursts.size(), d.rows) << "coalesced rows still cost a burst each: " << where;
    }
  }
}

TYPED_TEST(DmaRead, BadDescriptorRejectedWithoutAccess) {
  constexpr int B = TestFixture::kB, E = TestFixture::kE;
  typename TestFixture::Bench_ bench;
  for (const Desc& d : bad_descriptors(E)) {
    const Result r = bench.run(d, 100, 2);
    EXPECT_TRUE(r.err) << show(d);
    EXPECT_EQ(r.code, kErrBad) << show(d);
    EXPECT_TRUE(r.elems.empty()) << show(d);
    EXPECT_LE(r.cycles, 6u) << show(d);
    // Recovery: the next descriptor runs normally.
    const Desc ok{kWinLo + 5, 50, 3, 24, 8};
    const Result g = bench.run(ok, 100, 3);
    EXPECT_FALSE(g.err) << "after " << show(d);
    EXPECT_EQ(g.elems, expected_elems(bench.mem, ok, E)) << "after " << show(d);
  }
  EXPECT_EQ(bench.mem.stats().read_bursts,
            bad_descriptors(E).size() * expected_bursts({kWinLo + 5, 50, 3, 24, 8}, B).size());
}

TYPED_TEST(DmaRead, WindowViolationByOneByteRejectedWithoutAccess) {
  constexpr int B = TestFixture::kB, E = TestFixture::kE;
  typename TestFixture::Bench_ bench;
  uint64_t good_bursts = 0;
  for (const Desc& d : window_violations()) {
    const uint64_t before = bench.mem.stats().read_bursts;
    const Result r = bench.run(d, 100, 4);
    EXPECT_TRUE(r.err) << show(d);
    EXPECT_EQ(r.code, kErrWindow) << show(d);
    EXPECT_TRUE(r.elems.empty()) << show(d);
    EXPECT_EQ(bench.mem.stats().read_bursts, before) << show(d);
    const Desc ok = window_edges()[0];
    const Result g = bench.run(ok, 100, 5);
    EXPECT_FALSE(g.err) << "after " << show(d);
    EXPECT_EQ(g.elems, expected_elems(bench.mem, ok, E)) << "after " << show(d);
    good_bursts += g.bursts.size();
  }
  for (const Desc& d : window_edges()) {
    const Result g = bench.run(d, 70, 6);
    EXPECT_FALSE(g.err) << show(d) << " code " << g.code;
    EXPECT_EQ(g.elems, expected_elems(bench.mem, d, E)) << show(d);
    EXPECT_EQ(g.bursts, expected_bursts(d, B)) << show(d);
  }
  EXPECT_GT(good_bursts, 0u);
}

TYPED_TEST(DmaRead, AxiErrorsReportedDrainedAndRecovered) {
  constexpr int B = TestFixture::kB, E = TestFixture::kE;
  for (const uint32_t resp : {tsr::tb::kAxiSlvErr, tsr::tb::kAxiDecErr}) {
    for (const auto& [d, bad] : error_cases(B)) {
      typename TestFixture::Bench_ bench;
      bench.mem.add_error_range(bad, bad + 1, resp);
      const Result r = bench.run(d, 70, 7);
      const std::string where = fmt::format("{}, error at {:#x}, resp {}", show(d), bad, resp);
      EXPECT_TRUE(r.err) << where;
      EXPECT_EQ(r.code, 4u | resp) << where;
      EXPECT_EQ(r.lasts, 0) << where;
      // What came out is the head of the right stream and stops before the failing beat.
      const auto want = expected_elems(bench.mem, d, E);
      ASSERT_LE(r.elems.size(), stream_bytes_below(d, bad / B * B) / d.elem_bytes) << where;
      EXPECT_TRUE(std::equal(r.elems.begin(), r.elems.end(), want.begin())) << where;
      // Generation stopped: at most the address already on offer went out after the error.
      EXPECT_LE(r.bursts_after_err, 1) << where;
      EXPECT_LT(r.bursts.size(), expected_bursts(d, B).size()) << where;
      EXPECT_EQ(r.violations, std::vector<std::string>{}) << where;
      EXPECT_EQ(bench.mem.outstanding_reads(), 0) << where;
      EXPECT_TRUE(bench.mem.idle()) << where;
      EXPECT_FALSE(bench.dut->busy_o) << where;
      bench.mem.clear_error_ranges();
      const Result again = bench.run(d, 100, 8);
      EXPECT_FALSE(again.err) << where;
      EXPECT_EQ(again.elems, want) << where;
      EXPECT_EQ(again.lasts, 1) << where;
    }
  }
}

TYPED_TEST(DmaRead, CrossesFourKiBBoundariesAndSplitsAtMaxBurst) {
  constexpr int B = TestFixture::kB, E = TestFixture::kE;
  typename TestFixture::Bench_ bench;
  // Rows starting 5 bytes into the beat 3 beats before a 4 KiB boundary, 40 beats long: each row
  // splits at the boundary and then at MaxBurst.
  const Desc d{kBase + 0x3000 - 3 * B + 5, 0x1000, 3, 40 * B, 8};
  const Result r = bench.run(d, 100, 9);
  ASSERT_FALSE(r.err);
  EXPECT_EQ(r.elems, expected_elems(bench.mem, d, E));
  const auto want = expected_bursts(d, B);
  EXPECT_EQ(r.bursts, want);
  EXPECT_EQ(want.front(), (Burst{kBase + 0x3000 - 3 * B, 2}));  // up to the boundary
  EXPECT_EQ(want[1], (Burst{kBase + 0x3000, kMaxBurst - 1}));   // a full burst
  for (const Burst& b : r.bursts) {
    EXPECT_LE(b.len, kMaxBurst - 1u);
    EXPECT_EQ(b.addr / 4096, (b.addr + (b.len + 1) * B - 1) / 4096);
  }
}

// ---------------------------------------------------------------------------------------------
// Write engine

TYPED_TEST(DmaWrite, RandomDescriptorsWriteExactlyTheirRows) {
  constexpr int B = TestFixture::kB, E = TestFixture::kE;
  const uint64_t seed = tsr::tb::test_seed();
  std::mt19937_64 rng(seed);
  static constexpr int kPct[] = {100, 50, 20};
  for (int batch = 0; batch < 6; ++batch) {
    typename TestFixture::Bench_ bench(random_mem_config(rng, B));
    for (int t = 0; t < 10; ++t) {
      const Desc d = random_desc(rng, B, E, /*overlap=*/false);
      const auto payload = random_payload(rng, d, E);
      const auto image = expected_image(bench.mem.read(kBase, kSize), d, payload);
      const Result r = bench.run(d, kPct[t % 3], rng(), payload);
      const std::string where =
          fmt::format("batch {} descriptor {}: {} (seed {})", batch, t, show(d), seed);
      ASSERT_FALSE(r.err) << "code " << r.code << " " << where;
      EXPECT_EQ(r.accepted, d.elems()) << where;
      EXPECT_EQ(r.violations, std::vector<std::string>{}) << where;
      EXPECT_EQ(r.bursts, expected_bursts(d, B)) << where;
      ASSERT_EQ(bench.mem.read(kBase, kSize), image) << where;
    }
    EXPECT_FALSE(bench.mem.written_outside(kWinLo, kWinHi));
    EXPECT_EQ(bench.mem.stats().write_errors, 0u);
    EXPECT_TRUE(bench.mem.idle());
  }
}

TYPED_TEST(DmaWrite, BadDescriptorRejectedConsumingNothing) {
  constexpr int B = TestFixture::kB, E = TestFixture::kE;
  typename TestFixture::Bench_ bench;
  std::mt19937_64 rng(10);
  const Desc ok{kWinLo + 5, 50, 3, 24, 8};
  for (const Desc& d : bad_descriptors(E)) {
    const auto before = bench.mem.read(kBase, kSize);
    const Result r = bench.run(d, 100, 11);
    EXPECT_TRUE(r.err) << show(d);
    EXPECT_EQ(r.code, kErrBad) << show(d);
    EXPECT_EQ(r.accepted, 0u) << show(d);
    EXPECT_TRUE(r.bursts.empty()) << show(d);
    EXPECT_LE(r.cycles, 6u) << show(d);
    EXPECT_EQ(bench.mem.read(kBase, kSize), before) << show(d);
    const auto payload = random_payload(rng, ok, E);
    const auto image = expected_image(bench.mem.read(kBase, kSize), ok, payload);
    const Result g = bench.run(ok, 100, 12, payload);
    EXPECT_FALSE(g.err) << "after " << show(d);
    EXPECT_EQ(g.accepted, ok.elems());
    EXPECT_EQ(bench.mem.read(kBase, kSize), image) << "after " << show(d);
  }
  EXPECT_EQ(bench.mem.stats().write_bursts,
            bad_descriptors(E).size() * expected_bursts(ok, B).size());
}

TYPED_TEST(DmaWrite, WindowViolationByOneByteWritesNothingAndDropsElements) {
  constexpr int B = TestFixture::kB, E = TestFixture::kE;
  typename TestFixture::Bench_ bench;
  std::mt19937_64 rng(13);
  for (const Desc& d : window_violations()) {
    if (d.elems() > 4096) continue;  // the far-overflow one: only its check matters, see below
    const auto before = bench.mem.read(kBase, kSize);
    const uint64_t aw_before = bench.mem.stats().write_bursts;
    const Result r = bench.run(d, 60, 14, random_payload(rng, d, E));
    EXPECT_TRUE(r.err) << show(d);
    EXPECT_EQ(r.code, kErrWindow) << show(d);
    EXPECT_EQ(r.accepted, d.elems()) << show(d);  // consumed and dropped: the producer never hangs
    EXPECT_EQ(bench.mem.stats().write_bursts, aw_before) << show(d);
    EXPECT_EQ(bench.mem.read(kBase, kSize), before) << show(d);
    const Desc ok = window_edges()[1];
    const auto payload = random_payload(rng, ok, E);
    const auto image = expected_image(bench.mem.read(kBase, kSize), ok, payload);
    const Result g = bench.run(ok, 100, 15, payload);
    EXPECT_FALSE(g.err) << "after " << show(d);
    EXPECT_EQ(bench.mem.read(kBase, kSize), image) << "after " << show(d);
  }
  for (const Desc& d : window_edges()) {
    const auto payload = random_payload(rng, d, E);
    const auto image = expected_image(bench.mem.read(kBase, kSize), d, payload);
    const Result g = bench.run(d, 70, 16, payload);
    EXPECT_FALSE(g.err) << show(d) << " code " << g.code;
    EXPECT_EQ(g.violations, std::vector<std::string>{}) << show(d);
    EXPECT_EQ(g.bursts, expected_bursts(d, B)) << show(d);
    EXPECT_EQ(bench.mem.read(kBase, kSize), image) << show(d);
  }
  EXPECT_FALSE(bench.mem.written_outside(kWinLo, kWinHi));
}

TYPED_TEST(DmaWrite, WindowArithmeticOverflowRejected) {
  typename TestFixture::Bench_ bench;
  // 0xFFFF rows: only the check is run; its (many) elements are dropped as they come.
  const Desc d = window_violations().back();
  const Result r = bench.run(d, 100, 17);
  EXPECT_TRUE(r.err);
  EXPECT_EQ(r.code, kErrWindow);
  EXPECT_EQ(r.accepted, d.elems());
  EXPECT_TRUE(r.bursts.empty());
}

TYPED_TEST(DmaWrite, AxiErrorsReportedAndRecovered) {
  constexpr int B = TestFixture::kB, E = TestFixture::kE;
  std::mt19937_64 rng(18);
  for (const uint32_t resp : {tsr::tb::kAxiSlvErr, tsr::tb::kAxiDecErr}) {
    for (const auto& [d, bad] : error_cases(B)) {
      typename TestFixture::Bench_ bench;
      bench.mem.add_error_range(bad, bad + 1, resp);
      const std::string where = fmt::format("{}, error at {:#x}, resp {}", show(d), bad, resp);
      const auto before = bench.mem.read(kBase, kSize);
      const Result r = bench.run(d, 100, 19, random_payload(rng, d, E));
      EXPECT_TRUE(r.err) << where;
      EXPECT_EQ(r.code, 4u | resp) << where;
      EXPECT_EQ(r.accepted, d.elems()) << where;  // the rest of the elements were dropped
      // Generation stopped: at most the address already on offer went out after the error.
      EXPECT_LE(r.bursts_after_err, 1) << where;
      EXPECT_LT(r.bursts.size(), expected_bursts(d, B).size()) << where;
      EXPECT_EQ(r.violations, std::vector<std::string>{}) << where;
      EXPECT_EQ(bench.mem.outstanding_writes(), 0) << where;
      EXPECT_TRUE(bench.mem.idle()) << where;
      EXPECT_FALSE(bench.dut->busy_o) << where;
      // Bytes outside the rows are untouched whatever was written before the engine stopped.
      const auto after = bench.mem.read(kBase, kSize);
      const auto mask = row_mask(d);
      for (uint64_t i = 0; i < kSize; ++i) {
        if (!mask[i]) {
          ASSERT_EQ(after[i], before[i]) << fmt::format("byte {:#x}, {}", kBase + i, where);
        }
      }
      bench.mem.clear_error_ranges();
      const auto payload = random_payload(rng, d, E);
      const auto image = expected_image(bench.mem.read(kBase, kSize), d, payload);
      const Result again = bench.run(d, 100, 20, payload);
      EXPECT_FALSE(again.err) << where;
      EXPECT_EQ(again.accepted, d.elems()) << where;
      EXPECT_EQ(bench.mem.read(kBase, kSize), image) << where;
      EXPECT_FALSE(bench.mem.written_outside(kWinLo, kWinHi)) << where;
    }
  }
}

TYPED_TEST(DmaWrite, CrossesFourKiBBoundariesAndSplitsAtMaxBurst) {
  constexpr int B = TestFixture::kB, E = TestFixture::kE;
  typename TestFixture::Bench_ bench;
  std::mt19937_64 rng(21);
  const Desc d{kBase + 0x3000 - 3 * B + 5, 0x1000, 3, 40 * B, 8};
  const auto payload = random_payload(rng, d, E);
  const auto image = expected_image(bench.mem.read(kBase, kSize), d, payload);
  const Result r = bench.run(d, 100, 22, payload);
  ASSERT_FALSE(r.err);
  EXPECT_EQ(bench.mem.read(kBase, kSize), image);
  EXPECT_EQ(r.bursts, expected_bursts(d, B));
  EXPECT_EQ(r.bursts.front(), (Burst{kBase + 0x3000 - 3 * B, 2}));
  EXPECT_EQ(r.bursts[1], (Burst{kBase + 0x3000, kMaxBurst - 1}));
  EXPECT_EQ(r.violations, std::vector<std::string>{});
  // The first and last beats of each row are partial: the memory model saw the row's bytes only.
  for (const auto& w : bench.mem.write_log()) {
    bool inside = false;
    for (uint32_t i = 0; i < d.rows; ++i) {
      inside |= w.strobe_lo >= d.row_addr(i) && w.strobe_hi <= d.row_addr(i) + d.row_bytes;
    }
    EXPECT_TRUE(inside) << fmt::format("burst {:#x}: strobes [{:#x}, {:#x})", w.addr, w.strobe_lo,
                                       w.strobe_hi);
  }
}

// ---------------------------------------------------------------------------------------------
// Throughput: aligned 16 KiB in one row with 64-cycle latency at 16 B/cycle. Bursts are issued
// ahead, so a transfer takes the latency plus the bytes at min(bus, memory) bandwidth, or one
// element per cycle when elements are narrower than the bus.

template <typename Fixture>
void throughput(bool read) {
  constexpr int B = Fixture::kB, E = Fixture::kE;
  std::vector<uint32_t> elems{4, std::min(16u, static_cast<uint32_t>(E))};
  if (E > 16) elems.push_back(E);
  for (const uint64_t offset : {0, 5}) {
    for (const uint32_t elem : elems) {
      typename Fixture::Bench_ bench;
      std::mt19937_64 rng(23);
      const uint32_t bytes = 16384 / elem * elem;
      const Desc d{kWinLo + offset, 0, 1, bytes, elem};
      const Result r =
          read ? bench.run(d, 100, 24) : bench.run(d, 100, 24, random_payload(rng, d, E));
      ASSERT_FALSE(r.err);
      const double bytes_per_cycle = std::min({double{B}, 16.0, static_cast<double>(elem)});
      const double ideal = 64 + bytes / bytes_per_cycle;
      fmt::print(
          "[ dma      ] {} {} B at +{}, {:2}-byte elements, {}-bit bus: {} cycles, ideal "
          "{:.0f} ({:.1f}%)\n",
          read ? "read " : "write", bytes, offset, elem, 8 * B, r.cycles, ideal,
          100.0 * ideal / static_cast<double>(r.cycles));
      EXPECT_LE(r.cycles, ideal * 1.02 + 16) << elem << "-byte elements at +" << offset;
      // Three check cycles (tsr_dma_agen: the extent product is split over two), then the burst.
      EXPECT_EQ(r.first_valid, 4) << "descriptor handshake to first address valid";
    }
  }
}

TYPED_TEST(DmaRead, StreamsAtMemoryBandwidth) { throughput<TestFixture>(true); }
TYPED_TEST(DmaWrite, StreamsAtMemoryBandwidth) { throughput<TestFixture>(false); }

}  // namespace

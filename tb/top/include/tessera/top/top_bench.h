// TopBench: the verilated accelerator top (Vtop, one per test executable) wired to the AXI4 memory
// model (DMA master side) and the AXI4-Lite driver (CSR side), both from tb/common. CSR offsets,
// counter indices and error codes come from the variant's generated include/tsr_isa.h.
//
// run() starts a command list and steps until STATUS reports done or error. A watchdog turns a
// hang into a failure: when no command retires, no AXI beat moves and no counter of a busy unit
// advances for `stall_limit` cycles, it throws tsr::Error naming the unit that holds a command
// (and whether it waits for a dependency token) -- with the wave path when tracing is on.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <verilated.h>
#include <verilated_fst_c.h>

#include "tessera/error.h"
#include "tessera/iss/iss.h"
#include "tessera/tb/axi_mem.h"
#include "tessera/tb/axil.h"
#include "tessera/sim/bits.h"
#include "tsr_isa.h"

namespace tsr::tb {

using tsr::sim::get_lane;
using tsr::sim::put_lane;

struct TopRun {
  bool done = false;
  bool error = false;
  uint32_t err_code = 0;
  uint32_t err_unit = 0;
  uint32_t err_cmd = 0;
  bool irq = false;
  uint64_t cycles = 0;  // from start to done / error
  std::vector<uint64_t> counters;
  uint64_t counter(int index) const { return counters.at(static_cast<size_t>(index)); }
};

template <class Vtop>
class TopBench {
 public:
  // The DMA data width of the model, from the width of its m_rdata_i port.
  static constexpr int kBus = static_cast<int>(sizeof(Vtop::m_rdata_i));

  explicit TopBench(AxiMemory::Config mem_cfg, const std::string& wave = "")
      : ctx_(std::make_unique<VerilatedContext>()), mem_(fix(mem_cfg)) {
    ctx_->randReset(2);
    if (!wave.empty()) ctx_->traceEverOn(true);
    top_ = std::make_unique<Vtop>(ctx_.get(), "tsr_top");
    if (!wave.empty()) {
      trace_ = std::make_unique<VerilatedFstC>();
      top_->trace(trace_.get(), 99);
      trace_->open(wave.c_str());
    }
    top_->clk_i = 0;
    top_->rst_ni = 0;
    idle_inputs();
    top_->eval();
    tick_clock();
    top_->rst_ni = 1;
    top_->eval();
  }
  ~TopBench() {
    if (trace_) trace_->close();
    top_->final();
  }

  Vtop* dut() { return top_.get(); }
  AxiMemory& mem() { return mem_; }
  uint64_t cycle() const { return cycle_; }

  // One full cycle: both models' outputs in, DUT evaluated, both models and the DUT clocked.
  void step() {
    AxiSlavePins s;
    mem_.outputs(s);
    AxilMasterPins lm;
    csr_.outputs(lm);
    drive(s, lm);
    top_->eval();
    AxiMasterPins m = master_pins();
    AxilSlavePins ls = csr_pins();
    activity_ = (m.wvalid && s.wready) || (s.rvalid && m.rready);
    mem_.tick(m);
    csr_.tick(ls);
    tick_clock();
  }

  uint32_t read_csr(uint32_t addr) {
    auto op = csr_.read(addr);
    return csr_.wait(op, [this] { step(); }, 100000).data;
  }
  void write_csr(uint32_t addr, uint32_t value) {
    auto op = csr_.write(addr, value);
    csr_.wait(op, [this] { step(); }, 100000);
  }
  uint64_t read_counter(int index) {
    const uint32_t lo = read_csr(TSR_CSR_PERF_BASE + 8 * index);
    const uint32_t hi = read_csr(TSR_CSR_PERF_BASE + 8 * index + 4);
    return (uint64_t{hi} << 32) | lo;
  }

  // Escape core: CORE_CTRL (bit 0 run, bit 1 reset) and the loader port (CORE_LM_ADDR /
  // CORE_LM_DATA), which writes IMEM or DMEM words and reads DMEM words while the core is stopped.
  void core_ctrl(uint32_t value) { write_csr(TSR_CSR_CORE_CTRL, value); }
  void core_write(uint32_t addr, const std::vector<uint8_t>& bytes) {
    write_csr(TSR_CSR_CORE_LM_ADDR, addr);
    for (size_t i = 0; i < bytes.size(); i += 4) {
      uint32_t w = 0;
      for (size_t k = 0; k < 4 && i + k < bytes.size(); ++k) w |= uint32_t{bytes[i + k]} << (8 * k);
      write_csr(TSR_CSR_CORE_LM_DATA, w);
    }
  }
  void core_write_words(uint32_t addr, const std::vector<uint32_t>& words) {
    write_csr(TSR_CSR_CORE_LM_ADDR, addr);
    for (uint32_t w : words) write_csr(TSR_CSR_CORE_LM_DATA, w);
  }
  // Writes every PT_LOAD segment of an ELF image (zero-filled to memsz) with the core stopped,
  // then starts it (CORE_CTRL.run).
  void load_core(const tsr::iss::ElfImage& img) {
    core_ctrl(0);
    for (const auto& seg : img.segments) {
      std::vector<uint8_t> bytes = seg.bytes;
      bytes.resize((std::max<size_t>(seg.memsz, bytes.size()) + 3) & ~size_t{3}, 0);
      core_write(seg.addr, bytes);
    }
    core_ctrl(1);
  }
  std::vector<uint32_t> core_read_words(uint32_t addr, size_t n) {
    write_csr(TSR_CSR_CORE_LM_ADDR, addr);
    std::vector<uint32_t> v;
    for (size_t i = 0; i < n; ++i) v.push_back(read_csr(TSR_CSR_CORE_LM_DATA));
    return v;
  }

  void set_window(uint64_t base, uint64_t limit) {
    write_csr(TSR_CSR_WIN_BASE, static_cast<uint32_t>(base));
    write_csr(TSR_CSR_WIN_LIMIT, static_cast<uint32_t>(limit));
  }

  // Starts CMD_COUNT commands at CMD_BASE and waits for done or error (see the file comment).
  TopRun run_list(uint64_t cmd_base, uint32_t count, uint64_t max_cycles = 20'000'000,
                  uint64_t stall_limit = 20000) {
    write_csr(TSR_CSR_CMD_BASE, static_cast<uint32_t>(cmd_base));
    write_csr(TSR_CSR_CMD_COUNT, count);
    write_csr(TSR_CSR_CTRL, 1);
    return wait_finish(max_cycles, stall_limit);
  }

  // Waits for STATUS done or error (see peek_status). The cycle count reported is the
  // accelerator's own CYCLES counter, so the polling does not affect it.
  TopRun wait_finish(uint64_t max_cycles = 20'000'000, uint64_t stall_limit = 20000) {
    const uint64_t start = cycle_;
    uint64_t quiet = 0;
    uint64_t last_sig = 0;
    for (;;) {
      step();
      const uint32_t status = peek_status();
      if (status & 0x2u) {
        // Done means every write has landed: no AXI transaction may still be in flight.
        if (!mem_.idle()) {
          throw tsr::Error(fmt::format("STATUS reports done at cycle {} while AXI transactions "
                                       "are still in flight",
                                       cycle_));
        }
        break;
      }
      if (status & 0x4u) break;  // error
      const uint64_t sig = progress_signature();
      if (activity_ || sig != last_sig) {
        quiet = 0;
      } else if (++quiet >= stall_limit &&
                 (read_csr(TSR_CSR_CORE_STATUS) & 0x6u) == 0x6u) {
        quiet = 0;  // an ESCAPE is pending on a running escape core: the core is working
      } else if (quiet >= stall_limit) {
        throw tsr::Error(fmt::format("accelerator stuck for {} cycles at cycle {}: {}",
                                     stall_limit, cycle_, stuck_units()));
      }
      last_sig = sig;
      if (cycle_ - start > max_cycles) {
        throw tsr::Error(fmt::format("accelerator did not finish in {} cycles: {}", max_cycles,
                                     stuck_units()));
      }
    }
    TopRun r;
    const uint32_t status = read_csr(TSR_CSR_STATUS);
    r.done = status & 2u;
    r.error = status & 4u;
    const uint32_t ec = read_csr(TSR_CSR_ERR_CODE);
    r.err_code = ec & 0xffu;
    r.err_unit = (ec >> 8) & 0xfu;
    r.err_cmd = read_csr(TSR_CSR_ERR_CMD);
    r.irq = top_->irq_o;
    for (int i = 0; i < static_cast<int>(TSR_CNT_NUM); ++i) r.counters.push_back(read_counter(i));
    r.cycles = r.counters.at(TSR_CNT_CYCLES);
    // Let every outstanding AXI transaction complete before the caller inspects memory.
    for (int i = 0; i < 100000 && !(mem_.idle() && !top_->m_arvalid_o && !top_->m_awvalid_o &&
                                    !top_->m_wvalid_o);
         ++i) {
      step();
    }
    return r;
  }

  // Names the units holding a command, from the debug port.
  std::string stuck_units() const {
    const uint32_t s = top_->unit_state_o;
    std::string out;
    const char* names[3] = {"load", "execute", "store"};
    for (int u = 0; u < 3; ++u) {
      const bool wait = (s >> (3 + 2 * u)) & 1u, run = (s >> (2 + 2 * u)) & 1u;
      if (wait) out += fmt::format("{} unit waits for a dependency token; ", names[u]);
      if (run) out += fmt::format("{} unit is running a command without progress; ", names[u]);
    }
    if (s & 2u) out += "command fetch/dispatch has commands left; ";
    if (s & 1u) out += "halted on an error; ";
    if (out.empty()) out = "no unit holds a command (lost completion)";
    return out;
  }

 private:
  static AxiMemory::Config fix(AxiMemory::Config c) {
    c.data_bytes = kBus;
    return c;
  }

  uint32_t peek_status() {
    // Error: the debug port's halted bit. Done: confirmed by an AXI-Lite read of STATUS, issued
    // only every 8th cycle in which the debug port shows nothing fetching, waiting or running.
    const uint32_t s = top_->unit_state_o;
    if (s & 1u) return 4u;
    if ((s & 0xFEu) == 0) {
      if (++idle_polls_ % 8 == 0) return read_csr(TSR_CSR_STATUS) & 0x6u;
    }
    return 0;
  }

  uint64_t progress_signature() const {
    return (uint64_t{top_->unit_state_o} << 40) ^ mem_.stats().read_beats ^
           (mem_.stats().write_beats << 20);
  }

  void idle_inputs() {
    AxiSlavePins s;
    s.rdata.assign(kBus, 0);
    AxilMasterPins lm;
    drive(s, lm);
  }

  void drive(const AxiSlavePins& s, const AxilMasterPins& lm) {
    top_->m_arready_i = s.arready;
    top_->m_rvalid_i = s.rvalid;
    for (int i = 0; i < kBus; ++i) {
      put_lane(top_->m_rdata_i, i, 8, i < static_cast<int>(s.rdata.size()) ? s.rdata[i] : 0);
    }
    top_->m_rresp_i = s.rresp;
    top_->m_rlast_i = s.rlast;
    top_->m_awready_i = s.awready;
    top_->m_wready_i = s.wready;
    top_->m_bvalid_i = s.bvalid;
    top_->m_bresp_i = s.bresp;
    top_->s_awvalid_i = lm.awvalid;
    top_->s_awaddr_i = static_cast<uint32_t>(lm.awaddr);
    top_->s_wvalid_i = lm.wvalid;
    top_->s_wdata_i = lm.wdata;
    top_->s_wstrb_i = lm.wstrb;
    top_->s_bready_i = lm.bready;
    top_->s_arvalid_i = lm.arvalid;
    top_->s_araddr_i = static_cast<uint32_t>(lm.araddr);
    top_->s_rready_i = lm.rready;
  }

  AxiMasterPins master_pins() const {
    AxiMasterPins m;
    m.arvalid = top_->m_arvalid_o;
    m.araddr = top_->m_araddr_o;
    m.arlen = top_->m_arlen_o;
    m.arsize = top_->m_arsize_o;
    m.arburst = top_->m_arburst_o;
    m.rready = top_->m_rready_o;
    m.awvalid = top_->m_awvalid_o;
    m.awaddr = top_->m_awaddr_o;
    m.awlen = top_->m_awlen_o;
    m.awsize = top_->m_awsize_o;
    m.awburst = top_->m_awburst_o;
    m.wvalid = top_->m_wvalid_o;
    m.wdata.resize(kBus);
    for (int i = 0; i < kBus; ++i) {
      m.wdata[i] = static_cast<uint8_t>(get_lane(top_->m_wdata_o, i, 8));
    }
    m.wstrb = top_->m_wstrb_o;
    m.wlast = top_->m_wlast_o;
    m.bready = top_->m_bready_o;
    return m;
  }

  AxilSlavePins csr_pins() const {
    AxilSlavePins s;
    s.awready = top_->s_awready_o;
    s.wready = top_->s_wready_o;
    s.bvalid = top_->s_bvalid_o;
    s.bresp = top_->s_bresp_o;
    s.arready = top_->s_arready_o;
    s.rvalid = top_->s_rvalid_o;
    s.rdata = top_->s_rdata_o;
    s.rresp = top_->s_rresp_o;
    return s;
  }

  void tick_clock() {
    top_->clk_i = 1;
    top_->eval();
    if (trace_) trace_->dump(ctx_->time());
    ctx_->timeInc(1);
    top_->clk_i = 0;
    top_->eval();
    if (trace_) trace_->dump(ctx_->time());
    ctx_->timeInc(1);
    ++cycle_;
  }

  std::unique_ptr<VerilatedContext> ctx_;
  std::unique_ptr<Vtop> top_;
  std::unique_ptr<VerilatedFstC> trace_;
  AxiMemory mem_;
  AxilDriver csr_;
  uint64_t cycle_ = 0;
  uint64_t idle_polls_ = 0;
  bool activity_ = false;
};

}  // namespace tsr::tb

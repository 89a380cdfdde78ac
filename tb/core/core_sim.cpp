// CoreSim over the verilated core models of tb/core/CMakeLists.txt (see core_sim.h).
#include "tessera/core/core_sim.h"

#include <cstdio>
#include <random>

#include <fmt/format.h>
#include <verilated.h>
#include <verilated_fst_c.h>

#include "core_models.h"
#include "tessera/error.h"
#include "tessera/gen/memmap.h"

namespace tsr::core {

namespace mm = tsr::gen::memmap;

iss::Bus spad_bus(std::vector<uint8_t>& spad) {
  iss::Bus b;
  b.read = [&spad](uint32_t addr, uint32_t& data) {
    const uint32_t o = addr - mm::kSpadBase;
    if (addr < mm::kSpadBase || o + 4 > spad.size()) return false;
    data = uint32_t(spad[o]) | uint32_t(spad[o + 1]) << 8 | uint32_t(spad[o + 2]) << 16 |
           uint32_t(spad[o + 3]) << 24;
    return true;
  };
  b.write = [&spad](uint32_t addr, uint32_t data, uint32_t strobe) {
    const uint32_t o = addr - mm::kSpadBase;
    if (addr < mm::kSpadBase || o + 4 > spad.size()) return false;
    for (int i = 0; i < 4; ++i) {
      if (strobe & (1u << i)) spad[o + i] = uint8_t(data >> (8 * i));
    }
    return true;
  };
  return b;
}

namespace {

template <typename V>
class Impl final : public CoreSim {
 public:
  explicit Impl(const iss::CoreConfig& cfg) : cfg_(cfg), ctx_(std::make_unique<VerilatedContext>()) {
    ctx_->randReset(0);  // registers start at 0 like the ISS (the RTL does not reset them)
    ctx_->traceEverOn(true);
    top_ = std::make_unique<V>(ctx_.get(), "tsr");
    spad_.assign(cfg_.spad_bytes, 0);
    idle();
  }
  ~Impl() override { top_->final(); }

  const iss::CoreConfig& config() const override { return cfg_; }
  std::vector<uint8_t>& spad() override { return spad_; }

  void load(const iss::ElfImage& img, const std::string& name) override {
    iss::Iss shadow(cfg_);  // builds the memory images exactly as the ISS loads them
    shadow.load(img, name);
    reset();
    write_words(mm::kImemBase, shadow.imem());
    write_words(mm::kDmemBase, shadow.dmem());
    spad_.assign(cfg_.spad_bytes, 0);
  }

  RunResult run(const RunOptions& opt) override {
    RunResult res;
    std::unique_ptr<VerilatedFstC> fst;
    if (!opt.trace_path.empty()) {
      fst = std::make_unique<VerilatedFstC>();
      top_->trace(fst.get(), 99);
      fst->open(opt.trace_path.c_str());
    }
    std::mt19937_64 rng(opt.bus_seed);
    bool bus_busy = false;
    uint32_t bus_wait = 0;
    bool bus_err = false;
    uint32_t bus_rdata = 0;
    uint64_t t = 0;
    auto tick = [&] {
      top_->clk_i = 1;
      top_->eval();
      if (fst) fst->dump(2 * time_ + 1);
      top_->clk_i = 0;
      top_->eval();
      if (fst) fst->dump(2 * time_ + 2);
      ++time_;
    };
    top_->esc_pending_i = opt.esc_pending;
    top_->esc_func_i = opt.esc_func;
    for (int i = 0; i < 7; ++i) top_->esc_args_i[i] = opt.esc_args[i];
    top_->run_i = 1;
    top_->eval();
    while (!top_->halted_o) {
      if (t >= opt.max_cycles) {
        res.timeout = true;
        break;
      }
      // Bus: grant at once, answer after 1..latency_max cycles.
      top_->bus_gnt_i = 0;
      top_->bus_rvalid_i = 0;
      if (bus_busy) {
        if (--bus_wait == 0) {
          top_->bus_rvalid_i = 1;
          top_->bus_err_i = bus_err;
          top_->bus_rdata_i = bus_rdata;
          bus_busy = false;
        }
      } else if (top_->bus_req_o) {
        top_->bus_gnt_i = 1;
        bus_busy = true;
        bus_wait = 1 + uint32_t(rng() % std::max<uint32_t>(1, opt.bus_latency_max));
        const uint32_t addr = top_->bus_addr_o;
        const uint32_t o = addr - mm::kSpadBase;
        bus_err = !(addr >= mm::kSpadBase && o + 4 <= spad_.size());
        bus_rdata = 0;
        if (!bus_err) {
          for (int i = 0; i < 4; ++i) {
            if (top_->bus_we_o && (top_->bus_be_o >> i & 1)) spad_[o + i] = uint8_t(top_->bus_wdata_o >> (8 * i));
            bus_rdata |= uint32_t(spad_[o + i]) << (8 * i);
          }
        }
      }
      top_->eval();
      // Ecall: serve a pending request while the core waits (it stays stalled meanwhile).
      if (top_->ecall_req_o && !top_->ecall_ack_i) serve_ecall(res, opt, tick, t);
      if (top_->esc_done_o) {
        ++res.esc_done;
        res.esc_status = top_->esc_status_o;
        top_->esc_pending_i = 0;  // seen from the next cycle on, as the dispatcher would
      }
      if (top_->console_valid_o) {
        res.console += char(top_->console_data_o);
        if (opt.echo_console) std::fputc(top_->console_data_o, stdout);
      }
      if (top_->tr_valid_o) {
        ++res.instret;
        if (opt.on_retire) opt.on_retire(retire_record());
      }
      tick();
      ++t;
      top_->ecall_ack_i = 0;
      top_->ecall_err_i = 0;
      top_->eval();
    }
    // Let W retire (the halting instruction's older neighbour) for the trace count.
    if (!res.timeout && top_->tr_valid_o) {
      ++res.instret;
      if (opt.on_retire) opt.on_retire(retire_record());
    }
    res.cycles = t;
    res.halt.cause = top_->halt_cause_o;
    res.halt.pc = top_->halt_pc_o;
    res.halt.code = top_->exit_code_o;
    top_->run_i = 0;
    top_->eval();
    if (fst) fst->close();
    return res;
  }

 private:
  void idle() {
    top_->clk_i = 0;
    top_->rst_ni = 0;
    top_->run_i = 0;
    top_->lm_req_i = 0;
    top_->lm_we_i = 0;
    top_->lm_reg_i = 0;
    top_->lm_addr_i = 0;
    top_->lm_wdata_i = 0;
    top_->lm_be_i = 0;
    top_->ecall_ack_i = 0;
    top_->ecall_err_i = 0;
    top_->ecall_ret_i = 0;
    top_->esc_pending_i = 0;
    top_->esc_func_i = 0;
    for (int i = 0; i < 7; ++i) top_->esc_args_i[i] = 0;
    top_->bus_gnt_i = 0;
    top_->bus_rvalid_i = 0;
    top_->bus_rdata_i = 0;
    top_->bus_err_i = 0;
  }

  void reset() {
    idle();
    top_->eval();
    plain_tick();
    top_->rst_ni = 1;
    top_->eval();
  }

  void plain_tick() {
    top_->clk_i = 1;
    top_->eval();
    top_->clk_i = 0;
    top_->eval();
    ++time_;
  }

  void write_words(uint32_t base, const std::vector<uint8_t>& bytes) {
    for (size_t i = 0; i + 3 < bytes.size(); i += 4) {
      top_->lm_req_i = 1;
      top_->lm_we_i = 1;
      top_->lm_be_i = 0xf;
      top_->lm_addr_i = base + uint32_t(i);
      top_->lm_wdata_i = uint32_t(bytes[i]) | uint32_t(bytes[i + 1]) << 8 |
                         uint32_t(bytes[i + 2]) << 16 | uint32_t(bytes[i + 3]) << 24;
      plain_tick();
    }
    top_->lm_req_i = 0;
    top_->lm_we_i = 0;
    top_->eval();
  }

  uint32_t read_reg(int r) {
    top_->lm_reg_i = 1;
    top_->lm_addr_i = uint32_t(r) << 2;
    top_->eval();
    const uint32_t v = top_->lm_rdata_o;
    top_->lm_reg_i = 0;
    top_->eval();
    return v;
  }

  template <typename Tick>
  void serve_ecall(RunResult& res, const RunOptions& opt, Tick& tick, uint64_t& t) {
    const uint32_t a7 = top_->ecall_a7_o;
    const uint32_t a0 = top_->ecall_a0_o;
    bool ok = a7 == mm::kSysWrite && (a0 == 1 || a0 == 2);
    uint32_t len = 0;
    if (ok) {
      const uint32_t buf = read_reg(11);
      len = read_reg(12);
      for (uint32_t i = 0; i < len && ok; ++i) {
        if (buf + i - mm::kDmemBase >= cfg_.dmem_bytes) ok = false;
      }
      // Read the bytes through the loader port (the core stays stalled at the ecall).
      for (uint32_t i = 0; i < len && ok; ++i) {
        const uint32_t a = buf + i;
        top_->lm_req_i = 1;
        top_->lm_we_i = 0;
        top_->lm_addr_i = a & ~3u;
        if (top_->tr_valid_o) {  // the older instruction in W retires in the first wait cycle
          ++res.instret;
          if (opt.on_retire) opt.on_retire(retire_record());
        }
        tick();
        ++t;
        top_->lm_req_i = 0;
        top_->eval();
        const char c = char(top_->lm_rdata_o >> (8 * (a & 3)));
        res.console += c;
        if (opt.echo_console) std::fputc(c, stdout);
      }
      if (opt.echo_console) std::fflush(stdout);
    }
    top_->ecall_ack_i = 1;
    top_->ecall_err_i = !ok;
    top_->ecall_ret_i = len;
    top_->eval();
  }

  iss::Retire retire_record() const {
    iss::Retire r;
    r.pc = top_->tr_pc_o;
    r.insn = top_->tr_insn_o;
    r.rd = top_->tr_rd_o;
    r.rd_value = r.rd ? top_->tr_rd_wdata_o : 0;
    r.mem_strobe = top_->tr_mem_be_o;
    r.mem_write = r.mem_strobe != 0;
    r.mem_addr = r.mem_write ? top_->tr_mem_addr_o : 0;
    uint32_t mask = 0;
    for (int i = 0; i < 4; ++i) {
      if (r.mem_strobe >> i & 1) mask |= 0xffu << (8 * i);
    }
    r.mem_data = top_->tr_mem_wdata_o & mask;
    return r;
  }

  iss::CoreConfig cfg_;
  std::unique_ptr<VerilatedContext> ctx_;
  std::unique_ptr<V> top_;
  std::vector<uint8_t> spad_;
  uint64_t time_ = 0;
};

}  // namespace

std::vector<std::string> CoreSim::variants() {
  std::vector<std::string> v;
#define TSR_X(name, ...) v.push_back(#name);
  TSR_CORE_MODELS(TSR_X)
#undef TSR_X
  return v;
}

std::unique_ptr<CoreSim> CoreSim::create(const std::string& variant) {
#define TSR_X(name, M, I, D, S)                                     \
  if (variant == #name) {                                          \
    iss::CoreConfig c;                                             \
    c.m_ext = (M) != 0;                                            \
    c.imem_bytes = (I);                                            \
    c.dmem_bytes = (D);                                            \
    c.spad_bytes = (S);                                            \
    return std::make_unique<Impl<Vcore_##name>>(c);                \
  }
  TSR_CORE_MODELS(TSR_X)
#undef TSR_X
  fail("core-run: unknown variant '{}' (built-in core variants: {})", variant,
       fmt::join(variants(), ", "));
}

}  // namespace tsr::core

namespace tsr::core {

int core_run(const CoreRunCli& opt) {
  auto sim = CoreSim::create(opt.variant);
  const iss::ElfImage img = iss::load_elf(opt.elf);
  sim->load(img, opt.elf);
  RunOptions ro;
  ro.max_cycles = opt.max_cycles;
  ro.trace_path = opt.trace_path;
  ro.echo_console = true;
  const RunResult r = sim->run(ro);
  std::fflush(stdout);
  const double cpi = r.instret ? double(r.cycles) / double(r.instret) : 0.0;
  const std::string stats = fmt::format("{} cycles, {} instructions retired, CPI {:.3f}", r.cycles,
                                        r.instret, cpi);
  if (r.timeout) {
    fail("{}: no exit within --max-cycles {} ({}; pc 0x{:08x})", opt.elf, opt.max_cycles, stats,
         r.halt.pc);
  }
  if (r.halt.cause != mm::halt_value("exit")) {
    fail("{}: the core halted with {} at pc 0x{:08x} ({})", opt.elf, mm::halt_name(r.halt.cause),
         r.halt.pc, stats);
  }
  fmt::print(stderr, "core-run: {} exited with code {}: {}\n", opt.elf, r.halt.code, stats);
  if (!opt.trace_path.empty()) fmt::print(stderr, "core-run: wave {}\n", opt.trace_path);
  return int(r.halt.code & 0xff);
}

}  // namespace tsr::core

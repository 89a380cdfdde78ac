// ArraySimImpl<V>: the ArraySim interface over a verilated model class V of tsr_array. Included
// only by the per-variant wrapper sources that CMake generates.
#pragma once

#include <verilated.h>
#include <verilated_fst_c.h>

#include "tessera/error.h"
#include "tessera/sim/array_sim.h"
#include "tessera/sim/bits.h"

namespace tsr::sim {

template <typename V>
class ArraySimImpl final : public ArraySim {
 public:
  ArraySimImpl(VariantInfo info, const SimOptions& opt)
      : ArraySim(std::move(info)), ctx_(std::make_unique<VerilatedContext>()) {
    // random initial values (the design must not rely on power-up state), or zeros on request
    ctx_->randReset(opt.zero_init ? 0 : 2);
    ctx_->randSeed(static_cast<int>(opt.seed & 0x7fffffff));
    if (!opt.trace_path.empty()) ctx_->traceEverOn(true);
    top_ = std::make_unique<V>(ctx_.get(), "tsr");
    if (!opt.trace_path.empty()) {
      trace_ = std::make_unique<VerilatedFstC>();
      top_->trace(trace_.get(), 99);
      trace_->open(opt.trace_path.c_str());
    }
    top_->clk_i = 0;
    top_->rst_ni = 1;
    idle_inputs();
    top_->eval();
  }
  ~ArraySimImpl() override {
    close_trace();
    top_->final();
  }

  void reset() override {
    idle_inputs();
    top_->rst_ni = 0;
    for (int i = 0; i < 4; ++i) tick();
    top_->rst_ni = 1;
    tick();
  }
  void set_a(bool valid, bool last, std::span<const int8_t> lanes) override {
    check_lanes("a", lanes.size(), info_.a_lanes());
    top_->a_valid_i = valid;
    top_->a_last_i = last;
    for (size_t i = 0; i < lanes.size(); ++i) put_lane(top_->a_data_i, i, 8, static_cast<uint8_t>(lanes[i]));
  }
  void set_b(bool valid, std::span<const int8_t> lanes) override {
    check_lanes("b", lanes.size(), info_.cols);
    top_->b_valid_i = valid;
    for (size_t i = 0; i < lanes.size(); ++i) put_lane(top_->b_data_i, i, 8, static_cast<uint8_t>(lanes[i]));
  }
  void set_c_ready(bool ready) override { top_->c_ready_i = ready; }
  void set_skip(bool enable, int8_t zp) override {
    if constexpr (requires { top_->skip_en_i; top_->a_zp_i; }) {
      top_->skip_en_i = enable;
      top_->a_zp_i = static_cast<uint8_t>(zp);
    } else if (enable || zp != 0) {
      fail("variant {}: zero skipping / an activation zero point ({}) needs a skip variant "
           "(skip.enable)", info_.name, static_cast<int>(zp));
    }
  }
  SkipCounters skip_counters() const override {
    SkipCounters c;
    if constexpr (requires { top_->cnt_skip_o; top_->cnt_gated_o; }) {
      c.skipped = top_->cnt_skip_o;
      c.gated = top_->cnt_gated_o;
    }
    if constexpr (requires { top_->cnt_active_o; }) c.active = top_->cnt_active_o;
    return c;
  }
  void settle() override { top_->eval(); }
  bool a_ready() const override { return top_->a_ready_o; }
  bool b_ready() const override { return top_->b_ready_o; }
  bool c_valid() const override { return top_->c_valid_o; }
  void c_data(std::span<int32_t> lanes) const override {
    check_lanes("c", lanes.size(), info_.cols);
    for (size_t i = 0; i < lanes.size(); ++i) {
      lanes[i] = static_cast<int32_t>(static_cast<uint32_t>(get_lane(top_->c_data_o, i, 32)));
    }
  }
  void tick() override {
    top_->eval();
    if (trace_) trace_->dump(2 * cycle_);
    top_->clk_i = 1;
    top_->eval();
    if (trace_) trace_->dump(2 * cycle_ + 1);
    top_->clk_i = 0;
    top_->eval();
    ++cycle_;
    ctx_->timeInc(2);
  }
  void close_trace() override {
    if (trace_) {
      trace_->close();
      trace_.reset();
    }
  }

 private:
  void idle_inputs() {
    top_->a_valid_i = 0;
    top_->a_last_i = 0;
    top_->b_valid_i = 0;
    top_->c_ready_i = 1;
    if constexpr (requires { top_->skip_en_i; top_->a_zp_i; }) {
      top_->skip_en_i = 1;
      top_->a_zp_i = 0;
    }
  }
  void check_lanes(const char* what, size_t got, int want) const {
    if (got != static_cast<size_t>(want)) {
      fail("variant {}: {} vector has {} lanes, the array takes {}", info_.name, what, got, want);
    }
  }

  std::unique_ptr<VerilatedContext> ctx_;
  std::unique_ptr<V> top_;
  std::unique_ptr<VerilatedFstC> trace_;
};

}  // namespace tsr::sim

#include "tessera/driver/runtime.h"

#include <chrono>

#include <fmt/format.h>

#include "tessera/dev/device.h"
#include "tessera/error.h"

namespace tsr::drv {

namespace {

class RefBackend : public Backend {
 public:
  RefBackend(const dev::DeviceParams& dp, uint64_t seed) : dp_(dp), seed_(seed) {}
  std::string name() const override { return "reference"; }
  bool has_cycles() const override { return false; }
  bool loads_firmware() const override { return true; }
  void load(const CompiledNet& net) override {
    dev_ = std::make_unique<dev::RefDevice>(dp_, net.dram_base, net.dram.size());
    dev_->write(net.dram_base, net.dram);
    dev_->set_window(net.window_base(), net.window_limit());
    if (net.firmware) dev_->attach_core(*net.firmware, net.firmware_name);
  }
  void write(uint64_t addr, std::span<const uint8_t> bytes) override { device().write(addr, bytes); }
  std::vector<uint8_t> read(uint64_t addr, uint64_t n) override { return device().read(addr, n); }
  SegmentRun run(const CompiledNet& net, size_t first, size_t count, const std::string& what) override {
    const std::vector<dev::Command> cmds(net.commands.begin() + static_cast<ptrdiff_t>(first),
                                         net.commands.begin() + static_cast<ptrdiff_t>(first + count));
    const dev::RunResult r = device().run(cmds, seed_++);
    if (!r.ok()) fail("reference device, layer {}: {}", what, r.summary());
    SegmentRun s;
    s.dma_rd_bytes = r.total.dma_rd_bytes;
    s.dma_wr_bytes = r.total.dma_wr_bytes;
    s.array_macs = r.total.macs;
    s.core_instret = r.total.core_instret;
    s.skip_steps = r.total.skip_steps;
    s.gated_macs = r.total.gated_macs;
    return s;
  }

 private:
  dev::RefDevice& device() {
    if (!dev_) fail("reference backend: no network loaded");
    return *dev_;
  }
  dev::DeviceParams dp_;
  uint64_t seed_;
  std::unique_ptr<dev::RefDevice> dev_;
};

}  // namespace

std::unique_ptr<Backend> make_reference_backend(const dev::DeviceParams& dp, uint64_t seed) {
  return std::make_unique<RefBackend>(dp, seed);
}

std::string first_difference(const Graph& g, int t, const std::vector<int8_t>& got, const std::vector<int8_t>& want) {
  const Tensor& ten = g.tensor(t);
  if (got.size() != want.size()) {
    return fmt::format("tensor {} '{}': {} elements, want {}", t, ten.name, got.size(), want.size());
  }
  for (size_t i = 0; i < got.size(); ++i) {
    if (got[i] != want[i]) {
      std::string where;
      if (ten.shape.size() == 4) {
        const auto s = ten.shape4();
        size_t r = i;
        const size_t c = r % static_cast<size_t>(s.c);
        r /= static_cast<size_t>(s.c);
        const size_t x = r % static_cast<size_t>(s.w);
        r /= static_cast<size_t>(s.w);
        const size_t y = r % static_cast<size_t>(s.h);
        where = fmt::format(" (n{} y{} x{} c{})", r / static_cast<size_t>(s.h), y, x, c);
      }
      return fmt::format("tensor {} '{}' element {}{}: got {}, want {}", t, ten.name, i, where, int{got[i]}, int{want[i]});
    }
  }
  return "";
}

NetResult run_network(const CompiledNet& net, Backend& backend, std::span<const int8_t> input, const RunOptions& opt) {
  const Graph& g = *net.graph;
  NetResult res(g);
  res.checked = opt.oracle != nullptr;
  if (input.size() != g.input().elements()) {
    fail("{}: input has {} elements, the model input '{}' ({}) has {}", g.path, input.size(), g.input().name,
         g.input().shape_str(), g.input().elements());
  }
  backend.load(net);
  const auto as_bytes = [](std::span<const int8_t> s) {
    return std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(s.data()), s.size());
  };
  const auto read_tensor = [&](int t) {
    const auto b = backend.read(net.addr_of(t), g.tensor(t).elements());
    return std::vector<int8_t>(reinterpret_cast<const int8_t*>(b.data()), reinterpret_cast<const int8_t*>(b.data()) + b.size());
  };
  backend.write(net.addr_of(g.inputs[0]), as_bytes(input));
  res.values[g.inputs[0]].assign(input.begin(), input.end());
  for (size_t li = 0; li < net.layers.size(); ++li) {
    const Layer& L = net.layers[li];
    const Op& op = g.ops[static_cast<size_t>(L.op)];
    if (opt.progress) opt.progress(li, net.layers.size());
    LayerResult lr;
    lr.layer = li;
    const auto t0 = std::chrono::steady_clock::now();
    if (L.placement == Placement::Host) {
      // Inputs from device memory, the interpreter's kernel, the output back into device memory.
      Values v(g);
      for (int t : op.inputs) {
        if (t >= 0 && !g.tensor(t).constant) v[t] = read_tensor(t);
      }
      interp_op(g, op, v);
      backend.write(net.addr_of(op.outputs[0]), as_bytes(v[op.outputs[0]]));
    } else if (L.cmd_count > 0) {
      lr.run = backend.run(net, L.cmd_first, L.cmd_count, L.name);
      res.cycles += lr.run.cycles;
    }
    lr.host_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const int out = op.outputs[0];
    res.values[out] = read_tensor(out);
    if (opt.oracle) {
      lr.checked = true;
      const std::string d = first_difference(g, out, res.values[out], (*opt.oracle)[out]);
      lr.exact = d.empty();
      if (!lr.exact && res.exact) {
        res.exact = false;
        res.first_mismatch = fmt::format("layer {} ({}, {}): {}", L.name, name(L.placement), op.label(), d);
      }
    }
    res.layers.push_back(lr);
    if (!lr.exact && opt.stop_at_mismatch) break;
  }
  res.output = res.values[g.outputs[0]];
  return res;
}

}  // namespace tsr::drv

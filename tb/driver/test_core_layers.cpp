// SOFTMAX on the escape core: the compiler places it there when the variant has a core and the
// service firmware is given, the reference backend runs the ESCAPE on RefDevice's core (the ISS
// with build/firmware/tsr_escape.elf), and every layer, the softmax included, is bit-exact against
// the op-level interpreter (an independent implementation of TFLite's kernels).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>

#include "models.h"
#include "tessera/driver/compile.h"
#include "tessera/driver/io.h"
#include "tessera/driver/run.h"
#include "tessera/driver/runtime.h"
#include "tessera/driver/tflite.h"
#include "tessera/gen/config.h"
#include "tessera/iss/iss.h"

namespace tsr::drv {
namespace {

using test::model;

dev::DeviceParams variant(const std::string& name) {
  return dev::DeviceParams::from_config(gen::load_config(std::string(TSR_CONFIG_DIR) + "/" + name + ".toml", {}));
}

std::shared_ptr<const iss::ElfImage> firmware() {
  static const auto img =
      std::make_shared<const iss::ElfImage>(iss::load_elf(std::string(TSR_FW_DIR) + "/tsr_escape.elf"));
  return img;
}

CompileOptions with_firmware() {
  CompileOptions o;
  o.firmware = firmware();
  o.firmware_name = "tsr_escape.elf";
  return o;
}

std::vector<int8_t> pseudo_random_input(const Graph& g, uint32_t seed) {
  std::vector<int8_t> in(g.input().elements());
  for (auto& b : in) b = static_cast<int8_t>((seed = seed * 1664525U + 1013904223U) >> 24);
  return in;
}

struct Case {
  const char* model;
  const char* input;  // file in sw/models, or "" for a pseudo-random input
};
const Case kCases[] = {{"person_detect.tflite", "person.bmp"},
                       {"person_detect.tflite", "no_person.bmp"},
                       {"ic_resnet8_int8.tflite", ""},
                       {"kws_dscnn_int8.tflite", ""},
                       {"micro_speech_quantized.tflite", ""}};

void check_on_core(const Case& c, const std::string& var) {
  SCOPED_TRACE(std::string(c.model) + " on " + var);
  const Graph g = load_tflite(model(c.model));
  const auto in = std::string(c.input).empty() ? pseudo_random_input(g, 7) : read_input(model(c.input), g.input());
  const Values want = interpret(g, in);
  const CompiledNet net = compile(g, variant(var), with_firmware());
  ASSERT_TRUE(net.firmware) << "a layer runs on the core, so the net carries the firmware";
  for (uint64_t seed : {3, 4}) {
    auto be = make_reference_backend(net.dp, seed);
    ASSERT_TRUE(be->loads_firmware());
    RunOptions ro;
    ro.oracle = &want;
    const NetResult r = run_network(net, *be, in, ro);
    EXPECT_TRUE(r.exact) << r.first_mismatch;
    ASSERT_EQ(r.layers.size(), g.ops.size());
    size_t on_core = 0;
    for (const auto& lr : r.layers) {
      const Layer& L = net.layers[lr.layer];
      EXPECT_TRUE(lr.checked && lr.exact) << L.name;
      if (g.ops[static_cast<size_t>(L.op)].kind == OpKind::Softmax) {
        EXPECT_EQ(L.placement, Placement::Core) << L.note;
        EXPECT_GT(lr.run.core_instret, 0U) << L.name;
        ++on_core;
        if (seed == 3) {
          std::printf("%s on %s: %s: %llu core instructions\n", c.model, var.c_str(), L.name.c_str(),
                      static_cast<unsigned long long>(lr.run.core_instret));
        }
      } else {
        EXPECT_NE(L.placement, Placement::Core);
        EXPECT_EQ(lr.run.core_instret, 0U);
      }
    }
    EXPECT_EQ(on_core, 1U);
    // Top-1 unchanged (and the whole output equal to the interpreter's).
    EXPECT_EQ(r.output, want[g.outputs[0]]);
    const auto top = [](const std::vector<int8_t>& v) { return std::max_element(v.begin(), v.end()) - v.begin(); };
    EXPECT_EQ(top(r.output), top(want[g.outputs[0]]));
  }
}

TEST(CoreLayers, SoftmaxOnTheCoreBitExactOnDefault) {
  for (const auto& c : kCases) check_on_core(c, "default");
}
TEST(CoreLayers, SoftmaxOnTheCoreBitExactOnWide) {
  for (const auto& c : kCases) check_on_core(c, "wide");
}

TEST(CoreLayers, PersonDetectStillClassifies) {
  const Graph g = load_tflite(model("person_detect.tflite"));
  const CompiledNet net = compile(g, variant("default"), with_firmware());
  for (const auto& [img, want] : {std::pair{"person.bmp", 1}, std::pair{"no_person.bmp", 0}}) {
    auto be = make_reference_backend(net.dp);
    const auto r = run_network(net, *be, read_input(model(img), g.input()));
    EXPECT_EQ(std::max_element(r.output.begin(), r.output.end()) - r.output.begin(), want) << img;
  }
}

TEST(CoreLayers, HostFallbackWithoutCoreOrFirmware) {
  const Graph g = load_tflite(model("ic_resnet8_int8.tflite"));
  const auto softmax_layer = [&](const CompiledNet& net) -> const Layer& {
    for (const auto& L : net.layers) {
      if (g.ops[static_cast<size_t>(L.op)].kind == OpKind::Softmax) return L;
    }
    throw std::runtime_error("no softmax");
  };
  {
    const CompiledNet net = compile(g, variant("default"));  // no firmware
    EXPECT_EQ(softmax_layer(net).placement, Placement::Host);
    EXPECT_NE(softmax_layer(net).note.find("--firmware"), std::string::npos) << softmax_layer(net).note;
    EXPECT_FALSE(net.firmware);
  }
  {
    const CompiledNet net = compile(g, variant("unit"), with_firmware());  // no core
    EXPECT_EQ(softmax_layer(net).placement, Placement::Host);
    EXPECT_NE(softmax_layer(net).note.find("no escape core"), std::string::npos) << softmax_layer(net).note;
    EXPECT_FALSE(net.firmware);
  }
  {
    const CompiledNet net = compile(g, variant("tiny"), with_firmware());  // RV32I core, 4 KiB IMEM
    EXPECT_EQ(softmax_layer(net).placement, Placement::Host);
    EXPECT_NE(softmax_layer(net).note.find("M extension"), std::string::npos) << softmax_layer(net).note;
    // ... and the network still runs, bit-exact, with the host softmax.
    const auto in = pseudo_random_input(g, 5);
    const Values want = interpret(g, in);
    auto be = make_reference_backend(net.dp);
    RunOptions ro;
    ro.oracle = &want;
    EXPECT_TRUE(run_network(net, *be, in, ro).exact);
  }
}

TEST(CoreLayers, WholeStreamWithTheEscapeRunsAsOneList) {
  // ResNet-8 including its softmax on the core as one command list on RefDevice.
  const Graph g = load_tflite(model("ic_resnet8_int8.tflite"));
  const auto in = pseudo_random_input(g, 5);
  const Values want = interpret(g, in);
  const CompiledNet net = compile(g, variant("default"), with_firmware());
  ASSERT_EQ(net.layers.back().placement, Placement::Core);
  dev::RefDevice d(net.dp, net.dram_base, net.dram.size());
  d.write(net.dram_base, net.dram);
  d.set_window(net.window_base(), net.window_limit());
  d.attach_core(*net.firmware);
  d.write(net.addr_of(g.inputs[0]), std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(in.data()), in.size()));
  const auto r = d.run(net.commands, 17);
  EXPECT_TRUE(r.ok()) << r.summary();
  const int out = g.outputs[0];
  const auto got = d.read(net.addr_of(out), g.tensor(out).elements());
  EXPECT_EQ(std::vector<int8_t>(got.begin(), got.end()), want[out]);
}

TEST(CoreLayers, ProfileShowsTheCoreInstructions) {
  const Graph g = load_tflite(model("kws_dscnn_int8.tflite"));
  const auto in = pseudo_random_input(g, 9);
  const CompiledNet net = compile(g, variant("default"), with_firmware());
  const std::string placement = placement_table(net);
  EXPECT_NE(placement.find("core"), std::string::npos) << placement;
  EXPECT_NE(placement.find("ESCAPE softmax"), std::string::npos) << placement;
  auto be = make_reference_backend(net.dp);
  const auto r = run_network(net, *be, in);
  const std::string prof = profile_table(net, r, 500, false);
  const auto& last = r.layers.back();
  ASSERT_GT(last.run.core_instret, 0U);
  EXPECT_NE(prof.find(std::to_string(last.run.core_instret)), std::string::npos) << prof;
  EXPECT_NE(prof.find("escape-core instructions"), std::string::npos) << prof;
}

}  // namespace
}  // namespace tsr::drv

// The driver's rtl backend: real networks on a verilated accelerator top, every layer bit-exact
// against the op-level interpreter (and so against the reference backend, which test_compile
// checks against the same oracle). Variant: TSR_DRV_RTL_VARIANT (compile definition). SOFTMAX runs
// on the escape core inside the accelerator (the build's service firmware, loaded by the backend).
#include <gtest/gtest.h>

#include "tessera/driver/io.h"
#include "tessera/driver/run.h"
#include "tessera/driver/tflite.h"
#include "tessera/top/rtl_backend.h"

namespace tsr::top {
namespace {

std::string model(const std::string& f) { return std::string(TSR_MODELS_DIR) + "/" + f; }

drv::NetResult run_rtl(const drv::Graph& g, const std::vector<int8_t>& in, const drv::Values& want,
                       int want_core_layers = 0) {
  const auto vi = top_variant_info(TSR_DRV_RTL_VARIANT);
  drv::CompileOptions co;
  co.firmware = drv::firmware_for("");
  EXPECT_NE(co.firmware, nullptr) << "the build's firmware/tsr_escape.elf";
  const drv::CompiledNet net = drv::compile(g, vi.dp, co);
  auto be = make_rtl_backend(TSR_DRV_RTL_VARIANT);
  drv::RunOptions ro;
  ro.oracle = &want;
  drv::NetResult r = drv::run_network(net, *be, in, ro);
  std::printf("%s on %s: %llu cycles\n", g.path.c_str(), TSR_DRV_RTL_VARIANT, static_cast<unsigned long long>(r.cycles));
  EXPECT_TRUE(r.exact) << r.first_mismatch;
  EXPECT_EQ(r.layers.size(), g.ops.size());
  int core_layers = 0;
  for (const auto& lr : r.layers) {
    EXPECT_TRUE(lr.checked && lr.exact) << net.layers[lr.layer].name;
    const auto p = net.layers[lr.layer].placement;
    if (p == drv::Placement::Array || p == drv::Placement::Vector) EXPECT_GT(lr.run.cycles, 0U) << net.layers[lr.layer].name;
    if (p == drv::Placement::Core) {
      ++core_layers;
      EXPECT_GT(lr.run.core_instret, 0U) << net.layers[lr.layer].name;  // the core did the work
      EXPECT_GT(lr.run.cycles, 0U) << net.layers[lr.layer].name;
    }
  }
  EXPECT_EQ(core_layers, want_core_layers) << g.path;
  EXPECT_GT(r.cycles, 0U);
  return r;
}

TEST(DriverRtl, PersonDetectBothImages) {
  const drv::Graph g = drv::load_tflite(model("person_detect.tflite"));
  for (const auto& [img, cls] : {std::pair{"person.bmp", 1}, std::pair{"no_person.bmp", 0}}) {
    const auto in = drv::read_input(model(img), g.input());
    const drv::Values want = drv::interpret(g, in);
    const auto r = run_rtl(g, in, want, 1);
    EXPECT_EQ(std::max_element(r.output.begin(), r.output.end()) - r.output.begin(), cls) << img;
  }
}

TEST(DriverRtl, IcResnet8) {
  const drv::Graph g = drv::load_tflite(model("ic_resnet8_int8.tflite"));
  std::vector<int8_t> in(g.input().elements());
  uint32_t s = 4242;
  for (auto& b : in) b = static_cast<int8_t>((s = s * 1664525U + 1013904223U) >> 24);
  run_rtl(g, in, drv::interpret(g, in), 1);
}

TEST(DriverRtl, KwsAndHelloWorld) {
  for (const char* f : {"kws_dscnn_int8.tflite", "hello_world_int8.tflite"}) {
    const drv::Graph g = drv::load_tflite(model(f));
    std::vector<int8_t> in(g.input().elements());
    uint32_t s = 99;
    for (auto& b : in) b = static_cast<int8_t>((s = s * 1664525U + 1013904223U) >> 24);
    run_rtl(g, in, drv::interpret(g, in), std::string(f).starts_with("kws") ? 1 : 0);
  }
}

}  // namespace
}  // namespace tsr::top

// Imports a model and runs it on the interpreter and the reference backend of the default preset.
#include <cstdio>

#include "tessera/driver/compile.h"
#include "tessera/driver/runtime.h"
#include "tessera/driver/tflite.h"
#include "tessera/gen/config.h"

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  const auto g = tsr::drv::load_tflite(argv[1]);
  const auto dp = tsr::dev::DeviceParams::from_config(tsr::gen::load_config(argv[2], {}));
  const auto net = tsr::drv::compile(g, dp);
  const std::vector<int8_t> in(g.input().elements(), 7);
  const auto want = tsr::drv::interpret(g, in);
  auto be = tsr::drv::make_reference_backend(dp);
  tsr::drv::RunOptions ro;
  ro.oracle = &want;
  const auto r = tsr::drv::run_network(net, *be, in, ro);
  std::printf("consumer: %zu ops, %s\n", g.ops.size(), r.exact ? "bit-exact" : r.first_mismatch.c_str());
  return r.exact ? 0 : 1;
}

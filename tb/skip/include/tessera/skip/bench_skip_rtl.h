// `tessera bench skip-rtl`: real-activation zero skipping on the verilated accelerator — per array
// layer cycles on a dense variant and on a zero-skip variant with skipping off, on, and on with the
// rows balanced, every layer bit-exact against the interpreter (docs/skip.md).
#pragma once

#include <string>
#include <vector>

namespace tsr::skip {

struct BenchSkipRtlOptions {
  std::string variant = "default_skip";  // built-in zero-skip variant with an accelerator top
  std::string dense_variant = "default";  // built-in dense variant of the same array size
  std::vector<std::string> nets = {"ic_resnet8"};  // ic_resnet8, person_detect
  std::string markdown_path;
  // A fourth run with skipping on and the rows balanced (drv::balance_rows) on a calibration image
  // other than the evaluated one (no_person.bmp).
  bool balance = true;
};

int bench_skip_rtl(const BenchSkipRtlOptions& opt);

}  // namespace tsr::skip

// Builds the IR of a variant's systolic array (tsr_array): controller, input skew, the R x C grid
// of processing elements, output de-skew and output FIFO, wired for the configured dataflow.
#pragma once

#include <string>
#include <vector>

#include "tessera/gen/config.h"
#include "tessera/gen/ir.h"

namespace tsr::gen {

// Interfaces of the hand-written leaf modules in rtl/, with port widths as functions of their
// parameters. The one place the generator knows about them.
std::vector<ir::ExternModule> leaf_modules();

// The leaf modules (rtl/ file stems) a variant instantiates.
std::vector<std::string> leaf_files(const AccelConfig& cfg);

ir::Design build_array(const AccelConfig& cfg);

// The accelerator top (weight-stationary variants): tsr_accel with the variant's parameters.
ir::Module build_top(const AccelConfig& cfg);

}  // namespace tsr::gen

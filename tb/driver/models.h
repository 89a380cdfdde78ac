// Paths of the real models in sw/models (tests of the driver).
#pragma once

#include <string>

namespace tsr::drv::test {

inline std::string model(const std::string& file) { return std::string(TSR_MODELS_DIR) + "/" + file; }

}  // namespace tsr::drv::test

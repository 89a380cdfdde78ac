// Runners that execute firmware programs on the tessera escape core instead of qemu: the
// instruction-set simulator (tessera_iss) and the verilated RTL core (tessera_coresim), both of
// the built-in `default` core variant (RV32IM, 16 KiB IMEM + 16 KiB DMEM), the map the firmware is
// linked for. Install one with tsr::fw::set_runner() and every run_* of fw_ops_client.h runs there.
#pragma once

#include <string>

#include "fw_ops_client.h"

namespace tsr::fw {

// `machine`: "qemu", "iss" or "rtl"; tsr::Error otherwise.
Runner make_runner(const std::string& machine);

}  // namespace tsr::fw

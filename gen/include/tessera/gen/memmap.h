// The escape core's memory map as data: regions, core-local MMIO registers, halt causes and the
// ecall convention. One source of truth, emitted per variant as a C header
// (include/tsr_memmap.h), a linker-script fragment (firmware/tsr_memory.ld), Verilog localparams
// (rtl/tsr_memmap.vh) and markdown (docs/memory-map.md); the ISS (sw/) reads it directly.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tessera/gen/config.h"
#include "tessera/gen/isa.h"

namespace tsr::gen::memmap {

// Fixed bases (the same for every variant); sizes come from the config.
inline constexpr uint32_t kImemBase = 0x0000'0000;
inline constexpr uint32_t kDmemBase = 0x0001'0000;
inline constexpr uint32_t kSpadBase = 0x1000'0000;
inline constexpr uint32_t kCsrBase = 0x2000'0000;
inline constexpr uint32_t kMmioBase = 0x3000'0000;
inline constexpr uint32_t kCsrSize = 0x1000;   // accelerator CSR window (host AXI-Lite offsets)
inline constexpr uint32_t kMmioSize = 0x100;   // core-local MMIO window
inline constexpr uint32_t kResetPc = kImemBase;
inline constexpr uint32_t kCoreId = 0x43525354;  // "TSRC" in little-endian bytes
inline constexpr int kEscArgs = 7;               // argument words of an ESCAPE command

// Linux-convention system calls serviced by the core's environment (ecall, number in a7).
inline constexpr uint32_t kSysWrite = 64;  // write(fd = a0, buf = a1, len = a2) -> a0 = len
inline constexpr uint32_t kSysExit = 93;   // exit(code = a0)

struct Region {
  std::string name;  // upper case, e.g. "IMEM"
  uint32_t base;
  uint32_t size;     // bytes
  std::string access;
  std::string doc;
};
// Every region of the variant's core address space, in address order.
std::vector<Region> regions(const AccelConfig& cfg);

// Scratchpad window: row r, byte b at kSpadBase + r * spad_row_stride(cfg) + b.
uint32_t spad_row_stride(const AccelConfig& cfg);

struct MmioReg {
  const char* name;  // upper case
  uint32_t offset;   // bytes from kMmioBase
  isa::Access access;
  const char* doc;
};
const std::vector<MmioReg>& mmio_regs();
uint32_t mmio_offset(const std::string& name);

// Why the core stopped (the harness and the ISS report the same codes).
struct HaltCause {
  const char* name;
  uint32_t value;
  const char* doc;
};
const std::vector<HaltCause>& halt_causes();
uint32_t halt_value(const std::string& name);
const char* halt_name(uint32_t value);  // "?" for unknown values

// Emitters. `cfg` = nullptr gives the variant-independent reference (docs/memory-map.md of the
// repository); a config gives the concrete map of that variant.
std::string c_header(const AccelConfig& cfg, const std::vector<std::string>& banner);
std::string linker_fragment(const AccelConfig& cfg, const std::vector<std::string>& banner);
std::string verilog_include(const AccelConfig& cfg, const std::vector<std::string>& banner);
std::string markdown(const AccelConfig* cfg, const std::vector<std::string>& banner = {});

}  // namespace tsr::gen::memmap

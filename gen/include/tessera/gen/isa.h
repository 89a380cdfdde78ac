// The accelerator's programming interface as data: command opcodes and field layouts, error
// codes, CSR map and performance counters. This table is the one source of truth; the generator
// emits it as Verilog localparams (rtl/tsr_isa.vh), a C header (include/tsr_isa.h) and
// docs/commands.md + docs/csr.md, and the host-side encoder (sw/) reads it directly.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tsr::gen::isa {

inline constexpr int kCmdWords = 8;  // a command is 8 little-endian 32-bit words (32 bytes)
inline constexpr int kCmdBytes = kCmdWords * 4;
// Requantization parameter sets in the store unit (PARAMS writes one, STORE reads one per element).
inline constexpr int kParamSets = 4;
// LOADs the load unit keeps in flight (its DMA read engine overlaps their descriptors).
inline constexpr int kLoadDepth = 8;

enum class Unit { Load, Execute, Store, Dispatch };
const char* unit_name(Unit u);

struct Field {
  const char* name;  // lower_snake; Verilog/C names derive from it
  int word;          // 0..7
  int lsb;
  int width;
  bool is_signed;
  const char* doc;
};

struct Command {
  const char* name;  // upper case, e.g. "LOAD"
  int opcode;
  Unit unit;
  const char* doc;
  std::vector<Field> fields;  // besides the common header fields
};

// Header fields present in every command (word 0).
const std::vector<Field>& common_fields();
const std::vector<Command>& commands();
const Command& command(const std::string& name);
const Field& field(const Command& cmd, const std::string& name);  // searches common fields too

struct Enumerator {
  const char* name;
  int value;
  const char* doc;
};
// Named values of a few fields and of the status registers.
struct EnumSet {
  const char* name;  // e.g. "store_mode"
  const char* doc;
  std::vector<Enumerator> values;
};
const std::vector<EnumSet>& enums();
int enum_value(const std::string& set, const std::string& name);

enum class Access { RO, RW, WO, W1C };
const char* access_name(Access a);

struct Csr {
  const char* name;  // upper case
  uint32_t offset;   // bytes
  Access access;
  const char* doc;
};
const std::vector<Csr>& csrs();
const Csr& csr(const std::string& name);

inline constexpr uint32_t kPerfBase = 0x100;  // counter i: lo word at kPerfBase + 8 i, hi at +4
inline constexpr uint32_t kIdValue = 0x31525354;  // "TSR1" in little-endian bytes

struct Counter {
  const char* name;
  const char* doc;
};
const std::vector<Counter>& counters();
int counter_index(const std::string& name);

}  // namespace tsr::gen::isa

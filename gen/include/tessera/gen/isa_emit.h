// Emitters of the ISA table (isa.h): Verilog localparams, C header, markdown reference.
#pragma once

#include <string>
#include <vector>

namespace tsr::gen::isa {

// Body of rtl/tsr_isa.vh: localparams (include it inside a module). `banner` lines become comments.
std::string verilog_include(const std::vector<std::string>& banner);
// Body of include/tsr_isa.h: #defines for opcodes, field positions, enums, CSRs, counters.
std::string c_header(const std::vector<std::string>& banner);
// docs/commands.md: commands, fields, enums, CSR map and counters (variant independent).
std::string reference_markdown();

// Name helpers shared by the emitters and their tests: LOAD + dram_addr -> "LOAD_DRAM_ADDR".
std::string upper(const std::string& s);

}  // namespace tsr::gen::isa

// The escape core's memory map, MMIO registers and halt causes (see memmap.h).
#include "tessera/gen/memmap.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "tessera/error.h"
#include "tessera/gen/isa_emit.h"

namespace tsr::gen::memmap {

namespace {

uint32_t ceil_pow2(uint32_t v) {
  uint32_t p = 1;
  while (p < v) p *= 2;
  return p;
}

std::string comments(const std::vector<std::string>& banner, const char* lead) {
  std::string s;
  for (const auto& l : banner) s += fmt::format("{} {}\n", lead, l);
  return s;
}

std::string esc(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '|') o += "\\|";
    else o += c;
  }
  return o;
}

// Every named constant of a variant's map, in emission order: (NAME without TSR_, value, doc).
struct Item {
  std::string name;
  uint32_t value;
  std::string doc;
  // A flag that include/tsr_params.h also defines (from the config table): emitted in the same
  // decimal text there and here, so a file may include both headers.
  bool flag = false;
};

std::vector<Item> items(const AccelConfig& cfg) {
  std::vector<Item> v;
  v.push_back(
      {"CORE_ENABLE", cfg.core_enable ? 1u : 0u, "1 when the variant has the escape core", true});
  v.push_back({"CORE_M_EXT", cfg.core_m_ext ? 1u : 0u, "1 when the core implements mul/div", true});
  for (const auto& r : regions(cfg)) {
    v.push_back({r.name + "_BASE", r.base, r.doc});
    v.push_back({r.name + "_SIZE", r.size, ""});
  }
  v.push_back({"STACK_TOP", kDmemBase + uint32_t(cfg.core_dmem_kib) * 1024,
               "initial stack pointer: the end of DMEM (the stack grows down)"});
  v.push_back({"RESET_PC", kResetPc, "the core starts here (the ELF entry must be this address)"});
  v.push_back({"SPAD_ROW_BYTES", uint32_t(cfg.sp_row_bytes), "bytes of one scratchpad row"});
  v.push_back({"SPAD_ROW_STRIDE", spad_row_stride(cfg),
               "window bytes per scratchpad row (power of two >= 4); the bytes above "
               "SPAD_ROW_BYTES read 0 and ignore writes"});
  v.push_back({"SPAD_ROWS", uint32_t(cfg.sp_rows), "scratchpad rows in the window"});
  v.push_back({"CORE_ID", kCoreId, "value of MMIO ID (\"TSRC\")"});
  v.push_back({"ESC_ARGS", uint32_t(kEscArgs), "argument words of an ESCAPE command"});
  v.push_back({"SYS_WRITE", kSysWrite, "ecall a7: write(fd = a0, buf = a1, len = a2), a0 = len"});
  v.push_back({"SYS_EXIT", kSysExit, "ecall a7: exit(code = a0)"});
  for (const auto& m : mmio_regs()) {
    v.push_back({fmt::format("MMIO_{}", m.name), m.offset,
                 fmt::format("MMIO offset ({}): {}", isa::access_name(m.access), m.doc)});
    v.push_back({fmt::format("MMIO_{}_ADDR", m.name), kMmioBase + m.offset, ""});
  }
  for (const auto& h : halt_causes()) {
    v.push_back({fmt::format("HALT_{}", isa::upper(h.name)), h.value, h.doc});
  }
  return v;
}

}  // namespace

uint32_t spad_row_stride(const AccelConfig& cfg) {
  return ceil_pow2(std::max<uint32_t>(4, uint32_t(cfg.sp_row_bytes)));
}

std::vector<Region> regions(const AccelConfig& cfg) {
  return {
      {"IMEM", kImemBase, uint32_t(cfg.core_imem_kib) * 1024, "x",
       "instruction memory (tightly coupled; fetch only, data accesses fault)"},
      {"DMEM", kDmemBase, uint32_t(cfg.core_dmem_kib) * 1024, "rw",
       "data memory (tightly coupled; .rodata, .data, .bss, stack)"},
      {"SPAD", kSpadBase, uint32_t(cfg.sp_rows) * spad_row_stride(cfg), "rw",
       "accelerator scratchpad window (arbitrated with the array and the DMA)"},
      {"ACSR", kCsrBase, kCsrSize, "rw",
       "accelerator CSRs, the same offsets as the host AXI4-Lite map (TSR_CSR_*); word accesses"},
      {"MMIO", kMmioBase, kMmioSize, "rw", "core-local registers (escape, counters, console); word "
                                           "accesses"},
  };
}

const std::vector<MmioReg>& mmio_regs() {
  static const std::vector<MmioReg> r = {
      {"ID", 0x00, isa::Access::RO, "reads TSR_CORE_ID (\"TSRC\")"},
      {"ESC_FUNC", 0x04, isa::Access::RO,
       "function id of the current ESCAPE command (0 when the core runs without one)"},
      {"ESC_STATUS", 0x08, isa::Access::RO,
       "bit 0: an ESCAPE is pending (handed to the core, ESC_DONE not yet written)"},
      {"ESC_DONE", 0x0C, isa::Access::WO,
       "any write ends the pending ESCAPE with the written status (0 = ok); the command stream "
       "continues"},
      {"CYCLE_LO", 0x10, isa::Access::RO, "cycles since reset, low word"},
      {"CYCLE_HI", 0x14, isa::Access::RO,
       "cycles since reset, high word (live: read HI, LO, HI and retry if HI changed)"},
      {"INSTRET_LO", 0x18, isa::Access::RO, "retired instructions since reset, low word"},
      {"INSTRET_HI", 0x1C, isa::Access::RO,
       "retired instructions since reset, high word (live: read HI, LO, HI and retry if HI "
       "changed)"},
      {"CONSOLE", 0x20, isa::Access::WO,
       "writes the low byte to the console (the same stream as ecall write to fd 1)"},
      {"EXIT", 0x24, isa::Access::WO,
       "halts the core with the written exit code (as ecall exit); ends a pending ESCAPE with "
       "that status"},
      {"ESC_ARG0", 0x40, isa::Access::RO, "ESCAPE argument word 0 (command word 1)"},
      {"ESC_ARG1", 0x44, isa::Access::RO, "argument word 1 (command word 2)"},
      {"ESC_ARG2", 0x48, isa::Access::RO, "argument word 2 (command word 3)"},
      {"ESC_ARG3", 0x4C, isa::Access::RO, "argument word 3 (command word 4)"},
      {"ESC_ARG4", 0x50, isa::Access::RO, "argument word 4 (command word 5)"},
      {"ESC_ARG5", 0x54, isa::Access::RO, "argument word 5 (command word 6)"},
      {"ESC_ARG6", 0x58, isa::Access::RO, "argument word 6 (command word 7)"},
  };
  return r;
}

uint32_t mmio_offset(const std::string& name) {
  for (const auto& m : mmio_regs())
    if (name == m.name) return m.offset;
  fail("internal: no MMIO register '{}'", name);
}

const std::vector<HaltCause>& halt_causes() {
  static const std::vector<HaltCause> h = {
      {"running", 0, "not halted"},
      {"exit", 1, "ecall exit (a7 = 93) or a write to MMIO EXIT; the code is the exit code"},
      {"illegal_insn", 2,
       "illegal instruction: not RV32I(M), M without the M extension, SYSTEM other than "
       "ecall / ebreak (no Zicsr); pc = the instruction"},
      {"ebreak", 3, "ebreak; pc = the ebreak"},
      {"bad_ecall", 4,
       "ecall with a7 not 64 or 93, or a write to an fd other than 1 and 2 or from a buffer not "
       "in DMEM"},
      {"fetch_misaligned", 5,
       "a taken jump or branch to an address that is not 4-byte aligned; pc = the jump, which "
       "does not retire"},
      {"fetch_fault", 6, "fetch outside IMEM; pc = the fetched address"},
      {"load_misaligned", 7, "lh/lhu/lw not aligned to their size; pc = the load"},
      {"load_fault", 8,
       "load outside DMEM / SPAD / ACSR / MMIO (IMEM included), a non-word access to ACSR or "
       "MMIO, or an error response of the window; pc = the load"},
      {"store_misaligned", 9, "sh/sw not aligned to their size; pc = the store"},
      {"store_fault", 10, "store outside DMEM / SPAD / ACSR / MMIO, as load_fault; pc = the store"},
  };
  return h;
}

uint32_t halt_value(const std::string& name) {
  for (const auto& h : halt_causes())
    if (name == h.name) return h.value;
  fail("internal: no halt cause '{}'", name);
}

const char* halt_name(uint32_t value) {
  for (const auto& h : halt_causes())
    if (value == h.value) return h.name;
  return "?";
}

std::string c_header(const AccelConfig& cfg, const std::vector<std::string>& banner) {
  std::string s = comments(banner, "//");
  s += "// Escape-core memory map (docs/memory-map.md).\n"
       "\n#ifndef TSR_MEMMAP_H_\n#define TSR_MEMMAP_H_\n\n";
  for (const auto& it : items(cfg)) {
    if (!it.doc.empty()) s += fmt::format("// {}\n", it.doc);
    if (it.flag) {
      s += fmt::format("#define TSR_{} {}\n", it.name, it.value);
    } else {
      s += fmt::format("#define TSR_{} 0x{:08x}u\n", it.name, it.value);
    }
  }
  s += "\n// Address of an accelerator CSR (offset TSR_CSR_* from tsr_isa.h) in the core's map.\n"
       "#define TSR_ACSR_ADDR(offset) (TSR_ACSR_BASE + (offset))\n"
       "// Address of byte b of scratchpad row r.\n"
       "#define TSR_SPAD_ADDR(r, b) (TSR_SPAD_BASE + (r) * TSR_SPAD_ROW_STRIDE + (b))\n"
       "\n#endif  // TSR_MEMMAP_H_\n";
  return s;
}

std::string linker_fragment(const AccelConfig& cfg, const std::vector<std::string>& banner) {
  std::string s = "/*\n" + comments(banner, " *") + " *\n"
                  " * Escape-core memory map (docs/memory-map.md). Use from a linker script:\n"
                  " *   INCLUDE tsr_memory.ld\n"
                  " * then place .text in IMEM and .rodata/.data/.bss/stack in DMEM (the data\n"
                  " * port cannot read IMEM; the ELF loader writes both memories).\n */\n\n";
  const auto rs = regions(cfg);
  s += "MEMORY\n{\n";
  s += fmt::format("  IMEM (rx)  : ORIGIN = 0x{:08x}, LENGTH = 0x{:08x}\n", rs[0].base, rs[0].size);
  s += fmt::format("  DMEM (rw)  : ORIGIN = 0x{:08x}, LENGTH = 0x{:08x}\n", rs[1].base, rs[1].size);
  s += "}\n\n";
  for (const auto& r : rs) {
    std::string lower = r.name;
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    s += fmt::format("__tsr_{}_base = 0x{:08x};\n__tsr_{}_size = 0x{:08x};\n", lower, r.base, lower,
                     r.size);
  }
  s += fmt::format("__stack_top = 0x{:08x};\n", kDmemBase + uint32_t(cfg.core_dmem_kib) * 1024);
  return s;
}

std::string verilog_include(const AccelConfig& cfg, const std::vector<std::string>& banner) {
  std::string s = comments(banner, "//");
  s += "// Escape-core memory map (docs/memory-map.md); include inside a module.\n"
       "// Waiver: every including module uses a few of these constants, so UNUSEDPARAM is off\n"
       "// for this file only.\n"
       "/* verilator lint_off UNUSEDPARAM */\n\n";
  for (const auto& it : items(cfg)) {
    if (!it.doc.empty()) s += fmt::format("// {}\n", it.doc);
    s += fmt::format("localparam [31:0] TSR_{} = 32'h{:08x};\n", it.name, it.value);
  }
  s += "\n/* verilator lint_on UNUSEDPARAM */\n";
  return s;
}

std::string markdown(const AccelConfig* cfg, const std::vector<std::string>& banner) {
  std::string s;
  if (cfg == nullptr) {
    s += "<!-- Generated by `tessera memmap-reference` -- do not edit; regenerate with\n"
         "     build/tessera memmap-reference > docs/memory-map.md -->\n\n";
    s += "# Escape core: memory map, MMIO registers, program conventions\n\n";
  } else {
    s += "<!--\n" + comments(banner, "") + "-->\n\n";
    s += fmt::format("# Escape core memory map of variant `{}`\n\n", cfg->name);
  }
  s += "The escape core is an RV32IM core (`core.m_ext = false`: RV32I) with a Harvard pair of\n"
       "tightly coupled memories. Its 32-bit address space is decoded by the top four address\n"
       "bits and, inside the low window, by the fixed IMEM and DMEM bases. The generator emits\n"
       "this map per variant as `include/tsr_memmap.h` (C, `TSR_*`), `firmware/tsr_memory.ld`\n"
       "(linker-script fragment), `rtl/tsr_memmap.vh` (Verilog localparams) and\n"
       "`docs/memory-map.md` (this table with the variant's sizes).\n\n";
  s += "## Regions\n\n| region | base | size | access | meaning |\n|---|---|---|---|---|\n";
  if (cfg == nullptr) {
    const char* sizes[] = {"`core.imem_kib` KiB (<= 64)", "`core.dmem_kib` KiB (<= 256)",
                           "scratchpad rows x row stride", "0x1000", "0x100"};
    AccelConfig dummy;
    dummy.core_imem_kib = 1;
    dummy.core_dmem_kib = 1;
    dummy.sp_row_bytes = 4;
    dummy.sp_rows = 1;
    const auto rs = regions(dummy);
    for (size_t i = 0; i < rs.size(); ++i) {
      s += fmt::format("| {} | 0x{:08x} | {} | {} | {} |\n", rs[i].name, rs[i].base, sizes[i],
                       rs[i].access, esc(rs[i].doc));
    }
  } else {
    for (const auto& r : regions(*cfg)) {
      s += fmt::format("| {} | 0x{:08x} | 0x{:x} ({} bytes) | {} | {} |\n", r.name, r.base, r.size,
                       r.size, r.access, esc(r.doc));
    }
  }
  s += "\nEvery other address faults (halt cause `load_fault` / `store_fault`). The scratchpad\n"
       "window maps byte b of scratchpad row r to `SPAD_BASE + r * TSR_SPAD_ROW_STRIDE + b`; the\n"
       "row stride is the row width rounded up to a power of two (at least 4), the bytes above\n"
       "the row width read 0 and ignore writes. Byte, halfword and word accesses work in DMEM and\n"
       "the scratchpad window; ACSR and MMIO take aligned word accesses only.\n";
  if (cfg != nullptr) {
    s += fmt::format("\nThis variant: {} escape core, {}; stack top 0x{:08x}; scratchpad row {} "
                     "bytes, stride {}, {} rows.\n",
                     cfg->core_enable ? "with" : "without (the map is still emitted)",
                     cfg->core_m_ext ? "RV32IM" : "RV32I (no M)",
                     kDmemBase + uint32_t(cfg->core_dmem_kib) * 1024, cfg->sp_row_bytes,
                     spad_row_stride(*cfg), cfg->sp_rows);
  }
  s += fmt::format(
      "\n## Core-local MMIO registers (base 0x{:08x}, 32-bit)\n\n| offset | register | access | "
      "meaning |\n|---|---|---|---|\n",
      kMmioBase);
  for (const auto& m : mmio_regs()) {
    s += fmt::format("| 0x{:02x} | `{}` | {} | {} |\n", m.offset, m.name,
                     isa::access_name(m.access), esc(m.doc));
  }
  s += "\nOffsets not listed read 0 and ignore writes.\n";
  s += "\n## Program conventions\n\n"
       "- The core starts at `TSR_RESET_PC` = 0 with every register 0; the program sets `sp` to\n"
       "  `__stack_top` (`TSR_STACK_TOP`, the end of DMEM) itself (crt0).\n"
       "- Link `.text` (entry first) into IMEM and `.rodata`, `.data`, `.bss` and the stack into\n"
       "  DMEM: the data port cannot read IMEM. The loader (`tessera core-run`, the host driver)\n"
       "  writes every `PT_LOAD` segment of the ELF straight into IMEM / DMEM and zero-fills the\n"
       "  rest of each segment (`.bss`), so there is no copy loop. Keep the stack inside a loaded\n"
       "  segment (e.g. a `.stack` NOBITS section at the end of DMEM) if the same ELF should run\n"
       "  under `qemu-riscv32`.\n"
       "- A linker script is `INCLUDE tsr_memory.ld` (the generated fragment: `MEMORY { IMEM, DMEM"
       " }`\n  and the symbols `__stack_top`, `__tsr_<region>_base`, `__tsr_<region>_size`) plus "
       "`SECTIONS`.\n"
       "- Build with `riscv64-unknown-elf-gcc -march=rv32im -mabi=ilp32` (`-march=rv32i` when\n"
       "  `core.m_ext = false`).\n\n"
       "## System calls (`ecall`, Linux convention)\n\n"
       "| a7 | call | effect |\n|---|---|---|\n";
  s += fmt::format("| {} | write | bytes a1 .. a1+a2-1 (DMEM) go to the console when a0 is 1 or 2; "
                   "a0 = a2 afterwards |\n",
                   kSysWrite);
  s += fmt::format("| {} | exit | halts the core with exit code a0 |\n", kSysExit);
  s += "\nThe same program therefore also runs under `qemu-riscv32`. In RTL the core stalls at the\n"
       "ecall with a request (a7, a0, a1, a2) to its environment and resumes when the environment\n"
       "acknowledges it with the new a0 (see docs/core.md). Any other a7 halts with `bad_ecall`.\n";
  s += "\n## Halt causes\n\nThe core stops at the first of these and reports cause and pc.\n\n"
       "| code | cause | meaning |\n|---|---|---|\n";
  for (const auto& h : halt_causes()) {
    s += fmt::format("| {} | `{}` | {} |\n", h.value, h.name, esc(h.doc));
  }
  return s;
}

}  // namespace tsr::gen::memmap

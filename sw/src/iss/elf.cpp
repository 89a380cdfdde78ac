// ELF32 loader of the escape core's programs (see iss.h). Own parsing over <elf.h>'s layouts;
// every check names the file and what is wrong.
#include <elf.h>

#include <cstring>
#include <fstream>
#include <iterator>

#include <fmt/format.h>

#include "tessera/error.h"
#include "tessera/gen/memmap.h"
#include "tessera/iss/iss.h"

namespace tsr::iss {

namespace mm = tsr::gen::memmap;

ElfImage load_elf(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("{}: cannot open the program", path);
  std::vector<uint8_t> data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return parse_elf(data, path);
}

ElfImage parse_elf(const std::vector<uint8_t>& data, const std::string& name) {
  if (data.size() < EI_NIDENT || std::memcmp(data.data(), ELFMAG, SELFMAG) != 0) {
    fail("{}: not an ELF file (no \\x7fELF magic)", name);
  }
  if (data[EI_CLASS] != ELFCLASS32) {
    fail("{}: not a 32-bit ELF file (class {}); the escape core runs RV32 programs "
         "(-march=rv32im -mabi=ilp32)",
         name, data[EI_CLASS] == ELFCLASS64 ? "ELF64" : "unknown");
  }
  if (data[EI_DATA] != ELFDATA2LSB) fail("{}: not a little-endian ELF file", name);
  if (data.size() < sizeof(Elf32_Ehdr)) {
    fail("{}: truncated ELF header ({} bytes, need {})", name, data.size(), sizeof(Elf32_Ehdr));
  }
  Elf32_Ehdr eh;
  std::memcpy(&eh, data.data(), sizeof eh);
  if (eh.e_machine != EM_RISCV) {
    fail("{}: not a RISC-V ELF file (e_machine {}, expected {} = EM_RISCV)", name, eh.e_machine,
         EM_RISCV);
  }
  if (eh.e_type != ET_EXEC) fail("{}: not an executable (e_type {}; link it with a linker script)", name, eh.e_type);
  if (eh.e_phnum == 0) fail("{}: no program headers (nothing to load)", name);
  if (eh.e_phentsize != sizeof(Elf32_Phdr)) {
    fail("{}: program header size {} (expected {})", name, eh.e_phentsize, sizeof(Elf32_Phdr));
  }
  const uint64_t ph_end = uint64_t(eh.e_phoff) + uint64_t(eh.e_phnum) * sizeof(Elf32_Phdr);
  if (ph_end > data.size()) {
    fail("{}: truncated: program headers end at byte {} but the file has {} bytes", name, ph_end,
         data.size());
  }
  ElfImage img;
  img.entry = eh.e_entry;
  for (int i = 0; i < eh.e_phnum; ++i) {
    Elf32_Phdr ph;
    std::memcpy(&ph, data.data() + eh.e_phoff + i * sizeof(Elf32_Phdr), sizeof ph);
    if (ph.p_type != PT_LOAD || ph.p_memsz == 0) continue;
    if (ph.p_filesz > ph.p_memsz) {
      fail("{}: segment {} has file size {} above its memory size {}", name, i, ph.p_filesz,
           ph.p_memsz);
    }
    if (uint64_t(ph.p_offset) + ph.p_filesz > data.size()) {
      fail("{}: truncated: segment {} (0x{:08x}, {} bytes) needs file bytes up to {} but the file "
           "has {}",
           name, i, ph.p_paddr, ph.p_filesz, uint64_t(ph.p_offset) + ph.p_filesz, data.size());
    }
    Segment s;
    s.addr = ph.p_paddr;
    s.memsz = ph.p_memsz;
    s.bytes.assign(data.begin() + ph.p_offset, data.begin() + ph.p_offset + ph.p_filesz);
    img.segments.push_back(std::move(s));
  }
  if (img.segments.empty()) fail("{}: no loadable (PT_LOAD) segment", name);
  return img;
}

void check_placement(const ElfImage& img, const CoreConfig& cfg, const std::string& name) {
  const uint64_t imem_end = uint64_t(mm::kImemBase) + cfg.imem_bytes;
  const uint64_t dmem_end = uint64_t(mm::kDmemBase) + cfg.dmem_bytes;
  for (size_t i = 0; i < img.segments.size(); ++i) {
    const auto& s = img.segments[i];
    const uint64_t lo = s.addr, hi = uint64_t(s.addr) + s.memsz;
    const bool ok = (lo >= mm::kImemBase && hi <= imem_end) || (lo >= mm::kDmemBase && hi <= dmem_end);
    if (!ok) {
      fail("{}: segment {} [0x{:08x}, 0x{:08x}) lies outside the core's memories: IMEM [0x{:08x}, "
           "0x{:08x}), DMEM [0x{:08x}, 0x{:08x}) (link with the variant's tsr_memory.ld)",
           name, i, lo, hi, mm::kImemBase, imem_end, mm::kDmemBase, dmem_end);
    }
  }
  if (img.entry != mm::kResetPc) {
    fail("{}: entry point 0x{:08x} is not the core's reset pc 0x{:08x} (put _start first in .text)",
         name, img.entry, mm::kResetPc);
  }
}

namespace {
const char* kAbi[32] = {"zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0",
                        "a1",   "a2", "a3", "a4", "a5", "a6", "a7", "s2", "s3", "s4", "s5",
                        "s6",   "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6"};
}  // namespace

std::string disasm(uint32_t insn) {
  const uint32_t op = insn & 0x7f, rd = (insn >> 7) & 31, f3 = (insn >> 12) & 7,
                 rs1 = (insn >> 15) & 31, rs2 = (insn >> 20) & 31, f7 = insn >> 25;
  const int32_t imm_i = int32_t(insn) >> 20;
  switch (op) {
    case 0x37: return fmt::format("lui {}, 0x{:x}", kAbi[rd], insn >> 12);
    case 0x17: return fmt::format("auipc {}, 0x{:x}", kAbi[rd], insn >> 12);
    case 0x6f: return fmt::format("jal {}, ...", kAbi[rd]);
    case 0x67: return fmt::format("jalr {}, {}({})", kAbi[rd], imm_i, kAbi[rs1]);
    case 0x63: {
      static const char* n[8] = {"beq", "bne", "?", "?", "blt", "bge", "bltu", "bgeu"};
      return fmt::format("{} {}, {}, ...", n[f3], kAbi[rs1], kAbi[rs2]);
    }
    case 0x03: {
      static const char* n[8] = {"lb", "lh", "lw", "?", "lbu", "lhu", "?", "?"};
      return fmt::format("{} {}, {}({})", n[f3], kAbi[rd], imm_i, kAbi[rs1]);
    }
    case 0x23: {
      static const char* n[8] = {"sb", "sh", "sw", "?", "?", "?", "?", "?"};
      const int32_t imm_s = (int32_t(insn) >> 25 << 5) | int32_t(rd);
      return fmt::format("{} {}, {}({})", n[f3], kAbi[rs2], imm_s, kAbi[rs1]);
    }
    case 0x13: {
      static const char* n[8] = {"addi", "slli", "slti", "sltiu", "xori", "srli", "ori", "andi"};
      const char* m = (f3 == 5 && f7 == 0x20) ? "srai" : n[f3];
      if (f3 == 1 || f3 == 5) return fmt::format("{} {}, {}, {}", m, kAbi[rd], kAbi[rs1], rs2);
      return fmt::format("{} {}, {}, {}", m, kAbi[rd], kAbi[rs1], imm_i);
    }
    case 0x33: {
      static const char* n[8] = {"add", "sll", "slt", "sltu", "xor", "srl", "or", "and"};
      static const char* m[8] = {"mul", "mulh", "mulhsu", "mulhu", "div", "divu", "rem", "remu"};
      const char* s = f7 == 1 ? m[f3] : (f7 == 0x20 && f3 == 0) ? "sub"
                                        : (f7 == 0x20 && f3 == 5) ? "sra" : n[f3];
      return fmt::format("{} {}, {}, {}", s, kAbi[rd], kAbi[rs1], kAbi[rs2]);
    }
    case 0x0f: return f3 == 1 ? "fence.i" : "fence";
    case 0x73: return insn == 0x73 ? "ecall" : insn == 0x00100073 ? "ebreak" : "system?";
    default: return fmt::format("unknown 0x{:08x}", insn);
  }
}

}  // namespace tsr::iss

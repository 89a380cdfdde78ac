// tessera_iss: an instruction-set simulator of the escape core (RV32I + optional M) with the core's
// memory map (tessera/gen/memmap.h), its ecall convention and its halt causes. It is the reference
// the RTL core is checked against step by step (retired pc, register write, memory write), and is
// itself checked against qemu-riscv32 on the same programs (tb/core).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "tessera/gen/config.h"

namespace tsr::iss {

struct CoreConfig {
  bool m_ext = true;
  uint32_t imem_bytes = 16 * 1024;
  uint32_t dmem_bytes = 16 * 1024;
  uint32_t spad_bytes = 0;  // scratchpad window size (0: the window faults)
  static CoreConfig from(const gen::AccelConfig& cfg);
};

// One PT_LOAD segment of an ELF file: `bytes` at `addr`, zero-filled up to `memsz`.
struct Segment {
  uint32_t addr = 0;
  uint32_t memsz = 0;
  std::vector<uint8_t> bytes;
};
struct ElfImage {
  uint32_t entry = 0;
  std::vector<Segment> segments;
};

// Read a little-endian ELF32 RISC-V executable. tsr::Error names the file and the problem (not an
// ELF file, not 32-bit, not RISC-V, not an executable, truncated header / program headers /
// segment data, no loadable segment).
ElfImage load_elf(const std::string& path);
ElfImage parse_elf(const std::vector<uint8_t>& data, const std::string& name);
// tsr::Error (naming `name`, the segment and the region bounds) unless every segment lies inside
// IMEM or DMEM and the entry is TSR_RESET_PC.
void check_placement(const ElfImage& img, const CoreConfig& cfg, const std::string& name);

// What one executed instruction did.
struct Retire {
  uint32_t pc = 0;
  uint32_t insn = 0;
  uint32_t rd = 0;        // 0: no register written (writes to x0 are not reported)
  uint32_t rd_value = 0;
  bool mem_write = false;
  uint32_t mem_addr = 0;  // word address (low two bits 0)
  uint32_t mem_data = 0;  // the store data on the word lanes
  uint32_t mem_strobe = 0;  // byte enables of the word
};

struct Halt {
  uint32_t cause = 0;  // memmap halt_causes(); 0 = running
  uint32_t pc = 0;
  uint32_t code = 0;   // exit code for cause exit
};

// Accesses to the scratchpad and accelerator-CSR windows go to an optional bus; without one they
// fault. `strobe` has a bit per byte lane of the word at `addr` (word aligned).
struct Bus {
  std::function<bool(uint32_t addr, uint32_t& data)> read;
  std::function<bool(uint32_t addr, uint32_t data, uint32_t strobe)> write;
};

class Iss {
 public:
  explicit Iss(const CoreConfig& cfg);

  // Clears the registers and both memories and sets pc to TSR_RESET_PC.
  void reset();
  // Writes every segment into IMEM / DMEM (check_placement first) and sets pc to the entry.
  void load(const ElfImage& img, const std::string& name = "program");

  // Executes one instruction. Returns its retire record, or nothing when the core halts instead
  // (then halt() says why; the instruction did not retire). A halted core stays halted.
  std::optional<Retire> step();
  // Runs until a halt or until `max_steps` instructions retired; true when halted.
  bool run(uint64_t max_steps);

  const Halt& halt() const { return halt_; }
  bool halted() const { return halt_.cause != 0; }
  uint32_t pc() const { return pc_; }
  uint32_t reg(int i) const { return x_[i & 31]; }
  void set_reg(int i, uint32_t v) {
    if ((i & 31) != 0) x_[i & 31] = v;
  }
  uint64_t instret() const { return instret_; }
  const std::string& console() const { return console_; }
  std::vector<uint8_t>& imem() { return imem_; }
  std::vector<uint8_t>& dmem() { return dmem_; }
  const CoreConfig& config() const { return cfg_; }

  // Escape registers seen through MMIO (ESC_FUNC, ESC_ARG0..6, ESC_STATUS bit 0).
  uint32_t esc_func = 0;
  uint32_t esc_args[7] = {};
  bool esc_pending = false;
  std::optional<uint32_t> esc_done;  // status of the last ESC_DONE write
  // Reads of ESC_STATUS that found no ESCAPE pending (a service loop waiting for work).
  uint64_t esc_idle_polls = 0;
  // The write system call (a7 = 64). Inside the accelerator there is no environment to service
  // it: false makes every ecall other than exit halt with bad_ecall, as the integrated core does.
  bool ecall_write = true;
  // Value reported by MMIO CYCLE_LO/HI; the ISS has no timing, so it counts retired instructions
  // unless a harness sets it.
  std::function<uint64_t()> cycle_source;
  Bus bus;

 private:
  bool load_word(uint32_t addr, int size, uint32_t& value);  // false: fault
  bool store(uint32_t addr, int size, uint32_t value, Retire& r);
  void do_halt(const char* cause, uint32_t pc, uint32_t code = 0);

  CoreConfig cfg_;
  uint32_t x_[32] = {};
  uint32_t pc_ = 0;
  uint64_t instret_ = 0;
  std::vector<uint8_t> imem_, dmem_;
  std::string console_;
  Halt halt_;
};

// Disassembly of one instruction (for traces and failure messages).
std::string disasm(uint32_t insn);

}  // namespace tsr::iss

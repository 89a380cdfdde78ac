// Running escape-core firmware from a test: write an escape request (tsr_escape_abi.h) into the
// .tsr_io section of a firmware ELF, run the program under qemu-riscv32 (Linux user mode: the
// firmware's ecall 64/93 are Linux write/exit), and parse what it prints.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace tsr::fw {

// A firmware ELF (RV32, little endian) in memory and its .tsr_io section.
class FwImage {
 public:
  explicit FwImage(const std::string& path);  // throws tsr::Error naming the file and the problem
  const std::string& path() const { return path_; }
  uint32_t io_addr() const { return io_addr_; }
  uint32_t io_size() const { return io_size_; }
  // A copy of the image with `io` (at most io_size bytes) written at the start of .tsr_io.
  std::vector<uint8_t> with_io(std::span<const uint8_t> io) const;

 private:
  std::string path_;
  std::vector<uint8_t> bytes_;
  uint32_t io_addr_ = 0;
  uint32_t io_offset_ = 0;
  uint32_t io_size_ = 0;
};

// An escape request block plus its operands, laid out in the .tsr_io window.
class EscapeRequest {
 public:
  EscapeRequest(uint32_t func, uint32_t io_addr, uint32_t io_size);
  // Copy bytes into the window (16-byte aligned); returns their core address.
  uint32_t put(std::span<const uint8_t> data);
  template <typename T>
  uint32_t put_vec(const std::vector<T>& v) {
    return put({reinterpret_cast<const uint8_t*>(v.data()), v.size() * sizeof(T)});
  }
  using Patch = std::span<const uint8_t>;
  // Overwrite bytes at a core address already inside the window.
  void write(uint32_t addr, Patch data);
  // Reserve zeroed bytes (outputs, scratch); returns their core address.
  uint32_t reserve(uint32_t n);
  void arg(int slot, uint32_t value);
  void arg(int slot, int32_t value) { arg(slot, static_cast<uint32_t>(value)); }
  void output(uint32_t addr, uint32_t len);
  void set_magic(uint32_t m);
  void set_flags(uint32_t f);
  const std::vector<uint8_t>& bytes() const { return io_; }

 private:
  void word(int index, uint32_t v);
  std::vector<uint8_t> io_;
  uint32_t base_;
  uint32_t used_;
};

struct FwResult {
  int exit_code = -1;
  uint32_t status = 0xFFFFFFFFu;  // the "status" line, if printed
  std::vector<uint8_t> out;       // the hex dump after "out <len>"
  bool ended = false;             // the program printed "end"
  std::string log;                // everything it printed (stdout and stderr)
  std::string image;              // the ELF with the request; kept when the run failed
  std::string rerun;              // the command that reruns it
  uint64_t cycles = 0;            // with TSR_ESC_FLAG_COUNTERS on the tessera core: the call's
  uint64_t instret = 0;           // cycles and retired instructions (MMIO counters)
  uint64_t op_instructions = 0;   // with count_instructions: instructions retired from the call
                                  // of tsr_escape_dispatch to its return (the op + dispatch)
};

// Run `image` with the request under qemu-riscv32; never throws for a failing program (the
// caller checks exit_code/status), throws tsr::Error when qemu cannot be run.
// With count_instructions, qemu runs one instruction per translation block and logs each
// executed block (-singlestep -d nochain,exec); the log is parsed and deleted. Slow and large
// (~100 bytes per instruction): for benchmarks of single calls, not for tests.
FwResult run_qemu(const FwImage& image, const EscapeRequest& req, bool count_instructions = false);

// Parses what escape_main prints (cycles/instret, status, out, hex dump, end) into `res`.
void parse_program_output(const std::string& text, FwResult& res);

// Path of a built firmware program (build/firmware/<name>.elf).
std::string firmware_path(const std::string& name);
// Where run images (firmware + request) are written (build/firmware/run).
std::string run_dir();

// Little-endian readers of a result buffer.
int32_t read_i32(const std::vector<uint8_t>& b, size_t word_index);

}  // namespace tsr::fw

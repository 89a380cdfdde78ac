#include "fw_harness.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tessera/error.h"
#include "tessera/tb/harness.h"
#include "tsr_escape_abi.h"

#ifndef TSR_FW_DIR
#error "TSR_FW_DIR must name the firmware build directory"
#endif
#ifndef TSR_QEMU_RISCV32
#define TSR_QEMU_RISCV32 "qemu-riscv32"
#endif

namespace tsr::fw {

namespace {

uint32_t le32(const std::vector<uint8_t>& b, size_t off) {
  if (off + 4 > b.size()) fail("ELF: read past the end at offset {}", off);
  return static_cast<uint32_t>(b[off]) | (static_cast<uint32_t>(b[off + 1]) << 8) |
         (static_cast<uint32_t>(b[off + 2]) << 16) | (static_cast<uint32_t>(b[off + 3]) << 24);
}
uint16_t le16(const std::vector<uint8_t>& b, size_t off) {
  if (off + 2 > b.size()) fail("ELF: read past the end at offset {}", off);
  return static_cast<uint16_t>(b[off] | (b[off + 1] << 8));
}

}  // namespace

FwImage::FwImage(const std::string& path) : path_(path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) fail("{}: cannot open firmware image", path);
  bytes_.assign(std::istreambuf_iterator<char>(f), {});
  if (bytes_.size() < 52 || std::memcmp(bytes_.data(), "\x7f" "ELF", 4) != 0) {
    fail("{}: not an ELF file", path);
  }
  if (bytes_[4] != 1 || bytes_[5] != 1) fail("{}: not a 32-bit little-endian ELF", path);
  if (le16(bytes_, 18) != 243) fail("{}: not a RISC-V ELF (e_machine {})", path, le16(bytes_, 18));
  const uint32_t shoff = le32(bytes_, 32);
  const uint16_t shentsize = le16(bytes_, 46);
  const uint16_t shnum = le16(bytes_, 48);
  const uint16_t shstrndx = le16(bytes_, 50);
  if (shstrndx >= shnum) fail("{}: no section name table", path);
  const uint32_t strtab = le32(bytes_, shoff + shstrndx * shentsize + 16);
  bool found = false;
  for (uint16_t i = 0; i < shnum; ++i) {
    const size_t sh = shoff + static_cast<size_t>(i) * shentsize;
    const uint32_t name = le32(bytes_, sh);
    if (strtab + name >= bytes_.size()) fail("{}: section name out of range", path);
    if (std::strcmp(reinterpret_cast<const char*>(bytes_.data() + strtab + name), ".tsr_io") != 0) {
      continue;
    }
    if (le32(bytes_, sh + 4) != 1) fail("{}: .tsr_io is not PROGBITS", path);
    io_addr_ = le32(bytes_, sh + 12);
    io_offset_ = le32(bytes_, sh + 16);
    io_size_ = le32(bytes_, sh + 20);
    found = true;
  }
  if (!found) fail("{}: no .tsr_io section (not an escape-op program?)", path);
  if (static_cast<size_t>(io_offset_) + io_size_ > bytes_.size()) {
    fail("{}: .tsr_io lies outside the file", path);
  }
}

std::vector<uint8_t> FwImage::with_io(std::span<const uint8_t> io) const {
  if (io.size() > io_size_) {
    fail("{}: request of {} bytes does not fit .tsr_io ({} bytes)", path_, io.size(), io_size_);
  }
  std::vector<uint8_t> copy = bytes_;
  std::copy(io.begin(), io.end(), copy.begin() + io_offset_);
  return copy;
}

EscapeRequest::EscapeRequest(uint32_t func, uint32_t io_addr, uint32_t io_size)
    : io_(io_size, 0), base_(io_addr),
      used_((TSR_ESC_HEADER_WORDS + TSR_ESC_MAX_ARGS) * 4) {
  word(0, TSR_ESC_MAGIC);
  word(1, func);
  word(2, 0xFFFFFFFFu);
  word(5, 0);
}

void EscapeRequest::word(int index, uint32_t v) {
  for (int b = 0; b < 4; ++b) io_[index * 4 + b] = static_cast<uint8_t>(v >> (8 * b));
}

uint32_t EscapeRequest::reserve(uint32_t n) {
  used_ = (used_ + 15U) & ~15U;
  if (static_cast<size_t>(used_) + n > io_.size()) {
    fail("escape request: {} more bytes do not fit the {}-byte I/O window ({} used)", n,
         io_.size(), used_);
  }
  const uint32_t addr = base_ + used_;
  used_ += n;
  return addr;
}

uint32_t EscapeRequest::put(std::span<const uint8_t> data) {
  const uint32_t addr = reserve(static_cast<uint32_t>(data.size()));
  std::copy(data.begin(), data.end(), io_.begin() + (addr - base_));
  return addr;
}

void EscapeRequest::write(uint32_t addr, Patch data) {
  if (addr < base_ || static_cast<size_t>(addr - base_) + data.size() > used_) {
    fail("escape request: write of {} bytes at 0x{:08x} is outside the reserved window", data.size(),
         addr);
  }
  std::copy(data.begin(), data.end(), io_.begin() + (addr - base_));
}

void EscapeRequest::arg(int slot, uint32_t value) {
  if (slot < 0 || slot >= TSR_ESC_MAX_ARGS) fail("escape request: argument slot {} out of range", slot);
  word(TSR_ESC_HEADER_WORDS + slot, value);
}

void EscapeRequest::output(uint32_t addr, uint32_t len) {
  word(3, addr);
  word(4, len);
}

void EscapeRequest::set_magic(uint32_t m) { word(0, m); }
void EscapeRequest::set_flags(uint32_t f) { word(5, f); }

std::string firmware_path(const std::string& name) {
  return (std::filesystem::path(TSR_FW_DIR) / (name + ".elf")).string();
}

namespace {

// Instructions from the first executed instruction of tsr_escape_dispatch up to (not including)
// the first one back in main: qemu's exec log names the symbol of every block, one instruction
// per block under -singlestep.
uint64_t count_dispatch_instructions(const std::string& log_path) {
  std::ifstream f(log_path);
  if (!f) fail("{}: cannot read qemu's exec log", log_path);
  std::string line;
  bool inside = false;
  uint64_t n = 0;
  while (std::getline(f, line)) {
    if (line.rfind("Trace ", 0) != 0) continue;
    const auto sp = line.find_last_of(' ');
    const std::string sym = line.substr(sp + 1);
    if (!inside) {
      inside = sym == "tsr_escape_dispatch";
    } else if (sym == "main") {
      return n;
    }
    if (inside) ++n;
  }
  fail("{}: the exec log has no complete call of tsr_escape_dispatch", log_path);
}

}  // namespace

void parse_program_output(const std::string& text, FwResult& res) {
  std::istringstream in(text);
  std::string line;
  size_t expect = 0;
  bool in_out = false;
  while (std::getline(in, line)) {
    if (line.rfind("cycles ", 0) == 0) {
      res.cycles = std::stoull(line.substr(7));
    } else if (line.rfind("instret ", 0) == 0) {
      res.instret = std::stoull(line.substr(8));
    } else if (line.rfind("status ", 0) == 0) {
      res.status = static_cast<uint32_t>(std::stoul(line.substr(7)));
    } else if (line.rfind("out ", 0) == 0) {
      expect = std::stoul(line.substr(4));
      in_out = true;
    } else if (line == "end") {
      res.ended = true;
      in_out = false;
    } else if (in_out) {
      for (size_t i = 0; i + 1 < line.size(); i += 2) {
        const char h[3] = {line[i], line[i + 1], 0};
        char* end = nullptr;
        const unsigned long v = std::strtoul(h, &end, 16);
        if (end != h + 2) return;  // not hex: not a result (ended stays false)
        res.out.push_back(static_cast<uint8_t>(v));
      }
    }
  }
  if (res.out.size() != expect) res.ended = false;  // a truncated dump is not a result
}

std::string run_dir() { return (std::filesystem::path(TSR_FW_DIR) / "run").string(); }

FwResult run_qemu(const FwImage& image, const EscapeRequest& req, bool count_instructions) {
  static std::atomic<int> counter{0};
  const auto dir = std::filesystem::path(run_dir());
  std::filesystem::create_directories(dir);
  // Named after the test, so a rerun overwrites the images a failed run left behind.
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string who = info != nullptr ? fmt::format("{}.{}", info->test_suite_name(), info->name())
                                    : fmt::format("pid{}", getpid());
  std::replace(who.begin(), who.end(), '/', '_');  // parameterized tests: Suite/Test/param
  const auto elf = dir / fmt::format("{}-{}-{}.elf", std::filesystem::path(image.path()).stem().string(),
                                     who, counter++);
  {
    const auto bytes = image.with_io(req.bytes());
    std::ofstream f(elf, std::ios::binary);
    if (!f) fail("{}: cannot write", elf.string());
    f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  }
  // qemu-user refuses (silently, exit 1) to load an image without execute permission.
  std::filesystem::permissions(elf, std::filesystem::perms::owner_exec,
                               std::filesystem::perm_options::add);
  const std::string trace = elf.string() + ".exec.log";
  const std::string opts =
      count_instructions ? fmt::format("-singlestep -d nochain,exec -D {} ", trace) : "";
  const auto r =
      tsr::tb::run_command(fmt::format("{} {}{}", TSR_QEMU_RISCV32, opts, elf.string()));
  FwResult res;
  res.exit_code = r.code;
  res.log = r.output;
  res.image = elf.string();
  res.rerun = fmt::format("{} {}", TSR_QEMU_RISCV32, elf.string());
  parse_program_output(r.output, res);
  if (count_instructions) {
    res.op_instructions = count_dispatch_instructions(trace);
    std::filesystem::remove(trace);
  }
  if (res.exit_code == 0 && res.ended) std::filesystem::remove(elf);
  return res;
}

int32_t read_i32(const std::vector<uint8_t>& b, size_t word_index) {
  return static_cast<int32_t>(le32(b, word_index * 4));
}

}  // namespace tsr::fw

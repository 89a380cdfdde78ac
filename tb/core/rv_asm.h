// A tiny RV32IM encoder and ELF32 writer for the core tests: programs built in C++ so that every
// instruction (and every illegal encoding) can be placed exactly.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "tessera/gen/memmap.h"

namespace tsr::core::rv {

inline uint32_t r(uint32_t f7, uint32_t rs2, uint32_t rs1, uint32_t f3, uint32_t rd, uint32_t op) {
  return f7 << 25 | (rs2 & 31) << 20 | (rs1 & 31) << 15 | f3 << 12 | (rd & 31) << 7 | op;
}
inline uint32_t i(int32_t imm, uint32_t rs1, uint32_t f3, uint32_t rd, uint32_t op) {
  return (uint32_t(imm) & 0xfff) << 20 | (rs1 & 31) << 15 | f3 << 12 | (rd & 31) << 7 | op;
}
inline uint32_t s(int32_t imm, uint32_t rs2, uint32_t rs1, uint32_t f3) {
  const uint32_t u = uint32_t(imm);
  return ((u >> 5) & 0x7f) << 25 | (rs2 & 31) << 20 | (rs1 & 31) << 15 | f3 << 12 | (u & 31) << 7 |
         0x23;
}
inline uint32_t b(int32_t off, uint32_t rs2, uint32_t rs1, uint32_t f3) {
  const uint32_t u = uint32_t(off);
  return ((u >> 12) & 1) << 31 | ((u >> 5) & 0x3f) << 25 | (rs2 & 31) << 20 | (rs1 & 31) << 15 |
         f3 << 12 | ((u >> 1) & 0xf) << 8 | ((u >> 11) & 1) << 7 | 0x63;
}
inline uint32_t u(uint32_t imm20, uint32_t rd, uint32_t op) { return imm20 << 12 | (rd & 31) << 7 | op; }
inline uint32_t j(int32_t off, uint32_t rd) {
  const uint32_t v = uint32_t(off);
  return ((v >> 20) & 1) << 31 | ((v >> 1) & 0x3ff) << 21 | ((v >> 11) & 1) << 20 |
         ((v >> 12) & 0xff) << 12 | (rd & 31) << 7 | 0x6f;
}

// RV32I / M mnemonics.
inline uint32_t lui(uint32_t rd, uint32_t imm20) { return u(imm20, rd, 0x37); }
inline uint32_t auipc(uint32_t rd, uint32_t imm20) { return u(imm20, rd, 0x17); }
inline uint32_t jal(uint32_t rd, int32_t off) { return j(off, rd); }
inline uint32_t jalr(uint32_t rd, uint32_t rs1, int32_t imm) { return i(imm, rs1, 0, rd, 0x67); }
inline uint32_t beq(uint32_t a, uint32_t c, int32_t off) { return b(off, c, a, 0); }
inline uint32_t bne(uint32_t a, uint32_t c, int32_t off) { return b(off, c, a, 1); }
inline uint32_t blt(uint32_t a, uint32_t c, int32_t off) { return b(off, c, a, 4); }
inline uint32_t bge(uint32_t a, uint32_t c, int32_t off) { return b(off, c, a, 5); }
inline uint32_t bltu(uint32_t a, uint32_t c, int32_t off) { return b(off, c, a, 6); }
inline uint32_t bgeu(uint32_t a, uint32_t c, int32_t off) { return b(off, c, a, 7); }
inline uint32_t lb(uint32_t rd, uint32_t rs1, int32_t o) { return i(o, rs1, 0, rd, 0x03); }
inline uint32_t lh(uint32_t rd, uint32_t rs1, int32_t o) { return i(o, rs1, 1, rd, 0x03); }
inline uint32_t lw(uint32_t rd, uint32_t rs1, int32_t o) { return i(o, rs1, 2, rd, 0x03); }
inline uint32_t lbu(uint32_t rd, uint32_t rs1, int32_t o) { return i(o, rs1, 4, rd, 0x03); }
inline uint32_t lhu(uint32_t rd, uint32_t rs1, int32_t o) { return i(o, rs1, 5, rd, 0x03); }
inline uint32_t sb(uint32_t rs2, uint32_t rs1, int32_t o) { return s(o, rs2, rs1, 0); }
inline uint32_t sh(uint32_t rs2, uint32_t rs1, int32_t o) { return s(o, rs2, rs1, 1); }
inline uint32_t sw(uint32_t rs2, uint32_t rs1, int32_t o) { return s(o, rs2, rs1, 2); }
inline uint32_t addi(uint32_t rd, uint32_t rs1, int32_t imm) { return i(imm, rs1, 0, rd, 0x13); }
inline uint32_t slti(uint32_t rd, uint32_t rs1, int32_t imm) { return i(imm, rs1, 2, rd, 0x13); }
inline uint32_t sltiu(uint32_t rd, uint32_t rs1, int32_t imm) { return i(imm, rs1, 3, rd, 0x13); }
inline uint32_t xori(uint32_t rd, uint32_t rs1, int32_t imm) { return i(imm, rs1, 4, rd, 0x13); }
inline uint32_t ori(uint32_t rd, uint32_t rs1, int32_t imm) { return i(imm, rs1, 6, rd, 0x13); }
inline uint32_t andi(uint32_t rd, uint32_t rs1, int32_t imm) { return i(imm, rs1, 7, rd, 0x13); }
inline uint32_t slli(uint32_t rd, uint32_t rs1, uint32_t sh) { return r(0, sh, rs1, 1, rd, 0x13); }
inline uint32_t srli(uint32_t rd, uint32_t rs1, uint32_t sh) { return r(0, sh, rs1, 5, rd, 0x13); }
inline uint32_t srai(uint32_t rd, uint32_t rs1, uint32_t sh) { return r(0x20, sh, rs1, 5, rd, 0x13); }
inline uint32_t add(uint32_t rd, uint32_t a, uint32_t c) { return r(0, c, a, 0, rd, 0x33); }
inline uint32_t sub(uint32_t rd, uint32_t a, uint32_t c) { return r(0x20, c, a, 0, rd, 0x33); }
inline uint32_t sll(uint32_t rd, uint32_t a, uint32_t c) { return r(0, c, a, 1, rd, 0x33); }
inline uint32_t slt(uint32_t rd, uint32_t a, uint32_t c) { return r(0, c, a, 2, rd, 0x33); }
inline uint32_t sltu(uint32_t rd, uint32_t a, uint32_t c) { return r(0, c, a, 3, rd, 0x33); }
inline uint32_t xor_(uint32_t rd, uint32_t a, uint32_t c) { return r(0, c, a, 4, rd, 0x33); }
inline uint32_t srl(uint32_t rd, uint32_t a, uint32_t c) { return r(0, c, a, 5, rd, 0x33); }
inline uint32_t sra(uint32_t rd, uint32_t a, uint32_t c) { return r(0x20, c, a, 5, rd, 0x33); }
inline uint32_t or_(uint32_t rd, uint32_t a, uint32_t c) { return r(0, c, a, 6, rd, 0x33); }
inline uint32_t and_(uint32_t rd, uint32_t a, uint32_t c) { return r(0, c, a, 7, rd, 0x33); }
inline uint32_t mop(uint32_t f3, uint32_t rd, uint32_t a, uint32_t c) { return r(1, c, a, f3, rd, 0x33); }
inline uint32_t mul(uint32_t rd, uint32_t a, uint32_t c) { return mop(0, rd, a, c); }
inline uint32_t mulh(uint32_t rd, uint32_t a, uint32_t c) { return mop(1, rd, a, c); }
inline uint32_t mulhsu(uint32_t rd, uint32_t a, uint32_t c) { return mop(2, rd, a, c); }
inline uint32_t mulhu(uint32_t rd, uint32_t a, uint32_t c) { return mop(3, rd, a, c); }
inline uint32_t div(uint32_t rd, uint32_t a, uint32_t c) { return mop(4, rd, a, c); }
inline uint32_t divu(uint32_t rd, uint32_t a, uint32_t c) { return mop(5, rd, a, c); }
inline uint32_t rem(uint32_t rd, uint32_t a, uint32_t c) { return mop(6, rd, a, c); }
inline uint32_t remu(uint32_t rd, uint32_t a, uint32_t c) { return mop(7, rd, a, c); }
inline uint32_t fence() { return 0x0ff0000f; }
inline constexpr uint32_t kEcall = 0x00000073, kEbreak = 0x00100073;

// rd = value (lui + addi).
inline void li(std::vector<uint32_t>& p, uint32_t rd, uint32_t value) {
  const uint32_t lo = value & 0xfff;
  const uint32_t hi = (value + (lo >= 0x800 ? 0x1000 : 0)) >> 12;
  p.push_back(lui(rd, hi & 0xfffff));
  p.push_back(addi(rd, rd, int32_t(lo << 20) >> 20));
}
// exit(code in a0 = value).
inline void exit_with(std::vector<uint32_t>& p, uint32_t code) {
  li(p, 10, code);
  li(p, 17, gen::memmap::kSysExit);
  p.push_back(kEcall);
}

// A minimal ELF32 RISC-V executable: the text at TSR_IMEM_BASE and a DMEM segment of `dmem_bytes`
// (initial contents `data`, zero-filled to the end).
inline std::vector<uint8_t> make_elf(const std::vector<uint32_t>& text, uint32_t dmem_bytes,
                                     const std::vector<uint8_t>& data = {}) {
  std::vector<uint8_t> f(52 + 2 * 32, 0);
  auto put16 = [&](size_t o, uint32_t v) { f[o] = uint8_t(v); f[o + 1] = uint8_t(v >> 8); };
  auto put32 = [&](size_t o, uint32_t v) {
    for (int k = 0; k < 4; ++k) f[o + k] = uint8_t(v >> (8 * k));
  };
  const uint8_t ident[16] = {0x7f, 'E', 'L', 'F', 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  std::memcpy(f.data(), ident, 16);
  put16(16, 2);    // ET_EXEC
  put16(18, 243);  // EM_RISCV
  put32(20, 1);
  put32(24, gen::memmap::kResetPc);
  put32(28, 52);   // e_phoff
  put16(40, 52);
  put16(42, 32);
  put16(44, 2);
  const uint32_t text_off = 4096, data_off = 8192;
  const uint32_t text_bytes = uint32_t(text.size() * 4);
  auto ph = [&](size_t o, uint32_t off, uint32_t addr, uint32_t filesz, uint32_t memsz, uint32_t fl) {
    put32(o, 1);  // PT_LOAD
    put32(o + 4, off);
    put32(o + 8, addr);
    put32(o + 12, addr);
    put32(o + 16, filesz);
    put32(o + 20, memsz);
    put32(o + 24, fl);
    put32(o + 28, 4096);
  };
  ph(52, text_off, gen::memmap::kImemBase, text_bytes, text_bytes, 5);
  ph(84, data_off, gen::memmap::kDmemBase, uint32_t(data.size()), dmem_bytes, 6);
  f.resize(data_off + data.size(), 0);
  for (size_t k = 0; k < text.size(); ++k) {
    for (int m = 0; m < 4; ++m) f[text_off + 4 * k + m] = uint8_t(text[k] >> (8 * m));
  }
  std::memcpy(f.data() + data_off, data.data(), data.size());
  return f;
}

}  // namespace tsr::core::rv

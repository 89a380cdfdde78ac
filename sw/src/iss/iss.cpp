// The escape core's instruction-set simulator (see iss.h). Semantics follow the RISC-V
// unprivileged spec (RV32I, M); what the spec leaves to the platform (illegal instructions,
// misaligned and out-of-range accesses) halts the core with a cause from gen/memmap.
#include "tessera/iss/iss.h"

#include <fmt/format.h>

#include "tessera/error.h"
#include "tessera/gen/memmap.h"

namespace tsr::iss {

namespace mm = tsr::gen::memmap;

CoreConfig CoreConfig::from(const gen::AccelConfig& cfg) {
  CoreConfig c;
  c.m_ext = cfg.core_m_ext;
  c.imem_bytes = uint32_t(cfg.core_imem_kib) * 1024;
  c.dmem_bytes = uint32_t(cfg.core_dmem_kib) * 1024;
  c.spad_bytes = uint32_t(cfg.sp_rows) * mm::spad_row_stride(cfg);
  return c;
}

Iss::Iss(const CoreConfig& cfg) : cfg_(cfg) { reset(); }

void Iss::reset() {
  for (auto& r : x_) r = 0;
  pc_ = mm::kResetPc;
  instret_ = 0;
  imem_.assign(cfg_.imem_bytes, 0);
  dmem_.assign(cfg_.dmem_bytes, 0);
  console_.clear();
  halt_ = {};
  esc_done.reset();
}

void Iss::load(const ElfImage& img, const std::string& name) {
  check_placement(img, cfg_, name);
  reset();
  for (const auto& s : img.segments) {
    const bool in_imem = s.addr - mm::kImemBase < cfg_.imem_bytes;
    auto& mem = in_imem ? imem_ : dmem_;
    const uint32_t base = in_imem ? mm::kImemBase : mm::kDmemBase;
    for (uint32_t i = 0; i < s.memsz; ++i) {
      mem[s.addr - base + i] = i < s.bytes.size() ? s.bytes[i] : 0;
    }
  }
  pc_ = img.entry;
}

void Iss::do_halt(const char* cause, uint32_t pc, uint32_t code) {
  halt_.cause = mm::halt_value(cause);
  halt_.pc = pc;
  halt_.code = code;
}

namespace {

bool in(uint32_t addr, uint32_t base, uint32_t size) { return addr - base < size; }

}  // namespace

// Loads `size` bytes (1, 2, 4; aligned) zero-extended into value. False on a fault.
bool Iss::load_word(uint32_t addr, int size, uint32_t& value) {
  if (in(addr, mm::kDmemBase, cfg_.dmem_bytes)) {
    const uint32_t o = addr - mm::kDmemBase;
    value = 0;
    for (int i = 0; i < size; ++i) value |= uint32_t(dmem_[o + i]) << (8 * i);
    return true;
  }
  const uint32_t word = addr & ~3u;
  const int sh = 8 * int(addr & 3);
  const uint32_t mask = size == 4 ? 0xffffffffu : ((1u << (8 * size)) - 1);
  if (in(addr, mm::kSpadBase, cfg_.spad_bytes) ||
      (size == 4 && in(addr, mm::kCsrBase, mm::kCsrSize))) {
    uint32_t w = 0;
    if (!bus.read || !bus.read(word, w)) return false;
    value = (w >> sh) & mask;
    return true;
  }
  if (size == 4 && in(addr, mm::kMmioBase, mm::kMmioSize)) {
    const uint32_t off = addr - mm::kMmioBase;
    const uint64_t cyc = cycle_source ? cycle_source() : instret_;
    value = 0;
    if (off == mm::mmio_offset("ID")) value = mm::kCoreId;
    else if (off == mm::mmio_offset("ESC_FUNC")) value = esc_func;
    else if (off == mm::mmio_offset("ESC_STATUS")) {
      value = esc_pending ? 1 : 0;
      if (!esc_pending) ++esc_idle_polls;
    }
    else if (off == mm::mmio_offset("CYCLE_LO")) value = uint32_t(cyc);
    else if (off == mm::mmio_offset("CYCLE_HI")) value = uint32_t(cyc >> 32);
    else if (off == mm::mmio_offset("INSTRET_LO")) value = uint32_t(instret_);
    else if (off == mm::mmio_offset("INSTRET_HI")) value = uint32_t(instret_ >> 32);
    else if (off >= mm::mmio_offset("ESC_ARG0") && off <= mm::mmio_offset("ESC_ARG6")) {
      value = esc_args[(off - mm::mmio_offset("ESC_ARG0")) / 4];
    }
    return true;
  }
  return false;
}

bool Iss::store(uint32_t addr, int size, uint32_t value, Retire& r) {
  const uint32_t word = addr & ~3u;
  const int sh = 8 * int(addr & 3);
  const uint32_t lanes = (size == 4 ? 0xfu : size == 2 ? 0x3u : 0x1u) << (addr & 3);
  const uint32_t mask = size == 4 ? 0xffffffffu : ((1u << (8 * size)) - 1);
  r.mem_write = true;
  r.mem_addr = word;
  r.mem_data = (value & mask) << sh;
  r.mem_strobe = lanes;
  if (in(addr, mm::kDmemBase, cfg_.dmem_bytes)) {
    const uint32_t o = addr - mm::kDmemBase;
    for (int i = 0; i < size; ++i) dmem_[o + i] = uint8_t(value >> (8 * i));
    return true;
  }
  if (in(addr, mm::kSpadBase, cfg_.spad_bytes) ||
      (size == 4 && in(addr, mm::kCsrBase, mm::kCsrSize))) {
    return bus.write && bus.write(word, r.mem_data, lanes);
  }
  if (size == 4 && in(addr, mm::kMmioBase, mm::kMmioSize)) {
    const uint32_t off = addr - mm::kMmioBase;
    if (off == mm::mmio_offset("ESC_DONE")) {
      esc_done = value;
      esc_pending = false;
    } else if (off == mm::mmio_offset("CONSOLE")) {
      console_ += char(value & 0xff);
    } else if (off == mm::mmio_offset("EXIT")) {
      // Retires, then the core halts (pc = the next instruction).
      halt_.cause = mm::halt_value("exit");
      halt_.code = value;
      esc_pending = false;
    }
    return true;
  }
  return false;
}

std::optional<Retire> Iss::step() {
  if (halted()) return std::nullopt;
  const uint32_t pc = pc_;
  if (!in(pc, mm::kImemBase, cfg_.imem_bytes)) {
    do_halt("fetch_fault", pc);
    return std::nullopt;
  }
  const uint32_t o = pc - mm::kImemBase;
  const uint32_t insn = uint32_t(imem_[o]) | uint32_t(imem_[o + 1]) << 8 |
                        uint32_t(imem_[o + 2]) << 16 | uint32_t(imem_[o + 3]) << 24;
  Retire r;
  r.pc = pc;
  r.insn = insn;

  const uint32_t opcode = insn & 0x7f;
  const uint32_t rd = (insn >> 7) & 31;
  const uint32_t f3 = (insn >> 12) & 7;
  const uint32_t rs1 = (insn >> 15) & 31;
  const uint32_t rs2 = (insn >> 20) & 31;
  const uint32_t f7 = insn >> 25;
  const uint32_t a = x_[rs1];
  const uint32_t b = x_[rs2];
  const int32_t imm_i = int32_t(insn) >> 20;
  const int32_t imm_s = (int32_t(insn) >> 25 << 5) | int32_t((insn >> 7) & 31);
  const int32_t imm_b = (int32_t(insn) >> 31 << 12) | int32_t(((insn >> 7) & 1) << 11) |
                        int32_t(((insn >> 25) & 0x3f) << 5) | int32_t(((insn >> 8) & 0xf) << 1);
  const uint32_t imm_u = insn & 0xfffff000u;
  const int32_t imm_j = (int32_t(insn) >> 31 << 20) | int32_t(insn & 0xff000) |
                        int32_t(((insn >> 20) & 1) << 11) | int32_t(((insn >> 21) & 0x3ff) << 1);

  uint32_t next = pc + 4;
  bool wr = false;
  uint32_t val = 0;
  auto illegal = [&] {
    do_halt("illegal_insn", pc);
    return std::nullopt;
  };

  switch (opcode) {
    case 0x37: wr = true; val = imm_u; break;  // LUI
    case 0x17: wr = true; val = pc + imm_u; break;  // AUIPC
    case 0x6f: {  // JAL
      const uint32_t t = pc + uint32_t(imm_j);
      if (t & 3) {
        do_halt("fetch_misaligned", pc);
        return std::nullopt;
      }
      wr = true;
      val = pc + 4;
      next = t;
      break;
    }
    case 0x67: {  // JALR
      if (f3 != 0) return illegal();
      const uint32_t t = (a + uint32_t(imm_i)) & ~1u;
      if (t & 3) {
        do_halt("fetch_misaligned", pc);
        return std::nullopt;
      }
      wr = true;
      val = pc + 4;
      next = t;
      break;
    }
    case 0x63: {  // BRANCH
      bool take = false;
      switch (f3) {
        case 0: take = a == b; break;
        case 1: take = a != b; break;
        case 4: take = int32_t(a) < int32_t(b); break;
        case 5: take = int32_t(a) >= int32_t(b); break;
        case 6: take = a < b; break;
        case 7: take = a >= b; break;
        default: return illegal();
      }
      if (take) {
        const uint32_t t = pc + uint32_t(imm_b);
        if (t & 3) {
          do_halt("fetch_misaligned", pc);
          return std::nullopt;
        }
        next = t;
      }
      break;
    }
    case 0x03: {  // LOAD
      const uint32_t addr = a + uint32_t(imm_i);
      int size = 0;
      switch (f3) {
        case 0: case 4: size = 1; break;
        case 1: case 5: size = 2; break;
        case 2: size = 4; break;
        default: return illegal();
      }
      if (addr & uint32_t(size - 1)) {
        do_halt("load_misaligned", pc);
        return std::nullopt;
      }
      uint32_t v = 0;
      if (!load_word(addr, size, v)) {
        do_halt("load_fault", pc);
        return std::nullopt;
      }
      if (f3 == 0) v = uint32_t(int32_t(int8_t(v)));
      if (f3 == 1) v = uint32_t(int32_t(int16_t(v)));
      wr = true;
      val = v;
      break;
    }
    case 0x23: {  // STORE
      const uint32_t addr = a + uint32_t(imm_s);
      if (f3 > 2) return illegal();
      const int size = 1 << f3;
      if (addr & uint32_t(size - 1)) {
        do_halt("store_misaligned", pc);
        return std::nullopt;
      }
      if (!store(addr, size, b, r)) {
        do_halt("store_fault", pc);
        return std::nullopt;
      }
      break;
    }
    case 0x13: {  // OP-IMM
      const uint32_t sh = rs2;  // shamt = imm[4:0]
      wr = true;
      switch (f3) {
        case 0: val = a + uint32_t(imm_i); break;
        case 2: val = int32_t(a) < imm_i ? 1 : 0; break;
        case 3: val = a < uint32_t(imm_i) ? 1 : 0; break;
        case 4: val = a ^ uint32_t(imm_i); break;
        case 6: val = a | uint32_t(imm_i); break;
        case 7: val = a & uint32_t(imm_i); break;
        case 1:
          if (f7 != 0) return illegal();
          val = a << sh;
          break;
        case 5:
          if (f7 == 0) val = a >> sh;
          else if (f7 == 0x20) val = uint32_t(int32_t(a) >> sh);
          else return illegal();
          break;
      }
      break;
    }
    case 0x33: {  // OP
      wr = true;
      if (f7 == 1) {
        if (!cfg_.m_ext) return illegal();
        const int64_t sa = int32_t(a), sb = int32_t(b);
        const uint64_t ua = a, ub = b;
        switch (f3) {
          case 0: val = a * b; break;
          case 1: val = uint32_t(uint64_t(sa * sb) >> 32); break;
          case 2: val = uint32_t(uint64_t(sa * int64_t(ub)) >> 32); break;
          case 3: val = uint32_t((ua * ub) >> 32); break;
          case 4:  // DIV
            if (b == 0) val = 0xffffffffu;
            else if (a == 0x80000000u && b == 0xffffffffu) val = a;
            else val = uint32_t(int32_t(a) / int32_t(b));
            break;
          case 5: val = b == 0 ? 0xffffffffu : a / b; break;  // DIVU
          case 6:  // REM
            if (b == 0) val = a;
            else if (a == 0x80000000u && b == 0xffffffffu) val = 0;
            else val = uint32_t(int32_t(a) % int32_t(b));
            break;
          case 7: val = b == 0 ? a : a % b; break;  // REMU
        }
        break;
      }
      if (f7 != 0 && !(f7 == 0x20 && (f3 == 0 || f3 == 5))) return illegal();
      switch (f3) {
        case 0: val = f7 ? a - b : a + b; break;
        case 1: val = a << (b & 31); break;
        case 2: val = int32_t(a) < int32_t(b) ? 1 : 0; break;
        case 3: val = a < b ? 1 : 0; break;
        case 4: val = a ^ b; break;
        case 5: val = f7 ? uint32_t(int32_t(a) >> (b & 31)) : a >> (b & 31); break;
        case 6: val = a | b; break;
        case 7: val = a & b; break;
      }
      break;
    }
    case 0x0f:  // MISC-MEM: fence, fence.i are no-ops on this core
      if (f3 > 1) return illegal();
      break;
    case 0x73: {  // SYSTEM
      if (insn == 0x00100073u) {
        do_halt("ebreak", pc);
        return std::nullopt;
      }
      if (insn != 0x00000073u) return illegal();
      const uint32_t a7 = x_[17];
      if (a7 == mm::kSysExit) {
        do_halt("exit", pc, x_[10]);
        esc_pending = false;
        return std::nullopt;
      }
      if (!ecall_write || a7 != mm::kSysWrite || (x_[10] != 1 && x_[10] != 2)) {
        do_halt("bad_ecall", pc);
        return std::nullopt;
      }
      const uint32_t buf = x_[11], len = x_[12];
      for (uint32_t i = 0; i < len; ++i) {
        if (!in(buf + i, mm::kDmemBase, cfg_.dmem_bytes)) {
          do_halt("bad_ecall", pc);
          return std::nullopt;
        }
      }
      for (uint32_t i = 0; i < len; ++i) console_ += char(dmem_[buf + i - mm::kDmemBase]);
      wr = true;
      val = len;
      // The write's result goes to a0 (rd field of ecall is 0).
      x_[10] = val;
      r.rd = 10;
      r.rd_value = val;
      wr = false;
      break;
    }
    default:
      return illegal();
  }
  if (wr && rd != 0) {
    x_[rd] = val;
    r.rd = rd;
    r.rd_value = val;
  }
  pc_ = next;
  ++instret_;
  if (halted()) halt_.pc = next;  // MMIO EXIT: retired, halted before the next instruction
  return r;
}

bool Iss::run(uint64_t max_steps) {
  for (uint64_t i = 0; i < max_steps && !halted(); ++i) step();
  return halted();
}

}  // namespace tsr::iss

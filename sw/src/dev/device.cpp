// The reference device (see tessera/dev/device.h).
#include "tessera/dev/device.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <deque>
#include <functional>
#include <limits>
#include <optional>
#include <random>
#include <set>
#include <tuple>

#include "tessera/error.h"
#include "tessera/gen/memmap.h"
#include "tessera/ref/gemm.h"
#include "tessera/ref/quant.h"

namespace tsr::dev {

namespace isa = gen::isa;

// ---- Parameters, footprints, stats ----

DeviceParams DeviceParams::from_config(const gen::AccelConfig& cfg) {
  DeviceParams p;
  p.name = cfg.name;
  p.rows = cfg.rows;
  p.cols = cfg.cols;
  p.sp_row_bytes = cfg.sp_row_bytes;
  p.sp_rows = cfg.sp_rows;
  p.sp_bank_rows = cfg.sp_bank_rows;
  p.sp_banks = cfg.sp_banks;
  p.acc_rows = cfg.acc_rows;
  p.acc_bank_rows = cfg.acc_bank_rows;
  p.bus_bytes = cfg.bus_bytes;
  p.has_core = cfg.core_enable;
  p.core_m_ext = cfg.core_m_ext;
  p.core_imem_bytes = static_cast<uint32_t>(cfg.core_imem_kib) * 1024;
  p.core_dmem_bytes = static_cast<uint32_t>(cfg.core_dmem_kib) * 1024;
  p.sp_row_stride = static_cast<int>(gen::memmap::spad_row_stride(cfg));
  p.skip_depth = cfg.skip_enable ? cfg.skip_depth : 0;
  if (p.rows < 1 || p.cols < 1 || p.sp_row_bytes < std::max(p.rows, p.cols) || p.sp_rows < 1 ||
      p.acc_rows < 1 || p.bus_bytes < 1 || p.sp_bank_rows < 1 || p.acc_bank_rows < 1) {
    fail("device parameters of config '{}' are incomplete (was the config validated?)", cfg.name);
  }
  return p;
}

iss::CoreConfig DeviceParams::core_config() const {
  iss::CoreConfig c;
  c.m_ext = core_m_ext;
  c.imem_bytes = core_imem_bytes;
  c.dmem_bytes = core_dmem_bytes;
  c.spad_bytes = static_cast<uint32_t>(sp_rows) * static_cast<uint32_t>(sp_row_stride);
  return c;
}

const char* channel_name(int channel) {
  static const char* const names[kTokenChannels] = {"ld->ex", "ex->ld", "ex->st", "st->ex"};
  return channel >= 0 && channel < kTokenChannels ? names[channel] : "?";
}

namespace {

constexpr int kLoad = 0, kExec = 1, kStore = 2;

// Token channel from unit `from` to its neighbour `to`; -1 when they are not neighbours.
int channel(int from, int to) {
  if (from == kLoad && to == kExec) return 0;
  if (from == kExec && to == kLoad) return 1;
  if (from == kExec && to == kStore) return 2;
  if (from == kStore && to == kExec) return 3;
  return -1;
}
int prev_unit(int u) { return u - 1; }  // -1 for load
int next_unit(int u) { return u == kStore ? -1 : u + 1; }

const char* unit_label(int u) {
  switch (u) {
    case kLoad:
      return "load";
    case kExec:
      return "execute";
    case kStore:
      return "store";
    default:
      return "fetch";
  }
}

std::string cmd_name(const Command& c) {
  const isa::Command* s = find_spec(c);
  return s != nullptr ? s->name : fmt::format("opcode {}", c[0] & 0xFFu);
}

// Decoded access to the fields of one command.
struct Fields {
  const Command& c;
  const isa::Command& s;
  int64_t operator()(const char* n) const { return get_field(c, isa::field(s, n)); }
};

uint64_t ceil_div(uint64_t a, uint64_t b) { return (a + b - 1) / b; }

}  // namespace

int token_unit(const Command& c) {
  const isa::Command* s = find_spec(c);
  if (s == nullptr) return -1;
  switch (s->unit) {
    case isa::Unit::Load:
      return kLoad;
    case isa::Unit::Execute:
      return kExec;
    case isa::Unit::Store:
      return kStore;
    case isa::Unit::Dispatch:
      return -1;
  }
  return -1;
}

Footprint footprint(const Command& c, const DeviceParams& p) {
  Footprint fp;
  const isa::Command* s = find_spec(c);
  if (s == nullptr) return fp;
  const Fields f{c, *s};
  const std::string_view name = s->name;
  const uint64_t R = static_cast<uint64_t>(p.rows);
  if (name == "LOAD") {
    const uint64_t elems =
        static_cast<uint64_t>(f("rows")) *
        static_cast<uint64_t>(f("row_bytes") / std::max<int64_t>(1, f("elem_bytes")));
    fp.sp_write.push_back({static_cast<uint64_t>(f("sp_addr")), 1, 0, elems});
    for (uint64_t m = 1; f("mirror") != 0 && m < static_cast<uint64_t>(p.mirror_ways()); ++m) {
      fp.sp_write.push_back(
          {static_cast<uint64_t>(f("sp_addr")) ^ (m * static_cast<uint64_t>(p.sp_bank_rows)), 1, 0,
           elems});
    }
    fp.dram_read.push_back({static_cast<uint64_t>(f("dram_addr")), static_cast<uint64_t>(f("rows")),
                            static_cast<uint64_t>(f("dram_stride")),
                            static_cast<uint64_t>(f("row_bytes"))});
  } else if (name == "STORE") {
    const uint64_t elems =
        static_cast<uint64_t>(f("rows")) *
        static_cast<uint64_t>(f("row_bytes") / std::max<int64_t>(1, f("elem_bytes")));
    fp.acc_read.push_back({static_cast<uint64_t>(f("acc_addr")), 1, 0, elems});
    fp.dram_write.push_back(
        {static_cast<uint64_t>(f("dram_addr")), static_cast<uint64_t>(f("rows")),
         static_cast<uint64_t>(f("dram_stride")), static_cast<uint64_t>(f("row_bytes"))});
    if (f("mode") == isa::enum_value("store_mode", "requant")) {
      // gather: element k of a row reads set pset + k
      const int64_t sets = f("gather") != 0 ? f("row_bytes") / std::max<int64_t>(1, f("elem_bytes")) : 1;
      for (int64_t k = 0; k < std::min<int64_t>(sets, isa::kParamSets); ++k) {
        fp.pset_read[static_cast<size_t>((f("pset") + k) % isa::kParamSets)] = true;
      }
    }
  } else if (name == "MATMUL") {
    const uint64_t pix = static_cast<uint64_t>(f("in_h") * f("in_w"));
    const uint64_t chunks = static_cast<uint64_t>(f("chunks"));
    fp.sp_read.push_back({static_cast<uint64_t>(f("in_addr")), 1, 0, pix * chunks});
    // Zero-skip arrays with D chunks a beat: chunk j (or tap group member j) from copy j, D*R
    // weight rows per pass (docs/skip.md).
    const uint64_t d = static_cast<uint64_t>(std::max(1, p.skip_depth));
    const uint64_t T = static_cast<uint64_t>(p.skip_taps(static_cast<int>(chunks), static_cast<int>(f("k_w"))));
    const uint64_t np = static_cast<uint64_t>(
        p.skip_passes(static_cast<int>(chunks), static_cast<int>(f("k_h")), static_cast<int>(f("k_w"))));
    for (uint64_t j = 1; d > 1 && (chunks > 1 || T > 1) && j < d; ++j) {
      fp.sp_read.push_back({static_cast<uint64_t>(f("in_addr")) ^
                                (j * static_cast<uint64_t>(p.sp_bank_rows)),
                            1, 0, pix * chunks});
    }
    fp.sp_read.push_back({static_cast<uint64_t>(f("w_addr")), 1, 0,
                          (T > 1 ? 1 : (chunks + d - 1) / d) * np * R * d});
    const Strided out{static_cast<uint64_t>(f("acc_addr")), 1, 0,
                      static_cast<uint64_t>(f("out_h") * f("out_w"))};
    fp.acc_write.push_back(out);
    if (f("accumulate") != 0) fp.acc_read.push_back(out);
  } else if (name == "VECTOR") {
    const uint64_t pix = static_cast<uint64_t>(f("in_h") * f("in_w"));
    fp.sp_read.push_back(
        {static_cast<uint64_t>(f("in_addr")), pix, static_cast<uint64_t>(f("pitch")), 1});
    if (f("mirror") != 0) {
      fp.sp_read.push_back({static_cast<uint64_t>(f("in_addr")) ^
                                static_cast<uint64_t>(p.sp_bank_rows),
                            pix, static_cast<uint64_t>(f("pitch")), 1});
    }
    if (f("vmode") == isa::enum_value("vector_mode", "dw")) {
      fp.sp_read.push_back(
          {static_cast<uint64_t>(f("w_addr")), 1, 0, static_cast<uint64_t>(f("k_h") * f("k_w"))});
    }
    const Strided out{static_cast<uint64_t>(f("acc_addr")), 1, 0,
                      static_cast<uint64_t>(f("out_h") * f("out_w"))};
    fp.acc_write.push_back(out);
    if (f("accumulate") != 0) fp.acc_read.push_back(out);
  } else if (name == "PARAMS") {
    fp.sp_read.push_back(
        {static_cast<uint64_t>(f("sp_addr")), 1, 0, static_cast<uint64_t>(p.param_rows())});
    fp.pset_write[static_cast<size_t>(f("pset") % isa::kParamSets)] = true;
  }
  return fp;
}

CommandStats& CommandStats::operator+=(const CommandStats& o) {
  array_rows += o.array_rows;
  macs += o.macs;
  useful_macs += o.useful_macs;
  vector_ops += o.vector_ops;
  skip_steps += o.skip_steps;
  gated_macs += o.gated_macs;
  dma_rd_bytes += o.dma_rd_bytes;
  dma_wr_bytes += o.dma_wr_bytes;
  dma_rd_beats += o.dma_rd_beats;
  dma_wr_beats += o.dma_wr_beats;
  core_instret += o.core_instret;
  core_pushed += o.core_pushed;
  return *this;
}

std::string RunResult::summary() const {
  std::string s;
  switch (status) {
    case Status::Ok:
      s = fmt::format("ok: {} commands retired", retired);
      break;
    case Status::Error:
      s = fmt::format("error {} ({}) in unit {} at command {}: {}", error_code, error, unit,
                      error_cmd, message);
      break;
    case Status::Deadlock:
      s = "deadlock: " + message;
      break;
  }
  if (!hazards.empty()) {
    s += fmt::format("; {} hazard(s), first: {}", hazards.size(), hazards.front());
  }
  return s;
}

// ---- Device ----

RefDevice::RefDevice(const DeviceParams& p, uint64_t dram_base, uint64_t dram_size)
    : p_(p), base_(dram_base), win_base_(dram_base), win_limit_(dram_base + dram_size) {
  if (p.rows < 1 || p.cols < 1 || p.sp_rows < 1 || p.acc_rows < 1 || p.bus_bytes < 1) {
    fail("RefDevice: device parameters '{}' are incomplete", p.name);
  }
  dram_.assign(dram_size, 0);
  sp_.resize(static_cast<size_t>(p.sp_rows) * static_cast<size_t>(p.sp_row_bytes));
  acc_.resize(static_cast<size_t>(p.acc_rows) * static_cast<size_t>(p.cols));
  // Memories power up holding garbage: a fixed pseudo-random pattern, so that a program relying
  // on zeros it never wrote fails.
  std::mt19937 g(0x7e55e7a);
  for (auto& b : sp_) b = static_cast<int8_t>(g());
  for (auto& a : acc_) a = static_cast<int32_t>(g());
  for (auto& ps : pset_) {
    ps.bias.assign(static_cast<size_t>(p.cols), 0);
    ps.mult.assign(static_cast<size_t>(p.cols), 0);
    ps.shift.assign(static_cast<size_t>(p.cols), 0);
  }
}

void RefDevice::set_window(uint64_t base, uint64_t limit) {
  if (base < base_ || limit > base_ + dram_.size() || base > limit) {
    fail("RefDevice: DMA window [{:#x}, {:#x}) is not within the DRAM image [{:#x}, {:#x})", base,
         limit, base_, base_ + dram_.size());
  }
  win_base_ = base;
  win_limit_ = limit;
}

void RefDevice::write(uint64_t addr, std::span<const uint8_t> bytes) {
  if (addr < base_ || addr + bytes.size() > base_ + dram_.size()) {
    fail("RefDevice: write of {} bytes at {:#x} is outside the DRAM image [{:#x}, {:#x})",
         bytes.size(), addr, base_, base_ + dram_.size());
  }
  std::copy(bytes.begin(), bytes.end(), dram_.begin() + static_cast<ptrdiff_t>(addr - base_));
}

std::vector<uint8_t> RefDevice::read(uint64_t addr, uint64_t n) const {
  if (addr < base_ || addr + n > base_ + dram_.size()) {
    fail("RefDevice: read of {} bytes at {:#x} is outside the DRAM image [{:#x}, {:#x})", n, addr,
         base_, base_ + dram_.size());
  }
  const auto b = dram_.begin() + static_cast<ptrdiff_t>(addr - base_);
  return {b, b + static_cast<ptrdiff_t>(n)};
}

std::span<int8_t> RefDevice::sp_row(int row) {
  if (row < 0 || row >= p_.sp_rows) fail("RefDevice: scratchpad row {} out of range", row);
  return {sp_.data() + static_cast<size_t>(row) * static_cast<size_t>(p_.sp_row_bytes),
          static_cast<size_t>(p_.sp_row_bytes)};
}

std::span<int32_t> RefDevice::acc_row(int row) {
  if (row < 0 || row >= p_.acc_rows) fail("RefDevice: accumulator row {} out of range", row);
  return {acc_.data() + static_cast<size_t>(row) * static_cast<size_t>(p_.cols),
          static_cast<size_t>(p_.cols)};
}

// ---- The escape core ----

namespace {

namespace mm = gen::memmap;

uint32_t csr_offset(const char* name) { return gen::isa::csr(name).offset; }

}  // namespace

void RefDevice::attach_core(const iss::ElfImage& img, const std::string& name, bool run) {
  if (!p_.has_core) fail("RefDevice: variant '{}' has no escape core to load {} into", p_.name, name);
  if (p_.sp_row_stride < 4) fail("RefDevice: device parameters '{}' lack the scratchpad window stride", p_.name);
  auto core = std::make_unique<iss::Iss>(p_.core_config());
  core->load(img, name);  // check_placement: every segment in IMEM / DMEM, entry = reset pc
  core->ecall_write = false;
  core->bus.read = [this](uint32_t addr, uint32_t& data) { return core_bus_read(addr, data); };
  core->bus.write = [this](uint32_t addr, uint32_t data, uint32_t strobe) {
    return core_bus_write(addr, data, strobe);
  };
  core_ = std::move(core);
  core_run_ = run;
  core_booted_ = false;
  core_boot_instret_ = 0;
  core_cmd_data_ = {};
  core_pushes_.clear();
}

// Word `addr` of the scratchpad window (byte b of row r at SPAD_BASE + r * stride + b; lanes at and
// above sp_row_bytes read 0 and ignore writes) or of the CSR window.
bool RefDevice::core_bus_read(uint32_t addr, uint32_t& data) {
  data = 0;
  const uint32_t stride = static_cast<uint32_t>(p_.sp_row_stride);
  if (addr - mm::kSpadBase < static_cast<uint32_t>(p_.sp_rows) * stride) {
    const uint32_t off = addr - mm::kSpadBase;
    const uint32_t row = off / stride, lane = off % stride;
    for (uint32_t b = 0; b < 4; ++b) {
      if (lane + b < static_cast<uint32_t>(p_.sp_row_bytes)) {
        data |= uint32_t{static_cast<uint8_t>(sp_[row * static_cast<uint32_t>(p_.sp_row_bytes) + lane + b])}
                << (8 * b);
      }
    }
    return true;
  }
  if (addr - mm::kCsrBase >= mm::kCsrSize) return false;
  const uint32_t off = addr - mm::kCsrBase;
  if (off >= csr_offset("CMD_DATA0") && off <= csr_offset("CMD_DATA7")) {
    data = core_cmd_data_[(off - csr_offset("CMD_DATA0")) / 4];
  } else if (off == csr_offset("CORE_STATUS")) {
    // bit 1 running, bit 2 ESCAPE pending, bit 3 core queue empty and units idle, bits 15:8 free
    // core-queue entries, bit 16 the variant has a core (the core is running: it reads this).
    data = (1u << 1) | (core_esc_active_ ? 1u << 2 : 0u) | (core_units_idle_ ? 1u << 3 : 0u) |
           (static_cast<uint32_t>(std::max(core_free_, 0)) << 8) | (1u << 16);
    ++core_status_reads_;
    if (!core_units_idle_) core_saw_busy_ = true;
  } else if (off == csr_offset("CORE_CTRL")) {
    data = core_run_ ? 1u : 0u;
  } else if (off == csr_offset("CORE_TIMEOUT")) {
    data = static_cast<uint32_t>(core_timeout_);
  } else if (off == csr_offset("ID")) {
    data = 0x31525354u;
  }
  return true;
}

bool RefDevice::core_bus_write(uint32_t addr, uint32_t data, uint32_t strobe) {
  const uint32_t stride = static_cast<uint32_t>(p_.sp_row_stride);
  if (addr - mm::kSpadBase < static_cast<uint32_t>(p_.sp_rows) * stride) {
    const uint32_t off = addr - mm::kSpadBase;
    const uint32_t row = off / stride, lane = off % stride;
    for (uint32_t b = 0; b < 4; ++b) {
      if ((strobe >> b & 1u) != 0 && lane + b < static_cast<uint32_t>(p_.sp_row_bytes)) {
        sp_[row * static_cast<uint32_t>(p_.sp_row_bytes) + lane + b] = static_cast<int8_t>(data >> (8 * b));
      }
    }
    return true;
  }
  if (addr - mm::kCsrBase >= mm::kCsrSize) return false;
  const uint32_t off = addr - mm::kCsrBase;
  if (off >= csr_offset("CMD_DATA0") && off <= csr_offset("CMD_DATA7")) {
    core_cmd_data_[(off - csr_offset("CMD_DATA0")) / 4] = data;
  } else if (off == csr_offset("CMD_PUSH")) {
    core_pushes_.push_back(core_cmd_data_);
  }
  // Other CSRs are the host's: the core's writes to them are ignored.
  return true;
}

// ---- Checks ----

struct RefDevice::Check {
  std::string error;  // enumerator of `error`; empty: passes
  int unit = -1;      // token unit, -1 fetch
  std::string reason;
  bool ok() const { return error.empty(); }
};

RefDevice::Check RefDevice::check(const Command& c) const {
  const isa::Command* s = find_spec(c);
  if (s == nullptr) {
    return {"illegal_opcode", -1, fmt::format("opcode {} is not a command", c[0] & 0xFFu)};
  }
  const Fields f{c, *s};
  const std::string_view name = s->name;
  const Tokens t = tokens_of(c);
  const bool any_token = t.pop_prev || t.pop_next || t.push_prev || t.push_next;
  if (name == "ESCAPE") {
    if (any_token) return {"token", -1, "ESCAPE has no neighbour unit to exchange tokens with"};
    if (!p_.has_core) {
      return {"no_core", -1, fmt::format("ESCAPE on variant '{}', which has no escape core", p_.name)};
    }
    if (!core_) {
      return {"no_core", -1, "ESCAPE, but no firmware is attached to the escape core (attach_core)"};
    }
    if (!core_run_) {
      return {"core_halted", -1, "ESCAPE while the escape core is stopped (CORE_CTRL.run clear)"};
    }
    if (core_->halted()) {
      return {"core_halted", -1,
              fmt::format("ESCAPE while the escape core is halted ({} at pc {:#x})",
                          gen::memmap::halt_name(core_->halt().cause), core_->halt().pc)};
    }
    return {};
  }
  if (name == "FENCE") {
    if (any_token) return {"token", -1, "FENCE has no neighbour unit to exchange tokens with"};
    return {};
  }
  const int u = token_unit(c);
  auto bad = [&](std::string why) { return Check{"bad_field", u, std::move(why)}; };
  const int64_t R = p_.rows, C = p_.cols, S = p_.sp_row_bytes;

  if (u == kLoad && (t.pop_prev || t.push_prev)) {
    return {"token", u, "LOAD has no previous unit (pop_prev/push_prev set)"};
  }
  if (u == kStore && (t.pop_next || t.push_next)) {
    return {"token", u, "STORE has no next unit (pop_next/push_next set)"};
  }

  auto window_ok = [&]() -> std::optional<Check> {
    for (const char* n : {"in_h", "in_w", "out_h", "out_w", "k_h", "k_w", "stride_h", "stride_w"}) {
      if (f(n) == 0) return bad(fmt::format("{} is 0", n));
    }
    return std::nullopt;
  };
  auto sp_end = [&](const char* what, uint64_t first, uint64_t count) -> std::optional<Check> {
    if (first + count > static_cast<uint64_t>(p_.sp_rows)) {
      return Check{"sp_range", u,
                   fmt::format("{} rows {}..{} pass the scratchpad end ({} rows)", what, first,
                               first + count - 1, p_.sp_rows)};
    }
    return std::nullopt;
  };
  // Mirrored rows (LOAD / VECTOR `mirror`) must lie in one bank; the copy is at row XOR bank rows.
  auto one_bank = [&](const char* what, uint64_t first, uint64_t count) -> std::optional<Check> {
    const uint64_t br = static_cast<uint64_t>(p_.sp_bank_rows);
    if (first / br != (first + count - 1) / br) {
      return Check{"sp_range", u,
                   fmt::format("{} rows {}..{} cross a scratchpad bank boundary ({} rows per bank)",
                               what, first, first + count - 1, br)};
    }
    return std::nullopt;
  };
  auto acc_end = [&](const char* what, uint64_t first, uint64_t count) -> std::optional<Check> {
    if (first + count > static_cast<uint64_t>(p_.acc_rows)) {
      return Check{"acc_range", u,
                   fmt::format("{} rows {}..{} pass the accumulator end ({} rows)", what, first,
                               first + count - 1, p_.acc_rows)};
    }
    return std::nullopt;
  };
  auto dma_window = [&]() -> std::optional<Check> {
    const uint64_t addr = static_cast<uint64_t>(f("dram_addr"));
    const uint64_t end =
        addr + static_cast<uint64_t>(f("rows") - 1) * static_cast<uint64_t>(f("dram_stride")) +
        static_cast<uint64_t>(f("row_bytes"));
    const uint64_t bus = static_cast<uint64_t>(p_.bus_bytes);
    const uint64_t lo = addr / bus * bus;
    const uint64_t hi = ceil_div(end, bus) * bus;
    if (lo < win_base_ || hi > win_limit_) {
      return Check{"dma_window", u,
                   fmt::format("DRAM bytes [{:#x}, {:#x}) (bus-aligned [{:#x}, {:#x})) leave the "
                               "DMA window [{:#x}, {:#x})",
                               addr, end, lo, hi, win_base_, win_limit_)};
    }
    return std::nullopt;
  };

  if (name == "LOAD" || name == "STORE") {
    if (f("rows") == 0 || f("row_bytes") == 0) {
      return {"dma_empty", u,
              fmt::format("rows {} x row_bytes {} moves no data", f("rows"), f("row_bytes"))};
    }
  }
  if (name == "LOAD") {
    const int64_t e = f("elem_bytes");
    if (e < 1 || e > S) return bad(fmt::format("elem_bytes {} outside 1..{}", e, S));
    if (f("mirror") != 0 && p_.sp_banks < 2) {
      return bad(fmt::format("mirror needs two scratchpad banks; this variant has {}", p_.sp_banks));
    }
    if (f("row_bytes") % e != 0) {
      return bad(fmt::format("row_bytes {} is not a multiple of elem_bytes {}", f("row_bytes"), e));
    }
    const uint64_t n = static_cast<uint64_t>(f("rows") * (f("row_bytes") / e));
    if (f("mirror") != 0) {
      if (auto x = one_bank("mirrored", static_cast<uint64_t>(f("sp_addr")), n)) return *x;
    }
    if (auto x = sp_end("written scratchpad", static_cast<uint64_t>(f("sp_addr")), n)) return *x;
    if (auto x = dma_window()) return *x;
    return {};
  }
  if (name == "STORE") {
    const int64_t mode = f("mode");
    const bool raw = mode == isa::enum_value("store_mode", "raw");
    if (mode != isa::enum_value("store_mode", "requant") && !raw &&
        mode != isa::enum_value("store_mode", "avg")) {
      return bad(fmt::format("mode {} is not a store_mode", mode));
    }
    const int64_t e = f("elem_bytes");
    const int64_t emax = raw ? 4 * C : C;
    if (e < 1 || e > emax) return bad(fmt::format("elem_bytes {} outside 1..{}", e, emax));
    if (f("row_bytes") % e != 0) {
      return bad(fmt::format("row_bytes {} is not a multiple of elem_bytes {}", f("row_bytes"), e));
    }
    if (!raw && f("act_min") > f("act_max")) {
      return bad(fmt::format("act_min {} > act_max {}", f("act_min"), f("act_max")));
    }
    if (auto x = acc_end("read accumulator", static_cast<uint64_t>(f("acc_addr")),
                         static_cast<uint64_t>(f("rows") * (f("row_bytes") / e))))
      return *x;
    if (auto x = dma_window()) return *x;
    return {};
  }
  if (name == "MATMUL") {
    if (auto x = window_ok()) return *x;
    if (f("chunks") == 0) return bad("chunks is 0");
    const uint64_t pix = static_cast<uint64_t>(f("in_h") * f("in_w"));
    const uint64_t ch = static_cast<uint64_t>(f("chunks"));
    const uint64_t d = static_cast<uint64_t>(std::max(1, p_.skip_depth));
    // tap groups: T taps a pass (one chunk, or two at depth 4)
    const uint64_t T = static_cast<uint64_t>(p_.skip_taps(static_cast<int>(ch), static_cast<int>(f("k_w"))));
    const uint64_t np = static_cast<uint64_t>(
        p_.skip_passes(static_cast<int>(ch), static_cast<int>(f("k_h")), static_cast<int>(f("k_w"))));
    const bool pair = d > 1 && (ch > 1 || T > 1);  // chunks / taps from the mirrored copies
    if (pair && static_cast<uint64_t>(p_.sp_banks) < d) {
      return bad(fmt::format("{} chunks on a depth-{} zero-skip array need a mirrored copy in {} "
                             "scratchpad banks; this variant has {}",
                             ch, d, d, p_.sp_banks));
    }
    if (auto x = sp_end("input", static_cast<uint64_t>(f("in_addr")), pix * ch)) return *x;
    if (pair) {
      if (auto x = one_bank("mirrored input", static_cast<uint64_t>(f("in_addr")), pix * ch))
        return *x;
    }
    if (auto x = sp_end("weight", static_cast<uint64_t>(f("w_addr")),
                        (T > 1 ? d : (ch + d - 1) / d * d) * np * R))
      return *x;
    if (auto x = acc_end("output", static_cast<uint64_t>(f("acc_addr")),
                         static_cast<uint64_t>(f("out_h") * f("out_w"))))
      return *x;
    return {};
  }
  if (name == "VECTOR") {
    if (auto x = window_ok()) return *x;
    if (f("pitch") == 0) return bad("pitch is 0");
    const int64_t vm = f("vmode");
    if (vm != isa::enum_value("vector_mode", "dw") && vm != isa::enum_value("vector_mode", "sum") &&
        vm != isa::enum_value("vector_mode", "max") &&
        vm != isa::enum_value("vector_mode", "scale")) {
      return bad(fmt::format("vmode {} is not a vector_mode", vm));
    }
    if (vm == isa::enum_value("vector_mode", "scale")) {
      if (f("shift") < -31 || f("shift") > 30) {
        return bad(fmt::format("scale shift {} outside -31..30", f("shift")));
      }
      if (f("mult") > std::numeric_limits<int32_t>::max()) {
        return bad(fmt::format("scale mult {:#x} is not a non-negative Q31 value", f("mult")));
      }
    }
    if (f("mirror") != 0) {
      if (vm != isa::enum_value("vector_mode", "dw") || f("k_w") > 3 || f("out_w") >= 4096) {
        return bad(fmt::format("mirror needs dw mode, k_w <= 3 and out_w < 4096 (vmode {}, k_w "
                               "{}, out_w {})",
                               vm, f("k_w"), f("out_w")));
      }
      if (p_.sp_banks < 2) {
        return bad(
            fmt::format("mirror needs two scratchpad banks; this variant has {}", p_.sp_banks));
      }
    }
    const uint64_t pix = static_cast<uint64_t>(f("in_h") * f("in_w"));
    const uint64_t in_rows = (pix - 1) * static_cast<uint64_t>(f("pitch")) + 1;
    if (f("mirror") != 0) {
      if (auto x = one_bank("mirrored input", static_cast<uint64_t>(f("in_addr")), in_rows))
        return *x;
    }
    if (auto x = sp_end("input", static_cast<uint64_t>(f("in_addr")), in_rows)) return *x;
    if (vm == isa::enum_value("vector_mode", "dw")) {
      if (auto x = sp_end("weight", static_cast<uint64_t>(f("w_addr")),
                          static_cast<uint64_t>(f("k_h") * f("k_w"))))
        return *x;
    }
    if (auto x = acc_end("output", static_cast<uint64_t>(f("acc_addr")),
                         static_cast<uint64_t>(f("out_h") * f("out_w"))))
      return *x;
    return {};
  }
  if (name == "PARAMS") {
    if (auto x = sp_end("parameter", static_cast<uint64_t>(f("sp_addr")),
                        static_cast<uint64_t>(p_.param_rows())))
      return *x;
    return {};
  }
  return {"illegal_opcode", -1, fmt::format("no model of command {}", name)};
}

// ---- Execution ----

namespace {

// A data-dependent failure during execution (e.g. parameters the requantizer cannot use).
struct Fault {
  std::string error;
  std::string reason;
};

}  // namespace

CommandStats RefDevice::execute(const Command& c) {
  const isa::Command& s = spec_of(c);
  const Fields f{c, s};
  const std::string_view name = s.name;
  const int R = p_.rows, C = p_.cols, S = p_.sp_row_bytes;
  const uint64_t bus = static_cast<uint64_t>(p_.bus_bytes);
  CommandStats st;
  auto dram_at = [&](uint64_t addr) -> uint8_t& { return dram_[addr - base_]; };
  auto sp_at = [&](uint64_t row) { return sp_.data() + row * static_cast<uint64_t>(S); };
  auto acc_at = [&](uint64_t row) { return acc_.data() + row * static_cast<uint64_t>(C); };
  auto beats = [&](uint64_t addr, uint64_t len) {
    return (ceil_div(addr + len, bus) * bus - addr / bus * bus) / bus;
  };

  if (name == "LOAD") {
    const uint64_t rows = static_cast<uint64_t>(f("rows")),
                   rb = static_cast<uint64_t>(f("row_bytes"));
    const uint64_t e = static_cast<uint64_t>(f("elem_bytes")), epr = rb / e;
    const uint64_t addr = static_cast<uint64_t>(f("dram_addr"));
    const uint64_t stride = static_cast<uint64_t>(f("dram_stride"));
    const uint64_t sp0 = static_cast<uint64_t>(f("sp_addr"));
    const bool mirror = f("mirror") != 0;
    const uint64_t bank_rows = static_cast<uint64_t>(p_.sp_bank_rows);
    for (uint64_t i = 0; i < rows; ++i) {
      const uint64_t ra = addr + i * stride;
      for (uint64_t k = 0; k < epr; ++k) {
        int8_t* row = sp_at(sp0 + i * epr + k);
        for (uint64_t b = 0; b < static_cast<uint64_t>(S); ++b) {
          row[b] = b < e ? static_cast<int8_t>(dram_at(ra + k * e + b)) : int8_t{0};
        }
        // mirrored: the partner bank, or all four banks on a depth-4 zero-skip variant
        for (uint64_t m = 1; mirror && m < static_cast<uint64_t>(p_.mirror_ways()); ++m) {
          std::copy_n(row, S, sp_at((sp0 + i * epr + k) ^ (m * bank_rows)));
        }
      }
      st.dma_rd_beats += beats(ra, rb);
    }
    st.dma_rd_bytes = rows * rb;
    return st;
  }

  if (name == "STORE") {
    const uint64_t rows = static_cast<uint64_t>(f("rows")),
                   rb = static_cast<uint64_t>(f("row_bytes"));
    const uint64_t e = static_cast<uint64_t>(f("elem_bytes")), epr = rb / e;
    const uint64_t addr = static_cast<uint64_t>(f("dram_addr"));
    const uint64_t stride = static_cast<uint64_t>(f("dram_stride"));
    const uint64_t acc0 = static_cast<uint64_t>(f("acc_addr"));
    const int64_t mode = f("mode");
    const int32_t zp = static_cast<int32_t>(f("out_zp"));
    const int32_t lo = static_cast<int32_t>(f("act_min")), hi = static_cast<int32_t>(f("act_max"));
    // gather: element k of row i is accumulator row acc0 + k * rows + i with set pset + k
    const bool gather = f("gather") != 0;
    const auto set_of = [&](uint64_t k) {
      return static_cast<size_t>((static_cast<uint64_t>(f("pset")) + (gather ? k : 0)) %
                                 isa::kParamSets);
    };
    std::vector<uint8_t> elem(static_cast<size_t>(4 * C));
    if (mode == isa::enum_value("store_mode", "requant")) {
      for (uint64_t k = 0; k < (gather ? std::min<uint64_t>(epr, isa::kParamSets) : 1); ++k) {
        const ParamSet& ps = pset_[set_of(k)];
        for (uint64_t l = 0; l < e; ++l) {
          ref::Requant rq{ps.mult[l], ps.shift[l], zp, lo, hi};
          if (rq.multiplier < 0 || rq.shift < -31 || rq.shift > 30) {
            throw Fault{"bad_field",
                        fmt::format("parameter set {} lane {}: multiplier {:#x} / shift "
                                    "{} is not a requantization (mult >= 0, shift "
                                    "-31..30)",
                                    set_of(k), l, static_cast<uint32_t>(rq.multiplier), rq.shift)};
          }
        }
      }
    }
    for (uint64_t i = 0; i < rows; ++i) {
      const uint64_t ra = addr + i * stride;
      for (uint64_t k = 0; k < epr; ++k) {
        const ParamSet& ps = pset_[set_of(k)];
        const int32_t* a = acc_at(gather ? acc0 + k * rows + i : acc0 + i * epr + k);
        if (mode == isa::enum_value("store_mode", "raw")) {
          for (int l = 0; l < C; ++l) {
            for (int b = 0; b < 4; ++b) {
              elem[static_cast<size_t>(4 * l + b)] =
                  static_cast<uint8_t>(static_cast<uint32_t>(a[l]) >> (8 * b));
            }
          }
        } else if (mode == isa::enum_value("store_mode", "requant")) {
          for (uint64_t l = 0; l < e; ++l) {
            const ref::Requant rq{ps.mult[l], ps.shift[l], zp, lo, hi};
            elem[l] = static_cast<uint8_t>(ref::requantize(ref::wrap_add(a[l], ps.bias[l]), rq));
          }
        } else {  // avg
          const uint64_t magic = static_cast<uint64_t>(f("div_magic"));
          const uint64_t half = static_cast<uint64_t>(f("div_half"));
          const int sh = static_cast<int>(f("div_shift"));
          for (uint64_t l = 0; l < e; ++l) {
            const int64_t x = a[l];
            const uint64_t ax = static_cast<uint64_t>(x < 0 ? -x : x);
            uint64_t q = ((ax + half) * magic) >> sh;  // < 2^64: ax <= 2^31, half, magic < 2^32
            q = std::min<uint64_t>(q, 1024);           // beyond the int8 range either way
            const int64_t sq = x < 0 ? -static_cast<int64_t>(q) : static_cast<int64_t>(q);
            elem[l] = static_cast<uint8_t>(ref::clamp_i8(static_cast<int32_t>(sq + zp), lo, hi));
          }
        }
        for (uint64_t b = 0; b < e; ++b) dram_at(ra + k * e + b) = elem[b];
      }
      st.dma_wr_beats += beats(ra, rb);
    }
    st.dma_wr_bytes = rows * rb;
    return st;
  }

  if (name == "MATMUL") {
    const int in_h = static_cast<int>(f("in_h")), in_w = static_cast<int>(f("in_w"));
    const int out_h = static_cast<int>(f("out_h")), out_w = static_cast<int>(f("out_w"));
    const int kh = static_cast<int>(f("k_h")), kw = static_cast<int>(f("k_w"));
    const int sh = static_cast<int>(f("stride_h")), sw = static_cast<int>(f("stride_w"));
    const int pt = static_cast<int>(f("pad_top")), pl = static_cast<int>(f("pad_left"));
    const int chunks = static_cast<int>(f("chunks"));
    const uint64_t in0 = static_cast<uint64_t>(f("in_addr")),
                   w0 = static_cast<uint64_t>(f("w_addr"));
    const uint64_t acc0 = static_cast<uint64_t>(f("acc_addr"));
    const bool accumulate = f("accumulate") != 0;
    const std::vector<int8_t> zp_row(static_cast<size_t>(S), static_cast<int8_t>(f("in_zp")));
    std::vector<uint64_t> nzw(static_cast<size_t>(R));
    std::vector<int32_t> sum(static_cast<size_t>(C));
    if (p_.skip_depth > 0) {
      // Zero-skip array (docs/skip.md): sum((a - in_zp) * w) over D chunks a beat; chunk D*g+j
      // read from row + j of copy j (row XOR j * bank rows), in_zp past the last chunk; the
      // pass's weight tile has D*R rows, row r*D + j for input lane r of chunk j.
      const int D = p_.skip_depth;
      const int zp = static_cast<int>(f("in_zp"));
      const uint64_t bank_rows = static_cast<uint64_t>(p_.sp_bank_rows);
      // Tap groups (one chunk, or two at D = 4, and k_w > 1): a pass covers T = D / chunks taps
      // in flattened order f = ky*k_w + kx, across kernel rows (taps f0 .. f0+T-1, f0 = pass*T);
      // lane group j is chunk j % chunks of tap f0 + j / chunks, read from copy j, its lanes
      // rotated by (j / chunks) * R / T; past the last tap the zero point.
      const int T = p_.skip_taps(chunks, kw);
      const bool tpair = T > 1;
      const int npass = p_.skip_passes(chunks, kh, kw);
      const int groups = tpair ? 1 : (chunks + D - 1) / D;
      const bool skip = f("skip") != 0;
      std::vector<int> nnz(static_cast<size_t>(R));
      for (int g = 0; g < groups; ++g) {
        for (int ps = 0; ps < npass; ++ps) {
          {
            const int f0 = tpair ? ps * T : ps;
            const bool first = g == 0 && ps == 0 && !accumulate;
            const uint64_t tile = w0 + static_cast<uint64_t>((g * npass + ps) * R * D);
            for (int oy = 0; oy < out_h; ++oy) {
              for (int ox = 0; ox < out_w; ++ox) {
                const int iy = oy * sh + f0 / kw - pt;
                const int ix = ox * sw + f0 % kw - pl;
                const bool pad = iy < 0 || iy >= in_h || ix < 0 || ix >= in_w;
                std::fill(sum.begin(), sum.end(), 0);
                std::fill(nnz.begin(), nnz.end(), 0);
                for (int j = 0; j < D; ++j) {
                  const int tj = tpair ? j / chunks : 0;  // tap offset within the group
                  const int ch = tpair ? j % chunks : g * D + j;
                  const int fj = f0 + tj;  // flattened tap of lane group j
                  const int jy = oy * sh + fj / kw - pt, jx = ox * sw + fj % kw - pl;
                  const bool padj = tpair ? (fj >= kh * kw || jy < 0 || jy >= in_h || jx < 0 || jx >= in_w)
                                          : pad || ch >= chunks;
                  // copy j: the pixel's row plus its chunk (chunk groups), or tap fj's pixel
                  uint64_t row = in0 + static_cast<uint64_t>((jy * in_w + jx) * chunks + ch);
                  row ^= static_cast<uint64_t>(j) * bank_rows;
                  const int8_t* x = padj ? zp_row.data() : sp_at(row);
                  const int rot = tj * R / T % R;
                  for (int r = 0; r < R; ++r) {
                    // tap groups: lane r of tap t is channel (r + t*R/T) mod R
                    const int8_t xr = x[(r + rot) % R];
                    if (int{xr} != zp) ++nnz[static_cast<size_t>(r)];
                    if (int{xr} == zp) continue;
                    const int8_t* wr = sp_at(tile + static_cast<uint64_t>(r * D + j));
                    for (int l = 0; l < C; ++l) {
                      if (wr[l] != 0) ++st.useful_macs;
                      sum[static_cast<size_t>(l)] =
                          ref::mac_i8_zp(sum[static_cast<size_t>(l)], xr, zp, wr[l]);
                    }
                  }
                }
                for (const int n : nnz) {
                  if (skip) {
                    st.skip_steps += static_cast<uint64_t>(D - std::max(1, n));
                    st.gated_macs += n == 0 ? static_cast<uint64_t>(C) : 0;
                  } else {
                    st.gated_macs += static_cast<uint64_t>(D - n) * static_cast<uint64_t>(C);
                  }
                }
                int32_t* a = acc_at(acc0 + static_cast<uint64_t>(oy * out_w + ox));
                for (int l = 0; l < C; ++l) {
                  a[l] = first ? sum[static_cast<size_t>(l)]
                               : ref::wrap_add(a[l], sum[static_cast<size_t>(l)]);
                }
                ++st.array_rows;
              }
            }
          }
        }
      }
      st.macs = st.array_rows * static_cast<uint64_t>(R) * static_cast<uint64_t>(C) *
                static_cast<uint64_t>(D);
      return st;
    }
    for (int ch = 0; ch < chunks; ++ch) {
      for (int ky = 0; ky < kh; ++ky) {
        for (int kx = 0; kx < kw; ++kx) {
          const bool first = ch == 0 && ky == 0 && kx == 0 && !accumulate;
          const uint64_t tile = w0 + static_cast<uint64_t>(((ch * kh + ky) * kw + kx) * R);
          for (int j = 0; j < R; ++j) {
            const int8_t* wr = sp_at(tile + static_cast<uint64_t>(j));
            nzw[static_cast<size_t>(j)] =
                static_cast<uint64_t>(std::count_if(wr, wr + C, [](int8_t v) { return v != 0; }));
          }
          for (int oy = 0; oy < out_h; ++oy) {
            const int iy = oy * sh + ky - pt;
            for (int ox = 0; ox < out_w; ++ox) {
              const int ix = ox * sw + kx - pl;
              const bool pad = iy < 0 || iy >= in_h || ix < 0 || ix >= in_w;
              const int8_t* x =
                  pad ? zp_row.data()
                      : sp_at(in0 + static_cast<uint64_t>((iy * in_w + ix) * chunks + ch));
              std::fill(sum.begin(), sum.end(), 0);
              for (int j = 0; j < R; ++j) {
                const int8_t xj = x[j];
                if (xj == 0) continue;
                st.useful_macs += nzw[static_cast<size_t>(j)];
                const int8_t* wr = sp_at(tile + static_cast<uint64_t>(j));
                for (int l = 0; l < C; ++l) {
                  sum[static_cast<size_t>(l)] = ref::mac_i8(sum[static_cast<size_t>(l)], xj, wr[l]);
                }
              }
              int32_t* a = acc_at(acc0 + static_cast<uint64_t>(oy * out_w + ox));
              for (int l = 0; l < C; ++l) {
                a[l] = first ? sum[static_cast<size_t>(l)]
                             : ref::wrap_add(a[l], sum[static_cast<size_t>(l)]);
              }
              ++st.array_rows;
            }
          }
        }
      }
    }
    st.macs = st.array_rows * static_cast<uint64_t>(R) * static_cast<uint64_t>(C);
    return st;
  }

  if (name == "VECTOR") {
    const int in_h = static_cast<int>(f("in_h")), in_w = static_cast<int>(f("in_w"));
    const int out_h = static_cast<int>(f("out_h")), out_w = static_cast<int>(f("out_w"));
    const int kh = static_cast<int>(f("k_h")), kw = static_cast<int>(f("k_w"));
    const int sh = static_cast<int>(f("stride_h")), sw = static_cast<int>(f("stride_w"));
    const int pt = static_cast<int>(f("pad_top")), pl = static_cast<int>(f("pad_left"));
    const uint64_t pitch = static_cast<uint64_t>(f("pitch"));
    const uint64_t in0 = static_cast<uint64_t>(f("in_addr")),
                   w0 = static_cast<uint64_t>(f("w_addr"));
    const uint64_t acc0 = static_cast<uint64_t>(f("acc_addr"));
    const bool accumulate = f("accumulate") != 0;
    const int64_t vm = f("vmode");
    const bool dw = vm == isa::enum_value("vector_mode", "dw");
    const bool mx = vm == isa::enum_value("vector_mode", "max");
    const bool scale = vm == isa::enum_value("vector_mode", "scale");
    const int32_t offset = static_cast<int32_t>(f("offset"));
    const int lshift = static_cast<int>(f("lshift"));
    const int shift = static_cast<int>(f("shift"));
    const int32_t mult = static_cast<int32_t>(f("mult"));
    const std::vector<int8_t> pad_row(static_cast<size_t>(S), static_cast<int8_t>(f("pad")));
    const bool mirror = f("mirror") != 0;
    const uint64_t bank_rows = static_cast<uint64_t>(p_.sp_bank_rows);
    for (int ky = 0; ky < kh; ++ky) {
      for (int kx = 0; kx < kw; ++kx) {
        const bool first = ky == 0 && kx == 0 && !accumulate;
        const int8_t* w = dw ? sp_at(w0 + static_cast<uint64_t>(ky * kw + kx)) : nullptr;
        for (int oy = 0; oy < out_h; ++oy) {
          const int iy = oy * sh + ky - pt;
          for (int ox = 0; ox < out_w; ++ox) {
            const int ix = ox * sw + kx - pl;
            const bool pad = iy < 0 || iy >= in_h || ix < 0 || ix >= in_w;
            // mirror: odd kernel rows come from the copy in the partner bank (as the RTL reads)
            const uint64_t row = in0 + static_cast<uint64_t>(iy * in_w + ix) * pitch;
            const int8_t* x = pad ? pad_row.data() : sp_at(mirror && ky % 2 == 1 ? row ^ bank_rows
                                                                                 : row);
            int32_t* a = acc_at(acc0 + static_cast<uint64_t>(oy * out_w + ox));
            for (int l = 0; l < C; ++l) {
              int32_t v = x[l];
              if (dw) {
                v = ref::mac_i8(0, x[l], w[l]);
              } else if (scale) {
                const int32_t shifted =
                    ref::wrap_i32((static_cast<int64_t>(x[l]) + offset) * (int64_t{1} << lshift));
                v = ref::multiply_by_quantized_multiplier(shifted, mult, shift);
              }
              if (first) {
                a[l] = v;
              } else {
                a[l] = mx ? std::max(a[l], v) : ref::wrap_add(a[l], v);
              }
            }
          }
        }
      }
    }
    st.vector_ops = static_cast<uint64_t>(kh * kw) * static_cast<uint64_t>(out_h * out_w) *
                    static_cast<uint64_t>(C);
    return st;
  }

  if (name == "PARAMS") {
    const uint64_t sp0 = static_cast<uint64_t>(f("sp_addr"));
    const uint64_t pw = static_cast<uint64_t>(p_.param_word_rows());
    ParamSet& ps = pset_[static_cast<size_t>(f("pset") % isa::kParamSets)];
    auto word = [&](uint64_t first_row, int l) {
      uint32_t v = 0;
      for (int b = 0; b < 4; ++b) {
        const uint64_t byte = static_cast<uint64_t>(4 * l + b);
        const uint8_t x = static_cast<uint8_t>(
            sp_at(first_row + byte / static_cast<uint64_t>(S))[byte % static_cast<uint64_t>(S)]);
        v |= uint32_t{x} << (8 * b);
      }
      return static_cast<int32_t>(v);
    };
    for (int l = 0; l < C; ++l) {
      ps.bias[static_cast<size_t>(l)] = word(sp0, l);
      ps.mult[static_cast<size_t>(l)] = word(sp0 + pw, l);
      ps.shift[static_cast<size_t>(l)] = sp_at(sp0 + 2 * pw)[l];
    }
    return st;
  }
  return st;
}

// ---- The scheduler and the happens-before check ----

namespace {

using Clock = std::array<uint32_t, 3>;

Clock join(const Clock& a, const Clock& b) {
  return {std::max(a[0], b[0]), std::max(a[1], b[1]), std::max(a[2], b[2])};
}

// Vector clocks over units, token edges and fences; with shadow state per location it reports
// conflicting accesses of different units that no chain of those orders.
class HappensBefore {
 public:
  // `describe(i)` names command i for the messages ("command 3 (LOAD").
  HappensBefore(bool shadow, const DeviceParams& p, uint64_t dram_base, uint64_t dram_size,
                std::function<std::string(size_t)> describe, std::vector<std::string>& out)
      : shadow_(shadow), describe_(std::move(describe)), out_(out), dram_base_(dram_base) {
    if (shadow_) {
      sp_.resize(static_cast<size_t>(p.sp_rows));
      acc_.resize(static_cast<size_t>(p.acc_rows));
      pset_.resize(isa::kParamSets);
      dram_.resize(dram_size);
    }
  }

  // Command `idx` starts on unit u after popping the given channels.
  void begin(int u, size_t idx, const std::vector<int>& pops) {
    cur_ = clock_[static_cast<size_t>(u)];
    for (int ch : pops) {
      auto& q = chan_[static_cast<size_t>(ch)];
      cur_ = join(cur_, q.front());
      q.pop_front();
    }
    ++cur_[static_cast<size_t>(u)];
    seq_cmd_[static_cast<size_t>(u)].push_back(idx);
    unit_ = u;
    idx_ = idx;
  }

  void access(const Footprint& fp) {
    if (!shadow_) return;
    visit(sp_, fp.sp_read, 0, false, "scratchpad row");
    visit(acc_, fp.acc_read, 0, false, "accumulator row");
    visit(dram_, fp.dram_read, dram_base_, false, "DRAM byte");
    for (int i = 0; i < isa::kParamSets; ++i) {
      if (fp.pset_read[static_cast<size_t>(i)])
        touch(pset_[static_cast<size_t>(i)], false, "parameter set", static_cast<uint64_t>(i));
    }
    visit(sp_, fp.sp_write, 0, true, "scratchpad row");
    visit(acc_, fp.acc_write, 0, true, "accumulator row");
    visit(dram_, fp.dram_write, dram_base_, true, "DRAM byte");
    for (int i = 0; i < isa::kParamSets; ++i) {
      if (fp.pset_write[static_cast<size_t>(i)])
        touch(pset_[static_cast<size_t>(i)], true, "parameter set", static_cast<uint64_t>(i));
    }
  }

  void end(const std::vector<int>& pushes) {
    clock_[static_cast<size_t>(unit_)] = cur_;
    for (int ch : pushes) chan_[static_cast<size_t>(ch)].push_back(cur_);
  }

  void fence() {
    const Clock j = join(join(clock_[0], clock_[1]), clock_[2]);
    for (auto& c : clock_) c = j;
    fenced_ = j;
  }

 private:
  struct Loc {
    int8_t wu = -1;
    uint32_t wseq = 0;
    std::array<uint32_t, 3> rseq{};
  };

  void visit(std::vector<Loc>& mem, const std::vector<Strided>& spans, uint64_t base, bool write,
             const char* what) {
    for (const Strided& s : spans) {
      for (uint64_t i = 0; i < s.count; ++i) {
        for (uint64_t k = 0; k < s.len; ++k) {
          const uint64_t a = s.first + i * s.stride + k;
          if (a < base || a - base >= mem.size()) continue;  // checked elsewhere
          touch(mem[a - base], write, what, a);
        }
      }
    }
  }

  void touch(Loc& l, bool write, const char* what, uint64_t addr) {
    const auto u = static_cast<size_t>(unit_);
    // A STORE's DRAM writes are complete only at the next fence (the store unit completes once
    // its data has left), so they are ordered before later accesses by fences, not by tokens.
    const bool store_dram = &l >= dram_.data() && &l < dram_.data() + dram_.size() && l.wu == 2;
    const uint32_t known = store_dram ? fenced_[2] : cur_[static_cast<size_t>(std::max<int8_t>(l.wu, 0))];
    if (l.wu >= 0 && static_cast<size_t>(l.wu) != u && l.wseq > known) {
      report(write ? "WAW" : "RAW", static_cast<size_t>(l.wu), l.wseq, what, addr);
    }
    if (write) {
      for (size_t v = 0; v < 3; ++v) {
        if (v != u && l.rseq[v] > cur_[v]) report("WAR", v, l.rseq[v], what, addr);
      }
      l.wu = static_cast<int8_t>(u);
      l.wseq = cur_[u];
      l.rseq = {};
    } else {
      l.rseq[u] = cur_[u];
    }
  }

  void report(const char* kind, size_t other_unit, uint32_t other_seq, const char* what,
              uint64_t addr) {
    const size_t other = seq_cmd_[other_unit][other_seq - 1];
    if (!seen_.insert({kind, other, idx_}).second) return;
    if (out_.size() >= 32) return;
    out_.push_back(fmt::format(
        "{} hazard on {} {:#x}: {}, {} unit) and {}, {} unit) are not ordered by a token or fence",
        kind, what, addr, describe_(other), unit_label(static_cast<int>(other_unit)), describe_(idx_),
        unit_label(unit_)));
  }

  bool shadow_;
  std::function<std::string(size_t)> describe_;
  std::vector<std::string>& out_;
  uint64_t dram_base_;
  std::vector<Loc> sp_, acc_, pset_, dram_;
  std::array<Clock, 3> clock_{};
  Clock fenced_{};  // what every command knows through fences
  std::array<std::deque<Clock>, kTokenChannels> chan_;
  std::array<std::vector<size_t>, 3> seq_cmd_;
  std::set<std::tuple<std::string, size_t, size_t>> seen_;
  Clock cur_{};
  int unit_ = 0;
  size_t idx_ = 0;
};

}  // namespace

RunResult RefDevice::run(const std::vector<Command>& cmds, uint64_t seed, const RunOptions& opt) {
  RunResult r;
  const size_t n = cmds.size();
  r.stats.resize(n);
  r.error = "none";
  r.unit = "fetch";

  // The stream, then the commands the escape core pushes (index >= n, owner = their ESCAPE).
  std::vector<Command> all(cmds);
  std::vector<size_t> owner(n);
  std::vector<int> unit(n);
  std::vector<size_t> barrier(n);  // dispatch-level commands before i
  std::array<std::deque<size_t>, 3> queue;
  std::vector<size_t> disp;
  for (size_t i = 0; i < n; ++i) {
    owner[i] = i;
    unit[i] = token_unit(cmds[i]);
    barrier[i] = disp.size();
    if (unit[i] < 0) {
      disp.push_back(i);
    } else {
      queue[static_cast<size_t>(unit[i])].push_back(i);
    }
  }
  size_t disp_done = 0;
  std::array<int64_t, kTokenChannels> tok{};
  std::vector<std::optional<Check>> checks(n);
  auto check_of = [&](size_t i) -> const Check& {
    if (!checks[i]) checks[i] = check(all[i]);
    return *checks[i];
  };
  auto describe = [&](size_t i) {
    if (i < n) return fmt::format("command {} ({}", i, cmd_name(all[i]));
    return fmt::format("command {} (ESCAPE; pushed by the core: {} #{}", owner[i], cmd_name(all[i]),
                       i - n);
  };
  HappensBefore hb(opt.detect_hazards, p_, base_, dram_.size(), describe, r.hazards);

  // Token channels command i pops from / pushes to (flags naming no neighbour fail the check).
  auto pops_of = [&](size_t i) {
    std::vector<int> v;
    const Tokens t = tokens_of(all[i]);
    const int u = unit[i];
    if (t.pop_prev) v.push_back(channel(prev_unit(u), u));
    if (t.pop_next) v.push_back(channel(next_unit(u), u));
    return v;
  };
  auto pushes_of = [&](size_t i) {
    std::vector<int> v;
    const Tokens t = tokens_of(all[i]);
    const int u = unit[i];
    if (t.push_prev) v.push_back(channel(u, prev_unit(u)));
    if (t.push_next) v.push_back(channel(u, next_unit(u)));
    return v;
  };
  // Errors of pushed commands are reported with the index of their ESCAPE.
  auto fail_with = [&](size_t i, const Check& ck) {
    r.status = RunResult::Status::Error;
    r.error = ck.error;
    r.error_code = isa::enum_value("error", ck.error);
    r.unit = unit_label(ck.unit);
    r.error_unit = isa::enum_value("error_unit", r.unit);
    r.error_cmd = static_cast<int64_t>(owner[i]);
    r.message = i < n ? fmt::format("command {} ({}): {}", i, cmd_name(all[i]), ck.reason)
                      : fmt::format("command {} (ESCAPE): the {} it pushed (#{}): {}", owner[i],
                                    cmd_name(all[i]), i - n, ck.reason);
  };

  // The ESCAPE being served.
  struct Escape {
    bool active = false;
    size_t idx = 0;
    uint64_t start = 0;           // core instret at the hand-over
    bool busy_wait = false;       // the core's last poll found the units busy
    std::deque<size_t> cq;        // the core queue: pushed commands behind a pushed FENCE
    size_t pushed = 0;
  } esc;
  core_esc_active_ = false;
  // Pushed unit commands, per unit. They go before the unit's stream commands, which all come
  // after the ESCAPE (it waited for the earlier ones) and wait for it to retire.
  std::array<std::deque<size_t>, 3> pq;
  auto unit_q = [&](int u) -> std::deque<size_t>& {
    auto& p = pq[static_cast<size_t>(u)];
    return p.empty() ? queue[static_cast<size_t>(u)] : p;
  };
  auto units_idle = [&]() {
    for (const auto& q : pq) {
      if (!q.empty()) return false;
    }
    return esc.cq.empty();
  };
  // The core queue dispatches in order; a FENCE waits until every earlier command finished.
  auto drain_core_queue = [&]() {
    while (!esc.cq.empty()) {
      const size_t i = esc.cq.front();
      if (unit[i] < 0) {  // FENCE
        for (const auto& q : pq) {
          if (!q.empty()) return;
        }
        hb.fence();
      } else {
        pq[static_cast<size_t>(unit[i])].push_back(i);
      }
      esc.cq.pop_front();
    }
  };
  // A command the core pushed. False when it ends the run with an error.
  auto core_push = [&](const Command& c) {
    const size_t i = all.size();
    all.push_back(c);
    owner.push_back(esc.idx);
    unit.push_back(token_unit(c));
    barrier.push_back(disp_done);
    checks.emplace_back();
    ++r.stats[esc.idx].core_pushed;
    ++r.total.core_pushed;
    const isa::Command* s = find_spec(c);
    if (s == nullptr) {
      fail_with(i, Check{"illegal_opcode", -1, fmt::format("opcode {} is not a command", c[0] & 0xFFu)});
      return false;
    }
    if (std::string_view(s->name) == "ESCAPE") {
      fail_with(i, Check{"core_push", -1, "the escape core pushed an ESCAPE (nested)"});
      return false;
    }
    const Tokens t = tokens_of(c);
    if (unit.back() < 0 && (t.pop_prev || t.pop_next || t.push_prev || t.push_next)) {
      fail_with(i, Check{"token", -1, "FENCE has no neighbour unit to exchange tokens with"});
      return false;
    }
    esc.cq.push_back(i);
    drain_core_queue();
    return true;
  };
  const std::string budget_hint = fmt::format(
      "{} instructions (RunOptions::core_step_budget; set_core_timeout gives escape_timeout)",
      opt.core_step_budget);
  // Boots the core into its service loop (its first ESC_STATUS poll) before the first hand-over.
  auto boot_core = [&](size_t i) {
    if (core_booted_) return true;
    core_pushes_.clear();
    const uint64_t i0 = core_->instret();
    while (core_->esc_idle_polls == 0 && !core_->halted()) {
      if (core_->instret() - i0 >= opt.core_step_budget) {
        r.status = RunResult::Status::Deadlock;
        r.message = fmt::format("command {} (ESCAPE): the escape core did not reach its service loop "
                                "(a read of ESC_STATUS) within {}; pc {:#x}",
                                i, budget_hint, core_->pc());
        return false;
      }
      core_->step();
      if (!core_pushes_.empty()) {
        fail_with(i, Check{"core_push", -1, "the escape core pushed a command outside an ESCAPE"});
        return false;
      }
    }
    core_boot_instret_ = core_->instret() - i0;
    core_booted_ = true;
    if (core_->halted()) {
      fail_with(i, Check{"core_halted", -1,
                         fmt::format("the escape core halted while booting ({} at pc {:#x}, code {})",
                                     mm::halt_name(core_->halt().cause), core_->halt().pc,
                                     core_->halt().code)});
      return false;
    }
    return true;
  };
  // Runs the core until it pushes, polls CORE_STATUS, ends the ESCAPE or halts (at most `chunk`
  // instructions). False when the run ends with an error.
  auto step_core = [&]() {
    constexpr int kChunk = 4096;
    core_units_idle_ = units_idle();
    core_free_ = 4 - static_cast<int>(esc.cq.size());
    core_status_reads_ = 0;
    core_saw_busy_ = false;
    core_pushes_.clear();
    for (int k = 0; k < kChunk && !core_->esc_done && !core_->halted(); ++k) {
      const uint64_t ran = core_->instret() - esc.start;
      if (core_timeout_ != 0 && ran >= core_timeout_) {
        fail_with(esc.idx, Check{"escape_timeout", -1,
                                 fmt::format("the escape core ran {} instructions without ending the "
                                             "ESCAPE (CORE_TIMEOUT {}); pc {:#x}",
                                             ran, core_timeout_, core_->pc())});
        return false;
      }
      if (ran >= opt.core_step_budget) {
        r.status = RunResult::Status::Deadlock;
        r.error_cmd = static_cast<int64_t>(esc.idx);
        r.message = fmt::format("command {} (ESCAPE): the escape core did not end the ESCAPE within {}; "
                                "pc {:#x}",
                                esc.idx, budget_hint, core_->pc());
        return false;
      }
      core_->step();
      if (!core_pushes_.empty() || core_status_reads_ > 0) break;
    }
    // A poll that finds the units idle is no happens-before edge here: what the firmware does with
    // the bit is not visible, so the commands a core pushes must be ordered among themselves by
    // tokens or FENCEs (the ESCAPE's end orders them against everything after), which keeps the
    // check independent of the seed.
    esc.busy_wait = core_saw_busy_;
    for (const Command& c : core_pushes_) {
      if (!core_push(c)) return false;
    }
    core_pushes_.clear();
    return true;
  };
  // The ESCAPE retires once the core ended it and every pushed command finished.
  auto finish_escape = [&]() {
    const iss::Halt h = core_->halt();
    const bool exited = h.cause == mm::halt_value("exit");
    r.stats[esc.idx].core_instret = core_->instret() - esc.start;
    r.total.core_instret += r.stats[esc.idx].core_instret;
    esc.active = false;
    core_esc_active_ = false;
    if (core_->halted() && !exited) {
      fail_with(esc.idx, Check{"core_halted", -1,
                               fmt::format("the escape core halted during the ESCAPE ({} at pc {:#x})",
                                           mm::halt_name(h.cause), h.pc)});
      return false;
    }
    const uint32_t status = exited && !core_->esc_done ? h.code : core_->esc_done.value_or(0);
    if (status != 0) {
      fail_with(esc.idx, Check{"escape_status", -1,
                               fmt::format("the escape core ended the ESCAPE (func {}) with status {}",
                                           field(all[esc.idx], "func"), status)});
      return false;
    }
    hb.fence();
    ++disp_done;
    ++r.retired;
    r.order.push_back(esc.idx);
    return true;
  };

  std::mt19937_64 rng(seed);
  struct Candidate {
    int agent;  // 0..2 unit, 3 dispatch, 4 escape core
    size_t cmd;
    bool fails;
  };
  std::vector<Candidate> cands;
  while (true) {
    drain_core_queue();
    if (esc.active && (core_->esc_done || core_->halted()) && units_idle()) {
      if (!finish_escape()) break;
    }
    cands.clear();
    for (int u = 0; u < 3; ++u) {
      const auto& q = unit_q(u);
      if (q.empty()) continue;
      const size_t i = q.front();
      if (barrier[i] > disp_done) continue;
      const Check& ck = check_of(i);
      if (!ck.ok()) {
        cands.push_back({u, i, true});
        continue;
      }
      bool ready = true;
      std::array<int64_t, kTokenChannels> need{};
      for (int ch : pops_of(i)) ++need[static_cast<size_t>(ch)];
      for (int ch = 0; ch < kTokenChannels; ++ch) {
        if (tok[static_cast<size_t>(ch)] < need[static_cast<size_t>(ch)]) ready = false;
      }
      if (ready) cands.push_back({u, i, false});
    }
    if (esc.active) {
      // The core runs until it ends the ESCAPE; polling busy units it only helps once a unit can move.
      if (!core_->esc_done && !core_->halted() && !(esc.busy_wait && cands.empty() && !units_idle())) {
        cands.push_back({4, esc.idx, false});
      }
    } else if (disp_done < disp.size()) {
      const size_t i = disp[disp_done];
      const Check& ck = check_of(i);
      bool ready = true;
      if (ck.ok()) {  // FENCE / ESCAPE: every earlier unit command finished
        for (const auto& q : queue) {
          if (!q.empty() && q.front() < i) ready = false;
        }
      }
      if (ready) cands.push_back({3, i, !ck.ok()});
    }
    if (cands.empty()) {
      bool left = disp_done < disp.size();
      for (const auto& q : queue) left = left || !q.empty();
      for (const auto& q : pq) left = left || !q.empty();
      if (left) {
        r.status = RunResult::Status::Deadlock;
        std::vector<std::string> stuck;
        for (int u = 0; u < 3; ++u) {
          const auto& q = unit_q(u);
          if (q.empty()) continue;
          const size_t i = q.front();
          if (barrier[i] > disp_done) {
            stuck.push_back(fmt::format("{} unit: {}) waits behind command {} ({})", unit_label(u),
                                        describe(i), disp[disp_done], cmd_name(all[disp[disp_done]])));
            continue;
          }
          std::vector<std::string> waits;
          for (int ch : pops_of(i)) {
            if (tok[static_cast<size_t>(ch)] == 0) waits.push_back(channel_name(ch));
          }
          stuck.push_back(fmt::format("{} unit: {}) waits for a token on {}", unit_label(u), describe(i),
                                      fmt::join(waits, " and ")));
        }
        if (esc.active && esc.busy_wait) {
          stuck.push_back(fmt::format("the escape core (command {}, ESCAPE) waits for the units to go "
                                      "idle (CORE_STATUS bit 3)",
                                      esc.idx));
        }
        if (disp_done < disp.size() && stuck.empty()) {
          stuck.push_back(fmt::format("command {} ({}) cannot retire", disp[disp_done],
                                      cmd_name(all[disp[disp_done]])));
        }
        r.message = fmt::format("no unit can proceed, {} of {} commands retired; {}", r.retired, n,
                                fmt::join(stuck, "; "));
      }
      break;
    }
    const Candidate pick = cands[std::uniform_int_distribution<size_t>(0, cands.size() - 1)(rng)];
    const size_t i = pick.cmd;
    if (pick.fails) {
      fail_with(i, check_of(i));
      break;
    }
    if (pick.agent == 4) {
      if (!step_core()) break;
      continue;
    }
    if (pick.agent == 3) {
      hb.fence();
      if (std::string_view(spec_of(all[i]).name) == "ESCAPE") {  // hand-over to the core
        if (!boot_core(i)) break;
        core_->esc_func = static_cast<uint32_t>(field(all[i], "func"));
        for (int k = 0; k < mm::kEscArgs; ++k) core_->esc_args[k] = all[i][static_cast<size_t>(k + 1)];
        core_->esc_pending = true;
        core_->esc_done.reset();
        esc = Escape{};
        esc.active = true;
        esc.idx = i;
        esc.start = core_->instret();
        core_esc_active_ = true;
        continue;
      }
      if (field(all[i], "irq") != 0) ++r.fences_irq;
      ++disp_done;
      ++r.retired;
      r.order.push_back(i);
      continue;
    }
    const std::vector<int> pops = pops_of(i);
    for (int ch : pops) --tok[static_cast<size_t>(ch)];
    hb.begin(pick.agent, i, pops);
    hb.access(footprint(all[i], p_));
    CommandStats st;
    try {
      st = execute(all[i]);
    } catch (const Fault& fault) {
      fail_with(i, Check{fault.error, pick.agent, fault.reason});
      break;
    }
    r.stats[owner[i]] += st;
    r.total += st;
    const std::vector<int> pushes = pushes_of(i);
    for (int ch : pushes) {
      auto& t = tok[static_cast<size_t>(ch)];
      ++t;
      r.tokens_max[static_cast<size_t>(ch)] = std::max(r.tokens_max[static_cast<size_t>(ch)], t);
    }
    hb.end(pushes);
    unit_q(pick.agent).pop_front();
    if (i < n) {
      ++r.retired;
      r.order.push_back(i);
    }
  }
  r.tokens_left = tok;
  core_esc_active_ = false;
  if (esc.active && core_) core_->esc_pending = false;  // the device halted with the ESCAPE open
  return r;
}

}  // namespace tsr::dev

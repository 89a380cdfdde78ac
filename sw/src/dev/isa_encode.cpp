#include "tessera/dev/isa_encode.h"

#include <fmt/format.h>

#include "tessera/error.h"

namespace tsr::dev {

namespace isa = gen::isa;

int64_t field_min(const isa::Field& f) { return f.is_signed ? -(int64_t{1} << (f.width - 1)) : 0; }

int64_t field_max(const isa::Field& f) {
  return f.is_signed ? (int64_t{1} << (f.width - 1)) - 1 : (int64_t{1} << f.width) - 1;
}

const isa::Command* find_spec(const Command& c) {
  const int op = static_cast<int>(c[0] & 0xFFu);
  for (const auto& s : isa::commands())
    if (s.opcode == op) return &s;
  return nullptr;
}

const isa::Command& spec_of(const Command& c) {
  const isa::Command* s = find_spec(c);
  if (s == nullptr) fail("command word 0 = {:#010x}: illegal opcode {}", c[0], c[0] & 0xFFu);
  return *s;
}

void put_field(Command& c, const char* cmd_name, const isa::Field& f, int64_t value) {
  if (value < field_min(f) || value > field_max(f)) {
    fail("{}: field '{}' = {} does not fit its {}-bit {} field (range {} .. {})", cmd_name, f.name,
         value, f.width, f.is_signed ? "signed" : "unsigned", field_min(f), field_max(f));
  }
  const uint32_t mask = f.width >= 32 ? 0xFFFFFFFFu : ((uint32_t{1} << f.width) - 1u);
  const uint32_t bits = static_cast<uint32_t>(static_cast<uint64_t>(value)) & mask;
  uint32_t& w = c[static_cast<size_t>(f.word)];
  w = (w & ~(mask << f.lsb)) | (bits << f.lsb);
}

int64_t get_field(const Command& c, const isa::Field& f) {
  const uint32_t mask = f.width >= 32 ? 0xFFFFFFFFu : ((uint32_t{1} << f.width) - 1u);
  const uint32_t bits = (c[static_cast<size_t>(f.word)] >> f.lsb) & mask;
  int64_t v = bits;
  if (f.is_signed && (bits >> (f.width - 1)) != 0) v -= int64_t{1} << f.width;
  return v;
}

int64_t field(const Command& c, std::string_view name) {
  return get_field(c, isa::field(spec_of(c), std::string(name)));
}

std::string disassemble(const Command& c) {
  const isa::Command* s = find_spec(c);
  if (s == nullptr) return fmt::format("ILLEGAL opcode={}", c[0] & 0xFFu);
  std::string out = s->name;
  auto show = [&](const isa::Field& f) {
    if (std::string_view(f.name) == "opcode") return;
    const int64_t v = get_field(c, f);
    if (v == 0) return;
    const bool hex = std::string_view(f.name).find("dram") != std::string_view::npos ||
                     std::string_view(f.name) == "div_magic" || std::string_view(f.name) == "mult";
    out += hex ? fmt::format(" {}={:#x}", f.name, v) : fmt::format(" {}={}", f.name, v);
  };
  for (const auto& f : isa::common_fields()) show(f);
  for (const auto& f : s->fields) show(f);
  return out;
}

std::vector<uint8_t> to_bytes(std::span<const Command> cmds) {
  std::vector<uint8_t> b;
  b.reserve(cmds.size() * isa::kCmdBytes);
  for (const Command& c : cmds) {
    for (uint32_t w : c) {
      for (int i = 0; i < 4; ++i) b.push_back(static_cast<uint8_t>(w >> (8 * i)));
    }
  }
  return b;
}

CommandBuilder::CommandBuilder(std::string_view command_name)
    : spec_(&isa::command(std::string(command_name))) {
  put_field(cmd_, spec_->name, isa::field(*spec_, "opcode"), spec_->opcode);
}

CommandBuilder& CommandBuilder::set(std::string_view field_name, int64_t value) {
  const isa::Field* f = nullptr;
  for (const auto& x : isa::common_fields())
    if (field_name == x.name) f = &x;
  for (const auto& x : spec_->fields)
    if (field_name == x.name) f = &x;
  if (f == nullptr) fail("{}: no field '{}'", spec_->name, field_name);
  put_field(cmd_, spec_->name, *f, value);
  return *this;
}

// ---- Typed helpers ----

const char* name(StoreMode m) {
  switch (m) {
    case StoreMode::Requant:
      return "requant";
    case StoreMode::Raw:
      return "raw";
    case StoreMode::Avg:
      return "avg";
  }
  return "?";
}

const char* name(VectorMode m) {
  switch (m) {
    case VectorMode::Dw:
      return "dw";
    case VectorMode::Sum:
      return "sum";
    case VectorMode::Max:
      return "max";
    case VectorMode::Scale:
      return "scale";
  }
  return "?";
}

int value(StoreMode m) { return isa::enum_value("store_mode", name(m)); }
int value(VectorMode m) { return isa::enum_value("vector_mode", name(m)); }

namespace {

void set_tokens(CommandBuilder& b, const Tokens& t) {
  b.set("pop_prev", t.pop_prev ? 1 : 0)
      .set("pop_next", t.pop_next ? 1 : 0)
      .set("push_prev", t.push_prev ? 1 : 0)
      .set("push_next", t.push_next ? 1 : 0);
}

void set_window(CommandBuilder& b, const WindowFields& w) {
  b.set("in_h", w.in_h)
      .set("in_w", w.in_w)
      .set("out_h", w.out_h)
      .set("out_w", w.out_w)
      .set("k_h", w.k_h)
      .set("k_w", w.k_w)
      .set("stride_h", w.stride_h)
      .set("stride_w", w.stride_w)
      .set("pad_top", w.pad_top)
      .set("pad_left", w.pad_left);
}

int64_t u(uint64_t v) { return v > uint64_t{INT64_MAX} ? INT64_MAX : static_cast<int64_t>(v); }

}  // namespace

Command load(const LoadFields& f) {
  CommandBuilder b("LOAD");
  b.set("dram_addr", u(f.dram_addr))
      .set("dram_stride", u(f.dram_stride))
      .set("rows", f.rows)
      .set("row_bytes", f.row_bytes)
      .set("sp_addr", f.sp_addr)
      .set("elem_bytes", f.elem_bytes)
      .set("mirror", f.mirror ? 1 : 0);
  set_tokens(b, f.tokens);
  return b;
}

Command store(const StoreFields& f) {
  CommandBuilder b("STORE");
  b.set("mode", value(f.mode))
      .set("pset", f.pset)
      .set("gather", f.gather ? 1 : 0)
      .set("dram_addr", u(f.dram_addr))
      .set("dram_stride", u(f.dram_stride))
      .set("rows", f.rows)
      .set("row_bytes", f.row_bytes)
      .set("acc_addr", f.acc_addr)
      .set("elem_bytes", f.elem_bytes)
      .set("out_zp", f.out_zp)
      .set("act_min", f.act_min)
      .set("act_max", f.act_max)
      .set("div_magic", u(f.div_magic))
      .set("div_half", f.div_half)
      .set("div_shift", f.div_shift);
  set_tokens(b, f.tokens);
  return b;
}

Command matmul(const MatmulFields& f) {
  CommandBuilder b("MATMUL");
  b.set("accumulate", f.accumulate ? 1 : 0)
      .set("skip", f.skip ? 1 : 0)
      .set("in_addr", f.in_addr)
      .set("w_addr", f.w_addr)
      .set("acc_addr", f.acc_addr)
      .set("in_zp", f.in_zp)
      .set("chunks", f.chunks);
  set_window(b, f.win);
  set_tokens(b, f.tokens);
  return b;
}

Command vector(const VectorFields& f) {
  CommandBuilder b("VECTOR");
  b.set("vmode", value(f.mode))
      .set("accumulate", f.accumulate ? 1 : 0)
      .set("in_addr", f.in_addr)
      .set("w_addr", f.w_addr)
      .set("acc_addr", f.acc_addr)
      .set("pad", f.pad)
      .set("pitch", f.pitch)
      .set("mirror", f.mirror ? 1 : 0)
      .set("offset", f.offset)
      .set("lshift", f.lshift)
      .set("shift", f.shift)
      .set("mult", u(f.mult));
  set_window(b, f.win);
  set_tokens(b, f.tokens);
  return b;
}

Command params(const ParamsFields& f) {
  CommandBuilder b("PARAMS");
  b.set("pset", f.pset).set("sp_addr", f.sp_addr);
  set_tokens(b, f.tokens);
  return b;
}

Command fence(bool irq) { return CommandBuilder("FENCE").set("irq", irq ? 1 : 0); }

Command escape() { return CommandBuilder("ESCAPE"); }

Command escape(uint32_t func, std::span<const uint32_t> args) {
  if (args.size() > 7) fail("ESCAPE: {} argument words (at most 7: arg0..arg6)", args.size());
  CommandBuilder b("ESCAPE");
  b.set("func", func);
  static const char* const names[7] = {"arg0", "arg1", "arg2", "arg3", "arg4", "arg5", "arg6"};
  for (size_t i = 0; i < args.size(); ++i) b.set(names[i], args[i]);
  return b;
}

Tokens tokens_of(const Command& c) {
  const auto& cf = isa::common_fields();
  auto bit = [&](const char* n) {
    for (const auto& f : cf)
      if (std::string_view(n) == f.name) return get_field(c, f) != 0;
    fail("internal: no common field '{}'", n);
  };
  return {bit("pop_prev"), bit("pop_next"), bit("push_prev"), bit("push_next")};
}

Command with_tokens(const Command& c, const Tokens& t) {
  Command r = c;
  for (const auto& f : isa::common_fields()) {
    const std::string_view n = f.name;
    int64_t v = -1;
    if (n == "pop_prev") v = t.pop_prev;
    if (n == "pop_next") v = t.pop_next;
    if (n == "push_prev") v = t.push_prev;
    if (n == "push_next") v = t.push_next;
    if (v >= 0) put_field(r, "tokens", f, v);
  }
  return r;
}

}  // namespace tsr::dev

// Host-side encoder and decoder of accelerator commands. Every bit position comes from the command
// table in tessera/gen/isa.h (the one source of truth); nothing here re-declares a field.
//
// A Command is the 8 little-endian 32-bit words the accelerator fetches. Fields are set by name
// through CommandBuilder (range-checked against the field's width and signedness: a value that
// does not fit throws tsr::Error naming the command and the field), or through the typed helpers
// load() ... escape(), which are thin shells over the builder.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tessera/gen/isa.h"

namespace tsr::dev {

using Command = std::array<uint32_t, gen::isa::kCmdWords>;

// ---- Field access through the table ----

// Smallest / largest value a field holds (two's complement range when signed).
int64_t field_min(const gen::isa::Field& f);
int64_t field_max(const gen::isa::Field& f);

// The command spec of an encoded command (by its opcode), or nullptr for an illegal opcode.
const gen::isa::Command* find_spec(const Command& c);
// As find_spec, but throws tsr::Error for an illegal opcode.
const gen::isa::Command& spec_of(const Command& c);

// Writes `value` into field f of c; throws (naming `cmd_name` and the field) when it does not fit.
void put_field(Command& c, const char* cmd_name, const gen::isa::Field& f, int64_t value);
// Reads field f of c (sign-extended when the field is signed).
int64_t get_field(const Command& c, const gen::isa::Field& f);

// Decoder by name: the field `name` of c under c's own opcode (common header fields included).
// Throws for an illegal opcode or a field the command does not have.
int64_t field(const Command& c, std::string_view name);

// "LOAD dram_addr=0x100 dram_stride=16 rows=1 ..." (every non-zero field; "ILLEGAL opcode=N").
std::string disassemble(const Command& c);

// The command list as the bytes the accelerator fetches (32 per command, little-endian words).
std::vector<uint8_t> to_bytes(std::span<const Command> cmds);

// ---- Builder ----

class CommandBuilder {
 public:
  // Starts a command of the named type (upper case, e.g. "LOAD") with every field 0 but opcode.
  explicit CommandBuilder(std::string_view command_name);
  // Sets a field by name (range-checked; throws naming the command and the field).
  CommandBuilder& set(std::string_view field_name, int64_t value);
  const Command& words() const { return cmd_; }
  operator Command() const { return cmd_; }  // NOLINT: a builder is usable where a Command is

 private:
  const gen::isa::Command* spec_;
  Command cmd_{};
};

// ---- Typed helpers ----

// Dependency-token flags (units: load <-> execute <-> store; "prev" of execute is load).
struct Tokens {
  bool pop_prev = false;
  bool pop_next = false;
  bool push_prev = false;
  bool push_next = false;
};

// Names of the enumerators of the isa enum sets, mapped to values through the table.
enum class StoreMode { Requant, Raw, Avg };
enum class VectorMode { Dw, Sum, Max, Scale };
const char* name(StoreMode m);   // "requant", ...
const char* name(VectorMode m);  // "dw", ...
int value(StoreMode m);          // gen::isa::enum_value("store_mode", name(m))
int value(VectorMode m);

struct LoadFields {
  uint64_t dram_addr = 0;
  uint64_t dram_stride = 0;
  int64_t rows = 0;
  int64_t row_bytes = 0;
  int64_t sp_addr = 0;
  int64_t elem_bytes = 0;
  bool mirror = false;  // also write the partner bank (row XOR sp_bank_rows)
  Tokens tokens{};
};
struct StoreFields {
  StoreMode mode = StoreMode::Requant;
  int pset = 0;
  bool gather = false;  // element k of row i from acc row acc_addr + k * rows + i, pset + k
  uint64_t dram_addr = 0;
  uint64_t dram_stride = 0;
  int64_t rows = 0;
  int64_t row_bytes = 0;
  int64_t acc_addr = 0;
  int64_t elem_bytes = 0;
  int64_t out_zp = 0;
  int64_t act_min = -128;
  int64_t act_max = 127;
  uint64_t div_magic = 0;
  int64_t div_half = 0;
  int64_t div_shift = 0;
  Tokens tokens{};
};
// The implicit-im2col window shared by MATMUL and VECTOR.
struct WindowFields {
  int64_t in_h = 1, in_w = 1, out_h = 1, out_w = 1;
  int64_t k_h = 1, k_w = 1, stride_h = 1, stride_w = 1, pad_top = 0, pad_left = 0;
};
struct MatmulFields {
  bool accumulate = false;
  bool skip = false;  // zero-skip variants: skip activations equal to in_zp
  int64_t in_addr = 0;
  int64_t w_addr = 0;
  int64_t acc_addr = 0;
  int64_t in_zp = 0;
  int64_t chunks = 1;
  WindowFields win{};
  Tokens tokens{};
};
struct VectorFields {
  VectorMode mode = VectorMode::Sum;
  bool accumulate = false;
  int64_t in_addr = 0;
  int64_t w_addr = 0;
  int64_t acc_addr = 0;
  int64_t pad = 0;
  int64_t pitch = 1;
  bool mirror = false;  // dw: input also in the partner bank; two kernel rows per pass
  WindowFields win{};
  int64_t offset = 0;  // scale mode
  int64_t lshift = 0;
  int64_t shift = 0;
  uint64_t mult = 0;
  Tokens tokens{};
};
struct ParamsFields {
  int pset = 0;
  int64_t sp_addr = 0;
  Tokens tokens{};
};

Command load(const LoadFields& f);
Command store(const StoreFields& f);
Command matmul(const MatmulFields& f);
Command vector(const VectorFields& f);
Command params(const ParamsFields& f);
Command fence(bool irq = false);
Command escape();
// ESCAPE of firmware function `func` with argument words arg0.. (at most 7).
Command escape(uint32_t func, std::span<const uint32_t> args = {});

// Token flags of an encoded command, and a copy with them replaced.
Tokens tokens_of(const Command& c);
Command with_tokens(const Command& c, const Tokens& t);

}  // namespace tsr::dev

// The command set, CSR map and counters of the tessera accelerator (see isa.h).
#include "tessera/gen/isa.h"

#include "tessera/error.h"

namespace tsr::gen::isa {

const char* unit_name(Unit u) {
  switch (u) {
    case Unit::Load: return "load";
    case Unit::Execute: return "execute";
    case Unit::Store: return "store";
    case Unit::Dispatch: return "dispatch";
  }
  return "?";
}

const char* access_name(Access a) {
  switch (a) {
    case Access::RO: return "ro";
    case Access::RW: return "rw";
    case Access::WO: return "wo";
    case Access::W1C: return "w1c";
  }
  return "?";
}

const std::vector<Field>& common_fields() {
  static const std::vector<Field> f = {
      {"opcode", 0, 0, 8, false, "Command opcode (table below); 0 is illegal."},
      {"pop_prev", 0, 8, 1, false,
       "Wait for and take one token from the previous unit (load <- execute <- store) before "
       "starting."},
      {"pop_next", 0, 9, 1, false, "Wait for and take one token from the next unit."},
      {"push_prev", 0, 10, 1, false, "Give one token to the previous unit when done."},
      {"push_next", 0, 11, 1, false, "Give one token to the next unit when done."},
  };
  return f;
}

namespace {

// Fields shared by MATMUL and VECTOR: the implicit-im2col window over a pixel-major input.
std::vector<Field> window_fields() {
  return {
      {"in_h", 3, 0, 16, false, "Input height in pixels."},
      {"in_w", 3, 16, 16, false, "Input width in pixels."},
      {"out_h", 4, 0, 16, false, "Output height in pixels."},
      {"out_w", 4, 16, 16, false, "Output width in pixels."},
      {"k_h", 5, 0, 8, false, "Kernel height."},
      {"k_w", 5, 8, 8, false, "Kernel width."},
      {"stride_h", 5, 16, 4, false, "Vertical stride (1..15)."},
      {"stride_w", 5, 20, 4, false, "Horizontal stride (1..15)."},
      {"pad_top", 5, 24, 4, false, "Rows of padding above the input."},
      {"pad_left", 5, 28, 4, false, "Columns of padding left of the input."},
  };
}

std::vector<Field> concat(std::vector<Field> a, const std::vector<Field>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

}  // namespace

const std::vector<Command>& commands() {
  static const std::vector<Command> c = {
      {"LOAD", 1, Unit::Load,
       "DMA from DRAM into the scratchpad. `rows` DRAM rows of `row_bytes` bytes, row i at "
       "`dram_addr + i * dram_stride` (any byte alignment), are cut into elements of "
       "`elem_bytes` bytes; element j goes to scratchpad row `sp_addr + j`, zero-filled above "
       "`elem_bytes`. Errors: `row_bytes` not a multiple of `elem_bytes`, `elem_bytes` above the "
       "scratchpad row, rows past the scratchpad end, bytes outside the DMA window.",
       {
           {"dram_addr", 1, 0, 32, false, "Byte address of the first DRAM row."},
           {"dram_stride", 2, 0, 32, false, "Bytes from one DRAM row to the next."},
           {"rows", 3, 0, 16, false, "Number of DRAM rows (>= 1)."},
           {"row_bytes", 3, 16, 16, false, "Bytes per DRAM row (>= 1)."},
           {"sp_addr", 4, 0, 16, false, "First scratchpad row written."},
           {"elem_bytes", 4, 16, 16, false,
            "Bytes per scratchpad row written (1 .. scratchpad row bytes)."},
           {"mirror", 0, 16, 1, false,
            "Also write each row to the partner bank (row XOR sp_bank_rows), on depth-4 zero-skip "
            "variants to all four banks (row XOR j*sp_bank_rows, j = 1..3): needs >= 2 banks, "
            "and the rows written must stay in one bank (else sp_range)."},
       }},
      {"STORE", 2, Unit::Store,
       "Accumulator rows through post-processing to DRAM. Accumulator row `acc_addr + j` becomes "
       "element j: in `requant` mode C int8 lanes (bias add, per-channel multiplier and shift "
       "from parameter set `pset`, output zero point, clamp), in `raw` mode the 4*C bytes of the "
       "int32 lanes, in `avg` mode C int8 lanes of the rounded division TFLite's average pool "
       "does (by multiply with `div_magic`, see docs). The first `elem_bytes` bytes of each "
       "element are written; `row_bytes / elem_bytes` elements fill one DRAM row. With `gather`, "
       "element k of DRAM row i comes from accumulator row `acc_addr + k * rows + i` and uses "
       "parameter set `(pset + k) mod 4`: the k-th of several accumulator regions of `rows` rows "
       "each (e.g. one per channel block) fills the k-th element of every row, so a pixel's blocks "
       "leave as one DRAM row. A STORE completes "
       "(and gives its tokens) once its data has left for DRAM; its writes are complete at the "
       "next FENCE or ESCAPE and before STATUS reports done, so a later LOAD of those bytes needs "
       "a FENCE in between.",
       {
           {"mode", 0, 16, 2, false, "Post-processing mode (store_mode)."},
           {"pset", 0, 18, 2, false, "Requantization parameter set (0 .. 3)."},
           {"gather", 0, 20, 1, false,
            "Element k of DRAM row i from accumulator row acc_addr + k * rows + i, parameter set "
            "(pset + k) mod 4."},
           {"dram_addr", 1, 0, 32, false, "Byte address of the first DRAM row."},
           {"dram_stride", 2, 0, 32, false, "Bytes from one DRAM row to the next."},
           {"rows", 3, 0, 16, false, "Number of DRAM rows (>= 1)."},
           {"row_bytes", 3, 16, 16, false, "Bytes per DRAM row (>= 1)."},
           {"acc_addr", 4, 0, 16, false, "First accumulator row read."},
           {"elem_bytes", 4, 16, 16, false,
            "Bytes stored per accumulator row (1..C int8, 1..4C raw)."},
           {"out_zp", 5, 0, 8, true, "Output zero point (requant, avg)."},
           {"act_min", 5, 8, 8, true, "Activation clamp minimum."},
           {"act_max", 5, 16, 8, true, "Activation clamp maximum."},
           {"div_magic", 6, 0, 32, false,
            "avg mode: q = (|x| + div_half) * div_magic >> div_shift, sign of x restored."},
           {"div_half", 7, 0, 16, false, "avg mode: window count / 2."},
           {"div_shift", 7, 16, 6, false, "avg mode: shift of the reciprocal multiply."},
       }},
      {"MATMUL", 3, Unit::Execute,
       "Convolution / matrix multiply on the systolic array with implicit im2col. The input is "
       "pixel-major in the scratchpad: pixel (y, x), channel chunk c is row `in_addr + (y * in_w "
       "+ x) * chunks + c`, lanes 0..R-1 = channels c*R .. c*R+R-1. For every chunk c, tap (ky, "
       "kx) in that order the weight tile at rows `w_addr + ((c * k_h + ky) * k_w + kx) * R` "
       "(row j = input channel c*R+j, lanes = C output channels) is used and every output pixel "
       "(oy, ox) reads input pixel (oy*stride_h + ky - pad_top, ox*stride_w + kx - pad_left), "
       "or a vector of `in_zp` where that lies outside the input. Results go to accumulator row "
       "`acc_addr + oy * out_w + ox`: the first pass overwrites unless `accumulate` is set, "
       "later passes add. On zero-skip variants (docs/skip.md) the array computes "
       "sum((a - in_zp) * w); with skip.depth D > 1 a pass covers chunks D*g .. D*g+D-1 of one "
       "tap (chunk D*g+j read from row + j of mirrored copy j, row XOR j*sp_bank_rows; past the "
       "last chunk it is in_zp), its weight tile has D*R rows at "
       "`w_addr + ((g * k_h + ky) * k_w + kx) * D*R`, and row r*D + j holds input channel "
       "(D*g+j)*R + r. With one chunk (or two on a depth-4 variant) and k_w > 1 a pass covers "
       "T = D / chunks taps instead, in flattened order f = ky*k_w + kx across kernel rows "
       "(pass p: taps p*T .. p*T+T-1, ceil(k_h*k_w/T) passes): lane group j is chunk j mod chunks "
       "of tap p*T + j / chunks (its input pixel read from copy j), in_zp outside the input or "
       "past the last tap; tap t's lanes are rotated (lane r = channel (r + t*R/T) mod R), and "
       "row r*D + j of tile p holds lane group j's weight for the channel in lane r.",
       concat(
           {
               {"accumulate", 0, 16, 1, false, "Add the first pass onto the accumulator rows."},
               {"skip", 0, 17, 1, false,
                "Zero-skip variants: skip the array steps of activations equal to in_zp (results "
                "are the same either way; ignored on dense variants)."},
               {"in_addr", 1, 0, 16, false, "Scratchpad row of input pixel (0, 0), chunk 0."},
               {"w_addr", 1, 16, 16, false, "Scratchpad row of the first weight tile."},
               {"acc_addr", 2, 0, 16, false, "First accumulator row written."},
               {"in_zp", 2, 16, 8, true, "Value fed for padded input pixels."},
               {"chunks", 2, 24, 8, false, "Channel chunks of R per input pixel (>= 1)."},
           },
           window_fields())},
      {"VECTOR", 4, Unit::Execute,
       "Per-lane operation on C lanes with the same window addressing as MATMUL (one chunk: "
       "pixel (y, x) is row `in_addr + (y * in_w + x) * pitch`), one pass per tap (ky, kx). "
       "Modes: `dw` multiplies lane c by the int8 weight in lane c of row `w_addr + ky * k_w + "
       "kx` and sums (depthwise convolution); `sum` sums (average pool); `max` keeps the maximum "
       "(max pool); `scale` computes MultiplyByQuantizedMultiplier((x + offset) << lshift, mult, "
       "shift) and sums (the input rescaling of TFLite's ADD). Padded taps read `pad` in every "
       "lane. The first pass overwrites unless `accumulate` is set.",
       concat(
           {
               {"accumulate", 0, 16, 1, false, "Combine the first pass with the accumulator rows."},
               {"vmode", 0, 17, 3, false, "Lane operation (vector_mode)."},
               {"mirror", 0, 20, 1, false,
                "dw mode, k_w <= 3, out_w < 4096, >= 2 banks: the input is also at in_addr XOR "
                "sp_bank_rows (a mirrored LOAD); odd kernel rows are read from that copy, two "
                "kernel rows per pass. The input rows must stay in one bank (else sp_range)."},
               {"in_addr", 1, 0, 16, false, "Scratchpad row of input pixel (0, 0)."},
               {"w_addr", 1, 16, 16, false, "dw mode: scratchpad row of tap (0, 0)'s weights."},
               {"acc_addr", 2, 0, 16, false, "First accumulator row written."},
               {"pad", 2, 16, 8, true, "Value of padded input pixels."},
               {"pitch", 2, 24, 8, false, "Scratchpad rows per input pixel (>= 1)."},
           },
           concat(window_fields(),
                  {
                      {"offset", 6, 0, 16, true, "scale mode: added to x first."},
                      {"lshift", 6, 16, 5, false, "scale mode: left shift after the offset."},
                      {"shift", 6, 24, 6, true,
                       "scale mode: exponent of the multiplier (< 0: rounding right shift)."},
                      {"mult", 7, 0, 32, false, "scale mode: Q31 multiplier (0 or >= 2^30)."},
                  }))},
      {"PARAMS", 5, Unit::Execute,
       "Load requantization parameter set `pset` from the scratchpad: starting at row `sp_addr`, "
       "the C int32 biases (little-endian, packed over ceil(4C / row bytes) rows), then the C "
       "int32 multipliers (same packing), then one row of C int8 shifts.",
       {
           {"pset", 0, 16, 2, false, "Parameter set written (0 .. 3)."},
           {"sp_addr", 1, 0, 16, false, "First scratchpad row read."},
       }},
      {"FENCE", 6, Unit::Dispatch,
       "Wait until every earlier command has finished; with `irq` set, then raise the fence "
       "interrupt.",
       {
           {"irq", 0, 16, 1, false, "Raise the fence interrupt when reached."},
       }},
      {"ESCAPE", 7, Unit::Dispatch,
       "Hands an op to the escape core (RV32IM, docs/memory-map.md). It waits like FENCE until "
       "every earlier command has finished; then the core sees `func` in MMIO ESC_FUNC and words "
       "1..7 in ESC_ARG0..6. While it is pending only the commands the core pushes are "
       "dispatched. It finishes when the core has written ESC_DONE (or exited) and every pushed "
       "command has finished. Errors: `no_core` (variant without a core), `core_halted` (core "
       "not running, or it halts on a fault), `escape_status` (non-zero ESC_DONE status), "
       "`escape_timeout` (CORE_TIMEOUT).",
       {
           {"func", 0, 16, 16, false, "Firmware function id (read by the core from ESC_FUNC)."},
           {"arg0", 1, 0, 32, false, "Argument word 0 (ESC_ARG0)."},
           {"arg1", 2, 0, 32, false, "Argument word 1 (ESC_ARG1)."},
           {"arg2", 3, 0, 32, false, "Argument word 2 (ESC_ARG2)."},
           {"arg3", 4, 0, 32, false, "Argument word 3 (ESC_ARG3)."},
           {"arg4", 5, 0, 32, false, "Argument word 4 (ESC_ARG4)."},
           {"arg5", 6, 0, 32, false, "Argument word 5 (ESC_ARG5)."},
           {"arg6", 7, 0, 32, false, "Argument word 6 (ESC_ARG6)."},
       }},
  };
  return c;
}

const Command& command(const std::string& name) {
  for (const auto& c : commands())
    if (name == c.name) return c;
  fail("internal: no command '{}'", name);
}

const Field& field(const Command& cmd, const std::string& name) {
  for (const auto& f : common_fields())
    if (name == f.name) return f;
  for (const auto& f : cmd.fields)
    if (name == f.name) return f;
  fail("internal: command {} has no field '{}'", cmd.name, name);
}

const std::vector<EnumSet>& enums() {
  static const std::vector<EnumSet> e = {
      {"store_mode", "STORE post-processing mode.",
       {
           {"requant", 0, "bias, per-channel requantization, zero point, clamp -> int8"},
           {"raw", 1, "int32 lanes unchanged"},
           {"avg", 2, "TFLite average-pool rounding division, zero point, clamp -> int8"},
       }},
      {"vector_mode", "VECTOR lane operation.",
       {
           {"dw", 0, "multiply by the tap's weight lane and sum (depthwise)"},
           {"sum", 1, "sum"},
           {"max", 2, "maximum"},
           {"scale", 3, "fixed-point rescale (x + offset) << lshift, mult, shift; sum"},
       }},
      {"error", "Error codes in ERR_CODE[7:0]; the accelerator halts on the first one.",
       {
           {"none", 0, "no error"},
           {"illegal_opcode", 1, "unknown opcode"},
           {"dma_window", 2, "a LOAD, STORE or command fetch touches bytes outside the DMA window"},
           {"dma_empty", 3, "a DMA transfer with zero rows or bytes"},
           {"sp_range", 4, "scratchpad rows past the end of the scratchpad"},
           {"acc_range", 5, "accumulator rows past the end of the accumulator"},
           {"bad_field", 6, "a field value outside its range (see the command table)"},
           {"axi_read", 7, "AXI read response SLVERR or DECERR"},
           {"axi_write", 8, "AXI write response SLVERR or DECERR"},
           {"token", 9, "a dependency token flag that names no neighbour, or a token overflow"},
           {"no_core", 10, "ESCAPE without an escape core"},
           {"core_halted", 11,
            "ESCAPE while the escape core is not running (CORE_CTRL), or the core halted on a fault "
            "during an ESCAPE (cause and pc in CORE_STATUS / CORE_PC)"},
           {"escape_status", 12, "the core ended an ESCAPE with a non-zero status (CORE_ESC_STATUS)"},
           {"escape_timeout", 13, "an ESCAPE ran longer than CORE_TIMEOUT cycles"},
           {"core_push", 14,
            "the core pushed a command outside an ESCAPE, or pushed an ESCAPE (nested)"},
       }},
      {"error_unit", "Unit that reported the error, ERR_CODE[11:8].",
       {
           {"fetch", 0, "command fetch / dispatch"},
           {"load", 1, "load unit"},
           {"execute", 2, "execute unit"},
           {"store", 3, "store unit"},
       }},
  };
  return e;
}

int enum_value(const std::string& set, const std::string& name) {
  for (const auto& s : enums()) {
    if (set != s.name) continue;
    for (const auto& v : s.values)
      if (name == v.name) return v.value;
  }
  fail("internal: no value '{}' in enum '{}'", name, set);
}

const std::vector<Csr>& csrs() {
  static const std::vector<Csr> c = {
      {"ID", 0x000, Access::RO, "Identification, reads 0x31525354 (\"TSR1\")."},
      {"HASH", 0x004, Access::RO, "Bits 30:0 of the config hash (bit 31 reads 0)."},
      {"CTRL", 0x008, Access::WO,
       "bit 0 start: fetch CMD_COUNT commands from CMD_BASE; bit 1 soft reset: abort and clear "
       "everything except the window and IRQ_EN registers."},
      {"STATUS", 0x00C, Access::RO,
       "bit 0 busy, bit 1 done (all commands retired), bit 2 error (halted), bit 3 interrupt "
       "line."},
      {"IRQ", 0x010, Access::W1C, "Pending interrupts: bit 0 done, bit 1 error, bit 2 fence."},
      {"IRQ_EN", 0x014, Access::RW, "Interrupt enables, bits as IRQ."},
      {"ERR_CODE", 0x018, Access::RO, "bits 7:0 error code, bits 11:8 unit."},
      {"ERR_CMD", 0x01C, Access::RO, "Index of the command that failed (0 = first)."},
      {"CMD_BASE", 0x020, Access::RW, "DRAM byte address of the command list (32-byte aligned)."},
      {"CMD_COUNT", 0x024, Access::RW, "Number of commands to fetch on start."},
      {"CMD_RETIRED", 0x028, Access::RO, "Commands retired since start or soft reset."},
      {"WIN_BASE", 0x02C, Access::RW,
       "DMA window base (bytes, low bits forced to bus alignment); every DMA access lies in "
       "[WIN_BASE, WIN_LIMIT)."},
      {"WIN_LIMIT", 0x030, Access::RW, "DMA window limit, exclusive (bus aligned)."},
      {"CMD_PUSH", 0x034, Access::WO,
       "Any write appends CMD_DATA0..7 to the command queue (when no list fetch runs). The escape "
       "core has its own CMD_DATA0..7 in its CSR window: its CMD_PUSH appends to the 4-entry core "
       "queue, which is dispatched while the ESCAPE the core serves is pending (error core_push "
       "otherwise)."},
      {"FENCES", 0x038, Access::RO, "Fences with irq passed since start."},
      {"CMD_DATA0", 0x040, Access::RW, "Word 0 of the command pushed by CMD_PUSH."},
      {"CMD_DATA1", 0x044, Access::RW, "Word 1."},
      {"CMD_DATA2", 0x048, Access::RW, "Word 2."},
      {"CMD_DATA3", 0x04C, Access::RW, "Word 3."},
      {"CMD_DATA4", 0x050, Access::RW, "Word 4."},
      {"CMD_DATA5", 0x054, Access::RW, "Word 5."},
      {"CMD_DATA6", 0x058, Access::RW, "Word 6."},
      {"CMD_DATA7", 0x05C, Access::RW, "Word 7."},
      {"CORE_CTRL", 0x060, Access::RW,
       "Escape core: bit 0 run (the core executes while set), bit 1 reset (held in reset while "
       "set; IMEM/DMEM keep their contents). Reads 0 without a core."},
      {"CORE_STATUS", 0x064, Access::RO,
       "Escape core: bit 0 halted, bit 1 running, bit 2 an ESCAPE is pending, bit 3 the core "
       "queue is empty and every unit idle (what the core polls after CMD_PUSH), bits 7:4 halt "
       "cause (docs/memory-map.md), bits 15:8 free core-queue entries, bit 16 the variant has a "
       "core."},
      {"CORE_PC", 0x068, Access::RO, "Escape core: pc of the halt (fault or exit)."},
      {"CORE_EXIT", 0x06C, Access::RO, "Escape core: exit code of an exit halt."},
      {"CORE_ESC_STATUS", 0x070, Access::RO, "Status the core wrote to ESC_DONE last."},
      {"CORE_TIMEOUT", 0x074, Access::RW,
       "Cycles an ESCAPE may take from hand-over to ESC_DONE before error escape_timeout (0: no "
       "limit)."},
      {"CORE_LM_ADDR", 0x078, Access::RW,
       "Escape-core loader: core address (IMEM or DMEM) of the next CORE_LM_DATA access."},
      {"CORE_LM_DATA", 0x07C, Access::RW,
       "Escape-core loader: a write stores the word at CORE_LM_ADDR (IMEM or DMEM), a read returns "
       "the DMEM word there; both then add 4 to CORE_LM_ADDR. Only while the core is not running "
       "(run clear, reset set, or halted); otherwise ignored / reads 0."},
  };
  return c;
}

const Csr& csr(const std::string& name) {
  for (const auto& c : csrs())
    if (name == c.name) return c;
  fail("internal: no CSR '{}'", name);
}

const std::vector<Counter>& counters() {
  static const std::vector<Counter> c = {
      {"CYCLES", "Cycles from start (or the first CMD_PUSH) until done or error."},
      {"LD_BUSY", "Load unit: cycles moving data."},
      {"LD_STALL", "Load unit: cycles with a command but no progress (tokens, DMA latency)."},
      {"LD_IDLE", "Load unit: cycles without a command."},
      {"EX_BUSY", "Execute unit: cycles feeding the array or the vector lanes."},
      {"EX_STALL", "Execute unit: cycles with a command but no progress."},
      {"EX_IDLE", "Execute unit: cycles without a command."},
      {"ST_BUSY", "Store unit: cycles moving data."},
      {"ST_STALL", "Store unit: cycles with a command but no progress."},
      {"ST_IDLE", "Store unit: cycles without a command."},
      {"ARRAY_ROWS", "Activation vectors fed into the array."},
      {"ARRAY_MACS", "Multiply-accumulates issued to the array (R*C per activation vector; D*R*C per beat on "
       "zero-skip variants, skipped ones included)."},
      {"VECTOR_OPS", "Lane operations done by the vector lanes (C per row)."},
      {"DMA_RD_BYTES", "Bytes read over AXI (command fetch included)."},
      {"DMA_WR_BYTES", "Bytes written over AXI (strobed bytes)."},
      {"CMDS", "Commands retired."},
      {"ESC_CYCLES", "Cycles an ESCAPE waits for the core (hand-over until ESC_DONE or a halt)."},
      {"ESC_INSTRET", "Instructions the escape core retires while an ESCAPE waits for it."},
      {"SKIP_CYCLES",
       "Zero-skip variants: row-steps the array skipped (D - steps per row and pixel; 0 on dense "
       "variants)."},
      {"GATED_MACS", "Zero-skip variants: PE multiply-accumulates gated on zero activations."},
      {"ARRAY_CYCLES",
       "Array cycles: cycles in which the array computes. Dense variants: an activation vector "
       "enters (equal to ARRAY_ROWS). Zero-skip variants: at least one row issues a step."},
  };
  return c;
}

int counter_index(const std::string& name) {
  const auto& c = counters();
  for (size_t i = 0; i < c.size(); ++i)
    if (name == c[i].name) return static_cast<int>(i);
  fail("internal: no counter '{}'", name);
}

}  // namespace tsr::gen::isa

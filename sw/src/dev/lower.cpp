// Lowering of single int8 layers to accelerator programs (see tessera/dev/program.h and
// docs/lowering.md for the layouts and the tiling).
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <limits>
#include <optional>
#include <utility>

#include "tessera/dev/program.h"
#include "tessera/error.h"
#include "tessera/gen/isa.h"
#include "tessera/ref/gemm.h"
#include "tessera/ref/quant.h"

namespace tsr::dev {

namespace {

constexpr uint64_t kAlign = 64;      // region alignment in DRAM
constexpr uint8_t kPoison = 0xA5;    // initial bytes of the output region
constexpr int64_t kMaxRows = 65535;  // 16-bit rows / row_bytes fields
constexpr int64_t kMaxField4 = 15;   // 4-bit stride / pad fields
constexpr int64_t kMaxField8 = 255;  // 8-bit kernel / chunks fields
// Elements a LOAD moves in one memory latency (the element port moves one per cycle; 64 cycles is
// the latency `bench layers` models). Used to trade extra bytes against extra LOADs.
constexpr int64_t kLatencyElems = 64;
// Cycles a LOAD spends in the load unit's front end and the DMA check before its first burst.
constexpr int64_t kLoadSetup = 8;

// Cycles a LOAD of `elems` elements costs in a stream of such LOADs: the load unit keeps
// kLoadDepth of them in flight, so each pays its own elements or its share of one latency.
int64_t load_cost(int64_t elems) {
  return std::max(elems, (kLatencyElems + kLoadSetup + elems) / gen::isa::kLoadDepth);
}

uint64_t round_up(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }
int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Geometry of a window op over an NHWC input (cout = cin for depthwise and pools).
struct Geom {
  int n = 1, h = 1, w = 1, cin = 1;
  int oh = 1, ow = 1, cout = 1;
  int kh = 1, kw = 1, sh = 1, sw = 1, pt = 0, pl = 0;
};

// One output rectangle of one image and the input rectangle it reads.
struct Tile {
  int n = 0, oy0 = 0, oy1 = 0, ox0 = 0, ox1 = 0;  // output [oy0, oy1) x [ox0, ox1)
  int iy0 = 0, iy1 = 0, ix0 = 0, ix1 = 0;         // input, clipped to the image
  int pad_top = 0, pad_left = 0;                  // window padding relative to the input rect
  int out_h() const { return oy1 - oy0; }
  int out_w() const { return ox1 - ox0; }
  int in_h() const { return iy1 - iy0; }
  int in_w() const { return ix1 - ix0; }
};

// A small cache of scratchpad slots (least recently used is replaced).
class SlotCache {
 public:
  explicit SlotCache(int slots)
      : key_(static_cast<size_t>(slots), -1), used_(static_cast<size_t>(slots), -1) {}
  // The slot holding `key` and whether it was already there.
  std::pair<int, bool> get(int64_t key, int64_t now) {
    for (size_t s = 0; s < key_.size(); ++s) {
      if (key_[s] == key) {
        used_[s] = now;
        return {static_cast<int>(s), true};
      }
    }
    size_t victim = 0;
    for (size_t s = 1; s < key_.size(); ++s)
      if (used_[s] < used_[victim]) victim = s;
    key_[victim] = key;
    used_[victim] = now;
    return {static_cast<int>(victim), false};
  }

 private:
  std::vector<int64_t> key_, used_;
};

// Accumulator regions of consecutive steps: the banks alternate (the store unit reads one while
// the execute unit writes the other), and regions rotate inside a bank, so a step need not wait
// for the STORE of the step two back (the tokens order only steps that share rows).
class AccRing {
 public:
  explicit AccRing(int64_t bank_rows) : bank_rows_(bank_rows) {}
  int64_t next(int64_t rows) {
    const auto bank = static_cast<size_t>(step_++ % 2);
    if (cursor_[bank] + rows > bank_rows_) cursor_[bank] = 0;
    const int64_t at = static_cast<int64_t>(bank) * bank_rows_ + cursor_[bank];
    cursor_[bank] += rows;
    return at;
  }

 private:
  int64_t bank_rows_;
  int64_t step_ = 0;
  std::array<int64_t, 2> cursor_{0, 0};
};

// The state of one lowering: DRAM layout, commands, and the layer's name for messages.
class Lowering {
 public:
  Lowering(const DeviceParams& dp, std::string name, std::string op, const LowerOptions& opt)
      : dp_(dp) {
    prog_.name = std::move(name);
    prog_.op = std::move(op);
    prog_.dram_base = opt.dram_base;
    if (opt.dram_base % kAlign != 0)
      err(fmt::format("DRAM base {:#x} is not 64-byte aligned", opt.dram_base));
  }

  [[noreturn]] void err(const std::string& what) const {
    fail("{} '{}': {}", prog_.op, prog_.name, what);
  }
  const std::string& label() const { return label_ = fmt::format("{} '{}'", prog_.op, prog_.name); }
  const DeviceParams& dp() const { return dp_; }

  // A DRAM region holding `bytes`, followed by sp_row_bytes of slack (for over-reading LOADs).
  uint64_t region(const std::string& name, std::span<const uint8_t> bytes) {
    const uint64_t addr = prog_.dram_base + round_up(cursor_, kAlign);
    prog_.regions.push_back({name, addr, bytes.size()});
    cursor_ = addr - prog_.dram_base + bytes.size() + static_cast<uint64_t>(dp_.sp_row_bytes);
    prog_.dram.resize(round_up(cursor_, kAlign), 0);
    std::copy(bytes.begin(), bytes.end(),
              prog_.dram.begin() + static_cast<ptrdiff_t>(addr - prog_.dram_base));
    if (prog_.dram_base + prog_.dram.size() > (uint64_t{1} << 32)) {
      err(fmt::format("DRAM image of {} bytes at {:#x} exceeds the 32-bit address space",
                      prog_.dram.size(), prog_.dram_base));
    }
    return addr;
  }

  void emit(const Command& c) { cmds_.push_back(c); }

  // Contiguous DRAM bytes to consecutive scratchpad rows, `elem` bytes per row (a trailing
  // partial element gets a LOAD of its own).
  // `mirror`: also into the partner bank (row XOR bank rows), see LOAD.
  void load_contig(uint64_t addr, int64_t nbytes, int64_t elem, int64_t sp, bool mirror = false) {
    int64_t full = nbytes / elem;
    const int64_t rem = nbytes % elem;
    const int64_t per_row = std::max<int64_t>(1, std::min(full, kMaxRows / elem));
    while (full > 0) {
      const int64_t m = std::min(per_row, full);
      const int64_t rows = std::min(full / m, kMaxRows);
      emit(load({.dram_addr = addr,
                 .dram_stride = static_cast<uint64_t>(m * elem),
                 .rows = rows,
                 .row_bytes = m * elem,
                 .sp_addr = sp,
                 .elem_bytes = elem,
                 .mirror = mirror}));
      addr += static_cast<uint64_t>(rows * m * elem);
      sp += rows * m;
      full -= rows * m;
    }
    if (rem > 0) {
      emit(load({.dram_addr = addr,
                 .dram_stride = static_cast<uint64_t>(rem),
                 .rows = 1,
                 .row_bytes = rem,
                 .sp_addr = sp,
                 .elem_bytes = rem,
                 .mirror = mirror}));
    }
  }

  // `count` DRAM rows of `row_bytes` at `stride`, one scratchpad row each.
  void load_strided(uint64_t addr, int64_t count, int64_t row_bytes, int64_t stride, int64_t elem,
                    int64_t sp, bool mirror = false) {
    const int64_t per_row_elems = row_bytes / elem;
    while (count > 0) {
      const int64_t rows = std::min(count, kMaxRows);
      emit(load({.dram_addr = addr,
                 .dram_stride = static_cast<uint64_t>(stride),
                 .rows = rows,
                 .row_bytes = row_bytes,
                 .sp_addr = sp,
                 .elem_bytes = elem,
                 .mirror = mirror}));
      addr += static_cast<uint64_t>(rows * stride);
      sp += rows * per_row_elems;
      count -= rows;
    }
  }

  // Consecutive accumulator rows to contiguous DRAM bytes, `elem` bytes per row.
  void store_contig(StoreFields f, int64_t acc, uint64_t addr, int64_t nbytes, int64_t elem) {
    int64_t full = nbytes / elem;
    const int64_t rem = nbytes % elem;
    const int64_t per_row = std::max<int64_t>(1, std::min(full, kMaxRows / elem));
    while (full > 0) {
      const int64_t m = std::min(per_row, full);
      const int64_t rows = std::min(full / m, kMaxRows);
      f.dram_addr = addr;
      f.dram_stride = static_cast<uint64_t>(m * elem);
      f.rows = rows;
      f.row_bytes = m * elem;
      f.acc_addr = acc;
      f.elem_bytes = elem;
      emit(store(f));
      addr += static_cast<uint64_t>(rows * m * elem);
      acc += rows * m;
      full -= rows * m;
    }
    if (rem > 0) {
      f.dram_addr = addr;
      f.dram_stride = static_cast<uint64_t>(rem);
      f.rows = 1;
      f.row_bytes = rem;
      f.acc_addr = acc;
      f.elem_bytes = rem;
      emit(store(f));
    }
  }

  // Consecutive accumulator rows to `count` DRAM rows of `elem` bytes at `stride`.
  void store_strided(StoreFields f, int64_t acc, uint64_t addr, int64_t count, int64_t elem,
                     int64_t stride) {
    while (count > 0) {
      const int64_t rows = std::min(count, kMaxRows);
      f.dram_addr = addr;
      f.dram_stride = static_cast<uint64_t>(stride);
      f.rows = rows;
      f.row_bytes = elem;
      f.acc_addr = acc;
      f.elem_bytes = elem;
      emit(store(f));
      addr += static_cast<uint64_t>(rows * stride);
      acc += rows;
      count -= rows;
    }
  }

  Program finish(const ref::Shape4& out_shape, int32_t out_zp, uint64_t macs) {
    prog_.commands = insert_tokens(cmds_, dp_);
    prog_.output_shape = out_shape;
    prog_.output_zero_point = out_zp;
    prog_.layer_macs = macs;
    write_command_region(prog_);
    return std::move(prog_);
  }

 private:
  const DeviceParams& dp_;
  Program prog_;
  std::vector<Command> cmds_;
  uint64_t cursor_ = 0;
  mutable std::string label_;
};

// ---- Geometry ----

void check_geom(const Lowering& L, const Geom& g) {
  if (g.sh > kMaxField4 || g.sw > kMaxField4) {
    L.err(fmt::format("stride {}x{} exceeds the 4-bit stride fields (max 15)", g.sh, g.sw));
  }
  if (g.pt > kMaxField4 || g.pl > kMaxField4) {
    L.err(
        fmt::format("padding top {} / left {} exceeds the 4-bit pad fields (max 15)", g.pt, g.pl));
  }
  if (g.kh > kMaxField8 || g.kw > kMaxField8) {
    L.err(fmt::format("kernel {}x{} exceeds the 8-bit kernel fields (max 255)", g.kh, g.kw));
  }
}

// Input rows (cols) an output band of `t` rows (cols) reads at most.
int band_in(int t, int stride, int k, int in) { return std::min(in, (t - 1) * stride + k); }

struct TileShape {
  int th = 0, tw = 0;
};

// The largest tile (full output width preferred) whose outputs fit `acc_rows` accumulator rows and
// whose input, at `rpp` scratchpad rows per pixel, fits `slot_rows` rows.
std::optional<TileShape> pick_tile(const Geom& g, int64_t rpp, int64_t slot_rows,
                                   int64_t acc_rows) {
  auto fits = [&](int th, int tw) {
    return int64_t{th} * tw <= acc_rows &&
           int64_t{band_in(th, g.sh, g.kh, g.h)} * band_in(tw, g.sw, g.kw, g.w) * rpp <= slot_rows;
  };
  for (int th = g.oh; th >= 1; --th)
    if (fits(th, g.ow)) return TileShape{th, g.ow};
  for (int tw = g.ow - 1; tw >= 1; --tw)
    if (fits(1, tw)) return TileShape{1, tw};
  return std::nullopt;
}

std::vector<Tile> make_tiles(const Lowering& L, const Geom& g, const TileShape& ts) {
  std::vector<Tile> tiles;
  for (int n = 0; n < g.n; ++n) {
    for (int oy0 = 0; oy0 < g.oh; oy0 += ts.th) {
      for (int ox0 = 0; ox0 < g.ow; ox0 += ts.tw) {
        Tile t;
        t.n = n;
        t.oy0 = oy0;
        t.oy1 = std::min(g.oh, oy0 + ts.th);
        t.ox0 = ox0;
        t.ox1 = std::min(g.ow, ox0 + ts.tw);
        const int ylo = t.oy0 * g.sh - g.pt, yhi = (t.oy1 - 1) * g.sh - g.pt + g.kh;
        const int xlo = t.ox0 * g.sw - g.pl, xhi = (t.ox1 - 1) * g.sw - g.pl + g.kw;
        t.iy0 = std::max(0, ylo);
        t.iy1 = std::min(g.h, yhi);
        t.ix0 = std::max(0, xlo);
        t.ix1 = std::min(g.w, xhi);
        if (t.iy1 <= t.iy0 || t.ix1 <= t.ix0) {
          L.err(
              fmt::format("output rows {}..{} / cols {}..{} read only padding (padding as large "
                          "as the kernel is not supported)",
                          t.oy0, t.oy1 - 1, t.ox0, t.ox1 - 1));
        }
        t.pad_top = t.iy0 - ylo;
        t.pad_left = t.ix0 - xlo;
        tiles.push_back(t);
      }
    }
  }
  return tiles;
}

WindowFields window_of(const Geom& g, const Tile& t) {
  return {.in_h = t.in_h(),
          .in_w = t.in_w(),
          .out_h = t.out_h(),
          .out_w = t.out_w(),
          .k_h = g.kh,
          .k_w = g.kw,
          .stride_h = g.sh,
          .stride_w = g.sw,
          .pad_top = t.pad_top,
          .pad_left = t.pad_left};
}

// Scratchpad areas: activations, and weights + parameters. With several banks the weights get the
// last bank (the array reads weights and activations in parallel from different banks).
struct SpPlan {
  int64_t act_base = 0, act_rows = 0;
  int64_t w_base = 0, w_rows = 0;
};

SpPlan plan_sp(const Lowering& L, int64_t w_slot_rows, int64_t nblk, int& n_wslots) {
  const DeviceParams& dp = L.dp();
  SpPlan sp;
  if (w_slot_rows == 0) {
    n_wslots = 0;
    sp.act_rows = dp.sp_rows;
    return sp;
  }
  const int64_t w_area = dp.sp_banks > 1 ? dp.sp_bank_rows : dp.sp_rows / 2;
  if (w_slot_rows > w_area) {
    L.err(
        fmt::format("weights and parameters of one output block need {} scratchpad rows; the "
                    "weight area holds {} ({} banks of {} rows)",
                    w_slot_rows, w_area, dp.sp_banks, dp.sp_bank_rows));
  }
  n_wslots = nblk > 1 && 2 * w_slot_rows <= w_area ? 2 : 1;
  if (dp.sp_banks > 1) {
    // The weight bank is the weight area whatever the slot count: as many slots as blocks and
    // bank allow, so the LOADs of later blocks need not wait for a slot's MATMUL to finish.
    n_wslots = static_cast<int>(std::clamp<int64_t>(w_area / w_slot_rows, 1, nblk));
    sp.w_base = static_cast<int64_t>(dp.sp_banks - 1) * dp.sp_bank_rows;
    sp.w_rows = dp.sp_bank_rows;
    sp.act_rows = sp.w_base;
  } else {
    sp.w_rows = n_wslots * w_slot_rows;
    sp.w_base = dp.sp_rows - sp.w_rows;
    sp.act_rows = sp.w_base;
  }
  return sp;
}

// Tile shape and activation slot count: one slot when a single tile covers the whole layer, else
// two (double buffering), else one as a fallback.
struct ActPlan {
  TileShape shape;
  int slots = 1;
  int64_t slot_rows = 0;
};

// Tiles hold at most 1/kBands of the output rows (measured on the default variant: 3 to 4 bands
// give the best conv cycles; 2 leaves the first load exposed, 6 reloads too many halo rows).
constexpr int kBands = 4;
// VECTOR layers read each input row k_h times from the scratchpad, so the execute unit, not the
// DMA, bounds them; smaller bands shorten the first load at the price of more halo rows.
constexpr int kVectorBands = 4;

// acc_per_pixel: accumulator rows one output pixel takes in a bank (several channel blocks of a
// tile side by side, as the depthwise gathering STORE reads them).
std::optional<ActPlan> try_plan_act(const Lowering& L, const Geom& g, int64_t rpp,
                                    const SpPlan& sp, bool reuse_input, int bands,
                                    int64_t min_pixels, int64_t acc_per_pixel = 1) {
  const int64_t acc_bank = L.dp().acc_bank_rows / std::max<int64_t>(1, acc_per_pixel);
  // A layer of a few output rows stays one tile: nothing to overlap.
  if (reuse_input && g.n == 1 && g.oh < 8) {
    if (auto one = pick_tile(g, rpp, sp.act_rows, acc_bank);
        one && one->th == g.oh && one->tw == g.ow) {
      return ActPlan{*one, 1, sp.act_rows};
    }
  }
  // Double-buffered tiles of at most a quarter of the output rows, so that the load of the next
  // band overlaps the compute of this one from the start (a single whole-layer tile would make
  // the array wait for the entire input first).
  // Fewer bands when a band would hold fewer than `min_pixels` output pixels.
  const int tb = static_cast<int>(
      std::clamp<int64_t>(int64_t{g.oh} * g.ow / std::max<int64_t>(1, min_pixels), 1, bands));
  const int64_t quarter = std::max<int64_t>(g.ow, int64_t{(g.oh + tb - 1) / tb} * g.ow);
  if (auto two = pick_tile(g, rpp, sp.act_rows / 2, std::min(acc_bank, quarter))) {
    return ActPlan{*two, 2, sp.act_rows / 2};
  }
  if (auto two = pick_tile(g, rpp, sp.act_rows / 2, acc_bank)) {
    return ActPlan{*two, 2, sp.act_rows / 2};
  }
  if (auto one = pick_tile(g, rpp, sp.act_rows, acc_bank)) {
    return ActPlan{*one, 1, sp.act_rows};
  }
  return std::nullopt;
}

ActPlan plan_act(const Lowering& L, const Geom& g, int64_t rpp, const SpPlan& sp,
                 bool reuse_input, int bands = kBands, int64_t min_pixels = 1) {
  if (auto ap = try_plan_act(L, g, rpp, sp, reuse_input, bands, min_pixels)) return *ap;
  const int64_t acc_bank = L.dp().acc_bank_rows;
  L.err(
      fmt::format("one output pixel needs {} accumulator row and {} input pixels x {} scratchpad "
                  "rows = {} rows; the activation area holds {} rows and an accumulator bank {} "
                  "rows",
                  1, int64_t{band_in(1, g.sh, g.kh, g.h)} * band_in(1, g.sw, g.kw, g.w), rpp,
                  int64_t{band_in(1, g.sh, g.kh, g.h)} * band_in(1, g.sw, g.kw, g.w) * rpp,
                  sp.act_rows, acc_bank));
}

// Requantization parameter block of one output block of C lanes, laid out as PARAMS reads it.
std::vector<uint8_t> param_block(const DeviceParams& dp, std::span<const int32_t> bias,
                                 std::span<const int32_t> mult, std::span<const int8_t> shift) {
  const size_t S = static_cast<size_t>(dp.sp_row_bytes);
  const size_t pw = static_cast<size_t>(dp.param_word_rows());
  std::vector<uint8_t> b(static_cast<size_t>(dp.param_rows()) * S, 0);
  for (size_t l = 0; l < static_cast<size_t>(dp.cols); ++l) {
    for (size_t k = 0; k < 4; ++k) {
      b[4 * l + k] = static_cast<uint8_t>(static_cast<uint32_t>(bias[l]) >> (8 * k));
      b[pw * S + 4 * l + k] = static_cast<uint8_t>(static_cast<uint32_t>(mult[l]) >> (8 * k));
    }
    b[2 * pw * S + l] = static_cast<uint8_t>(shift[l]);
  }
  return b;
}

// Parameter blocks for `cout` channels in blocks of C: bias[oc] (already folded), the channel's
// requantization; lanes past cout get zeros.
std::vector<uint8_t> param_blocks(const Lowering& L, int cout, std::span<const int32_t> bias,
                                  const ref::OutputQuant& oq) {
  const DeviceParams& dp = L.dp();
  const int C = dp.cols;
  const int nblk = static_cast<int>(ceil_div(cout, C));
  std::vector<uint8_t> all;
  for (int ob = 0; ob < nblk; ++ob) {
    std::vector<int32_t> b(static_cast<size_t>(C)), m(static_cast<size_t>(C));
    std::vector<int8_t> s(static_cast<size_t>(C));
    for (int l = 0; l < C; ++l) {
      const int oc = ob * C + l;
      if (oc >= cout) continue;
      const ref::Requant rq = oq.channel(static_cast<size_t>(oc));
      ref::validate_requant(rq, L.label().c_str());
      b[static_cast<size_t>(l)] = bias[static_cast<size_t>(oc)];
      m[static_cast<size_t>(l)] = rq.multiplier;
      s[static_cast<size_t>(l)] = static_cast<int8_t>(rq.shift);
    }
    const std::vector<uint8_t> blk = param_block(dp, b, m, s);
    all.insert(all.end(), blk.begin(), blk.end());
  }
  return all;
}

// The scratchpad image of `nblk` weight blocks: per block its `wrows` weight rows (C bytes each in
// `w`, padded to S) then its parameter rows (S bytes each in `p`), so one LOAD brings a block.
std::vector<uint8_t> block_images(const DeviceParams& dp, int nblk, std::span<const uint8_t> w,
                                  int64_t wrows, std::span<const uint8_t> p) {
  const auto C = static_cast<size_t>(dp.cols), S = static_cast<size_t>(dp.sp_row_bytes);
  const size_t prow_bytes = static_cast<size_t>(dp.param_rows()) * S;
  std::vector<uint8_t> out;
  out.reserve(static_cast<size_t>(nblk) * (static_cast<size_t>(wrows) * S + prow_bytes));
  for (size_t ob = 0; ob < static_cast<size_t>(nblk); ++ob) {
    for (size_t r = 0; r < static_cast<size_t>(wrows); ++r) {
      const auto row = w.subspan((ob * static_cast<size_t>(wrows) + r) * C, C);
      out.insert(out.end(), row.begin(), row.end());
      out.insert(out.end(), S - C, 0);
    }
    const auto params = p.subspan(ob * prow_bytes, prow_bytes);
    out.insert(out.end(), params.begin(), params.end());
  }
  return out;
}

void check_tensor(const Lowering& L, const char* what, const ref::QTensorView& t) {
  const ref::Shape4& s = t.shape;
  if (s.n < 1 || s.h < 1 || s.w < 1 || s.c < 1 || t.data.size() != s.elements()) {
    L.err(fmt::format("{} shape {} with {} elements is not a valid tensor", what, ref::to_string(s),
                      t.data.size()));
  }
  if (t.zero_point < ref::kInt8Min || t.zero_point > ref::kInt8Max) {
    L.err(fmt::format("{} zero point {} is outside [-128, 127]", what, t.zero_point));
  }
}

std::span<const uint8_t> bytes_of(std::span<const int8_t> v) {
  return {reinterpret_cast<const uint8_t*>(v.data()), v.size()};
}

// Output region bytes (poisoned so that a byte no STORE writes shows up).
std::vector<uint8_t> poison(size_t n) { return std::vector<uint8_t>(n, kPoison); }

// Emits the STOREs of one tile of one output block: pixels (n, oy, ox) -> NHWC bytes
// [ob*C, ob*C + nb) of each pixel.
void store_tile(Lowering& L, const Geom& g, const Tile& t, int64_t acc, uint64_t out, int ob,
                int nb, const StoreFields& sf) {
  const int C = L.dp().cols;
  auto pixels = [&](int64_t a, int64_t p0, int64_t npix) {
    if (nb == g.cout) {
      L.store_contig(sf, a, out + static_cast<uint64_t>(p0 * g.cout), npix * g.cout, g.cout);
    } else {
      L.store_strided(sf, a, out + static_cast<uint64_t>(p0 * g.cout + int64_t{ob} * C), npix, nb,
                      g.cout);
    }
  };
  if (t.ox0 == 0 && t.ox1 == g.ow) {
    pixels(acc, (int64_t{t.n} * g.oh + t.oy0) * g.ow, int64_t{t.out_h()} * g.ow);
  } else {
    for (int oy = t.oy0; oy < t.oy1; ++oy) {
      pixels(acc + int64_t{oy - t.oy0} * t.out_w(), (int64_t{t.n} * g.oh + oy) * g.ow + t.ox0,
             t.out_w());
    }
  }
}

// Bias and requantization of `times` copies of the channels side by side (channel t * cout + c
// is channel c), for mappings that compute several output pixels as extra channels.
std::pair<std::vector<int32_t>, ref::OutputQuant> repeat_channels(std::span<const int32_t> bias,
                                                                  const ref::OutputQuant& oq,
                                                                  int times) {
  std::vector<int32_t> b;
  ref::OutputQuant q = oq;
  if (oq.multiplier.size() > 1) {
    q.multiplier.clear();
    q.shift.clear();
  }
  for (int t = 0; t < times; ++t) {
    b.insert(b.end(), bias.begin(), bias.end());
    if (oq.multiplier.size() > 1) {
      q.multiplier.insert(q.multiplier.end(), oq.multiplier.begin(), oq.multiplier.end());
      q.shift.insert(q.shift.end(), oq.shift.begin(), oq.shift.end());
    }
  }
  return {std::move(b), std::move(q)};
}

// Weight row of channel r of chunk c at flattened tap f in a tap-group MATMUL's tiles (T taps a
// pass, D*R rows a pass): pass f / T, tap tt = f % T of the pass, whose channel r is in lane
// (r - tt*R/T) mod R of lane group tt*chunks + c; row lane*D + lane group.
int64_t skip_tap_row(int f, int c, int r, int T, int chunks, int R, int D) {
  const int tt = f % T;
  const int lane = (r + R - tt * R / T % R) % R;
  return int64_t{f / T} * R * D + int64_t{lane} * D + tt * chunks + c;
}

// ---- Narrow-input convolutions: the kernel width folded into the channels ----
//
// A layer with few input channels (cin * k_w <= R, typically a network's first layer) uses
// cin of the array's R rows per pass. Its input is loaded with overlapping rows anyway (the row
// of pixel x holds the R DRAM bytes from pixel x on), so lanes kx*cin .. kx*cin+cin-1 of that
// row hold pixel x + kx of the same image row. For output columns whose window lies inside the
// image (the interior), a MATMUL with k_w = 1 and weight row kx*cin + c = W[ky][kx][c] does the
// work of k_w taps in one pass: k_h passes instead of k_h * k_w.
// An edge column's window crosses the border, and the folded row does not hold the padding
// value per pixel. Each edge column runs as its own MATMUL over the whole output height on a
// copy of the folded rows of its first in-image pixel (one row per image row), with k_w = 2:
// one tap reads that row with the in-image taps' weights, the other reads padding (a vector of
// the zero point, via pad_left = 1 or in_w = 1) with the weights of all padded taps. 2 * k_h
// passes instead of k_h * k_w, and the result is exact: a padded tap contributes zp * W.
struct KwEdge {
  int ox = 0;        // output column
  int px = 0;        // first in-image input column of its window
  int pl = 0, pr = 0;  // padded kernel columns on the left / right
};

struct KwFold {
  int oxl = 0, oxr = 0;  // interior output columns [oxl, oxr)
  int c0 = 0;            // input column of interior output column oxl
  int groups = 1;        // G: interior outputs per folded row (one block of cout <= C / G)
  int64_t span = 0;      // bytes per folded row: ((G - 1) * stride_w + k_w) * cin
  int pitch = 0;         // folded rows per input row: window starts c0 + j * G * stride_w
  bool per_row = false;  // one LOAD per input row (else one per tile)
  std::vector<KwEdge> edges;
  int th = 0;            // output rows per interior tile
  int slots = 0;         // interior tile slots (1 or 2)
  int64_t slot_rows = 0;
  int64_t w_base = 0, fold_rows = 0, edge_rows = 0, wslot = 0;
};

std::optional<KwFold> plan_kw_fold(const DeviceParams& dp, const Geom& g, int nblk) {
  const int R = dp.rows;
  // Zero-skip variants of depth D (docs/skip.md): interior tiles have D*R rows per kernel row
  // (one chunk, lane groups 1.. unused), edge columns run their two taps as one tap group from
  // the mirrored copies (D banks).
  const int D = std::max(1, dp.skip_depth);
  if (D >= 2 && (dp.sp_banks != D || R % D != 0)) return std::nullopt;
  if (g.n != 1 || g.kw < 2) return std::nullopt;
  if (int64_t{g.kw} * g.cin > R) return std::nullopt;
  KwFold f;
  f.oxl = static_cast<int>(ceil_div(g.pl, g.sw));
  f.oxr = g.w + g.pl - g.kw >= 0 ? std::min(g.ow, (g.w + g.pl - g.kw) / g.sw + 1) : 0;
  if (f.oxr - f.oxl < 2) return std::nullopt;
  f.c0 = f.oxl * g.sw - g.pl;
  // Few output channels (one block of cout <= C / 2): a folded row holds the windows of G
  // neighbouring outputs and the array's columns compute all G of them (G * cout columns).
  if (nblk == 1) {
    while ((f.groups + 1) * g.cout <= dp.cols &&
           (int64_t{f.groups} * g.sw + g.kw) * g.cin <= R && 2 * (f.groups + 1) <= f.oxr - f.oxl) {
      ++f.groups;
    }
  }
  f.span = (int64_t{f.groups - 1} * g.sw + g.kw) * g.cin;
  // Interior columns in whole groups; the columns left over run with the edge columns.
  f.oxr = f.oxl + (f.oxr - f.oxl) / f.groups * f.groups;
  for (int ox = 0; ox < g.ow; ++ox) {
    if (ox == f.oxl) ox = f.oxr;
    if (ox >= g.ow) break;
    const int x0 = ox * g.sw - g.pl;
    const KwEdge e{ox, std::max(0, x0), std::max(0, -x0), std::max(0, x0 + g.kw - g.w)};
    if (e.pl + e.pr >= g.kw) return std::nullopt;  // a column of padding only
    f.edges.push_back(e);
  }
  const int64_t acc_bank = dp.acc_bank_rows;
  if (g.oh > acc_bank) return std::nullopt;
  // Weights per block: the folded tiles (k_h of R rows), two tiles per kernel row for every
  // edge column, then the parameter rows; every block stays resident.
  f.fold_rows = int64_t{g.kh} * R * D;
  // edges: k_h x 2 taps as tap groups of T = D (flattened across kernel rows) at depth D >= 2
  f.edge_rows = D >= 2 ? int64_t{(2 * g.kh + D - 1) / D} * D * R : 2 * int64_t{g.kh} * R;
  f.wslot = f.fold_rows + static_cast<int64_t>(f.edges.size()) * f.edge_rows + dp.param_rows();
  int64_t act_rows = 0;
  if (D >= 2) {
    // Mirrored edge columns: bank 0 from row 0, their copies at the same rows of banks 1 .. D-1,
    // the weights at the top of bank D-1, the interior tiles in the rest of bank 0.
    f.w_base = D * int64_t{dp.sp_bank_rows} - nblk * f.wslot;
    if ((D - 1) * int64_t{dp.sp_bank_rows} + static_cast<int64_t>(f.edges.size()) * g.h > f.w_base)
      return std::nullopt;
    act_rows = dp.sp_bank_rows;
  } else if (dp.sp_banks > 1) {
    if (nblk * f.wslot > dp.sp_bank_rows) return std::nullopt;
    f.w_base = static_cast<int64_t>(dp.sp_banks - 1) * dp.sp_bank_rows;
    act_rows = f.w_base;
  } else {
    f.w_base = dp.sp_rows - nblk * f.wslot;
    act_rows = f.w_base;
  }
  act_rows -= static_cast<int64_t>(f.edges.size()) * g.h;
  // Interior tiles: at most 1/kBands of the output rows. Only window starts are loaded. When
  // stride_w divides the width they are evenly spaced across input rows too (one LOAD per tile
  // of w / stride_w rows per input row, the unused ones past the interior included); else one
  // LOAD per input row.
  const int ngroups = (f.oxr - f.oxl) / f.groups;
  f.per_row = g.w % (f.groups * g.sw) != 0;
  f.pitch = f.per_row ? ngroups : g.w / (f.groups * g.sw);
  auto need = [&](int th) { return int64_t{band_in(th, g.sh, g.kh, g.h)} * f.pitch; };
  for (int th = std::min<int>(g.oh, static_cast<int>(ceil_div(g.oh, kBands))); th >= 1; --th) {
    if (int64_t{th} * ngroups > acc_bank) continue;
    // Every band resident when they all fit (the loads then run ahead of the MATMULs instead
    // of waiting for a slot), else double buffering.
    const int bands = static_cast<int>(ceil_div(g.oh, th));
    const int slots = bands * need(th) <= act_rows ? bands : 2;
    if (std::min(slots, bands) * need(th) <= act_rows) {
      f.th = th;
      f.slots = std::min(slots, bands);
      f.slot_rows = need(th);
      return f;
    }
  }
  return std::nullopt;
}

Program lower_kw_fold(Lowering& L, const Geom& g, const KwFold& f,
                      std::span<const int8_t> input, int32_t in_zp,
                      std::span<const int8_t> filter, std::span<const int32_t> folded_bias,
                      const ref::OutputQuant& oq, const ref::Shape4& out_shape) {
  const DeviceParams& dp = L.dp();
  const int R = dp.rows, C = dp.cols, S = dp.sp_row_bytes;
  const int nblk = static_cast<int>(ceil_div(g.cout, C));
  const int taps = g.kh * g.kw;
  const auto nedge = static_cast<int64_t>(f.edges.size());
  const int D = std::max(1, dp.skip_depth);
  const bool skip = dp.skip_depth > 0 && dp.skip;

  // Per block: folded rows (ky, lane kx*cin + c), then per edge column its two tiles per kernel
  // row (tap order as the edge MATMUL reads them: padding first when pl > 0).
  const int64_t wrows = f.fold_rows + nedge * f.edge_rows;
  std::vector<uint8_t> wbytes(static_cast<size_t>(nblk * wrows * C), 0);
  auto put = [&](int oc, int64_t row, int8_t w) {
    const int64_t r = int64_t{oc / C} * wrows + row;
    wbytes[static_cast<size_t>(r * C + oc % C)] = static_cast<uint8_t>(w);
  };
  for (int oc = 0; oc < g.cout; ++oc) {
    for (int ky = 0; ky < g.kh; ++ky) {
      for (int kx = 0; kx < g.kw; ++kx) {
        for (int ic = 0; ic < g.cin; ++ic) {
          const int8_t w = filter[(static_cast<size_t>(oc) * taps + ky * g.kw + kx) * g.cin + ic];
          // output q of a group: column q * cout + oc, its window q * stride_w pixels on
          for (int q = 0; q < f.groups; ++q) {
            put(q * g.cout + oc, int64_t{ky} * R * D + int64_t{(q * g.sw + kx) * g.cin + ic} * D, w);
          }
          for (int64_t e = 0; e < nedge; ++e) {
            const KwEdge& ed = f.edges[static_cast<size_t>(e)];
            const bool padded = kx < ed.pl || kx >= g.kw - ed.pr;
            const int tap = padded == (ed.pl > 0) ? 0 : 1;
            const int lane = padded ? kx * g.cin + ic : (kx - ed.pl) * g.cin + ic;
            // Skip depth D: the k_h x 2 taps run as tap groups of T = D taps (flattened
            // order, across kernel rows; SkipLayout::row).
            const int64_t row = D >= 2 ? skip_tap_row(ky * 2 + tap, 0, lane, D, 1, R, D)
                                       : (int64_t{ky} * 2 + tap) * R + lane;
            put(oc, f.fold_rows + e * f.edge_rows + row, w);
          }
        }
      }
    }
  }
  // Parameters of the G * cout columns: the cout channels' repeated per group member.
  const auto [gbias, goq] = repeat_channels(folded_bias, oq, f.groups);
  const std::vector<uint8_t> pbytes = param_blocks(L, g.cout * f.groups, gbias, goq);
  const std::vector<uint8_t> blocks = block_images(dp, nblk, wbytes, wrows, pbytes);

  const uint64_t in_addr = L.region("input", bytes_of(input));
  const uint64_t w_addr = L.region("weights", blocks);
  const uint64_t out_addr = L.region("output", poison(out_shape.elements()));
  const int64_t act_base = nedge * g.h;  // edge column copies first

  // Output rectangle -> NHWC bytes of block ob: `ncols` columns from ox0, rows oy0.. .
  auto store_rect = [&](int64_t acc, int oy0, int nrows, int ox0, int ncols, int ob, int pset) {
    const int nb = std::min(C, g.cout - ob * C);
    StoreFields sf{.mode = StoreMode::Requant,
                   .pset = pset,
                   .out_zp = oq.zero_point,
                   .act_min = oq.act_min,
                   .act_max = oq.act_max};
    const uint64_t at = out_addr + static_cast<uint64_t>((int64_t{oy0} * g.ow + ox0) * g.cout +
                                                         int64_t{ob} * C);
    if (nb == g.cout || ncols == 1) {
      for (int r0 = 0; r0 < nrows; r0 += static_cast<int>(kMaxRows)) {
        const int rows = std::min<int>(nrows - r0, static_cast<int>(kMaxRows));
        sf.dram_addr = at + static_cast<uint64_t>(int64_t{r0} * g.ow * g.cout);
        sf.dram_stride = static_cast<uint64_t>(int64_t{g.ow} * g.cout);
        sf.rows = rows;
        sf.row_bytes = int64_t{ncols} * nb;
        sf.acc_addr = acc + int64_t{r0} * ncols;
        sf.elem_bytes = nb;
        L.emit(store(sf));
      }
    } else {
      for (int r = 0; r < nrows; ++r) {
        L.store_strided(sf, acc + int64_t{r} * ncols,
                        at + static_cast<uint64_t>(int64_t{r} * g.ow * g.cout), ncols, nb,
                        g.cout);
      }
    }
  };

  // Folded rows hold k_w pixels (the LOAD zero-fills the lanes above; fewer bytes per row means
  // fewer bus beats: the rows overlap, so each one is a burst of its own).
  const int64_t span = int64_t{g.kw} * g.cin;
  // The first weight block, then per edge column the folded row of its first in-image pixel in
  // every image row; the other blocks load while the first one's edges compute.
  auto load_block = [&](int ob) {
    L.load_contig(w_addr + static_cast<uint64_t>(ob * f.wslot * S), f.wslot * S, S,
                  f.w_base + ob * f.wslot);
  };
  load_block(0);
  for (int64_t e = 0; e < nedge; ++e) {
    const KwEdge& ed = f.edges[static_cast<size_t>(e)];
    L.load_strided(in_addr + static_cast<uint64_t>(int64_t{ed.px} * g.cin), g.h, span,
                   int64_t{g.w} * g.cin, span, e * g.h, D >= 2);
  }

  // Parameter sets: each block its own while there are two or fewer, else alternating.
  int pset_holds[2] = {-1, -1}, params_loaded = 0;
  auto pset_of = [&](int ob) {
    if (pset_holds[0] == ob) return 0;
    if (pset_holds[1] == ob) return 1;
    const int ps = params_loaded++ % 2;
    pset_holds[ps] = ob;
    L.emit(params({.pset = ps, .sp_addr = f.w_base + ob * f.wslot + wrows}));
    return ps;
  };
  AccRing ring(dp.acc_bank_rows);

  // Edges first: they compute while the first interior tile loads.
  for (int ob = 0; ob < nblk; ++ob) {
    if (ob > 0) load_block(ob);
    const int ps = pset_of(ob);
    for (int64_t e = 0; e < nedge; ++e) {
      const KwEdge& ed = f.edges[static_cast<size_t>(e)];
      const int64_t acc = ring.next(g.oh);
      L.emit(matmul({.skip = skip,
                     .in_addr = e * g.h,
                     .w_addr = f.w_base + ob * f.wslot + f.fold_rows + e * f.edge_rows,
                     .acc_addr = acc,
                     .in_zp = in_zp,
                     .chunks = 1,
                     .win = {.in_h = g.h, .in_w = 1, .out_h = g.oh, .out_w = 1, .k_h = g.kh,
                             .k_w = 2, .stride_h = g.sh, .stride_w = 1, .pad_top = g.pt,
                             .pad_left = ed.pl > 0 ? 1 : 0}}));
      store_rect(acc, 0, g.oh, ed.ox, 1, ob, ps);
    }
  }

  // Interior: bands of input rows (the folded rows of the group starts), every block per band.
  const int ngroups = (f.oxr - f.oxl) / f.groups;
  int tile = 0;
  for (int oy0 = 0; oy0 < g.oh; oy0 += f.th, ++tile) {
    const int oy1 = std::min(g.oh, oy0 + f.th);
    const int ylo = oy0 * g.sh - g.pt;
    const int iy0 = std::max(0, ylo);
    const int iy1 = std::min(g.h, (oy1 - 1) * g.sh - g.pt + g.kh);
    const int64_t abase = act_base + (tile % f.slots) * f.slot_rows;
    if (f.slots > 1 || tile == 0) {
      const uint64_t first = in_addr + static_cast<uint64_t>((int64_t{iy0} * g.w + f.c0) * g.cin);
      const int64_t xstep = int64_t{f.groups} * g.sw * g.cin;
      if (f.per_row) {
        for (int iy = iy0; iy < iy1; ++iy) {
          L.load_strided(first + static_cast<uint64_t>(int64_t{iy - iy0} * g.w * g.cin), f.pitch,
                         f.span, xstep, f.span, abase + int64_t{iy - iy0} * f.pitch);
        }
      } else {
        L.load_strided(first, int64_t{iy1 - iy0} * f.pitch, f.span, xstep, f.span, abase);
      }
    }
    for (int ob = 0; ob < nblk; ++ob) {
      const int ps = pset_of(ob);
      const int64_t acc = ring.next(int64_t{oy1 - oy0} * ngroups);
      L.emit(matmul({.skip = skip,
                     .in_addr = abase,
                     .w_addr = f.w_base + ob * f.wslot,
                     .acc_addr = acc,
                     .in_zp = in_zp,
                     .chunks = 1,
                     .win = {.in_h = iy1 - iy0, .in_w = f.pitch, .out_h = oy1 - oy0,
                             .out_w = ngroups, .k_h = g.kh, .k_w = 1, .stride_h = g.sh,
                             .stride_w = 1, .pad_top = iy0 - ylo, .pad_left = 0}}));
      if (f.groups == 1) {
        store_rect(acc, oy0, oy1 - oy0, f.oxl, ngroups, ob, ps);
      } else {  // one block; an accumulator row holds G neighbouring output pixels
        L.emit(store({.mode = StoreMode::Requant,
                      .pset = ps,
                      .dram_addr = out_addr + static_cast<uint64_t>(
                                                  (int64_t{oy0} * g.ow + f.oxl) * g.cout),
                      .dram_stride = static_cast<uint64_t>(int64_t{g.ow} * g.cout),
                      .rows = oy1 - oy0,
                      .row_bytes = int64_t{ngroups} * f.groups * g.cout,
                      .acc_addr = acc,
                      .elem_bytes = int64_t{f.groups} * g.cout,
                      .out_zp = oq.zero_point,
                      .act_min = oq.act_min,
                      .act_max = oq.act_max}));
      }
    }
  }
  const uint64_t macs = static_cast<uint64_t>(g.n) * g.oh * g.ow * g.cout * taps * g.cin;
  Program p = L.finish(out_shape, oq.zero_point, macs);
  p.mapping = fmt::format("k_w folded: {} outputs per folded row, {} edge columns", f.groups,
                          f.edges.size());
  return p;
}

// ---- MATMUL layers (conv2d, fully connected) ----

// input NHWC (g.n, g.h, g.w, g.cin); filter OHWI (g.cout, g.kh, g.kw, g.cin); bias empty or cout.
// ---- zero-skip variants (docs/skip.md) ----
// A skip array takes D chunks of a pixel a beat and subtracts in_zp itself: MATMUL passes cover
// chunk groups of D, a pass's weight tile has D*R rows (row r*D + j: lane r of chunk j), and the
// bias is not folded. Chunk D*g+j is read from row + j of copy j of the input (row XOR
// j*sp_bank_rows; LOAD mirror writes the copies: the partner bank at D = 2, all four banks at
// D = 4), so the input tiles live in bank 0, their copies at the same rows of banks 1 .. D-1, and
// the weight slots at the top of bank D-1.
// Tap groups (`tgroup`): with one chunk (or two at D = 4) and k_w > 1 a pass covers T = D / chunks
// taps instead, in flattened order f = ky*k_w + kx across kernel rows (pass p: taps p*T ..
// p*T+T-1, ceil(k_h*k_w / T) passes): lane group j is chunk j % chunks of tap p*T + j / chunks,
// and tap t of the pass has its lanes rotated (lane l carries channel (l + t*R/T) mod R).
struct SkipLayout {
  int depth = 1;        // chunks per beat (1 on dense variants)
  bool pair = false;    // chunks (or taps) from the mirrored copies
  bool tgroup = false;  // tap groups
  int T = 1;            // taps per pass
  int chunks = 1;
  int kw = 1;
  int64_t tile_rows(int chunks_, int taps, int R) const {
    if (tgroup) return int64_t{(taps + T - 1) / T} * R * depth;
    return int64_t{(chunks_ + depth - 1) / depth} * taps * R * depth;
  }
  // Row of input channel ic at tap t within an output block's weight rows.
  int64_t row(int ic, int t, int taps, int R) const {
    const int c = ic / R, r = ic % R;
    if (depth == 1) return (int64_t{c} * taps + t) * R + r;
    if (tgroup) return skip_tap_row(t, c, r, T, chunks, R, depth);
    return (int64_t{c / depth} * taps + t) * R * depth + int64_t{r} * depth + c % depth;
  }
};

SkipLayout skip_layout(const DeviceParams& dp, int chunks, int kw) {
  SkipLayout s;
  s.depth = std::max(1, dp.skip_depth);
  s.kw = kw;
  s.chunks = chunks;
  s.T = dp.skip_taps(chunks, kw);
  s.tgroup = s.T > 1;
  s.pair = s.depth > 1 && (chunks > 1 || s.tgroup);
  return s;
}

// The scratchpad areas of a MATMUL whose input is mirrored (SkipLayout::pair).
SpPlan plan_sp_mirrored(const Lowering& L, int64_t wslot, int nblk, int& n_wslots) {
  const DeviceParams& dp = L.dp();
  const int64_t br = dp.sp_bank_rows;
  const int D = std::max(2, dp.skip_depth);
  if (dp.sp_banks < D) {
    L.err(fmt::format("a depth-{} zero-skip array reads {} chunks a beat from mirrored copies of "
                      "the input, one per bank; this variant has {} scratchpad bank(s)",
                      dp.skip_depth, D, dp.sp_banks));
  }
  n_wslots = nblk > 1 && 2 * wslot <= br / 2 ? 2 : 1;
  if (n_wslots * wslot >= br) {
    L.err(fmt::format("weights and parameters of one output block need {} scratchpad rows; a "
                      "mirrored input leaves {} of the {}-row bank",
                      wslot, br - 1, br));
  }
  SpPlan p;
  p.act_base = 0;
  p.act_rows = br - n_wslots * wslot;
  p.w_base = (D - 1) * br + p.act_rows;  // the top of bank D-1
  p.w_rows = n_wslots * wslot;
  return p;
}

Program lower_matmul(Lowering& L, const Geom& g_in, std::span<const int8_t> input, int32_t in_zp,
                     std::span<const int8_t> filter, std::span<const int32_t> bias,
                     const ref::OutputQuant& oq, const ref::Shape4& out_shape) {
  const DeviceParams& dp = L.dp();
  const int R = dp.rows, C = dp.cols, S = dp.sp_row_bytes;
  check_geom(L, g_in);
  // A 1x1 kernel with a stride reads every stride-th pixel only: the LOADs pick those pixels (one
  // LOAD per input row at dram_stride = stride_w * cin) and the layer runs as a stride-1 1x1
  // convolution over the subsampled image. `g` is the geometry the tiles and MATMULs see.
  const bool subsample =
      g_in.kh == 1 && g_in.kw == 1 && (g_in.sh > 1 || g_in.sw > 1) && g_in.pt == 0 && g_in.pl == 0;
  // Narrow rows: rather one LOAD per tile of every stride_w-th pixel of every input row (the
  // MATMUL keeps stride_h) than one LOAD per output row, when reading the skipped rows costs no
  // more than a per-row LOAD does (load_cost: short LOADs pay for the memory latency).
  const int64_t row_elems = int64_t{g_in.ow} * ceil_div(g_in.cin, R);
  const bool all_rows = subsample && g_in.sh > 1 && g_in.w % g_in.sw == 0 &&
                        row_elems * g_in.sh <= load_cost(row_elems);
  Geom g = g_in;
  if (all_rows) {
    g.w = g.w / g.sw;
    g.sw = 1;
  } else if (subsample) {
    g.h = g.oh;
    g.w = g.ow;
    g.sh = g.sw = 1;
  }
  const int chunks = static_cast<int>(ceil_div(g.cin, R));
  if (chunks > kMaxField8) {
    L.err(fmt::format("{} input channels need {} chunks of {}; the chunks field holds 255", g.cin,
                      chunks, R));
  }
  const int nblk = static_cast<int>(ceil_div(g.cout, C));
  const int taps = g.kh * g.kw;
  const SkipLayout skl = skip_layout(dp, chunks, g.kw);
  const int64_t wrows = skl.tile_rows(chunks, taps, R);
  const int64_t prows = dp.param_rows();

  // Weights in tile order, the zero point folded into the bias (not on zero-skip variants, whose
  // array subtracts it).
  std::vector<uint8_t> wbytes(static_cast<size_t>(nblk * wrows * C), 0);
  std::vector<int32_t> folded(static_cast<size_t>(g.cout));
  for (int oc = 0; oc < g.cout; ++oc) {
    int64_t wsum = 0;
    for (int t = 0; t < taps; ++t) {
      for (int ic = 0; ic < g.cin; ++ic) {
        const int8_t w = filter[(static_cast<size_t>(oc) * taps + t) * g.cin + ic];
        wsum += w;
        const int ob = oc / C, l = oc % C;
        const int64_t row = int64_t{ob} * wrows + skl.row(ic, t, taps, R);
        wbytes[static_cast<size_t>(row * C + l)] = static_cast<uint8_t>(w);
      }
    }
    const int64_t b = bias.empty() ? 0 : bias[static_cast<size_t>(oc)];
    folded[static_cast<size_t>(oc)] =
        ref::wrap_i32(dp.skip_depth > 0 ? b : b - int64_t{in_zp} * wsum);
  }
  if (const auto kf = plan_kw_fold(dp, g, nblk)) {
    return lower_kw_fold(L, g, *kf, input, in_zp, filter, folded, oq, out_shape);
  }
  const std::vector<uint8_t> pbytes = param_blocks(L, g.cout, folded, oq);
  // Per output block: its weight rows (S bytes each, C used) then its parameter rows, so one
  // LOAD brings both.
  const int64_t wslot = wrows + prows;
  const std::vector<uint8_t> blocks = block_images(dp, nblk, wbytes, wrows, pbytes);

  const uint64_t in_addr = L.region("input", bytes_of(input));
  const uint64_t w_addr = L.region("weights", blocks);
  const uint64_t out_addr = L.region("output", poison(out_shape.elements()));

  int n_wslots = 0;
  const SpPlan sp = skl.pair ? plan_sp_mirrored(L, wslot, nblk, n_wslots)
                             : plan_sp(L, wslot, nblk, n_wslots);
  // A band should stream at least 2R + C - 3 pixels per pass: below that every pass of the
  // weight-stationary array waits for its weight tile (docs/architecture.md).
  ActPlan ap = plan_act(L, g, chunks, sp, true, kBands, 2 * int64_t{R} + C - 3);
  const std::vector<Tile> tiles = make_tiles(L, g, ap.shape);
  const auto ntiles = static_cast<int>(tiles.size());
  // Everything resident: when every weight block fits the weight area and every tile its own
  // activation slot, each is loaded once, and blocks go outermost (one PARAMS per block).
  // Only for layers the DMA bounds: on compute-bound ones, tiles outermost hide each tile's load
  // behind all of its blocks' MATMULs, which matters more than the bytes saved.
  const int64_t mac_cycles = int64_t{g.n} * g.oh * g.ow * g.cout * taps * g.cin / (int64_t{R} * C);
  const int64_t dma_cycles =
      (int64_t{g.n} * (int64_t{g.h} * g.w * g.cin + int64_t{g.oh} * g.ow * g.cout) +
       int64_t{nblk} * wslot * S) / dp.bus_bytes;
  bool resident = false;
  // (as with the two weight slots of before: more slots only let the block LOADs run ahead)
  if (ntiles > 1 && nblk > std::min(n_wslots, 2) && dp.sp_banks > 1 &&
      int64_t{nblk} * wslot <= sp.w_rows && dma_cycles > mac_cycles) {
    const int64_t need = int64_t{band_in(ap.shape.th, g.sh, g.kh, g.h)} *
                         band_in(ap.shape.tw, g.sw, g.kw, g.w) * chunks;
    if (need * ntiles <= sp.act_rows) {
      resident = true;
      n_wslots = nblk;
      ap = ActPlan{ap.shape, ntiles, need};
    }
  }

  // Step order: output blocks outer or tiles outer (serpentine), whichever loads fewer bytes.
  auto order = [&](bool blocks_outer) {
    std::vector<std::pair<int, int>> steps;
    const int outer = blocks_outer ? nblk : ntiles, inner = blocks_outer ? ntiles : nblk;
    for (int o = 0; o < outer; ++o) {
      for (int k = 0; k < inner; ++k) {
        const int i = o % 2 == 0 ? k : inner - 1 - k;
        steps.push_back(blocks_outer ? std::pair{o, i} : std::pair{i, o});
      }
    }
    return steps;
  };
  auto traffic = [&](const std::vector<std::pair<int, int>>& steps) {
    SlotCache wc(n_wslots), ac(ap.slots);
    int64_t bytes = 0, now = 0;
    for (const auto& [ob, ti] : steps) {
      if (!wc.get(ob, now).second) bytes += wslot * S;
      const Tile& t = tiles[static_cast<size_t>(ti)];
      if (!ac.get(ti, now).second) bytes += int64_t{t.in_h()} * t.in_w() * g.cin;
      ++now;
    }
    return bytes;
  };
  const auto by_block = order(true), by_tile = order(false);
  const auto& steps = resident || traffic(by_block) <= traffic(by_tile) ? by_block : by_tile;

  SlotCache wc(n_wslots), ac(ap.slots);
  std::vector<int> block_pset(static_cast<size_t>(nblk), 0);
  int params_loaded = 0;
  AccRing acc_ring(dp.acc_bank_rows);
  constexpr int kSets = gen::isa::kParamSets;
  std::array<int, kSets> pset_holds{};  // more resident blocks than sets: the block each set holds
  pset_holds.fill(-1);
  int64_t step = 0;
  for (const auto& [ob, ti] : steps) {
    const auto [ws, whit] = wc.get(ob, step);
    const int64_t wbase = sp.w_base + ws * wslot;
    if (!whit) L.load_contig(w_addr + static_cast<uint64_t>(ob * wslot * S), wslot * S, S, wbase);
    if (n_wslots > kSets) {
      // The parameter sets rotate over the blocks as they come (the previous user of a set is
      // kSets blocks back, its STORE long started).
      if (std::find(pset_holds.begin(), pset_holds.end(), ob) == pset_holds.end()) {
        const int ps = params_loaded++ % kSets;
        pset_holds[static_cast<size_t>(ps)] = ob;
        block_pset[static_cast<size_t>(ob)] = ps;
        L.emit(params({.pset = ps, .sp_addr = wbase + wrows}));
      }
    } else if (!whit) {
      // Up to kSets weight slots: the slot's own parameter set (resident blocks never share one;
      // a reloaded slot's set was last used by the least recently used block). One slot:
      // alternate, so the next block's PARAMS need not wait for this STORE.
      block_pset[static_cast<size_t>(ob)] = n_wslots >= 2 ? ws : params_loaded++ % 2;
      L.emit(params({.pset = block_pset[static_cast<size_t>(ob)], .sp_addr = wbase + wrows}));
    }
    const Tile& t = tiles[static_cast<size_t>(ti)];
    const auto [as, ahit] = ac.get(ti, step);
    const int64_t abase = sp.act_base + as * ap.slot_rows;
    if (!ahit) {
      // Pixel-major, `chunks` rows per pixel, R channels per row (see docs/lowering.md).
      auto pixels = [&](int64_t p0, int64_t npix, int64_t spa) {
        const uint64_t a = in_addr + static_cast<uint64_t>(p0 * g.cin);
        if (g.cin % R == 0 || chunks == 1) {
          L.load_contig(a, npix * g.cin, std::min(g.cin, R), spa, skl.pair);
        } else {  // overlapping rows: garbage lanes above cin meet zero weight rows
          L.load_strided(a, npix, int64_t{chunks} * R, g.cin, R, spa, skl.pair);
        }
      };
      // Subsampled pixels: row bytes as the plain loads give them, one pixel per row below R
      // channels, else `chunks` rows per pixel (over-read lanes above cin meet zero weights).
      const int64_t rb = g.cin % R == 0 || chunks == 1 ? g.cin : int64_t{chunks} * R;
      const int64_t elem = chunks == 1 ? g.cin : R;
      const int64_t xstep = int64_t{g_in.sw} * g.cin;
      if (all_rows && t.ix0 == 0 && t.ix1 == g.w) {
        const int64_t p0 = (int64_t{t.n} * g_in.h + t.iy0) * g_in.w;
        L.load_strided(in_addr + static_cast<uint64_t>(p0 * g.cin), int64_t{t.in_h()} * g.w, rb,
                       xstep, elem, abase, skl.pair);
      } else if (all_rows) {
        for (int iy = t.iy0; iy < t.iy1; ++iy) {
          const int64_t p0 = (int64_t{t.n} * g_in.h + iy) * g_in.w + int64_t{t.ix0} * g_in.sw;
          L.load_strided(in_addr + static_cast<uint64_t>(p0 * g.cin), t.in_w(), rb, xstep, elem,
                         abase + int64_t{iy - t.iy0} * t.in_w() * chunks, skl.pair);
        }
      } else if (subsample) {
        for (int iy = t.iy0; iy < t.iy1; ++iy) {
          const int64_t p0 = (int64_t{t.n} * g_in.h + int64_t{iy} * g_in.sh) * g_in.w +
                             int64_t{t.ix0} * g_in.sw;
          L.load_strided(in_addr + static_cast<uint64_t>(p0 * g.cin), t.in_w(), rb, xstep, elem,
                         abase + int64_t{iy - t.iy0} * t.in_w() * chunks, skl.pair);
        }
      } else if (t.ix0 == 0 && t.ix1 == g.w) {
        pixels((int64_t{t.n} * g.h + t.iy0) * g.w, int64_t{t.in_h()} * g.w, abase);
      } else {
        for (int iy = t.iy0; iy < t.iy1; ++iy) {
          pixels((int64_t{t.n} * g.h + iy) * g.w + t.ix0, t.in_w(),
                 abase + int64_t{iy - t.iy0} * t.in_w() * chunks);
        }
      }
    }
    // Banks alternate; within a bank the tiles go round (AccRing), so a MATMUL need not wait for
    // the STORE two steps back while the bank has room for another tile.
    const int64_t acc = acc_ring.next(t.out_h() * t.out_w());
    L.emit(matmul({.skip = dp.skip_depth > 0 && dp.skip,
                   .in_addr = abase,
                   .w_addr = wbase,
                   .acc_addr = acc,
                   .in_zp = in_zp,
                   .chunks = chunks,
                   .win = window_of(g, t)}));
    const int nb = std::min(C, g.cout - ob * C);
    store_tile(L, g, t, acc, out_addr, ob, nb,
               {.mode = StoreMode::Requant,
                .pset = block_pset[static_cast<size_t>(ob)],
                .out_zp = oq.zero_point,
                .act_min = oq.act_min,
                .act_max = oq.act_max});
    ++step;
  }
  const uint64_t macs = static_cast<uint64_t>(g.n) * g.oh * g.ow * g.cout * taps * g.cin;
  return L.finish(out_shape, oq.zero_point, macs);
}

// ---- VECTOR layers (depthwise, pools) ----

enum class VecOp { Depthwise, MaxPool, AvgPool };

// input NHWC; dw_filter (depthwise) 1 x kh x kw x cin; folded bias per channel (depthwise).
Program lower_vector(Lowering& L, const Geom& g, VecOp op, const ref::QTensorView& input,
                     std::span<const int8_t> dw_filter, std::span<const int32_t> bias,
                     const ref::OutputQuant* oq, const ref::PoolParams* pp) {
  const DeviceParams& dp = L.dp();
  const int C = dp.cols, S = dp.sp_row_bytes;
  check_geom(L, g);
  const int nblk = static_cast<int>(ceil_div(g.cin, C));
  const int taps = g.kh * g.kw;
  const int64_t prows = dp.param_rows();
  const bool dw = op == VecOp::Depthwise;
  const int32_t in_zp = input.zero_point;

  std::vector<uint8_t> wbytes, pbytes;
  if (dw) {
    wbytes.assign(static_cast<size_t>(nblk) * taps * C, 0);
    std::vector<int32_t> folded(static_cast<size_t>(g.cin));
    for (int c = 0; c < g.cin; ++c) {
      int64_t wsum = 0;
      for (int t = 0; t < taps; ++t) {
        const int8_t w = dw_filter[static_cast<size_t>(t) * g.cin + c];
        wsum += w;
        wbytes[(static_cast<size_t>(c / C) * taps + t) * C + c % C] = static_cast<uint8_t>(w);
      }
      const int64_t b = bias.empty() ? 0 : bias[static_cast<size_t>(c)];
      folded[static_cast<size_t>(c)] = ref::wrap_i32(b - int64_t{in_zp} * wsum);
    }
    pbytes = param_blocks(L, g.cin, folded, *oq);
  } else if (op == VecOp::MaxPool) {
    // Identity requantization: multiply_by_quantized_multiplier(x, 2^30, 1) == x.
    const std::vector<int32_t> b(static_cast<size_t>(C), 0), m(static_cast<size_t>(C), 1 << 30);
    const std::vector<int8_t> s(static_cast<size_t>(C), 1);
    pbytes = param_block(dp, b, m, s);
  }

  // Depthwise: per block, its taps rows then its parameter rows, S bytes each, so one LOAD
  // brings a block (or all of them) to the scratchpad.
  if (dw) {
    wbytes = block_images(dp, nblk, wbytes, taps, pbytes);
    pbytes.clear();
  }
  const uint64_t in_addr = L.region("input", bytes_of(input.data));
  const uint64_t w_addr = dw ? L.region("weights", wbytes) : 0;
  const uint64_t p_addr = pbytes.empty() ? 0 : L.region("params", pbytes);
  const uint64_t out_addr =
      L.region("output", poison(static_cast<size_t>(g.n) * g.oh * g.ow * g.cout));

  const int64_t wslot = dw ? taps + prows : 0;
  // Depthwise with a row FIR kernel on two or more banks: mirror each tile into the partner bank
  // so a VECTOR pass reads two kernel rows at once (docs/architecture.md). Tiles live in bank 0,
  // their copies at the same rows of bank 1, the weights at the top of bank 1.
  int n_wslots = 0;
  auto layout = [&](bool mirrored) {
    SpPlan p = plan_sp(L, wslot, nblk, n_wslots);
    if (mirrored) {
      const int64_t br = dp.sp_bank_rows;
      n_wslots = static_cast<int>(std::clamp<int64_t>(br / 2 / wslot, 1, nblk));
      p.act_base = 0;
      p.act_rows = br - n_wslots * wslot;
      p.w_base = br + p.act_rows;
      p.w_rows = n_wslots * wslot;
    } else if (dw && dp.sp_banks > 1) {
      // The weight bank holds many depthwise blocks (taps + parameter rows each): keep them all.
      n_wslots = static_cast<int>(std::clamp<int64_t>(p.w_rows / wslot, 1, nblk));
    }
    if (op == VecOp::MaxPool) {  // one parameter block at the top of the scratchpad
      p.act_rows = dp.sp_rows - prows;
      p.w_base = p.act_rows;
    }
    return p;
  };
  // Pixel-major tiles holding a group of `gsz` channel blocks: `gsz` rows per pixel, C channels
  // per row, so one load serves the group (VECTOR reads block ob at in_addr + ob - g0, pitch
  // gsz). The largest group whose tiles still cover full-width bands of a few rows (a band of four
  // output rows, or the band the tiling aims at when smaller): a small scratchpad cannot hold many
  // channels of many pixels.
  const int want_th = std::min(4, (g.oh + kVectorBands - 1) / kVectorBands);
  // Bands of fewer than 2C output pixels spend more on per-pass setup than on streaming.
  const int64_t vec_min_pixels = 2 * int64_t{C};
  auto plan_groups = [&](const SpPlan& p) {
    std::optional<std::pair<int, ActPlan>> best;
    for (int k = static_cast<int>(std::min<int64_t>(nblk, kMaxField8)); k >= 1; --k) {
      // groups a gathering STORE can take keep all their blocks' tile in one accumulator bank
      const bool gatherable = dw && k >= 2 && k <= gen::isa::kParamSets && g.cin % C == 0;
      const auto a =
          try_plan_act(L, g, k, p, true, kVectorBands, vec_min_pixels, gatherable ? k : 1);
      if (!a) continue;
      best = {k, *a};
      if (a->shape.tw == g.ow && a->shape.th >= want_th) break;
    }
    return best;
  };
  bool mirror = dw && dp.sp_banks > 1 && g.kw <= 3 && g.kh > 1 && g.ow < 4096;
  SpPlan sp = layout(mirror);
  auto groups = plan_groups(sp);
  if (!groups && mirror) {  // the mirrored layout leaves too little room: plain tiles
    mirror = false;
    sp = layout(false);
    groups = plan_groups(sp);
  }
  if (!groups) plan_act(L, g, 1, sp, true, kVectorBands);  // names what does not fit
  const int gsz = groups->first;
  const ActPlan ap = groups->second;
  const std::vector<Tile> tiles = make_tiles(L, g, ap.shape);
  const auto ntiles = static_cast<int64_t>(tiles.size());

  AvgDivisor div;
  if (op == VecOp::AvgPool) div = avg_divisor(taps);
  if (op == VecOp::MaxPool) {
    L.load_contig(p_addr, prows * S, S, sp.w_base);
    L.emit(params({.pset = 0, .sp_addr = sp.w_base}));
  }

  SlotCache wc(std::max(1, n_wslots)), ac(ap.slots);
  if (dw && n_wslots >= nblk) {
    // Every block's taps and parameters resident: one LOAD before the first tile.
    for (int ob = 0; ob < nblk; ++ob) wc.get(ob, 0);
    L.load_contig(w_addr, int64_t{nblk} * wslot * S, S, sp.w_base);
  }
  // the depthwise block whose parameters each set holds; sets are taken round robin
  std::array<int, gen::isa::kParamSets> pset_block;
  pset_block.fill(-1);
  int next_pset = 0;
  // Depthwise groups of 2 .. kParamSets full channel blocks on full-width tiles store each tile
  // with one gathering STORE: block k of the group writes accumulator region k of the tile
  // (tile pixels rows each) and the STORE takes element k of every pixel from region k, with
  // parameter set (block mod sets), so a pixel's blocks leave as one DRAM row (one burst)
  // instead of one 16-byte write per block.
  const int64_t max_tile_pix = int64_t{ap.shape.th} * g.ow;
  const bool gather = dw && gsz >= 2 && gsz <= gen::isa::kParamSets && g.cin % C == 0 &&
                      ap.shape.tw == g.ow && gsz * max_tile_pix <= dp.acc_bank_rows &&
                      max_tile_pix <= kMaxRows;
  int64_t step = 0, tile_step = 0;
  for (int g0 = 0; g0 < nblk; g0 += gsz) {
    const int g1 = std::min(nblk, g0 + gsz);
    const int gn = g1 - g0;  // blocks of this group (the last group may be smaller)
    for (size_t ti = 0; ti < tiles.size(); ++ti) {
      const Tile& t = tiles[ti];
      const int64_t tile_acc = (tile_step++ % 2) * dp.acc_bank_rows;
      const int64_t tile_pix = int64_t{t.out_h()} * t.out_w();
      const auto [as, ahit] = ac.get(g0 / gsz * ntiles + static_cast<int64_t>(ti), step);
      const int64_t abase = sp.act_base + as * ap.slot_rows;
      if (!ahit) {
        auto pixels = [&](int64_t p0, int64_t npix, int64_t spa) {
          const uint64_t a = in_addr + static_cast<uint64_t>(p0 * g.cin + int64_t{g0} * C);
          if (gsz == nblk && (g.cin % C == 0 || nblk == 1)) {
            L.load_contig(a, npix * g.cin, std::min(g.cin, C), spa, mirror);
          } else {  // overlapping rows: lanes above cin compute garbage that is never stored
            const int64_t avail = g.cin - int64_t{g0} * C, want = int64_t{gn} * C;
            const bool tail = want > avail && p0 + npix == int64_t{g.n} * g.h * g.w;
            if (!tail) {
              L.load_strided(a, npix, want, g.cin, C, spa, mirror);
            } else {  // the tensor's last pixel: no read past its end (another buffer follows)
              if (npix > 1) L.load_strided(a, npix - 1, want, g.cin, C, spa, mirror);
              const uint64_t al = a + static_cast<uint64_t>((npix - 1) * g.cin);
              const int64_t sl = spa + (npix - 1) * gn, full = avail / C, rem = avail % C;
              if (full > 0) L.load_contig(al, full * C, C, sl, mirror);
              if (rem > 0) L.load_contig(al + static_cast<uint64_t>(full * C), rem, rem, sl + full, mirror);
            }
          }
        };
        if (t.ix0 == 0 && t.ix1 == g.w) {
          pixels((int64_t{t.n} * g.h + t.iy0) * g.w, int64_t{t.in_h()} * g.w, abase);
        } else {
          for (int iy = t.iy0; iy < t.iy1; ++iy) {
            pixels((int64_t{t.n} * g.h + iy) * g.w + t.ix0, t.in_w(),
                   abase + int64_t{iy - t.iy0} * t.in_w() * gn);
          }
        }
      }
      for (int ob = g0; ob < g1; ++ob) {
        const int nb = std::min(C, g.cin - ob * C);
        int64_t wbase = 0;
        int pset = 0;
        if (dw) {
          const auto [ws, whit] = wc.get(ob, step);
          wbase = sp.w_base + ws * wslot;
          if (!whit) {
            L.load_contig(w_addr + static_cast<uint64_t>(ob * wslot * S), wslot * S, S, wbase);
            for (int& b : pset_block)
              if (b == ob) b = -1;  // reloaded: its parameter set must be written again
          }
          const auto held = std::find(pset_block.begin(), pset_block.end(), ob);
          if (gather) {  // the set a gathering STORE gives this block
            pset = ob % gen::isa::kParamSets;
          } else if (held != pset_block.end()) {
            pset = static_cast<int>(held - pset_block.begin());
          } else {
            pset = next_pset;
            next_pset = (next_pset + 1) % gen::isa::kParamSets;
          }
          if (pset_block[static_cast<size_t>(pset)] != ob) {
            pset_block[static_cast<size_t>(pset)] = ob;
            L.emit(params({.pset = pset, .sp_addr = wbase + taps}));
          }
        }
        const int64_t acc =
            gather ? tile_acc + int64_t{ob - g0} * tile_pix : (step % 2) * dp.acc_bank_rows;
        VectorFields vf{.in_addr = abase + ob - g0,
                        .w_addr = wbase,
                        .acc_addr = acc,
                        .pitch = gn,
                        .mirror = mirror,
                        .win = window_of(g, t)};
        StoreFields sf;
        switch (op) {
          case VecOp::Depthwise:
            vf.mode = VectorMode::Dw;
            vf.pad = in_zp;
            sf = {.mode = StoreMode::Requant,
                  .pset = pset,
                  .out_zp = oq->zero_point,
                  .act_min = oq->act_min,
                  .act_max = oq->act_max};
            break;
          case VecOp::MaxPool:
            vf.mode = VectorMode::Max;
            vf.pad = ref::kInt8Min;
            sf = {.mode = StoreMode::Requant,
                  .pset = 0,
                  .out_zp = 0,
                  .act_min = pp->act_min,
                  .act_max = pp->act_max};
            break;
          case VecOp::AvgPool:
            vf.mode = VectorMode::Sum;
            sf = {.mode = StoreMode::Avg,
                  .out_zp = 0,
                  .act_min = pp->act_min,
                  .act_max = pp->act_max,
                  .div_magic = div.magic,
                  .div_half = div.half,
                  .div_shift = div.shift};
            break;
        }
        L.emit(vector(vf));
        if (!gather) store_tile(L, g, t, acc, out_addr, ob, nb, sf);
        ++step;
      }
      if (gather) {
        const StoreFields sf{.mode = StoreMode::Requant,
                             .pset = g0 % gen::isa::kParamSets,
                             .gather = true,
                             .dram_addr = out_addr + static_cast<uint64_t>(
                                                         ((int64_t{t.n} * g.oh + t.oy0) * g.ow) *
                                                             g.cout +
                                                         int64_t{g0} * C),
                             .dram_stride = static_cast<uint64_t>(g.cout),
                             .rows = tile_pix,
                             .row_bytes = int64_t{gn} * C,
                             .acc_addr = tile_acc,
                             .elem_bytes = C,
                             .out_zp = oq->zero_point,
                             .act_min = oq->act_min,
                             .act_max = oq->act_max};
        L.emit(store(sf));
      }
    }
  }
  const ref::Shape4 out_shape{g.n, g.oh, g.ow, g.cout};
  const int32_t out_zp = dw ? oq->zero_point : input.zero_point;
  const uint64_t macs = static_cast<uint64_t>(g.n) * g.oh * g.ow * g.cout * taps;
  return L.finish(out_shape, out_zp, macs);
}

Geom geom_of(const ref::Shape4& in, int kh, int kw, const ref::Window& win, int cout) {
  Geom g;
  g.n = in.n;
  g.h = in.h;
  g.w = in.w;
  g.cin = in.c;
  g.oh = win.out_h;
  g.ow = win.out_w;
  g.cout = cout;
  g.kh = kh;
  g.kw = kw;
  g.sh = win.stride_h;
  g.sw = win.stride_w;
  g.pt = win.pad_top;
  g.pl = win.pad_left;
  return g;
}

void check_window(const Lowering& L, const ref::Window& win) {
  if (win.dilation_h != 1 || win.dilation_w != 1) {
    L.err(fmt::format("dilation {}x{} is not supported (the window has no dilation fields)",
                      win.dilation_h, win.dilation_w));
  }
  if (win.stride_h < 1 || win.stride_w < 1 || win.pad_top < 0 || win.pad_left < 0 ||
      win.out_h < 1 || win.out_w < 1) {
    L.err(fmt::format("window stride {}x{}, padding {}/{}, output {}x{} is not valid", win.stride_h,
                      win.stride_w, win.pad_top, win.pad_left, win.out_h, win.out_w));
  }
}

void check_bias(const Lowering& L, std::span<const int32_t> bias, int cout) {
  if (!bias.empty() && bias.size() != static_cast<size_t>(cout)) {
    L.err(fmt::format("bias has {} entries for {} output channels", bias.size(), cout));
  }
}

void check_oq(const Lowering& L, const ref::OutputQuant& oq, int cout) {
  if (oq.multiplier.size() != oq.shift.size() ||
      (oq.multiplier.size() != 1 && oq.multiplier.size() != static_cast<size_t>(cout))) {
    L.err(fmt::format("{} multipliers / {} shifts for {} output channels (need 1 or {})",
                      oq.multiplier.size(), oq.shift.size(), cout, cout));
  }
}

}  // namespace

// ---- Public lowerings ----

namespace {

// Width fold: an input row of W pixels x C channels becomes one pixel of W*C channels, and output
// channel ox*O + oc holds filter oc shifted to output column ox (zero weights outside its
// window), so the MATMUL sees W*C input channels and OW*O outputs instead of C and O. The output
// bytes {N, OH, 1, OW*O} are exactly NHWC {N, OH, OW, O}, and taps outside the input row simply do
// not exist, which is TFLite's padding (a padded tap contributes zp * w, folded away with the
// rest). Used when the estimate of array passes at least halves (thin inputs: KWS's first layer,
// 1 channel, 10 columns, 10x4 kernel, stride 2) and everything fits.
std::optional<Program> try_width_fold(const DeviceParams& dp, const std::string& name,
                                      const ref::QTensorView& input,
                                      const ref::QTensorView& filter,
                                      std::span<const int32_t> bias, const ref::Window& win,
                                      const ref::OutputQuant& oq, const LowerOptions& opt) {
  const ref::Shape4 in = input.shape;
  const int O = filter.shape.n, KH = filter.shape.h, KW = filter.shape.w, C = filter.shape.c;
  const int64_t plain = int64_t{win.out_h} * win.out_w * KH * KW * ceil_div(C, dp.rows) *
                        ceil_div(O, dp.cols);
  const int64_t folded = int64_t{win.out_h} * KH * ceil_div(int64_t{in.w} * C, dp.rows) *
                         ceil_div(int64_t{win.out_w} * O, dp.cols);
  if (2 * folded >= plain || int64_t{in.w} * C > kMaxField8 * dp.rows) return std::nullopt;
  const int W = in.w, OW = win.out_w, Cf = W * C, Of = OW * O;
  std::vector<int8_t> ff(static_cast<size_t>(Of) * KH * Cf, 0);
  for (int ox = 0; ox < OW; ++ox) {
    for (int oc = 0; oc < O; ++oc) {
      for (int ky = 0; ky < KH; ++ky) {
        for (int kx = 0; kx < KW; ++kx) {
          const int x = ox * win.stride_w - win.pad_left + kx;
          if (x < 0 || x >= W) continue;
          for (int c = 0; c < C; ++c) {
            ff[((static_cast<size_t>(ox) * O + oc) * KH + ky) * Cf + static_cast<size_t>(x) * C +
               c] = filter.data[((static_cast<size_t>(oc) * KH + ky) * KW + kx) * C + c];
          }
        }
      }
    }
  }
  const auto [bf, oqf] = repeat_channels(bias, oq, OW);
  ref::Window wf = win;
  wf.stride_w = 1;
  wf.pad_left = 0;
  wf.out_w = 1;
  try {
    Lowering L(dp, name, "conv2d", opt);
    const Geom g = geom_of({in.n, in.h, 1, Cf}, KH, 1, wf, Of);
    Program p = lower_matmul(L, g, input.data, input.zero_point, ff, bf, oqf,
                             {in.n, win.out_h, win.out_w, O});
    p.layer_macs = static_cast<uint64_t>(in.n) * win.out_h * OW * O * KH * KW * C;
    p.mapping = fmt::format("width folded: {}x{}x{} input as {}x1x{}, {} outputs", in.h, W, C,
                            in.h, Cf, Of);
    return p;
  } catch (const Error&) {
    return std::nullopt;  // does not fit (e.g. the folded weights): lowered as is
  }
}

}  // namespace

Program lower_conv2d(const DeviceParams& dp, const std::string& name, const ref::QTensorView& input,
                     const ref::QTensorView& filter, std::span<const int32_t> bias,
                     const ref::Window& win, const ref::OutputQuant& oq, const LowerOptions& opt) {
  Lowering L(dp, name, "conv2d", opt);
  check_tensor(L, "input", input);
  check_tensor(L, "filter", filter);
  check_window(L, win);
  if (filter.zero_point != 0)
    L.err(fmt::format("filter zero point {} is not 0", filter.zero_point));
  if (filter.shape.c != input.shape.c) {
    L.err(fmt::format("filter depth {} != input depth {} (grouped convolution is not supported)",
                      filter.shape.c, input.shape.c));
  }
  const int cout = filter.shape.n;
  check_bias(L, bias, cout);
  check_oq(L, oq, cout);
  if (auto p = try_width_fold(dp, name, input, filter, bias, win, oq, opt)) return *p;
  const Geom g = geom_of(input.shape, filter.shape.h, filter.shape.w, win, cout);
  return lower_matmul(L, g, input.data, input.zero_point, filter.data, bias, oq,
                      {input.shape.n, win.out_h, win.out_w, cout});
}

Program lower_depthwise_conv2d(const DeviceParams& dp, const std::string& name,
                               const ref::QTensorView& input, const ref::QTensorView& filter,
                               std::span<const int32_t> bias, int depth_multiplier,
                               const ref::Window& win, const ref::OutputQuant& oq,
                               const LowerOptions& opt) {
  Lowering L(dp, name, "depthwise_conv2d", opt);
  check_tensor(L, "input", input);
  check_tensor(L, "filter", filter);
  check_window(L, win);
  if (depth_multiplier != 1) {
    L.err(fmt::format("depth multiplier {} is not supported (only 1)", depth_multiplier));
  }
  if (filter.shape.n != 1 || filter.shape.c != input.shape.c) {
    L.err(fmt::format("filter shape {} does not match input depth {}", ref::to_string(filter.shape),
                      input.shape.c));
  }
  if (filter.zero_point != 0)
    L.err(fmt::format("filter zero point {} is not 0", filter.zero_point));
  check_bias(L, bias, input.shape.c);
  check_oq(L, oq, input.shape.c);
  const Geom g = geom_of(input.shape, filter.shape.h, filter.shape.w, win, input.shape.c);
  return lower_vector(L, g, VecOp::Depthwise, input, filter.data, bias, &oq, nullptr);
}

Program lower_fully_connected(const DeviceParams& dp, const std::string& name,
                              const ref::QTensorView& input, const ref::QTensorView& filter,
                              std::span<const int32_t> bias, const ref::OutputQuant& oq,
                              const LowerOptions& opt) {
  Lowering L(dp, name, "fully_connected", opt);
  check_tensor(L, "input", input);
  check_tensor(L, "filter", filter);
  if (filter.shape.h != 1 || filter.shape.w != 1) {
    L.err(fmt::format("filter shape {} must be Ox1x1xK", ref::to_string(filter.shape)));
  }
  if (filter.zero_point != 0) {
    L.err(
        fmt::format("filter zero point {} is not 0 (the array multiplies raw int8 weights; "
                    "-filter_zp * sum(input) depends on the input and cannot be folded)",
                    filter.zero_point));
  }
  const int k = filter.shape.c, cout = filter.shape.n;
  if (input.data.size() % static_cast<size_t>(k) != 0) {
    L.err(fmt::format("input {} is not a whole number of rows of {}", ref::to_string(input.shape),
                      k));
  }
  const int rows = static_cast<int>(input.data.size() / static_cast<size_t>(k));
  check_bias(L, bias, cout);
  check_oq(L, oq, cout);
  Geom g;
  g.w = rows;
  g.ow = rows;
  g.cin = k;
  g.cout = cout;
  return lower_matmul(L, g, input.data, input.zero_point, filter.data, bias, oq,
                      {rows, 1, 1, cout});
}

Program lower_average_pool2d(const DeviceParams& dp, const std::string& name,
                             const ref::QTensorView& input, const ref::PoolParams& pp,
                             const LowerOptions& opt) {
  Lowering L(dp, name, "average_pool2d", opt);
  check_tensor(L, "input", input);
  check_window(L, pp.window);
  const Geom g = geom_of(input.shape, pp.filter_h, pp.filter_w, pp.window, input.shape.c);
  const int64_t taps = int64_t{g.kh} * g.kw;
  if (taps > 4096) {
    L.err(fmt::format("window {}x{} has {} taps; STORE avg divides exactly only up to 4096", g.kh,
                      g.kw, taps));
  }
  if (g.pt != 0 || g.pl != 0 || (g.oh - 1) * g.sh + g.kh > g.h || (g.ow - 1) * g.sw + g.kw > g.w) {
    L.err(
        fmt::format("windows reach into padding (pad top {}, left {}, {}x{} output of a {}x{} "
                    "input): TFLite divides by the in-bounds tap count, the device by one "
                    "constant; only VALID windows are supported",
                    g.pt, g.pl, g.oh, g.ow, g.h, g.w));
  }
  return lower_vector(L, g, VecOp::AvgPool, input, {}, {}, nullptr, &pp);
}

Program lower_max_pool2d(const DeviceParams& dp, const std::string& name,
                         const ref::QTensorView& input, const ref::PoolParams& pp,
                         const LowerOptions& opt) {
  Lowering L(dp, name, "max_pool2d", opt);
  check_tensor(L, "input", input);
  check_window(L, pp.window);
  const Geom g = geom_of(input.shape, pp.filter_h, pp.filter_w, pp.window, input.shape.c);
  return lower_vector(L, g, VecOp::MaxPool, input, {}, {}, nullptr, &pp);
}

Program lower_add(const DeviceParams& dp, const std::string& name, const ref::QTensorView& a,
                  const ref::QTensorView& b, const ref::AddParams& ap, const LowerOptions& opt) {
  Lowering L(dp, name, "add", opt);
  check_tensor(L, "input1", a);
  check_tensor(L, "input2", b);
  if (!(a.shape == b.shape)) {
    L.err(fmt::format("input shapes {} and {} differ (broadcasting is not supported)",
                      ref::to_string(a.shape), ref::to_string(b.shape)));
  }
  const int C = dp.cols, S = dp.sp_row_bytes;
  const int64_t prows = dp.param_rows();
  for (const auto* qm : {&ap.input1, &ap.input2}) {
    if (qm->multiplier < 0 || qm->shift < -31 || qm->shift > 30) {
      L.err(fmt::format("input multiplier {} / shift {} does not fit the VECTOR scale fields",
                        qm->multiplier, qm->shift));
    }
  }
  if (ap.left_shift < 0 || ap.left_shift > 31) {
    L.err(fmt::format("left shift {} does not fit the lshift field", ap.left_shift));
  }
  // Every lane: bias 0, the output multiplier.
  const std::vector<int32_t> pb(static_cast<size_t>(C), 0),
      pm(static_cast<size_t>(C), ap.output.multiplier);
  const std::vector<int8_t> ps(static_cast<size_t>(C), static_cast<int8_t>(ap.output.shift));
  ref::validate_requant(
      {ap.output.multiplier, ap.output.shift, ap.output_zero_point, ap.act_min, ap.act_max},
      L.label().c_str());
  const std::vector<uint8_t> pbytes = param_block(dp, pb, pm, ps);

  const int64_t total = static_cast<int64_t>(a.data.size());
  const uint64_t a_addr = L.region("input", bytes_of(a.data));
  const uint64_t b_addr = L.region("input2", bytes_of(b.data));
  const uint64_t p_addr = L.region("params", pbytes);
  const uint64_t out_addr = L.region("output", poison(static_cast<size_t>(total)));

  // Flat: C bytes per scratchpad row; a tile of tp rows of each input per slot, two slots.
  const int64_t act_rows = dp.sp_rows - prows;
  const int64_t tp = std::min<int64_t>({dp.acc_bank_rows, act_rows / 4, ceil_div(total, C)});
  if (tp < 1) L.err("the scratchpad holds no tile");
  L.load_contig(p_addr, prows * S, S, act_rows);
  L.emit(params({.pset = 0, .sp_addr = act_rows}));
  int64_t step = 0;
  for (int64_t off = 0; off < total; off += tp * C, ++step) {
    const int64_t nbytes = std::min(tp * C, total - off);
    const int64_t npix = ceil_div(nbytes, C);
    const int64_t abase = (step % 2) * 2 * tp, bbase = abase + tp;
    L.load_contig(a_addr + static_cast<uint64_t>(off), nbytes, C, abase);
    L.load_contig(b_addr + static_cast<uint64_t>(off), nbytes, C, bbase);
    const int64_t acc = (step % 2) * dp.acc_bank_rows;
    const WindowFields win{.in_h = 1, .in_w = npix, .out_h = 1, .out_w = npix};
    L.emit(vector({.mode = VectorMode::Scale,
                   .in_addr = abase,
                   .acc_addr = acc,
                   .win = win,
                   .offset = -a.zero_point,
                   .lshift = ap.left_shift,
                   .shift = ap.input1.shift,
                   .mult = static_cast<uint64_t>(ap.input1.multiplier)}));
    L.emit(vector({.mode = VectorMode::Scale,
                   .accumulate = true,
                   .in_addr = bbase,
                   .acc_addr = acc,
                   .win = win,
                   .offset = -b.zero_point,
                   .lshift = ap.left_shift,
                   .shift = ap.input2.shift,
                   .mult = static_cast<uint64_t>(ap.input2.multiplier)}));
    L.store_contig({.mode = StoreMode::Requant,
                    .pset = 0,
                    .out_zp = ap.output_zero_point,
                    .act_min = ap.act_min,
                    .act_max = ap.act_max},
                   acc, out_addr + static_cast<uint64_t>(off), nbytes, C);
  }
  return L.finish(a.shape, ap.output_zero_point, 0);
}

// ---- Average-pool divisor ----

AvgDivisor avg_divisor(int count) {
  if (count < 1 || count > 4096) fail("avg_divisor: window count {} outside 1..4096", count);
  // Claim: with L = ceil(log2 count), s = 20 + L, m = ceil(2^s / count), e = m * count - 2^s
  // (0 <= e < count <= 2^L), every n < 2^20 has floor(n * m / 2^s) = floor(n / count).
  // Proof: write n = q * count + r (0 <= r < count). n * m / 2^s = n / count + n * e / (count 2^s)
  // = q + (r + n * e / 2^s) / count. Since n * e < 2^20 * 2^L = 2^s, the second term is
  // (r + f) / count with 0 <= f < 1 and r <= count - 1, so it lies in [0, 1): the floor is q.
  // m <= 2^s / count + 1 <= 2^21 + 1 fits 32 bits; s <= 32 fits the 6-bit field.
  int lg = 0;
  while ((int64_t{1} << lg) < count) ++lg;
  const int s = 20 + lg;
  const uint64_t two_s = uint64_t{1} << s;
  const uint64_t m = (two_s + static_cast<uint64_t>(count) - 1) / static_cast<uint64_t>(count);
  const uint64_t e = m * static_cast<uint64_t>(count) - two_s;
  // Verify the premises, then the worst case of every quotient (r = count - 1) exhaustively.
  if (e >= static_cast<uint64_t>(count) || ((uint64_t{1} << 20) - 1) * e >= two_s ||
      m > std::numeric_limits<uint32_t>::max()) {
    fail("avg_divisor: internal: reciprocal of {} does not satisfy the exactness bound", count);
  }
  const auto c = static_cast<uint64_t>(count);
  for (uint64_t q = 0; q * c < (uint64_t{1} << 20); ++q) {
    for (uint64_t n : {q * c, std::min(q * c + c - 1, (uint64_t{1} << 20) - 1)}) {
      if ((n * m) >> s != n / c) {
        fail("avg_divisor: internal: reciprocal of {} is wrong at n = {}", count, n);
      }
    }
  }
  return {static_cast<uint32_t>(m), s, count / 2};
}

// ---- Programs ----

const Region& Program::region(std::string_view region_name) const {
  for (const Region& r : regions)
    if (r.name == region_name) return r;
  fail("program '{}': no region '{}'", name, region_name);
}

void write_command_region(Program& p) {
  const std::vector<uint8_t> bytes = to_bytes(p.commands);
  auto it = std::find_if(p.regions.begin(), p.regions.end(),
                         [](const Region& r) { return r.name == "commands"; });
  if (it != p.regions.end() && it + 1 != p.regions.end()) {
    fail("program '{}': the commands region must be the last region", p.name);
  }
  if (it == p.regions.end()) {  // after everything else, slack included
    p.regions.push_back({"commands", p.dram_base + round_up(p.dram.size(), kAlign), 0});
    it = p.regions.end() - 1;
  }
  it->size = bytes.size();
  const uint64_t off = it->addr - p.dram_base;
  p.dram.resize(std::max<uint64_t>(p.dram.size(), round_up(off + bytes.size(), kAlign)), 0);
  std::copy(bytes.begin(), bytes.end(), p.dram.begin() + static_cast<ptrdiff_t>(off));
}

void set_matmul_skip(Program& p, bool skip) {
  const auto& mm = gen::isa::command("MATMUL");
  const auto& f = gen::isa::field(mm, "skip");
  for (auto& c : p.commands) {
    if (find_spec(c) == &mm) put_field(c, mm.name, f, skip ? 1 : 0);
  }
  write_command_region(p);
}

RefDevice make_device(const DeviceParams& dp, const Program& p) {
  RefDevice dev(dp, p.dram_base, p.dram.size());
  dev.write(p.dram_base, p.dram);
  dev.set_window(p.window_base(), p.window_limit());
  return dev;
}

ref::QTensor output_from_bytes(const Program& p, std::span<const uint8_t> bytes) {
  const Region& r = p.region("output");
  if (bytes.size() != r.size || r.size != p.output_shape.elements()) {
    fail("program '{}': {} output bytes for an output region of {} ({} elements of shape {})",
         p.name, bytes.size(), r.size, p.output_shape.elements(), ref::to_string(p.output_shape));
  }
  ref::QTensor t;
  t.shape = p.output_shape;
  t.zero_point = p.output_zero_point;
  t.data.resize(bytes.size());
  std::transform(bytes.begin(), bytes.end(), t.data.begin(),
                 [](uint8_t b) { return static_cast<int8_t>(b); });
  return t;
}

ProgramRun run_program(const DeviceParams& dp, const Program& p, uint64_t seed,
                       const RunOptions& opt) {
  RefDevice dev = make_device(dp, p);
  ProgramRun r;
  r.result = dev.run(p.commands, seed, opt);
  const Region& out = p.region("output");
  r.output = output_from_bytes(p, dev.read(out.addr, out.size));
  return r;
}

}  // namespace tsr::dev

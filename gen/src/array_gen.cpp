#include "tessera/gen/array_gen.h"

#include <fmt/format.h>

namespace tsr::gen {

using namespace ir;

namespace {

using ParamMap = std::map<std::string, int64_t>;

int p(const ParamMap& m, const char* name) { return static_cast<int>(m.at(name)); }

Port in(const std::string& name, int width = 1) { return Port{name, Dir::In, width, ""}; }
Port out(const std::string& name, int width = 1) { return Port{name, Dir::Out, width, ""}; }

// Small helper that keeps the builder code readable.
class Builder {
 public:
  // clock_gate: delay lines of 3 or more bits run on a gated clock (config array.clock_gate)
  Builder(Module& m, bool clock_gate) : m_(m), clock_gate_(clock_gate) {}
  ExprRef net(const std::string& name, int width, const std::string& comment = "") {
    m_.nets.push_back(Net{name, width, comment});
    return ir::ref(name);
  }
  void assign(ExprRef lhs, ExprRef rhs, const std::string& comment = "") {
    m_.assigns.push_back(Assign{std::move(lhs), std::move(rhs), comment});
  }
  Instance& inst(const std::string& module, const std::string& name,
                 std::vector<std::pair<std::string, int64_t>> params, std::vector<Conn> conns,
                 const std::string& comment = "") {
    m_.instances.push_back(Instance{module, name, std::move(params), std::move(conns), comment});
    return m_.instances.back();
  }
  // A delay line of `depth` cycles; depth 0 becomes a plain assignment.
  void delay(const std::string& name, int width, int depth, bool reset, ExprRef d, ExprRef q,
             const std::string& comment = "") {
    if (depth == 0) {
      assign(q, d, comment);
      return;
    }
    const int cg = clock_gate_ && width * depth >= 3 ? 1 : 0;  // a gate outweighs 2 hold muxes
    inst("tsr_delay", name,
         {{"Width", width}, {"Depth", depth}, {"Reset", reset ? 1 : 0}, {"ClkGate", cg}},
         {{"clk_i", ir::ref("clk_i")}, {"rst_ni", ir::ref("rst_ni")}, {"en_i", ir::ref("en")}, {"d_i", d},
          {"q_o", q}},
         comment);
  }

 private:
  Module& m_;
  bool clock_gate_;
};

// Width of a weight index into the Depth weights of a skip PE (as the leaves compute it).
int sel_width(int depth) {
  int w = 0;
  while ((1 << w) < depth) ++w;
  return depth > 1 ? w : 1;
}

std::string rc(const char* stem, int r, int c) { return fmt::format("{}_r{}_c{}", stem, r, c); }

// The array's output stage, shared by every array flavour: column c's bottom result (bot_c<c>)
// is delayed C-1-c cycles (de-skew, res_c<c>), and out_valid pushes the row of results into the
// output FIFO, whose registered full flag is the array's stall (en).
void output_stage(Builder& b, const AccelConfig& cfg) {
  const int C = cfg.cols, AW = AccelConfig::kAccBits;
  for (int c = 0; c < C; ++c) {
    b.delay(fmt::format("u_deskew_c{}", c), AW, C - 1 - c, false,
            ir::ref(fmt::format("bot_c{}", c)), ir::ref(fmt::format("res_c{}", c)),
            c == 0 ? "Output de-skew: column c is delayed C-1-c cycles." : "");
  }
  std::vector<ExprRef> lanes;
  for (int c = C - 1; c >= 0; --c) lanes.push_back(ir::ref(fmt::format("res_c{}", c)));
  b.inst("tsr_fifo", "u_out_fifo", {{"Width", cfg.c_width}, {"Depth", AccelConfig::kOutFifoDepth}},
         {{"clk_i", ir::ref("clk_i")},
          {"rst_ni", ir::ref("rst_ni")},
          {"push_valid_i", op2(Op::LogAnd, ir::ref("out_valid"), ir::ref("en"))},
          {"push_ready_o", ir::ref("unused_fifo_ready")},
          {"push_data_i", lanes.size() == 1 ? lanes[0] : concat(lanes)},
          {"pop_valid_o", ir::ref("c_valid_o")},
          {"pop_ready_i", ir::ref("c_ready_i")},
          {"pop_data_o", ir::ref("c_data_o")},
          {"full_o", ir::ref("fifo_full")}},
         "Output FIFO: its registered full flag is the array's stall.");
}

ExprRef lane(const std::string& bus, int index, int width) {
  return slice(ir::ref(bus), index * width + width - 1, index * width);
}

}  // namespace

// Ports of tsr_accel, which tsr_top repeats one for one.
std::vector<Port> accel_ports(int bus_bytes) {
  return {in("clk_i"), in("rst_ni"), out("irq_o"), out("unit_state_o", 8),
          in("s_awvalid_i"), out("s_awready_o"), in("s_awaddr_i", 12),
          in("s_wvalid_i"), out("s_wready_o"), in("s_wdata_i", 32), in("s_wstrb_i", 4),
          out("s_bvalid_o"), in("s_bready_i"), out("s_bresp_o", 2),
          in("s_arvalid_i"), out("s_arready_o"), in("s_araddr_i", 12),
          out("s_rvalid_o"), in("s_rready_i"), out("s_rdata_o", 32), out("s_rresp_o", 2),
          out("m_arvalid_o"), in("m_arready_i"), out("m_araddr_o", 32), out("m_arlen_o", 8),
          out("m_arsize_o", 3), out("m_arburst_o", 2),
          in("m_rvalid_i"), out("m_rready_o"), in("m_rdata_i", 8 * bus_bytes),
          in("m_rresp_i", 2), in("m_rlast_i"),
          out("m_awvalid_o"), in("m_awready_i"), out("m_awaddr_o", 32), out("m_awlen_o", 8),
          out("m_awsize_o", 3), out("m_awburst_o", 2),
          out("m_wvalid_o"), in("m_wready_i"), out("m_wdata_o", 8 * bus_bytes),
          out("m_wstrb_o", bus_bytes), out("m_wlast_o"),
          in("m_bvalid_i"), out("m_bready_o"), in("m_bresp_i", 2)};
}

std::vector<ExternModule> leaf_modules() {
  std::vector<ExternModule> v;
  v.push_back({"tsr_accel",
               {{"Rows", 4}, {"Cols", 4}, {"RowBytes", 4}, {"SpBankRows", 256}, {"SpBanks", 2},
                {"AccBankRows", 64}, {"BusBytes", 8}, {"Hash", 0}, {"HasCore", 0},
                {"CoreMExt", 1}, {"CoreImemKib", 16}, {"CoreDmemKib", 16}, {"CoreClkDiv", 1},
                {"SkipDepth", 0}, {"DwLinePx", 0}},
               [](const ParamMap& m) { return accel_ports(p(m, "BusBytes")); }});
  v.push_back({"tsr_delay", {{"Width", 8}, {"Depth", 1}, {"Reset", 0}, {"ClkGate", 0}},
               [](const ParamMap& m) {
                 return std::vector<Port>{in("clk_i"), in("rst_ni"), in("en_i"),
                                          in("d_i", p(m, "Width")), out("q_o", p(m, "Width"))};
               }});
  v.push_back({"tsr_fifo", {{"Width", 32}, {"Depth", 2}}, [](const ParamMap& m) {
                 return std::vector<Port>{in("clk_i"),         in("rst_ni"),
                                          in("push_valid_i"),  out("push_ready_o"),
                                          in("push_data_i", p(m, "Width")),
                                          out("pop_valid_o"),  in("pop_ready_i"),
                                          out("pop_data_o", p(m, "Width")), out("full_o")};
               }});
  v.push_back({"tsr_pe_ws", {{"InW", 8}, {"AccW", 32}, {"ClkGate", 0}}, [](const ParamMap& m) {
                 const int iw = p(m, "InW"), aw = p(m, "AccW");
                 return std::vector<Port>{in("clk_i"),     in("rst_ni"),     in("en_i"),
                                          in("a_i", iw),   in("a_valid_i"),  in("a_bank_i"),
                                          out("a_o", iw),  out("a_valid_o"), out("a_bank_o"),
                                          in("w_i", iw),   in("w_shift_i"),  in("w_bank_i"),
                                          out("w_o", iw),  in("psum_i", aw), out("psum_o", aw)};
               }});
  v.push_back({"tsr_pe_os", {{"InW", 8}, {"AccW", 32}, {"ClkGate", 0}}, [](const ParamMap& m) {
                 const int iw = p(m, "InW"), aw = p(m, "AccW");
                 return std::vector<Port>{in("clk_i"),     in("rst_ni"),     in("en_i"),
                                          in("a_i", iw),   in("a_valid_i"),  in("a_flip_i"),
                                          out("a_o", iw),  out("a_valid_o"), out("a_flip_o"),
                                          in("b_i", iw),   out("b_o", iw),   in("chain_i", aw),
                                          out("chain_o", aw), out("out_o", aw)};
               }});
  v.push_back({"tsr_ws_ctrl", {{"Rows", 4}, {"Cols", 4}}, [](const ParamMap&) {
                 return std::vector<Port>{in("clk_i"),     in("rst_ni"),      in("en_i"),
                                          in("a_valid_i"), in("a_last_i"),    out("a_ready_o"),
                                          in("b_valid_i"), out("b_ready_o"),  out("arr_valid_o"),
                                          out("arr_bank_o"), out("w_shift_o"), out("w_bank_o")};
               }});
  v.push_back({"tsr_pe_ws_skip",
               {{"InW", 8}, {"AccW", 32}, {"Depth", 2}, {"Fifo", 2}, {"Gate", 1}, {"ClkGate", 0}},
               [](const ParamMap& m) {
                 const int iw = p(m, "InW"), aw = p(m, "AccW"), sw = sel_width(p(m, "Depth"));
                 return std::vector<Port>{
                     in("clk_i"),         in("rst_ni"),         in("en_i"),
                     in("a_i", iw + 1),   in("sel_i", sw),      in("bank_i"),
                     in("v_i"),           in("first_i"),        in("last_i"),
                     in("nz_i"),          out("a_o", iw + 1),   out("sel_o", sw),
                     out("bank_o"),       out("v_o"),           out("first_o"),
                     out("last_o"),       out("nz_o"),          in("w_i", iw),
                     in("w_shift_i"),     in("w_bank_i"),       out("w_o", iw),
                     in("psum_i", aw),    in("pop_i"),          out("psum_o", aw)};
               }});
  v.push_back({"tsr_ws_skip_ctrl",
               {{"Rows", 2}, {"Cols", 2}, {"Depth", 2}, {"Fifo", 2}, {"InFifo", 4}, {"Gate", 1}},
               [](const ParamMap& m) {
                 const int r = p(m, "Rows"), d = p(m, "Depth"), sw = sel_width(d);
                 return std::vector<Port>{
                     in("clk_i"),          in("rst_ni"),          in("en_i"),
                     in("skip_en_i"),      in("zp_i", 8),         in("a_valid_i"),
                     in("a_last_i"),       in("a_data_i", 8 * d * r), out("a_ready_o"),
                     in("b_valid_i"),      out("b_ready_o"),      out("w_shift_o"),
                     out("w_bank_o"),      out("st_a_o", 9 * r),  out("st_sel_o", sw * r),
                     out("st_bank_o", r),  out("st_v_o", r),      out("st_first_o", r),
                     out("st_last_o", r),  out("st_nz_o", r),     out("out_issue_o"),
                     out("cnt_skip_o", 32), out("cnt_gated_o", 32), out("cnt_active_o", 32)};
               }});
  v.push_back({"tsr_os_ctrl", {{"Rows", 4}, {"AW", 32}, {"BW", 32}}, [](const ParamMap& m) {
                 const int aw = p(m, "AW"), bw = p(m, "BW");
                 return std::vector<Port>{in("clk_i"),          in("rst_ni"),
                                          in("en_i"),           in("a_valid_i"),
                                          in("a_last_i"),       in("a_data_i", aw),
                                          out("a_ready_o"),     in("b_valid_i"),
                                          in("b_data_i", bw),   out("b_ready_o"),
                                          out("step_valid_o"),  out("step_flip_o"),
                                          out("step_emit_o"),   out("step_a_o", aw),
                                          out("step_b_o", bw)};
               }});
  return v;
}

std::vector<std::string> leaf_files(const AccelConfig& cfg) {
  if (cfg.skip_enable && !cfg.has_top()) {
    return {"tsr_clk_gate", "tsr_delay", "tsr_fifo", "tsr_pe_ws_skip", "tsr_ws_skip_ctrl"};
  }
  if (cfg.dataflow == Dataflow::WeightStationary) {
    const char* pe = cfg.skip_enable ? "tsr_pe_ws_skip" : "tsr_pe_ws";
    const char* ctrl = cfg.skip_enable ? "tsr_ws_skip_ctrl" : "tsr_ws_ctrl";
    return {"tsr_clk_gate", "tsr_delay",     "tsr_fifo",    pe,            ctrl,
            "tsr_sram_1r1w",
            "tsr_spad",     "tsr_acc_mem",   "tsr_acc_banks", "tsr_divu",  "tsr_requant",
            "tsr_post_lane", "tsr_unit_seq", "tsr_dma_agen", "tsr_dma_rd", "tsr_dma_wr",
            "tsr_ld",       "tsr_ex",        "tsr_st",      "tsr_fetch",   "tsr_csr",
            "tsr_core_muldiv", "tsr_core",  "tsr_core_bus", "tsr_accel"};
  }
  return {"tsr_clk_gate", "tsr_delay", "tsr_fifo", "tsr_pe_os", "tsr_os_ctrl"};
}

namespace {

// The row-elastic weight-stationary array (skip.enable): tsr_ws_skip_ctrl drives column 0 of every
// row, steps travel right one column per cycle, psum FIFOs sit in the PEs; docs/skip.md.
ir::Design build_skip_array(const AccelConfig& cfg) {
  const int R = cfg.rows, C = cfg.cols, D = cfg.skip_depth;
  const int IW = AccelConfig::kInBits, AW = AccelConfig::kAccBits, SW = sel_width(D);

  Module m;
  m.name = "tsr_array";
  m.comment = fmt::format(
      "{}x{} int8 systolic array, weight-stationary, row-elastic zero skipping (depth {}).\n"
      "a: one pixel per beat, {} x int8, lane j*{}+r = K index k0+j*{}+r (row r, weight j); "
      "a_zp_i: its zero point.\n"
      "b: weight rows, {} beats fill a tile, the first beat lands in the bottom row's last stage;\n"
      "c: int32 results sum((a - zp) * w), lane c = bits [32c+31:32c]. See docs/skip.md.",
      R, C, D, D * R, R, R, D * R);
  m.ports = {
      Port{"clk_i", Dir::In, 1, ""},
      Port{"rst_ni", Dir::In, 1, "asynchronous, active low"},
      Port{"skip_en_i", Dir::In, 1, "1: skip zero activations; 0: dense (every step issued)"},
      Port{"a_zp_i", Dir::In, IW, "activation zero point; constant while beats are in flight"},
      Port{"a_valid_i", Dir::In, 1, ""},
      Port{"a_ready_o", Dir::Out, 1, ""},
      Port{"a_last_i", Dir::In, 1, "last beat of a tile"},
      Port{"a_data_i", Dir::In, cfg.a_width, fmt::format("{} x int8", D * R)},
      Port{"b_valid_i", Dir::In, 1, ""},
      Port{"b_ready_o", Dir::Out, 1, ""},
      Port{"b_data_i", Dir::In, cfg.b_width, fmt::format("{} x int8", C)},
      Port{"c_valid_o", Dir::Out, 1, ""},
      Port{"c_ready_i", Dir::In, 1, ""},
      Port{"c_data_o", Dir::Out, cfg.c_width, fmt::format("{} x int32", C)},
      Port{"cnt_skip_o", Dir::Out, 32, "row-steps skipped (wrapping)"},
      Port{"cnt_gated_o", Dir::Out, 32, "PE MACs gated: zero-operand steps x C (wrapping)"},
      Port{"cnt_active_o", Dir::Out, 32, "array cycles: cycles in which a row issues a step (wrapping)"},
  };
  Builder b(m, cfg.clock_gate);
  b.net("en", 1, "The whole array advances as one pipeline while the output FIFO has room.");
  b.net("fifo_full", 1);
  b.net("out_valid", 1);
  b.net("out_issue", 1);
  b.net("unused_fifo_ready", 1);
  b.assign(ir::ref("en"), op1(Op::LogNot, ir::ref("fifo_full")));
  b.net("w_shift", 1);
  b.net("w_bank", 1);
  const std::vector<std::pair<const char*, int>> step_fields = {
      {"a", IW + 1}, {"sel", SW}, {"bk", 1}, {"v", 1}, {"fi", 1}, {"la", 1}, {"nz", 1}};
  for (const auto& [f, w] : step_fields) b.net(fmt::format("st_{}", f), w * R);
  b.inst("tsr_ws_skip_ctrl", "u_ctrl",
         {{"Rows", R}, {"Cols", C}, {"Depth", D}, {"Fifo", cfg.skip_psum_fifo},
          {"InFifo", cfg.skip_row_fifo}, {"Gate", cfg.skip_gate ? 1 : 0}},
         {{"clk_i", ir::ref("clk_i")},          {"rst_ni", ir::ref("rst_ni")},
          {"en_i", ir::ref("en")},              {"skip_en_i", ir::ref("skip_en_i")},
          {"zp_i", ir::ref("a_zp_i")},          {"a_valid_i", ir::ref("a_valid_i")},
          {"a_last_i", ir::ref("a_last_i")},    {"a_data_i", ir::ref("a_data_i")},
          {"a_ready_o", ir::ref("a_ready_o")},  {"b_valid_i", ir::ref("b_valid_i")},
          {"b_ready_o", ir::ref("b_ready_o")},  {"w_shift_o", ir::ref("w_shift")},
          {"w_bank_o", ir::ref("w_bank")},      {"st_a_o", ir::ref("st_a")},
          {"st_sel_o", ir::ref("st_sel")},      {"st_bank_o", ir::ref("st_bk")},
          {"st_v_o", ir::ref("st_v")},          {"st_first_o", ir::ref("st_fi")},
          {"st_last_o", ir::ref("st_la")},      {"st_nz_o", ir::ref("st_nz")},
          {"out_issue_o", ir::ref("out_issue")}, {"cnt_skip_o", ir::ref("cnt_skip_o")},
          {"cnt_gated_o", ir::ref("cnt_gated_o")}, {"cnt_active_o", ir::ref("cnt_active_o")}},
         "Row FIFOs, per-row step sequencers, weight double buffering, counters.");

  // ---- per-PE nets: steps move right, weights and partial sums move down ---------------------
  for (int r = 0; r < R; ++r) {
    for (int c = 0; c <= C; ++c) {
      const std::string pre = c == C ? "unused_" : "";
      for (const auto& [f, w] : step_fields) {
        b.net(pre + rc(f, r, c), w, (c == 0 && std::string(f) == "a") ? fmt::format("Row {}", r) : "");
      }
    }
    for (const auto& [f, w] : step_fields) {
      b.assign(ir::ref(rc(f, r, 0)), slice(ir::ref(fmt::format("st_{}", f)), w * r + w - 1, w * r),
               r == 0 && std::string(f) == "a" ? "Column 0: the row sequencers' steps." : "");
    }
  }
  for (int c = 0; c < C; ++c) {
    for (int r = 0; r <= R; ++r) {
      b.net((r == R ? "unused_" : "") + rc("w", r, c), IW, r == 0 ? fmt::format("Column {}", c) : "");
      if (r > 0 && r < R) b.net(rc("p", r, c), AW);
      if (r < R - 1) b.net(rc("pop", r, c), 1);
    }
    b.assign(ir::ref(rc("w", 0, c)), lane("b_data_i", c, IW),
             c == 0 ? "Weight rows enter the top of every column." : "");
    b.net(fmt::format("bot_c{}", c), AW);
    b.net(fmt::format("res_c{}", c), AW);
  }

  for (int r = 0; r < R; ++r) {
    for (int c = 0; c < C; ++c) {
      const std::string right = (c + 1 == C) ? "unused_" : "";
      std::vector<Conn> conns = {{"clk_i", ir::ref("clk_i")}, {"rst_ni", ir::ref("rst_ni")},
                                 {"en_i", ir::ref("en")}};
      const char* in_ports[] = {"a_i", "sel_i", "bank_i", "v_i", "first_i", "last_i", "nz_i"};
      const char* out_ports[] = {"a_o", "sel_o", "bank_o", "v_o", "first_o", "last_o", "nz_o"};
      for (size_t i = 0; i < step_fields.size(); ++i) {
        conns.push_back({in_ports[i], ir::ref(rc(step_fields[i].first, r, c))});
        conns.push_back({out_ports[i], ir::ref(right + rc(step_fields[i].first, r, c + 1))});
      }
      if (r + 1 < R) {
        // The first step of the PE below pops this PE's psum FIFO.
        b.assign(ir::ref(rc("pop", r, c)),
                 op2(Op::LogAnd, ir::ref(rc("v", r + 1, c)), ir::ref(rc("fi", r + 1, c))));
      }
      conns.insert(conns.end(), {
          {"w_i", ir::ref(rc("w", r, c))},
          {"w_shift_i", ir::ref("w_shift")},
          {"w_bank_i", ir::ref("w_bank")},
          {"w_o", ir::ref((r + 1 == R ? "unused_" : "") + rc("w", r + 1, c))},
          {"psum_i", r == 0 ? lit(AW, 0) : ir::ref(rc("p", r, c))},
          {"pop_i", r + 1 == R ? lit(1, 0) : ir::ref(rc("pop", r, c))},
          {"psum_o", r + 1 == R ? ir::ref(fmt::format("bot_c{}", c)) : ir::ref(rc("p", r + 1, c))},
      });
      b.inst("tsr_pe_ws_skip", fmt::format("u_pe_r{}_c{}", r, c),
             {{"InW", IW}, {"AccW", AW}, {"Depth", D}, {"Fifo", r + 1 == R ? 1 : cfg.skip_psum_fifo},
              {"Gate", cfg.skip_gate ? 1 : 0}, {"ClkGate", cfg.clock_gate ? 1 : 0}},
             std::move(conns));
    }
  }

  // ---- output: the bottom row's last step reaches column c c cycles later; de-skew; FIFO -------
  b.delay("u_out_delay", 1, C, true, ir::ref("out_issue"), ir::ref("out_valid"),
          "Output valid: the bottom row's last step, delayed to the de-skewed last column.");
  output_stage(b, cfg);

  Design d;
  d.modules.push_back(std::move(m));
  if (cfg.has_top()) d.modules.push_back(build_top(cfg));
  d.externs = leaf_modules();
  return d;
}

}  // namespace

ir::Design build_array(const AccelConfig& cfg) {
  if (cfg.skip_enable) return build_skip_array(cfg);
  const int R = cfg.rows, C = cfg.cols;
  const int IW = AccelConfig::kInBits, AW = AccelConfig::kAccBits;
  const bool ws = cfg.dataflow == Dataflow::WeightStationary;

  Module m;
  m.name = "tsr_array";
  m.comment = fmt::format(
      "{}x{} int8 systolic array, {} dataflow.\n"
      "a: {} (lane r = bits [8r+7:8r]); b: {} (lane c = bits [8c+7:8c]);\n"
      "c: int32 results, lane c = bits [32c+31:32c]. See docs/architecture.md for the protocol.",
      R, C, ws ? "weight-stationary" : "output-stationary",
      ws ? "activation vectors, one per result row" : "A columns (one k step of R rows)",
      ws ? "weight rows, R beats fill a tile, the first beat lands in the bottom row"
         : "B rows (one k step of C columns), consumed together with a");
  m.ports = {
      Port{"clk_i", Dir::In, 1, ""},
      Port{"rst_ni", Dir::In, 1, "asynchronous, active low"},
      Port{"a_valid_i", Dir::In, 1, ""},
      Port{"a_ready_o", Dir::Out, 1, ""},
      Port{"a_last_i", Dir::In, 1, "last beat of a tile"},
      Port{"a_data_i", Dir::In, cfg.a_width, fmt::format("{} x int8", R)},
      Port{"b_valid_i", Dir::In, 1, ""},
      Port{"b_ready_o", Dir::Out, 1, ""},
      Port{"b_data_i", Dir::In, cfg.b_width, fmt::format("{} x int8", C)},
      Port{"c_valid_o", Dir::Out, 1, ""},
      Port{"c_ready_i", Dir::In, 1, ""},
      Port{"c_data_o", Dir::Out, cfg.c_width, fmt::format("{} x int32", C)},
  };
  Builder b(m, cfg.clock_gate);

  b.net("en", 1, "The whole array advances as one pipeline while the output FIFO has room.");
  b.net("fifo_full", 1);
  b.net("out_valid", 1);
  b.net("unused_fifo_ready", 1);
  b.assign(ir::ref("en"), op1(Op::LogNot, ir::ref("fifo_full")));

  // ---- controller -------------------------------------------------------------------------
  if (ws) {
    b.net("arr_valid", 1);
    b.net("arr_bank", 1);
    b.net("w_shift", 1);
    b.net("w_bank", 1);
    b.inst("tsr_ws_ctrl", "u_ctrl", {{"Rows", R}, {"Cols", C}},
           {{"clk_i", ir::ref("clk_i")},         {"rst_ni", ir::ref("rst_ni")},
            {"en_i", ir::ref("en")},             {"a_valid_i", ir::ref("a_valid_i")},
            {"a_last_i", ir::ref("a_last_i")},   {"a_ready_o", ir::ref("a_ready_o")},
            {"b_valid_i", ir::ref("b_valid_i")}, {"b_ready_o", ir::ref("b_ready_o")},
            {"arr_valid_o", ir::ref("arr_valid")}, {"arr_bank_o", ir::ref("arr_bank")},
            {"w_shift_o", ir::ref("w_shift")},   {"w_bank_o", ir::ref("w_bank")}},
           "Weight double buffering and stream handshakes.");
  } else {
    b.net("step_valid", 1);
    b.net("step_flip", 1);
    b.net("step_emit", 1);
    b.net("step_a", cfg.a_width);
    b.net("step_b", cfg.b_width);
    b.inst("tsr_os_ctrl", "u_ctrl", {{"Rows", R}, {"AW", cfg.a_width}, {"BW", cfg.b_width}},
           {{"clk_i", ir::ref("clk_i")},          {"rst_ni", ir::ref("rst_ni")},
            {"en_i", ir::ref("en")},              {"a_valid_i", ir::ref("a_valid_i")},
            {"a_last_i", ir::ref("a_last_i")},    {"a_data_i", ir::ref("a_data_i")},
            {"a_ready_o", ir::ref("a_ready_o")},  {"b_valid_i", ir::ref("b_valid_i")},
            {"b_data_i", ir::ref("b_data_i")},    {"b_ready_o", ir::ref("b_ready_o")},
            {"step_valid_o", ir::ref("step_valid")}, {"step_flip_o", ir::ref("step_flip")},
            {"step_emit_o", ir::ref("step_emit")}, {"step_a_o", ir::ref("step_a")},
            {"step_b_o", ir::ref("step_b")}},
           "Joins A and B steps, flips tiles, drains results, marks real outputs.");
  }

  // ---- per-PE nets --------------------------------------------------------------------------
  for (int r = 0; r < R; ++r) {
    for (int c = 0; c <= C; ++c) {
      const bool edge = c == C;  // leaves the rightmost column: unused
      const std::string pre = edge ? "unused_" : "";
      b.net(pre + rc("a", r, c), IW, c == 0 ? fmt::format("Row {}", r) : "");
      b.net(pre + rc("av", r, c), 1);
      b.net(pre + rc(ws ? "ab" : "af", r, c), 1);
    }
  }
  for (int c = 0; c < C; ++c) {
    for (int r = 0; r <= R; ++r) {
      const bool edge = r == R;
      const std::string pre = edge ? "unused_" : "";
      if (ws) {
        b.net(pre + rc("w", r, c), IW, r == 0 ? fmt::format("Column {}", c) : "");
        if (r > 0 && r < R) b.net(rc("p", r, c), AW);
      } else {
        b.net(pre + rc("b", r, c), IW, r == 0 ? fmt::format("Column {}", c) : "");
        if (r > 0) b.net(r == R ? "unused_" + rc("ch", r, c) : rc("ch", r, c), AW);
        if (r < R - 1) b.net("unused_" + rc("out", r, c), AW);
      }
    }
    b.net(fmt::format("res_c{}", c), AW);
  }

  // ---- input skew: row r enters r cycles late, column c (OS B side) c cycles late ----------
  for (int r = 0; r < R; ++r) {
    const std::string nm = fmt::format("u_skew_a_r{}", r);
    const ExprRef src = lane(ws ? "a_data_i" : "step_a", r, IW);
    b.delay(nm, IW, r, false, src, ir::ref(rc("a", r, 0)),
            r == 0 ? "Input skew: row r is delayed r cycles." : "");
    const ExprRef ctl_src = ws ? concat({ir::ref("arr_bank"), ir::ref("arr_valid")})
                               : concat({ir::ref("step_flip"), ir::ref("step_valid")});
    const ExprRef ctl_dst = concat({ir::ref(rc(ws ? "ab" : "af", r, 0)), ir::ref(rc("av", r, 0))});
    if (r == 0) {
      b.assign(ir::ref(rc("av", 0, 0)), ir::ref(ws ? "arr_valid" : "step_valid"));
      b.assign(ir::ref(rc(ws ? "ab" : "af", 0, 0)), ir::ref(ws ? "arr_bank" : "step_flip"));
    } else {
      b.delay(nm + "_ctl", 2, r, true, ctl_src, ctl_dst);
    }
  }
  for (int c = 0; c < C; ++c) {
    if (ws) {
      b.assign(ir::ref(rc("w", 0, c)), lane("b_data_i", c, IW),
               c == 0 ? "Weight rows enter the top of every column." : "");
    } else {
      b.delay(fmt::format("u_skew_b_c{}", c), IW, c, false, lane("step_b", c, IW),
              ir::ref(rc("b", 0, c)), c == 0 ? "Input skew: column c is delayed c cycles." : "");
    }
  }

  // ---- processing elements ----------------------------------------------------------------
  for (int r = 0; r < R; ++r) {
    for (int c = 0; c < C; ++c) {
      const std::string right = (c + 1 == C) ? "unused_" : "";
      const std::string below = (r + 1 == R) ? "unused_" : "";
      std::vector<Conn> conns = {{"clk_i", ir::ref("clk_i")}, {"rst_ni", ir::ref("rst_ni")},
                                 {"en_i", ir::ref("en")},     {"a_i", ir::ref(rc("a", r, c))},
                                 {"a_valid_i", ir::ref(rc("av", r, c))}};
      const bool corner = (r + 1 == R) && (c + 1 == C);
      const ExprRef av_out =
          corner ? ir::ref(ws ? "out_valid" : "unused_av_corner") : ir::ref(right + rc("av", r, c + 1));
      if (ws) {
        conns.insert(conns.end(), {
            {"a_bank_i", ir::ref(rc("ab", r, c))},
            {"a_o", ir::ref(right + rc("a", r, c + 1))},
            {"a_valid_o", av_out},
            {"a_bank_o", ir::ref(right + rc("ab", r, c + 1))},
            {"w_i", ir::ref(rc("w", r, c))},
            {"w_shift_i", ir::ref("w_shift")},
            {"w_bank_i", ir::ref("w_bank")},
            {"w_o", ir::ref(below + rc("w", r + 1, c))},
            {"psum_i", r == 0 ? lit(AW, 0) : ir::ref(rc("p", r, c))},
            {"psum_o", r + 1 == R ? ir::ref(fmt::format("bot_c{}", c)) : ir::ref(rc("p", r + 1, c))},
        });
      } else {
        conns.insert(conns.end(), {
            {"a_flip_i", ir::ref(rc("af", r, c))},
            {"a_o", ir::ref(right + rc("a", r, c + 1))},
            {"a_valid_o", av_out},
            {"a_flip_o", ir::ref(right + rc("af", r, c + 1))},
            {"b_i", ir::ref(rc("b", r, c))},
            {"b_o", ir::ref(below + rc("b", r + 1, c))},
            // The drain chain runs down; the bottom row's drain register is the column's result.
            {"chain_i", r == 0 ? lit(AW, 0) : ir::ref(rc("ch", r, c))},
            {"chain_o", ir::ref(r + 1 == R ? "unused_" + rc("ch", r + 1, c) : rc("ch", r + 1, c))},
            {"out_o", ir::ref(r + 1 == R ? fmt::format("bot_c{}", c) : "unused_" + rc("out", r, c))},
        });
      }
      b.inst(ws ? "tsr_pe_ws" : "tsr_pe_os", fmt::format("u_pe_r{}_c{}", r, c),
             {{"InW", IW}, {"AccW", AW}, {"ClkGate", cfg.clock_gate ? 1 : 0}}, std::move(conns));
    }
  }
  // bot_c: the column's result as it leaves the array (bottom row for WS, row 0 for OS).
  for (int c = 0; c < C; ++c) b.net(fmt::format("bot_c{}", c), AW);
  if (!ws) {
    // A step's result leaves the bottom of column c R+c cycles after the step entered, and the
    // de-skew aligns all columns at R+C-1: the step's emit flag delayed R+C-1 cycles is the valid.
    b.net("unused_av_corner", 1);
    b.net("step_emit_valid", 1);
    b.assign(ir::ref("step_emit_valid"), op2(Op::LogAnd, ir::ref("step_valid"), ir::ref("step_emit")));
    b.delay("u_emit_delay", 1, R + C - 1, true, ir::ref("step_emit_valid"), ir::ref("out_valid"),
            "Output valid: the emit flag travels beside the array.");
  }
  // The rightmost column's valid bits of rows above the bottom leave the array unused; the corner
  // one is the output valid. Remove the corner's net from the unused list.
  {
    auto& nets = m.nets;
    const std::string corner = "unused_" + rc("av", R - 1, C);
    for (auto it = nets.begin(); it != nets.end(); ++it) {
      if (it->name == corner) {
        nets.erase(it);
        break;
      }
    }
  }

  // ---- output de-skew and FIFO --------------------------------------------------------------
  output_stage(b, cfg);

  Design d;
  d.modules.push_back(std::move(m));
  if (ws) d.modules.push_back(build_top(cfg));
  d.externs = leaf_modules();
  return d;
}

ir::Module build_top(const AccelConfig& cfg) {
  Module t;
  t.name = "tsr_top";
  t.comment = fmt::format(
      "tessera accelerator '{}': {}x{} weight-stationary array{}, scratchpad {} rows x {} B in {} "
      "bank(s),\naccumulator {} rows x {} int32 in 2 banks, {}-bit AXI4 DMA master, AXI4-Lite "
      "CSRs.\nCommand set and CSR map: docs/commands.md; block diagram: docs/architecture.md.",
      cfg.name, cfg.rows, cfg.cols,
      cfg.skip_enable ? fmt::format(" with zero skipping (depth {})", cfg.skip_depth) : "",
      cfg.sp_rows, cfg.sp_row_bytes, cfg.sp_banks, cfg.acc_rows,
      cfg.cols, cfg.bus_bits);
  t.ports = accel_ports(cfg.bus_bytes);
  Instance inst;
  inst.module = "tsr_accel";
  inst.name = "u_accel";
  inst.params = {{"Rows", cfg.rows},
                 {"Cols", cfg.cols},
                 {"RowBytes", cfg.sp_row_bytes},
                 {"SpBankRows", cfg.sp_bank_rows},
                 {"SpBanks", cfg.sp_banks},
                 {"AccBankRows", cfg.acc_bank_rows},
                 {"BusBytes", cfg.bus_bytes},
                 {"Hash", static_cast<int64_t>(std::stoull(cfg.hash.substr(8), nullptr, 16) &
                                               0x7fffffffu)},
                 {"HasCore", cfg.core_enable ? 1 : 0},
                 {"CoreMExt", cfg.core_m_ext ? 1 : 0},
                 {"CoreImemKib", cfg.core_imem_kib},
                 {"CoreDmemKib", cfg.core_dmem_kib},
                 {"CoreClkDiv", cfg.core_clk_div},
                 {"DwLinePx", cfg.dw_line_px}};
  // Zero-skip variants only, so that the dense variants' tsr_top stays as it was.
  if (cfg.skip_enable) inst.params.push_back({"SkipDepth", cfg.skip_depth});
  for (const auto& port : t.ports) inst.conns.push_back({port.name, ir::ref(port.name)});
  t.instances.push_back(std::move(inst));
  return t;
}

}  // namespace tsr::gen

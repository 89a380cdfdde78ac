// Synthesis flow tests: the parsers on captured Yosys / OpenSTA output, then `tessera synth` end to
// end on the tiny preset (nangate45 and generic) and its error paths.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/wait.h>
#include <unistd.h>

#include "tessera/error.h"
#include "tessera/synth/parse.h"
#include "tessera/synth/sram.h"
#include "tessera/synth/synth.h"
#include "tessera/synth/tool.h"
#include "tessera/tb/harness.h"

#ifndef TSR_SOURCE_DIR
#error "TSR_SOURCE_DIR must be defined"
#endif
#ifndef TSR_CLI
#error "TSR_CLI must be the path of the tessera binary"
#endif

namespace fs = std::filesystem;
using namespace tsr::synth;

namespace {

const fs::path kSrc = TSR_SOURCE_DIR;

std::string read_file(const fs::path& p) { return tsr::tb::read_text(p.string()); }

fs::path temp_dir(const std::string& name) { return tsr::tb::fresh_temp_dir("test_synth_" + name); }

using CliResult = tsr::tb::CommandResult;

CliResult run_cli(const std::string& args) {
  return tsr::tb::run_command(fmt::format("cd '{}' && '{}' {}", kSrc.string(), TSR_CLI, args));
}

// ---- captured tool output ----

// `stat -liberty` of a two-level design: top 'top' with two instances of a derived 'leaf'.
const char* kStat = R"(
=== $paramod$0123abcd\leaf ===

   Number of wires:                 12
   Number of cells:                  3
     DFF_X1                          2
     NAND2_X1                        1

   Chip area for module '$paramod$0123abcd\leaf': 9.842000

=== top ===

   Number of wires:                 50
   Number of cells:                  3
     $paramod$0123abcd\leaf          2
     INV_X1                          1

   Area for cell type $paramod$0123abcd\leaf is unknown!

   Chip area for module '\top': 0.532000

=== design hierarchy ===

   top                               1
     $paramod$0123abcd\leaf          2

   Number of cells:                  7
     DFF_X1                          4
     INV_X1                          1
     NAND2_X1                        2

   Chip area for top module '\top': 20.216000
)";

const char* kModules = R"({
  "creator": "Yosys",
  "modules": {
    "$paramod$0123abcd\\leaf": {
      "attributes": { "hdlname": "\\leaf" },
      "parameter_default_values": { "Width": "00000000000000000000000000001000",
                                    "Neg": "11111111111111111111111111111110" },
      "ports": {}, "cells": {}, "netnames": {}
    },
    "top": {
      "attributes": { "top": "00000000000000000000000000000001" },
      "ports": {},
      "cells": {
        "u_a": { "type": "$paramod$0123abcd\\leaf" },
        "u_b": { "type": "$paramod$0123abcd\\leaf" }
      },
      "netnames": {}
    }
  }
})";

// `report_checks -path_delay max -digits 4` of a register-to-register path.
const char* kRegPath = R"(Startpoint: u_skew_a_r10_ctl.c39
            (rising edge-triggered flip-flop clocked by clk_i)
Endpoint: u_pe_r10_c0.c724 (rising edge-triggered flip-flop clocked by clk_i)
Path Group: clk_i
Path Type: max

    Delay      Time   Description
-------------------------------------------------------------
   0.0000    0.0000   clock clk_i (rise edge)
   0.0000    0.0000   clock network delay (ideal)
   0.0000    0.0000 ^ u_skew_a_r10_ctl.c39/CK (DFFR_X1)
   0.1564    0.1564 ^ u_skew_a_r10_ctl.c39/Q (DFFR_X1)
   0.0500    0.2064 ^ tsr_hfbuf_7/Z (BUF_X4)
   0.0800    0.2864 v u_pe_r10_c0.c37/Z (MUX2_X1)
   1.5884    1.8748 v u_pe_r10_c0.c664/ZN (XNOR2_X1)
   0.0604    1.9352 v u_pe_r10_c0.c665/Z (MUX2_X1)
   0.0000    1.9352 v u_pe_r10_c0.c724/D (DFF_X1)
             1.9352   data arrival time

   2.0000    2.0000   clock clk_i (rise edge)
   0.0000    2.0000   clock network delay (ideal)
   0.0000    2.0000   clock reconvergence pessimism
             2.0000 ^ u_pe_r10_c0.c724/CK (DFF_X1)
  -0.0406    1.9594   library setup time
             1.9594   data required time
-------------------------------------------------------------
             1.9594   data required time
            -1.9352   data arrival time
-------------------------------------------------------------
             0.0242   slack (MET)


)";

const char* kInputPath = R"(Startpoint: a_data_i[7] (input port clocked by clk_i)
Endpoint: c_data_o[3] (output port clocked by clk_i)
Path Group: clk_i
Path Type: max

    Delay      Time   Description
-------------------------------------------------------------
   0.0000    0.0000   clock clk_i (rise edge)
   0.0000    0.0000   clock network delay (ideal)
   0.4000    0.4000 ^ input external delay
   0.0680    0.4680 ^ a_data_i[7] (in)
   2.0000    2.4680 v c17/ZN (AOI21_X1)
   0.0000    2.4680 v c_data_o[3] (out)
             2.4680   data arrival time

   2.0000    2.0000   clock clk_i (rise edge)
   0.0000    2.0000   clock network delay (ideal)
   0.0000    2.0000   clock reconvergence pessimism
  -0.4000    1.6000   output external delay
             1.6000   data required time
-------------------------------------------------------------
             1.6000   data required time
            -2.4680   data arrival time
-------------------------------------------------------------
            -0.8680   slack (VIOLATED)
)";

// A Liberty excerpt: the comment names the cell too, before its group.
const char* kLiberty = R"(
  /* --------------------------------------------- *
   Cell Description	: Combinational cell (NAND2_X1) with drive strength X1
  * --------------------------------------------- */
  cell (NAND2_X1) {
	drive_strength     	: 1;
	area               	: 0.798000;
	pg_pin(VDD) {
	}
  }
  cell ("BUF_X4") {
	area : 1.862000;
  }
)";

bool have_tools(bool sta) {
  return !find_program("yosys").empty() && (!sta || !find_program("sta").empty());
}

}  // namespace

TEST(Parse, StatAndModulesCombine) {
  const StatText st = parse_stat(kStat);
  ASSERT_EQ(st.modules.size(), 2u);
  EXPECT_EQ(st.modules[0].name, "$paramod$0123abcd\\leaf");
  EXPECT_EQ(st.modules[0].cells, 3);
  ASSERT_TRUE(st.modules[0].area_um2.has_value());
  EXPECT_DOUBLE_EQ(*st.modules[0].area_um2, 9.842);
  EXPECT_EQ(st.modules[1].name, "top");
  ASSERT_TRUE(st.top_area_um2.has_value());
  EXPECT_DOUBLE_EQ(*st.top_area_um2, 20.216);

  const auto mods = parse_modules_json(kModules);
  ASSERT_EQ(mods.size(), 2u);
  const DesignStats d = combine(st, mods, "top", Target::Nangate45);
  ASSERT_EQ(d.modules.size(), 2u);
  EXPECT_EQ(d.modules.back().name, "top");  // the top last
  const ModuleStats& leaf = d.modules.front();
  EXPECT_EQ(leaf.module, "leaf");
  EXPECT_EQ(leaf.instances, 2);
  EXPECT_EQ(leaf.params.at("Width"), 8);
  EXPECT_EQ(leaf.params.at("Neg"), -2);
  EXPECT_EQ(leaf.label, "leaf(Neg=-2,Width=8)");
  // The top's own cells: the submodule instances are not cells.
  EXPECT_EQ(d.modules.back().cells, 1);
  EXPECT_EQ(d.cells, 2 * 3 + 1);
  EXPECT_EQ(d.yosys_cells, 7);  // the design hierarchy's own count agrees
  EXPECT_EQ(d.cell_types.at("DFF_X1"), 4);
  EXPECT_EQ(d.resources.at("FF"), 4);
  ASSERT_TRUE(d.area_um2.has_value());
  EXPECT_DOUBLE_EQ(*d.area_um2, 20.216);
  const ModuleGroup* g = d.group("leaf");
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->instances, 2);
  ASSERT_TRUE(g->area_um2.has_value());
  EXPECT_NEAR(*g->area_um2, 2 * 9.842, 1e-9);
  EXPECT_EQ(d.groups.front().module, "leaf");  // largest first
  // Subtree totals: a leaf is its own subtree; the top's subtree is the whole design.
  ASSERT_TRUE(g->subtree_area_um2.has_value());
  EXPECT_NEAR(*g->subtree_area_um2, 2 * 9.842, 1e-9);
  EXPECT_EQ(g->subtree_cells, 2 * 3);
  const ModuleGroup* t = d.group("top");
  ASSERT_NE(t, nullptr);
  ASSERT_TRUE(t->subtree_area_um2.has_value());
  EXPECT_NEAR(*t->subtree_area_um2, 20.216, 1e-9);
  EXPECT_EQ(t->subtree_cells, 7);
  EXPECT_EQ(t->subtree_resources.at("FF"), 4);
  EXPECT_EQ(d.instance_modules.at("u_b"), "$paramod$0123abcd\\leaf");
  EXPECT_THROW(combine(st, mods, "nosuch", Target::Nangate45), tsr::Error);
}

TEST(Parse, LibraryCellModelsInTheJsonAreCells) {
  // FPGA flows keep the cell library's models (SB_LUT4, ...) as modules; stat does not list them.
  const StatText st = parse_stat(
      "=== top ===\n\n   Number of cells:                  3\n     SB_LUT4                         2\n"
      "     SB_DFF                          1\n");
  const auto mods = parse_modules_json(
      R"({"modules": {"SB_LUT4": {"attributes": {"blackbox": "1"}, "cells": {}},
                       "top": {"cells": {"l0": {"type": "SB_LUT4"}, "l1": {"type": "SB_LUT4"},
                                         "f0": {"type": "SB_DFF"}}}}})");
  const DesignStats d = combine(st, mods, "top", Target::Ice40);
  EXPECT_EQ(d.cells, 3);
  EXPECT_EQ(d.resources.at("LUT"), 2);
  EXPECT_EQ(d.resources.at("FF"), 1);
  EXPECT_TRUE(d.instance_modules.empty());
}

TEST(Parse, GenericTransistorsAndFpgaClasses) {
  const StatText st = parse_stat(
      "=== m ===\n\n   Number of cells:                  2\n     $_DFF_P_                        1\n"
      "     $_XOR_                          1\n\n   Estimated number of transistors:         36+\n");
  ASSERT_EQ(st.modules.size(), 1u);
  ASSERT_TRUE(st.modules[0].transistors.has_value());
  EXPECT_EQ(*st.modules[0].transistors, 36);
  const DesignStats d = combine(st, {}, "m", Target::Generic);
  EXPECT_EQ(d.resources.at("FF"), 1);
  EXPECT_EQ(d.resources.at("logic"), 1);
  ASSERT_TRUE(d.transistors.has_value());
  EXPECT_EQ(*d.transistors, 36);

  const auto ice = fpga_resources(Target::Ice40, {{"SB_LUT4", 10}, {"SB_DFFE", 4}, {"SB_DFFER", 1},
                                                  {"SB_MAC16", 2}, {"SB_CARRY", 3}, {"SB_RAM40_4K", 1}});
  EXPECT_EQ(ice.at("LUT"), 10);
  EXPECT_EQ(ice.at("FF"), 5);
  EXPECT_EQ(ice.at("DSP"), 2);
  EXPECT_EQ(ice.at("CARRY"), 3);
  EXPECT_EQ(ice.at("BRAM"), 1);
  const auto ecp = fpga_resources(Target::Ecp5, {{"LUT4", 7}, {"TRELLIS_FF", 3}, {"MULT18X18D", 1},
                                                 {"TRELLIS_DPR16X4", 2}, {"PFUMX", 1}});
  EXPECT_EQ(ecp.at("LUT"), 7);
  EXPECT_EQ(ecp.at("FF"), 3);
  EXPECT_EQ(ecp.at("DSP"), 1);
  EXPECT_EQ(ecp.at("LUTRAM"), 2);
  EXPECT_EQ(ecp.at("MUX"), 1);
}

TEST(Parse, StaRegisterPath) {
  const auto p = parse_sta_path(kRegPath, 2.0);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->startpoint, "u_skew_a_r10_ctl.c39");
  EXPECT_EQ(p->start_kind, "register");
  EXPECT_EQ(p->endpoint, "u_pe_r10_c0.c724");
  EXPECT_EQ(p->end_kind, "register");
  EXPECT_DOUBLE_EQ(p->arrival_ns, 1.9352);
  EXPECT_DOUBLE_EQ(p->required_ns, 1.9594);
  EXPECT_DOUBLE_EQ(p->setup_ns, 0.0406);
  EXPECT_DOUBLE_EQ(p->slack_ns, 0.0242);
  EXPECT_NEAR(p->fmax_mhz, 1000.0 / (2.0 - 0.0242), 1e-9);
  ASSERT_EQ(p->points.size(), 7u);  // launch clock lines are not points
  EXPECT_EQ(p->points[1].pin, "u_skew_a_r10_ctl.c39/Q");
  EXPECT_EQ(p->points[1].cell, "DFFR_X1");
  EXPECT_EQ(p->points[3].edge, 'v');

  const auto segs = p->segments();
  ASSERT_EQ(segs.size(), 3u);
  EXPECT_EQ(segs[0].instance, "u_skew_a_r10_ctl");
  EXPECT_EQ(segs[0].cells, 1);  // the flop; its clock pin is no cell of its own
  EXPECT_EQ(segs[1].instance, "(buffer tree)");
  EXPECT_EQ(segs[2].instance, "u_pe_r10_c0");
  EXPECT_EQ(segs[2].cells, 3);  // the capturing flop's D pin is not counted
  EXPECT_NEAR(segs[2].delay_ns, 0.08 + 1.5884 + 0.0604, 1e-9);
}

TEST(Parse, StaInputToOutputPath) {
  const auto p = parse_sta_path(kInputPath, 2.0);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->startpoint, "a_data_i[7]");
  EXPECT_EQ(p->start_kind, "input");
  EXPECT_EQ(p->end_kind, "output");
  EXPECT_DOUBLE_EQ(p->setup_ns, 0.0);
  EXPECT_DOUBLE_EQ(p->slack_ns, -0.868);
  EXPECT_NEAR(p->fmax_mhz, 1000.0 / 2.868, 1e-9);
  const auto segs = p->segments();
  ASSERT_EQ(segs.size(), 3u);
  EXPECT_EQ(segs[0].instance, "(input)");
  EXPECT_NEAR(segs[0].delay_ns, 0.468, 1e-9);
  EXPECT_EQ(segs[1].instance, "(top)");
  EXPECT_EQ(segs[2].instance, "(output)");

  EXPECT_FALSE(parse_sta_path("No paths found.\n", 2.0).has_value());
}

TEST(Parse, StaValuesBuffersLiberty) {
  EXPECT_DOUBLE_EQ(parse_sta_value("tns -21.9400\n", "tns"), -21.94);
  EXPECT_DOUBLE_EQ(parse_sta_value("wns 0.0000\n", "wns"), 0.0);
  EXPECT_THROW(parse_sta_value("tns 1\n", "wns"), tsr::Error);

  const auto nets = parse_buffered_nets("# net loads levels\nrst_ni 520 2\n{a_r0_c1[3]} 17 1\n"
                                        "u_ctrl.en_i 6070 3\n");
  ASSERT_EQ(nets.size(), 3u);
  EXPECT_EQ(nets[0].net, "u_ctrl.en_i");  // most loads first
  EXPECT_EQ(nets[0].loads, 6070);
  EXPECT_EQ(nets[0].levels, 3);
  EXPECT_EQ(nets[2].net, "a_r0_c1[3]");

  const auto nand = liberty_cell_area(kLiberty, "NAND2_X1");
  ASSERT_TRUE(nand.has_value());
  EXPECT_DOUBLE_EQ(*nand, 0.798);
  const auto buf = liberty_cell_area(kLiberty, "BUF_X4");
  ASSERT_TRUE(buf.has_value());
  EXPECT_DOUBLE_EQ(*buf, 1.862);
  EXPECT_FALSE(liberty_cell_area(kLiberty, "NAND2").has_value());
}

TEST(Targets, NamesRoundTripAndBadNameIsAnError) {
  for (const auto& n : target_names()) EXPECT_EQ(target_name(parse_target(n)), n);
  try {
    parse_target("asic7");
    FAIL() << "no error";
  } catch (const tsr::Error& e) {
    EXPECT_NE(std::string(e.what()).find("'asic7'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("nangate45"), std::string::npos) << e.what();
  }
}

TEST(Tool, ErrorExcerptPrefersErrorLines) {
  const std::string log = "line 1\nWarning: harmless\nERROR: syntax error, unexpected ';'\nend\n";
  const std::string ex = error_excerpt(log);
  EXPECT_NE(ex.find("ERROR: syntax error"), std::string::npos);
  EXPECT_EQ(ex.find("harmless"), std::string::npos);
  EXPECT_NE(error_excerpt("a\nb\nc\n", 2).find("c"), std::string::npos);
  EXPECT_EQ(error_excerpt("a\nb\nc\n", 2).find("a"), std::string::npos);
}

// ---- end to end ----

TEST(Cli, Nangate45OnTinyReportsAreaAndFmax) {
  if (!have_tools(true)) GTEST_SKIP() << "yosys or sta not on PATH (scripts/install-deps)";
  const fs::path out = temp_dir("ng45");
  const CliResult r =
      run_cli(fmt::format("synth --config gen/configs/tiny.toml --target nangate45 --scope array --out {}",
                          out.string()));
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("fmax"), std::string::npos) << r.output;
  const fs::path rep = out / "nangate45" / "report.json";
  ASSERT_TRUE(fs::exists(rep)) << r.output;
  ASSERT_TRUE(fs::exists(out / "nangate45" / "report.md"));
  ASSERT_TRUE(fs::exists(out / "variant" / "manifest.json"));  // --config generated the variant
  const auto j = nlohmann::json::parse(read_file(rep));

  EXPECT_EQ(j["target"], "nangate45");
  EXPECT_EQ(j["variant"]["name"], "tiny");
  EXPECT_NEAR(j["units"]["kge_um2"].get<double>(), 798.0, 1e-6);  // 1000 x NAND2_X1

  const auto& d = j["design"];
  const double top = d["area_um2"].get<double>();
  EXPECT_GT(top, 0.0);
  const auto& pe = d["modules"]["tsr_pe_ws"];
  EXPECT_EQ(pe["instances"], 4);  // 2x2
  EXPECT_EQ(d["cells"].get<long>(), d["yosys_cells"].get<long>());
  // One PE with its clock gates (tiny: array.clock_gate = true, 3 CLKGATE_X1 per WS PE).
  const double pe_area = pe["subtree_area_per_instance_um2"].get<double>();
  EXPECT_GT(pe_area, 0.0);
  EXPECT_NEAR(pe_area - pe["area_per_instance_um2"].get<double>(), 3 * 3.458, 1e-6);
  // The per-module areas times their instance counts add up to Yosys' own top total.
  double sum = 0;
  for (const auto& [name, g] : d["modules"].items()) sum += g["area_um2"].get<double>();
  EXPECT_NEAR(sum, top, 1e-6 * top);

  const auto& t = j["timing"];
  ASSERT_TRUE(t.is_object());
  EXPECT_NEAR(t["period_ns"].get<double>(), 2.0, 1e-9);  // clock.freq_mhz = 500 in tiny.toml
  const double fmax = t["fmax_mhz"].get<double>();
  EXPECT_GT(fmax, 0.0);
  EXPECT_NEAR(fmax, 1000.0 / (2.0 - t["worst_slack_ns"].get<double>()), 1e-6);
  // ABC maps against the period less 200 ps of register overhead (clock-to-Q and setup).
  const std::string ys = read_file(out / "nangate45" / "nangate45.ys");
  EXPECT_NE(ys.find("\nabc -D 1800 -liberty "), std::string::npos) << ys;
  // The accumulator's read-modify-write is mapped first, against 1800 ps less the macro model's
  // 0.40 ns clock-to-q.
  const size_t acc = ys.find("\nabc -D 1400 -liberty ");
  EXPECT_NE(acc, std::string::npos) << ys;
  EXPECT_NE(ys.find(" *tsr_acc_mem*\n", acc), std::string::npos) << ys;
  EXPECT_LT(acc, ys.find("\nabc -D 1800 -liberty ")) << ys;
  const auto& worst = t["paths"]["worst"];
  EXPECT_FALSE(worst["startpoint"].get<std::string>().empty());
  EXPECT_GT(worst["cells"].get<int>(), 0);

  // The lone MAC: mapped, timed, and a plausible fraction of a PE (which has more flops).
  const double mac = j["ref_mac"]["design"]["area_um2"].get<double>();
  EXPECT_GT(mac, 0.0);
  EXPECT_GT(j["ref_mac"]["timing"]["fmax_mhz"].get<double>(), 0.0);
  EXPECT_NEAR(j["pe"]["pe_over_mac"].get<double>(), pe_area / mac, 1e-9);
  EXPECT_GT(pe_area, mac);
  EXPECT_LT(pe_area, 3 * mac);
  fs::remove_all(out);
}

TEST(Cli, GenericOnTinyCountsCells) {
  if (!have_tools(false)) GTEST_SKIP() << "yosys not on PATH (scripts/install-deps)";
  const fs::path out = temp_dir("generic");
  ASSERT_EQ(run_cli(fmt::format("gen --config gen/configs/tiny.toml --out {}", (out / "v").string())).code, 0);
  const CliResult r = run_cli(
      fmt::format("synth --variant-dir {} --target generic --scope array --out {}", (out / "v").string(),
                  out.string()));
  ASSERT_EQ(r.code, 0) << r.output;
  const auto j = nlohmann::json::parse(read_file(out / "generic" / "report.json"));
  EXPECT_EQ(j["target"], "generic");
  const auto& pe = j["design"]["modules"]["tsr_pe_ws"];
  EXPECT_EQ(pe["instances"], 4);
  EXPECT_GT(pe["cells"].get<long>(), 0);
  EXPECT_GT(pe["resources"]["FF"].get<long>(), 0);
  EXPECT_GT(j["design"]["transistors"].get<long>(), 0);
  EXPECT_TRUE(j["timing"].is_null());  // no timing without a library
  fs::remove_all(out);
}

TEST(Cli, FpgaTargetsOnTinyCountLutsAndDsps) {
  if (!have_tools(false)) GTEST_SKIP() << "yosys not on PATH (scripts/install-deps)";
  const fs::path out = temp_dir("fpga");
  // FPGA builds use the hold multiplexers, not clock gates (docs/synth.md)
  ASSERT_EQ(run_cli(fmt::format("gen --config gen/configs/tiny.toml --set array.clock_gate=false --out {}",
                                (out / "v").string()))
                .code,
            0);
  for (const std::string target : {"ice40", "ecp5"}) {
    const CliResult r = run_cli(fmt::format("synth --variant-dir {} --target {} --scope array --out {}",
                                            (out / "v").string(), target, out.string()));
    ASSERT_EQ(r.code, 0) << r.output;
    const auto j = nlohmann::json::parse(read_file(out / target / "report.json"));
    const auto& res = j["design"]["resources"];
    EXPECT_GT(res["LUT"].get<long>(), 0) << target;
    EXPECT_GT(res["FF"].get<long>(), 0) << target;
    // One hard multiplier per PE (2x2), none elsewhere; the lone MAC has one too.
    EXPECT_EQ(res["DSP"].get<long>(), 4) << target;
    EXPECT_EQ(j["design"]["modules"]["tsr_pe_ws"]["resources"]["DSP"].get<long>(), 4) << target;
    EXPECT_EQ(j["ref_mac"]["design"]["resources"]["DSP"].get<long>(), 1) << target;
    EXPECT_EQ(j["pe"]["metric"], "LUT+FF") << target;
    EXPECT_GT(j["pe"]["pe_over_mac"].get<double>(), 1.0) << target;
  }
  fs::remove_all(out);
}

TEST(Cli, BadTargetIsAClearError) {
  const fs::path out = temp_dir("badtarget");
  const CliResult r = run_cli(
      fmt::format("synth --variant-dir build/gen/tiny --target asic7 --out {}", out.string()));
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("tessera: error: unknown synthesis target 'asic7'"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("generic, ice40, ecp5, nangate45"), std::string::npos) << r.output;
  fs::remove_all(out);
}

TEST(Cli, MissingLibertyIsAClearError) {
  if (!have_tools(true)) GTEST_SKIP() << "yosys or sta not on PATH (scripts/install-deps)";
  const fs::path out = temp_dir("nolib");
  ASSERT_EQ(run_cli(fmt::format("gen --config gen/configs/tiny.toml --out {}", (out / "v").string())).code, 0);
  const CliResult r =
      run_cli(fmt::format("synth --variant-dir {} --liberty /no/such/nangate45.lib.gz --out {}",
                          (out / "v").string(), out.string()));
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("Liberty file '/no/such/nangate45.lib.gz' not found"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("--liberty"), std::string::npos) << r.output;
  fs::remove_all(out);
}

TEST(Cli, InputErrors) {
  const fs::path out = temp_dir("inputs");
  // Not a variant directory.
  CliResult r = run_cli(fmt::format("synth --variant-dir {} --target generic --out {}", out.string(),
                                    (out / "o").string()));
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("manifest.json not found"), std::string::npos) << r.output;
  // Neither --config nor --variant-dir.
  r = run_cli(fmt::format("synth --out {}", out.string()));
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("either --config PRESET.toml or --variant-dir DIR"), std::string::npos) << r.output;
  // Both.
  r = run_cli(fmt::format("synth --config gen/configs/tiny.toml --variant-dir {} --out {}", out.string(),
                          out.string()));
  EXPECT_NE(r.code, 0) << r.output;
  fs::remove_all(out);
}

TEST(Cli, YosysFailureNamesTheErrorAndTheLog) {
  if (!have_tools(false)) GTEST_SKIP() << "yosys not on PATH (scripts/install-deps)";
  const fs::path out = temp_dir("yosysfail");
  const fs::path v = out / "v";
  ASSERT_EQ(run_cli(fmt::format("gen --config gen/configs/tiny.toml --out {}", v.string())).code, 0);
  {
    std::ofstream f(v / "rtl" / "tsr_pe_ws.v", std::ios::app);
    f << "\nmodule broken (; endmodule\n";
  }
  const CliResult r = run_cli(
      fmt::format("synth --variant-dir {} --target generic --scope array --out {}", v.string(), out.string()));
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("yosys failed"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("ERROR"), std::string::npos) << r.output;
  const fs::path log = out / "generic" / "yosys.log";
  EXPECT_NE(r.output.find("full log: " + log.string()), std::string::npos) << r.output;
  EXPECT_TRUE(fs::exists(log));
  fs::remove_all(out);
}

namespace {

// `tessera sweep` on two tiny sizes, generic target (fast): one CSV row per point with a positive
// size metric, the PE / MAC ratio filled in, and an SVG with one line per dataflow.
TEST(Sweep, GenericTwoSizesBothDataflows) {
  const fs::path out = temp_dir("sweep");
  const CliResult r = run_cli(fmt::format(
      "sweep --config gen/configs/tiny.toml --sizes 1,2 --target generic --jobs 2 --out {}", out.string()));
  ASSERT_EQ(r.code, 0) << r.output;
  const std::string csv = read_file(out / "sweep.csv");
  std::istringstream lines(csv);
  std::string line;
  std::getline(lines, line);
  EXPECT_EQ(line.rfind("dataflow,options,rows,cols,scope,metric,total,core,array,per_mac,pe,mac,pe_over_mac", 0),
            0u)
      << line;
  int rows = 0;
  while (std::getline(lines, line)) {
    ++rows;
    std::vector<std::string> f;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ',')) f.push_back(cell);
    ASSERT_GE(f.size(), 14u) << line;
    EXPECT_TRUE(f[0] == "ws" || f[0] == "os") << line;
    EXPECT_EQ(f[4], "array") << line;
    EXPECT_EQ(f[5], "cells") << line;
    EXPECT_GT(std::stod(f[8]), 0.0) << line;
    EXPECT_DOUBLE_EQ(std::stod(f[6]), std::stod(f[8])) << line;  // array scope: total = the array
    EXPECT_GT(std::stod(f[12]), 0.5) << line;  // a PE is at least about a MAC
  }
  EXPECT_EQ(rows, 4);
  const std::string svg = read_file(out / "sweep.svg");
  EXPECT_NE(svg.find("<svg"), std::string::npos);
  size_t paths = 0;
  for (size_t pos = svg.find("<path d=\"M"); pos != std::string::npos; pos = svg.find("<path d=\"M", pos + 1)) {
    ++paths;
  }
  EXPECT_EQ(paths, 4u);  // generic has no timing: two panels (total, per MAC), one line per dataflow

}

// --vary adds an option dimension: every combination is a point, named and labelled by its values.
TEST(Sweep, VaryAddsAnOptionDimension) {
  const fs::path out = temp_dir("sweep_vary");
  const CliResult r = run_cli(fmt::format(
      "sweep --config gen/configs/tiny.toml --sizes 2 --dataflows ws --vary core.enable=true,false "
      "--target generic --jobs 1 --out {}",
      out.string()));
  ASSERT_EQ(r.code, 0) << r.output;
  const std::string csv = read_file(out / "sweep.csv");
  EXPECT_NE(csv.find("ws,\"core.enable=true\",2,2,array"), std::string::npos) << csv;
  EXPECT_NE(csv.find("ws,\"core.enable=false\",2,2,array"), std::string::npos) << csv;
  EXPECT_TRUE(fs::exists(out / "ws_2x2_core_enable-true" / "variant" / "manifest.json"));
  const auto m = nlohmann::json::parse(
      read_file(out / "ws_2x2_core_enable-false" / "variant" / "manifest.json"));
  EXPECT_EQ(m["params"]["core.enable"], false);
  // A bad --vary is a clear error.
  const CliResult bad = run_cli(fmt::format(
      "sweep --config gen/configs/tiny.toml --sizes 2 --vary array.rows=2,4 --out {}", out.string()));
  EXPECT_EQ(bad.code, 1);
  EXPECT_NE(bad.output.find("--vary array.rows is set by the sweep itself"), std::string::npos) << bad.output;
  fs::remove_all(out);
}

TEST(Sweep, BadSizeIsAnError) {
  const fs::path out = temp_dir("sweep_bad");
  const CliResult r = run_cli(fmt::format("sweep --config gen/configs/tiny.toml --sizes 0 --out {}", out.string()));
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("size 0 is outside 1..64"), std::string::npos) << r.output;
}

}  // namespace

// ---- whole accelerator (--scope top / core): SRAMs, blocks, the escape core ----

namespace {

const fs::path kData = kSrc / "tb" / "synth" / "data";

// The SRAM sizes a preset implies (docs/config.md): the scratchpad's banks of sp_kib / sp_banks
// KiB, 8 * 2^k bits wide; the accumulator's two banks of acc_kib / 2 KiB. Computed from the TOML
// values the test reads from the generated manifest, not from the RTL.
struct PresetMem {
  long sp_bank_bits, acc_bank_bits, banks;
};
PresetMem preset_mem(const nlohmann::json& manifest) {
  const auto& p = manifest["params"];
  const long sp_kib = p["memory.sp_kib"].get<long>();
  const long banks = std::stol(p["memory.sp_banks"].get<std::string>());
  const long acc_kib = p["memory.acc_kib"].get<long>();
  return {sp_kib * 8192 / banks, acc_kib * 8192 / 2, banks};
}

}  // namespace

// The SRAM probe of the tiny top, as Yosys 0.23 wrote it before the escape core moved into tsr_top
// (trimmed to cells and parameters):
// every tsr_sram_1r1w instance with its hierarchical path and size.
TEST(Sram, ProbeOfTinyTopFindsEveryInstance) {
  const auto srams = parse_sram_instances(read_file(kData / "tiny_top_sram_probe.json"), "tsr_top");
  ASSERT_EQ(srams.size(), 4u);
  // tiny.toml: sp_kib = 4 in 2 banks (2 KiB each), acc_kib = 2 in 2 banks (1 KiB each).
  EXPECT_EQ(srams[0].path, "u_accel.u_acc.g_bank[0].u_bank.u_sram");
  EXPECT_EQ(srams[1].path, "u_accel.u_acc.g_bank[1].u_bank.u_sram");
  EXPECT_EQ(srams[2].path, "u_accel.u_spad.g_bank[0].u_sram");
  EXPECT_EQ(srams[3].path, "u_accel.u_spad.g_bank[1].u_sram");
  for (int i = 0; i < 2; ++i) EXPECT_EQ(srams[i].bits(), 1 * 8192) << srams[i].path;
  for (int i = 2; i < 4; ++i) EXPECT_EQ(srams[i].bits(), 2 * 8192) << srams[i].path;
  for (const auto& m : srams) {
    EXPECT_GT(m.width, 0);
    EXPECT_EQ(1L << m.addr_bits, m.depth) << m.path;  // power-of-two depths here
  }
  try {
    parse_sram_instances(read_file(kData / "tiny_top_sram_probe.json"), "no_such_top");
    FAIL() << "no error";
  } catch (const tsr::Error& e) {
    EXPECT_NE(std::string(e.what()).find("no module 'no_such_top'"), std::string::npos) << e.what();
  }
}

TEST(Sram, ThresholdAndAreaModel) {
  std::vector<SramInstance> s(3);
  s[0].width = 8;  s[0].depth = 512;   // 4096 bits: at the threshold -> flops
  s[1].width = 8;  s[1].depth = 513;   // just above -> macro
  s[2].width = 32; s[2].depth = 4096;  // 16 KiB
  SramModel model;
  model.threshold_bits = 4096;
  model.um2_per_kib = 1000.0;
  classify_srams(s, model);
  EXPECT_FALSE(s[0].macro);
  EXPECT_EQ(s[0].model_area_um2, 0.0);
  EXPECT_TRUE(s[1].macro);
  EXPECT_NEAR(s[1].model_area_um2, 8.0 * 513 / 8192 * 1000.0, 1e-9);
  EXPECT_EQ(s[2].cell, "tsr_sram_w32_d4096");
  EXPECT_NEAR(s[2].model_area_um2, 16.0 * 1000.0, 1e-9);
}

// The wrapper Verilog elaborates in Yosys: a macro size becomes the black-box stub, any other
// size the renamed behavioural body.
TEST(Sram, WrapperElaboratesInYosys) {
  if (!have_tools(false)) GTEST_SKIP() << "yosys not on PATH (scripts/install-deps)";
  const fs::path dir = temp_dir("sram_wrap");
  std::vector<SramInstance> s(1);
  s[0].width = 16;
  s[0].depth = 1024;
  s[0].addr_bits = 10;
  classify_srams(s, SramModel{});
  ASSERT_TRUE(s[0].macro);
  const std::string prim = read_file(kSrc / "rtl" / "tsr_sram_1r1w.v");
  {
    std::ofstream(dir / "map.v") << sram_wrapper_verilog(prim, s, "test");
  }
  for (const auto& [w, d, expect] : std::vector<std::tuple<int, int, std::string>>{
           {16, 1024, "tsr_sram_w16_d1024"}, {8, 64, "tsr_sram_1r1w_flops"}}) {
    const CliResult r = tsr::tb::run_command(fmt::format(
        "cd '{}' && yosys -q -p 'read_verilog map.v; chparam -set Width {} -set Depth {} tsr_sram_1r1w; "
        "hierarchy -check -top tsr_sram_1r1w; select -assert-count 1 t:{}' 2>&1",
        dir.string(), w, d, expect == "tsr_sram_1r1w_flops" ? "*tsr_sram_1r1w_flops" : expect));
    EXPECT_EQ(r.code, 0) << w << "x" << d << " should instantiate one " << expect << ":\n" << r.output;
  }
  fs::remove_all(dir);
}

// The macro model is a Liberty library that OpenSTA reads (pins as buses) and whose area Yosys
// `stat -liberty` takes for an instance of the macro.
TEST(Sram, MacroLibertyLoadsInOpenStaAndYosys) {
  if (!have_tools(true)) GTEST_SKIP() << "yosys or sta not on PATH (scripts/install-deps)";
  const fs::path dir = temp_dir("sram_lib");
  std::vector<SramInstance> s(1);
  s[0].width = 64;
  s[0].depth = 128;
  s[0].addr_bits = 7;
  SramModel model;
  classify_srams(s, model);
  const std::string prim = read_file(kSrc / "rtl" / "tsr_sram_1r1w.v");
  {
    std::ofstream(dir / "m.lib") << sram_liberty(prim, s, model, "test");
    std::ofstream(dir / "t.tcl")
        << "read_liberty " << (dir / "m.lib").string() << "\n"
        << "puts \"pins [llength [get_lib_pins tsr_sram_macros/tsr_sram_w64_d128/*]]\"\n";
    std::ofstream(dir / "top.v")
        << "module top (input wire clk_i, input wire re_i, input wire [6:0] raddr_i,\n"
           "  output wire [63:0] rdata_o, input wire we_i, input wire [6:0] waddr_i,\n"
           "  input wire [63:0] wdata_i);\n"
           "  tsr_sram_w64_d128 u_m (.clk_i(clk_i), .re_i(re_i), .raddr_i(raddr_i), .rdata_o(rdata_o),\n"
           "    .we_i(we_i), .waddr_i(waddr_i), .wdata_i(wdata_i));\nendmodule\n";
  }
  CliResult r = tsr::tb::run_command(
      fmt::format("sta -no_init -no_splash -exit '{}' 2>&1", (dir / "t.tcl").string()));
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(r.output.find("Error"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("pins 7"), std::string::npos) << r.output;  // the primitive's 7 ports
  r = tsr::tb::run_command(fmt::format(
      "cd '{}' && yosys -p 'read_liberty -lib m.lib; read_verilog top.v; hierarchy -top top; "
      "stat -liberty m.lib' 2>&1 | grep 'Chip area'",
      dir.string()));
  EXPECT_EQ(r.code, 0) << r.output;
  // 64 x 128 bits = 1 KiB at the model's area per KiB.
  EXPECT_NE(r.output.find(fmt::format("{:.6f}", model.um2_per_kib)), std::string::npos) << r.output;
  fs::remove_all(dir);
}

// A report with two path groups, as OpenSTA 2.0.17 wrote it for the tiny top (the asynchronous
// reset's recovery check first, then clk_i): the worst path is the one with the least slack.
TEST(Parse, StaWorstOfSeveralPathGroups) {
  const std::string text = read_file(kData / "tiny_top_timing_worst.rpt");
  ASSERT_NE(text.find("**async_default**"), std::string::npos);
  const auto p = parse_sta_path(text, 2.0);
  ASSERT_TRUE(p.has_value());
  // Every slack in the report, read independently of the parser.
  std::vector<double> slacks;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.find("slack (") != std::string::npos) slacks.push_back(std::stod(line));
  }
  ASSERT_EQ(slacks.size(), 2u);
  EXPECT_DOUBLE_EQ(p->slack_ns, std::min(slacks[0], slacks[1]));
  EXPECT_LT(p->slack_ns, slacks[0]);  // not the first path
  EXPECT_NEAR(p->fmax_mhz, 1000.0 / (2.0 - p->slack_ns), 1e-9);
  EXPECT_EQ(p->start_kind, "register");
  EXPECT_FALSE(p->points.empty());
  // Segments by the instance that holds the cell, also below the top's instances: the path leaves
  // the execute unit, crosses tsr_accel's own cells and ends in the CSR block.
  const auto segs = p->segments();
  ASSERT_GE(segs.size(), 2u);
  const std::string start_inst = p->startpoint.substr(0, p->startpoint.rfind('.'));
  const std::string end_inst = p->endpoint.substr(0, p->endpoint.rfind('.'));
  EXPECT_EQ(segs.front().instance, start_inst);
  EXPECT_EQ(segs.back().instance, end_inst);
  double total = 0;
  for (const auto& sg : segs) total += sg.delay_ns;
  EXPECT_NEAR(total, p->arrival_ns, 1e-3);
}

// The tiny top with the escape core on a clock enable (core.clk_div = 3): the worst path of each
// group (escape_core: multicycle 3, capture edge at 3 periods; async_default; clk_i). A path's
// Fmax is N / (N * period - slack); the worst path is the one with the lowest Fmax.
TEST(Parse, StaMulticyclePathsLimitByFmaxNotSlack) {
  const std::string text = read_file(kData / "tiny_top_core_mc_timing_worst.rpt");
  ASSERT_NE(text.find("Path Group: escape_core"), std::string::npos);
  // Each path's group, capture edge and slack, read independently of the parser.
  struct P { std::string group; double edge = 0, slack = 0; };
  std::vector<P> paths;
  std::istringstream in(text);
  std::string line;
  bool after_arrival = false;
  while (std::getline(in, line)) {
    if (line.rfind("Path Group: ", 0) == 0) { paths.push_back({line.substr(12)}); after_arrival = false; }
    if (line.find("data arrival time") != std::string::npos) after_arrival = true;
    if (after_arrival && paths.back().edge == 0 && line.find("clock clk_i (rise edge)") != std::string::npos) {
      std::istringstream l(line);
      double d = 0;
      l >> d >> paths.back().edge;
    }
    if (line.find("slack (") != std::string::npos) paths.back().slack = std::stod(line);
  }
  ASSERT_EQ(paths.size(), 3u);
  auto fmax = [](const P& q) {
    const double n = std::round(q.edge / 2.0);
    return 1000.0 * n / (n * 2.0 - q.slack);
  };
  const auto lowest = std::min_element(paths.begin(), paths.end(),
                                       [&](const P& a, const P& b) { return fmax(a) < fmax(b); });
  const auto p = parse_sta_path(text, 2.0);
  ASSERT_TRUE(p.has_value());
  EXPECT_DOUBLE_EQ(p->slack_ns, lowest->slack);
  EXPECT_NEAR(p->fmax_mhz, fmax(*lowest), 1e-9);
  // The escape core's path alone: 3 cycles.
  const auto mc = text.find("Path Group: escape_core");
  const auto start = text.rfind("Startpoint:", mc);
  const auto next = text.find("Startpoint:", mc);
  const auto core = parse_sta_path(text.substr(start, next - start), 2.0);
  ASSERT_TRUE(core.has_value());
  EXPECT_EQ(core->cycles, 3);
  const auto cp = std::find_if(paths.begin(), paths.end(), [](const P& q) { return q.group == "escape_core"; });
  EXPECT_NEAR(core->fmax_mhz, fmax(*cp), 1e-9);
  EXPECT_NEAR(core->fmax_mhz, 3000.0 / (6.0 - core->slack_ns), 1e-9);
  // Made worse in slack than every one-cycle path but still faster in Fmax, the core's path is not
  // the worst: slack alone would pick it.
  std::string worse = text;
  const auto sl = worse.find("slack (MET)", mc);
  ASSERT_NE(sl, std::string::npos);
  const auto ls = worse.rfind('\n', sl) + 1;
  const double min_other = std::min_element(paths.begin(), paths.end(), [](const P& a, const P& b) {
                             return a.slack < b.slack;
                           })->slack;
  const double new_slack = std::min(min_other, 0.0) - 0.05;  // fmax 3000 / (6 - new) stays above
  worse.replace(ls, sl + 11 - ls, fmt::format("             {:.4f}   slack (VIOLATED)", new_slack));
  const auto w = parse_sta_path(worse, 2.0);
  ASSERT_TRUE(w.has_value());
  EXPECT_GT(3000.0 / (6.0 - new_slack), fmax(*lowest));
  EXPECT_NE(w->slack_ns, new_slack);
  EXPECT_NEAR(w->fmax_mhz, fmax(*lowest), 1e-9);
}

// The blocks of a small hierarchy: an instance belongs to its nearest enclosing listed module.
TEST(Parse, BlockRowsFollowTheHierarchy) {
  const StatText st = parse_stat(R"(
=== tsr_pe_ws ===
   Number of cells:                  2
     DFF_X1                          2
   Chip area for module '\tsr_pe_ws': 10.000000

=== tsr_fifo ===
   Number of cells:                  1
     DFF_X1                          1
   Chip area for module '\tsr_fifo': 5.000000

=== tsr_array ===
   Number of cells:                  4
     tsr_pe_ws                       2
     tsr_fifo                        1
     INV_X1                          1
   Chip area for module '\tsr_array': 1.000000

=== tsr_st ===
   Number of cells:                  2
     tsr_fifo                        1
     INV_X1                          1
   Chip area for module '\tsr_st': 2.000000

=== tsr_top ===
   Number of cells:                  4
     tsr_array                       1
     tsr_st                          1
     tsr_fifo                        1
     INV_X1                          1
   Chip area for module '\tsr_top': 3.000000

   Chip area for top module '\tsr_top': 41.000000
)");
  const auto mods = parse_modules_json(R"({"modules": {
    "tsr_pe_ws": {"cells": {}}, "tsr_fifo": {"cells": {}},
    "tsr_array": {"cells": {"u_pe0": {"type": "tsr_pe_ws"}, "u_pe1": {"type": "tsr_pe_ws"},
                            "u_fifo": {"type": "tsr_fifo"}}},
    "tsr_st": {"cells": {"u_fifo": {"type": "tsr_fifo"}}},
    "tsr_top": {"attributes": {"top": "1"},
                "cells": {"u_array": {"type": "tsr_array"}, "u_st": {"type": "tsr_st"},
                          "u_q": {"type": "tsr_fifo"}}}}})");
  const DesignStats d = combine(st, mods, "tsr_top", Target::Nangate45);
  const auto rows = block_rows(d, mods, Target::Nangate45);
  ASSERT_EQ(rows.size(), block_defs().size());
  std::map<std::string, const BlockRow*> by;
  double sum = 0;
  long inst = 0;
  for (const auto& r : rows) {
    by[r.key] = &r;
    sum += r.area_um2.value_or(0.0);
    inst += r.instances;
  }
  EXPECT_NEAR(sum, *d.area_um2, 1e-9);  // every instance in exactly one block
  EXPECT_EQ(inst, 8);  // top, array, 2 PEs, the array's FIFO, st, its FIFO, the top's FIFO
  EXPECT_EQ(by.at("pe")->instances, 2);
  EXPECT_NEAR(*by.at("pe")->area_um2, 20.0, 1e-9);
  EXPECT_NEAR(*by.at("array")->area_um2, 1.0 + 5.0, 1e-9);  // its FIFO stays with it
  EXPECT_NEAR(*by.at("post")->area_um2, 2.0 + 5.0, 1e-9);
  EXPECT_NEAR(*by.at("glue")->area_um2, 3.0 + 5.0, 1e-9);   // the top and its own FIFO
  EXPECT_FALSE(by.at("dma")->area_um2.has_value());
}

// CI smoke test of the whole accelerator: tiny, generic target (no timing; the slowest part of
// the nangate45 run is ABC + OpenSTA), without the separate core run (CoreScopeOnTiny covers it).
TEST(Cli, TopScopeOnTinyReportsBlocksAndSrams) {
  if (!have_tools(false)) GTEST_SKIP() << "yosys not on PATH (scripts/install-deps)";
  const fs::path out = temp_dir("top");
  const CliResult r = run_cli(fmt::format(
      "synth --config gen/configs/tiny.toml --target generic --scope top --no-core --out {}", out.string()));
  ASSERT_EQ(r.code, 0) << r.output;
  const auto j = nlohmann::json::parse(read_file(out / "generic" / "report.json"));
  const auto man = nlohmann::json::parse(read_file(out / "variant" / "manifest.json"));
  EXPECT_EQ(j["scope"], "top");
  EXPECT_EQ(j["variant"]["top"], "tsr_top");
  EXPECT_TRUE(j["core"].is_null());  // no separate core run (--no-core, or the core is in tsr_top)
  const auto files = man["rtl_files"].get<std::vector<std::string>>();
  const bool core_in_top = std::find(files.begin(), files.end(), "tsr_core.v") != files.end();
  EXPECT_EQ(j["core_in_top"].get<bool>(), core_in_top);
  // Blocks: every cell of the design in exactly one block; the PEs are the 2x2 array's.
  long cells = 0;
  std::map<std::string, nlohmann::json> blocks;
  for (const auto& b : j["blocks"]) {
    cells += b["cells"].get<long>();
    blocks[b["key"].get<std::string>()] = b;
  }
  EXPECT_EQ(cells, j["design"]["cells"].get<long>());
  // ... and the hierarchy tessera walked holds every cell Yosys counts (no instance lost).
  EXPECT_EQ(j["design"]["cells"].get<long>(), j["design"]["yosys_cells"].get<long>());
  // 4 PEs, each with its 3 clock gates (tiny: array.clock_gate = true)
  EXPECT_EQ(blocks.at("pe")["instances"], 4 * (1 + 3));
  EXPECT_NE(blocks.at("pe")["modules"].dump().find("tsr_clk_gate"), std::string::npos);
  // The memories' instances are found under the memory block (the SRAMs are macro cells there).
  EXPECT_GE(blocks.at("mem")["instances"].get<long>(), 1 + 1 + 2 + 4);  // spad, acc, 2 acc_mem, 4 srams
  EXPECT_NE(blocks.at("post")["modules"].dump().find("tsr_requant"), std::string::npos);
  for (const char* k : {"array", "post", "ex", "ld", "dma", "ctrl", "mem"}) {
    EXPECT_GT(blocks.at(k)["cells"].get<long>(), 0) << k;
  }
  // SRAMs: the sizes the preset implies, all above the 4096-bit threshold, so black boxes.
  if (core_in_top) {
    EXPECT_GT(blocks.at("core")["cells"].get<long>(), 0);
  } else {
    EXPECT_EQ(blocks.at("core")["instances"].get<long>(), 0);
  }
  const PresetMem pm = preset_mem(man);
  long sp = 0, acc = 0, core_bits = 0, line = 0;
  double model = 0;
  for (const auto& s : j["srams"]) {
    const long bits = s["bits"].get<long>();
    EXPECT_EQ(s["mapped_as"], bits > 4096 ? "macro" : "flops");
    const std::string inst = s["instance"].get<std::string>();
    if (inst.find(".u_ex.g_line.u_line") != std::string::npos) {
      ++line;  // the depthwise line buffer: memory.dw_line_px rows of C bytes
      EXPECT_EQ(bits, man["params"]["memory.dw_line_px"].get<long>() * 8 *
                          man["params"]["array.cols"].get<long>())
          << inst;
    } else if (inst.find(".u_spad.") != std::string::npos) {
      ++sp;
      EXPECT_EQ(bits, pm.sp_bank_bits) << inst;
    } else if (inst.find(".u_acc.") != std::string::npos) {
      ++acc;
      EXPECT_EQ(bits, pm.acc_bank_bits) << inst;
    } else {
      EXPECT_NE(inst.find(".u_core."), std::string::npos) << inst;  // IMEM and DMEM lanes
      core_bits += bits;
    }
    model += s["model_area_um2"].is_null() ? 0.0 : s["model_area_um2"].get<double>();
  }
  EXPECT_EQ(sp, pm.banks);
  EXPECT_EQ(acc, 2);
  // no line buffer at all when memory.dw_line_px < 2
  EXPECT_EQ(line, man["params"]["memory.dw_line_px"].get<long>() >= 2 ? 1 : 0);
  EXPECT_NEAR(model, j["macro_area_um2"].get<double>(), 1e-6);
  const long core_expect = core_in_top ? (man["params"]["core.imem_kib"].get<long>() +
                                          man["params"]["core.dmem_kib"].get<long>()) * 8192
                                       : 0;
  EXPECT_EQ(core_bits, core_expect);
  EXPECT_NEAR(model, (pm.banks * pm.sp_bank_bits + 2 * pm.acc_bank_bits + core_expect) / 8192.0 * 8192.0,
              1e-6);
  // The macros are black boxes: one cell each, none of their bits became flip-flops.
  EXPECT_LT(j["design"]["resources"]["FF"].get<long>(), pm.banks * pm.sp_bank_bits);
  const std::string md = read_file(out / "generic" / "report.md");
  EXPECT_NE(md.find("## Area by block"), std::string::npos);
  EXPECT_NE(md.find("## SRAMs"), std::string::npos);
  EXPECT_NE(md.find("u_accel.u_spad.g_bank[0].u_sram"), std::string::npos);
  fs::remove_all(out);
}

// The escape core alone on Nangate45: its memories are macros of the preset's sizes, its area is
// in kGE, and OpenSTA times it (Fmax = 1 / (period - slack)).
TEST(Cli, CoreScopeOnTiny) {
  if (!have_tools(true)) GTEST_SKIP() << "yosys or sta not on PATH (scripts/install-deps)";
  const fs::path out = temp_dir("core");
  const CliResult r =
      run_cli(fmt::format("synth --config gen/configs/tiny.toml --scope core --out {}", out.string()));
  ASSERT_EQ(r.code, 0) << r.output;
  const auto j = nlohmann::json::parse(read_file(out / "nangate45" / "report.json"));
  const auto man = nlohmann::json::parse(read_file(out / "variant" / "manifest.json"));
  EXPECT_EQ(j["scope"], "core");
  EXPECT_EQ(j["design"]["top"], "tsr_core");
  const long imem_bits = man["params"]["core.imem_kib"].get<long>() * 8192;
  const long dmem_bits = man["params"]["core.dmem_kib"].get<long>() * 8192;
  long imem = 0, dmem = 0;
  for (const auto& s : j["srams"]) {
    EXPECT_EQ(s["mapped_as"], "macro");
    if (s["instance"] == "u_imem") imem += s["bits"].get<long>();
    if (s["instance"].get<std::string>().rfind("g_dmem[", 0) == 0) dmem += s["bits"].get<long>();
  }
  EXPECT_EQ(imem, imem_bits);
  EXPECT_EQ(dmem, dmem_bits);
  const double area = j["design"]["area_um2"].get<double>();
  EXPECT_GT(area, 0.0);
  EXPECT_NEAR(j["design"]["area_kge"].get<double>(), area / 798.0, 1e-9);
  const auto& t = j["timing"];
  ASSERT_TRUE(t.is_object());
  EXPECT_NEAR(t["fmax_mhz"].get<double>(), 1000.0 / (2.0 - t["worst_slack_ns"].get<double>()), 1e-6);
  // The register file: 31 registers of 32 bits behind one clock gate each; on a clock enable
  // (core.clk_div > 1) one more for the core's flip-flops and one for its bus request registers.
  const long gates = man["params"]["core.clk_div"].get<int>() > 1 ? 33 : 31;
  EXPECT_EQ(j["design"]["cell_types"]["CLKGATE_X1"].get<long>(), gates);
  // The core alone has no multicycle constraint: its Fmax is the core clock it can run at.
  EXPECT_EQ(t["core_clk_div"].get<int>(), 1);
  EXPECT_TRUE(j["pe"].is_null());
  fs::remove_all(out);
}

TEST(Cli, ScopeErrors) {
  const fs::path out = temp_dir("scope_err");
  // An unknown scope.
  CliResult r = run_cli(fmt::format(
      "synth --config gen/configs/tiny.toml --target generic --scope chip --out {}", out.string()));
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("unknown --scope 'chip' (allowed: top, array, core)"), std::string::npos) << r.output;
  // An OS variant has no accelerator top.
  r = run_cli(fmt::format("synth --config gen/configs/small.toml --target generic --scope top --out {}",
                          out.string()));
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("has no accelerator top"), std::string::npos) << r.output;
  // The unit preset has no escape core.
  r = run_cli(fmt::format("synth --config gen/configs/unit.toml --target generic --scope core --out {}",
                          out.string()));
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("has no escape core"), std::string::npos) << r.output;
  // A preset that does not exist.
  r = run_cli(fmt::format("synth --config gen/configs/nope.toml --target generic --out {}", out.string()));
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("nope.toml"), std::string::npos) << r.output;
  fs::remove_all(out);
}

// OpenSTA failing (here a stand-in that prints an error and exits 1) gives its error line and the
// log's path, and no report.
TEST(Cli, StaFailureNamesTheErrorAndTheLog) {
  if (!have_tools(false)) GTEST_SKIP() << "yosys not on PATH (scripts/install-deps)";
  const fs::path out = temp_dir("stafail");
  const fs::path fake = out / "fake_sta";
  {
    std::ofstream f(fake);
    f << "#!/bin/sh\nif [ \"$1\" = -version ]; then echo 0; exit 0; fi\n"
         "echo 'Error: fake_sta: cannot read the netlist'\nexit 1\n";
  }
  fs::permissions(fake, fs::perms::owner_all);
  ASSERT_EQ(run_cli(fmt::format("gen --config gen/configs/tiny.toml --out {}", (out / "v").string())).code, 0);
  Options o;
  o.variant_dir = (out / "v").string();
  o.out_dir = (out / "o").string();
  o.scope = "array";
  o.ref_mac = false;
  o.sta = fake.string();
  try {
    run_synth(o);
    FAIL() << "no error";
  } catch (const tsr::Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("sta (OpenSTA) failed (exit 1)"), std::string::npos) << msg;
    EXPECT_NE(msg.find("Error: fake_sta: cannot read the netlist"), std::string::npos) << msg;
    EXPECT_NE(msg.find("full log: " + (out / "o" / "nangate45" / "sta.log").string()), std::string::npos) << msg;
  }
  EXPECT_FALSE(fs::exists(out / "o" / "nangate45" / "report.json"));
  fs::remove_all(out);
}

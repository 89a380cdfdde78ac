// Generator tests: presets, config diagnostics (in-process and through the CLI), output safety,
// determinism, golden snapshots and the generated config reference.
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tessera/error.h"
#include "tessera/gen/config.h"
#include "tessera/gen/emit.h"
#include "tessera/gen/isa_emit.h"
#include "tessera/gen/memmap.h"
#include "tessera/tb/harness.h"

#ifndef TSR_SOURCE_DIR
#error "TSR_SOURCE_DIR must be defined"
#endif
#ifndef TSR_CLI
#error "TSR_CLI must be the path of the tessera binary"
#endif

namespace fs = std::filesystem;
using namespace tsr::gen;

namespace {

const fs::path kSrc = TSR_SOURCE_DIR;

std::string read_file(const fs::path& p) { return tsr::tb::read_text(p.string()); }

void write_file(const fs::path& p, const std::string& text) { tsr::tb::write_text(p.string(), text); }

fs::path temp_dir(const std::string& name) { return tsr::tb::fresh_temp_dir("test_gen_" + name); }

tsr::tb::CommandResult run_cli(const std::string& args, const fs::path& cwd = kSrc) {
  return tsr::tb::run_command(fmt::format("cd '{}' && '{}' {}", cwd.string(), TSR_CLI, args));
}

const char* kValid =
    "name = \"t\"\n"
    "[array]\n"
    "rows = 4\n"
    "cols = 8\n"
    "dataflow = \"ws\"\n"
    "clock_gate = true\n"
    "[clock]\n"
    "freq_mhz = 500\n"
    "[memory]\n"
    "sp_kib = 16\n"
    "sp_banks = 2\n"
    "acc_kib = 8\n"
    "dw_line_px = 16\n"
    "[dma]\n"
    "bus_bits = 64\n"
    "[core]\n"
    "enable = true\n"
    "m_ext = true\n"
    "imem_kib = 16\n"
    "dmem_kib = 16\n"
    "clk_div = 3\n"
    "\n[skip]\n"
    "enable = false\n"
    "depth = 2\n"
    "psum_fifo = 2\n"
    "row_fifo = 16\n"
    "gate = true\n";

// Replaces `from` by `to` in the valid preset (expects exactly one occurrence).
std::string variant_of(const std::string& from, const std::string& to) {
  std::string s = kValid;
  const auto pos = s.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  return s.replace(pos, from.size(), to);
}

std::string error_of(const std::string& toml, const std::vector<std::string>& sets = {}) {
  const fs::path dir = temp_dir("err");
  const fs::path file = dir / "bad.toml";
  write_file(file, toml);
  try {
    load_config(file.string(), sets);
  } catch (const tsr::Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(Config, EveryPresetValidates) {
  int count = 0;
  for (const auto& e : fs::directory_iterator(kSrc / "gen/configs")) {
    if (e.path().extension() != ".toml") continue;
    const AccelConfig c = load_config(e.path().string(), {});
    EXPECT_EQ(c.name, e.path().stem().string());
    EXPECT_EQ(c.macs, c.rows * c.cols);
    EXPECT_EQ(c.hash.size(), 16u);
    ++count;
  }
  EXPECT_GE(count, 4);
}

TEST(Config, DerivedValues) {
  const AccelConfig c = load_config((kSrc / "gen/configs/wide.toml").string(), {});
  EXPECT_EQ(c.rows, 4);
  EXPECT_EQ(c.cols, 8);
  EXPECT_EQ(c.a_width, 32);
  EXPECT_EQ(c.b_width, 64);
  EXPECT_EQ(c.c_width, 256);
  EXPECT_EQ(c.fill_latency, 11);
}

TEST(Config, OverridesChangeValueAndHash) {
  const auto path = (kSrc / "gen/configs/tiny.toml").string();
  const AccelConfig a = load_config(path, {});
  const AccelConfig b = load_config(path, {"array.rows=3", "array.dataflow=os"});
  EXPECT_EQ(b.rows, 3);
  EXPECT_EQ(b.dataflow, Dataflow::OutputStationary);
  EXPECT_NE(a.hash, b.hash);
  EXPECT_EQ(a.hash, load_config(path, {}).hash);
}

TEST(ConfigErrors, UnknownKeyNamesFileLineAndKey) {
  const std::string e = error_of(variant_of("cols = 8\n", "cols = 8\ncolz = 3\n"));
  EXPECT_NE(e.find("bad.toml:5"), std::string::npos) << e;
  EXPECT_NE(e.find("unknown key 'array.colz'"), std::string::npos) << e;
}

TEST(ConfigErrors, UnknownSection) {
  const std::string e = error_of(std::string(kValid) + "[cache]\nsize = 4\n");
  EXPECT_NE(e.find("unknown section 'cache'"), std::string::npos) << e;
}

TEST(ConfigErrors, MissingKey) {
  const std::string e = error_of(variant_of("rows = 4\n", ""));
  EXPECT_NE(e.find("bad.toml: missing key 'array.rows'"), std::string::npos) << e;
  EXPECT_NE(e.find("1..64"), std::string::npos) << e;
}

TEST(ConfigErrors, WrongType) {
  const std::string e = error_of(variant_of("rows = 4", "rows = \"4\""));
  EXPECT_NE(e.find("bad.toml:3"), std::string::npos) << e;
  EXPECT_NE(e.find("'array.rows'"), std::string::npos) << e;
  EXPECT_NE(e.find("got a string"), std::string::npos) << e;
}

TEST(ConfigErrors, OutOfRange) {
  for (const char* v : {"0", "65", "-1"}) {
    const std::string e = error_of(variant_of("cols = 8", std::string("cols = ") + v));
    EXPECT_NE(e.find("bad.toml:4"), std::string::npos) << e;
    EXPECT_NE(e.find("out of range"), std::string::npos) << e;
    EXPECT_NE(e.find("1..64"), std::string::npos) << e;
  }
}

TEST(ConfigErrors, BadEnumAndName) {
  std::string e = error_of(variant_of("\"ws\"", "\"rs\""));
  EXPECT_NE(e.find("'array.dataflow'"), std::string::npos) << e;
  EXPECT_NE(e.find("\"ws\", \"os\""), std::string::npos) << e;
  e = error_of(variant_of("\"t\"", "\"Bad Name\""));
  EXPECT_NE(e.find("key 'name'"), std::string::npos) << e;
}

TEST(ConfigErrors, SyntaxErrorHasLineAndColumn) {
  const std::string e = error_of(variant_of("rows = 4", "rows = = 4"));
  EXPECT_NE(e.find("bad.toml:3:"), std::string::npos) << e;
  EXPECT_NE(e.find("TOML syntax error"), std::string::npos) << e;
}

TEST(ConfigErrors, BadOverrides) {
  EXPECT_NE(error_of(kValid, {"array.rows"}).find("expected key=value"), std::string::npos);
  EXPECT_NE(error_of(kValid, {"array.depth=3"}).find("unknown key 'array.depth'"), std::string::npos);
  const std::string e = error_of(kValid, {"array.rows=x"});
  EXPECT_NE(e.find("--set array.rows=x"), std::string::npos) << e;
  EXPECT_NE(e.find("not an integer"), std::string::npos) << e;
}

TEST(Config, CoreSection) {
  const AccelConfig c = load_config((kSrc / "gen/configs/default.toml").string(), {});
  EXPECT_TRUE(c.core_enable);
  EXPECT_TRUE(c.core_m_ext);
  EXPECT_EQ(c.core_imem_kib, 16);
  EXPECT_EQ(c.core_dmem_kib, 16);
  EXPECT_EQ(c.core_clk_div, 3);
  const AccelConfig d = load_config((kSrc / "gen/configs/default.toml").string(),
                                    {"core.m_ext=false", "core.imem_kib=64"});
  EXPECT_FALSE(d.core_m_ext);
  EXPECT_EQ(d.core_imem_kib, 64);
  EXPECT_NE(c.hash, d.hash);
  EXPECT_EQ(param_value(d, "core.m_ext"), "false");
}

TEST(ConfigErrors, CoreSectionErrors) {
  std::string e = error_of(variant_of("enable = true", "enable = 1"));
  EXPECT_NE(e.find("'core.enable'"), std::string::npos) << e;
  EXPECT_NE(e.find("true or false"), std::string::npos) << e;
  EXPECT_NE(e.find("got a integer"), std::string::npos) << e;
  e = error_of(variant_of("imem_kib = 16", "imem_kib = 12"));
  EXPECT_NE(e.find("bad.toml:19"), std::string::npos) << e;
  EXPECT_NE(e.find("'core.imem_kib': 12 is not a power of two"), std::string::npos) << e;
  e = error_of(variant_of("clk_div = 3", "clk_div = 0"));
  EXPECT_NE(e.find("'core.clk_div'"), std::string::npos) << e;
  EXPECT_NE(e.find("out of range"), std::string::npos) << e;
  e = error_of(variant_of("dmem_kib = 16", "dmem_kib = 512"));
  EXPECT_NE(e.find("out of range"), std::string::npos) << e;
  e = error_of(kValid, {"core.m_ext=yes"});
  EXPECT_NE(e.find("--set core.m_ext=yes"), std::string::npos) << e;
  EXPECT_NE(e.find("true or false"), std::string::npos) << e;
}

TEST(Memmap, RegionsAreOrderedDisjointAndSizedByTheConfig) {
  for (const char* preset : {"tiny", "default", "wide"}) {
    const AccelConfig c = load_config((kSrc / "gen/configs" / (std::string(preset) + ".toml")).string(),
                                      {"core.imem_kib=64", "core.dmem_kib=256"});
    const auto rs = tsr::gen::memmap::regions(c);
    ASSERT_EQ(rs.size(), 5u);
    EXPECT_EQ(rs[0].size, 64u * 1024);
    EXPECT_EQ(rs[1].size, 256u * 1024);
    EXPECT_GE(rs[2].size, uint32_t(c.sp_rows * c.sp_row_bytes));
    for (size_t i = 0; i + 1 < rs.size(); ++i) {
      EXPECT_LE(uint64_t(rs[i].base) + rs[i].size, rs[i + 1].base) << rs[i].name;
    }
  }
}

TEST(Memmap, EmittedFilesAgree) {
  const AccelConfig c = load_config((kSrc / "gen/configs/default.toml").string(), {"core.dmem_kib=8"});
  std::map<std::string, std::string> by_path;
  for (const auto& f : generate(c, "cmd")) by_path[f.path] = f.text;
  const std::string& h = by_path["include/tsr_memmap.h"];
  const std::string& ld = by_path["firmware/tsr_memory.ld"];
  const std::string& vh = by_path["rtl/tsr_memmap.vh"];
  EXPECT_NE(h.find("#define TSR_DMEM_SIZE 0x00002000u"), std::string::npos) << h;
  EXPECT_NE(h.find("#define TSR_STACK_TOP 0x00012000u"), std::string::npos) << h;
  EXPECT_NE(h.find("#define TSR_MMIO_ESC_DONE_ADDR 0x3000000cu"), std::string::npos) << h;
  EXPECT_NE(ld.find("DMEM (rw)  : ORIGIN = 0x00010000, LENGTH = 0x00002000"), std::string::npos) << ld;
  EXPECT_NE(ld.find("__stack_top = 0x00012000;"), std::string::npos) << ld;
  EXPECT_NE(vh.find("localparam [31:0] TSR_DMEM_SIZE = 32'h00002000;"), std::string::npos);
  EXPECT_NE(by_path["docs/memory-map.md"].find("| DMEM | 0x00010000 | 0x2000 (8192 bytes)"),
            std::string::npos);
}

TEST(ConfigErrors, MissingFile) {
  try {
    load_config("/nonexistent/x.toml", {});
    FAIL() << "no error";
  } catch (const tsr::Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/x.toml"), std::string::npos);
  }
}

TEST(Generate, ExtremeArraySizesLegalize) {
  // 64x64 and 1x64 / 64x1 pass the generator's own checks (legalize) in both dataflows.
  const auto path = (kSrc / "gen/configs/tiny.toml").string();
  for (const char* df : {"ws", "os"}) {
    for (auto [r, c] : {std::pair{64, 64}, std::pair{1, 64}, std::pair{64, 1}}) {
      const AccelConfig cfg = load_config(
          path, {fmt::format("array.rows={}", r), fmt::format("array.cols={}", c),
                 fmt::format("array.dataflow={}", df), "memory.sp_kib=64", "memory.acc_kib=64"});
      const auto files = generate(cfg, "test");
      bool found = false;
      for (const auto& f : files) {
        if (f.path != "rtl/tsr_array.v") continue;
        found = true;
        EXPECT_NE(f.text.find(fmt::format("u_pe_r{}_c{}", r - 1, c - 1)), std::string::npos);
        std::istringstream lines(f.text);
        std::string line;
        while (std::getline(lines, line)) ASSERT_LE(line.size(), 100u) << line;
      }
      EXPECT_TRUE(found);
    }
  }
}

TEST(Generate, DeterministicBytes) {
  const AccelConfig cfg = load_config((kSrc / "gen/configs/small.toml").string(), {});
  const auto a = generate(cfg, "cmd");
  const auto b = generate(cfg, "cmd");
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].path, b[i].path);
    EXPECT_EQ(a[i].text, b[i].text) << a[i].path;
  }
}

TEST(Generate, EveryFileHasBannerWithCommandAndHash) {
  const AccelConfig cfg = load_config((kSrc / "gen/configs/tiny.toml").string(), {});
  const std::string cmd = "tessera gen --config gen/configs/tiny.toml --out x";
  for (const auto& f : generate(cfg, cmd)) {
    const std::string head = f.text.substr(0, 600);
    EXPECT_NE(head.find("do not edit"), std::string::npos) << f.path;
    EXPECT_NE(head.find("Regenerate: " + cmd), std::string::npos) << f.path;
    EXPECT_NE(head.find(cfg.hash), std::string::npos) << f.path;
    EXPECT_NE(head.find(version()), std::string::npos) << f.path;
  }
}

// Golden snapshots: the generated files of two presets, byte for byte. Copies of the leaf modules
// (kind "rtl-copy") are not snapshotted: they are rtl/ plus a banner, checked below.
class Snapshot : public ::testing::TestWithParam<const char*> {};

TEST_P(Snapshot, MatchesCheckedInFiles) {
  const std::string preset = GetParam();
  const std::string cmd = fmt::format("tessera gen --config gen/configs/{}.toml --out tb/golden/{}", preset, preset);
  const AccelConfig cfg = load_config((kSrc / "gen/configs" / (preset + ".toml")).string(), {});
  const fs::path golden = kSrc / "tb/golden" / preset;
  size_t expected = 0;
  for (const auto& f : generate(cfg, cmd)) {
    if (f.kind == "rtl-copy") {
      const std::string original = read_file(kSrc / "rtl" / fs::path(f.path).filename());
      EXPECT_FALSE(original.empty()) << f.path;
      EXPECT_TRUE(f.text.ends_with(original)) << f.path << " is not a copy of rtl/";
      continue;
    }
    ++expected;
    EXPECT_EQ(read_file(golden / f.path), f.text)
        << "tb/golden/" << preset << "/" << f.path << " differs from the generator's output.\n"
        << "If the change is intended, regenerate the snapshots: scripts/update-golden";
  }
  size_t on_disk = 0;
  for (const auto& e : fs::recursive_directory_iterator(golden)) on_disk += e.is_regular_file();
  EXPECT_EQ(on_disk, expected) << "tb/golden/" << preset << " has extra or missing files";
}

INSTANTIATE_TEST_SUITE_P(Presets, Snapshot, ::testing::Values("tiny", "unit"));

TEST(Docs, ConfigReferenceIsCurrent) {
  EXPECT_EQ(read_file(kSrc / "docs/config-reference.md"), config_reference())
      << "docs/config-reference.md is stale; regenerate: " << TSR_CLI
      << " config-reference > docs/config-reference.md";
}

TEST(Docs, CommandReferenceIsCurrent) {
  EXPECT_EQ(read_file(kSrc / "docs/commands.md"), tsr::gen::isa::reference_markdown())
      << "docs/commands.md is stale; regenerate: " << TSR_CLI
      << " isa-reference > docs/commands.md";
}

TEST(Docs, MemoryMapIsCurrent) {
  EXPECT_EQ(read_file(kSrc / "docs/memory-map.md"), tsr::gen::memmap::markdown(nullptr))
      << "docs/memory-map.md is stale; regenerate: " << TSR_CLI
      << " memmap-reference > docs/memory-map.md";
}

// ---- through the CLI ----------------------------------------------------------------------------

TEST(Cli, VersionAndHelp) {
  tsr::tb::CommandResult r = run_cli("--version");
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.output.find(std::string("tessera ") + version()), std::string::npos) << r.output;
  r = run_cli("--help");
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.output.find("gen"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("bench"), std::string::npos) << r.output;
  r = run_cli("no-such-command");
  EXPECT_NE(r.code, 0);
}

TEST(Cli, BadConfigIsOneLineErrorAndWritesNothing) {
  const fs::path dir = temp_dir("cli_bad");
  write_file(dir / "bad.toml", variant_of("rows = 4", "rows = 99"));
  const tsr::tb::CommandResult r = run_cli("gen --config bad.toml --out out", dir);
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
  EXPECT_NE(r.output.find("tessera: error: bad.toml:3: key 'array.rows'"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir / "out"));
}

TEST(Cli, GenWritesVariantAndIsByteIdenticalOnRerun) {
  const fs::path dir = temp_dir("cli_gen");
  const std::string args = fmt::format("gen --config gen/configs/wide.toml --out {}", (dir / "v").string());
  ASSERT_EQ(run_cli(args).code, 0);
  const std::string first = read_file(dir / "v/rtl/tsr_array.v");
  const std::string manifest = read_file(dir / "v/manifest.json");
  EXPECT_NE(first.find("module tsr_array"), std::string::npos);
  EXPECT_NE(manifest.find("\"array.cols\": 8"), std::string::npos);
  EXPECT_NE(read_file(dir / "v/include/tsr_params.h").find("#define TSR_ARRAY_COLS 8"), std::string::npos);
  ASSERT_EQ(run_cli(args).code, 0);
  EXPECT_EQ(read_file(dir / "v/rtl/tsr_array.v"), first);
  EXPECT_EQ(read_file(dir / "v/manifest.json"), manifest);
}

TEST(Cli, RefusesToOverwriteForeignFilesWithoutForce) {
  const fs::path dir = temp_dir("cli_force");
  write_file(dir / "v/rtl/tsr_array.v", "my own file\n");
  const std::string args = fmt::format("gen --config gen/configs/tiny.toml --out {}", (dir / "v").string());
  tsr::tb::CommandResult r = run_cli(args);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("refusing to overwrite"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("tsr_array.v"), std::string::npos) << r.output;
  EXPECT_EQ(read_file(dir / "v/rtl/tsr_array.v"), "my own file\n");
  EXPECT_FALSE(fs::exists(dir / "v/manifest.json"));
  r = run_cli(args + " --force");
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_NE(read_file(dir / "v/rtl/tsr_array.v").find("module tsr_array"), std::string::npos);
}

TEST(Cli, RegeneratingRemovesFilesOfThePreviousConfig) {
  const fs::path dir = temp_dir("cli_stale");
  const std::string out = (dir / "v").string();
  ASSERT_EQ(run_cli(fmt::format("gen --config gen/configs/tiny.toml --out {}", out)).code, 0);
  EXPECT_TRUE(fs::exists(dir / "v/rtl/tsr_pe_ws.v"));
  ASSERT_EQ(run_cli(fmt::format("gen --config gen/configs/tiny.toml --set array.dataflow=os --out {}", out)).code, 0);
  EXPECT_FALSE(fs::exists(dir / "v/rtl/tsr_pe_ws.v"));
  EXPECT_TRUE(fs::exists(dir / "v/rtl/tsr_pe_os.v"));
}

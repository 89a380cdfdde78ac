// tessera: the command-line front end. A thin shell over the gen / sw / sim libraries: parse the
// arguments, call the library, print, and turn any tsr::Error into a one-line message and exit 1.
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "tessera/error.h"
#include "tessera/gen/config.h"
#include "tessera/gen/emit.h"
#include "tessera/gen/isa_emit.h"
#include "tessera/gen/memmap.h"

#ifdef TSR_WITH_SIM
#include "tessera/core/bench_core.h"
#include "tessera/core/core_sim.h"
#include "tessera/sim/bench.h"
#include "tessera/top/bench_layers.h"
#include "tessera/skip/bench_skip.h"
#include "tessera/skip/bench_skip_rtl.h"
#include "tessera/top/rtl_backend.h"
#endif
#ifdef TSR_WITH_SYNTH
#include "tessera/synth/sweep.h"
#include "tessera/synth/synth.h"
#endif

namespace {

std::string quote_arg(const std::string& a) {
  if (a.find_first_of(" \t'\"$\\") == std::string::npos && !a.empty()) return a;
  std::string q = "'";
  for (char c : a) q += (c == '\'') ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

int run(int argc, char** argv) {
  CLI::App app{"tessera: generator, simulator and driver for a parameterized int8 systolic "
               "inference accelerator"};
  app.set_version_flag("--version", std::string("tessera ") + tsr::gen::version());
  app.require_subcommand(1);

  // tessera gen
  std::string config_path, out_dir;
  std::vector<std::string> sets;
  bool force = false;
  auto* gen = app.add_subcommand("gen", "Generate the RTL, C header, manifest and docs of a variant");
  gen->add_option("--config", config_path, "TOML preset, e.g. gen/configs/default.toml")->required();
  gen->add_option("--set", sets, "Override a key: --set array.rows=8 (repeatable)");
  gen->add_option("--out", out_dir, "Output directory")->required();
  gen->add_flag("--force", force, "Overwrite files in --out that tessera did not write");

  auto* ref = app.add_subcommand("config-reference", "Print the configuration reference (markdown)");
  auto* isa_ref = app.add_subcommand(
      "isa-reference", "Print the command set, CSR map and counters (markdown, docs/commands.md)");
  auto* mm_ref = app.add_subcommand(
      "memmap-reference", "Print the escape core's memory map (markdown, docs/memory-map.md)");

#ifdef TSR_WITH_SIM
  auto* bench = app.add_subcommand("bench", "Benchmarks that print tables of cycles and ratios");
  bench->require_subcommand(1);
  tsr::sim::BenchArrayOptions bopt;
  auto* barr = bench->add_subcommand("array", "GEMM cycles and utilization of the built-in variants");
  barr->add_option("--variant", bopt.variants, "Built-in variant(s) to run (default: all)");
  barr->add_option("--json", bopt.json_path, "Also write the results as JSON to this file");
  barr->add_option("--markdown", bopt.markdown_path, "Also write the table as markdown to this file");
  barr->add_flag("--quick", bopt.quick, "Fewer shapes (for tests)");
  tsr::top::BenchLayersOptions lopt;
  auto* blay = bench->add_subcommand(
      "layers", "Layer cycles on the accelerator against the roofline bound (bit-exact checked)");
  blay->add_option("--variant", lopt.variants, "Variant(s) with an accelerator top (default: default)");
  blay->add_option("--json", lopt.json_path, "Also write the results as JSON to this file");
  blay->add_option("--markdown", lopt.markdown_path, "Also write the table as markdown to this file");
  blay->add_option("--latency", lopt.latency, "Memory latency in cycles (default 64)");
  blay->add_flag("--quick", lopt.quick, "Smaller layers (for tests)");
  blay->add_flag("--disassemble", lopt.disassemble, "Print each layer's command list");
  blay->add_option("--only", lopt.only, "Run only the layers whose 'name shape' contains this");
  blay->add_option("--wave", lopt.wave,
                   "Write an FST wave of the layer run (with --only; scripts/unit-timeline.py reads it)");
  tsr::skip::BenchSkipRtlOptions srtl;
  auto* bskiprtl = bench->add_subcommand(
      "skip-rtl", "Zero skipping on the verilated accelerator: real-activation networks, array layer cycles "
                  "dense / skip off / skip on, bit-exact (docs/skip.md)");
  bskiprtl->add_option("--variant", srtl.variant, "Built-in zero-skip variant with a top (default: default_skip)");
  bskiprtl->add_option("--dense", srtl.dense_variant, "Built-in dense variant of the same size (default: default)");
  bskiprtl->add_option("--net", srtl.nets, "ic_resnet8 | person_detect (default: ic_resnet8)");
  bskiprtl->add_option("--markdown", srtl.markdown_path, "Also write the tables as markdown to this file");
  bskiprtl->add_flag("!--no-balance", srtl.balance, "No fourth run with the array rows balanced");
  tsr::core::BenchCoreOptions bcopt;
  tsr::skip::BenchSkipOptions skopt;
  auto* bskip = bench->add_subcommand(
      "skip", "Zero skipping: array cycles vs sparsity, toggles, area, real activations (docs/skip.md)");
  bskip->add_option("--out", skopt.out_dir, "Output directory (bench_skip.md/.json, skip_sweep.svg, synth/)")
      ->required();
  bskip->add_flag("--quick", skopt.quick, "Small GEMMs, no synthesis (for tests)");
  bskip->add_option("--area-preset", skopt.area_preset, "Preset whose array is synthesized (default: default)");
  bskip->add_flag("!--no-synth", skopt.synth, "Skip the area comparison");
  auto* bcore = bench->add_subcommand(
      "core", "Cycles and CPI of the escape core on integer benchmarks and firmware ops");
  bcore->add_option("--json", bcopt.json_path, "Also write the results as JSON to this file");
  bcore->add_option("--markdown", bcopt.markdown_path, "Also write the table as markdown to this file");
  bcore->add_flag("--quick", bcopt.quick, "Integer benchmarks only (for tests)");
  tsr::core::CoreRunCli copt;
  auto* crun = app.add_subcommand(
      "core-run", "Run a bare-metal RV32IM ELF on the simulated escape core (docs/core.md)");
  crun->add_option("elf", copt.elf, "Program (linked with the variant's tsr_memory.ld)")->required();
  crun->add_option("--max-cycles", copt.max_cycles, "Stop with an error after N cycles (default 1e8)");
  crun->add_option("--trace", copt.trace_path, "Write an FST wave of the run");
  crun->add_option("--variant", copt.variant, "Built-in core variant: default (RV32IM) or tiny (RV32I)");
  tsr::top::BenchNetsOptions nopt;
  auto* bnets = bench->add_subcommand(
      "nets", "Cycles per inference of real networks on the verilated accelerator (docs/driver.md)");
  bnets->add_option("--variant", nopt.variant, "Variant with an accelerator top (default: default)");
  bnets->add_option("--net", nopt.nets, "ic_resnet8 | kws_dscnn | person_detect (default: all three)");
  bnets->add_option("--markdown", nopt.markdown_path, "Also write the table as markdown to this file");

  // tessera run (docs/driver.md)
  tsr::drv::RunModelOptions ropt;
  auto* runc = app.add_subcommand("run", "Run a TFLite int8 model: interpreter, reference model or RTL");
  runc->add_option("model", ropt.model, "MODEL.tflite")->required();
  runc->add_option("--input", ropt.input, ".npy (int8/uint8/float32), 8-bit .bmp/.pgm or raw bytes")->required();
  runc->add_option("--backend", ropt.backend, "interp | reference (default) | rtl");
  runc->add_option("--config", ropt.config, "Variant preset (tiny, wide, default, ...) or TOML file");
  runc->add_option("--manifest", ropt.manifest, "DIR/manifest.json of a generated variant");
  runc->add_option("--variant", ropt.variant, "rtl: built-in verilated variant (tiny, wide, default)");
  runc->add_option("--labels", ropt.labels, "Labels file, one per line");
  runc->add_option("--top", ropt.top_k, "How many classes to print (default 3)");
  runc->add_option("--output", ropt.output_npy, "Save the output tensor as int8 .npy");
  runc->add_option("--trace", ropt.trace, "rtl: write an FST wave of the run");
  runc->add_option("--firmware", ropt.firmware,
                   "Escape-core firmware ELF for SOFTMAX on the core (default: the build's "
                   "firmware/tsr_escape.elf; 'none': SOFTMAX on the host)");
  runc->add_flag("--profile", ropt.profile, "Placement, tiling and per-layer MACs, cycles, utilization, DMA bytes");
  runc->add_flag("--check", ropt.check, "Compare every layer with the interpreter; report the first difference");
  runc->add_flag("--progress", ropt.progress, "Progress bar (stderr)");
  runc->add_flag("--no-skip", ropt.no_skip, "Zero-skip variants: run the MATMULs with skipping off");
  runc->add_flag("!--no-balance", ropt.balance, "Zero-skip variants: keep the channel order (no row balancing)");
  runc->add_option("--calibrate", ropt.calibration,
                   "Zero-skip variants: input whose channel densities balance the rows (default: --input)");
#endif

#ifdef TSR_WITH_SYNTH
  // tessera synth
  tsr::synth::Options sopt;
  std::string synth_config, synth_target = "nangate45";
  std::vector<std::string> synth_sets;
  auto* synth = app.add_subcommand(
      "synth", "Area and timing of a variant from Yosys (and OpenSTA for nangate45); docs/synth.md");
  auto* synth_cfg = synth->add_option(
      "--config", synth_config, "TOML preset: generate the variant into OUT/variant, then synthesize");
  synth->add_option("--set", synth_sets, "Override a key of --config: --set array.rows=8 (repeatable)");
  auto* synth_dir = synth->add_option("--variant-dir", sopt.variant_dir,
                                      "An already generated variant directory (tessera gen --out)");
  synth_cfg->excludes(synth_dir);
  synth->add_option("--target", synth_target, "generic | ice40 | ecp5 | nangate45 (default)");
  synth->add_option("--liberty", sopt.liberty,
                    "Nangate45 Liberty file, .lib or .lib.gz (default: $TSR_LIBERTY, else " +
                        tsr::synth::default_liberty() + ")");
  synth->add_option("--out", sopt.out_dir, "Output directory; results go to OUT/<target>/")->required();
  synth->add_option("--scope", sopt.scope,
                    "top (whole accelerator + the escape core separately; default when the variant "
                    "has tsr_top) | array | core (the escape core alone)");
  long synth_sram_threshold = -1;
  auto* synth_thr = synth->add_option(
      "--sram-threshold-bits", synth_sram_threshold,
      "SRAMs with more bits become black-box macros (default 4096; FPGA targets: none)");
  synth->add_flag("!--no-core", sopt.core, "Do not synthesize the escape core separately");

  // tessera sweep
  tsr::synth::SweepOptions wopt;
  std::string sweep_target = "nangate45";
  auto* sweep = app.add_subcommand(
      "sweep", "Synthesize several array sizes and dataflows in parallel: CSV, markdown, SVG plot");
  sweep->add_option("--config", wopt.config_path, "Base TOML preset")->required();
  sweep->add_option("--set", wopt.sets, "Override a key for every point (repeatable)");
  wopt.sizes = {2, 4, 8, 16, 32};
  sweep->add_option("--sizes", wopt.sizes, "Square array sizes (default 2,4,8,16,32)")->delimiter(',');
  wopt.dataflows = {"ws", "os"};
  sweep->add_option("--dataflows", wopt.dataflows, "Dataflows (default ws,os)")->delimiter(',');
  sweep->add_option("--target", sweep_target, "generic | ice40 | ecp5 | nangate45 (default)");
  sweep->add_option("--liberty", wopt.liberty, "Nangate45 Liberty file");
  sweep->add_option("--jobs", wopt.jobs, "Synthesis runs at once (default 2)");
  std::vector<std::string> sweep_vary;
  sweep->add_option("--vary", sweep_vary,
                    "Another option dimension, KEY=V1,V2 (repeatable): --vary core.enable=true,false");
  sweep->add_option("--scope", wopt.scope,
                    "array (default) | top (whole accelerator + escape core; os points stay array)");
  sweep->add_option("--out", wopt.out_dir, "Output directory")->required();
#endif

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  if (gen->parsed()) {
    const tsr::gen::AccelConfig cfg = tsr::gen::load_config(config_path, sets);
    std::string command = "tessera gen --config " + quote_arg(config_path);
    for (const auto& s : sets) command += " --set " + quote_arg(s);
    command += " --out " + quote_arg(out_dir);
    const auto files = tsr::gen::generate(cfg, command);
    tsr::gen::write_output(files, out_dir, force);
    fmt::print("tessera: wrote {} files for variant '{}' ({}x{} {}, hash {}) to {}\n", files.size(),
               cfg.name, cfg.rows, cfg.cols, cfg.dataflow_name(), cfg.hash, out_dir);
    return 0;
  }
  if (ref->parsed()) {
    fmt::print("{}", tsr::gen::config_reference());
    return 0;
  }
  if (isa_ref->parsed()) {
    fmt::print("{}", tsr::gen::isa::reference_markdown());
    return 0;
  }
  if (mm_ref->parsed()) {
    fmt::print("{}", tsr::gen::memmap::markdown(nullptr));
    return 0;
  }
#ifdef TSR_WITH_SIM
  if (barr->parsed()) return tsr::sim::bench_array(bopt);
  if (blay->parsed()) return tsr::top::bench_layers(lopt);
  if (crun->parsed()) return tsr::core::core_run(copt);
  if (bcore->parsed()) return tsr::core::bench_core(bcopt);
  if (bskip->parsed()) return tsr::skip::bench_skip(skopt);
  if (bskiprtl->parsed()) return tsr::skip::bench_skip_rtl(srtl);
  if (bnets->parsed()) return tsr::top::bench_nets(nopt);
  if (runc->parsed()) {
    const auto rtl = tsr::top::rtl_factory();
    return tsr::drv::run_model(ropt, &rtl);
  }
#endif
#ifdef TSR_WITH_SYNTH
  if (sweep->parsed()) {
    wopt.target = tsr::synth::parse_target(sweep_target);
    for (const auto& v : sweep_vary) {
      const auto eq = v.find('=');
      if (eq == std::string::npos || eq == 0 || eq + 1 == v.size()) {
        throw tsr::Error(fmt::format("sweep: --vary '{}' is not KEY=V1,V2,...", v));
      }
      std::vector<std::string> values;
      std::string rest = v.substr(eq + 1);
      for (std::size_t pos = 0; pos <= rest.size();) {
        const auto comma = rest.find(',', pos);
        const std::string item = rest.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
        if (item.empty()) throw tsr::Error(fmt::format("sweep: --vary '{}' has an empty value", v));
        values.push_back(item);
        if (comma == std::string::npos) break;
        pos = comma + 1;
      }
      wopt.vary.emplace_back(v.substr(0, eq), values);
    }
    const auto pts = tsr::synth::run_sweep(wopt);
    for (const auto& pt : pts) {
      if (!pt.error.empty()) return 1;
    }
    return 0;
  }
  if (synth->parsed()) {
    sopt.target = tsr::synth::parse_target(synth_target);
    if (synth_config.empty() == sopt.variant_dir.empty()) {
      throw tsr::Error("synth: give either --config PRESET.toml or --variant-dir DIR");
    }
    if (!synth_sets.empty() && synth_config.empty()) {
      throw tsr::Error("synth: --set needs --config (a generated --variant-dir is fixed)");
    }
    std::string command = "tessera synth";
    if (!synth_config.empty()) {
      command += " --config " + quote_arg(synth_config);
      for (const auto& s : synth_sets) command += " --set " + quote_arg(s);
    } else {
      command += " --variant-dir " + quote_arg(sopt.variant_dir);
    }
    command += " --target " + quote_arg(synth_target);
    if (!sopt.liberty.empty()) command += " --liberty " + quote_arg(sopt.liberty);
    if (!sopt.scope.empty()) command += " --scope " + quote_arg(sopt.scope);
    if (synth_thr->count() > 0) {
      sopt.sram_threshold_bits = synth_sram_threshold;
      command += " --sram-threshold-bits " + std::to_string(synth_sram_threshold);
    }
    if (!sopt.core) command += " --no-core";
    command += " --out " + quote_arg(sopt.out_dir);
    sopt.command = command;
    if (!synth_config.empty()) {
      sopt.variant_dir = tsr::synth::generate_variant(synth_config, synth_sets, sopt.out_dir);
    }
    const tsr::synth::SynthResult r = tsr::synth::run_synth(sopt);
    fmt::print("tessera: synthesized variant '{}' for {}\n", r.variant.name,
               tsr::synth::target_name(r.target));
    if (r.design.area_um2) {
      fmt::print("  area   {:.1f} um^2", *r.design.area_um2);
      if (r.kge_um2) fmt::print(" ({:.2f} kGE)", *r.design.area_um2 / *r.kge_um2);
      fmt::print(" standard cells, scope {}\n", r.scope);
      if (r.macro_area_um2 > 0) {
        const double total = *r.design.area_um2 + r.macro_area_um2;
        fmt::print("  + SRAM macros {:.1f} um^2 (model) = {:.1f} um^2", r.macro_area_um2, total);
        if (r.kge_um2) fmt::print(" ({:.2f} kGE)", total / *r.kge_um2);
        fmt::print("\n");
      }
    } else {
      fmt::print("  cells  {}", r.design.cells);
      for (const auto& [cls, n] : r.design.resources) fmt::print(", {} {}", cls, n);
      fmt::print("\n");
    }
    if (r.timing && r.timing->worst) {
      fmt::print("  fmax   {:.0f} MHz (clock {} MHz, worst slack {:.3f} ns: {} -> {})\n",
                 r.timing->fmax_mhz(), r.variant.freq_mhz, r.timing->worst->slack_ns,
                 r.timing->worst->startpoint, r.timing->worst->endpoint);
    }
    for (const auto& b : r.blocks) {
      if (b.key != "core" || b.instances == 0) continue;
      if (b.area_um2 && r.kge_um2) {
        fmt::print("  core   {:.1f} um^2 ({:.2f} kGE) standard cells, inside tsr_top\n", *b.area_um2,
                   *b.area_um2 / *r.kge_um2);
      } else {
        fmt::print("  core   {} cells, inside tsr_top\n", b.cells);
      }
    }
    if (r.core) {
      if (r.core->design.area_um2 && r.kge_um2) {
        fmt::print("  core   {:.1f} um^2 ({:.2f} kGE) standard cells, separate run (not in tsr_top)",
                   *r.core->design.area_um2, *r.core->design.area_um2 / *r.kge_um2);
        if (r.core->timing && r.core->timing->worst) {
          fmt::print(", fmax {:.0f} MHz", r.core->timing->fmax_mhz());
        }
        fmt::print("\n");
      } else {
        fmt::print("  core   {} cells, separate run (not in tsr_top)\n", r.core->design.cells);
      }
    }
    fmt::print("  report {}\n         {}\n", r.markdown_path, r.json_path);
    return 0;
  }
#endif
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const tsr::Error& e) {
    fmt::print(stderr, "tessera: error: {}\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    fmt::print(stderr, "tessera: internal error: {}\n", e.what());
    return 2;
  }
}

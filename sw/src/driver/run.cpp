#include "tessera/driver/run.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "tessera/driver/balance.h"
#include "tessera/driver/io.h"
#include "tessera/driver/tflite.h"
#include "tessera/error.h"
#include "tessera/gen/config.h"

namespace tsr::drv {

VariantInfo variant_from_config(const std::string& name_or_path) {
  std::string path = name_or_path;
  if (path.find('/') == std::string::npos && path.find(".toml") == std::string::npos) {
    path = std::string(TSR_CONFIG_DIR) + "/" + path + ".toml";
  }
  const auto cfg = gen::load_config(path, {});
  return {dev::DeviceParams::from_config(cfg), cfg.freq_mhz};
}

VariantInfo variant_from_manifest(const std::string& manifest_path) {
  std::ifstream in(manifest_path);
  if (!in) fail("{}: cannot read the manifest", manifest_path);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const std::exception& e) {
    fail("{}: not valid JSON: {}", manifest_path, e.what());
  }
  if (!j.contains("constants")) fail("{}: no 'constants' object", manifest_path);
  const auto& k = j.at("constants");
  const auto num = [&](const char* key) {
    if (!k.contains(key)) fail("{}: constants has no {}", manifest_path, key);
    return std::stoi(k.at(key).get<std::string>());
  };
  if (k.contains("TSR_HAS_TOP") && num("TSR_HAS_TOP") == 0) fail("{}: the variant has no accelerator top", manifest_path);
  VariantInfo v;
  std::string name = k.contains("TSR_VARIANT") ? k.at("TSR_VARIANT").get<std::string>() : "variant";
  name.erase(std::remove(name.begin(), name.end(), '"'), name.end());
  v.dp.name = name;
  v.dp.rows = num("TSR_ARRAY_ROWS");
  v.dp.cols = num("TSR_ARRAY_COLS");
  v.dp.sp_row_bytes = num("TSR_SP_ROW_BYTES");
  v.dp.sp_rows = num("TSR_SP_ROWS");
  v.dp.sp_bank_rows = num("TSR_SP_BANK_ROWS");
  v.dp.sp_banks = num("TSR_SP_BANKS");
  v.dp.acc_rows = num("TSR_ACC_ROWS");
  v.dp.acc_bank_rows = num("TSR_ACC_BANK_ROWS");
  v.dp.bus_bytes = num("TSR_DMA_BUS_BYTES");
  v.clock_mhz = num("TSR_CLOCK_MHZ");
  if (k.contains("TSR_SKIP_ENABLE") && num("TSR_SKIP_ENABLE") != 0) v.dp.skip_depth = num("TSR_SKIP_DEPTH");
  if (k.contains("TSR_CORE_ENABLE")) {
    v.dp.has_core = num("TSR_CORE_ENABLE") != 0;
    v.dp.core_m_ext = num("TSR_CORE_M_EXT") != 0;
    v.dp.core_imem_bytes = static_cast<uint32_t>(num("TSR_CORE_IMEM_KIB")) * 1024;
    v.dp.core_dmem_bytes = static_cast<uint32_t>(num("TSR_CORE_DMEM_KIB")) * 1024;
  }
  // The core's scratchpad window: SPAD size / rows bytes per row.
  if (j.contains("core_memmap") && j.at("core_memmap").contains("SPAD") && v.dp.sp_rows > 0) {
    v.dp.sp_row_stride = static_cast<int>(j.at("core_memmap").at("SPAD").at("size").get<uint64_t>() /
                                          static_cast<uint64_t>(v.dp.sp_rows));
  }
  return v;
}

std::string default_firmware_path() { return TSR_DEFAULT_FIRMWARE; }

std::shared_ptr<const iss::ElfImage> firmware_for(const std::string& option) {
  if (option == "none") return nullptr;
  std::string path = option;
  if (path.empty()) {
    path = default_firmware_path();
    if (!std::filesystem::exists(path)) return nullptr;
  }
  return std::make_shared<const iss::ElfImage>(iss::load_elf(path));
}

std::string profile_table(const CompiledNet& net, const NetResult& r, int clock_mhz, bool has_cycles) {
  const auto& dp = net.dp;
  const uint64_t rc = static_cast<uint64_t>(dp.rows) * static_cast<uint64_t>(dp.cols);
  std::string s = fmt::format("profile on '{}' ({}x{} array, {} B/cycle DMA{})\n", dp.name, dp.rows, dp.cols, dp.bus_bytes,
                              has_cycles ? fmt::format(", {} MHz", clock_mhz) : ", reference model: no cycles");
  s += fmt::format("{:<24} {:<6} {:>10} {:>9} {:>9} {:>7} {:>7} {:>9} {:>10} {:>6}\n", "layer", "place", "MACs", "cycles",
                   "bound", "%bound", "util", "DMA B", "core instr", "exact");
  uint64_t macs = 0, bound_sum = 0, dma = 0, core = 0;
  // Zero-skip variants: per array layer the share of the array's row-steps skipped (SKIP_CYCLES
  // over D*R per beat, from ARRAY_MACS), the MACs gated (GATED_MACS) and the array cycles
  // (ARRAY_CYCLES; rtl backend only).
  const bool skip = dp.skip_depth > 0;
  uint64_t skip_steps = 0, gated = 0, steps = 0, array_cycles = 0;
  std::vector<std::string> skip_cols;
  for (const auto& lr : r.layers) {
    array_cycles += lr.run.array_cycles;
    const uint64_t st = lr.run.array_macs / static_cast<uint64_t>(dp.cols);
    skip_steps += lr.run.skip_steps;
    gated += lr.run.gated_macs;
    steps += st;
    skip_cols.push_back(st ? fmt::format(" {:>7.1f}% {:>10} {:>10}", 100.0 * double(lr.run.skip_steps) / double(st),
                                         lr.run.gated_macs, has_cycles ? std::to_string(lr.run.array_cycles) : "-")
                           : fmt::format(" {:>8} {:>10} {:>10}", "-", "-", "-"));
  }
  if (skip) {
    s.pop_back();
    s += fmt::format(" {:>8} {:>10} {:>10}\n", "skipped", "gated MACs", "array cyc");
  }
  size_t li = 0;
  for (const auto& lr : r.layers) {
    const Layer& L = net.layers[lr.layer];
    const uint64_t compute = (L.macs + rc - 1) / rc;
    const uint64_t memory = (L.compulsory_bytes + static_cast<uint64_t>(dp.bus_bytes) - 1) / static_cast<uint64_t>(dp.bus_bytes);
    const uint64_t bound = std::max(compute, memory);
    const uint64_t cyc = lr.run.cycles;
    const uint64_t bytes = lr.run.dma_rd_bytes + lr.run.dma_wr_bytes;
    macs += L.macs;
    bound_sum += bound;
    dma += bytes;
    const bool dev = L.placement == Placement::Array || L.placement == Placement::Vector;
    const bool on_core = L.placement == Placement::Core;
    core += lr.run.core_instret;
    s += fmt::format("{:<24} {:<6} {:>10} {:>9} {:>9} {:>7} {:>7} {:>9} {:>10} {:>6}\n", L.name, name(L.placement), L.macs,
                     has_cycles && (dev || on_core) ? std::to_string(cyc) : "-", dev ? std::to_string(bound) : "-",
                     has_cycles && dev && cyc ? fmt::format("{:.0f}%", 100.0 * double(bound) / double(cyc)) : "-",
                     has_cycles && dev && cyc ? fmt::format("{:.0f}%", 100.0 * double(L.macs) / (double(cyc) * double(rc))) : "-",
                     dev || on_core ? std::to_string(bytes) : "-", on_core ? std::to_string(lr.run.core_instret) : "-",
                     lr.checked ? (lr.exact ? "yes" : "NO") : "-");
    if (skip) {
      s.pop_back();
      s += skip_cols[li] + "\n";
    }
    ++li;
  }
  s += fmt::format("total: {} MACs, {} DMA bytes, roofline bound {} cycles", macs, dma, bound_sum);
  if (core > 0) s += fmt::format(", {} escape-core instructions", core);
  if (skip) {
    s += fmt::format(", zero skip ({}): {} of {} array row-steps skipped ({:.1f}%), {} MACs gated{}{}",
                     dp.skip ? "on" : "off", skip_steps, steps,
                     steps ? 100.0 * double(skip_steps) / double(steps) : 0.0, gated,
                     has_cycles ? fmt::format(", {} array cycles", array_cycles) : "",
                     net.row_balance.empty() ? ", rows not balanced" : ", " + net.row_balance);
  }
  if (has_cycles) {
    s += fmt::format(", {} cycles = {:.1f} us at {} MHz, array utilization {:.1f}%", r.cycles,
                     clock_mhz ? double(r.cycles) / clock_mhz : 0.0, clock_mhz,
                     r.cycles ? 100.0 * double(macs) / (double(r.cycles) * double(rc)) : 0.0);
  }
  s += "\n";
  return s;
}

namespace {

void print_topk(const Graph& g, const std::vector<int8_t>& out, int k, const std::vector<std::string>& labels) {
  const Tensor& t = g.output();
  std::vector<size_t> idx(out.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return out[a] > out[b]; });
  const size_t n = std::min(idx.size(), static_cast<size_t>(std::max(k, 1)));
  fmt::print("output '{}' ({}), top {}:\n", t.name, t.shape_str(), n);
  for (size_t i = 0; i < n; ++i) {
    const size_t c = idx[i];
    const double real = (out[c] - t.quant.zp0()) * static_cast<double>(t.quant.scale0());
    const std::string label = c < labels.size() ? fmt::format(" {:<12}", labels[c]) : "";
    fmt::print("  {}.{} [{}]  q={:4}  {:.4f}\n", i + 1, label, c, int{out[c]}, real);
  }
}

}  // namespace

int run_model(const RunModelOptions& opt, const RtlFactory* rtl) {
  const Graph g = load_tflite(opt.model);
  const std::vector<int8_t> input = read_input(opt.input, g.input());
  if (opt.input.size() > 4 && (opt.input.ends_with(".wav") || opt.input.ends_with(".WAV"))) {
    fmt::print("input: {} through the audio front end on the host (the golden model of the escape core's "
               "firmware), {} features\n", opt.input, input.size());
  }
  std::vector<std::string> labels;
  if (!opt.labels.empty()) labels = read_labels(opt.labels);
  const bool device = opt.backend != "interp";
  if (opt.backend != "interp" && opt.backend != "reference" && opt.backend != "rtl") {
    fail("run: unknown backend '{}' (interp, reference or rtl)", opt.backend);
  }
  std::vector<int8_t> output;
  int code = 0;
  if (!device) {
    if (opt.check) fail("run: --check compares a device backend with the interpreter; use --backend reference or rtl");
    if (opt.profile) fmt::print("profile: the interp backend runs every op on the host (no placement, no cycles)\n");
    const Values v = interpret(g, input);
    output = v[g.outputs[0]];
  } else {
    VariantInfo vi;
    std::unique_ptr<Backend> be;
    if (opt.backend == "rtl") {
      if (!rtl) fail("run: this tessera was built without the verilated accelerator (no rtl backend)");
      if (!opt.config.empty() || !opt.manifest.empty()) {
        fail("run: --backend rtl runs a built-in verilated variant: choose it with --variant (tiny, wide, default)");
      }
      const std::string var = opt.variant.empty() ? "default" : opt.variant;
      vi.dp = rtl->params(var);
      vi.clock_mhz = rtl->clock_mhz(var);
      be = rtl->make(var, opt.trace);
    } else {
      if (!opt.trace.empty()) fail("run: --trace needs --backend rtl");
      if (!opt.config.empty() && !opt.manifest.empty()) fail("run: give either --config or --manifest");
      vi = !opt.manifest.empty() ? variant_from_manifest(opt.manifest)
                                 : variant_from_config(opt.config.empty() ? (opt.variant.empty() ? "default" : opt.variant)
                                                                          : opt.config);
      be = make_reference_backend(vi.dp);
    }
    CompileOptions co;
    co.firmware = firmware_for(opt.firmware);
    co.firmware_name = opt.firmware.empty() || opt.firmware == "none" ? default_firmware_path() : opt.firmware;
    if (co.firmware && !be->loads_firmware()) {
      fmt::print("note: the {} backend cannot load escape-core firmware yet; SOFTMAX runs on the host\n", be->name());
      co.firmware = nullptr;
    }
    if (opt.no_skip && vi.dp.skip_depth == 0) {
      fmt::print("note: --no-skip on '{}', which has no zero-skip array\n", vi.dp.name);
    }
    vi.dp.skip = !opt.no_skip;
    // Zero skip on: permute channels so that every array row mixes dense and sparse channels
    // (balance.h). The rewrite is exact; intermediate tensors change their channel order, so the
    // layer check runs the interpreter on the balanced graph.
    std::optional<BalancedGraph> bal;
    if (vi.dp.skip_depth >= 2 && vi.dp.skip && opt.balance) {
      const std::string& cal_path = opt.calibration.empty() ? opt.input : opt.calibration;
      const std::vector<int8_t> cal = read_input(cal_path, g.input());
      bal = balance_rows(g, cal, vi.dp);
      fmt::print("zero skip: {} (calibration input {})\n", bal->summary(), cal_path);
    } else if (!opt.calibration.empty()) {
      fmt::print("note: --calibrate is ignored: rows are balanced only on zero-skip variants of depth 2 or more "
                 "with skipping and balancing on\n");
    }
    const Graph& gc = bal ? bal->graph : g;
    CompiledNet net = compile(gc, vi.dp, co);
    if (bal) net.row_balance = fmt::format("{} on {}", bal->summary(), opt.calibration.empty() ? opt.input : opt.calibration);
    if (opt.profile) fmt::print("{}\n", placement_table(net));
    Values oracle(g);
    RunOptions ro;
    if (opt.check) {
      oracle = interpret(gc, input);
      ro.oracle = &oracle;
    }
    const auto t0 = std::chrono::steady_clock::now();
    if (opt.progress) {
      ro.progress = [&](size_t i, size_t n) {
        const int w = 30;
        const int done = static_cast<int>(w * i / std::max<size_t>(n, 1));
        std::fprintf(stderr, "\r[%s%s] %zu/%zu %-28s", std::string(static_cast<size_t>(done), '#').c_str(),
                     std::string(static_cast<size_t>(w - done), ' ').c_str(), i + 1, n, net.layers[i].name.c_str());
        std::fflush(stderr);
      };
    }
    const NetResult r = run_network(net, *be, input, ro);
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (opt.progress) std::fprintf(stderr, "\r%-70s\r", "");
    output = r.output;
    if (opt.profile) fmt::print("{}\n", profile_table(net, r, vi.clock_mhz, be->has_cycles()));
    fmt::print("backend {} on '{}': {} layers in {:.2f} s wall{}\n", be->name(), vi.dp.name, net.layers.size(), secs,
               be->has_cycles() ? fmt::format(", {} cycles ({:.1f} us at {} MHz)", r.cycles,
                                              vi.clock_mhz ? double(r.cycles) / vi.clock_mhz : 0.0, vi.clock_mhz)
                                : "");
    if (opt.check) {
      if (r.exact) {
        fmt::print("check: every layer bit-exact against the interpreter ({} layers)\n", r.layers.size());
      } else {
        fmt::print("check: MISMATCH at {}\n", r.first_mismatch);
        code = 1;
      }
      if (opt.backend == "rtl") {
        // Both device backends, layer by layer: the reference model of the same compiled stream.
        auto ref_be = make_reference_backend(vi.dp);
        RunOptions rro;
        rro.oracle = &oracle;
        const NetResult rr = run_network(net, *ref_be, input, rro);
        std::string diff;
        for (const auto& lr : r.layers) {
          const int t = gc.ops[static_cast<size_t>(net.layers[lr.layer].op)].outputs[0];
          diff = first_difference(gc, t, r.values[t], rr.values[t]);
          if (!diff.empty()) {
            diff = fmt::format("layer {}: {}", net.layers[lr.layer].name, diff);
            break;
          }
        }
        if (diff.empty() && rr.exact) {
          fmt::print("check: rtl and reference backends agree on every layer\n");
        } else {
          fmt::print("check: rtl vs reference MISMATCH at {}{}\n", diff.empty() ? "" : diff,
                     rr.exact ? "" : fmt::format(" (reference vs interpreter: {})", rr.first_mismatch));
          code = 1;
        }
      }
    }
  }
  print_topk(g, output, opt.top_k, labels);
  if (!opt.output_npy.empty()) {
    write_npy(opt.output_npy, output, g.output().shape);
    fmt::print("wrote {}\n", opt.output_npy);
  }
  return code;
}

}  // namespace tsr::drv

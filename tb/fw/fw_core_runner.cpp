#include "fw_core_runner.h"

#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tessera/core/core_sim.h"
#include "tessera/error.h"
#include "tessera/gen/memmap.h"
#include "tessera/iss/iss.h"
#include "tessera/tb/harness.h"

#ifndef TSR_CLI
#define TSR_CLI "tessera"
#endif

namespace tsr::fw {

namespace {

namespace mm = tsr::gen::memmap;

constexpr const char* kVariant = "default";
constexpr uint64_t kMaxCycles = 400'000'000;

// A stem naming the current test and the program, for kept images and waves.
std::string run_stem(const FwImage& img, const char* machine) {
  static int counter = 0;
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string who = info != nullptr ? fmt::format("{}.{}", info->test_suite_name(), info->name())
                                    : std::string("run");
  for (char& c : who) {
    if (c == '/') c = '_';
  }
  return fmt::format("{}-{}-{}-{}", std::filesystem::path(img.path()).stem().string(), machine, who,
                     counter++);
}

// Keeps the image with the request for a rerun with `tessera core-run`.
std::string keep_image(const std::vector<uint8_t>& bytes, const std::string& stem) {
  const auto dir = std::filesystem::path(run_dir());
  std::filesystem::create_directories(dir);
  const auto path = dir / (stem + ".elf");
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  return path.string();
}

FwResult finish(FwResult res, uint32_t cause, uint32_t code, const std::string& console) {
  res.exit_code = cause == mm::halt_value("exit") ? static_cast<int>(code & 0xFF) : -1;
  res.log = console;
  if (cause != mm::halt_value("exit")) {
    res.log += fmt::format("\n[core halted: {}]", mm::halt_name(cause));
  }
  parse_program_output(console, res);
  return res;
}

FwResult run_iss(const FwImage& img, const EscapeRequest& req, bool count) {
  const auto bytes = img.with_io(req.bytes());
  auto cfg = core::CoreSim::create(kVariant)->config();
  iss::Iss iss(cfg);
  iss.load(iss::parse_elf(bytes, img.path()), img.path());
  std::vector<uint8_t> spad(cfg.spad_bytes, 0);
  iss.bus = core::spad_bus(spad);
  const bool halted = iss.run(kMaxCycles);
  FwResult res;
  if (!halted) {
    res.log = fmt::format("[no halt within {} instructions]", kMaxCycles);
  } else {
    res = finish(res, iss.halt().cause, iss.halt().code, iss.console());
  }
  if (count) res.op_instructions = res.instret;
  if (!res.ended) {  // a crash, a hang or garbled output (a clean error status is reproducible)
    res.image = keep_image(bytes, run_stem(img, "iss"));
    res.rerun = fmt::format("{} core-run --variant {} {}  (the ISS ran it; core-run is the RTL)",
                            TSR_CLI, kVariant, res.image);
  }
  return res;
}

FwResult run_rtl(core::CoreSim& sim, const FwImage& img, const EscapeRequest& req, bool count) {
  const auto bytes = img.with_io(req.bytes());
  const auto elf = iss::parse_elf(bytes, img.path());
  sim.load(elf, img.path());
  core::RunOptions ro;
  ro.max_cycles = kMaxCycles;
  core::RunResult rr = sim.run(ro);
  FwResult res;
  if (rr.timeout) {
    res.log = fmt::format("[no halt within {} cycles]", kMaxCycles);
  } else {
    res = finish(res, rr.halt.cause, rr.halt.code, rr.console);
  }
  if (count) res.op_instructions = res.instret;
  if (!res.ended) {
    // A crash, a hang or garbled output: keep the image and record the run as an FST wave.
    const std::string stem = run_stem(img, "rtl");
    res.image = keep_image(bytes, stem);
    const std::string wave = tsr::tb::wave_path(stem);
    sim.load(elf, img.path());
    ro.trace_path = wave;
    sim.run(ro);
    res.rerun = fmt::format("{} core-run --variant {} {}; wave: {}", TSR_CLI, kVariant, res.image,
                            tsr::tb::gtkwave_command(wave));
  }
  return res;
}

}  // namespace

Runner make_runner(const std::string& machine) {
  if (machine == "qemu") {
    return [](const FwImage& img, const EscapeRequest& req, bool count) {
      return run_qemu(img, req, count);
    };
  }
  if (machine == "iss") return run_iss;
  if (machine == "rtl") {
    std::shared_ptr<core::CoreSim> sim = core::CoreSim::create(kVariant);
    return [sim](const FwImage& img, const EscapeRequest& req, bool count) {
      return run_rtl(*sim, img, req, count);
    };
  }
  fail("fw: unknown machine '{}' (qemu, iss or rtl)", machine);
}

}  // namespace tsr::fw

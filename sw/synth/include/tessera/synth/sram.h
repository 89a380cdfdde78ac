// SRAMs in whole-accelerator synthesis. Every memory of the accelerator is an instance of the one
// primitive rtl/tsr_sram_1r1w.v. tessera finds the instances and their sizes with a quick Yosys
// elaboration (the primitive read as a black box), then decides per instance: above a size
// threshold it becomes a black-box macro whose area comes from a per-KiB model (and, for OpenSTA, a
// generated Liberty cell with an assumed clock-to-q and setup), at or below it the behavioural
// primitive is synthesized as flip-flops. See docs/synth.md, "SRAMs".
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace tsr::synth {

// The model of a 1R1W SRAM macro in a 45 nm process. These are ASSUMPTIONS, not library data: see
// docs/synth.md for where the numbers come from.
struct SramModel {
  long threshold_bits = 4096;   // Width x Depth above this: macro; at or below: flip-flops
  double um2_per_kib = 8192.0;  // macro area per KiB (1 um^2 per bit, periphery included)
  double clk_to_q_ns = 0.40;    // read data valid after the rising clock edge
  double setup_ns = 0.10;       // address, data and enables before the rising edge
  double pin_cap_ff = 1.0;      // input pin capacitance
};

// One tsr_sram_1r1w instance of the elaborated design.
struct SramInstance {
  std::string path;     // hierarchical instance path, "u_accel.u_spad.g_bank[0].u_sram"
  long width = 0, depth = 0, addr_bits = 0;
  long bits() const { return width * depth; }
  bool macro = false;           // black box with the model's area
  std::string cell;             // macro: the Liberty/stub cell name, "tsr_sram_w16_d1024"
  double model_area_um2 = 0;    // macro: the modelled area
};

// The primitive's module name and the name its behavioural body gets when a wrapper takes over.
inline constexpr const char* kSramModule = "tsr_sram_1r1w";
inline constexpr const char* kSramFlopsModule = "tsr_sram_1r1w_flops";
inline constexpr const char* kSramClock = "clk_i";  // conventions §4

// The instances of tsr_sram_1r1w under `top` in a Yosys JSON of the elaborated design (the
// primitive read as a black box, so every instance is a cell with its parameters). Sorted by
// path. Throws tsr::Error when `top` is not in the JSON.
std::vector<SramInstance> parse_sram_instances(const std::string& yosys_json, const std::string& top);

// Marks each instance macro or flops by model.threshold_bits and fills cell and model area.
void classify_srams(std::vector<SramInstance>& srams, const SramModel& model);

// The macro cell name of a width x depth SRAM.
std::string sram_cell_name(long width, long depth);

// Verilog that replaces the primitive for synthesis: the behavioural module renamed to
// tsr_sram_1r1w_flops, a wrapper tsr_sram_1r1w with the primitive's parameters and ports that
// instantiates a macro stub for each macro size and the flops module otherwise, and one
// (* blackbox *) stub per macro size. primitive_text is the variant's rtl/tsr_sram_1r1w.v.
// Throws tsr::Error when the primitive's header cannot be understood.
std::string sram_wrapper_verilog(const std::string& primitive_text,
                                 const std::vector<SramInstance>& srams, const std::string& banner);

// A Liberty library with one cell per macro size: area from the model, a rising-edge clock-to-q
// arc on the read data and setup/hold checks on every input (scalar values from the model).
// Pins follow the primitive's header (primitive_text); clk_i is the clock.
std::string sram_liberty(const std::string& primitive_text, const std::vector<SramInstance>& srams,
                         const SramModel& model, const std::string& banner);

}  // namespace tsr::synth

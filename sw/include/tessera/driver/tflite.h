// TFLite flatbuffer import. The file is checked by the flatbuffers Verifier (generated from
// tessera's own schema subset, sw/schema/tflite_subset.fbs) before any field is read, then turned
// into a drv::Graph. Everything the driver cannot run is an error that names the file, the
// operator index, the operator and what is missing or unsupported, e.g.
//   "m.tflite: op 4 (MUL): operator not supported (supported: CONV_2D, ...)"
//   "m.tflite: op 2 (CONV_2D): fused activation TANH not supported"
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "tessera/driver/graph.h"

namespace tsr::drv {

// Reads and imports a .tflite file.
Graph load_tflite(const std::string& path);

// Imports a TFLite flatbuffer held in memory; `what` names it in errors.
Graph parse_tflite(std::span<const uint8_t> bytes, const std::string& what);

// The TFLite name of a builtin operator code ("BUILTIN_<n>" when not in tessera's table).
std::string builtin_name(int code);

}  // namespace tsr::drv

// Input and output files of `tessera run`.
//
// Inputs (the format is recognised by its magic bytes, else by the extension):
//   .npy   int8 (|i1): the tensor as is; uint8 (|u1): value - 128 (the same real values at zero
//          point + 128); float32 (<f4): quantized with the model's input scale and zero point,
//          q = clamp(round(x / scale) + zero_point) as TFLite's QUANTIZE does.
//   .bmp   8-bit uncompressed BMP; .pgm binary P5 with maxval <= 255. The pixel bytes are the
//          int8 input tensor unchanged, rows top to bottom (what TFLite-Micro's person_detect test
//          does with its images).
//   .wav   16-bit PCM at 16 kHz: through the keyword-spotting audio front end (the golden model
//          of the escape core's firmware, run on the host), whole 40-feature frames.
//   other  raw bytes, exactly the input tensor's byte count.
// The element count must equal the model input's; the shape of an image must match its H x W.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tessera/driver/graph.h"

namespace tsr::drv {

std::vector<int8_t> read_input(const std::string& path, const Tensor& input);

// Writes an int8 .npy file (version 1.0, '|i1', C order).
void write_npy(const std::string& path, const std::vector<int8_t>& data, const std::vector<int>& shape);

// Reads an .npy file (for tests and tools): dtype string, shape and raw bytes.
struct Npy {
  std::string descr;
  std::vector<int> shape;
  std::vector<uint8_t> bytes;
};
Npy read_npy(const std::string& path);

// One label per line (empty lines kept as empty labels).
std::vector<std::string> read_labels(const std::string& path);

}  // namespace tsr::drv

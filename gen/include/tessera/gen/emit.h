// Emitters: everything a variant consists of, as (path, text) pairs, and the writer that puts them
// into an output directory without clobbering files tessera did not write.
#pragma once

#include <string>
#include <vector>

#include "tessera/gen/config.h"

namespace tsr::gen {

const char* version();

struct GeneratedFile {
  std::string path;  // relative to the output directory
  // "rtl" (generated), "rtl-copy" (a leaf module copied from rtl/), "rtl-include", "filelist",
  // "header", "linker-script", "manifest", "doc", "gtkwave"
  std::string kind;
  std::string text;
};

// A named constant emitted to every target language (C header, Verilog include, manifest, docs).
struct Constant {
  std::string macro;
  std::string value;  // C/Verilog literal text (strings quoted)
  std::string doc;
};
std::vector<Constant> constants(const AccelConfig& cfg);

// All files of a variant. `command` is the exact command line that regenerates them.
std::vector<GeneratedFile> generate(const AccelConfig& cfg, const std::string& command);

// Write files into out_dir. Refuses (tsr::Error naming the file) to overwrite a file that the
// previous manifest in out_dir does not list, unless force. Removes files that the previous
// manifest listed and the new set does not.
void write_output(const std::vector<GeneratedFile>& files, const std::string& out_dir, bool force);

// Markdown reference of every configuration key (docs/config-reference.md).
std::string config_reference();

}  // namespace tsr::gen

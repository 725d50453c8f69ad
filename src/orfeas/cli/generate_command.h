// `orfeas generate IMAGE... -o OUT`: photos to printable mesh files, with a printability report.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace orfeas {

struct GenerateArgs {
  std::vector<std::string> images;
  std::string output;  // a file for one image, a directory for several
  std::string format;  // empty: from the output's extension (one image) or stl (several)
  std::string method = "inflate";
  std::optional<double> size_mm;     // unset: the method's default
  std::optional<int> resolution;     // unset: the method's default
  std::vector<std::string> options;  // the method's options as NAME=VALUE
  int max_batch = 1;                 // most photos given to the generator at once
  long faces = 40000;
  std::string report;  // JSON report file, empty for none
  bool quiet = false;
};

// Declares the subcommand and its options on `app`, storing them in `args`.
CLI::App* add_generate_command(CLI::App& app, GenerateArgs& args);

// Runs the command; returns the process exit code (0, 1 internal, 2 caller error). Stage progress
// goes to stderr unless quiet, the printability summary to stdout. Throws nothing.
int run_generate(const GenerateArgs& args);

}  // namespace orfeas

// `orfeas sign`: the four X-Agent-* headers that sign one agent request (docs/SIGNING.md), for
// curl and other clients that cannot sign themselves.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

namespace orfeas {

struct SignArgs {
  std::string key;  // the agent's API key
  std::string method = "GET";
  std::string body_file;  // the exact body to be sent; empty: no body
  std::string url;        // "http://host:port/path?query" or "/path?query"
  bool curl = false;      // print curl -H arguments instead of header lines
};

CLI::App* add_sign_command(CLI::App& app, SignArgs& args);

// Signs with the secret in the environment variable ORFEAS_AGENT_SECRET (never an argument: other
// users could read it in the process list) and prints four "Name: value" lines, or with `curl`
// one line of `-H Name:value` arguments (no spaces or quotes, so `curl $(orfeas sign --curl ...)`
// works). Returns 0, or 2 for a missing secret, a bad URL or key, or an unreadable body file.
// Throws nothing.
int run_sign(const SignArgs& args);

}  // namespace orfeas

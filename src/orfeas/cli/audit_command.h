// `orfeas audit verify|tail`: checks and shows the tamper-evident audit trail of a data directory.
#pragma once

#include <cstddef>
#include <string>

#include <CLI/CLI.hpp>

namespace orfeas {

struct AuditArgs {
  enum class Action { kVerify, kTail };
  Action action = Action::kVerify;  // set by the subcommand parsed
  std::string data = "orfeas-data";
  std::size_t count = 20;  // lines `tail` shows
};

CLI::App* add_audit_command(CLI::App& app, AuditArgs& args);

// verify: prints "audit trail intact: N records" and returns 0, or prints "audit trail broken at
// line L: REASON" on stderr and returns 1. tail: prints the last lines, oldest first, and returns
// 0. A missing data directory, database or trail returns 2. Throws nothing.
int run_audit(const AuditArgs& args);

}  // namespace orfeas

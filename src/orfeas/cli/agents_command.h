// `orfeas agents add|list|show|rotate|revoke|enable|disable`: manages the agents of a data
// directory (their secrets sealed by its server key). Each prints one JSON document on stdout.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace orfeas {

struct AgentsArgs {
  enum class Action { kAdd, kList, kShow, kRotate, kRevoke, kEnable, kDisable };
  Action action = Action::kList;  // set by the subcommand parsed
  std::string data = "orfeas-data";
  std::string agent;  // add: the new name; otherwise the agent's id or name
  // add only:
  std::string ops;  // "generate_3d,download"; empty: every scope
  std::string rate = "60/min";
  std::vector<std::string> ips;  // allowlist CIDRs; none: any address
  std::optional<int> max_jobs;
  // revoke only: one secret instead of the whole agent
  std::optional<int> secret_id;
};

CLI::App* add_agents_command(CLI::App& app, AgentsArgs& args);

// Runs the action, creating the data directory, database tables and server key when missing.
// Prints one JSON document (the agent, or the list; add and rotate add the new secret, shown only
// then) and returns 0, or prints "orfeas: error: ..." on stderr and returns exit_code() of the
// error (2 for caller errors). Throws nothing.
int run_agents(const AgentsArgs& args);

}  // namespace orfeas

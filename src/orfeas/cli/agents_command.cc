#include "orfeas/cli/agents_command.h"

#include <chrono>
#include <cstdio>
#include <filesystem>

#include "orfeas/auth/agent_registry.h"
#include "orfeas/cli/data_paths.h"
#include "orfeas/cli/report_errors.h"
#include "orfeas/core/error.h"

namespace orfeas {
namespace {

using Action = AgentsArgs::Action;

Timestamp now() {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

NewAgent new_agent(const AgentsArgs& args) {
  NewAgent request;
  request.name = args.agent;
  if (!args.ops.empty()) request.scopes = parse_scopes(args.ops);
  request.rate_limit = RateLimit::parse(args.rate);
  for (const std::string& cidr : args.ips) request.allowlist.push_back(IpNetwork::parse(cidr));
  request.max_jobs = args.max_jobs;
  return request;
}

nlohmann::json with_secret(const AgentWithSecret& added) {
  nlohmann::json json = to_json(added.agent);
  json["secret_id"] = added.secret.id;
  json["secret"] = added.secret.secret;
  return json;
}

nlohmann::json run(const AgentsArgs& args, AgentRegistry& registry) {
  switch (args.action) {
    case Action::kAdd:
      return with_secret(registry.add(new_agent(args), now()));
    case Action::kList: {
      nlohmann::json agents = nlohmann::json::array();
      for (const Agent& agent : registry.list()) agents.push_back(to_json(agent));
      return agents;
    }
    case Action::kShow:
      return to_json(registry.get(args.agent));
    case Action::kRotate: {
      AgentWithSecret rotated = registry.rotate(args.agent, now());
      return {{"agent_id", rotated.agent.id},
              {"api_key", rotated.agent.api_key},
              {"secret_id", rotated.secret.id},
              {"secret", rotated.secret.secret}};
    }
    case Action::kRevoke:
      return to_json(args.secret_id ? registry.revoke_secret(args.agent, *args.secret_id)
                                    : registry.revoke(args.agent));
    case Action::kEnable:
      return to_json(registry.set_enabled(args.agent, true));
    case Action::kDisable:
      return to_json(registry.set_enabled(args.agent, false));
  }
  throw Error(ErrorCode::kInternal, "unknown agents action");
}

void create_data_directory(const std::filesystem::path& data) {
  std::error_code error;
  std::filesystem::create_directories(data, error);
  if (error) {
    throw Error(ErrorCode::kBadInput,
                "cannot create data directory " + data.string() + ": " + error.message());
  }
}

// Declares `agents NAME` with --data; `agent_help` describes the positional argument, empty for
// none.
CLI::App* add_action(CLI::App& agents, AgentsArgs& args, Action action, const char* name,
                     const char* help, const char* agent_help) {
  CLI::App* cmd = agents.add_subcommand(name, help);
  cmd->add_option("--data", args.data, "directory for the database and server key")
      ->capture_default_str();
  if (*agent_help) cmd->add_option("agent", args.agent, agent_help)->required();
  cmd->callback([&args, action] { args.action = action; });
  return cmd;
}

}  // namespace

CLI::App* add_agents_command(CLI::App& app, AgentsArgs& args) {
  CLI::App* agents =
      app.add_subcommand("agents", "Manage the agents allowed to call the signed API");
  agents->require_subcommand(1);
  CLI::App* add = add_action(*agents, args, Action::kAdd, "add",
                             "Add an agent; prints its API key and secret (shown only this once)",
                             "the new agent's name: 1 to 64 of A-Z a-z 0-9 _ . -");
  add->add_option("--ops", args.ops, "scopes it may use, comma-separated (default: all)");
  add->add_option("--rate", args.rate, "rate limit, N/s, N/min or N/hour")->capture_default_str();
  add->add_option("--ip", args.ips,
                  "allowed client network (CIDR); repeat for more (default: any)");
  add->add_option("--max-jobs", args.max_jobs, "most queued and running jobs at once");
  add_action(*agents, args, Action::kList, "list", "List every agent, revoked ones included", "");
  add_action(*agents, args, Action::kShow, "show", "Show one agent", "the agent's id or name");
  add_action(*agents, args, Action::kRotate, "rotate",
             "Add a second secret (printed once); revoke the old one when clients switched",
             "the agent's id or name");
  CLI::App* revoke =
      add_action(*agents, args, Action::kRevoke, "revoke",
                 "Revoke an agent for good, or one of its secrets", "the agent's id or name");
  revoke->add_option("--secret-id", args.secret_id, "revoke only this secret");
  add_action(*agents, args, Action::kEnable, "enable", "Enable a disabled agent",
             "the agent's id or name");
  add_action(*agents, args, Action::kDisable, "disable", "Disable an agent until enabled again",
             "the agent's id or name");
  return agents;
}

int run_agents(const AgentsArgs& args) {
  return run_reporting_errors([&] {
    const std::filesystem::path data = args.data;
    create_data_directory(data);
    AgentRegistry registry(database_path(data), server_key_path(data));
    std::printf("%s\n", run(args, registry).dump(2).c_str());
    return 0;
  });
}

}  // namespace orfeas

// The agents, stored in the job store's SQLite database (tables agents and agent_secrets) with
// their secrets sealed by the server key. `orfeas agents` edits it; `orfeas serve` reads it, and
// sees changes made by another process within `refresh_interval`.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "orfeas/auth/agent.h"
#include "orfeas/auth/secret_box.h"
#include "orfeas/core/string_map.h"

namespace orfeas {

// What `orfeas agents add` asks for.
struct NewAgent {
  std::string name;  // 1 to 64 characters of [A-Za-z0-9_.-], not starting with "agt_"
  std::set<Scope> scopes = all_scopes();
  RateLimit rate_limit;  // 60/min
  std::vector<IpNetwork> allowlist;
  std::optional<int> max_jobs;  // at least 1 when set
};

// An agent with a secret that is shown once: after add and rotate.
struct AgentWithSecret {
  Agent agent;
  AgentSecret secret;
};

struct AgentRegistryOptions {
  std::chrono::milliseconds busy_timeout{5000};
  // How stale find_by_api_key's answers may be: changes from another process show within it.
  std::chrono::milliseconds refresh_interval{1000};
};

// Every method is thread-safe. Methods that name an agent take its id or its name, and throw
// Error{kNotFound} when neither matches. Writers throw Error{kBadInput} naming what is wrong.
class AgentRegistry {
 public:
  // Opens `database` (creating its agent tables when missing) and the server key at `key_file`
  // (created on first use, see SecretBox). Throws as SqliteDatabase and SecretBox.
  AgentRegistry(const std::filesystem::path& database, const std::filesystem::path& key_file,
                AgentRegistryOptions options = {});
  ~AgentRegistry();
  AgentRegistry(const AgentRegistry&) = delete;
  AgentRegistry& operator=(const AgentRegistry&) = delete;

  // Creates the agent with one fresh secret. Throws Error{kConflict} when the name is taken.
  AgentWithSecret add(const NewAgent& request, Timestamp now);
  // Every agent, oldest first, revoked ones included.
  std::vector<Agent> list() const;
  Agent get(std::string_view id_or_name) const;

  // Adds a fresh secret; the older one stays valid until revoked. Throws Error{kConflict} when the
  // agent already has two active secrets (revoke one first) or is revoked.
  AgentWithSecret rotate(std::string_view id_or_name, Timestamp now);
  // Revokes one secret. Throws Error{kNotFound} for an unknown secret id and Error{kConflict} when
  // it is the agent's last active secret (revoke the agent instead).
  Agent revoke_secret(std::string_view id_or_name, int secret_id);
  // Revokes the agent for good: its requests fail from then on and it cannot be enabled again.
  Agent revoke(std::string_view id_or_name);
  // Throws Error{kConflict} when enabling a revoked agent.
  Agent set_enabled(std::string_view id_or_name, bool enabled);

  // The agent whose api_key this is, as it was at most refresh_interval ago; null when none.
  // Cached: a hit costs no database access and no copy.
  std::shared_ptr<const Agent> find_by_api_key(std::string_view api_key);

 private:
  struct Database;
  AgentRegistryOptions options_;
  SecretBox box_;
  mutable std::mutex mutex_;  // guards db_ and the cache
  std::unique_ptr<Database> db_;
  StringMap<std::shared_ptr<const Agent>> cache_;  // by api_key
  std::chrono::steady_clock::time_point cache_loaded_{};
};

}  // namespace orfeas

// An agent: an automated client of the signed API, with what it may do and how often.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "orfeas/auth/ip_network.h"
#include "orfeas/auth/rate_limiter.h"
#include "orfeas/jobs/job.h"

namespace orfeas {

// The operations of the agent API; each names a scope an agent may hold.
enum class Scope { kGenerate3d, kBatchGenerate, kQueryStatus, kDownload, kCancel };

// "generate_3d", "batch_generate", "query_status", "download", "cancel".
std::string_view scope_name(Scope scope);
// The inverse; throws Error{kBadInput} naming the valid scopes.
Scope parse_scope(std::string_view name);
// "a,b,c" (spaces around names allowed); throws as parse_scope, and for an empty list.
std::set<Scope> parse_scopes(std::string_view list);
const std::set<Scope>& all_scopes();

// One of an agent's signing secrets. Two may be active at once, during a rotation.
struct AgentSecret {
  int id = 0;          // 1, 2, ... per agent, in order of creation
  std::string secret;  // the plaintext; stored encrypted
  Timestamp created_at;
};

struct Agent {
  std::string id;       // "agt_" + 16 hex digits
  std::string name;     // unique among agents
  std::string api_key;  // "ak_" + 32 hex digits, public: it names the agent in requests
  std::set<Scope> scopes;
  RateLimit rate_limit;
  std::vector<IpNetwork> allowlist;  // empty: any address
  std::optional<int> max_jobs;       // cap on the agent's queued + running jobs; none: no cap
  bool enabled = true;               // disable / enable
  bool revoked = false;              // permanent: a revoked agent cannot be enabled again
  std::vector<AgentSecret> secrets;  // the active ones, oldest first
  Timestamp created_at;

  // Enabled and not revoked.
  bool active() const { return enabled && !revoked; }
  // Whether `address` may call as this agent: the allowlist is empty or holds it.
  bool allows_address(std::string_view address) const;
};

// The agent as `orfeas agents list|show` prints it: agent_id, name, api_key, scopes (names),
// rate_limit ("60/min"), allowlist (CIDRs), max_jobs (or null), enabled, revoked, secret_ids,
// created_at. Never the secrets.
nlohmann::json to_json(const Agent& agent);

}  // namespace orfeas

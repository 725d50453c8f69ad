#include "orfeas/auth/agent.h"

#include <algorithm>
#include <array>
#include <utility>

#include "orfeas/core/error.h"

namespace orfeas {
namespace {

constexpr std::array<std::pair<Scope, std::string_view>, 5> kScopeNames = {{
    {Scope::kGenerate3d, "generate_3d"},
    {Scope::kBatchGenerate, "batch_generate"},
    {Scope::kQueryStatus, "query_status"},
    {Scope::kDownload, "download"},
    {Scope::kCancel, "cancel"},
}};

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

}  // namespace

std::string_view scope_name(Scope scope) {
  for (const auto& [value, name] : kScopeNames) {
    if (value == scope) return name;
  }
  return "unknown";
}

Scope parse_scope(std::string_view name) {
  for (const auto& [value, known] : kScopeNames) {
    if (known == name) return value;
  }
  std::string valid;
  for (const auto& entry : kScopeNames)
    valid += (valid.empty() ? "" : ", ") + std::string(entry.second);
  throw Error(ErrorCode::kBadInput,
              "unknown scope \"" + std::string(name) + "\"; valid scopes: " + valid,
              {{"scope", name}});
}

std::set<Scope> parse_scopes(std::string_view list) {
  if (trim(list).empty()) {
    throw Error(ErrorCode::kBadInput, "the scope list is empty; name at least one scope");
  }
  std::set<Scope> scopes;
  while (true) {
    const auto comma = list.find(',');
    scopes.insert(parse_scope(trim(list.substr(0, comma))));
    if (comma == std::string_view::npos) return scopes;
    list.remove_prefix(comma + 1);
  }
}

const std::set<Scope>& all_scopes() {
  static const std::set<Scope> scopes = [] {
    std::set<Scope> all;
    for (const auto& entry : kScopeNames) all.insert(entry.first);
    return all;
  }();
  return scopes;
}

bool Agent::allows_address(std::string_view address) const {
  return allowlist.empty() ||
         std::any_of(allowlist.begin(), allowlist.end(),
                     [&](const IpNetwork& network) { return network.contains(address); });
}

nlohmann::json to_json(const Agent& agent) {
  nlohmann::json scopes = nlohmann::json::array();
  for (Scope scope : agent.scopes) scopes.push_back(scope_name(scope));
  nlohmann::json allowlist = nlohmann::json::array();
  for (const IpNetwork& network : agent.allowlist) allowlist.push_back(network.to_string());
  nlohmann::json secret_ids = nlohmann::json::array();
  for (const AgentSecret& secret : agent.secrets) secret_ids.push_back(secret.id);
  return {{"agent_id", agent.id},
          {"name", agent.name},
          {"api_key", agent.api_key},
          {"scopes", scopes},
          {"rate_limit", agent.rate_limit.to_string()},
          {"allowlist", allowlist},
          {"max_jobs", agent.max_jobs ? nlohmann::json(*agent.max_jobs) : nlohmann::json()},
          {"enabled", agent.enabled},
          {"revoked", agent.revoked},
          {"secret_ids", secret_ids},
          {"created_at", format_timestamp(agent.created_at)}};
}

}  // namespace orfeas

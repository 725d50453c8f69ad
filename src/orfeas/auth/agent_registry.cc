#include "orfeas/auth/agent_registry.h"

#include <algorithm>

#include "orfeas/auth/random_token.h"
#include "orfeas/core/error.h"
#include "orfeas/jobs/sqlite.h"

namespace orfeas {
namespace {

// The agent tables live beside the job store's in one file; both create only what they own, so
// either may open the file first. Times are milliseconds since the Unix epoch. A revoked secret
// keeps its row, so secret ids are never reused.
constexpr std::string_view kSchema = R"sql(
CREATE TABLE IF NOT EXISTS agents (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL UNIQUE,
  api_key TEXT NOT NULL UNIQUE,
  scopes TEXT NOT NULL,
  rate_requests INTEGER NOT NULL,
  rate_window_seconds INTEGER NOT NULL,
  allowlist TEXT NOT NULL,
  max_jobs INTEGER,
  enabled INTEGER NOT NULL,
  revoked INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS agent_secrets (
  agent_seq INTEGER NOT NULL REFERENCES agents (seq),
  id INTEGER NOT NULL,
  sealed TEXT NOT NULL,
  revoked INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (agent_seq, id)
) WITHOUT ROWID;
)sql";

// Every agent with its active secrets, one row per secret (NULLs for an agent with none), in the
// order of Agent::secrets; `where` picks the agents.
std::string select_agents(std::string_view where) {
  std::string sql = R"sql(
    SELECT agents.seq, agents.id, name, api_key, scopes, rate_requests, rate_window_seconds,
           allowlist, max_jobs, enabled, agents.revoked, agents.created_at,
           agent_secrets.id, sealed, agent_secrets.created_at
    FROM agents LEFT JOIN agent_secrets
      ON agent_secrets.agent_seq = agents.seq AND agent_secrets.revoked = 0
  )sql";
  sql.append(where);
  sql.append(" ORDER BY agents.seq, agent_secrets.id");
  return sql;
}

// cache_loaded_ when the cache must be reloaded on its next use.
constexpr auto kStale = std::chrono::steady_clock::time_point::min();

std::int64_t millis(Timestamp time) { return time.time_since_epoch().count(); }
Timestamp timestamp(std::int64_t millis) { return Timestamp(std::chrono::milliseconds(millis)); }

std::string scopes_text(const std::set<Scope>& scopes) {
  std::string text;
  for (Scope scope : scopes) {
    if (!text.empty()) text += ',';
    text += scope_name(scope);
  }
  return text;
}

std::string allowlist_text(const std::vector<IpNetwork>& allowlist) {
  nlohmann::json cidrs = nlohmann::json::array();
  for (const IpNetwork& network : allowlist) cidrs.push_back(network.to_string());
  return cidrs.dump();
}

std::vector<IpNetwork> parse_allowlist(const std::string& text) {
  std::vector<IpNetwork> allowlist;
  for (const auto& cidr : nlohmann::json::parse(text)) {
    allowlist.push_back(IpNetwork::parse(cidr.get<std::string>()));
  }
  return allowlist;
}

Agent read_agent(const SqliteRows& rows) {
  Agent agent;
  agent.id = rows.text(1);
  agent.name = rows.text(2);
  agent.api_key = rows.text(3);
  agent.scopes = parse_scopes(rows.text(4));
  agent.rate_limit.requests = rows.integer(5);
  agent.rate_limit.window = std::chrono::seconds(rows.integer(6));
  agent.allowlist = parse_allowlist(rows.text(7));
  if (auto max_jobs = rows.optional_integer(8)) agent.max_jobs = static_cast<int>(*max_jobs);
  agent.enabled = rows.integer(9) != 0;
  agent.revoked = rows.integer(10) != 0;
  agent.created_at = timestamp(rows.integer(11));
  return agent;
}

// An agent read from the database, with the key of its row.
struct StoredAgent {
  std::int64_t seq = 0;
  Agent agent;
};

// Reads select_agents' rows into agents, opening their secrets.
std::vector<StoredAgent> read_agents(SqliteRows rows, const SecretBox& box) {
  std::vector<StoredAgent> agents;
  while (rows.next()) {
    std::int64_t seq = rows.integer(0);
    if (agents.empty() || agents.back().seq != seq) agents.push_back({seq, read_agent(rows)});
    if (rows.is_null(12)) continue;
    agents.back().agent.secrets.push_back(
        {static_cast<int>(rows.integer(12)), box.open(rows.text(13)), timestamp(rows.integer(14))});
  }
  return agents;
}

void check_name(const std::string& name) {
  const bool valid_characters = std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
  });
  if (name.empty() || name.size() > 64 || !valid_characters) {
    throw Error(ErrorCode::kBadInput,
                "agent name \"" + name + "\" must be 1 to 64 characters of A-Z, a-z, 0-9, _ . -",
                {{"name", name}});
  }
  if (name.starts_with("agt_")) {
    throw Error(ErrorCode::kBadInput,
                "agent name \"" + name + "\" must not start with agt_, which begins agent ids",
                {{"name", name}});
  }
}

void check_request(const NewAgent& request) {
  check_name(request.name);
  if (request.scopes.empty()) throw Error(ErrorCode::kBadInput, "an agent needs one scope or more");
  if (request.rate_limit.requests < 1 || request.rate_limit.window.count() < 1) {
    throw Error(ErrorCode::kBadInput,
                "the rate limit needs 1 request or more per window of 1 second or more");
  }
  if (request.max_jobs && *request.max_jobs < 1) {
    throw Error(ErrorCode::kBadInput, "max_jobs must be at least 1");
  }
}

Error agent_not_found(std::string_view id_or_name) {
  return Error(ErrorCode::kNotFound, "no agent with id or name \"" + std::string(id_or_name) + "\"",
               {{"agent", id_or_name}});
}

SqliteDatabase open_database(const std::filesystem::path& path,
                             std::chrono::milliseconds busy_timeout) {
  SqliteDatabase db(path, busy_timeout);
  db.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL");
  SqliteTransaction transaction(db);
  db.execute(kSchema);
  transaction.commit();
  return db;
}

}  // namespace

struct AgentRegistry::Database {
  Database(const std::filesystem::path& path, std::chrono::milliseconds busy_timeout)
      : db(open_database(path, busy_timeout)) {}

  StoredAgent get(std::string_view id_or_name, const SecretBox& box) {
    std::vector<StoredAgent> agents = read_agents(find.query(id_or_name), box);
    if (agents.empty()) throw agent_not_found(id_or_name);
    return std::move(agents.front());
  }

  // Adds a fresh secret to the agent at `seq`, numbered after every secret it ever had.
  AgentSecret add_secret(std::int64_t seq, const SecretBox& box, Timestamp now) {
    AgentSecret secret{0, "sk_" + random_hex(32), now};
    SqliteRows rows = insert_secret.query(seq, box.seal(secret.secret), millis(now));
    rows.next();
    secret.id = static_cast<int>(rows.integer(0));
    return secret;
  }

  SqliteDatabase db;
  SqliteStatement all{db, select_agents("")};
  SqliteStatement find{db, select_agents("WHERE agents.id = ?1 OR agents.name = ?1")};
  SqliteStatement name_taken{db, "SELECT 1 FROM agents WHERE name = ?1"};
  SqliteStatement insert_agent{db, R"sql(
    INSERT INTO agents (id, name, api_key, scopes, rate_requests, rate_window_seconds, allowlist,
                        max_jobs, enabled, revoked, created_at)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 1, 0, ?9) RETURNING seq)sql"};
  SqliteStatement insert_secret{db, R"sql(
    INSERT INTO agent_secrets (agent_seq, id, sealed, created_at)
    VALUES (?1, (SELECT COALESCE(MAX(id), 0) + 1 FROM agent_secrets WHERE agent_seq = ?1), ?2, ?3)
    RETURNING id)sql"};
  SqliteStatement revoke_secret{
      db, "UPDATE agent_secrets SET revoked = 1 WHERE agent_seq = ?1 AND id = ?2"};
  SqliteStatement revoke{db, "UPDATE agents SET revoked = 1 WHERE seq = ?1"};
  SqliteStatement set_enabled{db, "UPDATE agents SET enabled = ?2 WHERE seq = ?1"};
};

AgentRegistry::AgentRegistry(const std::filesystem::path& database,
                             const std::filesystem::path& key_file, AgentRegistryOptions options)
    : options_(options),
      box_(SecretBox::open_or_create(key_file)),
      db_(std::make_unique<Database>(database, options.busy_timeout)),
      cache_loaded_(kStale) {}

AgentRegistry::~AgentRegistry() = default;

AgentWithSecret AgentRegistry::add(const NewAgent& request, Timestamp now) {
  check_request(request);
  std::lock_guard lock(mutex_);
  SqliteTransaction transaction(db_->db);
  if (db_->name_taken.query(request.name).next()) {
    throw Error(ErrorCode::kConflict, "an agent named \"" + request.name + "\" already exists",
                {{"name", request.name}});
  }
  Agent agent;
  agent.id = "agt_" + random_hex(8);
  agent.name = request.name;
  agent.api_key = "ak_" + random_hex(16);
  agent.scopes = request.scopes;
  agent.rate_limit = request.rate_limit;
  agent.allowlist = request.allowlist;
  agent.max_jobs = request.max_jobs;
  agent.created_at = now;
  std::int64_t seq = 0;
  {
    SqliteRows rows = db_->insert_agent.query(
        agent.id, agent.name, agent.api_key, scopes_text(agent.scopes), agent.rate_limit.requests,
        static_cast<std::int64_t>(agent.rate_limit.window.count()), allowlist_text(agent.allowlist),
        agent.max_jobs, millis(now));
    rows.next();
    seq = rows.integer(0);
  }
  AgentSecret secret = db_->add_secret(seq, box_, now);
  transaction.commit();
  cache_loaded_ = kStale;
  agent.secrets.push_back(secret);
  return {std::move(agent), std::move(secret)};
}

std::vector<Agent> AgentRegistry::list() const {
  std::lock_guard lock(mutex_);
  std::vector<Agent> agents;
  for (StoredAgent& stored : read_agents(db_->all.query(), box_)) {
    agents.push_back(std::move(stored.agent));
  }
  return agents;
}

Agent AgentRegistry::get(std::string_view id_or_name) const {
  std::lock_guard lock(mutex_);
  return db_->get(id_or_name, box_).agent;
}

AgentWithSecret AgentRegistry::rotate(std::string_view id_or_name, Timestamp now) {
  std::lock_guard lock(mutex_);
  SqliteTransaction transaction(db_->db);
  StoredAgent stored = db_->get(id_or_name, box_);
  const Agent& agent = stored.agent;
  if (agent.revoked) {
    throw Error(ErrorCode::kConflict, "agent " + agent.name + " is revoked",
                {{"agent_id", agent.id}});
  }
  if (agent.secrets.size() >= 2) {
    throw Error(ErrorCode::kConflict,
                "agent " + agent.name + " already has two active secrets; revoke one first",
                {{"agent_id", agent.id}});
  }
  AgentSecret secret = db_->add_secret(stored.seq, box_, now);
  transaction.commit();
  cache_loaded_ = kStale;
  stored.agent.secrets.push_back(secret);
  return {std::move(stored.agent), std::move(secret)};
}

Agent AgentRegistry::revoke_secret(std::string_view id_or_name, int secret_id) {
  std::lock_guard lock(mutex_);
  SqliteTransaction transaction(db_->db);
  StoredAgent stored = db_->get(id_or_name, box_);
  std::vector<AgentSecret>& secrets = stored.agent.secrets;
  auto found = std::find_if(secrets.begin(), secrets.end(),
                            [&](const AgentSecret& secret) { return secret.id == secret_id; });
  const nlohmann::json details = {{"agent_id", stored.agent.id}, {"secret_id", secret_id}};
  if (found == secrets.end()) {
    throw Error(ErrorCode::kNotFound,
                "agent " + stored.agent.name + " has no active secret " + std::to_string(secret_id),
                details);
  }
  if (secrets.size() == 1) {
    throw Error(ErrorCode::kConflict,
                "secret " + std::to_string(secret_id) + " is the last active secret of agent " +
                    stored.agent.name + "; revoke the agent instead",
                details);
  }
  db_->revoke_secret.execute(stored.seq, secret_id);
  transaction.commit();
  cache_loaded_ = kStale;
  secrets.erase(found);
  return std::move(stored.agent);
}

Agent AgentRegistry::revoke(std::string_view id_or_name) {
  std::lock_guard lock(mutex_);
  SqliteTransaction transaction(db_->db);
  StoredAgent stored = db_->get(id_or_name, box_);
  db_->revoke.execute(stored.seq);
  transaction.commit();
  cache_loaded_ = kStale;
  stored.agent.revoked = true;
  return std::move(stored.agent);
}

Agent AgentRegistry::set_enabled(std::string_view id_or_name, bool enabled) {
  std::lock_guard lock(mutex_);
  SqliteTransaction transaction(db_->db);
  StoredAgent stored = db_->get(id_or_name, box_);
  if (enabled && stored.agent.revoked) {
    throw Error(ErrorCode::kConflict,
                "agent " + stored.agent.name + " is revoked and cannot be enabled again",
                {{"agent_id", stored.agent.id}});
  }
  db_->set_enabled.execute(stored.seq, enabled ? 1 : 0);
  transaction.commit();
  cache_loaded_ = kStale;
  stored.agent.enabled = enabled;
  return std::move(stored.agent);
}

std::shared_ptr<const Agent> AgentRegistry::find_by_api_key(std::string_view api_key) {
  std::lock_guard lock(mutex_);
  const auto now = std::chrono::steady_clock::now();
  if (now >= cache_loaded_ + options_.refresh_interval) {
    StringMap<std::shared_ptr<const Agent>> agents;
    for (StoredAgent& stored : read_agents(db_->all.query(), box_)) {
      std::string key = stored.agent.api_key;
      agents.emplace(std::move(key), std::make_shared<const Agent>(std::move(stored.agent)));
    }
    cache_ = std::move(agents);
    cache_loaded_ = now;
  }
  auto found = cache_.find(api_key);
  return found == cache_.end() ? nullptr : found->second;
}

}  // namespace orfeas

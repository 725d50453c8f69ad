#include "orfeas/auth/agent_registry.h"

#include <algorithm>

#include <gtest/gtest.h>

#include "orfeas/core/test_errors.h"
#include "orfeas/jobs/sqlite.h"
#include "orfeas/jobs/test_directory.h"

namespace orfeas {
namespace {

// Whether `text` is `prefix` and then `digits` lowercase hex digits. (Not std::regex: GCC 12 warns
// inside <regex> in the sanitizer build.)
bool is_token(const std::string& text, std::string_view prefix, std::size_t digits) {
  return text.size() == prefix.size() + digits && text.starts_with(prefix) &&
         text.find_first_not_of("0123456789abcdef", prefix.size()) == std::string::npos;
}

using std::chrono::milliseconds;
using test::code_of;
using test::error_of;

const Timestamp kNow = Timestamp(milliseconds(1'700'000'000'000));

TEST(AgentTest, NamesAndParsesScopes) {
  EXPECT_EQ(all_scopes().size(), 5u);
  for (Scope scope : all_scopes()) EXPECT_EQ(parse_scope(scope_name(scope)), scope);
  EXPECT_EQ(scope_name(Scope::kGenerate3d), "generate_3d");
  EXPECT_EQ(scope_name(Scope::kBatchGenerate), "batch_generate");
  EXPECT_EQ(scope_name(Scope::kQueryStatus), "query_status");
  EXPECT_EQ(scope_name(Scope::kDownload), "download");
  EXPECT_EQ(scope_name(Scope::kCancel), "cancel");
  EXPECT_EQ(parse_scopes("download"), std::set<Scope>{Scope::kDownload});
  EXPECT_EQ(parse_scopes(" query_status , cancel,download"),
            (std::set<Scope>{Scope::kQueryStatus, Scope::kCancel, Scope::kDownload}));
  EXPECT_EQ(parse_scopes("cancel,cancel"), std::set<Scope>{Scope::kCancel});
}

TEST(AgentTest, RefusesUnknownScopes) {
  Error error = error_of([] { parse_scope("admin"); });
  EXPECT_EQ(error.code(), ErrorCode::kBadInput);
  EXPECT_NE(error.message().find("admin"), std::string::npos);
  EXPECT_NE(error.message().find("generate_3d, batch_generate"), std::string::npos);
  for (const char* list : {"", "  ", "download,", ",download", "download,,cancel", "Download"}) {
    EXPECT_EQ(code_of([&] { parse_scopes(list); }), ErrorCode::kBadInput) << list;
  }
}

TEST(AgentTest, AllowsAddressesInItsAllowlist) {
  Agent agent;
  EXPECT_TRUE(agent.allows_address("203.0.113.9"));
  agent.allowlist = {IpNetwork::parse("10.0.0.0/8"), IpNetwork::parse("2001:db8::/32")};
  EXPECT_TRUE(agent.allows_address("10.1.2.3"));
  EXPECT_TRUE(agent.allows_address("2001:db8::1"));
  EXPECT_FALSE(agent.allows_address("11.0.0.1"));
  EXPECT_FALSE(agent.allows_address("not an address"));
}

TEST(AgentTest, PrintsWithoutSecrets) {
  Agent agent{.id = "agt_0123456789abcdef",
              .name = "robot",
              .api_key = "ak_key",
              .scopes = {Scope::kDownload, Scope::kGenerate3d},
              .rate_limit = {.requests = 10, .window = std::chrono::seconds(60)},
              .allowlist = {IpNetwork::parse("10.0.0.0/8")},
              .max_jobs = 3,
              .secrets = {{1, "sk_one", kNow}, {3, "sk_three", kNow}},
              .created_at = kNow};
  nlohmann::json json = to_json(agent);
  EXPECT_EQ(json, nlohmann::json::parse(R"({
    "agent_id": "agt_0123456789abcdef", "name": "robot", "api_key": "ak_key",
    "scopes": ["generate_3d", "download"], "rate_limit": "10/min", "allowlist": ["10.0.0.0/8"],
    "max_jobs": 3, "enabled": true, "revoked": false, "secret_ids": [1, 3],
    "created_at": ")" + format_timestamp(kNow) +
                                        R"("})"));
  EXPECT_EQ(json.dump().find("sk_"), std::string::npos);
  agent.max_jobs.reset();
  EXPECT_TRUE(to_json(agent)["max_jobs"].is_null());
}

class AgentRegistryTest : public testing::Test {
 protected:
  std::filesystem::path database() const { return dir_.path() / "orfeas.db"; }
  std::filesystem::path key() const { return dir_.path() / "server.key"; }
  AgentRegistry& registry() { return *registry_; }

  AgentWithSecret add(const std::string& name) {
    NewAgent request;
    request.name = name;
    return registry().add(request, kNow);
  }

 private:
  TestDirectory dir_;
  std::unique_ptr<AgentRegistry> registry_ = std::make_unique<AgentRegistry>(database(), key());
};

TEST_F(AgentRegistryTest, AddsAnAgentWithOneSecret) {
  AgentWithSecret added = add("robot");
  const Agent& agent = added.agent;
  EXPECT_TRUE(is_token(agent.id, "agt_", 16)) << agent.id;
  EXPECT_TRUE(is_token(agent.api_key, "ak_", 32)) << agent.api_key;
  EXPECT_TRUE(is_token(added.secret.secret, "sk_", 64));
  EXPECT_EQ(added.secret.id, 1);
  EXPECT_EQ(added.secret.created_at, kNow);
  EXPECT_EQ(agent.name, "robot");
  EXPECT_EQ(agent.scopes, all_scopes());
  EXPECT_EQ(agent.rate_limit, RateLimit{});
  EXPECT_TRUE(agent.allowlist.empty());
  EXPECT_FALSE(agent.max_jobs);
  EXPECT_TRUE(agent.active());
  EXPECT_EQ(agent.created_at, kNow);
  ASSERT_EQ(agent.secrets.size(), 1u);
  EXPECT_EQ(agent.secrets[0].secret, added.secret.secret);

  Agent by_id = registry().get(agent.id);
  Agent by_name = registry().get("robot");
  EXPECT_EQ(to_json(by_id), to_json(agent));
  EXPECT_EQ(to_json(by_name), to_json(agent));
  ASSERT_EQ(by_id.secrets.size(), 1u);
  EXPECT_EQ(by_id.secrets[0].secret, added.secret.secret);
  EXPECT_EQ(by_id.secrets[0].created_at, kNow);
}

TEST_F(AgentRegistryTest, GivesEveryAgentItsOwnKeys) {
  AgentWithSecret first = add("first");
  AgentWithSecret second = add("second");
  EXPECT_NE(first.agent.id, second.agent.id);
  EXPECT_NE(first.agent.api_key, second.agent.api_key);
  EXPECT_NE(first.secret.secret, second.secret.secret);
}

TEST_F(AgentRegistryTest, ListsAgentsOldestFirst) {
  EXPECT_TRUE(registry().list().empty());
  add("zeta");
  add("alpha");
  registry().revoke("zeta");
  std::vector<Agent> agents = registry().list();
  ASSERT_EQ(agents.size(), 2u);
  EXPECT_EQ(agents[0].name, "zeta");
  EXPECT_TRUE(agents[0].revoked);
  EXPECT_EQ(agents[1].name, "alpha");
  EXPECT_EQ(agents[1].secrets.size(), 1u);
}

TEST_F(AgentRegistryTest, RefusesADuplicateName) {
  add("robot");
  Error error = error_of([&] { add("robot"); });
  EXPECT_EQ(error.code(), ErrorCode::kConflict);
  EXPECT_NE(error.message().find("robot"), std::string::npos);
  EXPECT_EQ(registry().list().size(), 1u);
}

TEST_F(AgentRegistryTest, RefusesBadRequests) {
  for (std::string name :
       {std::string(), std::string(65, 'a'), std::string("with space"), std::string("slash/name"),
        std::string("ünicode"), std::string("agt_0123456789abcdef")}) {
    EXPECT_EQ(code_of([&] { add(name); }), ErrorCode::kBadInput) << name;
  }
  add(std::string(64, 'a'));
  add("A-z_0.9");

  NewAgent request;
  request.name = "ok";
  request.scopes.clear();
  EXPECT_EQ(code_of([&] { registry().add(request, kNow); }), ErrorCode::kBadInput);
  request.scopes = all_scopes();
  request.max_jobs = 0;
  EXPECT_EQ(code_of([&] { registry().add(request, kNow); }), ErrorCode::kBadInput);
  request.max_jobs.reset();
  request.rate_limit.requests = 0;
  EXPECT_EQ(code_of([&] { registry().add(request, kNow); }), ErrorCode::kBadInput);
  EXPECT_EQ(registry().list().size(), 2u);
}

TEST_F(AgentRegistryTest, UnknownAgentsAreNotFound) {
  add("robot");
  for (auto action : std::vector<std::function<void()>>{
           [&] { registry().get("nobody"); }, [&] { registry().rotate("nobody", kNow); },
           [&] { registry().revoke_secret("nobody", 1); }, [&] { registry().revoke("nobody"); },
           [&] { registry().set_enabled("nobody", false); }}) {
    EXPECT_EQ(code_of(action), ErrorCode::kNotFound);
  }
}

TEST_F(AgentRegistryTest, RoundTripsLimits) {
  NewAgent request{.name = "limited",
                   .scopes = {Scope::kQueryStatus, Scope::kDownload},
                   .rate_limit = {.requests = 5, .window = std::chrono::seconds(3600)},
                   .allowlist = {IpNetwork::parse("10.0.0.0/8"), IpNetwork::parse("::1"),
                                 IpNetwork::parse("2001:db8::/32")},
                   .max_jobs = 7};
  std::string id = registry().add(request, kNow).agent.id;
  AgentRegistry other(database(), key());
  Agent agent = other.get(id);
  EXPECT_EQ(agent.scopes, request.scopes);
  EXPECT_EQ(agent.rate_limit, request.rate_limit);
  EXPECT_EQ(agent.allowlist, request.allowlist);
  EXPECT_EQ(agent.max_jobs, 7);
  EXPECT_TRUE(agent.allows_address("10.9.9.9"));
  EXPECT_FALSE(agent.allows_address("192.168.0.1"));
}

TEST_F(AgentRegistryTest, RotatesToTwoActiveSecrets) {
  AgentWithSecret added = add("robot");
  const Timestamp later = kNow + milliseconds(5000);
  AgentWithSecret rotated = registry().rotate("robot", later);
  EXPECT_EQ(rotated.secret.id, 2);
  EXPECT_EQ(rotated.secret.created_at, later);
  EXPECT_NE(rotated.secret.secret, added.secret.secret);
  EXPECT_EQ(rotated.agent.api_key, added.agent.api_key);
  ASSERT_EQ(rotated.agent.secrets.size(), 2u);

  Agent stored = registry().get(added.agent.id);
  ASSERT_EQ(stored.secrets.size(), 2u);
  EXPECT_EQ(stored.secrets[0].id, 1);
  EXPECT_EQ(stored.secrets[0].secret, added.secret.secret);
  EXPECT_EQ(stored.secrets[1].id, 2);
  EXPECT_EQ(stored.secrets[1].secret, rotated.secret.secret);

  EXPECT_EQ(code_of([&] { registry().rotate("robot", later); }), ErrorCode::kConflict);
}

TEST_F(AgentRegistryTest, RevokesSecretsButNotTheLast) {
  add("robot");
  registry().rotate("robot", kNow);
  EXPECT_EQ(code_of([&] { registry().revoke_secret("robot", 3); }), ErrorCode::kNotFound);
  Agent agent = registry().revoke_secret("robot", 1);
  ASSERT_EQ(agent.secrets.size(), 1u);
  EXPECT_EQ(agent.secrets[0].id, 2);
  EXPECT_EQ(to_json(registry().get("robot"))["secret_ids"], nlohmann::json({2}));
  EXPECT_EQ(code_of([&] { registry().revoke_secret("robot", 1); }), ErrorCode::kNotFound);
  EXPECT_EQ(code_of([&] { registry().revoke_secret("robot", 2); }), ErrorCode::kConflict);

  // Ids are never reused: the next secret is 3.
  EXPECT_EQ(registry().rotate("robot", kNow).secret.id, 3);
}

TEST_F(AgentRegistryTest, DisablesAndEnables) {
  std::string id = add("robot").agent.id;
  Agent disabled = registry().set_enabled(id, false);
  EXPECT_FALSE(disabled.enabled);
  EXPECT_FALSE(disabled.active());
  EXPECT_FALSE(registry().get(id).enabled);
  Agent enabled = registry().set_enabled("robot", true);
  EXPECT_TRUE(enabled.active());
  EXPECT_TRUE(registry().get(id).active());
}

TEST_F(AgentRegistryTest, RevokesForGood) {
  std::string id = add("robot").agent.id;
  Agent revoked = registry().revoke(id);
  EXPECT_TRUE(revoked.revoked);
  EXPECT_FALSE(revoked.active());
  EXPECT_TRUE(registry().get(id).revoked);
  EXPECT_EQ(code_of([&] { registry().set_enabled(id, true); }), ErrorCode::kConflict);
  EXPECT_EQ(code_of([&] { registry().rotate(id, kNow); }), ErrorCode::kConflict);
  EXPECT_FALSE(registry().set_enabled(id, false).active());
  EXPECT_TRUE(registry().get(id).revoked);
}

TEST_F(AgentRegistryTest, StoresSecretsSealed) {
  AgentWithSecret added = add("robot");
  SqliteDatabase db(database(), milliseconds(1000));
  SqliteStatement select(db, "SELECT sealed FROM agent_secrets");
  SqliteRows rows = select.query();
  ASSERT_TRUE(rows.next());
  std::string sealed = rows.text(0);
  EXPECT_TRUE(sealed.starts_with("v1:")) << sealed;
  EXPECT_EQ(sealed.find(added.secret.secret), std::string::npos);
  EXPECT_EQ(sealed.find(added.secret.secret.substr(3)), std::string::npos);
  EXPECT_EQ(SecretBox::open_or_create(key()).open(sealed), added.secret.secret);
  EXPECT_FALSE(rows.next());
}

TEST_F(AgentRegistryTest, FindsAgentsByApiKey) {
  AgentWithSecret added = add("robot");
  std::shared_ptr<const Agent> found = registry().find_by_api_key(added.agent.api_key);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->id, added.agent.id);
  ASSERT_EQ(found->secrets.size(), 1u);
  EXPECT_EQ(found->secrets[0].secret, added.secret.secret);
  EXPECT_FALSE(registry().find_by_api_key("ak_unknown"));
  EXPECT_FALSE(registry().find_by_api_key(""));
}

TEST_F(AgentRegistryTest, ItsOwnWritesShowAtOnce) {
  AgentWithSecret added = add("robot");
  const std::string& api_key = added.agent.api_key;
  ASSERT_TRUE(registry().find_by_api_key(api_key)->active());
  registry().set_enabled("robot", false);
  EXPECT_FALSE(registry().find_by_api_key(api_key)->enabled);
  registry().rotate("robot", kNow);
  EXPECT_EQ(registry().find_by_api_key(api_key)->secrets.size(), 2u);
  registry().revoke_secret("robot", 1);
  EXPECT_EQ(registry().find_by_api_key(api_key)->secrets.size(), 1u);
  registry().revoke("robot");
  EXPECT_TRUE(registry().find_by_api_key(api_key)->revoked);
  AgentWithSecret second = add("second");
  EXPECT_TRUE(registry().find_by_api_key(second.agent.api_key));
}

TEST_F(AgentRegistryTest, AnotherProcessSeesChangesAfterTheRefreshInterval) {
  AgentRegistry reader(database(), key(), {.refresh_interval = milliseconds(0)});
  EXPECT_FALSE(reader.find_by_api_key("ak_missing"));
  AgentWithSecret added = add("robot");
  ASSERT_TRUE(reader.find_by_api_key(added.agent.api_key));
  EXPECT_TRUE(reader.find_by_api_key(added.agent.api_key)->enabled);
  registry().set_enabled("robot", false);
  EXPECT_FALSE(reader.find_by_api_key(added.agent.api_key)->enabled);
  registry().rotate("robot", kNow);
  EXPECT_EQ(reader.find_by_api_key(added.agent.api_key)->secrets.size(), 2u);
  EXPECT_EQ(reader.get("robot").secrets.size(), 2u);
}

TEST_F(AgentRegistryTest, CachesWithinTheRefreshInterval) {
  AgentRegistry reader(database(), key(), {.refresh_interval = std::chrono::hours(1)});
  AgentWithSecret before = add("before");
  ASSERT_TRUE(reader.find_by_api_key(before.agent.api_key));
  AgentWithSecret after = add("after");
  registry().set_enabled("before", false);
  // Another connection's changes wait for the next reload; get() always reads the database.
  EXPECT_FALSE(reader.find_by_api_key(after.agent.api_key));
  EXPECT_TRUE(reader.find_by_api_key(before.agent.api_key)->enabled);
  EXPECT_FALSE(reader.get("before").enabled);
}

TEST_F(AgentRegistryTest, SharesTheJobDatabase) {
  add("robot");
  SqliteDatabase db(database(), milliseconds(1000));
  SqliteStatement mode(db, "PRAGMA journal_mode");
  SqliteRows rows = mode.query();
  ASSERT_TRUE(rows.next());
  EXPECT_EQ(rows.text(0), "wal");
  // Opening again keeps what is there.
  AgentRegistry again(database(), key());
  EXPECT_EQ(again.list().size(), 1u);
}

TEST_F(AgentRegistryTest, AnotherServerKeyCannotReadTheSecrets) {
  add("robot");
  std::filesystem::path other_key = database().parent_path() / "other.key";
  AgentRegistry other(database(), other_key);
  EXPECT_EQ(code_of([&] { other.list(); }), ErrorCode::kInternal);
}

}  // namespace
}  // namespace orfeas

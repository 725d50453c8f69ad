// The agent API through the router, over a real SQLite store, agent registry, audit trail and
// scheduler; requests are signed as docs/SIGNING.md says. tests/integration/test_agent_api.py
// covers the same over real HTTP, case by case.
#include "orfeas/http/agent_api.h"

#include <openssl/evp.h>

#include <fstream>
#include <iterator>
#include <thread>

#include <gtest/gtest.h>

#include "orfeas/auth/request_signing.h"
#include "orfeas/http/test_http.h"
#include "orfeas/jobs/mesh_job_runner.h"
#include "orfeas/jobs/sqlite_job_store.h"
#include "orfeas/jobs/test_directory.h"
#include "orfeas/jobs/test_scheduler_options.h"

namespace orfeas {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using test::header_of;
using test::read_text;

std::string base64(const std::string& bytes) {
  std::string text(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(text.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  text.resize(static_cast<std::size_t>(n));
  return text;
}

nlohmann::json json_of(const Response& response) { return nlohmann::json::parse(response.body); }

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A signed request, which a test may spoil before sending.
struct Call {
  std::string method;
  std::string target;
  std::string body;
  std::string api_key;
  std::string secret;
  std::int64_t timestamp = unix_now();
  std::string nonce = new_nonce();
  std::string address = "127.0.0.1";
  HeaderList extra = {};
};

class AgentApiTest : public testing::Test {
 protected:
  AgentApiTest() {
    jobs_api_.add_routes(router_);
    agent_api_.add_routes(router_);
  }

  AgentWithSecret add_agent(const std::string& name, NewAgent request = {}) {
    request.name = name;
    return registry_.add(
        request, std::chrono::time_point_cast<milliseconds>(std::chrono::system_clock::now()));
  }

  // Signs with `call.secret` unless the call already carries an X-Agent-Signature.
  Response send(Call call) {
    Request request;
    request.method = call.method;
    request.target = call.target;
    request.body = call.body;
    request.remote_address = call.address;
    if (!call.body.empty()) request.headers.emplace_back("Content-Type", "application/json");
    request.headers.emplace_back("X-Agent-API-Key", call.api_key);
    request.headers.emplace_back("X-Agent-Timestamp", std::to_string(call.timestamp));
    request.headers.emplace_back("X-Agent-Nonce", call.nonce);
    request.headers.emplace_back(
        "X-Agent-Signature",
        sign_request(call.secret, call.method, call.target, call.timestamp, call.nonce, call.body));
    for (auto& header : call.extra) request.headers.push_back(std::move(header));
    return router_.handle(request);
  }
  Call call(const AgentWithSecret& agent, std::string method, std::string target,
            std::string body = {}) {
    return {.method = std::move(method),
            .target = std::move(target),
            .body = std::move(body),
            .api_key = agent.agent.api_key,
            .secret = agent.secret.secret};
  }
  std::string photo_json() const { return nlohmann::json{{"image", base64(photo_)}}.dump(); }
  std::string submit(const AgentWithSecret& agent) {
    Response accepted = send(call(agent, "POST", "/api/agent/generate-3d", photo_json()));
    EXPECT_EQ(accepted.status, 202) << accepted.body;
    return json_of(accepted).value("job_id", "");
  }
  // The audit trail's lines, once everything appended so far is on disk.
  std::vector<nlohmann::json> audit_lines() {
    AuditRecord marker;
    marker.operation = "test";
    audit_.wait_durable(audit_.append(marker));
    std::vector<nlohmann::json> lines;
    for (const std::string& line : audit_tail(directory_.path() / "jobs.db", 1000)) {
      lines.push_back(nlohmann::json::parse(line));
    }
    lines.pop_back();  // the marker
    return lines;
  }
  TestDirectory directory_;
  std::string photo_ = read_text(fs::path(ORFEAS_TEST_DATA) / "images/rgba_object.png");
  SqliteJobStore store_{directory_.path() / "jobs.db"};
  MeshJobRunner runner_{directory_.path()};
  Scheduler scheduler_{store_, runner_, test::fast_scheduler_options()};
  JobService service_{store_, scheduler_, {.data_dir = directory_.path()}};
  MetricsRegistry metrics_;
  JobsApi jobs_api_{service_, metrics_, [] { return true; }};
  AgentRegistry registry_{directory_.path() / "jobs.db",
                          directory_.path() / "server.key",
                          {.refresh_interval = milliseconds(0)}};
  AuditLog audit_{directory_.path() / "jobs.db", directory_.path() / "audit.jsonl"};
  NonceCache nonces_{std::chrono::seconds(600), 1000};
  Authenticator authenticator_{registry_, nonces_};
  AgentApi agent_api_{service_, jobs_api_, authenticator_, audit_};
  Router router_;
};

TEST_F(AgentApiTest, AnAgentSubmitsFollowsAndDownloadsItsOwnJob) {
  NewAgent request;
  request.rate_limit = RateLimit::parse("1000/min");  // it polls
  AgentWithSecret agent = add_agent("maker", request);
  Response accepted = send(call(agent, "POST", "/api/agent/generate-3d", photo_json()));
  ASSERT_EQ(accepted.status, 202) << accepted.body;
  nlohmann::json body = json_of(accepted);
  std::string id = body["job_id"];
  EXPECT_EQ(body["agent_id"], agent.agent.id);
  EXPECT_EQ(body["status"], "queued");
  EXPECT_EQ(body["status_url"], "/api/agent/status/" + id);
  EXPECT_EQ(header_of(accepted, "RateLimit-Policy"), "\"agent\";q=1000;w=60");
  EXPECT_EQ(header_of(accepted, "RateLimit"), "\"agent\";r=999;t=1");
  EXPECT_EQ(header_of(accepted, "X-Request-Id").size(), 32u);

  nlohmann::json queued = json_of(send(call(agent, "GET", "/api/agent/status/" + id)));
  EXPECT_EQ(queued["status"], "queued");
  EXPECT_EQ(queued["queue_position"], 0);
  EXPECT_TRUE(queued["result_url"].is_null());
  EXPECT_EQ(send(call(agent, "GET", "/api/agent/result/" + id)).status, 409);

  scheduler_.start();
  nlohmann::json done;
  for (int i = 0; i < 2000 && !done["finished_at"].is_string(); ++i) {
    std::this_thread::sleep_for(milliseconds(5));
    done = json_of(send(call(agent, "GET", "/api/agent/status/" + id)));
  }
  ASSERT_EQ(done["status"], "succeeded") << done;
  EXPECT_EQ(done["result_url"], "/api/agent/result/" + id);
  Response mesh = send(call(agent, "GET", "/api/agent/result/" + id + "?format=obj"));
  EXPECT_EQ(mesh.status, 200);
  EXPECT_EQ(mesh.content_type, "model/obj");

  std::vector<nlohmann::json> lines = audit_lines();
  ASSERT_GE(lines.size(), 3u);
  EXPECT_EQ(lines[0]["operation"], "generate_3d");
  EXPECT_EQ(lines[0]["outcome"], "allowed");
  EXPECT_EQ(lines[1]["outcome"], "succeeded");
  EXPECT_EQ(lines[1]["job_id"], id);
  EXPECT_EQ(lines[1]["status"], 202);
  EXPECT_EQ(lines[1]["request_id"], header_of(accepted, "X-Request-Id"));
}

TEST_F(AgentApiTest, AnAgentSeesOnlyItsOwnJobs) {
  AgentWithSecret owner = add_agent("owner");
  AgentWithSecret other = add_agent("other");
  std::string id = submit(owner);
  for (auto [method, target] : {std::pair{"GET", "/api/agent/status/"},
                                {"GET", "/api/agent/result/"},
                                {"GET", "/api/agent/events/"},
                                {"DELETE", "/api/agent/jobs/"}}) {
    Response response = send(call(other, method, target + id));
    EXPECT_EQ(response.status, 404) << target;
    EXPECT_EQ(response.body, Response::error(job_not_found(id)).body);  // as for an unknown id
  }
  Response cancelled = send(call(owner, "DELETE", "/api/agent/jobs/" + id));
  EXPECT_EQ(cancelled.status, 200);
  EXPECT_EQ(json_of(cancelled)["status"], "cancelled");
}

TEST_F(AgentApiTest, EveryAuthenticationFailureAnswersTheSameAndTheTrailKnowsWhy) {
  AgentWithSecret agent = add_agent("careful");
  std::string target = "/api/agent/status/x";
  Call good = call(agent, "GET", target);
  ASSERT_EQ(send(good).status, 404);  // authenticated: the job just does not exist

  std::vector<Call> bad(5, call(agent, "GET", target));
  bad[0] = good;                                  // a replay
  bad[1].secret = "sk_wrong";                     // a wrong secret
  bad[2].timestamp -= 301;                        // stale
  bad[3].timestamp += 301;                        // from the future
  bad[4].api_key = "ak_00000000000000000000000";  // unknown
  std::string first_body;
  for (const Call& attempt : bad) {
    Response response = send(attempt);
    ASSERT_EQ(response.status, 401) << response.body;
    EXPECT_EQ(header_of(response, "WWW-Authenticate"), "ORFEAS-HMAC-SHA256");
    if (first_body.empty()) first_body = response.body;
    EXPECT_EQ(response.body, first_body);
  }
  std::vector<std::string> reasons;
  for (const nlohmann::json& line : audit_lines()) {
    if (line["outcome"] == "denied") reasons.push_back(line["reason"]);
    EXPECT_EQ(line.dump().find(agent.secret.secret), std::string::npos);
    // The agent names itself by its id; only a key that names no agent is kept as sent.
    bool unknown = line["reason"] == "unknown api key";
    EXPECT_EQ(line["agent_id"], unknown ? "" : agent.agent.id) << line;
    EXPECT_EQ(line["api_key"], unknown ? bad[4].api_key : "") << line;
  }
  ASSERT_EQ(reasons.size(), 5u);
  EXPECT_NE(reasons[0].find("replay"), std::string::npos);
  EXPECT_NE(reasons[1].find("signature"), std::string::npos);
  EXPECT_NE(reasons[2].find("timestamp"), std::string::npos);
  EXPECT_NE(reasons[3].find("timestamp"), std::string::npos);
  EXPECT_NE(reasons[4].find("unknown"), std::string::npos);
}

TEST_F(AgentApiTest, ScopesAddressesRatesAndTheJobCapAreEnforced) {
  NewAgent reader_request;
  reader_request.scopes = {Scope::kQueryStatus};
  AgentWithSecret reader = add_agent("reader", reader_request);
  Response refused = send(call(reader, "POST", "/api/agent/generate-3d", photo_json()));
  EXPECT_EQ(refused.status, 403);
  EXPECT_NE(refused.body.find("generate_3d"), std::string::npos);

  NewAgent fenced_request;
  fenced_request.allowlist = {IpNetwork::parse("10.0.0.0/8")};
  AgentWithSecret fenced = add_agent("fenced", fenced_request);
  EXPECT_EQ(send(call(fenced, "GET", "/api/agent/status/x")).status, 403);
  Call inside = call(fenced, "GET", "/api/agent/status/x");
  inside.address = "10.2.3.4";
  EXPECT_EQ(send(inside).status, 404);

  NewAgent slow_request;
  slow_request.rate_limit = RateLimit::parse("2/min");
  AgentWithSecret slow = add_agent("slow", slow_request);
  EXPECT_EQ(send(call(slow, "GET", "/api/agent/status/x")).status, 404);
  EXPECT_EQ(send(call(slow, "GET", "/api/agent/status/x")).status, 404);
  Response limited = send(call(slow, "GET", "/api/agent/status/x"));
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(header_of(limited, "Retry-After"), "30");
  EXPECT_EQ(header_of(limited, "RateLimit-Policy"), "\"agent\";q=2;w=60");
  EXPECT_EQ(header_of(limited, "RateLimit"), "\"agent\";r=0;t=60");

  NewAgent capped_request;
  capped_request.max_jobs = 1;
  AgentWithSecret capped = add_agent("capped", capped_request);
  submit(capped);
  Response over = send(call(capped, "POST", "/api/agent/generate-3d", photo_json()));
  EXPECT_EQ(over.status, 429);
  EXPECT_EQ(header_of(over, "Retry-After"), "5");
}

TEST_F(AgentApiTest, ADisabledOrRevokedAgentIsRefusedAndRotationKeepsBothSecrets) {
  AgentWithSecret agent = add_agent("rotating");
  AgentWithSecret rotated = registry_.rotate(agent.agent.id, {});
  EXPECT_EQ(send(call(agent, "GET", "/api/agent/status/x")).status, 404);
  EXPECT_EQ(send(call(rotated, "GET", "/api/agent/status/x")).status, 404);
  registry_.revoke_secret(agent.agent.id, agent.secret.id);
  EXPECT_EQ(send(call(agent, "GET", "/api/agent/status/x")).status, 401);
  EXPECT_EQ(send(call(rotated, "GET", "/api/agent/status/x")).status, 404);
  registry_.set_enabled(agent.agent.id, false);
  EXPECT_EQ(send(call(rotated, "GET", "/api/agent/status/x")).status, 401);
  registry_.set_enabled(agent.agent.id, true);
  EXPECT_EQ(send(call(rotated, "GET", "/api/agent/status/x")).status, 404);
  registry_.revoke(agent.agent.id);
  EXPECT_EQ(send(call(rotated, "GET", "/api/agent/status/x")).status, 401);
}

TEST_F(AgentApiTest, AnAddressWithTooManyFailuresIsThrottledEvenWhenItSignsWell) {
  AgentWithSecret agent = add_agent("victim");
  for (int i = 0; i < 20; ++i) {
    Call wrong = call(agent, "GET", "/api/agent/status/x");
    wrong.secret = "sk_guess";
    ASSERT_EQ(send(wrong).status, 401);
  }
  Response throttled = send(call(agent, "GET", "/api/agent/status/x"));
  EXPECT_EQ(throttled.status, 429);
  EXPECT_EQ(header_of(throttled, "RateLimit-Policy"), "\"failures\";q=20;w=60");
  EXPECT_FALSE(header_of(throttled, "Retry-After").empty());
  Call elsewhere = call(agent, "GET", "/api/agent/status/x");
  elsewhere.address = "::1";
  EXPECT_EQ(send(elsewhere).status, 404);
}

TEST_F(AgentApiTest, AnEventStreamOpensForTheAgentsOwnJob) {
  AgentWithSecret agent = add_agent("watcher");
  std::string id = submit(agent);
  Response stream = send(call(agent, "GET", "/api/agent/events/" + id));
  EXPECT_EQ(stream.status, 200);
  EXPECT_EQ(stream.content_type, "text/event-stream");
  EXPECT_TRUE(static_cast<bool>(stream.stream));
}

TEST(SubmittedByTest, MatchesTheWholeAgentIdOnly) {
  Agent agent;
  agent.id = "agt_1";
  Job job;
  for (auto [submitter, expected] : {std::pair{"agent:agt_1", true},
                                     {"agent:agt_12", false},
                                     {"agent:agt_", false},
                                     {"web:agt_1", false},
                                     {"agt_1", false},
                                     {"", false}}) {
    job.submitter = submitter;
    EXPECT_EQ(submitted_by(job, agent), expected) << submitter;
    EXPECT_EQ(job.submitter == agent_submitter(agent), expected) << submitter;
  }
}

}  // namespace
}  // namespace orfeas

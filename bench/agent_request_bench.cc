// What the agent API adds to a status read, in process and on one thread, so that neither the
// network nor a load generator sharing the cores blurs it: the same job read N times through the
// web route GET /api/jobs/{id} and through the signed agent route GET /api/agent/status/{id}
// (pre-signed, one nonce each), both jobs finished, then the agent route's parts alone
// (authentication; the audit record). Prints microseconds per request for each and one JSON line.
//
//   agent_request_bench [N]   (default 20000)

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "orfeas/auth/request_signing.h"
#include "orfeas/http/agent_api.h"
#include "orfeas/jobs/mesh_job_runner.h"
#include "orfeas/jobs/sqlite_job_store.h"

namespace {

namespace fs = std::filesystem;
using orfeas::Request;

template <typename Body>
double microseconds_each(int count, Body body) {
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < count; ++i) body(i);
  std::chrono::duration<double, std::micro> spent = std::chrono::steady_clock::now() - start;
  return spent.count() / count;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace orfeas;
  const int count = argc > 1 ? std::atoi(argv[1]) : 20000;
  if (count < 1) return 2;
  std::string pattern = (fs::temp_directory_path() / "agent_request_bench.XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) return 1;
  const fs::path dir = pattern;
  std::ifstream photo_file(fs::path(ORFEAS_SOURCE_DIR) / "examples/duck.jpg", std::ios::binary);
  std::string photo{std::istreambuf_iterator<char>(photo_file), {}};
  double web = 0, agent = 0, authentication = 0, audit_record = 0;
  {
    SqliteJobStore store(dir / "orfeas.db");
    MeshJobRunner runner(dir);
    Scheduler scheduler(store, runner, {});
    JobService service(store, scheduler, {.data_dir = dir});
    MetricsRegistry metrics;
    JobsApi jobs_api(service, metrics, [] { return true; });
    AgentRegistry registry(dir / "orfeas.db", dir / "server.key");
    AuditLog audit(dir / "orfeas.db", dir / "audit.jsonl");
    NonceCache nonces(std::chrono::seconds(600), 4 * static_cast<std::size_t>(count) + 10);
    Authenticator authenticator(registry, nonces);
    AgentApi agent_api(service, jobs_api, authenticator, audit);
    Router router;
    jobs_api.add_routes(router);
    agent_api.add_routes(router);

    NewAgent request;
    request.name = "bench";
    request.rate_limit = RateLimit::parse("1000000000/min");
    AgentWithSecret bench = registry.add(request, {});
    JobRequest web_job;
    web_job.image = photo;
    web_job.submitter = "web:127.0.0.1";
    JobRequest agent_job = web_job;
    agent_job.submitter = agent_submitter(bench.agent);
    std::string web_id = service.submit(std::span(&web_job, 1)).front().job.id;
    std::string agent_id = service.submit(std::span(&agent_job, 1)).front().job.id;
    // Both jobs finished, as a client polling for a result mostly finds them.
    scheduler.start();
    while (!is_finished(store.get(web_id).status) || !is_finished(store.get(agent_id).status)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    scheduler.stop(std::chrono::steady_clock::now());

    auto signed_request = [&](const std::string& target) {
      std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
      std::string nonce = new_nonce();
      Request r;
      r.method = "GET";
      r.target = target;
      r.remote_address = "127.0.0.1";
      r.headers = {
          {"Host", "127.0.0.1"},
          {"X-Agent-API-Key", bench.agent.api_key},
          {"X-Agent-Timestamp", std::to_string(now)},
          {"X-Agent-Nonce", nonce},
          {"X-Agent-Signature", sign_request(bench.secret.secret, "GET", target, now, nonce, "")}};
      return r;
    };
    std::string status_target = "/api/agent/status/" + agent_id;
    std::vector<Request> signed_requests;
    for (int i = 0; i < 2 * count; ++i) signed_requests.push_back(signed_request(status_target));

    web = microseconds_each(count, [&](int) {
      Request r;
      r.method = "GET";
      r.target = "/api/jobs/" + web_id;
      r.remote_address = "127.0.0.1";
      r.headers = {{"Host", "127.0.0.1"}};
      if (router.handle(r).status != 200) std::abort();
    });
    agent = microseconds_each(count, [&](int i) {
      if (router.handle(signed_requests[i]).status != 200) std::abort();
    });
    authentication = microseconds_each(count, [&](int i) {
      const Request& r = signed_requests[count + i];
      SignedRequest parts = signed_parts(r, Scope::kQueryStatus, r.remote_address);
      if (!authenticator
               .authenticate(parts, std::chrono::system_clock::now(),
                             std::chrono::steady_clock::now())
               .allowed()) {
        std::abort();
      }
    });
    AuditRecord record;
    record.time =
        std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
    record.request_id = "0123456789abcdef0123456789abcdef";
    record.agent_id = bench.agent.id;
    record.api_key = bench.agent.api_key;
    record.client_address = "127.0.0.1";
    record.method = "GET";
    record.path = status_target;
    record.operation = "query_status";
    record.outcome = "succeeded";
    record.status = 200;
    record.job_id = agent_id;
    record.nonce = "n0nce-n0nce-n0nce-n0nce-n0nce-00";
    audit_record = microseconds_each(count, [&](int) { audit.append(record); });
  }
  fs::remove_all(dir);
  std::printf("requests in process, one thread, %d each (microseconds per request)\n", count);
  std::printf("  web    GET /api/jobs/{id}            %8.2f\n", web);
  std::printf("  agent  GET /api/agent/status/{id}    %8.2f  (+%.2f, %.0f%%)\n", agent, agent - web,
              100 * (agent - web) / web);
  std::printf("    of which authentication          %8.2f\n", authentication);
  std::printf("    of which the audit record        %8.2f  (queued; written by its own thread)\n",
              audit_record);
  std::printf("%s\n", nlohmann::json{{"count", count},
                                     {"web_us", web},
                                     {"agent_us", agent},
                                     {"authentication_us", authentication},
                                     {"audit_append_us", audit_record}}
                          .dump()
                          .c_str());
  std::printf("reproduce: agent_request_bench %d\n", count);
  return 0;
}

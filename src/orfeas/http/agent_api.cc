#include "orfeas/http/agent_api.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <random>
#include <utility>

#include "orfeas/auth/random_token.h"
#include "orfeas/http/client_address.h"
#include "orfeas/http/job_submission.h"

namespace orfeas {
namespace {

constexpr std::size_t kMaxAuditedKey = 128;
constexpr std::string_view kAgentSubmitter = "agent:";  // then the agent's id

std::string status_url(const std::string& id) { return "/api/agent/status/" + id; }
std::string result_url(const std::string& id) { return "/api/agent/result/" + id; }
std::string events_url(const std::string& id) { return "/api/agent/events/" + id; }

// The operations that change state: their authentication is on disk before they act, so that a
// replay is refused even after a crash.
bool changes_state(Scope scope) {
  return scope == Scope::kGenerate3d || scope == Scope::kBatchGenerate || scope == Scope::kCancel;
}

void add_rate_headers(Response& response, const AuthDecision& decision) {
  if (!decision.rate || !decision.rate_limit) return;
  // "POLICY";A=N;B=M
  auto value = [&decision](std::string_view a, std::int64_t n, std::string_view b, std::int64_t m) {
    std::string text;
    text.reserve(decision.rate_policy.size() + 48);
    text.append(1, '"').append(decision.rate_policy).append("\";").append(a).append(1, '=');
    text.append(std::to_string(n)).append(1, ';').append(b).append(1, '=');
    text.append(std::to_string(m));
    return text;
  };
  response.headers.emplace_back("RateLimit-Policy", value("q", decision.rate_limit->requests, "w",
                                                          decision.rate_limit->window.count()));
  response.headers.emplace_back(
      "RateLimit", value("r", decision.rate->remaining, "t", decision.rate->reset_seconds));
}

// 128 bits from a generator seeded once per thread from OpenSSL: unique, and cheap at the rate
// requests come (request ids identify; they protect nothing).
std::string new_request_id() {
  thread_local std::mt19937_64 generator = [] {
    std::string seed = random_bytes(4 * sizeof(std::uint32_t));
    std::seed_seq sequence(seed.begin(), seed.end());
    return std::mt19937_64(sequence);
  }();
  const std::array<std::uint64_t, 2> bits = {generator(), generator()};
  return lower_hex(std::string_view(reinterpret_cast<const char*>(bits.data()), sizeof bits));
}

Timestamp now_ms() {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

}  // namespace

std::string agent_submitter(const Agent& agent) { return std::string(kAgentSubmitter) + agent.id; }

bool submitted_by(const Job& job, const Agent& agent) {
  const std::string_view submitter = job.submitter;
  return submitter.starts_with(kAgentSubmitter) &&
         submitter.substr(kAgentSubmitter.size()) == agent.id;
}

SignedRequest signed_parts(const Request& request, Scope operation,
                           std::string_view client_address) {
  return {.method = request.method,
          .target = request.target,
          .body = request.body,
          .api_key = request.header("X-Agent-API-Key"),
          .timestamp = request.header("X-Agent-Timestamp"),
          .nonce = request.header("X-Agent-Nonce"),
          .signature = request.header("X-Agent-Signature"),
          .client_address = client_address,
          .operation = operation};
}

AgentApi::AgentApi(JobService& service, JobsApi& jobs_api, Authenticator& authenticator,
                   AuditLog& audit, AgentApiOptions options)
    : service_(service),
      jobs_api_(jobs_api),
      authenticator_(authenticator),
      audit_(audit),
      options_(std::move(options)) {}

void AgentApi::add_routes(Router& router) {
  auto add = [&](const char* method, const char* pattern, Scope scope,
                 Response (AgentApi::*member)(const Request&, const Agent&, std::string&)) {
    router.add(method, pattern, [this, scope, member](const Request& request) {
      return handle(request, scope,
                    [this, member](const Request& r, const Agent& a, std::string& job_id) {
                      return (this->*member)(r, a, job_id);
                    });
    });
  };
  add("POST", "/api/agent/generate-3d", Scope::kGenerate3d, &AgentApi::generate);
  add("POST", "/api/agent/batch", Scope::kBatchGenerate, &AgentApi::batch);
  add("GET", "/api/agent/status/{job_id}", Scope::kQueryStatus, &AgentApi::status);
  add("GET", "/api/agent/result/{job_id}", Scope::kDownload, &AgentApi::result);
  add("DELETE", "/api/agent/jobs/{job_id}", Scope::kCancel, &AgentApi::cancel);
  add("GET", "/api/agent/events/{job_id}", Scope::kQueryStatus, &AgentApi::events);
}

Response AgentApi::handle(const Request& request, Scope scope, const Operation& operation) {
  AuditRecord record;
  record.time = now_ms();
  record.request_id = new_request_id();
  record.client_address = client_address(request, options_.trusted_proxies);
  record.method = request.method;
  record.path = request.path;
  record.operation = std::string(scope_name(scope));

  SignedRequest signed_request = signed_parts(request, scope, record.client_address);
  AuthDecision decision = authenticator_.authenticate(
      signed_request, std::chrono::system_clock::now(), std::chrono::steady_clock::now());
  if (decision.agent) {
    record.agent_id = decision.agent->id;
  } else {
    record.api_key = std::string(signed_request.api_key.substr(0, kMaxAuditedKey));
  }

  Response response;
  if (!decision.allowed()) {
    response = Response::error(*decision.error);
    if (response.status == 401)
      response.headers.emplace_back("WWW-Authenticate", "ORFEAS-HMAC-SHA256");
    record.outcome = "denied";
    record.reason = decision.reason;
  } else {
    record.nonce = std::string(signed_request.nonce);
    try {
      if (changes_state(scope)) {
        AuditRecord allowed = record;
        allowed.outcome = "allowed";
        audit_.wait_durable(audit_.append(std::move(allowed)));
        record.nonce.clear();  // recorded above
      }
      response = operation(request, *decision.agent, record.job_id);
      record.outcome = "succeeded";
    } catch (const Error& e) {
      response = Response::error(e);
      record.outcome = "failed";
      record.reason = e.message();
    } catch (const std::exception& e) {
      response = Response::error(Error(ErrorCode::kInternal, "internal error"));
      record.outcome = "failed";
      record.reason = e.what();
    }
  }
  record.status = response.status;
  // RateLimit-Policy, RateLimit and X-Request-Id follow.
  response.headers.reserve(response.headers.size() + 3);
  add_rate_headers(response, decision);
  response.headers.emplace_back("X-Request-Id", record.request_id);
  audit_.append(std::move(record));
  return response;
}

JobView AgentApi::own_job(const Request& request, const Agent& agent) const {
  const std::string& id = request.path_params.at("job_id");
  JobView view = service_.view(id);
  if (!submitted_by(view.job, agent)) throw job_not_found(id);
  return view;
}

void AgentApi::check_job_cap(const Agent& agent, std::size_t adding) const {
  if (!agent.max_jobs) return;
  auto cap = static_cast<std::size_t>(*agent.max_jobs);
  std::size_t active = 0;
  for (JobStatus status : {JobStatus::kQueued, JobStatus::kRunning}) {
    active +=
        service_.list({.status = status, .submitter = agent_submitter(agent), .limit = cap}).size();
  }
  if (active + adding > cap) {
    throw Error(ErrorCode::kRateLimited,
                "this agent has " + std::to_string(active) +
                    " jobs queued or running and may have " + std::to_string(cap) +
                    "; retry when some have finished",
                {{"retry_after_seconds", options_.retry_after.count()},
                 {"active_jobs", active},
                 {"max_jobs", cap}});
  }
}

nlohmann::json AgentApi::status_json(const JobView& view) const {
  const Job& job = view.job;
  nlohmann::json error;
  if (job.error) error = {{"code", job.error->code}, {"message", job.error->message}};
  auto or_null = [](const auto& value, auto render) {
    return value ? nlohmann::json(render(*value)) : nlohmann::json();
  };
  auto seconds = [](std::chrono::milliseconds eta) {
    return std::chrono::duration<double>(eta).count();
  };
  auto itself = [](std::size_t position) { return position; };
  bool succeeded = job.status == JobStatus::kSucceeded;
  return {{"job_id", job.id},
          {"status", job_status_name(job.status)},
          {"stage", job.stage},
          {"progress", job.progress},
          {"eta_seconds", or_null(view.eta, seconds)},
          {"queue_position", or_null(view.queue_position, itself)},
          {"result_url", succeeded ? nlohmann::json(result_url(job.id)) : nlohmann::json()},
          {"error", error},
          {"report", job.report},
          {"created_at", format_timestamp(job.created_at)},
          {"finished_at", or_null(job.finished_at, format_timestamp)}};
}

Response AgentApi::generate(const Request& request, const Agent& agent, std::string& job_id) {
  Submission submission = parse_submission(request);
  if (submission.images.size() != 1) {
    throw Error(ErrorCode::kBadInput, "send one image here; use /api/agent/batch for several");
  }
  check_job_cap(agent, 1);
  EnqueueResult result =
      service_.submit(job_requests(request, std::move(submission), agent_submitter(agent))).front();
  job_id = result.job.id;
  return Response::json({{"job_id", job_id},
                         {"agent_id", agent.id},
                         {"status", job_status_name(result.job.status)},
                         {"created", result.created},
                         {"status_url", status_url(job_id)},
                         {"events_url", events_url(job_id)},
                         {"result_url", result_url(job_id)}},
                        202);
}

Response AgentApi::batch(const Request& request, const Agent& agent, std::string& job_id) {
  Submission submission = parse_submission(request);
  if (submission.images.size() > kMaxSubmissionImages) {
    throw Error(ErrorCode::kTooLarge, "a batch holds at most 32 images",
                {{"images", submission.images.size()}, {"max_images", kMaxSubmissionImages}});
  }
  check_job_cap(agent, submission.images.size());
  std::vector<EnqueueResult> results =
      service_.submit(job_requests(request, std::move(submission), agent_submitter(agent)));
  nlohmann::json ids = nlohmann::json::array();
  std::chrono::milliseconds longest_eta{0};
  bool eta_known = true;  // every job's: else there is no estimate
  for (const EnqueueResult& result : results) {
    ids.push_back(result.job.id);
    JobView view = service_.view(result.job.id);
    eta_known = eta_known && view.eta.has_value();
    if (view.eta) longest_eta = std::max(longest_eta, *view.eta);
  }
  const std::optional<std::string>& batch_id = results.front().job.batch_id;
  job_id = batch_id.value_or(results.front().job.id);
  return Response::json(
      {{"batch_id", batch_id ? nlohmann::json(*batch_id) : nlohmann::json()},
       {"job_ids", ids},
       {"batch_size", results.size()},
       {"estimated_completion",
        eta_known ? nlohmann::json(format_timestamp(now_ms() + longest_eta)) : nlohmann::json()}},
      202);
}

Response AgentApi::status(const Request& request, const Agent& agent, std::string& job_id) {
  JobView view = own_job(request, agent);
  job_id = view.job.id;
  return Response::json(status_json(view));
}

Response AgentApi::result(const Request& request, const Agent& agent, std::string& job_id) {
  job_id = own_job(request, agent).job.id;
  std::optional<MeshFormat> format;
  if (auto it = request.query.find("format"); it != request.query.end()) {
    format = parse_mesh_format(it->second);
  }
  return mesh_response(job_id, service_.result(job_id, format));
}

Response AgentApi::cancel(const Request& request, const Agent& agent, std::string& job_id) {
  job_id = own_job(request, agent).job.id;
  return Response::json(status_json({service_.cancel(job_id), {}, {}}));
}

Response AgentApi::events(const Request& request, const Agent& agent, std::string& job_id) {
  job_id = own_job(request, agent).job.id;
  return jobs_api_.event_stream(job_id, [this](const JobView& view) { return status_json(view); });
}

}  // namespace orfeas

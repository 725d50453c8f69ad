// The signed agent API (/api/agent/...): every request is authenticated (auth/authenticator.h),
// audited (auth/audit_log.h) and confined to the agent's own jobs. The contract is docs/API.md
// ("The agent API") and docs/SIGNING.md.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "orfeas/auth/audit_log.h"
#include "orfeas/auth/authenticator.h"
#include "orfeas/auth/ip_network.h"
#include "orfeas/http/jobs_api.h"
#include "orfeas/http/router.h"
#include "orfeas/jobs/job_service.h"

namespace orfeas {

struct AgentApiOptions {
  std::vector<IpNetwork> trusted_proxies;  // peers whose X-Forwarded-For is believed
  std::chrono::seconds retry_after{5};     // told to an agent at its cap on jobs
};

class AgentApi {
 public:
  // Everything passed in must outlive the API; `jobs_api` serves the event streams.
  AgentApi(JobService& service, JobsApi& jobs_api, Authenticator& authenticator, AuditLog& audit,
           AgentApiOptions options = {});

  void add_routes(Router& router);

 private:
  // What an operation needs: the request and the agent it runs for. Returns the response and sets
  // `job_id` (for the audit trail) when it concerns one job.
  using Operation =
      std::function<Response(const Request& request, const Agent& agent, std::string& job_id)>;

  // Authenticates, audits and runs `operation` when allowed; every failure becomes its response.
  Response handle(const Request& request, Scope scope, const Operation& operation);

  Response generate(const Request& request, const Agent& agent, std::string& job_id);
  Response batch(const Request& request, const Agent& agent, std::string& job_id);
  Response status(const Request& request, const Agent& agent, std::string& job_id);
  Response result(const Request& request, const Agent& agent, std::string& job_id);
  Response cancel(const Request& request, const Agent& agent, std::string& job_id);
  Response events(const Request& request, const Agent& agent, std::string& job_id);

  // The agent's job, or Error{kNotFound} when it is another's or unknown.
  JobView own_job(const Request& request, const Agent& agent) const;
  // Throws Error{kRateLimited} when `adding` more jobs would take the agent past its cap.
  void check_job_cap(const Agent& agent, std::size_t adding) const;
  nlohmann::json status_json(const JobView& view) const;

  JobService& service_;
  JobsApi& jobs_api_;
  Authenticator& authenticator_;
  AuditLog& audit_;
  AgentApiOptions options_;
};

// "agent:<agent id>": the submitter of an agent's jobs.
std::string agent_submitter(const Agent& agent);
// Whether `job`'s submitter is agent_submitter(agent) (without building that string).
bool submitted_by(const Job& job, const Agent& agent);

// What the Authenticator checks of `request`, asking for `operation` from `client_address`. The
// result views `request` and `client_address`: keep both alive while it is used.
SignedRequest signed_parts(const Request& request, Scope operation,
                           std::string_view client_address);

}  // namespace orfeas

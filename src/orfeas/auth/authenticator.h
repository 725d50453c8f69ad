// Decides whether a signed agent request may run, checking in the order docs/SIGNING.md gives:
// the failed-attempt throttle of the client address, the key, the timestamp, the signature, the
// nonce, the address allowlist, the scope, then the agent's rate limit.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "orfeas/auth/agent.h"
#include "orfeas/auth/agent_registry.h"
#include "orfeas/auth/nonce_cache.h"
#include "orfeas/auth/rate_limiter.h"
#include "orfeas/core/error.h"

namespace orfeas {

struct AuthenticatorOptions {
  std::chrono::seconds max_clock_skew{300};  // |server time - X-Agent-Timestamp| allowed
  std::chrono::seconds nonce_window{600};    // how long a nonce is remembered
  std::size_t nonce_capacity = 4'000'000;    // nonces remembered at once, all agents together
  // Failed authentications allowed per client address; past it the address gets 429 at once.
  RateLimit failures_per_address{20, std::chrono::seconds(60)};
};

// A request as the authenticator sees it: the raw wire values it signs and the four headers.
struct SignedRequest {
  std::string_view method;
  std::string_view target;  // raw path and query, as sent
  std::string_view body;
  std::string_view api_key, timestamp, nonce, signature;  // X-Agent-* values; empty = absent
  std::string_view client_address;
  Scope operation;
};

// The decision. When `error` is set the request is refused with it:
// - kUnauthorized: generic message ("the request is not signed correctly"); the real reason is
//   in `reason` for the audit trail only;
// - kForbidden: missing scope or an address outside the allowlist (the message says which);
// - kRateLimited: the agent's limit or the address's failure throttle; details hold
//   retry_after_seconds, and `rate` what the RateLimit headers report;
// - kUnavailable: the nonce cache is full.
struct AuthDecision {
  std::shared_ptr<const Agent> agent;  // the agent the key named, when it named one
  std::optional<Error> error;
  std::string reason;                // for the audit trail; empty when allowed
  std::optional<RateDecision> rate;  // the limit that applied, for the RateLimit headers
  std::string rate_policy;           // its name: "agent" or "failures"
  std::optional<RateLimit> rate_limit;

  bool allowed() const { return !error.has_value(); }
};

class Authenticator {
 public:
  // The registry and nonce cache must outlive the authenticator.
  Authenticator(AgentRegistry& registry, NonceCache& nonces, AuthenticatorOptions options = {});

  // Thread-safe. `now` is the server's wall-clock time, `steady` its monotonic time (limits).
  AuthDecision authenticate(const SignedRequest& request, std::chrono::system_clock::time_point now,
                            RateLimiter::Clock::time_point steady);

 private:
  AuthDecision refuse(AuthDecision decision, ErrorCode code, std::string reason,
                      std::string_view client_address, RateLimiter::Clock::time_point steady);

  AgentRegistry& registry_;
  NonceCache& nonces_;
  AuthenticatorOptions options_;
  RateLimiter agent_limits_;    // by agent id
  RateLimiter failure_limits_;  // by client address
};

}  // namespace orfeas

#include "orfeas/auth/authenticator.h"

#include <utility>

#include "orfeas/auth/request_signing.h"

namespace orfeas {
namespace {

constexpr const char* kUnsigned = "the request is not signed correctly (see docs/SIGNING.md)";

}  // namespace

Authenticator::Authenticator(AgentRegistry& registry, NonceCache& nonces,
                             AuthenticatorOptions options)
    : registry_(registry), nonces_(nonces), options_(std::move(options)) {}

AuthDecision Authenticator::refuse(AuthDecision decision, ErrorCode code, std::string reason,
                                   std::string_view client_address,
                                   RateLimiter::Clock::time_point steady) {
  decision.reason = std::move(reason);
  if (code == ErrorCode::kUnauthorized) {
    decision.error = Error(code, kUnsigned);
    failure_limits_.acquire(client_address, options_.failures_per_address, steady);
  } else {
    decision.error = Error(code, decision.reason);
  }
  return decision;
}

AuthDecision Authenticator::authenticate(const SignedRequest& request,
                                         std::chrono::system_clock::time_point now,
                                         RateLimiter::Clock::time_point steady) {
  AuthDecision decision;
  RateDecision failures =
      failure_limits_.peek(request.client_address, options_.failures_per_address, steady);
  if (!failures.allowed) {
    decision.rate = failures;
    decision.rate_policy = "failures";
    decision.rate_limit = options_.failures_per_address;
    decision.reason = "too many failed attempts from this address";
    decision.error = Error(ErrorCode::kRateLimited,
                           "too many failed authentications from this address; retry later",
                           {{"retry_after_seconds", failures.retry_after_seconds}});
    return decision;
  }

  AgentSignature signature;
  try {
    signature =
        parse_agent_signature(request.api_key, request.timestamp, request.nonce, request.signature);
  } catch (const Error& e) {
    return refuse(std::move(decision), ErrorCode::kUnauthorized, e.message(),
                  request.client_address, steady);
  }
  decision.agent = registry_.find_by_api_key(signature.api_key);
  if (!decision.agent) {
    return refuse(std::move(decision), ErrorCode::kUnauthorized, "unknown api key",
                  request.client_address, steady);
  }
  const Agent& agent = *decision.agent;
  if (!agent.active()) {
    return refuse(std::move(decision), ErrorCode::kUnauthorized,
                  agent.revoked ? "agent revoked" : "agent disabled", request.client_address,
                  steady);
  }
  auto skew = std::chrono::seconds(signature.timestamp) -
              std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch());
  if (skew > options_.max_clock_skew || -skew > options_.max_clock_skew) {
    return refuse(std::move(decision), ErrorCode::kUnauthorized,
                  "timestamp " + std::to_string(skew.count()) + " s from server time",
                  request.client_address, steady);
  }
  std::string signed_text = string_to_sign(request.method, request.target, signature.timestamp,
                                           signature.nonce, request.body);
  bool matches = false;
  for (const AgentSecret& secret : agent.secrets) {
    matches |= signature_matches(secret.secret, signed_text, signature.signature);
  }
  if (!matches) {
    return refuse(std::move(decision), ErrorCode::kUnauthorized, "signature does not match",
                  request.client_address, steady);
  }
  switch (nonces_.record(agent.id, signature.nonce, now)) {
    case NonceCache::Result::kFresh:
      break;
    case NonceCache::Result::kReplay:
      return refuse(std::move(decision), ErrorCode::kUnauthorized, "replay: nonce already used",
                    request.client_address, steady);
    case NonceCache::Result::kFull:
      return refuse(std::move(decision), ErrorCode::kUnavailable,
                    "too many recent requests to remember their nonces; retry later",
                    request.client_address, steady);
  }
  if (!agent.allows_address(request.client_address)) {
    return refuse(
        std::move(decision), ErrorCode::kForbidden,
        "address " + std::string(request.client_address) + " is not in this agent's allowlist",
        request.client_address, steady);
  }
  if (!agent.scopes.contains(request.operation)) {
    return refuse(std::move(decision), ErrorCode::kForbidden,
                  "this agent lacks the scope " + std::string(scope_name(request.operation)),
                  request.client_address, steady);
  }
  decision.rate = agent_limits_.acquire(agent.id, agent.rate_limit, steady);
  decision.rate_policy = "agent";
  decision.rate_limit = agent.rate_limit;
  if (!decision.rate->allowed) {
    decision.reason = "rate limit " + agent.rate_limit.to_string() + " reached";
    decision.error = Error(ErrorCode::kRateLimited,
                           "rate limit " + agent.rate_limit.to_string() + " reached; retry later",
                           {{"retry_after_seconds", decision.rate->retry_after_seconds}});
  }
  return decision;
}

}  // namespace orfeas

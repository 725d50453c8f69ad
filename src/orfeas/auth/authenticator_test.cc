// The checks of docs/SIGNING.md, in their order, over a real agent registry; time is passed in.
#include "orfeas/auth/authenticator.h"

#include <gtest/gtest.h>

#include "orfeas/auth/request_signing.h"
#include "orfeas/jobs/test_directory.h"

namespace orfeas {
namespace {

using std::chrono::seconds;
using SystemTime = std::chrono::system_clock::time_point;

constexpr std::int64_t kNow = 1'767'225'600;

class AuthenticatorTest : public testing::Test {
 protected:
  AgentWithSecret add(const std::string& name, NewAgent request = {}) {
    request.name = name;
    return registry_.add(request, {});
  }

  // A request signed by `agent` at `timestamp`, checked at kNow unless `at` says otherwise.
  AuthDecision check(const AgentWithSecret& agent, Scope operation = Scope::kQueryStatus,
                     std::int64_t timestamp = kNow, std::string nonce = new_nonce(),
                     std::string address = "127.0.0.1", std::string secret = {}) {
    std::string timestamp_text = std::to_string(timestamp);
    std::string signature = sign_request(secret.empty() ? agent.secret.secret : secret, "GET",
                                         "/api/agent/status/j?b=1&a=2", timestamp, nonce, "");
    SignedRequest request{.method = "GET",
                          .target = "/api/agent/status/j?b=1&a=2",
                          .body = "",
                          .api_key = agent.agent.api_key,
                          .timestamp = timestamp_text,
                          .nonce = nonce,
                          .signature = signature,
                          .client_address = address,
                          .operation = operation};
    return authenticator_.authenticate(request, SystemTime(seconds(kNow)), steady_);
  }

  TestDirectory directory_;
  AgentRegistry registry_{directory_.path() / "orfeas.db",
                          directory_.path() / "server.key",
                          {.refresh_interval = std::chrono::milliseconds(0)}};
  NonceCache nonces_{seconds(600), 100};
  Authenticator authenticator_{registry_, nonces_};
  RateLimiter::Clock::time_point steady_ = RateLimiter::Clock::now();
};

TEST_F(AuthenticatorTest, AWellSignedRequestIsAllowedWithItsRate) {
  AgentWithSecret agent = add("good");
  AuthDecision decision = check(agent);
  ASSERT_TRUE(decision.allowed()) << decision.reason;
  EXPECT_EQ(decision.agent->id, agent.agent.id);
  EXPECT_EQ(decision.rate_policy, "agent");
  EXPECT_EQ(decision.rate->remaining, 59);
  EXPECT_TRUE(decision.reason.empty());
}

TEST_F(AuthenticatorTest, TheClockWindowIsInclusiveAtThreeHundredSeconds) {
  AgentWithSecret agent = add("clock");
  EXPECT_TRUE(check(agent, Scope::kQueryStatus, kNow - 300).allowed());
  EXPECT_TRUE(check(agent, Scope::kQueryStatus, kNow + 300).allowed());
  AuthDecision stale = check(agent, Scope::kQueryStatus, kNow - 301);
  EXPECT_EQ(stale.error->code(), ErrorCode::kUnauthorized);
  EXPECT_NE(stale.reason.find("timestamp"), std::string::npos);
  EXPECT_EQ(check(agent, Scope::kQueryStatus, kNow + 301).error->code(), ErrorCode::kUnauthorized);
}

TEST_F(AuthenticatorTest, ANonceIsSpentOnlyByAnAuthenticRequest) {
  AgentWithSecret agent = add("nonce");
  std::string nonce = new_nonce();
  AuthDecision forged = check(agent, Scope::kQueryStatus, kNow, nonce, "127.0.0.1", "sk_forged");
  EXPECT_EQ(forged.reason, "signature does not match");
  EXPECT_TRUE(check(agent, Scope::kQueryStatus, kNow, nonce).allowed());
  AuthDecision replay = check(agent, Scope::kQueryStatus, kNow, nonce);
  EXPECT_EQ(replay.error->code(), ErrorCode::kUnauthorized);
  EXPECT_NE(replay.reason.find("replay"), std::string::npos);
  // Nonces are per agent.
  EXPECT_TRUE(check(add("other"), Scope::kQueryStatus, kNow, nonce).allowed());
}

TEST_F(AuthenticatorTest, EveryUnauthorizedAnswerIsTheSameWhateverTheReason) {
  AgentWithSecret agent = add("same");
  AgentWithSecret revoked = add("revoked");
  registry_.revoke(revoked.agent.id);
  AgentWithSecret unknown = agent;
  unknown.agent.api_key = "ak_nobody";
  std::vector<AuthDecision> refused = {
      check(agent, Scope::kQueryStatus, kNow, "short"), check(unknown), check(revoked),
      check(agent, Scope::kQueryStatus, kNow - 1000),
      check(agent, Scope::kQueryStatus, kNow, new_nonce(), "127.0.0.1", "sk_wrong")};
  std::set<std::string> reasons;
  for (const AuthDecision& decision : refused) {
    ASSERT_FALSE(decision.allowed());
    EXPECT_EQ(decision.error->to_json(), refused[0].error->to_json());
    reasons.insert(decision.reason);
  }
  EXPECT_EQ(reasons.size(), refused.size());
  EXPECT_TRUE(reasons.contains("agent revoked"));
  EXPECT_TRUE(reasons.contains("unknown api key"));
}

TEST_F(AuthenticatorTest, AddressesScopesAndRatesAreCheckedAfterTheSignature) {
  NewAgent request;
  request.scopes = {Scope::kQueryStatus};
  request.rate_limit = RateLimit::parse("1/min");
  request.allowlist = {IpNetwork::parse("2001:db8::/32")};
  AgentWithSecret agent = add("limited", request);
  AuthDecision outside = check(agent);
  EXPECT_EQ(outside.error->code(), ErrorCode::kForbidden);
  EXPECT_NE(outside.error->message().find("allowlist"), std::string::npos);
  AuthDecision scope = check(agent, Scope::kCancel, kNow, new_nonce(), "2001:db8::7");
  EXPECT_EQ(scope.error->code(), ErrorCode::kForbidden);
  EXPECT_NE(scope.error->message().find("cancel"), std::string::npos);
  EXPECT_TRUE(check(agent, Scope::kQueryStatus, kNow, new_nonce(), "2001:db8::7").allowed());
  AuthDecision limited = check(agent, Scope::kQueryStatus, kNow, new_nonce(), "2001:db8::7");
  EXPECT_EQ(limited.error->code(), ErrorCode::kRateLimited);
  EXPECT_EQ(limited.error->details()["retry_after_seconds"], 60);
  EXPECT_EQ(limited.rate_limit, RateLimit::parse("1/min"));
}

TEST_F(AuthenticatorTest, AnAddressThatKeepsFailingIsThrottledBeforeAnyCheck) {
  AgentWithSecret agent = add("throttled");
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(check(agent, Scope::kQueryStatus, kNow, new_nonce(), "192.0.2.1", "sk_x").reason,
              "signature does not match");
  }
  AuthDecision throttled = check(agent, Scope::kQueryStatus, kNow, new_nonce(), "192.0.2.1");
  EXPECT_EQ(throttled.error->code(), ErrorCode::kRateLimited);
  EXPECT_EQ(throttled.rate_policy, "failures");
  EXPECT_TRUE(check(agent, Scope::kQueryStatus, kNow, new_nonce(), "192.0.2.2").allowed());
  // Forbidden requests are authentic: they do not count as failures.
  NewAgent fenced_request;
  fenced_request.allowlist = {IpNetwork::parse("10.0.0.0/8")};
  AgentWithSecret fenced = add("fenced", fenced_request);
  for (int i = 0; i < 25; ++i) {
    EXPECT_EQ(check(fenced, Scope::kQueryStatus, kNow, new_nonce(), "192.0.2.3").error->code(),
              ErrorCode::kForbidden);
  }
}

TEST_F(AuthenticatorTest, AFullNonceCacheRefusesWithUnavailable) {
  AgentWithSecret agent = add("busy");
  EXPECT_TRUE(check(agent).allowed());
  // The cache holds 100 nonces; each authentic request records one, limited or not.
  for (int i = 1; i < 100; ++i) check(agent);
  EXPECT_EQ(nonces_.size(), 100u);
  EXPECT_EQ(check(agent).error->code(), ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace orfeas

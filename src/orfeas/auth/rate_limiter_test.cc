#include "orfeas/auth/rate_limiter.h"

#include <atomic>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "orfeas/core/test_errors.h"

namespace orfeas {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const RateLimiter::Clock::time_point kStart =
    RateLimiter::Clock::time_point() + std::chrono::hours(1);

TEST(RateLimitTest, ParsesEveryUnit) {
  EXPECT_EQ(RateLimit::parse("60/min"), (RateLimit{60, seconds(60)}));
  EXPECT_EQ(RateLimit::parse("60/minute"), (RateLimit{60, seconds(60)}));
  EXPECT_EQ(RateLimit::parse("60/m"), (RateLimit{60, seconds(60)}));
  EXPECT_EQ(RateLimit::parse("5/s"), (RateLimit{5, seconds(1)}));
  EXPECT_EQ(RateLimit::parse("5/sec"), (RateLimit{5, seconds(1)}));
  EXPECT_EQ(RateLimit::parse("5/second"), (RateLimit{5, seconds(1)}));
  EXPECT_EQ(RateLimit::parse("1000/hour"), (RateLimit{1000, seconds(3600)}));
  EXPECT_EQ(RateLimit::parse("1000/h"), (RateLimit{1000, seconds(3600)}));
  EXPECT_EQ(RateLimit::parse("1/s").requests, 1);
  EXPECT_EQ(RateLimit::parse("1000000000/s").requests, 1'000'000'000);
  EXPECT_EQ(RateLimit::parse("007/min").requests, 7);
}

TEST(RateLimitTest, WritesTheShortFormThatParsesBack) {
  EXPECT_EQ(RateLimit::parse("60/minute").to_string(), "60/min");
  EXPECT_EQ(RateLimit::parse("60/m").to_string(), "60/min");
  EXPECT_EQ(RateLimit::parse("5/second").to_string(), "5/s");
  EXPECT_EQ(RateLimit::parse("9/h").to_string(), "9/hour");
  EXPECT_EQ(RateLimit{}.to_string(), "60/min");
  for (const char* text : {"1/s", "60/min", "1000/hour", "1000000000/s"}) {
    RateLimit limit = RateLimit::parse(text);
    EXPECT_EQ(limit.to_string(), text);
    EXPECT_EQ(RateLimit::parse(limit.to_string()), limit);
  }
}

TEST(RateLimitTest, RefusesOtherFormsNamingTheText) {
  for (const char* text : {"", "60", "60/", "/min", "0/min", "-1/min", "+5/min", "1000000001/s",
                           "99999999999/s", "60/day", "60/MIN", "60 /min", "60/ min", "60/min ",
                           "6.5/s", "60//min", "60/min/s", "1e3/s", "0x10/s"}) {
    Error error = test::error_of([&] { RateLimit::parse(text); });
    EXPECT_EQ(error.code(), ErrorCode::kBadInput) << text;
    EXPECT_NE(error.message().find(std::string("\"") + text + "\""), std::string::npos)
        << error.message();
  }
}

TEST(RateLimiterTest, AllowsABurstThenOnePerIntervalWithRetryAfter) {
  RateLimiter limiter;
  const RateLimit limit = RateLimit::parse("60/min");
  for (int i = 0; i < 60; ++i) {
    RateDecision decision = limiter.acquire("agent", limit, kStart);
    ASSERT_TRUE(decision.allowed) << i;
    EXPECT_EQ(decision.limit, 60);
    EXPECT_EQ(decision.remaining, 59 - i);
    EXPECT_EQ(decision.reset_seconds, i + 1);
    EXPECT_EQ(decision.retry_after_seconds, 0);
  }
  RateDecision refused = limiter.acquire("agent", limit, kStart);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.remaining, 0);
  EXPECT_EQ(refused.reset_seconds, 60);
  EXPECT_EQ(refused.retry_after_seconds, 1);

  RateDecision half = limiter.acquire("agent", limit, kStart + milliseconds(500));
  EXPECT_FALSE(half.allowed);
  EXPECT_EQ(half.retry_after_seconds, 1);  // 0.5 s, rounded up

  RateDecision later = limiter.acquire("agent", limit, kStart + seconds(1));
  EXPECT_TRUE(later.allowed);
  EXPECT_EQ(later.remaining, 0);
  EXPECT_EQ(later.reset_seconds, 60);
  EXPECT_FALSE(limiter.acquire("agent", limit, kStart + seconds(1)).allowed);
}

TEST(RateLimiterTest, RefillsAtTheRateUpToAFullBucket) {
  RateLimiter limiter;
  const RateLimit limit = RateLimit::parse("60/min");
  for (int i = 0; i < 60; ++i) limiter.acquire("agent", limit, kStart);
  RateDecision after_ten = limiter.acquire("agent", limit, kStart + seconds(10));
  EXPECT_TRUE(after_ten.allowed);
  EXPECT_EQ(after_ten.remaining, 9);
  EXPECT_EQ(after_ten.reset_seconds, 51);

  // Long after the window the bucket is full again, never fuller.
  const auto much_later = kStart + std::chrono::hours(2);
  EXPECT_EQ(limiter.peek("agent", limit, much_later).remaining, 59);
  int allowed = 0;
  while (limiter.acquire("agent", limit, much_later).allowed) ++allowed;
  EXPECT_EQ(allowed, 60);
}

TEST(RateLimiterTest, RoundsTheResetUpToWholeSeconds) {
  RateLimiter limiter;
  const RateLimit limit = RateLimit::parse("3/s");
  RateDecision first = limiter.acquire("agent", limit, kStart);
  EXPECT_EQ(first.remaining, 2);
  EXPECT_EQ(first.reset_seconds, 1);  // a third of a second
  limiter.acquire("agent", limit, kStart);
  limiter.acquire("agent", limit, kStart);
  RateDecision refused = limiter.acquire("agent", limit, kStart);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after_seconds, 1);
  EXPECT_TRUE(limiter.acquire("agent", limit, kStart + milliseconds(334)).allowed);
}

TEST(RateLimiterTest, KeysAreIndependent) {
  RateLimiter limiter;
  const RateLimit limit = RateLimit::parse("2/min");
  EXPECT_TRUE(limiter.acquire("a", limit, kStart).allowed);
  EXPECT_TRUE(limiter.acquire("a", limit, kStart).allowed);
  EXPECT_FALSE(limiter.acquire("a", limit, kStart).allowed);
  RateDecision other = limiter.acquire("b", limit, kStart);
  EXPECT_TRUE(other.allowed);
  EXPECT_EQ(other.remaining, 1);
  EXPECT_EQ(limiter.size(), 2u);
}

TEST(RateLimiterTest, PeekTakesNothing) {
  RateLimiter limiter;
  const RateLimit limit = RateLimit::parse("2/min");
  RateDecision fresh = limiter.peek("agent", limit, kStart);
  EXPECT_TRUE(fresh.allowed);
  EXPECT_EQ(fresh.remaining, 1);
  EXPECT_EQ(limiter.size(), 0u);
  limiter.acquire("agent", limit, kStart);
  for (int i = 0; i < 3; ++i) {
    RateDecision peeked = limiter.peek("agent", limit, kStart);
    EXPECT_TRUE(peeked.allowed);
    EXPECT_EQ(peeked.remaining, 0);
  }
  EXPECT_TRUE(limiter.acquire("agent", limit, kStart).allowed);
  RateDecision empty = limiter.peek("agent", limit, kStart);
  EXPECT_FALSE(empty.allowed);
  EXPECT_EQ(empty.retry_after_seconds, 30);
  EXPECT_FALSE(limiter.acquire("agent", limit, kStart).allowed);
}

TEST(RateLimiterTest, CountsExactlyUnderManyThreads) {
  RateLimiter limiter;
  const RateLimit limit = RateLimit::parse("5000/min");
  std::atomic<int> allowed = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) {
        if (limiter.acquire("shared", limit, kStart).allowed) ++allowed;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(allowed.load(), 5000);
}

TEST(RateLimiterTest, ForgetsKeysWhoseBucketIsFullAgain) {
  RateLimiter limiter;
  const RateLimit limit = RateLimit::parse("10/min");
  limiter.acquire("a", limit, kStart);
  limiter.acquire("b", limit, kStart);
  for (int i = 0; i < 10; ++i) limiter.acquire("c", limit, kStart);
  EXPECT_EQ(limiter.size(), 3u);
  // a and b are full again after 6 s, c only after the whole minute.
  limiter.acquire("d", limit, kStart + seconds(30));
  EXPECT_EQ(limiter.size(), 2u);
  limiter.acquire("e", limit, kStart + seconds(61));
  EXPECT_EQ(limiter.size(), 1u);
  EXPECT_EQ(limiter.peek("c", limit, kStart + seconds(61)).remaining, 9);
}

TEST(RateLimiterTest, PeekForgetsFullBucketsTooAndThenAnswersFromNothing) {
  RateLimiter limiter;
  const RateLimit limit = RateLimit::parse("10/min");
  limiter.acquire("a", limit, kStart);
  EXPECT_EQ(limiter.peek("a", limit, kStart).remaining, 8);
  EXPECT_EQ(limiter.size(), 1u);
  EXPECT_EQ(limiter.peek("b", limit, kStart + seconds(7)).remaining, 9);
  EXPECT_EQ(limiter.size(), 0u);  // a's bucket was full again
  EXPECT_EQ(limiter.peek("a", limit, kStart + seconds(7)).remaining, 9);
  limiter.acquire("a", limit, kStart + seconds(7));
  EXPECT_EQ(limiter.peek("a", limit, kStart + seconds(7)).remaining, 8);  // remembered again
}

}  // namespace
}  // namespace orfeas

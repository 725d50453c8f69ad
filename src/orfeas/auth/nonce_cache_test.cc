#include "orfeas/auth/nonce_cache.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace orfeas {
namespace {

using std::chrono::seconds;
using Result = NonceCache::Result;

const NonceCache::Clock::time_point kStart =
    NonceCache::Clock::time_point() + seconds(1'700'000'000);

TEST(NonceCacheTest, RefusesAReplayWithinTheWindow) {
  NonceCache cache(seconds(300), 100);
  EXPECT_EQ(cache.record("agent", "nonce-1", kStart), Result::kFresh);
  EXPECT_EQ(cache.record("agent", "nonce-1", kStart), Result::kReplay);
  EXPECT_EQ(cache.record("agent", "nonce-1", kStart + seconds(299)), Result::kReplay);
  EXPECT_EQ(cache.record("agent", "nonce-2", kStart + seconds(299)), Result::kFresh);
  EXPECT_EQ(cache.size(), 2u);
}

TEST(NonceCacheTest, ForgetsANonceAfterTheWindow) {
  NonceCache cache(seconds(300), 100);
  EXPECT_EQ(cache.record("agent", "nonce-1", kStart), Result::kFresh);
  EXPECT_EQ(cache.record("agent", "nonce-2", kStart + seconds(100)), Result::kFresh);
  EXPECT_EQ(cache.record("agent", "nonce-1", kStart + seconds(300)), Result::kFresh);
  EXPECT_EQ(cache.size(), 2u);  // nonce-2 and nonce-1 again
  EXPECT_EQ(cache.record("agent", "nonce-2", kStart + seconds(399)), Result::kReplay);
  EXPECT_EQ(cache.record("other", "x", kStart + seconds(400)), Result::kFresh);
  EXPECT_EQ(cache.size(), 2u);  // nonce-2 expired, nonce-1 (at 300) and x remain
}

TEST(NonceCacheTest, SeparatesAgents) {
  NonceCache cache(seconds(300), 100);
  EXPECT_EQ(cache.record("agent-a", "nonce", kStart), Result::kFresh);
  EXPECT_EQ(cache.record("agent-b", "nonce", kStart), Result::kFresh);
  EXPECT_EQ(cache.record("agent-a", "nonce", kStart), Result::kReplay);
  EXPECT_EQ(cache.record("agent-b", "nonce", kStart), Result::kReplay);
  // The agent and the nonce do not run into each other.
  EXPECT_EQ(cache.record("ab", "c", kStart), Result::kFresh);
  EXPECT_EQ(cache.record("a", "bc", kStart), Result::kFresh);
}

TEST(NonceCacheTest, IsFullAtCapacityUntilSomethingExpires) {
  NonceCache cache(seconds(60), 3);
  EXPECT_EQ(cache.record("agent", "n1", kStart), Result::kFresh);
  EXPECT_EQ(cache.record("agent", "n2", kStart + seconds(10)), Result::kFresh);
  EXPECT_EQ(cache.record("agent", "n3", kStart + seconds(20)), Result::kFresh);
  EXPECT_EQ(cache.record("agent", "n4", kStart + seconds(30)), Result::kFull);
  EXPECT_EQ(cache.record("agent", "n1", kStart + seconds(30)), Result::kReplay);
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_EQ(cache.record("agent", "n4", kStart + seconds(60)), Result::kFresh);  // n1 expired
  EXPECT_EQ(cache.record("agent", "n5", kStart + seconds(60)), Result::kFull);
  EXPECT_EQ(cache.record("agent", "n5", kStart + seconds(75)), Result::kFresh);  // n2 expired
  EXPECT_EQ(cache.size(), 3u);
}

TEST(NonceCacheTest, ExpiryFollowsTheLatestTimeWhenTimesGoBackwards) {
  NonceCache cache(seconds(60), 100);
  EXPECT_EQ(cache.record("agent", "late", kStart + seconds(50)), Result::kFresh);
  EXPECT_EQ(cache.record("agent", "early", kStart + seconds(10)), Result::kFresh);
  EXPECT_EQ(cache.record("agent", "late", kStart + seconds(10)), Result::kReplay);
  EXPECT_EQ(cache.record("agent", "early", kStart + seconds(50)), Result::kReplay);
  // At 70 only "early" (recorded at 10) has expired, though it was recorded second.
  EXPECT_EQ(cache.record("agent", "other", kStart + seconds(70)), Result::kFresh);
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache.record("agent", "early", kStart + seconds(20)), Result::kFresh);
  EXPECT_EQ(cache.record("agent", "late", kStart + seconds(20)), Result::kReplay);
}

TEST(NonceCacheTest, ExactlyOneOfConcurrentSameNoncesIsFresh) {
  NonceCache cache(seconds(300), 100'000);
  for (int round = 0; round < 20; ++round) {
    const std::string nonce = "nonce-" + std::to_string(round);
    std::atomic<int> fresh = 0;
    std::atomic<int> replay = 0;
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&] {
        Result result = cache.record("agent", nonce, kStart);
        if (result == Result::kFresh) ++fresh;
        if (result == Result::kReplay) ++replay;
      });
    }
    for (std::thread& thread : threads) thread.join();
    EXPECT_EQ(fresh.load(), 1);
    EXPECT_EQ(replay.load(), 7);
  }
  EXPECT_EQ(cache.size(), 20u);
}

}  // namespace
}  // namespace orfeas

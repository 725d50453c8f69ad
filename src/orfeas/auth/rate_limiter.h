// Rate limits ("60/min") and a thread-safe limiter that applies them per key.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

#include "orfeas/core/string_map.h"

namespace orfeas {

// `requests` per `window`, with bursts of up to `requests`.
struct RateLimit {
  std::int64_t requests = 60;
  std::chrono::seconds window{60};

  // "N/s", "N/sec", "N/min", "N/hour" (also "N/second", "N/minute", "N/h", "N/m"), N from 1 to
  // 1,000,000,000. Throws Error{kBadInput} naming the text otherwise.
  static RateLimit parse(std::string_view text);
  // "60/min" and the like; parse(to_string()) == *this.
  std::string to_string() const;
  bool operator==(const RateLimit&) const = default;
};

// What the limiter decided, with what the RateLimit headers report.
struct RateDecision {
  bool allowed = false;
  std::int64_t limit = 0;                // RateLimit::requests
  std::int64_t remaining = 0;            // requests that would be allowed right now, after this one
  std::int64_t reset_seconds = 0;        // until the bucket is full again (rounded up)
  std::int64_t retry_after_seconds = 0;  // refused: until one request is allowed (at least 1)
};

// A token bucket per key (GCRA): a key starts with `requests` tokens; each allowed request takes
// one; tokens come back at requests/window per second, up to `requests`. Time is passed in, so
// tests move it. Thread-safe: every decision is atomic, so with N concurrent calls for one key and
// a fixed time exactly min(N, tokens) are allowed. Keys whose bucket is full again are forgotten,
// so memory follows the keys active in the last window.
class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  // Takes one token for `key` when there is one.
  RateDecision acquire(std::string_view key, const RateLimit& limit, Clock::time_point now);
  // What acquire would decide, taking no token. While no key is remembered (the usual case for a
  // limiter of failures) it answers without taking the lock, so it may miss an acquire that runs
  // at the same moment.
  RateDecision peek(std::string_view key, const RateLimit& limit, Clock::time_point now);

  // Keys currently remembered.
  std::size_t size() const;

 private:
  // Forgets the keys whose bucket is full again, at most once a second.
  void sweep(Clock::time_point now);

  mutable std::mutex mutex_;
  // The theoretical arrival time of each key (GCRA): the bucket is full when it is <= now.
  StringMap<Clock::time_point> arrival_;
  std::atomic<std::size_t> remembered_ = 0;  // arrival_.size() after the last acquire
  Clock::time_point next_sweep_{};
};

}  // namespace orfeas

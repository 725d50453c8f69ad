#include "orfeas/auth/rate_limiter.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <utility>

#include "orfeas/core/error.h"

namespace orfeas {
namespace {

using std::chrono::nanoseconds;
using std::chrono::seconds;

constexpr std::int64_t kMaxRequests = 1'000'000'000;

struct Unit {
  std::string_view name;
  seconds window;
};
// The first unit of each window is the one to_string writes.
constexpr std::array<Unit, 8> kUnits = {{{"s", seconds(1)},
                                         {"sec", seconds(1)},
                                         {"second", seconds(1)},
                                         {"min", seconds(60)},
                                         {"minute", seconds(60)},
                                         {"m", seconds(60)},
                                         {"hour", seconds(3600)},
                                         {"h", seconds(3600)}}};

[[noreturn]] void reject_rate_limit(std::string_view text) {
  throw Error(
      ErrorCode::kBadInput,
      "not a rate limit like \"60/min\" (N/s, N/min or N/hour, N from 1 to 1000000000): \"" +
          std::string(text) + "\"",
      {{"rate_limit", text}});
}

std::int64_t ceil_seconds(nanoseconds duration) {
  if (duration <= nanoseconds::zero()) return 0;
  return std::chrono::ceil<seconds>(duration).count();
}

// One GCRA step for a key whose theoretical arrival time is `arrival`: the decision, and the
// arrival time to remember after it.
std::pair<RateDecision, RateLimiter::Clock::time_point> gcra(const RateLimit& limit,
                                                             RateLimiter::Clock::time_point arrival,
                                                             RateLimiter::Clock::time_point now) {
  const nanoseconds window = limit.window;
  const nanoseconds interval = window / std::max<std::int64_t>(limit.requests, 1);
  RateLimiter::Clock::time_point next = std::max(arrival, now);
  const nanoseconds ahead = next + interval - now;  // how far ahead of now, after taking one
  RateDecision decision{.allowed = ahead <= window, .limit = limit.requests};
  if (decision.allowed) next += interval;
  decision.remaining = std::max<std::int64_t>((window - (next - now)) / interval, 0);
  decision.reset_seconds = ceil_seconds(next - now);
  if (!decision.allowed) {
    decision.retry_after_seconds = std::max<std::int64_t>(ceil_seconds(ahead - window), 1);
  }
  return {decision, next};
}

}  // namespace

RateLimit RateLimit::parse(std::string_view text) {
  std::size_t slash = text.find('/');
  if (slash == std::string_view::npos) reject_rate_limit(text);
  std::string_view count = text.substr(0, slash);
  std::string_view unit = text.substr(slash + 1);
  if (count.empty() || count.size() > 10 ||
      !std::all_of(count.begin(), count.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    reject_rate_limit(text);
  }
  std::int64_t requests = 0;
  std::from_chars(count.data(), count.data() + count.size(), requests);
  if (requests < 1 || requests > kMaxRequests) reject_rate_limit(text);
  for (const Unit& known : kUnits) {
    if (unit == known.name) return RateLimit{requests, known.window};
  }
  reject_rate_limit(text);
}

std::string RateLimit::to_string() const {
  for (const Unit& known : kUnits) {
    if (window == known.window) return std::to_string(requests) + "/" + std::string(known.name);
  }
  // Only a RateLimit built by hand has another window; parse does not read this form.
  return std::to_string(requests) + "/" + std::to_string(window.count()) + "s";
}

void RateLimiter::sweep(Clock::time_point now) {
  if (now < next_sweep_) return;
  std::erase_if(arrival_, [now](const auto& entry) { return entry.second <= now; });
  next_sweep_ = now + seconds(1);
  remembered_.store(arrival_.size(), std::memory_order_relaxed);
}

RateDecision RateLimiter::acquire(std::string_view key, const RateLimit& limit,
                                  Clock::time_point now) {
  std::lock_guard lock(mutex_);
  sweep(now);
  // A new key starts full (arrival = now); one that is refused is swept like any full bucket.
  auto entry = arrival_.find(key);
  if (entry == arrival_.end()) entry = arrival_.emplace(key, now).first;
  auto [decision, next] = gcra(limit, entry->second, now);
  entry->second = next;
  remembered_.store(arrival_.size(), std::memory_order_relaxed);
  return decision;
}

RateDecision RateLimiter::peek(std::string_view key, const RateLimit& limit,
                               Clock::time_point now) {
  if (remembered_.load(std::memory_order_relaxed) == 0) return gcra(limit, now, now).first;
  std::lock_guard lock(mutex_);
  sweep(now);
  auto entry = arrival_.find(key);
  return gcra(limit, entry == arrival_.end() ? now : entry->second, now).first;
}

std::size_t RateLimiter::size() const {
  std::lock_guard lock(mutex_);
  return arrival_.size();
}

}  // namespace orfeas

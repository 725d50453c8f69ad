// Remembers the nonces each agent used recently, so that a replayed request is refused.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_set>

namespace orfeas {

class NonceCache {
 public:
  using Clock = std::chrono::system_clock;

  enum class Result { kFresh, kReplay, kFull };

  // A nonce is remembered for `window` after the time it was recorded. At most `capacity` nonces
  // are held at once.
  NonceCache(std::chrono::seconds window, std::size_t capacity);

  // Records `nonce` for `agent_id` at `at`. kFresh: it was not seen for this agent within the
  // window before `at` (now recorded). kReplay: it was (nothing changes). kFull: `capacity` nonces
  // are held and none has expired (nothing recorded; the caller should answer 503). Atomic: of
  // concurrent calls with the same agent and nonce, exactly one is kFresh. Times may go backwards a
  // little between calls (seeding from the audit trail); expiry follows the latest time seen.
  Result record(std::string_view agent_id, std::string_view nonce, Clock::time_point at);

  std::size_t size() const;

 private:
  std::chrono::seconds window_;
  std::size_t capacity_;
  mutable std::mutex mutex_;
  std::unordered_set<std::string> seen_;  // agent_id + '\n' + nonce
  // Oldest first, for expiry; each points at its key in seen_ (nodes do not move).
  std::deque<std::pair<Clock::time_point, const std::string*>> order_;
  Clock::time_point latest_{};  // the latest time seen; expiry follows it
};

}  // namespace orfeas

// Remembers the nonces each agent used recently, so that a replayed request is refused.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <deque>
#include <mutex>
#include <string_view>
#include <utility>

#include <boost/unordered/unordered_flat_set.hpp>

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
  // What is kept of a nonce: the first 16 bytes of SHA-256(agent_id '\n' nonce). Small and fixed
  // in size, so the set is one flat table; a digest, so that no chosen nonce can pass for another
  // agent's (and chance collisions need about 2^64 nonces).
  using Key = std::array<unsigned char, 16>;
  struct KeyHash {
    using is_avalanching = void;  // the key's bytes are uniform already
    std::size_t operator()(const Key& key) const noexcept;
  };

  std::chrono::seconds window_;
  std::size_t capacity_;
  mutable std::mutex mutex_;
  boost::unordered_flat_set<Key, KeyHash> seen_;
  std::deque<std::pair<Clock::time_point, Key>> order_;  // oldest first, for expiry
  Clock::time_point latest_{};                           // the latest time seen; expiry follows it
};

}  // namespace orfeas

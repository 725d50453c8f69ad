#include "orfeas/auth/nonce_cache.h"

#include <algorithm>
#include <cstring>

#include "orfeas/auth/request_signing.h"

namespace orfeas {

std::size_t NonceCache::KeyHash::operator()(const Key& key) const noexcept {
  std::size_t hash = 0;
  std::memcpy(&hash, key.data(), sizeof hash);
  return hash;
}

NonceCache::NonceCache(std::chrono::seconds window, std::size_t capacity)
    : window_(window), capacity_(capacity) {}

NonceCache::Result NonceCache::record(std::string_view agent_id, std::string_view nonce,
                                      Clock::time_point at) {
  const Sha256Digest digest = sha256_digest({agent_id, "\n", nonce});
  Key key;
  std::copy_n(digest.begin(), key.size(), key.begin());

  std::lock_guard lock(mutex_);
  latest_ = std::max(latest_, at);
  while (!order_.empty() && order_.front().first + window_ <= latest_) {
    seen_.erase(order_.front().second);
    order_.pop_front();
  }
  auto [stored, fresh] = seen_.insert(key);
  if (!fresh) return Result::kReplay;
  if (seen_.size() > capacity_) {
    seen_.erase(stored);
    return Result::kFull;
  }
  // Usually at the back; a time from the past goes where it belongs, so the front expires first.
  if (order_.empty() || order_.back().first <= at) {
    order_.emplace_back(at, key);
  } else {
    auto later =
        std::upper_bound(order_.begin(), order_.end(), at,
                         [](Clock::time_point t, const auto& entry) { return t < entry.first; });
    order_.emplace(later, at, key);
  }
  return Result::kFresh;
}

std::size_t NonceCache::size() const {
  std::lock_guard lock(mutex_);
  return seen_.size();
}

}  // namespace orfeas

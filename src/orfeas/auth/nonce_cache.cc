#include "orfeas/auth/nonce_cache.h"

#include <algorithm>
#include <utility>

namespace orfeas {

NonceCache::NonceCache(std::chrono::seconds window, std::size_t capacity)
    : window_(window), capacity_(capacity) {}

NonceCache::Result NonceCache::record(std::string_view agent_id, std::string_view nonce,
                                      Clock::time_point at) {
  std::lock_guard lock(mutex_);
  latest_ = std::max(latest_, at);
  while (!order_.empty() && order_.front().first + window_ <= latest_) {
    seen_.erase(seen_.find(*order_.front().second));  // by iterator: the key is in the node
    order_.pop_front();
  }
  std::string key;
  key.reserve(agent_id.size() + 1 + nonce.size());
  key.append(agent_id).append(1, '\n').append(nonce);
  auto [stored, fresh] = seen_.insert(std::move(key));
  if (!fresh) return Result::kReplay;
  if (seen_.size() > capacity_) {
    seen_.erase(stored);
    return Result::kFull;
  }
  // Usually at the back; a time from the past goes where it belongs, so the front expires first.
  auto later =
      std::upper_bound(order_.begin(), order_.end(), at,
                       [](Clock::time_point t, const auto& entry) { return t < entry.first; });
  order_.emplace(later, at, &*stored);
  return Result::kFresh;
}

std::size_t NonceCache::size() const {
  std::lock_guard lock(mutex_);
  return seen_.size();
}

}  // namespace orfeas

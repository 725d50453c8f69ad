// Progress reporting and cooperative cancellation for long work.
#pragma once

#include <atomic>
#include <functional>
#include <string_view>

namespace orfeas {

// Called with a stage name ("decode", "mask", "field", "mesh", ...) and the fraction of that
// stage done, in [0, 1]. Callers may pass an empty function.
using ProgressFn = std::function<void(std::string_view stage, double fraction)>;

inline void report(const ProgressFn& progress, std::string_view stage, double fraction) {
  if (progress) progress(stage, fraction);
}

// Shared between the one who may cancel (a job service, a signal handler) and the work, which
// checks it at its checkpoints. Thread-safe.
class CancelToken {
 public:
  void cancel() { cancelled_.store(true, std::memory_order_relaxed); }
  bool cancelled() const { return cancelled_.load(std::memory_order_relaxed); }
  // Throws Error{kCancelled} if cancel() was called.
  void throw_if_cancelled() const;

 private:
  std::atomic<bool> cancelled_{false};
};

}  // namespace orfeas

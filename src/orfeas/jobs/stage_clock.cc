#include "orfeas/jobs/stage_clock.h"

#include <algorithm>
#include <cmath>

#include "orfeas/core/error.h"

namespace orfeas {
namespace {

using std::chrono::milliseconds;

double millis_of(milliseconds duration) { return static_cast<double>(duration.count()); }

}  // namespace

StageClock::StageClock(double weight) : weight_(weight) {
  if (!(weight > 0 && weight <= 1)) {
    throw Error(ErrorCode::kBadInput,
                "a moving average weight must be in (0, 1], got " + std::to_string(weight));
  }
}

void StageClock::record(std::string_view method, std::span<const StageTime> stages) {
  std::lock_guard lock(mutex_);
  auto found = methods_.find(method);
  if (found == methods_.end()) found = methods_.emplace(std::string(method), Method{}).first;
  Method& m = found->second;
  m.order.clear();
  for (const StageTime& time : stages) {
    m.order.push_back(time.stage);
    auto [average, added] = m.average_ms.try_emplace(time.stage, millis_of(time.duration));
    if (!added) {
      average->second = weight_ * millis_of(time.duration) + (1 - weight_) * average->second;
    }
  }
}

std::optional<milliseconds> StageClock::remaining(std::string_view method, std::string_view stage,
                                                  double progress) const {
  std::lock_guard lock(mutex_);
  auto found = methods_.find(method);
  if (found == methods_.end()) return std::nullopt;
  const Method& m = found->second;
  auto current = m.order.begin();
  double left_ms = 0;
  if (!stage.empty()) {
    current = std::find(m.order.begin(), m.order.end(), stage);
    if (current == m.order.end()) return std::nullopt;
    double done = std::isnan(progress) ? 0 : std::clamp(progress, 0.0, 1.0);
    left_ms = (1 - done) * m.average_ms.find(*current)->second;
    ++current;
  }
  for (; current != m.order.end(); ++current) left_ms += m.average_ms.find(*current)->second;
  return milliseconds(std::llround(left_ms));
}

void StageTrace::enter(std::string_view stage, Clock::time_point now) {
  if (current_ && stages_[*current_].stage == stage) return;
  if (current_) {
    stages_[*current_].duration += std::chrono::duration_cast<milliseconds>(now - entered_);
  }
  auto seen = std::find_if(stages_.begin(), stages_.end(),
                           [&](const StageTime& time) { return time.stage == stage; });
  if (seen == stages_.end()) seen = stages_.insert(seen, StageTime{std::string(stage), {}});
  current_ = static_cast<std::size_t>(seen - stages_.begin());
  entered_ = now;
}

std::vector<StageTime> StageTrace::finish(Clock::time_point now) const {
  std::vector<StageTime> stages = stages_;
  if (current_) {
    stages[*current_].duration += std::chrono::duration_cast<milliseconds>(now - entered_);
  }
  return stages;
}

}  // namespace orfeas

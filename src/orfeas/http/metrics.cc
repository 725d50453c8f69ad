#include "orfeas/http/metrics.h"

#include <algorithm>
#include <charconv>
#include <cctype>
#include <cmath>
#include <sstream>

#include "orfeas/core/error.h"

namespace orfeas {
namespace {

bool is_valid_name(std::string_view name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name.front()))) return false;
  return std::ranges::all_of(name, [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == ':';
  });
}

// The shortest text that reads back as the same double ("0.005", not "0.0050000000000000001").
std::string format_number(double value) {
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (std::isnan(value)) return "NaN";
  char text[32];
  auto [end, ec] = std::to_chars(text, text + sizeof text, value);
  return std::string(text, end);
}

std::string format_labels(const Labels& labels) {
  if (labels.empty()) return {};
  std::string text = "{";
  for (const auto& [name, value] : labels) {
    if (text.size() > 1) text += ',';
    text += name + "=\"";
    for (char c : value) {
      if (c == '\\' || c == '"') text += '\\';
      text += c == '\n' ? std::string("\\n") : std::string(1, c);
    }
    text += '"';
  }
  return text + "}";
}

}  // namespace

void MetricsRegistry::declare_counter(std::string name, std::string help) {
  declare(std::move(name), Kind::kCounter, std::move(help), {});
}

void MetricsRegistry::declare_gauge(std::string name, std::string help) {
  declare(std::move(name), Kind::kGauge, std::move(help), {});
}

void MetricsRegistry::declare_histogram(std::string name, std::string help,
                                        std::vector<double> bounds) {
  if (bounds.empty() ||
      std::adjacent_find(bounds.begin(), bounds.end(), std::greater_equal<>()) != bounds.end()) {
    throw Error(ErrorCode::kInternal, "histogram bounds must be strictly increasing: " + name);
  }
  declare(std::move(name), Kind::kHistogram, std::move(help), std::move(bounds));
}

void MetricsRegistry::declare(std::string name, Kind kind, std::string help,
                              std::vector<double> bounds) {
  if (!is_valid_name(name)) throw Error(ErrorCode::kInternal, "bad metric name: " + name);
  std::lock_guard lock(mutex_);
  const auto [it, added] = families_.try_emplace(name, Family{kind, std::move(help), bounds, {}});
  if (!added && (it->second.kind != kind || it->second.bounds != bounds)) {
    throw Error(ErrorCode::kInternal, "metric declared twice differently: " + name);
  }
}

MetricsRegistry::Series& MetricsRegistry::series(std::string_view name, Kind kind,
                                                 const Labels& labels) {
  const auto it = families_.find(name);
  if (it == families_.end() || it->second.kind != kind) {
    throw Error(ErrorCode::kInternal, "metric not declared with this kind: " + std::string(name));
  }
  Series& series = it->second.series[labels];
  if (kind == Kind::kHistogram) series.buckets.resize(it->second.bounds.size() + 1);
  return series;
}

void MetricsRegistry::increment(std::string_view name, const Labels& labels, double by) {
  if (by < 0) throw Error(ErrorCode::kInternal, "a counter cannot decrease: " + std::string(name));
  std::lock_guard lock(mutex_);
  series(name, Kind::kCounter, labels).value += by;
}

void MetricsRegistry::set(std::string_view name, const Labels& labels, double value) {
  std::lock_guard lock(mutex_);
  series(name, Kind::kGauge, labels).value = value;
}

void MetricsRegistry::observe(std::string_view name, const Labels& labels, double value) {
  std::lock_guard lock(mutex_);
  Series& series = this->series(name, Kind::kHistogram, labels);
  const std::vector<double>& bounds = families_.find(name)->second.bounds;
  series.buckets[std::lower_bound(bounds.begin(), bounds.end(), value) - bounds.begin()] += 1;
  series.value += value;
}

std::string MetricsRegistry::render() const {
  static constexpr const char* kTypeNames[] = {"counter", "gauge", "histogram"};
  std::lock_guard lock(mutex_);
  std::string text;
  for (const auto& [name, family] : families_) {
    text += "# HELP " + name + " " + family.help + "\n";
    text += "# TYPE " + name + " " + kTypeNames[static_cast<int>(family.kind)] + "\n";
    for (const auto& [labels, series] : family.series) {
      if (family.kind != Kind::kHistogram) {
        text += name + format_labels(labels) + " " + format_number(series.value) + "\n";
        continue;
      }
      double cumulative = 0;
      for (std::size_t i = 0; i < series.buckets.size(); ++i) {
        cumulative += series.buckets[i];
        Labels with_bound = labels;
        with_bound["le"] = format_number(i < family.bounds.size() ? family.bounds[i] : INFINITY);
        text +=
            name + "_bucket" + format_labels(with_bound) + " " + format_number(cumulative) + "\n";
      }
      text += name + "_sum" + format_labels(labels) + " " + format_number(series.value) + "\n";
      text += name + "_count" + format_labels(labels) + " " + format_number(cumulative) + "\n";
    }
  }
  return text;
}

}  // namespace orfeas

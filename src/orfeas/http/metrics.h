// A registry of Prometheus metrics (counters, gauges, histograms with label sets), rendered in the
// text exposition format 0.0.4. Thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace orfeas {

// The Content-Type of render()'s output.
inline constexpr std::string_view kPrometheusContentType = "text/plain; version=0.0.4";

// Label name → value. Values are escaped on output; names must be valid Prometheus label names.
using Labels = std::map<std::string, std::string>;

class MetricsRegistry {
 public:
  // Declare a family before using it. Declaring it again with the same kind (and bounds) is a
  // no-op; with another kind it throws Error{kInternal}, as does a malformed name.
  void declare_counter(std::string name, std::string help);
  void declare_gauge(std::string name, std::string help);
  // `bounds`: the upper bounds of the buckets, strictly increasing; +Inf is implied.
  void declare_histogram(std::string name, std::string help, std::vector<double> bounds);

  // Each throws Error{kInternal} when `name` is not declared with the matching kind, or a counter
  // would decrease.
  void increment(std::string_view name, const Labels& labels, double by = 1);
  void set(std::string_view name, const Labels& labels, double value);
  void observe(std::string_view name, const Labels& labels, double value);

  // Every family in name order, each series in label order.
  std::string render() const;

 private:
  enum class Kind { kCounter, kGauge, kHistogram };
  struct Series {
    double value = 0;             // counter, gauge; the sum for a histogram
    std::vector<double> buckets;  // histogram: count per bound, not cumulative; +Inf last
  };
  struct Family {
    Kind kind;
    std::string help;
    std::vector<double> bounds;
    std::map<Labels, Series> series;
  };
  void declare(std::string name, Kind kind, std::string help, std::vector<double> bounds);
  Series& series(std::string_view name, Kind kind, const Labels& labels);

  mutable std::mutex mutex_;
  std::map<std::string, Family, std::less<>> families_;
};

}  // namespace orfeas

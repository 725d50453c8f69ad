#include "orfeas/http/metrics.h"

#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "orfeas/core/error.h"

namespace orfeas {
namespace {

using ::testing::HasSubstr;

TEST(MetricsRegistry, RendersCountersAndGaugesWithEscapedLabels) {
  MetricsRegistry metrics;
  metrics.declare_counter("jobs_total", "Jobs.");
  metrics.declare_gauge("queue_depth", "Queued jobs.");
  metrics.increment("jobs_total", {{"status", "ok"}});
  metrics.increment("jobs_total", {{"status", "ok"}}, 2);
  metrics.increment("jobs_total", {{"status", "a\"b\\c\nd"}});
  metrics.set("queue_depth", {}, 7.5);
  EXPECT_EQ(metrics.render(),
            "# HELP jobs_total Jobs.\n"
            "# TYPE jobs_total counter\n"
            "jobs_total{status=\"a\\\"b\\\\c\\nd\"} 1\n"
            "jobs_total{status=\"ok\"} 3\n"
            "# HELP queue_depth Queued jobs.\n"
            "# TYPE queue_depth gauge\n"
            "queue_depth 7.5\n");
}

TEST(MetricsRegistry, HistogramBucketsAreCumulative) {
  MetricsRegistry metrics;
  metrics.declare_histogram("latency", "L.", {0.1, 1});
  metrics.observe("latency", {{"route", "/a"}}, 0.05);
  metrics.observe("latency", {{"route", "/a"}}, 0.1);
  metrics.observe("latency", {{"route", "/a"}}, 5);
  const std::string text = metrics.render();
  EXPECT_THAT(text, HasSubstr("# TYPE latency histogram\n"));
  EXPECT_THAT(text, HasSubstr("latency_bucket{le=\"0.1\",route=\"/a\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("latency_bucket{le=\"1\",route=\"/a\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("latency_bucket{le=\"+Inf\",route=\"/a\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("latency_sum{route=\"/a\"} 5.15\n"));
  EXPECT_THAT(text, HasSubstr("latency_count{route=\"/a\"} 3\n"));
}

TEST(MetricsRegistry, RejectsMisuse) {
  MetricsRegistry metrics;
  metrics.declare_counter("c", "C.");
  metrics.declare_counter("c", "C again.");  // same kind: a no-op
  EXPECT_THROW(metrics.declare_gauge("c", "G."), Error);
  EXPECT_THROW(metrics.declare_counter("1bad", "B."), Error);
  EXPECT_THROW(metrics.declare_counter("bad-name", "B."), Error);
  EXPECT_THROW(metrics.declare_histogram("h", "H.", {}), Error);
  EXPECT_THROW(metrics.declare_histogram("h", "H.", {1, 1}), Error);
  EXPECT_THROW(metrics.increment("c", {}, -1), Error);
  EXPECT_THROW(metrics.set("c", {}, 1), Error);
  EXPECT_THROW(metrics.observe("missing", {}, 1), Error);
}

TEST(MetricsRegistry, CountsFromManyThreads) {
  MetricsRegistry metrics;
  metrics.declare_counter("n", "N.");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) metrics.increment("n", {});
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_THAT(metrics.render(), HasSubstr("\nn 4000\n"));
}

}  // namespace
}  // namespace orfeas

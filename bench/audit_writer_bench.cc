// What the audit trail's writer thread costs a busy server, by linger: records like those of
// signed status reads are appended at RATE a second (RATE / 1000 every millisecond, as requests
// arrive) for SECONDS into a new trail, once for each linger of 10, 25 and 50 ms. Prints, for each,
// the writer's CPU time per record (the process's CPU time less the appending thread's), the
// commits it made and the records per commit.
//
//   audit_writer_bench [RATE] [SECONDS]   (defaults: 12000, 4)

#include <stdlib.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>

#include "orfeas/auth/audit_log.h"
#include "orfeas/jobs/sqlite.h"

namespace {

namespace fs = std::filesystem;
using orfeas::AuditLog;
using orfeas::AuditRecord;

// CPU time (user and system) in seconds, of the process or of the calling thread.
double cpu_seconds(int who) {
  rusage usage{};
  getrusage(who, &usage);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec * 1e-6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

AuditRecord status_read(long number) {
  AuditRecord record;
  record.time =
      std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  record.request_id = "5f0c3a9d2b7e41c8a6d9e0f1b2c3d4e5";
  record.agent_id = "agt_9f8e7d6c5b4a3921";
  record.client_address = "127.0.0.1";
  record.method = "GET";
  record.job_id = "079261d4381f54de2cb8835ebab902d8";
  record.path = "/api/agent/status/" + record.job_id;
  record.operation = "query_status";
  record.outcome = "succeeded";
  record.status = 200;
  record.nonce = "Zq3vT8kP1sXw9LmN0bRc" + std::to_string(number);
  return record;
}

}  // namespace

int main(int argc, char** argv) {
  const int rate = argc > 1 ? std::atoi(argv[1]) : 12000;
  const int seconds = argc > 2 ? std::atoi(argv[2]) : 4;
  if (rate < 1000 || rate > 1'000'000 || seconds < 1 || seconds > 600) {
    std::fprintf(stderr, "usage: audit_writer_bench [RATE 1000..1000000] [SECONDS 1..600]\n");
    return 2;
  }
  std::string pattern = (fs::temp_directory_path() / "audit_writer_bench.XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) return 1;
  const fs::path dir = pattern;

  std::printf("%d records/s for %d s each; the writer's CPU per record\n", rate, seconds);
  std::printf("%-9s %10s %9s %18s\n", "linger", "us/record", "commits", "records/commit");
  for (int linger_ms : {10, 25, 50}) {
    const fs::path database = dir / ("linger" + std::to_string(linger_ms) + ".db");
    long appended = 0;
    double process_cpu = 0, appender_cpu = 0;
    {
      AuditLog log(database, dir / ("linger" + std::to_string(linger_ms) + ".jsonl"),
                   std::chrono::milliseconds(linger_ms));
      process_cpu = -cpu_seconds(RUSAGE_SELF);
      appender_cpu = -cpu_seconds(RUSAGE_THREAD);
      const auto start = std::chrono::steady_clock::now();
      auto tick = start;
      while (tick - start < std::chrono::seconds(seconds)) {
        for (int i = 0; i < rate / 1000; ++i) log.append(status_read(appended++));
        tick += std::chrono::milliseconds(1);
        std::this_thread::sleep_until(tick);
      }
      appender_cpu += cpu_seconds(RUSAGE_THREAD);
    }  // the destructor writes what is pending
    process_cpu += cpu_seconds(RUSAGE_SELF);
    orfeas::SqliteDatabase db(database, std::chrono::seconds(10));
    orfeas::SqliteStatement count(db, "SELECT COUNT(*) FROM audit_batches");
    auto rows = count.query();
    rows.next();
    const std::int64_t commits = rows.integer(0);
    std::printf("%-9s %10.2f %9lld %18.1f\n", (std::to_string(linger_ms) + " ms").c_str(),
                (process_cpu - appender_cpu) / static_cast<double>(appended) * 1e6,
                static_cast<long long>(commits),
                static_cast<double>(appended) / static_cast<double>(commits));
  }
  fs::remove_all(dir);
}

// The JobStore in one SQLite file, for a single machine: one or more processes (`orfeas serve`,
// `orfeas worker`) share the file.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>

#include "orfeas/jobs/job_store.h"

namespace orfeas {

// The file is opened in WAL mode with synchronous=FULL, so a job whose enqueue returned survives
// a crash of the process or the machine. Its schema is created or brought up to date on open,
// inside a transaction, and recorded in the table schema_version. Every call that writes runs in
// one IMMEDIATE transaction, which serialises writers across processes, so two workers never
// claim the same job; a writer waits for another up to `busy_timeout`, then the call throws
// Error{kUnavailable}.
//
// One connection serves the object; a mutex makes it safe to share between threads, one call at
// a time.
class SqliteJobStore : public JobStore {
 public:
  // Throws Error{kBadInput} when `path` cannot be opened or created, is not a database, or holds a
  // schema newer than this build knows.
  explicit SqliteJobStore(const std::filesystem::path& path,
                          std::chrono::milliseconds busy_timeout = std::chrono::seconds(5));
  ~SqliteJobStore() override;

  std::vector<EnqueueResult> enqueue_batch(std::span<const NewJob> jobs, Timestamp now) override;
  std::vector<Claim> claim_batch(std::size_t max_jobs, std::chrono::milliseconds lease,
                                 Timestamp now) override;
  std::vector<Job> peek_batch(std::size_t max_jobs) override;
  bool heartbeat(const Lease& lease, std::string_view stage, double progress,
                 Timestamp now) override;
  bool complete(const Lease& lease, std::string_view result_path, const nlohmann::json& report,
                Timestamp now) override;
  bool fail(const Lease& lease, const Error& error, Timestamp now) override;
  Job cancel(std::string_view job_id, Timestamp now) override;
  Job get(std::string_view job_id) override;
  std::vector<Job> list(const JobFilter& filter) override;
  std::optional<std::size_t> queue_position(std::string_view job_id) override;
  std::map<JobStatus, std::size_t> count_by_status() override;
  std::size_t requeue_expired(Timestamp now) override;
  std::vector<Job> remove_finished_before(Timestamp cutoff) override;

 private:
  struct Connection;
  std::mutex mutex_;
  std::unique_ptr<Connection> connection_;
};

}  // namespace orfeas

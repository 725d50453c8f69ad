// The JobStore in a PostgreSQL database, for several machines sharing one queue: `orfeas serve`
// and any number of `orfeas worker` processes connect to the same server.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include "orfeas/jobs/job_store.h"

namespace orfeas {

// The tables live in the connection's current schema (the first of its search_path), so one
// database can hold several independent queues. They are created or brought up to date on open,
// inside a transaction that holds an advisory lock, so processes starting together do not race;
// the schema's version is recorded in the table schema_version.
//
// Claims are serialised by a transaction-scoped advisory lock: the fair order depends on the
// whole queue and on when each submitter was last served, so each claim reads the queue as the
// previous claim left it, and only rows still queued are started; a job is never handed out twice.
// Everything else locks only the rows it changes. A lock waited for longer than `busy_timeout`
// throws Error{kUnavailable}.
//
// One connection serves the object; a mutex makes it safe to share between threads, one call at
// a time. A lost connection fails the call that finds it lost with Error{kUnavailable}; the next
// call connects again.
class PostgresJobStore : public JobStore {
 public:
  // `conninfo` is a libpq connection string. Throws Error{kBadInput} when it is malformed or the
  // schema is newer than this build knows, Error{kUnavailable} when the server cannot be reached.
  explicit PostgresJobStore(const std::string& conninfo,
                            std::chrono::milliseconds busy_timeout = std::chrono::seconds(5));
  ~PostgresJobStore() override;

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

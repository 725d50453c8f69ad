#include "orfeas/jobs/postgres_job_store.h"

#include <algorithm>
#include <array>
#include <limits>

#include "orfeas/jobs/postgres.h"

namespace orfeas {
namespace {

// Schema changes, in order; the schema's version is the number it has applied. Times are
// milliseconds since the Unix epoch. The view `queue` ranks queued jobs for claiming: `turn` is a
// job's place among its submitter's jobs of equal priority, `served` when the submitter was last
// served (a counter; 0 for never).
constexpr std::array<std::string_view, 1> kMigrations = {R"sql(
CREATE TABLE jobs (
  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  status TEXT NOT NULL
    CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
  stage TEXT NOT NULL DEFAULT '',
  progress DOUBLE PRECISION NOT NULL DEFAULT 0,
  priority INTEGER NOT NULL,
  submitter TEXT NOT NULL,
  idempotency_key TEXT,
  method TEXT NOT NULL,
  options TEXT NOT NULL,
  batch_key TEXT NOT NULL,
  batch_id TEXT,
  input_path TEXT NOT NULL,
  result_path TEXT NOT NULL DEFAULT '',
  report TEXT NOT NULL DEFAULT 'null',
  error_code TEXT,
  error_message TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  max_attempts INTEGER NOT NULL,
  lease_token BIGINT NOT NULL DEFAULT 0,
  lease_expires_at BIGINT,
  created_at BIGINT NOT NULL,
  started_at BIGINT,
  finished_at BIGINT
);
CREATE UNIQUE INDEX jobs_by_idempotency_key ON jobs (submitter, idempotency_key)
  WHERE idempotency_key IS NOT NULL;
CREATE INDEX jobs_by_status ON jobs (status, seq);
CREATE INDEX jobs_by_finish ON jobs (finished_at) WHERE finished_at IS NOT NULL;
CREATE TABLE submitters (
  name TEXT PRIMARY KEY,
  last_served BIGINT NOT NULL
);
CREATE VIEW queue AS
  SELECT jobs.seq, jobs.batch_key, jobs.priority,
         ROW_NUMBER() OVER (PARTITION BY jobs.priority, jobs.submitter ORDER BY jobs.seq) AS turn,
         COALESCE(submitters.last_served, 0) AS served
  FROM jobs LEFT JOIN submitters ON submitters.name = jobs.submitter
  WHERE jobs.status = 'queued';
)sql"};

// Transaction-scoped advisory locks, keyed by the schema so that queues in other schemas of the
// same database do not wait for each other: one for creating the schema, one for claiming jobs
// (and for the submitters table, which claims write).
constexpr std::string_view kLockSchema =
    "SELECT pg_advisory_xact_lock(hashtext('orfeas.jobs.schema'), hashtext(current_schema()))";
constexpr std::string_view kLockQueue =
    "SELECT pg_advisory_xact_lock(hashtext('orfeas.jobs.queue'), hashtext(current_schema()))";

// The columns read_job reads, in its order.
constexpr std::string_view kJobColumns =
    "id, status, stage, progress, priority, submitter, idempotency_key, method, options, "
    "batch_key, batch_id, input_path, result_path, report, error_code, error_message, attempts, "
    "max_attempts, created_at, started_at, finished_at";

std::string with_job_columns(std::string_view before, std::string_view after) {
  std::string sql(before);
  sql.append(kJobColumns);
  sql.append(after);
  return sql;
}

constexpr std::string_view kInsert = R"sql(
  INSERT INTO jobs (id, status, priority, submitter, idempotency_key, method, options, batch_key,
                    batch_id, input_path, max_attempts, created_at)
  VALUES ($1, 'queued', $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
  ON CONFLICT (submitter, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING)sql";
constexpr std::string_view kChooseBatch = R"sql(
  SELECT seq FROM queue
  WHERE batch_key = (SELECT batch_key FROM queue
                     ORDER BY priority DESC, turn, served, seq LIMIT 1)
  ORDER BY priority DESC, turn, served, seq LIMIT $1)sql";
constexpr std::string_view kServe = R"sql(
  INSERT INTO submitters (name, last_served)
  VALUES ($1, (SELECT COALESCE(MAX(last_served), 0) + 1 FROM submitters))
  ON CONFLICT (name) DO UPDATE SET last_served = excluded.last_served)sql";
constexpr std::string_view kHeartbeat = R"sql(
  UPDATE jobs SET stage = $3, progress = $4, lease_expires_at = $5
  WHERE id = $1 AND lease_token = $2 AND status = 'running')sql";
constexpr std::string_view kComplete = R"sql(
  UPDATE jobs SET status = 'succeeded', progress = 1, result_path = $3, report = $4,
                  error_code = NULL, error_message = NULL, finished_at = $5,
                  lease_expires_at = NULL
  WHERE id = $1 AND lease_token = $2 AND status = 'running')sql";
constexpr std::string_view kFindLeased = R"sql(
  SELECT seq, attempts, max_attempts FROM jobs
  WHERE id = $1 AND lease_token = $2 AND status = 'running' FOR UPDATE)sql";
constexpr std::string_view kFindExpired = R"sql(
  SELECT seq, attempts, max_attempts FROM jobs
  WHERE status = 'running' AND lease_expires_at < $1 FOR UPDATE SKIP LOCKED)sql";
constexpr std::string_view kRequeue = R"sql(
  UPDATE jobs SET status = 'queued', attempts = attempts + 1, error_code = $2,
                  error_message = $3, stage = '', progress = 0, started_at = NULL,
                  lease_expires_at = NULL
  WHERE seq = $1)sql";
constexpr std::string_view kFinishFailed = R"sql(
  UPDATE jobs SET status = 'failed', attempts = attempts + 1, error_code = $2,
                  error_message = $3, finished_at = $4, lease_expires_at = NULL
  WHERE seq = $1)sql";
constexpr std::string_view kCancel = R"sql(
  UPDATE jobs SET status = 'cancelled', finished_at = $2, lease_expires_at = NULL
  WHERE id = $1)sql";
constexpr std::string_view kPosition = R"sql(
  SELECT jobs.status, ranked.position FROM jobs LEFT JOIN (
    SELECT seq, ROW_NUMBER() OVER (ORDER BY priority DESC, turn, served, seq) - 1 AS position
    FROM queue) AS ranked ON ranked.seq = jobs.seq
  WHERE jobs.id = $1)sql";
constexpr std::string_view kCount = "SELECT status, COUNT(*) FROM jobs GROUP BY status";
constexpr std::string_view kForgetSubmitters =
    "DELETE FROM submitters WHERE name NOT IN (SELECT submitter FROM jobs)";

std::int64_t millis(Timestamp time) { return time.time_since_epoch().count(); }
Timestamp timestamp(std::int64_t millis) { return Timestamp(std::chrono::milliseconds(millis)); }

std::optional<Timestamp> optional_timestamp(const PostgresResult& rows, int row, int column) {
  if (rows.is_null(row, column)) return std::nullopt;
  return timestamp(rows.integer(row, column));
}

Job read_job(const PostgresResult& rows, int row) {
  Job job;
  job.id = rows.text(row, 0);
  job.status = parse_job_status(rows.text(row, 1));
  job.stage = rows.text(row, 2);
  job.progress = rows.real(row, 3);
  job.priority = static_cast<int>(rows.integer(row, 4));
  job.submitter = rows.text(row, 5);
  job.idempotency_key = rows.optional_text(row, 6);
  job.method = rows.text(row, 7);
  job.options = nlohmann::json::parse(rows.text(row, 8));
  job.batch_key = rows.text(row, 9);
  job.batch_id = rows.optional_text(row, 10);
  job.input_path = rows.text(row, 11);
  job.result_path = rows.text(row, 12);
  job.report = nlohmann::json::parse(rows.text(row, 13));
  if (!rows.is_null(row, 14)) job.error = JobError{rows.text(row, 14), rows.text(row, 15)};
  job.attempts = static_cast<int>(rows.integer(row, 16));
  job.max_attempts = static_cast<int>(rows.integer(row, 17));
  job.created_at = timestamp(rows.integer(row, 18));
  job.started_at = optional_timestamp(rows, row, 19);
  job.finished_at = optional_timestamp(rows, row, 20);
  return job;
}

std::vector<Job> read_jobs(const PostgresResult& rows) {
  std::vector<Job> jobs;
  for (int row = 0; row < rows.rows(); ++row) jobs.push_back(read_job(rows, row));
  return jobs;
}

void migrate(PostgresConnection& db) {
  PostgresTransaction transaction(db);
  db.query(kLockSchema);
  db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
  std::size_t version = static_cast<std::size_t>(
      db.query("SELECT COALESCE(MAX(version), 0) FROM schema_version").integer(0, 0));
  if (version > kMigrations.size()) {
    throw Error(ErrorCode::kBadInput, "job schema on PostgreSQL server " + db.server() +
                                          " has version " + std::to_string(version) +
                                          "; this build knows versions up to " +
                                          std::to_string(kMigrations.size()));
  }
  for (; version < kMigrations.size(); ++version) {
    db.execute(kMigrations[version]);
    db.query("INSERT INTO schema_version (version) VALUES ($1)",
             static_cast<std::int64_t>(version + 1));
  }
  transaction.commit();
}

PostgresConnection open_database(const std::string& conninfo,
                                 std::chrono::milliseconds busy_timeout) {
  PostgresConnection db(conninfo, busy_timeout);
  migrate(db);
  return db;
}

// Ends the running attempt of the job at `seq`, which had `attempts` failed attempts before: back
// to the queue if `retry` and attempts remain, else failed.
void end_attempt(PostgresConnection& db, std::int64_t seq, std::int64_t attempts,
                 std::int64_t max_attempts, bool retry, const JobError& error, Timestamp now) {
  if (retry && attempts + 1 < max_attempts) {
    db.query(kRequeue, seq, error.code, error.message);
  } else {
    db.query(kFinishFailed, seq, error.code, error.message, millis(now));
  }
}

// The largest LIMIT a query takes.
std::int64_t row_limit(std::size_t limit) {
  return static_cast<std::int64_t>(
      std::min<std::size_t>(limit, std::numeric_limits<std::int64_t>::max()));
}

}  // namespace

// The connection, and the statements that read whole jobs.
struct PostgresJobStore::Connection {
  Connection(const std::string& conninfo, std::chrono::milliseconds busy_timeout)
      : db(open_database(conninfo, busy_timeout)) {}

  PostgresConnection db;
  const std::string find = with_job_columns("SELECT ", " FROM jobs WHERE id = $1");
  const std::string find_for_update =
      with_job_columns("SELECT ", " FROM jobs WHERE id = $1 FOR UPDATE");
  const std::string find_by_key =
      with_job_columns("SELECT ", " FROM jobs WHERE submitter = $1 AND idempotency_key = $2");
  const std::string start = with_job_columns(R"sql(
    UPDATE jobs SET status = 'running', stage = '', progress = 0, started_at = $2,
                    lease_token = lease_token + 1, lease_expires_at = $3
    WHERE seq = $1 AND status = 'queued' RETURNING )sql",
                                             ", lease_token");
  const std::string peek_batch = with_job_columns("SELECT ", R"sql( FROM jobs JOIN (
      SELECT seq AS chosen_seq, priority AS chosen_priority, turn, served FROM queue
      WHERE batch_key = (SELECT batch_key FROM queue
                         ORDER BY priority DESC, turn, served, seq LIMIT 1)
      ORDER BY priority DESC, turn, served, seq LIMIT $1) AS chosen ON chosen_seq = jobs.seq
    ORDER BY chosen_priority DESC, turn, served, chosen_seq)sql");
  const std::string list = with_job_columns("SELECT ", R"sql( FROM jobs
    WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR submitter = $2)
    ORDER BY seq DESC LIMIT $3)sql");
  const std::string remove_finished =
      with_job_columns("DELETE FROM jobs WHERE finished_at < $1 RETURNING ", "");
};

PostgresJobStore::PostgresJobStore(const std::string& conninfo,
                                   std::chrono::milliseconds busy_timeout)
    : connection_(std::make_unique<Connection>(conninfo, busy_timeout)) {}

PostgresJobStore::~PostgresJobStore() = default;

std::vector<EnqueueResult> PostgresJobStore::enqueue_batch(std::span<const NewJob> jobs,
                                                           Timestamp now) {
  check_new_jobs(jobs);
  std::lock_guard lock(mutex_);
  Connection& c = *connection_;
  PostgresTransaction transaction(c.db);
  std::optional<std::string> batch_id;
  if (jobs.size() > 1) batch_id = new_job_id();
  std::vector<EnqueueResult> results;
  for (const NewJob& request : jobs) {
    Job job = queued_job(request, batch_id, now);
    // A conflict on the idempotency key, even with a transaction not yet committed, waits for it
    // and then stores nothing: the job is the one that came first.
    if (c.db.query(kInsert, job.id, job.priority, job.submitter, job.idempotency_key, job.method,
                   job.options.dump(), job.batch_key, job.batch_id, job.input_path,
                   job.max_attempts, millis(now))
            .changes() == 1) {
      results.push_back({std::move(job), true});
    } else {
      results.push_back(
          {read_job(c.db.query(c.find_by_key, request.submitter, request.idempotency_key), 0),
           false});
    }
  }
  transaction.commit();
  return results;
}

std::vector<Claim> PostgresJobStore::claim_batch(std::size_t max_jobs,
                                                 std::chrono::milliseconds lease, Timestamp now) {
  std::lock_guard lock(mutex_);
  Connection& c = *connection_;
  PostgresTransaction transaction(c.db);
  c.db.query(kLockQueue);
  PostgresResult chosen = c.db.query(kChooseBatch, row_limit(max_jobs));
  std::vector<Claim> claims;
  for (int row = 0; row < chosen.rows(); ++row) {
    PostgresResult started =
        c.db.query(c.start, chosen.integer(row, 0), millis(now), millis(now + lease));
    if (started.rows() == 0) continue;  // cancelled since it was chosen
    Job job = read_job(started, 0);
    Lease job_lease{job.id, started.integer(0, 21), lease};
    c.db.query(kServe, job.submitter);
    claims.push_back({std::move(job), std::move(job_lease)});
  }
  transaction.commit();
  return claims;
}

std::vector<Job> PostgresJobStore::peek_batch(std::size_t max_jobs) {
  std::lock_guard lock(mutex_);
  Connection& c = *connection_;
  return read_jobs(c.db.query(c.peek_batch, row_limit(max_jobs)));
}

bool PostgresJobStore::heartbeat(const Lease& lease, std::string_view stage, double progress,
                                 Timestamp now) {
  if (!(progress >= 0 && progress <= 1)) {
    throw Error(ErrorCode::kBadInput,
                "progress must be between 0 and 1, got " + std::to_string(progress));
  }
  std::lock_guard lock(mutex_);
  Connection& c = *connection_;
  return c.db.query(kHeartbeat, lease.job_id, lease.token, stage, progress,
                    millis(now + lease.duration))
             .changes() == 1;
}

bool PostgresJobStore::complete(const Lease& lease, std::string_view result_path,
                                const nlohmann::json& report, Timestamp now) {
  std::lock_guard lock(mutex_);
  Connection& c = *connection_;
  return c.db.query(kComplete, lease.job_id, lease.token, result_path, report.dump(), millis(now))
             .changes() == 1;
}

bool PostgresJobStore::fail(const Lease& lease, const Error& error, Timestamp now) {
  std::lock_guard lock(mutex_);
  Connection& c = *connection_;
  PostgresTransaction transaction(c.db);
  PostgresResult leased = c.db.query(kFindLeased, lease.job_id, lease.token);
  if (leased.rows() == 0) return false;
  JobError job_error{std::string(error_code_name(error.code())), error.message()};
  end_attempt(c.db, leased.integer(0, 0), leased.integer(0, 1), leased.integer(0, 2),
              is_retryable(error.code()), job_error, now);
  transaction.commit();
  return true;
}

Job PostgresJobStore::cancel(std::string_view job_id, Timestamp now) {
  std::lock_guard lock(mutex_);
  Connection& c = *connection_;
  PostgresTransaction transaction(c.db);
  PostgresResult found = c.db.query(c.find_for_update, job_id);
  if (found.rows() == 0) throw job_not_found(job_id);
  Job job = read_job(found, 0);
  if (job.status == JobStatus::kCancelled) return job;
  if (is_finished(job.status)) {
    throw Error(ErrorCode::kConflict, "job " + job.id + " has already " +
                                          std::string(job_status_name(job.status)) +
                                          "; only queued or running jobs can be cancelled");
  }
  c.db.query(kCancel, job_id, millis(now));
  job = read_job(c.db.query(c.find, job_id), 0);
  transaction.commit();
  return job;
}

Job PostgresJobStore::get(std::string_view job_id) {
  std::lock_guard lock(mutex_);
  Connection& c = *connection_;
  PostgresResult found = c.db.query(c.find, job_id);
  if (found.rows() == 0) throw job_not_found(job_id);
  return read_job(found, 0);
}

std::vector<Job> PostgresJobStore::list(const JobFilter& filter) {
  std::optional<std::string_view> status;
  if (filter.status) status = job_status_name(*filter.status);
  std::lock_guard lock(mutex_);
  Connection& c = *connection_;
  return read_jobs(c.db.query(c.list, status, filter.submitter, row_limit(filter.limit)));
}

std::optional<std::size_t> PostgresJobStore::queue_position(std::string_view job_id) {
  std::lock_guard lock(mutex_);
  Connection& c = *connection_;
  PostgresResult found = c.db.query(kPosition, job_id);
  if (found.rows() == 0) throw job_not_found(job_id);
  if (found.is_null(0, 1)) return std::nullopt;
  return static_cast<std::size_t>(found.integer(0, 1));
}

std::map<JobStatus, std::size_t> PostgresJobStore::count_by_status() {
  std::map<JobStatus, std::size_t> counts;
  for (JobStatus status : {JobStatus::kQueued, JobStatus::kRunning, JobStatus::kSucceeded,
                           JobStatus::kFailed, JobStatus::kCancelled}) {
    counts[status] = 0;
  }
  std::lock_guard lock(mutex_);
  Connection& c = *connection_;
  PostgresResult rows = c.db.query(kCount);
  for (int row = 0; row < rows.rows(); ++row) {
    counts[parse_job_status(rows.text(row, 0))] = static_cast<std::size_t>(rows.integer(row, 1));
  }
  return counts;
}

std::size_t PostgresJobStore::requeue_expired(Timestamp now) {
  std::lock_guard lock(mutex_);
  Connection& c = *connection_;
  PostgresTransaction transaction(c.db);
  // Jobs another process is requeueing right now are skipped: it counts their attempt.
  PostgresResult expired = c.db.query(kFindExpired, millis(now));
  for (int row = 0; row < expired.rows(); ++row) {
    std::int64_t attempts = expired.integer(row, 1);
    std::int64_t max_attempts = expired.integer(row, 2);
    JobError error{std::string(error_code_name(ErrorCode::kInternal)),
                   "the worker stopped renewing its lease (attempt " +
                       std::to_string(attempts + 1) + " of " + std::to_string(max_attempts) + ")"};
    end_attempt(c.db, expired.integer(row, 0), attempts, max_attempts, true, error, now);
  }
  transaction.commit();
  return static_cast<std::size_t>(expired.rows());
}

std::vector<Job> PostgresJobStore::remove_finished_before(Timestamp cutoff) {
  std::lock_guard lock(mutex_);
  Connection& c = *connection_;
  PostgresTransaction transaction(c.db);
  c.db.query(kLockQueue);
  std::vector<Job> removed = read_jobs(c.db.query(c.remove_finished, millis(cutoff)));
  c.db.query(kForgetSubmitters);
  transaction.commit();
  return removed;
}

}  // namespace orfeas

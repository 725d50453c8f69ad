#include "orfeas/jobs/sqlite_job_store.h"

#include <array>

#include "orfeas/jobs/sqlite.h"

namespace orfeas {
namespace {

// Schema changes, in order; the database's version is the number it has applied. Times are
// milliseconds since the Unix epoch. The view `queue` ranks queued jobs for claiming: `turn` is a
// job's place among its submitter's jobs of equal priority, `served` when the submitter was last
// served (a counter; 0 for never).
constexpr std::array<std::string_view, 1> kMigrations = {R"sql(
CREATE TABLE jobs (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  status TEXT NOT NULL
    CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
  stage TEXT NOT NULL DEFAULT '',
  progress REAL NOT NULL DEFAULT 0,
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
  lease_token INTEGER NOT NULL DEFAULT 0,
  lease_expires_at INTEGER,
  created_at INTEGER NOT NULL,
  started_at INTEGER,
  finished_at INTEGER
);
CREATE UNIQUE INDEX jobs_by_idempotency_key ON jobs (submitter, idempotency_key)
  WHERE idempotency_key IS NOT NULL;
CREATE INDEX jobs_by_status ON jobs (status, seq);
CREATE INDEX jobs_by_finish ON jobs (finished_at) WHERE finished_at IS NOT NULL;
CREATE TABLE submitters (
  name TEXT PRIMARY KEY,
  last_served INTEGER NOT NULL
) WITHOUT ROWID;
CREATE VIEW queue AS
  SELECT jobs.seq, jobs.batch_key, jobs.priority,
         ROW_NUMBER() OVER (PARTITION BY jobs.priority, jobs.submitter ORDER BY jobs.seq) AS turn,
         COALESCE(submitters.last_served, 0) AS served
  FROM jobs LEFT JOIN submitters ON submitters.name = jobs.submitter
  WHERE jobs.status = 'queued';
)sql"};

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

std::int64_t millis(Timestamp time) { return time.time_since_epoch().count(); }
Timestamp timestamp(std::int64_t millis) { return Timestamp(std::chrono::milliseconds(millis)); }

std::optional<Timestamp> optional_timestamp(const SqliteRows& rows, int column) {
  if (rows.is_null(column)) return std::nullopt;
  return timestamp(rows.integer(column));
}

Job read_job(const SqliteRows& rows) {
  Job job;
  job.id = rows.text(0);
  job.status = parse_job_status(rows.text(1));
  job.stage = rows.text(2);
  job.progress = rows.real(3);
  job.priority = static_cast<int>(rows.integer(4));
  job.submitter = rows.text(5);
  job.idempotency_key = rows.optional_text(6);
  job.method = rows.text(7);
  job.options = nlohmann::json::parse(rows.text(8));
  job.batch_key = rows.text(9);
  job.batch_id = rows.optional_text(10);
  job.input_path = rows.text(11);
  job.result_path = rows.text(12);
  job.report = nlohmann::json::parse(rows.text(13));
  if (!rows.is_null(14)) job.error = JobError{rows.text(14), rows.text(15)};
  job.attempts = static_cast<int>(rows.integer(16));
  job.max_attempts = static_cast<int>(rows.integer(17));
  job.created_at = timestamp(rows.integer(18));
  job.started_at = optional_timestamp(rows, 19);
  job.finished_at = optional_timestamp(rows, 20);
  return job;
}

void migrate(SqliteDatabase& db, const std::filesystem::path& path) {
  SqliteTransaction transaction(db);
  db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
  SqliteStatement current(db, "SELECT COALESCE(MAX(version), 0) FROM schema_version");
  SqliteStatement record(db, "INSERT INTO schema_version (version) VALUES (?1)");
  std::size_t version = 0;
  {
    SqliteRows rows = current.query();
    rows.next();
    version = static_cast<std::size_t>(rows.integer(0));
  }
  if (version > kMigrations.size()) {
    throw Error(ErrorCode::kBadInput,
                "job database " + path.string() + " has schema version " + std::to_string(version) +
                    "; this build knows versions up to " + std::to_string(kMigrations.size()));
  }
  for (; version < kMigrations.size(); ++version) {
    db.execute(kMigrations[version]);
    record.execute(static_cast<std::int64_t>(version + 1));
  }
  transaction.commit();
}

SqliteDatabase open_database(const std::filesystem::path& path,
                             std::chrono::milliseconds busy_timeout) {
  SqliteDatabase db(path, busy_timeout);
  db.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL");
  migrate(db, path);
  return db;
}

}  // namespace

struct SqliteJobStore::Connection {
  Connection(const std::filesystem::path& path, std::chrono::milliseconds busy_timeout)
      : db(open_database(path, busy_timeout)) {}

  // Ends the running attempt of the job at `seq`, which had `attempts` failed attempts before:
  // back to the queue if `retry` and attempts remain, else failed.
  void end_attempt(std::int64_t seq, std::int64_t attempts, std::int64_t max_attempts, bool retry,
                   const JobError& error, Timestamp now) {
    if (retry && attempts + 1 < max_attempts) {
      requeue.execute(seq, error.code, error.message);
    } else {
      finish_failed.execute(seq, error.code, error.message, millis(now));
    }
  }

  Job get(std::string_view job_id) {
    SqliteRows rows = find.query(job_id);
    if (!rows.next()) throw job_not_found(job_id);
    return read_job(rows);
  }

  SqliteDatabase db;
  SqliteStatement find{db, with_job_columns("SELECT ", " FROM jobs WHERE id = ?1")};
  SqliteStatement find_by_key{
      db, with_job_columns("SELECT ", " FROM jobs WHERE submitter = ?1 AND idempotency_key = ?2")};
  SqliteStatement insert{db, R"sql(
    INSERT INTO jobs (id, status, priority, submitter, idempotency_key, method, options, batch_key,
                      batch_id, input_path, max_attempts, created_at)
    VALUES (?1, 'queued', ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11))sql"};
  SqliteStatement choose_batch{db, R"sql(
    SELECT seq FROM queue
    WHERE batch_key = (SELECT batch_key FROM queue
                       ORDER BY priority DESC, turn, served, seq LIMIT 1)
    ORDER BY priority DESC, turn, served, seq LIMIT ?1)sql"};
  SqliteStatement peek_batch{db, with_job_columns("SELECT ", R"sql( FROM jobs JOIN (
      SELECT seq AS chosen_seq, priority AS chosen_priority, turn, served FROM queue
      WHERE batch_key = (SELECT batch_key FROM queue
                         ORDER BY priority DESC, turn, served, seq LIMIT 1)
      ORDER BY priority DESC, turn, served, seq LIMIT ?1) AS chosen ON chosen_seq = jobs.seq
    ORDER BY chosen_priority DESC, turn, served, chosen_seq)sql")};
  SqliteStatement start{db, with_job_columns(R"sql(
    UPDATE jobs SET status = 'running', stage = '', progress = 0, started_at = ?2,
                    lease_token = lease_token + 1, lease_expires_at = ?3
    WHERE seq = ?1 RETURNING )sql",
                                             ", lease_token")};
  SqliteStatement serve{db, R"sql(
    INSERT INTO submitters (name, last_served)
    VALUES (?1, (SELECT COALESCE(MAX(last_served), 0) + 1 FROM submitters))
    ON CONFLICT (name) DO UPDATE SET last_served = excluded.last_served)sql"};
  SqliteStatement heartbeat{db, R"sql(
    UPDATE jobs SET stage = ?3, progress = ?4, lease_expires_at = ?5
    WHERE id = ?1 AND lease_token = ?2 AND status = 'running')sql"};
  SqliteStatement complete{db, R"sql(
    UPDATE jobs SET status = 'succeeded', progress = 1, result_path = ?3, report = ?4,
                    error_code = NULL, error_message = NULL, finished_at = ?5,
                    lease_expires_at = NULL
    WHERE id = ?1 AND lease_token = ?2 AND status = 'running')sql"};
  SqliteStatement find_leased{db, R"sql(
    SELECT seq, attempts, max_attempts FROM jobs
    WHERE id = ?1 AND lease_token = ?2 AND status = 'running')sql"};
  SqliteStatement find_expired{db, R"sql(
    SELECT seq, attempts, max_attempts FROM jobs
    WHERE status = 'running' AND lease_expires_at < ?1)sql"};
  SqliteStatement requeue{db, R"sql(
    UPDATE jobs SET status = 'queued', attempts = attempts + 1, error_code = ?2,
                    error_message = ?3, stage = '', progress = 0, started_at = NULL,
                    lease_expires_at = NULL
    WHERE seq = ?1)sql"};
  SqliteStatement finish_failed{db, R"sql(
    UPDATE jobs SET status = 'failed', attempts = attempts + 1, error_code = ?2,
                    error_message = ?3, finished_at = ?4, lease_expires_at = NULL
    WHERE seq = ?1)sql"};
  SqliteStatement cancel{db, R"sql(
    UPDATE jobs SET status = 'cancelled', finished_at = ?2, lease_expires_at = NULL
    WHERE id = ?1)sql"};
  SqliteStatement list{db, with_job_columns("SELECT ", R"sql( FROM jobs
    WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR submitter = ?2)
    ORDER BY seq DESC LIMIT ?3)sql")};
  SqliteStatement position{db, R"sql(
    SELECT jobs.status, ranked.position FROM jobs LEFT JOIN (
      SELECT seq, ROW_NUMBER() OVER (ORDER BY priority DESC, turn, served, seq) - 1 AS position
      FROM queue) AS ranked ON ranked.seq = jobs.seq
    WHERE jobs.id = ?1)sql"};
  SqliteStatement count{db, "SELECT status, COUNT(*) FROM jobs GROUP BY status"};
  SqliteStatement remove_finished{
      db, with_job_columns("DELETE FROM jobs WHERE finished_at < ?1 RETURNING ", "")};
  SqliteStatement forget_submitters{
      db, "DELETE FROM submitters WHERE name NOT IN (SELECT submitter FROM jobs)"};
};

SqliteJobStore::SqliteJobStore(const std::filesystem::path& path,
                               std::chrono::milliseconds busy_timeout)
    : connection_(std::make_unique<Connection>(path, busy_timeout)) {}

SqliteJobStore::~SqliteJobStore() = default;

std::vector<EnqueueResult> SqliteJobStore::enqueue_batch(std::span<const NewJob> jobs,
                                                         Timestamp now) {
  check_new_jobs(jobs);
  std::lock_guard lock(mutex_);
  Connection& c = *connection_;
  SqliteTransaction transaction(c.db);
  std::optional<std::string> batch_id;
  if (jobs.size() > 1) batch_id = new_job_id();
  std::vector<EnqueueResult> results;
  for (const NewJob& request : jobs) {
    if (request.idempotency_key) {
      SqliteRows rows = c.find_by_key.query(request.submitter, *request.idempotency_key);
      if (rows.next()) {
        results.push_back({read_job(rows), false});
        continue;
      }
    }
    Job job = queued_job(request, batch_id, now);
    c.insert.execute(job.id, job.priority, job.submitter, job.idempotency_key, job.method,
                     job.options.dump(), job.batch_key, job.batch_id, job.input_path,
                     job.max_attempts, millis(now));
    results.push_back({std::move(job), true});
  }
  transaction.commit();
  return results;
}

std::vector<Claim> SqliteJobStore::claim_batch(std::size_t max_jobs,
                                               std::chrono::milliseconds lease, Timestamp now) {
  std::lock_guard lock(mutex_);
  Connection& c = *connection_;
  SqliteTransaction transaction(c.db);
  std::vector<std::int64_t> chosen;
  {
    SqliteRows rows = c.choose_batch.query(static_cast<std::int64_t>(max_jobs));
    while (rows.next()) chosen.push_back(rows.integer(0));
  }
  std::vector<Claim> claims;
  for (std::int64_t seq : chosen) {
    {
      SqliteRows rows = c.start.query(seq, millis(now), millis(now + lease));
      rows.next();
      Job job = read_job(rows);
      Lease job_lease{job.id, rows.integer(21), lease};
      claims.push_back({std::move(job), std::move(job_lease)});
    }
    c.serve.execute(claims.back().job.submitter);
  }
  transaction.commit();
  return claims;
}

std::vector<Job> SqliteJobStore::peek_batch(std::size_t max_jobs) {
  std::lock_guard lock(mutex_);
  SqliteRows rows = connection_->peek_batch.query(static_cast<std::int64_t>(max_jobs));
  std::vector<Job> jobs;
  while (rows.next()) jobs.push_back(read_job(rows));
  return jobs;
}

bool SqliteJobStore::heartbeat(const Lease& lease, std::string_view stage, double progress,
                               Timestamp now) {
  if (!(progress >= 0 && progress <= 1)) {
    throw Error(ErrorCode::kBadInput,
                "progress must be between 0 and 1, got " + std::to_string(progress));
  }
  std::lock_guard lock(mutex_);
  return connection_->heartbeat.execute(lease.job_id, lease.token, stage, progress,
                                        millis(now + lease.duration)) == 1;
}

bool SqliteJobStore::complete(const Lease& lease, std::string_view result_path,
                              const nlohmann::json& report, Timestamp now) {
  std::lock_guard lock(mutex_);
  return connection_->complete.execute(lease.job_id, lease.token, result_path, report.dump(),
                                       millis(now)) == 1;
}

bool SqliteJobStore::fail(const Lease& lease, const Error& error, Timestamp now) {
  std::lock_guard lock(mutex_);
  Connection& c = *connection_;
  SqliteTransaction transaction(c.db);
  std::int64_t seq = 0;
  std::int64_t attempts = 0;
  std::int64_t max_attempts = 0;
  {
    SqliteRows rows = c.find_leased.query(lease.job_id, lease.token);
    if (!rows.next()) return false;
    seq = rows.integer(0);
    attempts = rows.integer(1);
    max_attempts = rows.integer(2);
  }
  JobError job_error{std::string(error_code_name(error.code())), error.message()};
  c.end_attempt(seq, attempts, max_attempts, is_retryable(error.code()), job_error, now);
  transaction.commit();
  return true;
}

Job SqliteJobStore::cancel(std::string_view job_id, Timestamp now) {
  std::lock_guard lock(mutex_);
  Connection& c = *connection_;
  SqliteTransaction transaction(c.db);
  Job job = c.get(job_id);
  if (job.status == JobStatus::kCancelled) return job;
  if (is_finished(job.status)) {
    throw Error(ErrorCode::kConflict, "job " + job.id + " has already " +
                                          std::string(job_status_name(job.status)) +
                                          "; only queued or running jobs can be cancelled");
  }
  c.cancel.execute(job_id, millis(now));
  job = c.get(job_id);
  transaction.commit();
  return job;
}

Job SqliteJobStore::get(std::string_view job_id) {
  std::lock_guard lock(mutex_);
  return connection_->get(job_id);
}

std::vector<Job> SqliteJobStore::list(const JobFilter& filter) {
  std::optional<std::string_view> status;
  if (filter.status) status = job_status_name(*filter.status);
  std::lock_guard lock(mutex_);
  SqliteRows rows =
      connection_->list.query(status, filter.submitter, static_cast<std::int64_t>(filter.limit));
  std::vector<Job> jobs;
  while (rows.next()) jobs.push_back(read_job(rows));
  return jobs;
}

std::optional<std::size_t> SqliteJobStore::queue_position(std::string_view job_id) {
  std::lock_guard lock(mutex_);
  SqliteRows rows = connection_->position.query(job_id);
  if (!rows.next()) throw job_not_found(job_id);
  if (rows.is_null(1)) return std::nullopt;
  return static_cast<std::size_t>(rows.integer(1));
}

std::map<JobStatus, std::size_t> SqliteJobStore::count_by_status() {
  std::map<JobStatus, std::size_t> counts;
  for (JobStatus status : {JobStatus::kQueued, JobStatus::kRunning, JobStatus::kSucceeded,
                           JobStatus::kFailed, JobStatus::kCancelled}) {
    counts[status] = 0;
  }
  std::lock_guard lock(mutex_);
  SqliteRows rows = connection_->count.query();
  while (rows.next()) {
    counts[parse_job_status(rows.text(0))] = static_cast<std::size_t>(rows.integer(1));
  }
  return counts;
}

std::size_t SqliteJobStore::requeue_expired(Timestamp now) {
  struct Expired {
    std::int64_t seq, attempts, max_attempts;
  };
  std::lock_guard lock(mutex_);
  Connection& c = *connection_;
  SqliteTransaction transaction(c.db);
  std::vector<Expired> expired;
  {
    SqliteRows rows = c.find_expired.query(millis(now));
    while (rows.next()) expired.push_back({rows.integer(0), rows.integer(1), rows.integer(2)});
  }
  for (const Expired& job : expired) {
    JobError error{std::string(error_code_name(ErrorCode::kInternal)),
                   "the worker stopped renewing its lease (attempt " +
                       std::to_string(job.attempts + 1) + " of " +
                       std::to_string(job.max_attempts) + ")"};
    c.end_attempt(job.seq, job.attempts, job.max_attempts, true, error, now);
  }
  transaction.commit();
  return expired.size();
}

std::vector<Job> SqliteJobStore::remove_finished_before(Timestamp cutoff) {
  std::lock_guard lock(mutex_);
  Connection& c = *connection_;
  SqliteTransaction transaction(c.db);
  std::vector<Job> removed;
  {
    SqliteRows rows = c.remove_finished.query(millis(cutoff));
    while (rows.next()) removed.push_back(read_job(rows));
  }
  c.forget_submitters.execute();
  transaction.commit();
  return removed;
}

}  // namespace orfeas

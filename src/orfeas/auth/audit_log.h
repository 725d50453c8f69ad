// The tamper-evident audit trail: every authentication decision and every job operation of the
// agent API, appended to the table audit_batches of the job store's SQLite database (one row per
// batch the writer commits, holding its lines) and to a JSON Lines file, DIR/audit.jsonl. Each line
// carries the SHA-256 of the line before it, so editing, deleting or reordering lines breaks the
// chain, and the database keeps a copy of every line, so cutting lines off the end or rewriting the
// whole chain in one place is caught by comparing the two (verify_audit_trail).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "orfeas/jobs/job.h"

namespace orfeas {

// One decision or operation. Secrets and signatures never go in.
struct AuditRecord {
  Timestamp time;
  std::string request_id;
  std::string agent_id;  // empty when the request named no known agent
  std::string api_key;   // as sent (public) when it names no known agent; else empty
  std::string client_address;
  std::string method;
  std::string path;
  std::string operation;  // the scope name of the operation asked for ("generate_3d", ...)
  // "denied": authentication refused it. "allowed": authenticated, written (and made durable)
  // before an operation that changes state runs; its outcome follows in a second record.
  // "succeeded" / "failed": the operation's outcome.
  std::string outcome;
  std::string reason;  // why denied or failed; the real reason, never shown to the caller
  int status = 0;      // the HTTP status answered
  std::string job_id;  // empty when none
  std::string nonce;   // of an authenticated request (once per request), so replays are refused
                       // after a restart; empty in denied records
};

// A line as stored: the record's fields plus "seq" (1, 2, ...) and "prev", the lowercase hex
// SHA-256 of the previous line's text (64 zeros for the first line). Keys in a fixed order.
std::string audit_line(const AuditRecord& record, std::int64_t seq, std::string_view prev_hash);

// What verify_audit_trail found.
struct AuditVerification {
  bool intact = false;
  std::int64_t records = 0;  // lines checked
  // When not intact: the first bad line (1-based line number of the file, or the first seq the
  // database holds that the file lacks) and what is wrong with it.
  std::int64_t first_bad_line = 0;
  std::string reason;
};

// Checks the file's chain line by line (each line parses, its seq is the previous plus one, its
// prev is the previous line's hash) and that the file and the database hold the same lines, none
// missing at either end. Throws Error{kBadInput} when the files cannot be read.
AuditVerification verify_audit_trail(const std::filesystem::path& database,
                                     const std::filesystem::path& jsonl);

// The last `count` lines, oldest first (from the database).
std::vector<std::string> audit_tail(const std::filesystem::path& database, std::size_t count);

// How long the writer waits after a record for more to commit with it: also the longest a record
// that nobody waits for stays in memory only, so the most of the trail a crash can cost. A commit
// costs the writer about 0.2 ms of CPU whatever its size (the WAL's sync, its first pages, the
// locks): at 12k records/s the writer spends about 6.2 µs of CPU a record at 10 ms, 4.9 at 25 ms
// and 4.5 at 50 ms (bench/audit_writer_bench; docs/PERFORMANCE.md), too little to widen the window.
inline constexpr std::chrono::milliseconds kAuditLinger{10};

class AuditLog {
 public:
  // Opens the trail, creating the table and the file when missing. Lines the database holds past
  // the file's end (a crash between the two writes) are appended to the file first. Throws
  // Error{kInternal} when the trail is already broken at its end (the file's last line is not the
  // database's), and as SqliteDatabase.
  AuditLog(const std::filesystem::path& database, const std::filesystem::path& jsonl,
           std::chrono::milliseconds linger = kAuditLinger);
  // Writes what is pending, then stops the writer.
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Gives the record its seq and queues it for the writer thread, which formats and chains the
  // lines, commits them in batches to the database (on disk when the commit returns), then writes
  // them to the file (not flushed: after a power failure the next open restores the lines the
  // file lost from the database): what arrives within `linger` of the first record goes in one
  // batch, unless wait_durable asks for it sooner. Returns its seq. Thread-safe; the chain follows
  // the order of the calls.
  std::int64_t append(AuditRecord record);
  // Blocks until every record up to `seq` is on disk in the database and written to the file.
  // Throws Error{kInternal} when the writer failed (the trail cannot be written: callers must not
  // act).
  void wait_durable(std::int64_t seq);

  // The nonces of authenticated requests (records not "denied") since `since`, oldest first, as
  // (agent_id, nonce, time): to seed the NonceCache on start.
  std::vector<std::tuple<std::string, std::string, Timestamp>> nonces_since(Timestamp since);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace orfeas

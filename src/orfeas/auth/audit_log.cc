#include "orfeas/auth/audit_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "orfeas/auth/random_token.h"
#include "orfeas/auth/request_signing.h"
#include "orfeas/core/error.h"
#include "orfeas/jobs/sqlite.h"

namespace orfeas {
namespace fs = std::filesystem;
namespace {

// Group commit: the writer gathers the records that arrive within the linger of the first (or up
// to kMaxBatch) into one transaction, unless someone waits for them to be durable. The database
// is the durable copy (synchronous commits); the file is written after it without a flush of its
// own, since a reopen restores from the database whatever lines the file lost.
constexpr std::size_t kMaxBatch = 4096;

constexpr std::string_view kFirstPrev =
    "0000000000000000000000000000000000000000000000000000000000000000";
constexpr std::chrono::milliseconds kBusyTimeout{10000};
// One row per writer batch, not per record: a row costs SQLite more than the lines in it.
// `lines` holds the records first_seq..last_seq, each ended by '\n'; `nonces` one
// "AGENT_ID NONCE TIME\n" for each authenticated record with a nonce; `last_time` the latest
// record time of the batch.
constexpr std::string_view kSchema =
    "CREATE TABLE IF NOT EXISTS audit_batches(first_seq INTEGER PRIMARY KEY, "
    "last_seq INTEGER NOT NULL, last_time TEXT NOT NULL, nonces TEXT NOT NULL, "
    "lines TEXT NOT NULL)";
// nonces_since walks back from the newest batch; a record's time precedes its append by at most
// a request's duration, so the walk goes on for this long past the first batch older than asked.
constexpr std::chrono::minutes kTimeDisorder{1};

// Opens the database with the audit table in place (no write happens when it exists already).
SqliteDatabase open_reader(const fs::path& path) {
  SqliteDatabase db(path, kBusyTimeout);
  db.execute(kSchema);
  return db;
}

SqliteDatabase open_writer(const fs::path& path) {
  SqliteDatabase db(path, kBusyTimeout);
  db.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL");
  db.execute(kSchema);
  return db;
}

// The lines the database holds from a seq on, in order, read batch by batch.
class DatabaseLines {
 public:
  DatabaseLines(SqliteDatabase& db, std::int64_t from_seq)
      : select_(db,
                "SELECT first_seq, lines FROM audit_batches WHERE last_seq >= ?1 "
                "ORDER BY first_seq"),
        rows_(select_.query(from_seq)),
        from_seq_(from_seq) {}

  // The next (seq, line); nothing past the last.
  std::optional<std::pair<std::int64_t, std::string>> next() {
    for (;;) {
      if (position_ < lines_.size()) {
        const std::size_t end = lines_.find('\n', position_);
        std::string line = lines_.substr(position_, end - position_);
        position_ = end == std::string::npos ? lines_.size() : end + 1;
        if (seq_++ >= from_seq_) return std::pair{seq_ - 1, std::move(line)};
        continue;
      }
      if (!rows_.next()) return std::nullopt;
      seq_ = rows_.integer(0);
      lines_ = rows_.text(1);
      position_ = 0;
    }
  }

 private:
  SqliteStatement select_;
  SqliteRows rows_;
  std::int64_t from_seq_;
  std::string lines_;  // of the current batch
  std::size_t position_ = 0;
  std::int64_t seq_ = 0;  // of the line at position_
};

// The line the database holds for `seq`, if any.
std::optional<std::string> database_line(SqliteDatabase& db, std::int64_t seq) {
  std::optional<std::pair<std::int64_t, std::string>> line = DatabaseLines(db, seq).next();
  if (!line || line->first != seq) return std::nullopt;
  return std::move(line->second);
}

// The seq of an audit line; nullopt when the line is not a JSON object with an integer seq.
std::optional<std::int64_t> seq_of(const std::string& line) {
  nlohmann::json parsed = nlohmann::json::parse(line, nullptr, false);
  if (!parsed.is_object() || !parsed.contains("seq") || !parsed["seq"].is_number_integer()) {
    return std::nullopt;
  }
  return parsed["seq"].get<std::int64_t>();
}

// "2024-05-01T12:30:00.250Z" back to a Timestamp (the format of format_timestamp).
Timestamp parse_timestamp(const std::string& text) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0, ms = 0;
  if (std::sscanf(text.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &y, &mo, &d, &h, &mi, &s, &ms) != 7) {
    throw Error(ErrorCode::kInternal, "audit log time '" + text + "' is malformed");
  }
  using namespace std::chrono;
  const sys_days date =
      year_month_day{year(y), month(static_cast<unsigned>(mo)), day(static_cast<unsigned>(d))};
  return Timestamp(date) + hours(h) + minutes(mi) + seconds(s) + milliseconds(ms);
}

[[noreturn]] void fail_file(const fs::path& path, std::string_view what) {
  throw Error(ErrorCode::kInternal, "audit trail " + path.string() + ": " + std::string(what) +
                                        ": " + std::strerror(errno));
}

// An open file descriptor, closed when it goes away.
class FileDescriptor {
 public:
  FileDescriptor(const fs::path& path, int flags)
      : path_(path), fd_(::open(path.c_str(), flags, 0600)) {
    if (fd_ < 0) fail_file(path, "cannot open");
  }
  ~FileDescriptor() { ::close(fd_); }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;

  // Appends `text` (written, not flushed to the disk).
  void append(std::string_view text) const {
    while (!text.empty()) {
      const ssize_t written = ::write(fd_, text.data(), text.size());
      if (written < 0 && errno == EINTR) continue;
      if (written < 0) fail_file(path_, "cannot write");
      text.remove_prefix(static_cast<std::size_t>(written));
    }
  }
  // The bytes [offset, offset + size).
  std::string read_at(off_t offset, std::size_t size) const {
    std::string bytes(size, '\0');
    if (::pread(fd_, bytes.data(), size, offset) != static_cast<ssize_t>(size)) {
      fail_file(path_, "cannot read");
    }
    return bytes;
  }
  off_t size() const {
    const off_t end = ::lseek(fd_, 0, SEEK_END);
    if (end < 0) fail_file(path_, "cannot seek");
    return end;
  }
  void truncate(off_t size) const {
    if (::ftruncate(fd_, size) != 0) fail_file(path_, "cannot truncate");
  }

 private:
  fs::path path_;
  int fd_;
};

// The end of a trail file: its last complete line (without '\n'; nullopt when none), where that
// line ends (just past its '\n'), and any bytes after it (a write cut short).
struct FileEnd {
  std::optional<std::string> last_line;
  off_t complete_size = 0;
  std::string partial;
};

FileEnd read_file_end(const FileDescriptor& file) {
  const off_t size = file.size();
  FileEnd end;
  for (off_t window = 4096;; window *= 2) {
    const off_t start = std::max<off_t>(0, size - window);
    const std::string tail = file.read_at(start, static_cast<std::size_t>(size - start));
    const std::size_t last_newline = tail.rfind('\n');
    if (last_newline == std::string::npos && start > 0) continue;
    const std::size_t complete = last_newline == std::string::npos ? 0 : last_newline + 1;
    end.partial = tail.substr(complete);
    end.complete_size = start + static_cast<off_t>(complete);
    if (complete == 0 && start == 0) return end;
    const std::size_t previous = complete < 2 ? std::string::npos : tail.rfind('\n', complete - 2);
    if (previous == std::string::npos && start > 0) continue;
    const std::size_t begin = previous == std::string::npos ? 0 : previous + 1;
    end.last_line = tail.substr(begin, complete - 1 - begin);
    return end;
  }
}

// A record waiting for the writer, which formats and chains it.
struct PendingRecord {
  std::int64_t seq;
  AuditRecord record;
};

}  // namespace

namespace {

// Appends `"name":` and the value as a JSON string: as it is when it is printable ASCII with
// nothing to escape (ids, keys, addresses, paths: nearly always), else through nlohmann-json,
// ASCII only, with invalid UTF-8 from a request replaced rather than thrown on.
void append_member(std::string& out, std::string_view name, std::string_view value) {
  out += '"';
  out += name;
  out += "\":";
  bool plain = std::all_of(value.begin(), value.end(),
                           [](char c) { return c >= 0x20 && c < 0x7f && c != '"' && c != '\\'; });
  if (plain) {
    out += '"';
    out += value;
    out += '"';
  } else {
    out += nlohmann::json(value).dump(-1, ' ', true, nlohmann::json::error_handler_t::replace);
  }
  out += ',';
}

// Appends the line of `record` (without its '\n') to `out`; `time` is its formatted time.
void append_line(std::string& out, const AuditRecord& record, std::string_view time,
                 std::int64_t seq, std::string_view prev_hash) {
  out += "{\"seq\":";
  out += std::to_string(seq);
  out += ',';
  append_member(out, "time", time);
  append_member(out, "request_id", record.request_id);
  append_member(out, "agent_id", record.agent_id);
  append_member(out, "api_key", record.api_key);
  append_member(out, "client_address", record.client_address);
  append_member(out, "method", record.method);
  append_member(out, "path", record.path);
  append_member(out, "operation", record.operation);
  append_member(out, "outcome", record.outcome);
  append_member(out, "reason", record.reason);
  out += "\"status\":";
  out += std::to_string(record.status);
  out += ',';
  append_member(out, "job_id", record.job_id);
  append_member(out, "nonce", record.nonce);
  out += "\"prev\":\"";
  out += prev_hash;
  out += "\"}";
}

}  // namespace

std::string audit_line(const AuditRecord& record, std::int64_t seq, std::string_view prev_hash) {
  std::string line;
  append_line(line, record, format_timestamp(record.time), seq, prev_hash);
  return line;
}

// ---------------------------------------------------------------------------------------------
// Verification.

namespace {

// Checks one file line against the chain so far; returns what is wrong, empty when nothing.
std::string check_line(const std::string& line, std::int64_t number, std::int64_t previous_seq,
                       const std::string& previous_hash, DatabaseLines& stored_lines) {
  const std::string at = "line " + std::to_string(number);
  nlohmann::json parsed = nlohmann::json::parse(line, nullptr, false);
  if (parsed.is_discarded()) return at + " is not JSON";
  if (!parsed.is_object() || !parsed.contains("seq") || !parsed["seq"].is_number_integer() ||
      !parsed.contains("prev") || !parsed["prev"].is_string()) {
    return at + " is not an audit record (no integer seq or string prev)";
  }
  const auto seq = parsed["seq"].get<std::int64_t>();
  if (seq != previous_seq + 1) {
    return at + ": seq " + std::to_string(seq) + " follows " + std::to_string(previous_seq);
  }
  if (parsed["prev"].get<std::string>() != previous_hash) {
    if (number == 1) return at + ": prev is not 64 zeros, as the first line's must be";
    return at + ": prev does not match the hash of line " + std::to_string(number - 1);
  }
  const std::optional<std::pair<std::int64_t, std::string>> stored = stored_lines.next();
  if (!stored || stored->first > seq)
    return at + ": the database lacks record " + std::to_string(seq);
  if (stored->first != seq || stored->second != line) {
    return at + " differs from the database's record " + std::to_string(seq);
  }
  return "";
}

// Whether the database holds nothing past the file's `last_seq`; fills `result` when it does.
void check_database_end(SqliteDatabase& db, DatabaseLines& stored_lines, std::int64_t last_seq,
                        AuditVerification& result) {
  if (!stored_lines.next()) {
    result.intact = true;
    return;
  }
  SqliteStatement last(db, "SELECT max(last_seq) FROM audit_batches");
  SqliteRows rows = last.query();
  rows.next();
  result.first_bad_line = last_seq + 1;
  result.reason = "the file ends at line " + std::to_string(last_seq) +
                  " but the database holds records up to " + std::to_string(rows.integer(0));
}

}  // namespace

AuditVerification verify_audit_trail(const fs::path& database, const fs::path& jsonl) {
  for (const fs::path& path : {database, jsonl}) {
    if (!fs::is_regular_file(path)) {
      throw Error(ErrorCode::kBadInput, path.string() + " does not exist or is not a file");
    }
  }
  std::ifstream file(jsonl, std::ios::binary);
  if (!file) throw Error(ErrorCode::kBadInput, "cannot read " + jsonl.string());
  SqliteDatabase db = open_reader(database);
  DatabaseLines stored_lines(db, 1);

  AuditVerification result;
  std::string previous_hash(kFirstPrev);
  std::string line;
  while (std::getline(file, line)) {
    const std::int64_t number = result.records + 1;
    if (file.eof()) {  // the last line has no '\n': a write cut short
      result.first_bad_line = number;
      result.reason = "line " + std::to_string(number) + " is incomplete (no newline)";
      return result;
    }
    result.reason = check_line(line, number, result.records, previous_hash, stored_lines);
    if (!result.reason.empty()) {
      result.first_bad_line = number;
      return result;
    }
    previous_hash = sha256_hex(line);
    result.records = number;
  }
  if (file.bad()) throw Error(ErrorCode::kBadInput, "cannot read " + jsonl.string());
  check_database_end(db, stored_lines, result.records, result);
  return result;
}

std::vector<std::string> audit_tail(const fs::path& database, std::size_t count) {
  SqliteDatabase db = open_reader(database);
  SqliteStatement select(db, "SELECT lines FROM audit_batches ORDER BY first_seq DESC");
  std::vector<std::string> newest_first;
  SqliteRows rows = select.query();
  while (newest_first.size() < count && rows.next()) {
    const std::string lines = rows.text(0);
    std::size_t end = lines.size();  // past the '\n' of the line to take
    while (newest_first.size() < count && end > 0) {
      const std::size_t newline = lines.rfind('\n', end - 2);
      const std::size_t begin = newline == std::string::npos ? 0 : newline + 1;
      newest_first.push_back(lines.substr(begin, end - 1 - begin));
      end = begin;
    }
  }
  return {newest_first.rbegin(), newest_first.rend()};
}

// ---------------------------------------------------------------------------------------------
// AuditLog.

struct AuditLog::State {
  State(const fs::path& database, const fs::path& jsonl, std::chrono::milliseconds linger)
      : linger(linger),
        database_path(database),
        db(open_writer(database)),
        insert(db,
               "INSERT INTO audit_batches(first_seq, last_seq, last_time, nonces, lines) "
               "VALUES (?1, ?2, ?3, ?4, ?5)"),
        file(jsonl, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC),
        jsonl_path(jsonl) {}

  void recover();
  void write(const std::vector<PendingRecord>& batch);
  void run_writer();

  const std::chrono::milliseconds linger;
  const fs::path database_path;
  SqliteDatabase db;  // the writer thread's after construction
  SqliteStatement insert;
  FileDescriptor file;
  const fs::path jsonl_path;

  std::mutex mutex;
  std::condition_variable work;     // something queued, or stopping
  std::condition_variable durable;  // durable_seq advanced, or the writer failed
  // Appended to by append(); the writer swaps it for its emptied batch, so that the two vectors'
  // capacity is reused rather than allocated per record.
  std::vector<PendingRecord> queue;
  std::int64_t next_seq = 1;
  std::string last_hash{kFirstPrev};  // of the last line chained; the writer thread's
  std::int64_t durable_seq = 0;
  std::size_t durable_waiters = 0;  // threads in wait_durable: the writer flushes at once
  std::optional<std::string> failure;
  bool stopping = false;
  std::thread writer;
};

// Brings the file level with the database (the writer commits to the database first, so the file
// may lack the last lines, or end in a cut-short line) and continues the chain from its end.
void AuditLog::State::recover() {
  const auto broken = [this](const std::string& why) {
    return Error(ErrorCode::kInternal, "audit trail " + jsonl_path.string() +
                                           " is broken at its end (" + why +
                                           "); run `orfeas audit verify`");
  };
  const FileEnd end = read_file_end(file);
  std::int64_t file_seq = 0;
  if (end.last_line) {
    const std::optional<std::int64_t> seq = seq_of(*end.last_line);
    if (!seq) throw broken("its last line is not an audit record");
    if (database_line(db, *seq) != end.last_line) {
      throw broken("its last line is not the database's record " + std::to_string(*seq));
    }
    file_seq = *seq;
  }
  if (!end.partial.empty()) {
    const std::optional<std::string> next = database_line(db, file_seq + 1);
    if (!next || !next->starts_with(end.partial)) throw broken("it ends in a stray partial line");
    file.truncate(end.complete_size);
  }

  std::string missing;
  std::optional<std::string> last_line = end.last_line;
  durable_seq = file_seq;
  DatabaseLines after(db, file_seq + 1);
  while (std::optional<std::pair<std::int64_t, std::string>> line = after.next()) {
    durable_seq = line->first;
    last_line = std::move(line->second);
    missing += *last_line;
    missing += '\n';
  }
  if (!missing.empty()) file.append(missing);
  next_seq = durable_seq + 1;
  if (last_line) last_hash = sha256_hex(*last_line);
}

// Chains the batch on from last_hash, commits its lines to the database, then writes them to the
// file. The chain is formatted and hashed here, in one thread and in a row, rather than by each
// appender: cheaper, and the appenders' requests do not wait for it.
void AuditLog::State::write(const std::vector<PendingRecord>& batch) {
  std::string lines;
  lines.reserve(batch.size() * 512);
  std::string nonces;
  Timestamp last_time{};
  for (const auto& [seq, record] : batch) {
    const std::string time = format_timestamp(record.time);
    const std::size_t start = lines.size();
    append_line(lines, record, time, seq, last_hash);
    write_lower_hex(digest_bytes(sha256_digest({std::string_view(lines).substr(start)})),
                    last_hash.data());
    lines += '\n';
    if (!record.nonce.empty() && record.outcome != "denied") {
      nonces.append(record.agent_id).append(1, ' ').append(record.nonce).append(1, ' ');
      nonces.append(time).append(1, '\n');
    }
    last_time = std::max(last_time, record.time);
  }
  SqliteTransaction transaction(db);
  insert.execute(batch.front().seq, batch.back().seq, format_timestamp(last_time), nonces, lines);
  transaction.commit();
  file.append(lines);
}

void AuditLog::State::run_writer() {
  std::vector<PendingRecord> batch;
  for (;;) {
    batch.clear();
    {
      std::unique_lock lock(mutex);
      work.wait(lock, [this] { return stopping || !queue.empty(); });
      if (queue.empty()) return;
      work.wait_for(lock, linger, [this] {
        return stopping || durable_waiters > 0 || queue.size() >= kMaxBatch;
      });
      batch.swap(queue);
      if (failure) continue;  // the chain has a gap now: nothing more may be written
    }
    try {
      write(batch);
      std::lock_guard lock(mutex);
      durable_seq = batch.back().seq;
    } catch (const std::exception& e) {
      std::lock_guard lock(mutex);
      failure = e.what();
    }
    durable.notify_all();
  }
}

AuditLog::AuditLog(const fs::path& database, const fs::path& jsonl,
                   std::chrono::milliseconds linger)
    : state_(std::make_unique<State>(database, jsonl, linger)) {
  state_->recover();
  state_->writer = std::thread([state = state_.get()] { state->run_writer(); });
}

AuditLog::~AuditLog() {
  {
    std::lock_guard lock(state_->mutex);
    state_->stopping = true;
  }
  state_->work.notify_one();
  state_->writer.join();
}

std::int64_t AuditLog::append(AuditRecord record) {
  std::lock_guard lock(state_->mutex);
  const std::int64_t seq = state_->next_seq++;
  state_->queue.push_back({seq, std::move(record)});
  // The writer sleeps until the first record, and lingers until kMaxBatch.
  if (state_->queue.size() == 1 || state_->queue.size() >= kMaxBatch) state_->work.notify_one();
  return seq;
}

void AuditLog::wait_durable(std::int64_t seq) {
  std::unique_lock lock(state_->mutex);
  ++state_->durable_waiters;
  state_->work.notify_one();  // no lingering for this one
  state_->durable.wait(lock, [&] { return state_->failure || state_->durable_seq >= seq; });
  --state_->durable_waiters;
  if (state_->failure) {
    throw Error(ErrorCode::kInternal, "the audit trail cannot be written: " + *state_->failure);
  }
}

std::vector<std::tuple<std::string, std::string, Timestamp>> AuditLog::nonces_since(
    Timestamp since) {
  SqliteDatabase db = open_reader(state_->database_path);
  SqliteStatement select(db, "SELECT last_time, nonces FROM audit_batches ORDER BY first_seq DESC");
  std::vector<std::vector<std::tuple<std::string, std::string, Timestamp>>> newest_first;
  SqliteRows rows = select.query();
  while (rows.next() && parse_timestamp(rows.text(0)) >= since - kTimeDisorder) {
    std::istringstream entries(rows.text(1));
    auto& batch = newest_first.emplace_back();
    for (std::string agent_id, nonce, time; entries >> agent_id >> nonce >> time;) {
      if (Timestamp at = parse_timestamp(time); at >= since)
        batch.emplace_back(agent_id, nonce, at);
    }
  }
  std::vector<std::tuple<std::string, std::string, Timestamp>> nonces;
  for (auto batch = newest_first.rbegin(); batch != newest_first.rend(); ++batch) {
    nonces.insert(nonces.end(), batch->begin(), batch->end());
  }
  return nonces;
}

}  // namespace orfeas

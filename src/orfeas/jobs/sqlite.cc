#include "orfeas/jobs/sqlite.h"

#include <sqlite3.h>

#include "orfeas/core/error.h"

namespace orfeas {
namespace {

ErrorCode error_code_for(int rc) {
  switch (rc & 0xff) {
    case SQLITE_BUSY:
      return ErrorCode::kUnavailable;
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_NOTADB:
      return ErrorCode::kBadInput;
    default:
      return ErrorCode::kInternal;
  }
}

}  // namespace

SqliteDatabase::SqliteDatabase(const std::filesystem::path& path,
                               std::chrono::milliseconds busy_timeout)
    : path_(path.string()) {
  sqlite3* db = nullptr;
  int rc =
      sqlite3_open_v2(path_.c_str(), &db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  db_.reset(db);
  if (rc != SQLITE_OK) fail(rc, "open");
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, static_cast<int>(busy_timeout.count()));
}

void SqliteDatabase::Closer::operator()(sqlite3* db) const { sqlite3_close_v2(db); }

void SqliteDatabase::execute(std::string_view sql) {
  int rc = sqlite3_exec(db_.get(), std::string(sql).c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) fail(rc, sql);
}

std::int64_t SqliteDatabase::changes() const { return sqlite3_changes64(db_.get()); }

void SqliteDatabase::fail(int rc, std::string_view what) const {
  std::string message = "job database " + path_ + ": " + sqlite3_errstr(rc);
  const char* detail = sqlite3_errmsg(db_.get());
  message += " (";
  message += detail;
  message += ") while running: ";
  message += what;
  throw Error(error_code_for(rc), message);
}

SqliteRows::~SqliteRows() { sqlite3_reset(statement_); }

bool SqliteRows::next() {
  int rc = sqlite3_step(statement_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  db_.fail(rc, sqlite3_sql(statement_));
}

bool SqliteRows::is_null(int column) const {
  return sqlite3_column_type(statement_, column) == SQLITE_NULL;
}

std::int64_t SqliteRows::integer(int column) const {
  return sqlite3_column_int64(statement_, column);
}

double SqliteRows::real(int column) const { return sqlite3_column_double(statement_, column); }

std::string SqliteRows::text(int column) const {
  const unsigned char* value = sqlite3_column_text(statement_, column);
  int size = sqlite3_column_bytes(statement_, column);
  return value ? std::string(reinterpret_cast<const char*>(value), size) : std::string();
}

std::optional<std::int64_t> SqliteRows::optional_integer(int column) const {
  if (is_null(column)) return std::nullopt;
  return integer(column);
}

std::optional<std::string> SqliteRows::optional_text(int column) const {
  if (is_null(column)) return std::nullopt;
  return text(column);
}

SqliteStatement::SqliteStatement(SqliteDatabase& db, std::string_view sql) : db_(db) {
  sqlite3_stmt* statement = nullptr;
  int rc = sqlite3_prepare_v3(db.handle(), sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &statement, nullptr);
  statement_.reset(statement);
  if (rc != SQLITE_OK) db.fail(rc, sql);
}

void SqliteStatement::Finalizer::operator()(sqlite3_stmt* statement) const {
  sqlite3_finalize(statement);
}

void SqliteStatement::start() {
  sqlite3_reset(statement_.get());
  sqlite3_clear_bindings(statement_.get());
}

// Bind errors go unchecked: an index out of range is a bug of ours, and a value past SQLite's
// size limit (a gigabyte) cannot come from the service's bounded inputs.
void SqliteStatement::bind(int index, std::int64_t value) {
  sqlite3_bind_int64(statement_.get(), index, value);
}

void SqliteStatement::bind(int index, double value) {
  sqlite3_bind_double(statement_.get(), index, value);
}

void SqliteStatement::bind(int index, std::string_view value) {
  sqlite3_bind_text64(statement_.get(), index, value.data(), value.size(), SQLITE_TRANSIENT,
                      SQLITE_UTF8);
}

void SqliteStatement::bind(int index, std::nullptr_t) {
  sqlite3_bind_null(statement_.get(), index);
}

SqliteTransaction::SqliteTransaction(SqliteDatabase& db) : db_(db) {
  db_.execute("BEGIN IMMEDIATE");
}

SqliteTransaction::~SqliteTransaction() {
  if (open_) sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void SqliteTransaction::commit() {
  db_.execute("COMMIT");
  open_ = false;
}

}  // namespace orfeas

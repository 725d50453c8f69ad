// A thin C++ layer over the SQLite C API: a connection, prepared statements with typed binding,
// and IMMEDIATE transactions. Every failure throws an Error naming the database file: kUnavailable
// when the database stays locked past the busy timeout, kBadInput when the file cannot be opened
// or written or is not a database, kInternal for anything else. Not thread-safe: one thread at a
// time per connection.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace orfeas {

class SqliteDatabase {
 public:
  // Opens the file at `path`, creating it if missing. A lock held by another connection is waited
  // for up to `busy_timeout`.
  SqliteDatabase(const std::filesystem::path& path, std::chrono::milliseconds busy_timeout);

  // Runs one or more SQL statements that return no rows.
  void execute(std::string_view sql);
  std::int64_t changes() const;

  sqlite3* handle() const { return db_.get(); }
  // Throws the Error for the SQLite result code `rc`, `what` says what was being run.
  [[noreturn]] void fail(int rc, std::string_view what) const;

 private:
  struct Closer {
    void operator()(sqlite3* db) const;
  };
  std::string path_;
  std::unique_ptr<sqlite3, Closer> db_;
};

// The rows of a running statement; the statement is reset when they go away, which ends its read.
class SqliteRows {
 public:
  SqliteRows(const SqliteDatabase& db, sqlite3_stmt* statement) : db_(db), statement_(statement) {}
  SqliteRows(const SqliteRows&) = delete;
  SqliteRows& operator=(const SqliteRows&) = delete;
  ~SqliteRows();

  // Steps to the next row; false when there is none.
  bool next();
  bool is_null(int column) const;
  std::int64_t integer(int column) const;
  double real(int column) const;
  std::string text(int column) const;
  std::optional<std::int64_t> optional_integer(int column) const;
  std::optional<std::string> optional_text(int column) const;

 private:
  const SqliteDatabase& db_;
  sqlite3_stmt* statement_;
};

// A statement prepared once and run many times. Parameters are bound in order to ?1, ?2, ...:
// integers, doubles, strings, nullptr (NULL) and optionals of those (NULL when empty).
class SqliteStatement {
 public:
  SqliteStatement(SqliteDatabase& db, std::string_view sql);

  template <typename... Args>
  SqliteRows query(const Args&... args) {
    start();
    int index = 0;
    (bind(++index, args), ...);
    return SqliteRows(db_, statement_.get());
  }
  // Runs a statement that returns no rows; returns the number of rows it changed.
  template <typename... Args>
  std::int64_t execute(const Args&... args) {
    query(args...).next();
    return db_.changes();
  }

 private:
  struct Finalizer {
    void operator()(sqlite3_stmt* statement) const;
  };
  void start();
  void bind(int index, std::int64_t value);
  void bind(int index, int value) { bind(index, std::int64_t{value}); }
  void bind(int index, double value);
  void bind(int index, std::string_view value);
  void bind(int index, const std::string& value) { bind(index, std::string_view(value)); }
  void bind(int index, std::nullptr_t);
  template <typename T>
  void bind(int index, const std::optional<T>& value) {
    if (value) {
      bind(index, *value);
    } else {
      bind(index, nullptr);
    }
  }

  SqliteDatabase& db_;
  std::unique_ptr<sqlite3_stmt, Finalizer> statement_;
};

// BEGIN IMMEDIATE on construction: the write lock is taken at once, so the transaction never
// fails half-way because another writer came first. Rolled back unless commit() is called.
class SqliteTransaction {
 public:
  explicit SqliteTransaction(SqliteDatabase& db);
  SqliteTransaction(const SqliteTransaction&) = delete;
  SqliteTransaction& operator=(const SqliteTransaction&) = delete;
  ~SqliteTransaction();
  void commit();

 private:
  SqliteDatabase& db_;
  bool open_ = true;
};

}  // namespace orfeas

// A thin C++ layer over libpq: a connection, parameterised queries with typed parameters, results
// read by row and column, and transactions. Every failure throws an Error naming the server (host,
// port and database; never the password): kBadInput for a malformed connection string;
// kUnavailable when the server cannot be reached or the connection is lost (the next statement
// connects again), when a lock is not granted within the lock timeout, and for the other failures
// worth retrying (serialisation failure, deadlock, server shutting down); kInternal for anything
// else. Not thread-safe: one thread at a time per connection.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct pg_conn;
struct pg_result;

namespace orfeas {

// The rows a query returned, all in memory. Values are read in PostgreSQL's text format.
class PostgresResult {
 public:
  explicit PostgresResult(pg_result* result);

  int rows() const;
  // The number of rows an INSERT, UPDATE or DELETE changed.
  std::int64_t changes() const;
  bool is_null(int row, int column) const;
  std::int64_t integer(int row, int column) const;
  double real(int row, int column) const;
  std::string text(int row, int column) const;
  std::optional<std::string> optional_text(int row, int column) const;

 private:
  struct Clearer {
    void operator()(pg_result* result) const;
  };
  std::unique_ptr<pg_result, Clearer> result_;
};

class PostgresConnection {
 public:
  // Connects with a libpq connection string ("host=... dbname=..." or "postgresql://...").
  // A statement that waits for a lock longer than `lock_timeout` fails with Error{kUnavailable}.
  explicit PostgresConnection(const std::string& conninfo,
                              std::chrono::milliseconds lock_timeout = std::chrono::seconds(5));

  // Runs one statement. Parameters go to $1, $2, ... as text, never into the SQL: integers,
  // doubles, strings, nullptr (NULL) and optionals of those (NULL when empty).
  template <typename... Args>
  PostgresResult query(std::string_view sql, const Args&... args) {
    std::vector<std::optional<std::string>> parameters;
    (parameters.push_back(parameter(args)), ...);
    return run(sql, parameters);
  }
  // Runs one or more statements without parameters.
  void execute(std::string_view sql);

  // "host:port/database", for messages.
  const std::string& server() const { return server_; }

 private:
  struct Closer {
    void operator()(pg_conn* connection) const;
  };
  static std::optional<std::string> parameter(std::int64_t value) { return std::to_string(value); }
  static std::optional<std::string> parameter(int value) { return std::to_string(value); }
  static std::optional<std::string> parameter(double value);
  static std::optional<std::string> parameter(std::string_view value) { return std::string(value); }
  static std::optional<std::string> parameter(const std::string& value) { return value; }
  static std::optional<std::string> parameter(std::nullptr_t) { return std::nullopt; }
  template <typename T>
  static std::optional<std::string> parameter(const std::optional<T>& value) {
    return value ? parameter(*value) : std::nullopt;
  }
  // Applies the session's settings, on every new connection.
  void configure();
  // Connects again when the connection was lost; throws Error{kUnavailable} when that fails.
  void reconnect_if_lost();
  PostgresResult run(std::string_view sql,
                     const std::vector<std::optional<std::string>>& parameters);
  PostgresResult check(pg_result* result, std::string_view sql);

  std::chrono::milliseconds lock_timeout_;
  std::string server_;
  std::unique_ptr<pg_conn, Closer> connection_;
};

// BEGIN on construction; rolled back unless commit() is called.
class PostgresTransaction {
 public:
  explicit PostgresTransaction(PostgresConnection& connection);
  PostgresTransaction(const PostgresTransaction&) = delete;
  PostgresTransaction& operator=(const PostgresTransaction&) = delete;
  ~PostgresTransaction();
  void commit();

 private:
  PostgresConnection& connection_;
  bool open_ = true;
};

}  // namespace orfeas

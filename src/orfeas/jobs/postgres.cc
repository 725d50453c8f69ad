#include "orfeas/jobs/postgres.h"

#include <libpq-fe.h>

#include <array>
#include <charconv>

#include "orfeas/core/error.h"

namespace orfeas {
namespace {

// Connection failures, conflicts that a retry may resolve, and a server shutting down.
bool is_unavailable(std::string_view sqlstate) {
  return sqlstate.starts_with("08") || sqlstate.starts_with("40") || sqlstate == "55P03" ||
         sqlstate.starts_with("57P");
}

// Where the connection goes, as libpq resolved it: "host:port/database", nothing secret. A part
// libpq could not resolve (the connection string names an unknown service) is "?".
std::string describe_server(const PGconn* connection) {
  auto known = [](const char* value) { return std::string(value && *value ? value : "?"); };
  return known(PQhost(connection)) + ":" + known(PQport(connection)) + "/" +
         known(PQdb(connection));
}

// A libpq message on one line: they end with a newline, and hints follow on indented lines.
std::string one_line(std::string message) {
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  std::string line;
  for (char c : message) {
    if (c == '\n') {
      line += ' ';
    } else if (c != '\t') {
      line += c;
    }
  }
  return line;
}

void ignore_notice(void*, const char*) {}

}  // namespace

void PostgresResult::Clearer::operator()(pg_result* result) const { PQclear(result); }

PostgresResult::PostgresResult(pg_result* result) : result_(result) {}

int PostgresResult::rows() const { return PQntuples(result_.get()); }

std::int64_t PostgresResult::changes() const {
  std::string_view count = PQcmdTuples(result_.get());
  std::int64_t value = 0;
  std::from_chars(count.data(), count.data() + count.size(), value);
  return value;
}

bool PostgresResult::is_null(int row, int column) const {
  return PQgetisnull(result_.get(), row, column) == 1;
}

std::int64_t PostgresResult::integer(int row, int column) const {
  const char* text = PQgetvalue(result_.get(), row, column);
  std::int64_t value = 0;
  std::from_chars(text, text + PQgetlength(result_.get(), row, column), value);
  return value;
}

double PostgresResult::real(int row, int column) const {
  const char* text = PQgetvalue(result_.get(), row, column);
  double value = 0;
  std::from_chars(text, text + PQgetlength(result_.get(), row, column), value);
  return value;
}

std::string PostgresResult::text(int row, int column) const {
  return std::string(PQgetvalue(result_.get(), row, column),
                     static_cast<std::size_t>(PQgetlength(result_.get(), row, column)));
}

std::optional<std::string> PostgresResult::optional_text(int row, int column) const {
  if (is_null(row, column)) return std::nullopt;
  return text(row, column);
}

void PostgresConnection::Closer::operator()(pg_conn* connection) const { PQfinish(connection); }

PostgresConnection::PostgresConnection(const std::string& conninfo,
                                       std::chrono::milliseconds lock_timeout)
    : lock_timeout_(lock_timeout) {
  char* parse_error = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &parse_error);
  if (options == nullptr) {
    std::string message = parse_error ? one_line(parse_error) : "out of memory";
    PQfreemem(parse_error);
    throw Error(ErrorCode::kBadInput, "invalid PostgreSQL connection string: " + message);
  }
  PQconninfoFree(options);
  connection_.reset(PQconnectdb(conninfo.c_str()));
  if (!connection_) throw Error(ErrorCode::kInternal, "libpq: out of memory");
  server_ = describe_server(connection_.get());
  if (PQstatus(connection_.get()) != CONNECTION_OK) {
    throw Error(ErrorCode::kUnavailable, "cannot connect to PostgreSQL server " + server_ + ": " +
                                             one_line(PQerrorMessage(connection_.get())));
  }
  PQsetNoticeProcessor(connection_.get(), ignore_notice, nullptr);
  configure();
}

void PostgresConnection::configure() {
  query("SELECT set_config('lock_timeout', $1, false)",
        std::to_string(lock_timeout_.count()) + "ms");
}

std::optional<std::string> PostgresConnection::parameter(double value) {
  std::array<char, 32> text{};  // the shortest text that reads back as the same double
  auto [end, error] = std::to_chars(text.data(), text.data() + text.size(), value);
  return std::string(text.data(), end);
}

PostgresResult PostgresConnection::run(std::string_view sql,
                                       const std::vector<std::optional<std::string>>& parameters) {
  reconnect_if_lost();
  std::vector<const char*> values;
  for (const std::optional<std::string>& value : parameters) {
    values.push_back(value ? value->c_str() : nullptr);
  }
  std::string text(sql);
  return check(PQexecParams(connection_.get(), text.c_str(), static_cast<int>(values.size()),
                            nullptr, values.data(), nullptr, nullptr, 0),
               sql);
}

void PostgresConnection::execute(std::string_view sql) {
  reconnect_if_lost();
  check(PQexec(connection_.get(), std::string(sql).c_str()), sql);
}

void PostgresConnection::reconnect_if_lost() {
  // A transaction under way on the lost connection has ended with it: the statement that found the
  // connection lost threw, and the transaction's owner rolled back.
  if (PQstatus(connection_.get()) == CONNECTION_OK) return;
  PQreset(connection_.get());
  if (PQstatus(connection_.get()) != CONNECTION_OK) {
    throw Error(ErrorCode::kUnavailable, "lost the connection to PostgreSQL server " + server_ +
                                             ": " + one_line(PQerrorMessage(connection_.get())));
  }
  configure();
}

PostgresResult PostgresConnection::check(pg_result* raw, std::string_view sql) {
  PostgresResult result(raw);
  ExecStatusType status = PQresultStatus(raw);
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return result;
  const char* sqlstate = raw ? PQresultErrorField(raw, PG_DIAG_SQLSTATE) : nullptr;
  bool unavailable = PQstatus(connection_.get()) != CONNECTION_OK ||
                     (sqlstate != nullptr && is_unavailable(sqlstate));
  std::string first_line(sql.substr(sql.find_first_not_of(" \n")));
  first_line = first_line.substr(0, first_line.find('\n'));
  throw Error(unavailable ? ErrorCode::kUnavailable : ErrorCode::kInternal,
              "PostgreSQL server " + server_ + " failed \"" + first_line +
                  "\": " + one_line(PQerrorMessage(connection_.get())));
}

PostgresTransaction::PostgresTransaction(PostgresConnection& connection) : connection_(connection) {
  connection_.execute("BEGIN");
}

PostgresTransaction::~PostgresTransaction() {
  if (!open_) return;
  try {
    connection_.execute("ROLLBACK");
  } catch (const Error&) {
    // The connection is gone, and the transaction with it.
  }
}

void PostgresTransaction::commit() {
  connection_.execute("COMMIT");
  open_ = false;
}

}  // namespace orfeas

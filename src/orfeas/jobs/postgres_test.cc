// The libpq layer on a real server: values in and out, errors, lost connections, transactions.
#include "orfeas/jobs/postgres.h"

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "orfeas/core/error.h"
#include "orfeas/core/test_errors.h"
#include "orfeas/jobs/test_postgres.h"

namespace orfeas {
namespace {

using test::code_of;

using std::chrono::milliseconds;

TEST(PostgresConnectionTest, ParametersAndValuesRoundTrip) {
  PostgresConnection db(test_postgres_conninfo());
  std::optional<std::string> none;
  PostgresResult row =
      db.query("SELECT $1::bigint, $2::float8, $3::text, $4::text, $5::int",
               std::int64_t{-9007199254740993}, 0.1, std::string_view("é\n'"), none, 7);
  ASSERT_EQ(row.rows(), 1);
  EXPECT_EQ(row.integer(0, 0), -9007199254740993);
  EXPECT_EQ(row.real(0, 1), 0.1);
  EXPECT_EQ(row.text(0, 2), "é\n'");
  EXPECT_TRUE(row.is_null(0, 3));
  EXPECT_EQ(row.optional_text(0, 3), std::nullopt);
  EXPECT_EQ(row.integer(0, 4), 7);
  EXPECT_EQ(code_of([&] { db.query("SELECT * FROM no_such_table"); }), ErrorCode::kInternal);
}

TEST(PostgresConnectionTest, AConnectionLostIsUnavailableThenMadeAgainWithItsSettings) {
  std::string conninfo = test_postgres_conninfo() + " application_name=lost_connection";
  PostgresConnection db(conninfo, milliseconds(1234));
  PostgresConnection(test_postgres_conninfo())
      .query(
          "SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity "
          "WHERE application_name = $1",
          std::string_view("lost_connection"));
  EXPECT_EQ(code_of([&] { db.query("SELECT 1"); }), ErrorCode::kUnavailable);
  EXPECT_EQ(db.query("SHOW lock_timeout").text(0, 0), "1234ms");
}

TEST(PostgresConnectionTest, ATransactionIsRolledBackUnlessCommitted) {
  PostgresConnection db(test_postgres_conninfo());
  db.execute("CREATE TEMPORARY TABLE t (x INTEGER)");
  {
    PostgresTransaction transaction(db);
    db.query("INSERT INTO t VALUES ($1)", 1);
  }
  {
    PostgresTransaction transaction(db);
    EXPECT_EQ(db.query("INSERT INTO t VALUES ($1), ($2)", 2, 3).changes(), 2);
    transaction.commit();
  }
  EXPECT_EQ(db.query("SELECT SUM(x) FROM t").integer(0, 0), 5);
}

}  // namespace
}  // namespace orfeas

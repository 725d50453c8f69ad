// The PostgreSQL server the tests run against, named by the environment variable
// ORFEAS_TEST_POSTGRES (a libpq "key=value" connection string). CTest sets it, after starting a
// throwaway server with tests/postgres/start.sh; by hand:
//   ORFEAS_TEST_POSTGRES="$(tests/postgres/start.sh /tmp/pg)" ./postgres_job_store_test
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include <gtest/gtest.h>

#include "orfeas/core/error.h"
#include "orfeas/jobs/postgres.h"

namespace orfeas {

// The server's connection string; throws, failing the test, when the variable is unset.
inline std::string test_postgres_conninfo() {
  const char* conninfo = getenv("ORFEAS_TEST_POSTGRES");
  if (conninfo == nullptr || *conninfo == '\0') {
    throw Error(ErrorCode::kUnavailable,
                "ORFEAS_TEST_POSTGRES is not set: the PostgreSQL tests need a server; start one "
                "with tests/postgres/start.sh DIR and set ORFEAS_TEST_POSTGRES to the connection "
                "string it prints (CTest does this itself)");
  }
  return conninfo;
}

// A connection string for the schema that belongs to `dir`: the first call for a directory creates
// a new, empty schema and records its name in the directory; later calls return the same schema.
inline std::string test_postgres_schema(const std::filesystem::path& dir) {
  std::filesystem::path record = dir / "postgres_schema";
  std::string schema;
  if (std::ifstream(record) >> schema) {
    return test_postgres_conninfo() + " options='-csearch_path=" + schema + "'";
  }
  std::random_device random;
  schema = "orfeas_test_" + std::to_string(random()) + "_" + std::to_string(random());
  PostgresConnection(test_postgres_conninfo()).execute("CREATE SCHEMA " + schema);
  std::ofstream(record) << schema;
  return test_postgres_schema(dir);
}

}  // namespace orfeas

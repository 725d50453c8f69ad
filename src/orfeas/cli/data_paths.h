// Where `orfeas serve` and the commands that share its data directory keep their files.
#pragma once

#include <filesystem>

namespace orfeas {

// The SQLite database: jobs, agents and the audit trail's copy.
inline std::filesystem::path database_path(const std::filesystem::path& data) {
  return data / "orfeas.db";
}
// The server key that seals agent secrets (mode 0600).
inline std::filesystem::path server_key_path(const std::filesystem::path& data) {
  return data / "server.key";
}
// The audit trail, one JSON object a line.
inline std::filesystem::path audit_trail_path(const std::filesystem::path& data) {
  return data / "audit.jsonl";
}

}  // namespace orfeas

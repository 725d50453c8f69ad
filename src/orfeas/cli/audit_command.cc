#include "orfeas/cli/audit_command.h"

#include <cstdio>
#include <filesystem>

#include "orfeas/auth/audit_log.h"
#include "orfeas/cli/data_paths.h"
#include "orfeas/cli/report_errors.h"
#include "orfeas/core/error.h"

namespace orfeas {
namespace fs = std::filesystem;
namespace {

// Throws Error{kBadInput} unless the data directory holds a database and an audit trail.
void check_data_directory(const fs::path& data) {
  if (!fs::is_directory(data)) {
    throw Error(ErrorCode::kBadInput, "data directory " + data.string() + " does not exist");
  }
  for (const fs::path& path : {database_path(data), audit_trail_path(data)}) {
    if (!fs::is_regular_file(path)) {
      throw Error(ErrorCode::kBadInput, "no audit trail: " + path.string() + " does not exist");
    }
  }
}

int verify(const fs::path& data) {
  const AuditVerification result = verify_audit_trail(database_path(data), audit_trail_path(data));
  if (!result.intact) {
    std::fprintf(stderr, "audit trail broken at line %lld: %s\n",
                 static_cast<long long>(result.first_bad_line), result.reason.c_str());
    return 1;
  }
  std::printf("audit trail intact: %lld records\n", static_cast<long long>(result.records));
  return 0;
}

int tail(const fs::path& data, std::size_t count) {
  for (const std::string& line : audit_tail(database_path(data), count)) {
    std::printf("%s\n", line.c_str());
  }
  return 0;
}

}  // namespace

CLI::App* add_audit_command(CLI::App& app, AuditArgs& args) {
  CLI::App* cmd = app.add_subcommand("audit", "check or show the audit trail of agent requests");
  cmd->require_subcommand(1);
  CLI::App* verify_cmd = cmd->add_subcommand(
      "verify", "check the hash chain and the database copy; name the first bad line");
  verify_cmd->callback([&args] { args.action = AuditArgs::Action::kVerify; });
  CLI::App* tail_cmd = cmd->add_subcommand("tail", "print the latest lines, oldest first");
  tail_cmd->callback([&args] { args.action = AuditArgs::Action::kTail; });
  tail_cmd->add_option("-n,--lines", args.count, "how many lines")->capture_default_str();
  for (CLI::App* sub : {verify_cmd, tail_cmd}) {
    sub->add_option("--data", args.data, "the server's data directory")->capture_default_str();
  }
  return cmd;
}

int run_audit(const AuditArgs& args) {
  return run_reporting_errors([&] {
    check_data_directory(args.data);
    if (args.action == AuditArgs::Action::kTail) return tail(args.data, args.count);
    return verify(args.data);
  });
}

}  // namespace orfeas

#include "orfeas/cli/sign_command.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string_view>
#include <vector>

#include "orfeas/auth/request_signing.h"
#include "orfeas/cli/report_errors.h"
#include "orfeas/core/error.h"

namespace orfeas {
namespace {

// The request target as sent: the path and query of a URL, raw; a fragment is never sent.
std::string request_target(std::string_view url) {
  for (std::string_view scheme : {"http://", "https://"}) {
    if (!url.starts_with(scheme)) continue;
    url.remove_prefix(scheme.size());
    const std::size_t authority_end = url.find_first_of("/?#");
    url.remove_prefix(authority_end == std::string_view::npos ? url.size() : authority_end);
    return request_target(url.starts_with('/') ? url : "/" + std::string(url));
  }
  if (!url.starts_with('/')) {
    throw Error(ErrorCode::kBadInput,
                "expected a URL (http://host:port/path?query) or a target (/path?query), got '" +
                    std::string(url) + "'");
  }
  return std::string(url.substr(0, url.find('#')));
}

std::string read_body(const std::string& path) {
  if (path.empty()) return "";
  std::ifstream in(path, std::ios::binary);
  std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in && !in.eof()) throw Error(ErrorCode::kBadInput, "cannot read body file " + path);
  return body;
}

std::string agent_secret() {
  const char* secret = std::getenv("ORFEAS_AGENT_SECRET");
  if (secret == nullptr || *secret == '\0') {
    throw Error(ErrorCode::kBadInput,
                "set ORFEAS_AGENT_SECRET to the agent's secret (it is never read from the command "
                "line)");
  }
  return secret;
}

}  // namespace

CLI::App* add_sign_command(CLI::App& app, SignArgs& args) {
  CLI::App* cmd = app.add_subcommand(
      "sign", "print the X-Agent-* headers that sign one request (secret: ORFEAS_AGENT_SECRET)");
  cmd->add_option("url", args.url, "http://host:port/path?query or /path?query")->required();
  cmd->add_option("--key", args.key, "the agent's API key")->required();
  cmd->add_option("--method", args.method, "the HTTP method")->capture_default_str();
  cmd->add_option("--body-file", args.body_file,
                  "the exact body to send (curl --data-binary @FILE)");
  cmd->add_flag("--curl", args.curl, "print curl -H arguments on one line");
  return cmd;
}

int run_sign(const SignArgs& args) {
  return run_reporting_errors([&] {
    const std::string secret = agent_secret();
    const std::string target = request_target(args.url);
    const std::string body = read_body(args.body_file);
    const std::int64_t timestamp = std::chrono::duration_cast<std::chrono::seconds>(
                                       std::chrono::system_clock::now().time_since_epoch())
                                       .count();
    const std::string nonce = new_nonce();
    const std::string signature = sign_request(secret, args.method, target, timestamp, nonce, body);
    // Checks the key's form, as the server will.
    parse_agent_signature(args.key, std::to_string(timestamp), nonce, signature);
    const std::vector<std::pair<std::string, std::string>> headers = {
        {"X-Agent-API-Key", args.key},
        {"X-Agent-Timestamp", std::to_string(timestamp)},
        {"X-Agent-Nonce", nonce},
        {"X-Agent-Signature", signature}};
    for (std::size_t i = 0; i < headers.size(); ++i) {
      const auto& [name, value] = headers[i];
      if (args.curl) {
        std::printf("%s-H %s:%s", i == 0 ? "" : " ", name.c_str(), value.c_str());
      } else {
        std::printf("%s: %s\n", name.c_str(), value.c_str());
      }
    }
    if (args.curl) std::printf("\n");
    return 0;
  });
}

}  // namespace orfeas

// `orfeas serve`: the job service — the web API, the browser UI, the signed agent API and the
// workers — over one data directory.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace orfeas {

struct ServeArgs {
  std::string host = "127.0.0.1";
  int port = 8080;                   // 0: a free port, printed once listening
  std::string data = "orfeas-data";  // SQLite database, uploads/ and results/; created if needed
  int workers = 0;                   // batches run at once; 0: one per core
  int max_batch = 1;                 // the CPU generators gain nothing from larger batches
  int max_queue_delay_ms = 100;
  int max_queue = 1000;
  int max_attempts = 3;
  int lease_seconds = 30;
  double retention_hours = 0;  // 0 keeps finished jobs forever
  int body_limit_mb = 25;
  int http_threads = 2;
  int shutdown_grace_seconds = 20;  // for running jobs to finish on SIGTERM before re-queueing
  // Required for the web API when `host` is not a loopback address (else it answers 403); also
  // read from ORFEAS_WEB_TOKEN.
  std::string web_token;
  std::vector<std::string> trust_proxy;  // CIDRs whose X-Forwarded-For is believed
};

CLI::App* add_serve_command(CLI::App& app, ServeArgs& args);

// Serves until SIGTERM or SIGINT, then stops gracefully: no new connections or jobs, requests in
// flight answered, running jobs given shutdown_grace_seconds to finish and re-queued otherwise.
// Prints "orfeas: listening on http://HOST:PORT" on stdout once ready and logs to stderr. Returns
// the exit code: 0 after a signal, 2 for bad arguments, 1 when the service cannot start.
int run_serve(const ServeArgs& args);

}  // namespace orfeas

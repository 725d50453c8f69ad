#include "orfeas/cli/serve_command.h"

#include <signal.h>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "orfeas/auth/agent_registry.h"
#include "orfeas/auth/audit_log.h"
#include "orfeas/auth/authenticator.h"
#include "orfeas/auth/nonce_cache.h"
#include "orfeas/cli/data_paths.h"
#include "orfeas/cli/report_errors.h"
#include "orfeas/http/agent_api.h"
#include "orfeas/http/jobs_api.h"
#include "orfeas/http/server.h"
#include "orfeas/http/web_ui.h"
#include "orfeas/jobs/mesh_job_runner.h"
#include "orfeas/jobs/scheduler.h"
#include "orfeas/jobs/sqlite_job_store.h"

namespace orfeas {
namespace {

using std::chrono::seconds;

void check_args(const ServeArgs& args) {
  auto require = [](bool ok, const char* what) {
    if (!ok) throw Error(ErrorCode::kBadInput, what);
  };
  require(args.port >= 0 && args.port <= 65535, "--port must be from 0 to 65535");
  require(args.workers >= 0, "--workers must be 0 (one per core) or more");
  require(args.max_batch >= 1, "--max-batch must be at least 1");
  require(args.max_queue_delay_ms >= 0, "--max-queue-delay-ms must not be negative");
  require(args.max_queue >= 1, "--max-queue must be at least 1");
  require(args.max_attempts >= 1, "--max-attempts must be at least 1");
  require(args.lease_seconds >= 2, "--lease-seconds must be at least 2");
  require(args.retention_hours >= 0, "--retention-hours must not be negative");
  require(args.body_limit_mb >= 1, "--body-limit-mb must be at least 1");
  require(args.http_threads >= 1, "--http-threads must be at least 1");
  require(args.shutdown_grace_seconds >= 0, "--shutdown-grace-seconds must not be negative");
}

SchedulerOptions scheduler_options(const ServeArgs& args) {
  SchedulerOptions options;
  options.max_batch = static_cast<std::size_t>(args.max_batch);
  options.max_queue_delay = std::chrono::milliseconds(args.max_queue_delay_ms);
  unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  options.workers = args.workers > 0 ? static_cast<std::size_t>(args.workers) : cores;
  options.lease = seconds(args.lease_seconds);
  options.heartbeat_interval = options.lease / 3;
  options.worker_name = "orfeas serve (pid " + std::to_string(getpid()) + ")";
  return options;
}

bool is_loopback(const std::string& host) {
  return host == "localhost" || IpNetwork::parse("127.0.0.0/8").contains(host) ||
         IpNetwork::parse("::1").contains(host);
}

// Open on loopback; elsewhere only with a token, from --web-token or ORFEAS_WEB_TOKEN.
WebAccess web_access(const ServeArgs& args) {
  std::string token = args.web_token;
  if (const char* env = std::getenv("ORFEAS_WEB_TOKEN"); token.empty() && env) token = env;
  if (!token.empty()) return {WebAccess::Mode::kToken, token};
  if (is_loopback(args.host)) return {WebAccess::Mode::kOpen, {}};
  std::fprintf(stderr,
               "orfeas: the web API and UI are off: %s is not a loopback address and no "
               "--web-token was given (the agent API is on)\n",
               args.host.c_str());
  return {WebAccess::Mode::kDisabled, {}};
}

// Nonces accepted before a restart stay refused: the audit trail has them.
void seed_nonces(NonceCache& nonces, AuditLog& audit, std::chrono::seconds window) {
  auto since = std::chrono::time_point_cast<std::chrono::milliseconds>(
      std::chrono::system_clock::now() - window);
  for (const auto& [agent_id, nonce, time] : audit.nonces_since(since)) {
    nonces.record(agent_id, nonce, time);
  }
}

// Blocks until SIGTERM or SIGINT, calling `tick` about every `period` meanwhile.
template <typename Tick>
void wait_for_signal(const sigset_t& signals, seconds period, Tick tick) {
  const timespec timeout{static_cast<time_t>(period.count()), 0};
  while (sigtimedwait(&signals, nullptr, &timeout) < 0) tick();
}

void serve(const ServeArgs& args, const sigset_t& signals) {
  const std::filesystem::path data = args.data;
  std::filesystem::create_directories(data / "uploads");
  std::filesystem::create_directories(data / "results");
  SqliteJobStore store(database_path(data));
  AgentRegistry agents(database_path(data), server_key_path(data));
  AuditLog audit(database_path(data), audit_trail_path(data));
  AuthenticatorOptions auth_options;
  NonceCache nonces(auth_options.nonce_window, auth_options.nonce_capacity);
  seed_nonces(nonces, audit, auth_options.nonce_window);
  Authenticator authenticator(agents, nonces, auth_options);
  AgentApiOptions agent_options;
  for (const std::string& cidr : args.trust_proxy) {
    agent_options.trusted_proxies.push_back(IpNetwork::parse(cidr));
  }
  MeshJobRunner runner(data);
  MetricsRegistry metrics;
  std::atomic<bool> ready = false;
  JobsApi* api_observer = nullptr;  // set before the scheduler starts; it feeds metrics and events

  SchedulerOptions options = scheduler_options(args);
  options.on_batch_finished = [&](std::size_t size, std::span<const std::vector<StageTime>> done) {
    api_observer->record_batch(size, done);
  };
  options.on_stage_entered = [&](const std::string& job_id, std::string_view stage) {
    api_observer->stage_entered(job_id, stage);
  };
  Scheduler scheduler(store, runner, options);
  JobServiceOptions service_options;
  service_options.data_dir = data;
  service_options.max_queue = static_cast<std::size_t>(args.max_queue);
  service_options.max_attempts = args.max_attempts;
  service_options.retention = std::chrono::duration_cast<seconds>(
      std::chrono::duration<double>(args.retention_hours * 3600));
  JobService service(store, scheduler, service_options);
  JobsApi api(
      service, metrics, [&] { return ready.load(); }, web_access(args));
  api_observer = &api;
  agent_options.retry_after = service_options.retry_after;
  AgentApi agent_api(service, api, authenticator, audit, agent_options);

  Router router;
  api.add_routes(router);
  agent_api.add_routes(router);
  add_web_ui_routes(router);
  ServerOptions server_options;
  server_options.host = args.host;
  server_options.port = static_cast<std::uint16_t>(args.port);
  server_options.threads = args.http_threads;
  server_options.body_limit = static_cast<std::size_t>(args.body_limit_mb) << 20;
  Server server(router, metrics, server_options);
  scheduler.start();
  ready = true;
  std::printf("orfeas: listening on http://%s:%u\n", args.host.c_str(), server.port());
  std::fflush(stdout);
  std::fprintf(stderr, "orfeas: %zu workers, data in %s\n", options.workers, data.c_str());

  auto remove_expired = [&] {
    try {
      auto now =
          std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
      if (std::size_t removed = service.remove_expired(now)) {
        std::fprintf(stderr, "orfeas: removed %zu expired jobs\n", removed);
      }
    } catch (const std::exception& e) {
      std::fprintf(stderr, "orfeas: retention failed: %s\n", e.what());
    }
  };
  remove_expired();
  seconds period(30);
  if (service_options.retention.count() > 0) {
    period = std::clamp(service_options.retention / 2, seconds(1), period);
  }
  wait_for_signal(signals, period, remove_expired);

  std::fprintf(stderr, "orfeas: stopping\n");
  ready = false;
  server.stop(std::chrono::seconds(5));
  api.close_streams();
  scheduler.stop(std::chrono::steady_clock::now() + seconds(args.shutdown_grace_seconds));
  std::fprintf(stderr, "orfeas: stopped\n");
}

}  // namespace

CLI::App* add_serve_command(CLI::App& app, ServeArgs& args) {
  CLI::App* cmd = app.add_subcommand("serve", "Run the job service: web API, browser UI, workers");
  cmd->add_option("--host", args.host, "address to listen on")->capture_default_str();
  cmd->add_option("--port", args.port, "port to listen on, 0 for any free one")
      ->capture_default_str();
  cmd->add_option("--data", args.data, "directory for the database, uploads and results")
      ->capture_default_str();
  cmd->add_option("--workers", args.workers, "batches run at once (0: one per core)")
      ->capture_default_str();
  cmd->add_option("--max-batch", args.max_batch, "most jobs in one generator batch")
      ->capture_default_str();
  cmd->add_option("--max-queue-delay-ms", args.max_queue_delay_ms,
                  "longest wait for a batch to fill")
      ->capture_default_str();
  cmd->add_option("--max-queue", args.max_queue, "queued jobs past which submissions get 503")
      ->capture_default_str();
  cmd->add_option("--max-attempts", args.max_attempts, "attempts before a job fails")
      ->capture_default_str();
  cmd->add_option("--lease-seconds", args.lease_seconds,
                  "how long a crashed worker's jobs wait before they are re-queued")
      ->capture_default_str();
  cmd->add_option("--retention-hours", args.retention_hours,
                  "remove finished jobs and their files after this long (0: keep)")
      ->capture_default_str();
  cmd->add_option("--body-limit-mb", args.body_limit_mb, "largest request body")
      ->capture_default_str();
  cmd->add_option("--http-threads", args.http_threads, "threads serving HTTP")
      ->capture_default_str();
  cmd->add_option("--web-token", args.web_token,
                  "bearer token the web API requires (needed to use it beyond loopback; or set "
                  "ORFEAS_WEB_TOKEN)");
  cmd->add_option("--trust-proxy", args.trust_proxy,
                  "CIDR of a reverse proxy whose X-Forwarded-For is believed (repeatable)");
  cmd->add_option("--shutdown-grace-seconds", args.shutdown_grace_seconds,
                  "on SIGTERM, how long running jobs may finish before being re-queued")
      ->capture_default_str();
  return cmd;
}

int run_serve(const ServeArgs& args) {
  // Every thread started from here on inherits the mask, so only sigtimedwait sees the signals.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return run_reporting_errors([&] {
    check_args(args);
    serve(args, signals);
    return 0;
  });
}

}  // namespace orfeas

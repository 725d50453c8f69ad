// The web API of the job service (/api/jobs, /api/batches, /api/generators), its health checks
// and its /metrics: request parsing and JSON rendering over JobService. The contract, route by
// route, is docs/API.md.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "orfeas/http/message.h"
#include "orfeas/http/metrics.h"
#include "orfeas/http/router.h"
#include "orfeas/jobs/job_service.h"
#include "orfeas/jobs/stage_clock.h"

namespace orfeas {

// Who may use the web API: anyone (the server listens on loopback), callers that send
// `Authorization: Bearer <token>`, or nobody (403: bound to another address without a token).
// /health/* is always open.
struct WebAccess {
  enum class Mode { kOpen, kToken, kDisabled };
  Mode mode = Mode::kOpen;
  std::string token;  // for kToken
};

// Renders a job for an event stream's data.
using JobRenderer = std::function<nlohmann::json(const JobView&)>;

class JobsApi {
 public:
  // `ready` answers /health/ready. The service and metrics must outlive the API. Declares its
  // metric families in `metrics`:
  //   orfeas_jobs{status}                      gauge, jobs in the store by status
  //   orfeas_queue_depth                       gauge, queued jobs
  //   orfeas_batch_size                        histogram, jobs per batch run
  //   orfeas_stage_duration_seconds{stage}     histogram, per stage of each succeeded job
  JobsApi(JobService& service, MetricsRegistry& metrics, std::function<bool()> ready,
          WebAccess access = {});
  // Ends the event streams still open.
  ~JobsApi();
  JobsApi(const JobsApi&) = delete;
  JobsApi& operator=(const JobsApi&) = delete;

  void add_routes(Router& router);

  // Feeds the batch and stage histograms; made for SchedulerOptions::on_batch_finished.
  void record_batch(std::size_t batch_size, std::span<const std::vector<StageTime>> succeeded);

  // Sends a progress event showing `stage` to the streams of the job at once, so that stages
  // shorter than the streams' polling are seen too; made for SchedulerOptions::on_stage_entered.
  void stage_entered(const std::string& job_id, std::string_view stage);

  // A text/event-stream response for the job: an `event: progress` with render(view) each time
  // it changes, then `event: done` once it has finished (docs/API.md). Throws Error{kNotFound}
  // for an unknown job before anything is sent.
  Response event_stream(std::string job_id, JobRenderer render);

  // Ends the event streams (they send no `done`), so that the server can stop.
  void close_streams();

 private:
  struct Stream;

  Response submit_job(const Request& request);
  Response submit_batch(const Request& request);
  Response get_job(const Request& request);
  Response list_jobs(const Request& request);
  Response cancel_job(const Request& request);
  Response get_result(const Request& request);
  Response job_events(const Request& request);
  Response metrics();
  // `handler`, run only for callers the WebAccess lets in.
  Handler guarded(Handler handler) const;
  nlohmann::json job_json(const JobView& view) const;
  void watch_streams();

  JobService& service_;
  MetricsRegistry& metrics_;
  std::function<bool()> ready_;
  WebAccess access_;

  std::mutex mutex_;  // guards streams_ and stopping_
  std::condition_variable wake_;
  std::vector<std::shared_ptr<Stream>> streams_;
  bool stopping_ = false;
  std::thread watcher_;  // sends the events of every open stream
};

// The mesh file as a download: its MIME type, and Content-Disposition naming it "<job id>.<ext>".
Response mesh_response(std::string_view job_id, MeshFile file);

}  // namespace orfeas

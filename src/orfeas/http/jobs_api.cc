#include "orfeas/http/jobs_api.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <utility>

#include "orfeas/auth/request_signing.h"
#include "orfeas/generate/registry.h"
#include "orfeas/http/job_submission.h"

namespace orfeas {
namespace {

using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

constexpr milliseconds kEventPoll{100};
constexpr std::chrono::seconds kKeepAlive{15};
constexpr std::size_t kDefaultListLimit = 50;
constexpr std::size_t kMaxListLimit = 1000;

// The token a web request carries: `Authorization: Bearer <token>`, else the orfeas_web_token
// cookie (set by the browser UI, percent-encoded); empty when neither.
std::string web_token(const Request& request) {
  constexpr std::string_view kBearer = "Bearer ";
  std::string_view authorization = request.header("Authorization");
  if (authorization.starts_with(kBearer)) return std::string(authorization.substr(kBearer.size()));
  constexpr std::string_view kCookie = "orfeas_web_token=";
  std::string_view cookies = request.header("Cookie");
  while (!cookies.empty()) {
    std::size_t end = cookies.find(';');
    std::string_view cookie = cookies.substr(0, end);
    while (cookie.starts_with(' ')) cookie.remove_prefix(1);
    if (cookie.starts_with(kCookie)) {
      try {
        return percent_decode(cookie.substr(kCookie.size()), false);
      } catch (const Error&) {
        return {};
      }
    }
    cookies = end == std::string_view::npos ? std::string_view() : cookies.substr(end + 1);
  }
  return {};
}

std::string job_url(const std::string& id) { return "/api/jobs/" + id; }

nlohmann::json accepted_json(const EnqueueResult& result) {
  const Job& job = result.job;
  return {{"job_id", job.id},
          {"status", job_status_name(job.status)},
          {"created", result.created},
          {"status_url", job_url(job.id)},
          {"events_url", job_url(job.id) + "/events"},
          {"result_url", job_url(job.id) + "/result"}};
}

std::size_t list_limit(const Request& request) {
  auto it = request.query.find("limit");
  if (it == request.query.end()) return kDefaultListLimit;
  std::size_t limit = 0;
  const std::string& text = it->second;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), limit);
  if (ec != std::errc() || ptr != text.data() + text.size() || limit == 0 ||
      limit > kMaxListLimit) {
    throw Error(ErrorCode::kBadInput, "limit must be an integer from 1 to 1000");
  }
  return limit;
}

}  // namespace

// One open /events response.
struct JobsApi::Stream {
  std::mutex mutex;  // one writer at a time, so events go out in the order the job changed
  std::string job_id;
  std::shared_ptr<StreamWriter> writer;
  JobRenderer render;
  std::string last_sent;  // the data of the last progress event
  SteadyClock::time_point last_write = SteadyClock::now();
};

JobsApi::JobsApi(JobService& service, MetricsRegistry& metrics, std::function<bool()> ready,
                 WebAccess access)
    : service_(service), metrics_(metrics), ready_(std::move(ready)), access_(std::move(access)) {
  metrics_.declare_gauge("orfeas_jobs", "Jobs in the store by status.");
  metrics_.declare_gauge("orfeas_queue_depth", "Jobs waiting in the queue.");
  metrics_.declare_histogram("orfeas_batch_size", "Jobs per batch run.", {1, 2, 4, 8, 16, 32});
  metrics_.declare_histogram("orfeas_stage_duration_seconds",
                             "Time each succeeded job spent in each stage.",
                             {0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120});
  watcher_ = std::thread([this] { watch_streams(); });
}

JobsApi::~JobsApi() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  watcher_.join();
  close_streams();
}

void JobsApi::close_streams() {
  std::vector<std::shared_ptr<Stream>> streams;
  {
    std::lock_guard lock(mutex_);
    streams.swap(streams_);
  }
  for (const auto& stream : streams) stream->writer->close();
}

void JobsApi::add_routes(Router& router) {
  auto add = [&](const char* method, const char* pattern, Handler handler) {
    router.add(method, pattern, guarded(std::move(handler)));
  };
  add("POST", "/api/jobs", [this](const Request& r) { return submit_job(r); });
  add("GET", "/api/jobs", [this](const Request& r) { return list_jobs(r); });
  add("POST", "/api/batches", [this](const Request& r) { return submit_batch(r); });
  add("GET", "/api/jobs/{id}", [this](const Request& r) { return get_job(r); });
  add("DELETE", "/api/jobs/{id}", [this](const Request& r) { return cancel_job(r); });
  add("GET", "/api/jobs/{id}/result", [this](const Request& r) { return get_result(r); });
  add("GET", "/api/jobs/{id}/events", [this](const Request& r) { return job_events(r); });
  add("GET", "/api/generators", [](const Request&) {
    nlohmann::json generators = nlohmann::json::array();
    for (std::string_view name : generator_names()) {
      generators.push_back({{"name", name}, {"options", find_generator(name).schema()}});
    }
    nlohmann::json formats = nlohmann::json::array();
    for (MeshFormat format : {MeshFormat::kStl, MeshFormat::kObj, MeshFormat::kPly,
                              MeshFormat::kGlb, MeshFormat::k3mf}) {
      formats.push_back(mesh_format_name(format));
    }
    return Response::json({{"generators", generators}, {"formats", formats}});
  });
  add("GET", "/metrics", [this](const Request&) { return metrics(); });
  router.add("GET", "/health/live", [](const Request&) {
    return Response::json({{"status", "live"}});
  });
  router.add("GET", "/health/ready", [this](const Request&) {
    if (!ready_()) throw Error(ErrorCode::kUnavailable, "the service is starting or stopping");
    return Response::json({{"status", "ready"}});
  });
}

Handler JobsApi::guarded(Handler handler) const {
  switch (access_.mode) {
    case WebAccess::Mode::kOpen:
      return handler;
    case WebAccess::Mode::kDisabled:
      return [](const Request&) -> Response {
        throw Error(ErrorCode::kForbidden,
                    "the web API is off because the server listens beyond loopback; start it "
                    "with --web-token to use it");
      };
    case WebAccess::Mode::kToken:
      break;
  }
  return [this, handler = std::move(handler)](const Request& request) {
    if (!constant_time_equal(web_token(request), access_.token)) {
      Response response = Response::error(Error(
          ErrorCode::kUnauthorized,
          "send the server's web token: Authorization: Bearer <token>, or the orfeas_web_token "
          "cookie"));
      response.headers.emplace_back("WWW-Authenticate", "Bearer");
      return response;
    }
    return handler(request);
  };
}

void JobsApi::record_batch(std::size_t batch_size,
                           std::span<const std::vector<StageTime>> succeeded) {
  metrics_.observe("orfeas_batch_size", {}, static_cast<double>(batch_size));
  for (const std::vector<StageTime>& stages : succeeded) {
    for (const StageTime& stage : stages) {
      metrics_.observe("orfeas_stage_duration_seconds", {{"stage", stage.stage}},
                       std::chrono::duration<double>(stage.duration).count());
    }
  }
}

Response JobsApi::submit_job(const Request& request) {
  Submission submission = parse_submission(request);
  if (submission.images.size() != 1) {
    throw Error(ErrorCode::kBadInput, "send one image here; use /api/batches for several");
  }
  EnqueueResult result =
      service_.submit(job_requests(request, std::move(submission), "web:" + request.remote_address))
          .front();
  Response response = Response::json(accepted_json(result), 202);
  response.headers.emplace_back("Location", job_url(result.job.id));
  return response;
}

Response JobsApi::submit_batch(const Request& request) {
  Submission submission = parse_submission(request);
  if (submission.images.size() > kMaxSubmissionImages) {
    throw Error(ErrorCode::kTooLarge, "a batch holds at most 32 images",
                {{"images", submission.images.size()}, {"max_images", kMaxSubmissionImages}});
  }
  std::vector<EnqueueResult> results = service_.submit(
      job_requests(request, std::move(submission), "web:" + request.remote_address));
  nlohmann::json ids = nlohmann::json::array();
  nlohmann::json jobs = nlohmann::json::array();
  for (const EnqueueResult& result : results) {
    ids.push_back(result.job.id);
    jobs.push_back(accepted_json(result));
  }
  const std::optional<std::string>& batch = results.front().job.batch_id;
  return Response::json({{"batch_id", batch ? nlohmann::json(*batch) : nlohmann::json()},
                         {"job_ids", ids},
                         {"jobs", jobs}},
                        202);
}

nlohmann::json JobsApi::job_json(const JobView& view) const {
  nlohmann::json json = to_json(view.job);
  json["queue_position"] =
      view.queue_position ? nlohmann::json(*view.queue_position) : nlohmann::json();
  json["eta_seconds"] = view.eta ? nlohmann::json(std::chrono::duration<double>(*view.eta).count())
                                 : nlohmann::json();
  json["status_url"] = job_url(view.job.id);
  json["result_url"] = job_url(view.job.id) + "/result";
  return json;
}

Response JobsApi::get_job(const Request& request) {
  return Response::json(job_json(service_.view(request.path_params.at("id"))));
}

Response JobsApi::list_jobs(const Request& request) {
  JobFilter filter;
  filter.limit = list_limit(request);
  if (auto it = request.query.find("status"); it != request.query.end() && !it->second.empty()) {
    filter.status = parse_job_status(it->second);
  }
  nlohmann::json jobs = nlohmann::json::array();
  for (Job& job : service_.list(filter)) {
    jobs.push_back(job_json(job.status == JobStatus::kQueued ? service_.view(job.id)
                                                             : JobView{std::move(job), {}, {}}));
  }
  return Response::json({{"jobs", jobs}});
}

Response JobsApi::cancel_job(const Request& request) {
  return Response::json(job_json({service_.cancel(request.path_params.at("id")), {}, {}}));
}

Response JobsApi::get_result(const Request& request) {
  const std::string& id = request.path_params.at("id");
  std::optional<MeshFormat> format;
  if (auto it = request.query.find("format"); it != request.query.end()) {
    format = parse_mesh_format(it->second);
  }
  return mesh_response(id, service_.result(id, format));
}

Response mesh_response(std::string_view job_id, MeshFile file) {
  Response response;
  response.content_type = std::string(mesh_format_mime_type(file.format));
  response.headers.emplace_back("Content-Disposition",
                                "attachment; filename=\"" + std::string(job_id) + "." +
                                    std::string(mesh_format_name(file.format)) + "\"");
  response.body = std::move(file.bytes);
  return response;
}

Response JobsApi::job_events(const Request& request) {
  return event_stream(request.path_params.at("id"),
                      [this](const JobView& view) { return job_json(view); });
}

Response JobsApi::event_stream(std::string job_id, JobRenderer render) {
  auto stream = std::make_shared<Stream>();
  stream->job_id = std::move(job_id);
  stream->render = std::move(render);
  service_.view(stream->job_id);  // 404 now rather than an empty stream
  return Response::event_stream([this, stream](std::shared_ptr<StreamWriter> writer) {
    stream->writer = std::move(writer);
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return stream->writer->close();
      streams_.push_back(stream);
    }
    wake_.notify_all();
  });
}

void JobsApi::stage_entered(const std::string& job_id, std::string_view stage) {
  std::vector<std::shared_ptr<Stream>> streams;
  {
    std::lock_guard lock(mutex_);
    for (const auto& stream : streams_) {
      if (stream->job_id == job_id) streams.push_back(stream);
    }
  }
  for (const auto& stream : streams) {
    std::lock_guard stream_lock(stream->mutex);
    try {
      nlohmann::json json = stream->render(service_.view(job_id));
      json["stage"] = stage;  // as progress() shows it: the runner waits for this call
      std::string data = json.dump();
      if (data == stream->last_sent) continue;
      stream->writer->write(sse_event("progress", data));
      stream->last_sent = std::move(data);
      stream->last_write = SteadyClock::now();
    } catch (const std::exception&) {
      // The watcher sends the job's state at its next poll.
    }
  }
}

void JobsApi::watch_streams() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    std::vector<std::shared_ptr<Stream>> streams = streams_;
    lock.unlock();
    std::vector<std::shared_ptr<Stream>> ended;
    for (const auto& stream : streams) {
      std::lock_guard stream_lock(stream->mutex);
      bool open = true;
      try {
        JobView view = service_.view(stream->job_id);
        std::string data = stream->render(view).dump();
        if (data != stream->last_sent) {
          open = stream->writer->write(sse_event("progress", data));
          stream->last_sent = std::move(data);
          stream->last_write = SteadyClock::now();
        }
        if (open && is_finished(view.job.status)) {
          stream->writer->write(sse_event("done", stream->last_sent));
          open = false;
        }
      } catch (const Error& e) {
        stream->writer->write(sse_event("error", e.to_json().dump()));
        open = false;
      } catch (const std::exception&) {
        open = true;  // the store is busy: try again at the next poll
      }
      if (open && SteadyClock::now() - stream->last_write > kKeepAlive) {
        open = stream->writer->write(": keep-alive\n\n");
        stream->last_write = SteadyClock::now();
      }
      if (!open) {
        stream->writer->close();
        ended.push_back(stream);
      }
    }
    lock.lock();
    std::erase_if(streams_, [&](const auto& stream) {
      return std::find(ended.begin(), ended.end(), stream) != ended.end();
    });
    wake_.wait_for(lock, kEventPoll, [&] { return stopping_; });
  }
}

Response JobsApi::metrics() {
  std::size_t queued = 0;
  for (const auto& [status, count] : service_.count_by_status()) {
    metrics_.set("orfeas_jobs", {{"status", std::string(job_status_name(status))}},
                 static_cast<double>(count));
    if (status == JobStatus::kQueued) queued = count;
  }
  metrics_.set("orfeas_queue_depth", {}, static_cast<double>(queued));
  return Response::text(metrics_.render(), std::string(kPrometheusContentType));
}

}  // namespace orfeas

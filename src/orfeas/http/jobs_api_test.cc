// The web API through the router, over a real SQLite store, scheduler and mesh runner.
#include "orfeas/http/jobs_api.h"

#include <atomic>
#include <fstream>
#include <iterator>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "orfeas/http/test_http.h"
#include "orfeas/jobs/mesh_job_runner.h"
#include "orfeas/jobs/sqlite_job_store.h"
#include "orfeas/jobs/test_directory.h"
#include "orfeas/jobs/test_scheduler_options.h"

namespace orfeas {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using test::header_of;
using test::read_text;

// Collects what a streamed response writes.
class RecordingWriter : public StreamWriter {
 public:
  bool write(std::string data) override {
    std::lock_guard lock(mutex_);
    text_ += data;
    return !closed_;
  }
  void close() override {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  bool closed() const {
    std::lock_guard lock(mutex_);
    return closed_;
  }
  std::string text() const {
    std::lock_guard lock(mutex_);
    return text_;
  }

 private:
  mutable std::mutex mutex_;
  std::string text_;
  bool closed_ = false;
};

class JobsApiTest : public testing::Test {
 protected:
  JobsApiTest() { api_.add_routes(router_); }

  Response call(std::string method, std::string target, std::string body = {},
                std::string content_type = {}, HeaderList headers = {}) {
    Request request;
    request.method = std::move(method);
    request.target = std::move(target);
    request.body = std::move(body);
    request.remote_address = "127.0.0.1";
    if (!content_type.empty()) request.headers.emplace_back("Content-Type", content_type);
    for (auto& header : headers) request.headers.push_back(std::move(header));
    return router_.handle(request);
  }
  Response submit_multipart(const std::vector<std::string>& images,
                            const std::vector<std::pair<std::string, std::string>>& fields,
                            std::string target = "/api/jobs", HeaderList headers = {}) {
    std::string body;
    for (const std::string& image : images) {
      body +=
          "--XyZ\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.png\"\r\n"
          "Content-Type: image/png\r\n\r\n" +
          image + "\r\n";
    }
    for (const auto& [name, value] : fields) {
      body +=
          "--XyZ\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + value + "\r\n";
    }
    body += "--XyZ--\r\n";
    return call("POST", std::move(target), body, "multipart/form-data; boundary=XyZ",
                std::move(headers));
  }
  static nlohmann::json json_of(const Response& response) {
    return nlohmann::json::parse(response.body);
  }
  std::string error_code(const Response& response) {
    return json_of(response)["error"]["code"].get<std::string>();
  }
  bool finishes(const std::string& id) {
    for (int i = 0; i < 2000; ++i) {
      if (json_of(call("GET", "/api/jobs/" + id))["finished_at"].is_string()) return true;
      std::this_thread::sleep_for(milliseconds(5));
    }
    return false;
  }
  TestDirectory directory_;
  std::string photo_ = read_text(fs::path(ORFEAS_TEST_DATA) / "images/rgba_object.png");
  SqliteJobStore store_{directory_.path() / "jobs.db"};
  MeshJobRunner runner_{directory_.path()};
  Scheduler scheduler_{store_, runner_, test::fast_scheduler_options()};
  JobService service_{store_, scheduler_, {.data_dir = directory_.path(), .max_queue = 4}};
  MetricsRegistry metrics_;
  std::atomic<bool> ready_ = false;
  JobsApi api_{service_, metrics_, [this] { return ready_.load(); }};
  Router router_;
};

TEST_F(JobsApiTest, AMultipartJobRunsAndItsMeshDownloadsInTheAskedFormat) {
  Response accepted = submit_multipart({photo_}, {{"resolution", "24"}, {"format", "glb"}});
  ASSERT_EQ(accepted.status, 202) << accepted.body;
  nlohmann::json body = json_of(accepted);
  std::string id = body["job_id"];
  EXPECT_EQ(body["status"], "queued");
  EXPECT_EQ(body["result_url"], "/api/jobs/" + id + "/result");
  EXPECT_EQ(header_of(accepted, "Location"), "/api/jobs/" + id);

  nlohmann::json queued = json_of(call("GET", "/api/jobs/" + id));
  EXPECT_EQ(queued["queue_position"], 0);
  EXPECT_TRUE(queued["eta_seconds"].is_null());
  EXPECT_EQ(queued["options"]["resolution"], 24);
  EXPECT_EQ(error_code(call("GET", "/api/jobs/" + id + "/result")), "conflict");

  scheduler_.start();
  ASSERT_TRUE(finishes(id));
  nlohmann::json done = json_of(call("GET", "/api/jobs/" + id));
  EXPECT_EQ(done["status"], "succeeded");
  EXPECT_TRUE(done["report"]["closed"]);
  Response glb = call("GET", "/api/jobs/" + id + "/result");
  EXPECT_EQ(glb.status, 200);
  EXPECT_EQ(glb.content_type, "model/gltf-binary");
  EXPECT_EQ(header_of(glb, "Content-Disposition"), "attachment; filename=\"" + id + ".glb\"");
  Response stl = call("GET", "/api/jobs/" + id + "/result?format=stl");
  EXPECT_EQ(stl.content_type, "model/stl");
  EXPECT_EQ(error_code(call("GET", "/api/jobs/" + id + "/result?format=dwg")), "bad_input");
  EXPECT_EQ(error_code(call("DELETE", "/api/jobs/" + id)), "conflict");

  std::vector<std::vector<StageTime>> stages = {{{"field", milliseconds(30)}}};
  api_.record_batch(2, stages);
  std::string metrics = call("GET", "/metrics").body;
  EXPECT_NE(metrics.find("orfeas_jobs{status=\"succeeded\"} 1"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("orfeas_queue_depth 0"), std::string::npos);
  EXPECT_NE(
      metrics.find("orfeas_batch_size_bucket{le=\"1\"} 0\norfeas_batch_size_bucket{le=\"2\"} 1"),
      std::string::npos);
  EXPECT_NE(metrics.find("orfeas_stage_duration_seconds_bucket{le=\"0.05\",stage=\"field\"} 1"),
            std::string::npos);
}

TEST_F(JobsApiTest, JsonJobsBatchesAndIdempotencyKeys) {
  std::string base64 = "data:image/png;base64,";
  {
    // Encoded by hand to keep the test free of a second base64 implementation: a tiny PNG.
    std::string tiny = read_text(fs::path(ORFEAS_TEST_DATA) / "images/rgba_object.png");
    static const char* alphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (std::size_t i = 0; i < tiny.size(); i += 3) {
      unsigned n = static_cast<unsigned char>(tiny[i]) << 16;
      if (i + 1 < tiny.size()) n |= static_cast<unsigned char>(tiny[i + 1]) << 8;
      if (i + 2 < tiny.size()) n |= static_cast<unsigned char>(tiny[i + 2]);
      base64 += alphabet[(n >> 18) & 63];
      base64 += alphabet[(n >> 12) & 63];
      base64 += i + 1 < tiny.size() ? alphabet[(n >> 6) & 63] : '=';
      base64 += i + 2 < tiny.size() ? alphabet[n & 63] : '=';
    }
  }
  HeaderList key = {{"Idempotency-Key", "abc"}};
  nlohmann::json request = {{"image", base64}, {"method", "relief"}, {"priority", 3}};
  Response first = call("POST", "/api/jobs", request.dump(), "application/json", key);
  ASSERT_EQ(first.status, 202) << first.body;
  Response again = call("POST", "/api/jobs", request.dump(), "application/json", key);
  EXPECT_EQ(json_of(again)["job_id"], json_of(first)["job_id"]);
  EXPECT_FALSE(json_of(again)["created"]);

  Response batch = call("POST", "/api/batches",
                        nlohmann::json{{"images", {base64, base64}}, {"resolution", 20}}.dump(),
                        "application/json");
  ASSERT_EQ(batch.status, 202) << batch.body;
  nlohmann::json ids = json_of(batch)["job_ids"];
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_TRUE(json_of(batch)["batch_id"].is_string());
  EXPECT_EQ(json_of(call("GET", "/api/jobs/" + ids[1].get<std::string>()))["queue_position"], 2);

  Response full = submit_multipart({photo_, photo_}, {}, "/api/batches");
  EXPECT_EQ(full.status, 503);
  EXPECT_EQ(header_of(full, "Retry-After"), "5");

  nlohmann::json listed = json_of(call("GET", "/api/jobs?status=queued&limit=3"));
  ASSERT_EQ(listed["jobs"].size(), 3u);
  EXPECT_EQ(listed["jobs"][2]["job_id"], json_of(first)["job_id"]);  // newest first
}

TEST_F(JobsApiTest, BadRequestsGetTheErrorTheyDeserve) {
  EXPECT_EQ(call("POST", "/api/jobs", "x", "text/plain").status, 400);
  EXPECT_EQ(call("POST", "/api/jobs", "[1]", "application/json").status, 400);
  EXPECT_EQ(call("POST", "/api/jobs", "{\"image\": 5}", "application/json").status, 400);
  EXPECT_EQ(call("POST", "/api/jobs", "{\"images\": [5]}", "application/json").status, 400);
  EXPECT_EQ(call("POST", "/api/jobs", "{\"image\": \"%%%%\"}", "application/json").status, 400);
  EXPECT_EQ(call("POST", "/api/jobs", "{\"method\": \"inflate\"}", "application/json").status, 400);
  EXPECT_EQ(submit_multipart({photo_, photo_}, {}).status, 400);
  EXPECT_EQ(submit_multipart({"not a photo"}, {}).status, 400);
  EXPECT_EQ(submit_multipart({photo_}, {{"resolution", "huge"}}).status, 400);
  EXPECT_EQ(submit_multipart({photo_}, {{"wings", "2"}}).status, 400);
  EXPECT_EQ(submit_multipart({photo_}, {}, "/api/jobs", {{"Idempotency-Key", "a b"}}).status, 400);
  EXPECT_EQ(submit_multipart(std::vector<std::string>(33, photo_), {}, "/api/batches").status, 413);
  EXPECT_EQ(call("GET", "/api/jobs/nope").status, 404);
  EXPECT_EQ(call("GET", "/api/jobs/nope/result").status, 404);
  EXPECT_EQ(call("GET", "/api/jobs/nope/events").status, 404);
  EXPECT_EQ(call("DELETE", "/api/jobs/nope").status, 404);
  EXPECT_EQ(call("GET", "/api/jobs?limit=0").status, 400);
  EXPECT_EQ(call("GET", "/api/jobs?limit=x").status, 400);
  EXPECT_EQ(call("GET", "/api/jobs?status=lost").status, 400);
  std::string body =
      "--XyZ\r\nContent-Disposition: form-data; name=\"other\"; filename=\"a\"\r\n\r\n"
      "x\r\n--XyZ--\r\n";
  EXPECT_EQ(call("POST", "/api/jobs", body, "multipart/form-data; boundary=XyZ").status, 400);
}

TEST_F(JobsApiTest, CancellingAQueuedJobAndTheServiceEndpoints) {
  std::string id = json_of(submit_multipart({photo_}, {}))["job_id"];
  Response cancelled = call("DELETE", "/api/jobs/" + id);
  EXPECT_EQ(cancelled.status, 200);
  EXPECT_EQ(json_of(cancelled)["status"], "cancelled");
  EXPECT_EQ(call("DELETE", "/api/jobs/" + id).status, 200);  // cancelling again changes nothing
  EXPECT_EQ(json_of(call("GET", "/api/jobs?status=cancelled"))["jobs"].size(), 1u);

  EXPECT_EQ(call("GET", "/health/live").status, 200);
  EXPECT_EQ(call("GET", "/health/ready").status, 503);
  ready_ = true;
  EXPECT_EQ(call("GET", "/health/ready").status, 200);
  nlohmann::json generators = json_of(call("GET", "/api/generators"));
  EXPECT_EQ(generators["generators"][0]["name"], "inflate");
  EXPECT_TRUE(generators["generators"][0]["options"]["properties"].contains("resolution"));
  EXPECT_EQ(generators["formats"].size(), 5u);
}

TEST_F(JobsApiTest, EventsFollowAJobToTheEnd) {
  std::string id = json_of(submit_multipart({photo_}, {{"resolution", "24"}}))["job_id"];
  Response events = call("GET", "/api/jobs/" + id + "/events");
  ASSERT_EQ(events.content_type, "text/event-stream");
  auto writer = std::make_shared<RecordingWriter>();
  events.stream(writer);
  for (int i = 0; i < 2000 && writer->text().empty(); ++i) {
    std::this_thread::sleep_for(milliseconds(5));
  }
  scheduler_.start();
  for (int i = 0; i < 2000 && !writer->closed(); ++i) std::this_thread::sleep_for(milliseconds(5));
  ASSERT_TRUE(writer->closed());
  std::string text = writer->text();
  std::size_t queued = text.find("\"status\":\"queued\"");
  std::size_t succeeded = text.find("\"status\":\"succeeded\"");
  std::size_t done = text.find("event: done\n");
  EXPECT_EQ(text.find("event: progress\n"), 0u);
  ASSERT_NE(queued, std::string::npos);
  ASSERT_NE(succeeded, std::string::npos);
  EXPECT_LT(queued, succeeded);
  EXPECT_LT(succeeded, done);

  Response late = call("GET", "/api/jobs/" + id + "/events");
  auto stage_writer = std::make_shared<RecordingWriter>();
  late.stream(stage_writer);
  api_.stage_entered(id, "prepare");  // a stage shorter than the polling is still announced
  api_.stage_entered("another-job", "field");
  EXPECT_NE(stage_writer->text().find("\"stage\":\"prepare\""), std::string::npos);
  EXPECT_EQ(stage_writer->text().find("\"stage\":\"field\""), std::string::npos);
  late = call("GET", "/api/jobs/" + id + "/events");
  auto closed_writer = std::make_shared<RecordingWriter>();
  api_.close_streams();
  late.stream(closed_writer);
  for (int i = 0; i < 2000 && !closed_writer->closed(); ++i) {
    std::this_thread::sleep_for(milliseconds(5));
  }
  EXPECT_NE(closed_writer->text().find("event: done"), std::string::npos);
}

// The same API with a web access policy, on its own router.
class GuardedJobsApiTest : public JobsApiTest {
 protected:
  Response guarded_call(JobsApi& api, HeaderList headers, std::string target = "/api/jobs") {
    Router router;
    api.add_routes(router);
    Request request;
    request.method = "GET";
    request.target = std::move(target);
    request.headers = std::move(headers);
    return router.handle(request);
  }
  MetricsRegistry other_metrics_;
};

TEST_F(GuardedJobsApiTest, ATokenGuardsEveryRouteButHealth) {
  JobsApi api(service_, other_metrics_, [] { return true; },
              {WebAccess::Mode::kToken, "s3cret token"});
  Response refused = guarded_call(api, {});
  EXPECT_EQ(refused.status, 401);
  EXPECT_EQ(header_of(refused, "WWW-Authenticate"), "Bearer");
  EXPECT_EQ(guarded_call(api, {{"Authorization", "Bearer wrong"}}).status, 401);
  EXPECT_EQ(guarded_call(api, {{"Authorization", "Bearer s3cret token"}}).status, 200);
  EXPECT_EQ(guarded_call(api, {{"Cookie", "a=b; orfeas_web_token=s3cret%20token"}}).status, 200);
  EXPECT_EQ(guarded_call(api, {{"Cookie", "orfeas_web_token=%zz"}}).status, 401);
  EXPECT_EQ(guarded_call(api, {}, "/metrics").status, 401);
  EXPECT_EQ(guarded_call(api, {}, "/health/live").status, 200);
}

TEST_F(GuardedJobsApiTest, ADisabledWebApiSaysWhyAndHealthStaysOpen) {
  JobsApi api(service_, other_metrics_, [] { return true; }, {WebAccess::Mode::kDisabled, {}});
  Response refused = guarded_call(api, {{"Authorization", "Bearer anything"}});
  EXPECT_EQ(refused.status, 403);
  EXPECT_NE(refused.body.find("--web-token"), std::string::npos);
  EXPECT_EQ(guarded_call(api, {}, "/health/ready").status, 200);
}

}  // namespace
}  // namespace orfeas

#include "orfeas/http/job_submission.h"

#include <algorithm>
#include <charconv>
#include <utility>

#include "orfeas/http/base64.h"
#include "orfeas/http/multipart.h"

namespace orfeas {
namespace {

constexpr std::size_t kMaxIdempotencyKey = 200;

// A multipart field's text as JSON: a number when all of it reads as one, else a string.
nlohmann::json field_value(std::string_view text) {
  double number = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, number);
  if (!text.empty() && ec == std::errc() && ptr == end) return number;
  return std::string(text);
}

Submission parse_multipart_submission(const Request& request) {
  Submission submission;
  MultipartLimits limits;
  limits.max_parts = kMaxSubmissionImages + 16;
  for (const MultipartPart& part :
       parse_multipart(request.header("Content-Type"), request.body, limits)) {
    if (part.name == "image" || part.name == "images") {
      submission.images.emplace_back(part.body);
    } else if (part.filename) {
      throw Error(ErrorCode::kBadInput,
                  "unexpected file part '" + part.name + "'; send the photo as 'image'");
    } else {
      submission.options[part.name] = field_value(part.body);
    }
  }
  return submission;
}

Submission parse_json_submission(const Request& request) {
  nlohmann::json body = nlohmann::json::parse(request.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    throw Error(ErrorCode::kBadInput, "the body must be a JSON object");
  }
  Submission submission;
  for (const auto& [name, value] : body.items()) {
    if (name == "image" && value.is_string()) {
      submission.images.push_back(decode_base64(value.get<std::string>()));
    } else if (name == "images" && value.is_array()) {
      for (const nlohmann::json& image : value) {
        if (!image.is_string()) throw Error(ErrorCode::kBadInput, "images must be base64 strings");
        submission.images.push_back(decode_base64(image.get<std::string>()));
      }
    } else if (name == "image" || name == "images") {
      throw Error(ErrorCode::kBadInput, "'" + name + "' must be base64 text (a list for images)");
    } else {
      submission.options[name] = value;
    }
  }
  return submission;
}

std::optional<std::string> idempotency_key(const Request& request) {
  std::string_view key = request.header("Idempotency-Key");
  if (key.empty()) return std::nullopt;
  bool printable = std::all_of(key.begin(), key.end(), [](char c) { return c > 32 && c < 127; });
  if (key.size() > kMaxIdempotencyKey || !printable) {
    throw Error(ErrorCode::kBadInput, "Idempotency-Key must be 1 to 200 printable characters");
  }
  return std::string(key);
}

}  // namespace

Submission parse_submission(const Request& request) {
  std::string_view type = request.header("Content-Type");
  Submission submission;
  if (type.starts_with("multipart/form-data")) {
    submission = parse_multipart_submission(request);
  } else if (type.starts_with("application/json")) {
    submission = parse_json_submission(request);
  } else {
    throw Error(ErrorCode::kBadInput, "send multipart/form-data or application/json");
  }
  if (submission.images.empty()) {
    throw Error(ErrorCode::kBadInput, "no image was sent: add an 'image' part or field");
  }
  return submission;
}

std::vector<JobRequest> job_requests(const Request& request, Submission submission,
                                     const std::string& submitter) {
  std::optional<std::string> key = idempotency_key(request);
  std::vector<JobRequest> requests;
  for (std::size_t i = 0; i < submission.images.size(); ++i) {
    JobRequest job;
    job.image = std::move(submission.images[i]);
    job.options = submission.options;
    job.submitter = submitter;
    if (key)
      job.idempotency_key = submission.images.size() == 1 ? *key : *key + "#" + std::to_string(i);
    requests.push_back(std::move(job));
  }
  return requests;
}

}  // namespace orfeas

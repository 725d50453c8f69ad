// What a POST that submits photos carries — multipart/form-data or JSON with base64 images — read
// into the job service's requests. Shared by the web API and the agent API.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "orfeas/http/message.h"
#include "orfeas/jobs/job_service.h"

namespace orfeas {

// The most photos one request may carry.
inline constexpr std::size_t kMaxSubmissionImages = 32;

// One POST's images and the options that apply to all of them.
struct Submission {
  std::vector<std::string> images;
  nlohmann::json options = nlohmann::json::object();
};

// Reads `image`/`images` parts or fields and every other part or field as an option (a multipart
// field that reads fully as a number becomes one). Throws Error{kBadInput} for another content
// type, a malformed body, bad base64, or no image.
Submission parse_submission(const Request& request);

// One JobRequest per image, from `submitter`, with the request's Idempotency-Key (1 to 200
// printable characters, else Error{kBadInput}); image i of several gets the key "KEY#i".
std::vector<JobRequest> job_requests(const Request& request, Submission submission,
                                     const std::string& submitter);

}  // namespace orfeas

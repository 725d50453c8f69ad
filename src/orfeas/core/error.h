// The one error type of Orfeas. Every failure a caller can see is an Error with a code, a human
// message and optional structured details. HTTP maps the code to a status, the CLI to an exit code.
#pragma once

#include <cstddef>
#include <exception>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace orfeas {

enum class ErrorCode {
  kBadInput,      // the caller sent something malformed or unsupported
  kTooLarge,      // the input exceeds a size limit
  kUnauthorized,  // missing or invalid credentials
  kForbidden,     // valid credentials, operation not allowed
  kNotFound,
  kConflict,     // the request clashes with the current state
  kRateLimited,  // too many requests; retry later
  kUnavailable,  // temporarily unable to serve (queue full, shutting down, feature not built)
  kCancelled,    // the work was cancelled by request before it finished
  kInternal,     // a bug or an environment failure; never the caller's fault
};

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, std::string message, nlohmann::json details = nlohmann::json::object());

  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  const nlohmann::json& details() const { return details_; }

  // {"error":{"code":"bad_input","message":"...","details":{...}}}
  nlohmann::json to_json() const;

 private:
  ErrorCode code_;
  std::string message_;
  nlohmann::json details_;
};

// The wire name of a code: "bad_input", "too_large", ...
std::string_view error_code_name(ErrorCode code);

// The HTTP status for a code: 400, 413, 401, 403, 404, 409, 429, 503, 409 (cancelled), 500.
int http_status(ErrorCode code);

// The process exit code for a code: 2 for caller errors, 1 for internal and environment errors.
int exit_code(ErrorCode code);

// For work done for several items at once, whose outcomes (a variant holding Error) are kept one
// per item: runs `step`, and when it throws, the outcome of every item in `items` becomes the
// Error (anything else thrown becomes Error{kInternal} with its what()).
template <typename Outcome, typename Step>
void record_errors(std::vector<Outcome>& outcomes, std::span<const std::size_t> items, Step step) {
  try {
    step();
  } catch (const Error& e) {
    for (std::size_t i : items) outcomes[i] = e;
  } catch (const std::exception& e) {
    for (std::size_t i : items) outcomes[i] = Error(ErrorCode::kInternal, e.what());
  }
}

}  // namespace orfeas

#include "orfeas/core/error.h"

namespace orfeas {

Error::Error(ErrorCode code, std::string message, nlohmann::json details)
    : std::runtime_error(message),
      code_(code),
      message_(std::move(message)),
      details_(std::move(details)) {}

nlohmann::json Error::to_json() const {
  return {{"error",
           {{"code", error_code_name(code_)}, {"message", message_}, {"details", details_}}}};
}

std::string_view error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::kBadInput: return "bad_input";
    case ErrorCode::kTooLarge: return "too_large";
    case ErrorCode::kUnauthorized: return "unauthorized";
    case ErrorCode::kForbidden: return "forbidden";
    case ErrorCode::kNotFound: return "not_found";
    case ErrorCode::kConflict: return "conflict";
    case ErrorCode::kRateLimited: return "rate_limited";
    case ErrorCode::kUnavailable: return "unavailable";
    case ErrorCode::kCancelled: return "cancelled";
    case ErrorCode::kInternal: return "internal";
  }
  return "internal";
}

int http_status(ErrorCode code) {
  switch (code) {
    case ErrorCode::kBadInput: return 400;
    case ErrorCode::kTooLarge: return 413;
    case ErrorCode::kUnauthorized: return 401;
    case ErrorCode::kForbidden: return 403;
    case ErrorCode::kNotFound: return 404;
    case ErrorCode::kConflict: return 409;
    case ErrorCode::kRateLimited: return 429;
    case ErrorCode::kUnavailable: return 503;
    case ErrorCode::kCancelled: return 409;
    case ErrorCode::kInternal: return 500;
  }
  return 500;
}

int exit_code(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInternal:
    case ErrorCode::kUnavailable:
    case ErrorCode::kCancelled: return 1;
    default: return 2;
  }
}

}  // namespace orfeas

#include "orfeas/http/message.h"

#include <algorithm>

namespace orfeas {
namespace {

// ASCII case folding, as HTTP field names want (no locale).
char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  return std::ranges::equal(a, b, [](char x, char y) { return ascii_lower(x) == ascii_lower(y); });
}

}  // namespace

std::string_view Request::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (equals_ignoring_case(key, name)) return value;
  }
  return {};
}

Response Response::json(const nlohmann::json& body, int status) {
  Response response;
  response.status = status;
  response.body = body.dump();
  return response;
}

Response Response::text(std::string body, std::string content_type) {
  Response response;
  response.content_type = std::move(content_type);
  response.body = std::move(body);
  return response;
}

Response Response::error(const Error& error) {
  Response response = json(error.to_json(), http_status(error.code()));
  const nlohmann::json& retry_after = error.details().value("retry_after_seconds", nlohmann::json());
  if (retry_after.is_number_integer()) {
    response.headers.emplace_back("Retry-After", std::to_string(retry_after.get<long long>()));
  }
  return response;
}

Response Response::event_stream(StreamProducer producer) {
  Response response;
  response.content_type = "text/event-stream";
  response.headers.emplace_back("Cache-Control", "no-cache");
  response.stream = std::move(producer);
  return response;
}

std::string sse_event(std::string_view event, std::string_view data) {
  std::string frame;
  if (!event.empty()) frame.append("event: ").append(event).append("\n");
  while (true) {
    const std::size_t end = data.find('\n');
    frame.append("data: ").append(data.substr(0, end)).append("\n");
    if (end == std::string_view::npos) break;
    data.remove_prefix(end + 1);
  }
  return frame + "\n";
}

}  // namespace orfeas

// An HTTP request and response as route handlers see them, free of the server's wire types.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "orfeas/core/error.h"

namespace orfeas {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct Request {
  // Set by the server from the wire.
  std::string method;  // "GET", "POST", ...
  std::string target;  // the raw request target: path and query, still percent-encoded
  HeaderList headers;
  std::string body;
  std::string remote_address;  // the peer's IP address; empty when unknown
  // Set by the router before the handler runs.
  std::string path;                                // the decoded path, without the query
  std::string route;                               // the matched pattern; empty when none matched
  std::map<std::string, std::string> path_params;  // {name} segments of the pattern, decoded
  std::map<std::string, std::string> query;        // decoded; a repeated key keeps its last value

  // The value of the first header named `name` (case-insensitive); empty when absent.
  std::string_view header(std::string_view name) const;
};

// The body of a streamed response, written piece by piece over time. Any thread may call it; the
// pieces go out in call order. The stream ends when every copy of the writer's shared_ptr is gone
// or close() is called, and ends by itself when the client disconnects or the server stops, after
// which write() returns false. Release the writer before the Server is destroyed.
class StreamWriter {
 public:
  virtual ~StreamWriter() = default;
  // Queues `data`; false (and nothing queued) once the stream has ended.
  virtual bool write(std::string data) = 0;
  // Ends the stream once the queued data is sent; the connection then closes.
  virtual void close() = 0;
};

// Called once, on the connection's executor, after the response headers are sent. It must not
// block: keep the writer and write from wherever the events come from.
using StreamProducer = std::function<void(std::shared_ptr<StreamWriter>)>;

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  HeaderList headers;  // extra headers
  std::string body;
  StreamProducer stream;  // set: the body is streamed and the connection closes after it

  static Response json(const nlohmann::json& body, int status = 200);
  static Response text(std::string body, std::string content_type = "text/plain; charset=utf-8");
  // The error's status and its JSON body {"error":{"code","message","details"}}, with a
  // Retry-After header when the details hold an integer "retry_after_seconds".
  static Response error(const Error& error);
  // A text/event-stream response fed by `producer`.
  static Response event_stream(StreamProducer producer);
};

// One server-sent event frame: "event: NAME\n" (omitted when `event` is empty), one "data: " line
// per line of `data`, then a blank line.
std::string sse_event(std::string_view event, std::string_view data);

}  // namespace orfeas

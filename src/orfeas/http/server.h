// An asynchronous HTTP/1.1 server: a small fixed pool of I/O threads serves every connection, one
// session object per connection, with keep-alive, timeouts, a body limit and a graceful stop.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "orfeas/http/metrics.h"
#include "orfeas/http/router.h"

namespace orfeas {

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;  // 0: an ephemeral port, see Server::port()
  int threads = 2;
  // From the start of a request (or of the wait for the next one on a kept-alive connection) to
  // the end of its headers; past it the connection closes without a response.
  std::chrono::milliseconds header_timeout = std::chrono::seconds(10);
  // To read the body once the headers are in, and to write each response.
  std::chrono::milliseconds body_timeout = std::chrono::seconds(60);
  // A larger body gets 413 too_large and the connection closes.
  std::size_t body_limit = 25 * 1024 * 1024;
};

// Requests go to `router`; handlers run on the I/O threads, so they must not block for long
// (hand long work to other threads). Each request is recorded in `metrics`, which the server
// declares its families in:
//   orfeas_http_requests_total{route,status}        counter
//   orfeas_http_request_duration_seconds{route}     histogram, until the handler returns
// where route is the matched pattern, "unmatched" when none matched and "invalid" for requests
// rejected before routing (malformed, too large). The server offers no routes of its own.
class Server {
 public:
  // Binds host:port and starts serving. Throws Error{kUnavailable} when it cannot bind. The router
  // and metrics must outlive the server.
  Server(const Router& router, MetricsRegistry& metrics, ServerOptions options = {});
  // Stops with a 5 s deadline if stop() was not called.
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  std::uint16_t port() const;
  // Connections whose session is still alive, streams included.
  std::size_t open_connections() const;

  // Stops accepting, closes idle connections and streams, lets requests in flight finish and
  // closes their connections after the response. Past `deadline` it stops the I/O threads
  // (waiting for handlers already running to return); the connections left close when the Server
  // is destroyed. Later calls do nothing.
  void stop(std::chrono::milliseconds deadline);

 private:
  struct State;
  class Session;
  std::unique_ptr<State> state_;
};

}  // namespace orfeas

#include "orfeas/http/server.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <iterator>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace orfeas {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr std::string_view kRequests = "orfeas_http_requests_total";
constexpr std::string_view kDuration = "orfeas_http_request_duration_seconds";

// A parse error of the request itself, as opposed to the connection ending or timing out.
bool is_malformed_request(beast::error_code ec) {
  return ec.category() == http::make_error_code(http::error::bad_target).category() &&
         ec != http::error::end_of_stream && ec != http::error::partial_message;
}

}  // namespace

struct Server::State {
  State(const Router& router, MetricsRegistry& metrics, ServerOptions options)
      : router(router), metrics(metrics), options(std::move(options)) {}

  void accept();
  void record(const std::string& route, int status, Clock::time_point start) {
    metrics.increment(kRequests, {{"route", route}, {"status", std::to_string(status)}});
    metrics.observe(kDuration, {{"route", route}},
                    std::chrono::duration<double>(Clock::now() - start).count());
  }

  const Router& router;
  MetricsRegistry& metrics;
  const ServerOptions options;
  // Sessions touch these when they end, which may happen while ioc is destroyed: keep them first.
  mutable std::mutex mutex;
  std::condition_variable sessions_ended;
  std::size_t live_sessions = 0;
  std::vector<std::weak_ptr<Session>> sessions;
  std::uint16_t port = 0;
  std::atomic<bool> stopping = false;  // stop() was called: no further requests
  net::io_context ioc;
  // Keeps the I/O threads running while no operation is pending (a stream's producer may post).
  net::executor_work_guard<net::io_context::executor_type> work{ioc.get_executor()};
  tcp::acceptor acceptor{net::make_strand(ioc)};
  std::vector<std::thread> threads;
};

// One connection. Every member runs on the connection's strand, except Writer's calls.
class Server::Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, State& state) : stream_(std::move(socket)), state_(state) {
    std::lock_guard lock(state_.mutex);
    ++state_.live_sessions;
  }
  ~Session() {
    std::lock_guard lock(state_.mutex);
    --state_.live_sessions;
    state_.sessions_ended.notify_all();
  }

  void start() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->read_header(); });
  }

  // Any thread: no further requests; close now if idle or streaming.
  void stop() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
      if (self->streaming_ || !self->busy_) self->end_stream();
    });
  }

 private:
  class Writer;

  void read_header() {
    if (state_.stopping) return end_stream();
    parser_.emplace();
    parser_->body_limit(state_.options.body_limit);
    stream_.expires_after(state_.options.header_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = shared_from_this()](beast::error_code ec, std::size_t) {
                              if (ec) return self->fail(ec);
                              self->read_body();
                            });
  }

  void read_body() {
    busy_ = true;
    stream_.expires_after(state_.options.body_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                       if (ec) return self->fail(ec);
                       self->handle();
                     });
  }

  void fail(beast::error_code ec) {
    if (ec == http::error::body_limit) {
      return reject(Error(ErrorCode::kTooLarge, "the request body is too large",
                          {{"limit_bytes", state_.options.body_limit}}));
    }
    if (is_malformed_request(ec)) return reject(Error(ErrorCode::kBadInput, "malformed request"));
    end_stream();  // the client left, timed out, or the server is stopping
  }

  void reject(const Error& error) {
    const Response response = Response::error(error);
    state_.record("invalid", response.status, Clock::now());
    send(response, false);
  }

  void handle() {
    const auto start = Clock::now();
    http::request<http::string_body>& message = parser_->get();
    Request request;
    request.method = std::string(message.method_string());
    request.target = std::string(message.target());
    request.headers.reserve(
        static_cast<std::size_t>(std::distance(message.begin(), message.end())));
    for (const auto& field : message) {
      request.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    request.body = std::move(message.body());
    beast::error_code ec;
    tcp::endpoint peer = stream_.socket().remote_endpoint(ec);
    if (!ec) request.remote_address = peer.address().to_string();
    Response response = state_.router.handle(request);
    state_.record(request.route.empty() ? "unmatched" : request.route, response.status, start);
    if (response.stream) return start_stream(std::move(response));
    send(response, message.keep_alive());
  }

  void send(const Response& response, bool keep_alive) {
    auto message = std::make_shared<http::response<http::string_body>>();
    message->result(response.status);
    message->set(http::field::content_type, response.content_type);
    for (const auto& [name, value] : response.headers) message->insert(name, value);
    message->body() = response.body;
    message->keep_alive(keep_alive && !state_.stopping);
    message->prepare_payload();
    stream_.expires_after(state_.options.body_timeout);
    http::async_write(stream_, *message,
                      [self = shared_from_this(), message](beast::error_code ec, std::size_t) {
                        self->busy_ = false;
                        if (ec || !message->keep_alive()) return self->end_stream();
                        self->read_header();
                      });
  }

  void start_stream(Response response);

  // Reads (and ignores) whatever the client sends on a stream, to notice when it leaves.
  void watch_for_disconnect() {
    stream_.async_read_some(net::buffer(probe_),
                            [self = shared_from_this()](beast::error_code ec, std::size_t) {
                              if (ec) return self->end_stream();
                              self->watch_for_disconnect();
                            });
  }

  void queue(std::string data) {
    if (!stream_open_) return;
    outbox_.push_back(std::move(data));
    if (outbox_.size() == 1) write_next();
  }

  void write_next() {
    net::async_write(stream_, net::buffer(outbox_.front()),
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                       if (ec) return self->end_stream();
                       self->outbox_.pop_front();
                       if (!self->outbox_.empty()) return self->write_next();
                       if (self->finishing_) self->end_stream();
                     });
  }

  // The writer was closed or released: end once the queued data is out.
  void finish_stream() {
    finishing_ = true;
    if (outbox_.empty()) end_stream();
  }

  // Closes the connection, after what was already written; pending operations then fail.
  void end_stream() {
    stream_open_ = false;
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.close();
  }

  beast::tcp_stream stream_;
  State& state_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  bool busy_ = false;       // from the end of a request's headers to the end of its response
  bool streaming_ = false;  // the response is a stream
  bool finishing_ = false;  // the stream's writer is closed
  std::atomic<bool> stream_open_ = false;  // the stream accepts writes
  std::deque<std::string> outbox_;         // stream data not yet written, the front in flight
  char probe_[512];
};

class Server::Session::Writer : public StreamWriter {
 public:
  explicit Writer(std::shared_ptr<Session> session) : session_(std::move(session)) {}
  ~Writer() override { close(); }

  bool write(std::string data) override {
    if (closed_ || !session_->stream_open_) return false;
    net::post(session_->stream_.get_executor(),
              [session = session_, data = std::move(data)]() mutable {
                session->queue(std::move(data));
              });
    return true;
  }

  void close() override {
    if (closed_.exchange(true)) return;
    net::post(session_->stream_.get_executor(), [session = session_] { session->finish_stream(); });
  }

 private:
  std::shared_ptr<Session> session_;
  std::atomic<bool> closed_ = false;
};

void Server::Session::start_stream(Response response) {
  streaming_ = true;
  auto header = std::make_shared<http::response<http::empty_body>>();
  header->result(response.status);
  header->set(http::field::content_type, response.content_type);
  for (const auto& [name, value] : response.headers) header->insert(name, value);
  header->keep_alive(false);  // the body ends when the connection closes
  auto serializer = std::make_shared<http::response_serializer<http::empty_body>>(*header);
  stream_.expires_never();
  http::async_write_header(
      stream_, *serializer,
      [self = shared_from_this(), header, serializer, producer = std::move(response.stream)](
          beast::error_code ec, std::size_t) {
        if (ec || self->state_.stopping) return self->end_stream();
        self->stream_open_ = true;
        self->watch_for_disconnect();
        try {
          producer(std::make_shared<Writer>(self));
        } catch (...) {
          self->end_stream();
        }
      });
}

void Server::State::accept() {
  acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
    if (ec) return;  // the acceptor was closed, or failed (as Beast's examples do, stop there)
    auto session = std::make_shared<Session>(std::move(socket), *this);
    {
      std::lock_guard lock(mutex);
      std::erase_if(sessions, [](const auto& weak) { return weak.expired(); });
      sessions.push_back(session);
    }
    session->start();
    accept();
  });
}

Server::Server(const Router& router, MetricsRegistry& metrics, ServerOptions options)
    : state_(std::make_unique<State>(router, metrics, std::move(options))) {
  metrics.declare_counter(std::string(kRequests), "HTTP requests by route pattern and status.");
  metrics.declare_histogram(std::string(kDuration), "HTTP request handling time by route.",
                            {0.001, 0.005, 0.025, 0.1, 0.5, 2.5, 10});
  State& state = *state_;
  try {
    const tcp::endpoint endpoint(net::ip::make_address(state.options.host), state.options.port);
    state.acceptor.open(endpoint.protocol());
    state.acceptor.set_option(net::socket_base::reuse_address(true));
    state.acceptor.bind(endpoint);
    state.acceptor.listen();
    state.port = state.acceptor.local_endpoint().port();
  } catch (const boost::system::system_error& e) {
    throw Error(ErrorCode::kUnavailable, "cannot listen on " + state.options.host + ":" +
                                             std::to_string(state.options.port) + ": " + e.what());
  }
  state.accept();
  for (int i = 0; i < std::max(1, state.options.threads); ++i) {
    state.threads.emplace_back([&state] { state.ioc.run(); });
  }
}

Server::~Server() { stop(std::chrono::seconds(5)); }

std::uint16_t Server::port() const { return state_->port; }

std::size_t Server::open_connections() const {
  std::lock_guard lock(state_->mutex);
  return state_->live_sessions;
}

void Server::stop(std::chrono::milliseconds deadline) {
  State& state = *state_;
  if (state.stopping.exchange(true)) return;
  net::post(state.acceptor.get_executor(), [&state] {
    beast::error_code ec;
    state.acceptor.close(ec);
    std::vector<std::shared_ptr<Session>> sessions;
    {
      std::lock_guard lock(state.mutex);
      for (const auto& weak : state.sessions) {
        if (auto session = weak.lock()) sessions.push_back(std::move(session));
      }
    }
    for (const auto& session : sessions) session->stop();
  });
  std::unique_lock lock(state.mutex);
  state.sessions_ended.wait_for(lock, deadline, [&state] { return state.live_sessions == 0; });
  lock.unlock();
  state.ioc.stop();
  for (std::thread& thread : state.threads) thread.join();
}

}  // namespace orfeas

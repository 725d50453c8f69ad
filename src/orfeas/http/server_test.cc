#include "orfeas/http/server.h"

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace orfeas {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using namespace std::chrono_literals;
using ::testing::HasSubstr;
using HttpResponse = http::response<http::string_body>;

// A loopback client whose every operation gives up after 5 s.
class Client {
 public:
  explicit Client(std::uint16_t port) {
    stream_.connect(net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  }

  void send(const std::string& raw) {
    run([&](auto done) { net::async_write(stream_, net::buffer(raw), done); });
  }

  HttpResponse request(http::verb method, const std::string& target, std::string body = "") {
    http::request<http::string_body> request(method, target, 11);
    request.set(http::field::host, "localhost");
    request.body() = std::move(body);
    request.prepare_payload();
    run([&](auto done) { http::async_write(stream_, request, done); });
    return read_response();
  }

  HttpResponse read_response() {
    HttpResponse response;
    const beast::error_code ec =
        run([&](auto done) { http::async_read(stream_, buffer_, response, done); });
    EXPECT_FALSE(ec) << ec.message();
    return response;
  }

  // Everything until the server closes the connection (or 5 s pass).
  std::string read_until_closed() {
    std::string text;
    char chunk[1024];
    beast::error_code ec;
    while (!ec) {
      std::size_t got = 0;
      ec = run([&](auto done) { stream_.async_read_some(net::buffer(chunk), done); }, &got);
      text.append(chunk, got);
    }
    EXPECT_NE(ec, beast::error::timeout);
    return text;
  }

  void close() { stream_.close(); }

 private:
  template <class Start>
  beast::error_code run(Start start, std::size_t* transferred = nullptr) {
    beast::error_code result;
    stream_.expires_after(5s);
    start([&](beast::error_code ec, std::size_t n) {
      result = ec;
      if (transferred) *transferred = n;
    });
    ioc_.restart();
    ioc_.run();
    return result;
  }

  net::io_context ioc_;
  beast::tcp_stream stream_{ioc_};
  beast::flat_buffer buffer_;
};

nlohmann::json json_of(const HttpResponse& response) {
  return nlohmann::json::parse(response.body());
}

// Waits up to 5 s for `condition`.
template <class Condition>
bool eventually(Condition condition) {
  for (auto end = std::chrono::steady_clock::now() + 5s; std::chrono::steady_clock::now() < end;) {
    if (condition()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return condition();
}

class ServerTest : public ::testing::Test {
 protected:
  ServerTest() {
    router_.add("GET", "/health/live", [](const Request&) {
      return Response::json({{"ok", true}});
    });
    router_.add("GET", "/metrics", [this](const Request&) {
      return Response::text(metrics_.render(), std::string(kPrometheusContentType));
    });
    router_.add("GET", "/api/jobs/{id}", [](const Request& request) {
      return Response::json({{"id", request.path_params.at("id")}, {"q", request.query}});
    });
    router_.add("POST", "/echo", [](const Request& request) {
      Response response = Response::text(request.body);
      response.headers.emplace_back("X-Type", std::string(request.header("content-type")));
      return response;
    });
    router_.add("GET", "/error", [](const Request&) -> Response {
      throw Error(ErrorCode::kRateLimited, "slow down");
    });
    router_.add("GET", "/crash",
                [](const Request&) -> Response { throw std::logic_error("do not leak this"); });
    router_.add("GET", "/slow", [this](const Request&) {
      slow_entered_.set_value();
      std::this_thread::sleep_for(slow_duration_);
      return Response::text("done");
    });
    router_.add("GET", "/events", [](const Request&) {
      return Response::event_stream([](std::shared_ptr<StreamWriter> writer) {
        for (int i = 1; i <= 3; ++i) writer->write(sse_event("n", std::to_string(i)));
      });
    });
    router_.add("GET", "/ticks", [this](const Request&) {
      return Response::event_stream([this](std::shared_ptr<StreamWriter> writer) {
        ticker_ = std::thread([this, writer = std::move(writer)]() mutable {
          while (writer->write(sse_event("tick", "x"))) std::this_thread::sleep_for(10ms);
          writer.reset();
          ticker_stopped_ = true;
        });
      });
    });
    router_.add("GET", "/throwing-stream", [](const Request&) {
      return Response::event_stream(
          [](std::shared_ptr<StreamWriter>) { throw std::runtime_error("producer failed"); });
    });
    router_.add("GET", "/closed-stream", [](const Request&) {
      return Response::event_stream([](std::shared_ptr<StreamWriter> writer) {
        writer->write("data: one\n\n");
        writer->close();
        writer->close();
        EXPECT_FALSE(writer->write("data: late\n\n"));
      });
    });
  }
  ~ServerTest() override {
    if (ticker_.joinable()) ticker_.join();
  }

  Server& start(ServerOptions options = {}) {
    server_.emplace(router_, metrics_, options);
    return *server_;
  }

  Router router_;
  MetricsRegistry metrics_;
  std::promise<void> slow_entered_;
  std::chrono::milliseconds slow_duration_ = 300ms;
  std::thread ticker_;
  std::atomic<bool> ticker_stopped_ = false;
  std::optional<Server> server_;
};

TEST_F(ServerTest, RoutesWithParamsAndKeepsTheConnectionAlive) {
  Client client(start().port());
  for (int i = 0; i < 3; ++i) {
    const HttpResponse response =
        client.request(http::verb::get, "/api/jobs/j%2F" + std::to_string(i) + "?a=b+c");
    EXPECT_EQ(response.result_int(), 200);
    EXPECT_TRUE(response.keep_alive());
    EXPECT_EQ(json_of(response),
              nlohmann::json({{"id", "j/" + std::to_string(i)}, {"q", {{"a", "b c"}}}}));
  }
  const HttpResponse echo = client.request(http::verb::post, "/echo", "hello");
  EXPECT_EQ(echo.body(), "hello");
  EXPECT_EQ(server_->open_connections(), 1u);
}

TEST_F(ServerTest, ErrorsAreJson) {
  Client client(start().port());
  const HttpResponse missing = client.request(http::verb::get, "/nowhere");
  EXPECT_EQ(missing.result_int(), 404);
  EXPECT_EQ(missing[http::field::content_type], "application/json");
  EXPECT_EQ(json_of(missing)["error"]["code"], "not_found");

  const HttpResponse wrong_method = client.request(http::verb::delete_, "/health/live");
  EXPECT_EQ(wrong_method.result_int(), 405);
  EXPECT_EQ(wrong_method[http::field::allow], "GET");

  const HttpResponse limited = client.request(http::verb::get, "/error");
  EXPECT_EQ(limited.result_int(), 429);
  EXPECT_EQ(json_of(limited), Error(ErrorCode::kRateLimited, "slow down").to_json());

  const HttpResponse crash = client.request(http::verb::get, "/crash");
  EXPECT_EQ(crash.result_int(), 500);
  EXPECT_EQ(json_of(crash)["error"]["message"], "internal error");
  EXPECT_THAT(crash.body(), ::testing::Not(HasSubstr("leak")));
}

TEST_F(ServerTest, MalformedRequestIs400AndCloses) {
  Client client(start().port());
  client.send("GET / HTTP/1.1\r\nBad Header\r\n\r\n");
  const std::string reply = client.read_until_closed();
  EXPECT_THAT(reply, HasSubstr("HTTP/1.1 400"));
  EXPECT_THAT(reply, HasSubstr("\"bad_input\""));
}

TEST_F(ServerTest, BodyOverTheLimitIs413) {
  Server& server = start({.body_limit = 1000});
  {
    Client client(server.port());  // declared too large: rejected after the headers
    client.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 30000000\r\n\r\n");
    const std::string reply = client.read_until_closed();
    EXPECT_THAT(reply, HasSubstr("HTTP/1.1 413"));
    EXPECT_THAT(reply, HasSubstr("\"too_large\""));
  }
  {
    Client client(server.port());  // chunked: rejected while reading the body
    client.send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n7d0\r\n" +
                std::string(2000, 'x') + "\r\n0\r\n\r\n");
    EXPECT_THAT(client.read_until_closed(), HasSubstr("HTTP/1.1 413"));
  }
  Client client(server.port());
  EXPECT_EQ(client.request(http::verb::post, "/echo", std::string(1000, 'x')).result_int(), 200);
}

TEST_F(ServerTest, SlowHeadersAreCutOff) {
  Server& server = start({.header_timeout = 100ms});
  Client client(server.port());
  const auto began = std::chrono::steady_clock::now();
  client.send("GET /health/live HTTP/1.1\r\nHost: x\r\n");
  EXPECT_EQ(client.read_until_closed(), "");
  EXPECT_LT(std::chrono::steady_clock::now() - began, 3s);
  EXPECT_TRUE(eventually([&] { return server.open_connections() == 0; }));
}

TEST_F(ServerTest, SlowBodyIsCutOff) {
  Server& server = start({.body_timeout = 100ms});
  Client client(server.port());
  client.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc");
  EXPECT_EQ(client.read_until_closed(), "");
}

TEST_F(ServerTest, StreamsEventsInOrderThenEnds) {
  Client client(start().port());
  client.send("GET /events HTTP/1.1\r\nHost: x\r\n\r\n");
  const std::string reply = client.read_until_closed();
  EXPECT_THAT(reply, HasSubstr("HTTP/1.1 200"));
  EXPECT_THAT(reply, HasSubstr("Content-Type: text/event-stream"));
  EXPECT_THAT(reply,
              HasSubstr("\r\n\r\nevent: n\ndata: 1\n\nevent: n\ndata: 2\n\nevent: n\ndata: 3\n\n"));
  EXPECT_TRUE(eventually([&] { return server_->open_connections() == 0; }));
}

TEST_F(ServerTest, StreamWriterClosedExplicitly) {
  Client client(start().port());
  client.send("GET /closed-stream HTTP/1.1\r\nHost: x\r\n\r\n");
  const std::string reply = client.read_until_closed();
  EXPECT_THAT(reply, HasSubstr("\r\n\r\ndata: one\n\n"));
  EXPECT_THAT(reply, ::testing::Not(HasSubstr("late")));
}

TEST_F(ServerTest, ThrowingProducerEndsTheStream) {
  Client client(start().port());
  client.send("GET /throwing-stream HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_THAT(client.read_until_closed(), HasSubstr("HTTP/1.1 200"));
  EXPECT_TRUE(eventually([&] { return server_->open_connections() == 0; }));
}

TEST_F(ServerTest, ClientLeavingEndsTheStream) {
  Server& server = start();
  {
    Client client(server.port());
    client.send("GET /ticks HTTP/1.1\r\nHost: x\r\n\r\n");
    std::this_thread::sleep_for(30ms);
    client.send("ignored bytes");  // the server reads and drops them
    std::this_thread::sleep_for(30ms);
    client.close();
  }
  EXPECT_TRUE(eventually([&] { return ticker_stopped_.load(); }));
  EXPECT_TRUE(eventually([&] { return server.open_connections() == 0; }));
}

TEST_F(ServerTest, StopEndsStreams) {
  Server& server = start();
  Client client(server.port());
  client.send("GET /ticks HTTP/1.1\r\nHost: x\r\n\r\n");
  std::this_thread::sleep_for(50ms);
  server.stop(2s);
  EXPECT_THAT(client.read_until_closed(), HasSubstr("event: tick"));
  EXPECT_TRUE(eventually([&] { return ticker_stopped_.load(); }));
}

TEST_F(ServerTest, MetricsCountRequestsByRouteAndStatus) {
  Client client(start().port());
  client.request(http::verb::get, "/api/jobs/1");
  client.request(http::verb::get, "/api/jobs/2");
  client.request(http::verb::get, "/nowhere");
  const HttpResponse metrics = client.request(http::verb::get, "/metrics");
  EXPECT_EQ(metrics[http::field::content_type], kPrometheusContentType);
  const std::string& text = metrics.body();
  EXPECT_THAT(text,
              HasSubstr("orfeas_http_requests_total{route=\"/api/jobs/{id}\",status=\"200\"} 2\n"));
  EXPECT_THAT(text,
              HasSubstr("orfeas_http_requests_total{route=\"unmatched\",status=\"404\"} 1\n"));
  EXPECT_THAT(
      text, HasSubstr("orfeas_http_request_duration_seconds_count{route=\"/api/jobs/{id}\"} 2\n"));
  EXPECT_THAT(text, ::testing::Not(HasSubstr("/api/jobs/1")));
}

TEST_F(ServerTest, StopLetsTheRequestInFlightFinish) {
  Server& server = start();
  Client idle(server.port());
  EXPECT_EQ(idle.request(http::verb::get, "/health/live").result_int(), 200);
  Client busy(server.port());
  busy.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
  slow_entered_.get_future().wait();
  server.stop(5s);
  const std::string reply = busy.read_until_closed();
  EXPECT_THAT(reply, HasSubstr("HTTP/1.1 200"));
  EXPECT_THAT(reply, HasSubstr("Connection: close"));
  EXPECT_THAT(reply, HasSubstr("done"));
  EXPECT_EQ(idle.read_until_closed(), "");
  EXPECT_EQ(server.open_connections(), 0u);
  EXPECT_THROW(Client{server.port()}, boost::system::system_error);
  server.stop(1s);  // a second stop does nothing
}

TEST_F(ServerTest, StopAbandonsWhatOutlivesTheDeadline) {
  Server& server = start();
  Client busy(server.port());
  busy.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
  slow_entered_.get_future().wait();
  const auto began = std::chrono::steady_clock::now();
  server.stop(10ms);
  EXPECT_LT(std::chrono::steady_clock::now() - began, 3s);
  EXPECT_EQ(server.open_connections(), 1u);
  server_.reset();
  busy.read_until_closed();  // closed, whether or not the late response got out
}

TEST(Server, BindFailureIsUnavailable) {
  Router router;
  MetricsRegistry metrics;
  Server first(router, metrics);
  try {
    Server second(router, metrics, {.port = first.port()});
    ADD_FAILURE() << "bound twice";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ErrorCode::kUnavailable);
  }
  EXPECT_THROW(Server(router, metrics, {.host = "not an address"}), Error);
}

}  // namespace
}  // namespace orfeas

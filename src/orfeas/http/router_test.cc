#include "orfeas/http/router.h"

#include <stdexcept>

#include <gtest/gtest.h>

namespace orfeas {
namespace {

Request make_request(std::string method, std::string target) {
  Request request;
  request.method = std::move(method);
  request.target = std::move(target);
  return request;
}

nlohmann::json body_of(const Response& response) { return nlohmann::json::parse(response.body); }

class RouterTest : public ::testing::Test {
 protected:
  RouterTest() {
    router_.add("GET", "/api/jobs/stats", [](const Request&) { return Response::text("stats"); });
    router_.add("GET", "/api/jobs/{id}/result", [](const Request& request) {
      return Response::json(
          {{"id", request.path_params.at("id")}, {"query", request.query}, {"path", request.path}});
    });
    router_.add("DELETE", "/api/jobs/{id}/result", [](const Request&) { return Response{}; });
    router_.add("GET", "/api/jobs/{id}", [](const Request&) { return Response::text("job"); });
    router_.add("GET", "/error", [](const Request&) -> Response {
      throw Error(ErrorCode::kConflict, "busy", {{"why", "x"}});
    });
    router_.add("GET", "/crash",
                [](const Request&) -> Response { throw std::runtime_error("secret detail"); });
    router_.add("GET", "/crash-int", [](const Request&) -> Response { throw 42; });
  }
  Router router_;
};

TEST_F(RouterTest, MatchesPatternWithDecodedParamsAndQuery) {
  Request request = make_request("GET", "/api/jobs/a%20b/result?x=1+2&y=%2F&flag&&x=3&=v");
  const Response response = router_.handle(request);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(request.route, "/api/jobs/{id}/result");
  const nlohmann::json body = body_of(response);
  EXPECT_EQ(body["id"], "a b");
  EXPECT_EQ(body["path"], "/api/jobs/a b/result");
  EXPECT_EQ(body["query"]["x"], "3");
  EXPECT_EQ(body["query"]["y"], "/");
  EXPECT_EQ(body["query"]["flag"], "");
  EXPECT_EQ(body["query"][""], "v");
}

TEST_F(RouterTest, LiteralAddedFirstWins) {
  Request stats = make_request("GET", "/api/jobs/stats");
  EXPECT_EQ(router_.handle(stats).body, "stats");
  Request job = make_request("GET", "/api/jobs/7");
  EXPECT_EQ(router_.handle(job).body, "job");
  EXPECT_EQ(job.route, "/api/jobs/{id}");
}

TEST_F(RouterTest, UnknownPathIs404AndEmptyParamDoesNotMatch) {
  for (const char* target : {"/nowhere", "/api/jobs//result", "/api/jobs/1/result/x"}) {
    Request request = make_request("GET", target);
    const Response response = router_.handle(request);
    EXPECT_EQ(response.status, 404) << target;
    EXPECT_EQ(body_of(response)["error"]["code"], "not_found");
    EXPECT_EQ(request.route, "");
  }
}

TEST_F(RouterTest, WrongMethodIs405WithAllow) {
  Request request = make_request("POST", "/api/jobs/1/result");
  const Response response = router_.handle(request);
  EXPECT_EQ(response.status, 405);
  ASSERT_EQ(response.headers.size(), 1u);
  EXPECT_EQ(response.headers[0].first, "Allow");
  EXPECT_EQ(response.headers[0].second, "DELETE, GET");
  EXPECT_EQ(body_of(response)["error"]["details"]["allow"], nlohmann::json({"DELETE", "GET"}));
  EXPECT_EQ(request.route, "/api/jobs/{id}/result");
}

TEST_F(RouterTest, ErrorsBecomeJson) {
  Request error = make_request("GET", "/error");
  const Response conflict = router_.handle(error);
  EXPECT_EQ(conflict.status, 409);
  EXPECT_EQ(body_of(conflict), Error(ErrorCode::kConflict, "busy", {{"why", "x"}}).to_json());

  for (const char* target : {"/crash", "/crash-int"}) {
    Request crash = make_request("GET", target);
    const Response internal = router_.handle(crash);
    EXPECT_EQ(internal.status, 500);
    EXPECT_EQ(body_of(internal)["error"]["message"], "internal error");
    EXPECT_EQ(internal.body.find("secret"), std::string::npos);
  }
}

TEST_F(RouterTest, MalformedTargetIs400) {
  for (const char* target : {"relative", "/a%2", "/a%zz", "/api?x=%g0", "*"}) {
    Request request = make_request("GET", target);
    const Response response = router_.handle(request);
    EXPECT_EQ(response.status, 400) << target;
    EXPECT_EQ(body_of(response)["error"]["code"], "bad_input");
  }
}

TEST(Router, RejectsMalformedAndDuplicatePatterns) {
  Router router;
  const Handler handler = [](const Request&) { return Response{}; };
  router.add("GET", "/", handler);
  EXPECT_THROW(router.add("GET", "/", handler), Error);
  EXPECT_THROW(router.add("GET", "no-slash", handler), Error);
  EXPECT_THROW(router.add("GET", "/a/{}", handler), Error);
  EXPECT_THROW(router.add("GET", "/a/x{id}", handler), Error);
  EXPECT_THROW(router.add("GET", "/a/{i{d}", handler), Error);
  Request root = make_request("GET", "/");
  EXPECT_EQ(router.handle(root).status, 200);
}

TEST(PercentDecode, DecodesEscapesAndPlus) {
  EXPECT_EQ(percent_decode("a%41%6a+b", false), "aAj+b");
  EXPECT_EQ(percent_decode("a+b", true), "a b");
  EXPECT_THROW(percent_decode("%4", false), Error);
  EXPECT_THROW(percent_decode("%", false), Error);
}

}  // namespace
}  // namespace orfeas

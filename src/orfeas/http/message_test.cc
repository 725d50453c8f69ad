#include "orfeas/http/message.h"

#include <gtest/gtest.h>

namespace orfeas {
namespace {

TEST(Request, HeaderLookupIgnoresCaseAndMissingIsEmpty) {
  Request request;
  request.headers = {{"Content-Type", "text/plain"}, {"X-A", "1"}};
  EXPECT_EQ(request.header("content-type"), "text/plain");
  EXPECT_EQ(request.header("X-a"), "1");
  EXPECT_EQ(request.header("missing"), "");
}

TEST(Response, Builders) {
  const Response json = Response::json({{"a", 1}}, 201);
  EXPECT_EQ(json.status, 201);
  EXPECT_EQ(json.body, R"({"a":1})");
  EXPECT_EQ(json.content_type, "application/json");

  const Response text = Response::text("hi");
  EXPECT_EQ(text.content_type, "text/plain; charset=utf-8");

  const Response error = Response::error(Error(ErrorCode::kNotFound, "gone"));
  EXPECT_EQ(error.status, 404);
  EXPECT_EQ(nlohmann::json::parse(error.body)["error"]["code"], "not_found");

  const Response stream = Response::event_stream([](std::shared_ptr<StreamWriter>) {});
  EXPECT_EQ(stream.content_type, "text/event-stream");
  EXPECT_TRUE(stream.stream);
}

TEST(SseEvent, FramesEachDataLine) {
  EXPECT_EQ(sse_event("progress", "{\"p\":1}"), "event: progress\ndata: {\"p\":1}\n\n");
  EXPECT_EQ(sse_event("", "a\nb"), "data: a\ndata: b\n\n");
}

}  // namespace
}  // namespace orfeas

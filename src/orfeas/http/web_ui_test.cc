#include "orfeas/http/web_ui.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace orfeas {
namespace {

const std::filesystem::path kWebDir = std::filesystem::path(ORFEAS_TEST_DATA) / "../../web";

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in) << path;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string header_of(const Response& response, const std::string& name) {
  for (const auto& [key, value] : response.headers) {
    if (key == name) return value;
  }
  return "";
}

class WebUiTest : public ::testing::Test {
 protected:
  WebUiTest() { add_web_ui_routes(router_); }

  Response get(const std::string& target, const std::string& method = "GET") {
    Request request;
    request.method = method;
    request.target = target;
    return router_.handle(request);
  }

  Router router_;
};

TEST_F(WebUiTest, RootIsTheIndexPageAsBuilt) {
  const Response page = get("/");
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(page.body, read_file(kWebDir / "index.html"));
  EXPECT_EQ(header_of(page, "Cache-Control"), "no-cache");
  EXPECT_EQ(header_of(page, "X-Content-Type-Options"), "nosniff");
  EXPECT_NE(header_of(page, "Content-Security-Policy").find("default-src 'self'"),
            std::string::npos);
}

TEST_F(WebUiTest, OurOwnFilesAreServedAsBuiltAndRevalidated) {
  const Response script = get("/ui/app.js");
  EXPECT_EQ(script.status, 200);
  EXPECT_EQ(script.content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(script.body, read_file(kWebDir / "app.js"));
  EXPECT_EQ(header_of(script, "Cache-Control"), "no-cache");

  const Response style = get("/ui/style.css");
  EXPECT_EQ(style.status, 200);
  EXPECT_EQ(style.content_type, "text/css; charset=utf-8");
  EXPECT_EQ(style.body, read_file(kWebDir / "style.css"));
}

TEST_F(WebUiTest, EveryFileThePageLoadsIsServed) {
  const std::string page = get("/").body;
  // Every src="/..." and href="/..." attribute. (Not std::regex: GCC 12 warns inside <regex>
  // in the sanitizer build.)
  std::vector<std::string> targets;
  for (const std::string attribute : {"src=\"/", "href=\"/"}) {
    for (std::size_t at = page.find(attribute); at != std::string::npos;
         at = page.find(attribute, at + 1)) {
      std::size_t start = at + attribute.size() - 1;
      targets.push_back(page.substr(start, page.find('"', start) - start));
    }
  }
  EXPECT_EQ(targets.size(), 5u);  // style.css, three.js, its two examples, app.js
  for (const std::string& target : targets) {
    const Response response = get(target);
    EXPECT_EQ(response.status, 200) << target;
    EXPECT_FALSE(response.body.empty()) << target;
    const bool script = target.ends_with(".js");
    EXPECT_EQ(response.content_type,
              script ? "text/javascript; charset=utf-8" : "text/css; charset=utf-8")
        << target;
  }
}

TEST_F(WebUiTest, ThreeJsComesFromDebianAndMayBeCached) {
  for (const char* target : {"/ui/three.min.js", "/ui/OrbitControls.js", "/ui/STLLoader.js"}) {
    const Response response = get(target);
    EXPECT_EQ(response.status, 200) << target;
    EXPECT_EQ(header_of(response, "Cache-Control"), "public, max-age=86400") << target;
    EXPECT_NE(response.body.find("THREE"), std::string::npos) << target;
  }
  EXPECT_NE(get("/ui/three.min.js").body.find("WebGLRenderer"), std::string::npos);
  EXPECT_NE(get("/ui/OrbitControls.js").body.find("OrbitControls"), std::string::npos);
  EXPECT_NE(get("/ui/STLLoader.js").body.find("STLLoader"), std::string::npos);
}

TEST_F(WebUiTest, OnlyKnownFilesAreServed) {
  for (const char* target :
       {"/ui/missing.js", "/ui/web_ui.cc", "/ui/..%2Fweb_ui.cc", "/ui/%2E%2E%2F%2E%2E%2Fapp.js",
        "/ui/../ui/app.js", "/ui/", "/ui/app.js/x", "/web/app.js", "/app.js", "/ui/APP.JS",
        "/ui/%2Fetc%2Fpasswd", "/ui/app.js%00.png"}) {
    const Response response = get(target);
    EXPECT_EQ(response.status, 404) << target;
    EXPECT_EQ(nlohmann::json::parse(response.body)["error"]["code"], "not_found") << target;
  }
}

TEST_F(WebUiTest, OnlyGetIsAllowed) {
  EXPECT_EQ(get("/", "POST").status, 405);
  EXPECT_EQ(get("/ui/app.js", "DELETE").status, 405);
}

}  // namespace
}  // namespace orfeas

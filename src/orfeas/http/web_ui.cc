#include "orfeas/http/web_ui.h"

#include <algorithm>
#include <map>
#include <string>
#include <string_view>

#include "orfeas/core/error.h"
#include "orfeas/http/web_assets.h"

namespace orfeas {
namespace {

constexpr std::string_view kIndex = "index.html";
// The three.js files, from Debian rather than from us.
constexpr std::string_view kLibraries[] = {"three.min.js", "OrbitControls.js", "STLLoader.js"};

// Everything the page loads comes from this server; images may also be the user's own picture
// (a blob: URL) and the empty data: favicon.
constexpr std::string_view kContentSecurityPolicy =
    "default-src 'self'; img-src 'self' blob: data:; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'";

std::string content_type_of(std::string_view name) {
  if (name.ends_with(".html")) return "text/html; charset=utf-8";
  if (name.ends_with(".js")) return "text/javascript; charset=utf-8";
  if (name.ends_with(".css")) return "text/css; charset=utf-8";
  throw Error(ErrorCode::kInternal,
              "no content type for the embedded web file " + std::string(name));
}

bool is_library(std::string_view name) {
  return std::ranges::find(kLibraries, name) != std::ranges::end(kLibraries);
}

Response asset_response(const WebAsset& asset) {
  Response response = Response::text(std::string(asset.bytes), content_type_of(asset.name));
  response.headers = {
      {"Cache-Control", is_library(asset.name) ? "public, max-age=86400" : "no-cache"},
      {"X-Content-Type-Options", "nosniff"}};
  if (asset.name == kIndex) {
    response.headers.emplace_back("Content-Security-Policy", std::string(kContentSecurityPolicy));
  }
  return response;
}

}  // namespace

void add_web_ui_routes(Router& router) {
  // Built once: handlers copy a prepared response instead of re-deciding headers per request.
  std::map<std::string, Response, std::less<>> responses;
  for (const WebAsset& asset : web_assets()) {
    responses.emplace(std::string(asset.name), asset_response(asset));
  }
  if (!responses.contains(kIndex)) {
    throw Error(ErrorCode::kInternal, "the web UI was built without index.html");
  }
  const Response index = responses.at(std::string(kIndex));
  router.add("GET", "/", [index](const Request&) { return index; });
  router.add("GET", "/ui/{file}", [responses = std::move(responses)](const Request& request) {
    const std::string& name = request.path_params.at("file");
    const auto found = responses.find(name);
    if (found == responses.end()) {
      throw Error(ErrorCode::kNotFound, "no such file in the web UI: " + name);
    }
    return found->second;
  });
}

}  // namespace orfeas

#include "orfeas/http/router.h"

#include <algorithm>

namespace orfeas {
namespace {

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  while (true) {
    const std::size_t end = text.find(separator);
    parts.push_back(text.substr(0, end));
    if (end == std::string_view::npos) return parts;
    text.remove_prefix(end + 1);
  }
}

bool is_parameter(std::string_view segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The decoded segments of an absolute path ("/a/b" → {"a", "b"}).
std::vector<std::string> path_segments(std::string_view path) {
  if (path.empty() || path.front() != '/') {
    throw Error(ErrorCode::kBadInput, "the request target must be an absolute path");
  }
  std::vector<std::string> segments;
  for (std::string_view raw : split(path.substr(1), '/')) {
    segments.push_back(percent_decode(raw, false));
  }
  return segments;
}

}  // namespace

std::string percent_decode(std::string_view text, bool plus_is_space) {
  std::string decoded;
  decoded.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+' && plus_is_space) {
      decoded += ' ';
    } else if (text[i] != '%') {
      decoded += text[i];
    } else {
      const int high = i + 2 < text.size() ? hex_value(text[i + 1]) : -1;
      const int low = high >= 0 ? hex_value(text[i + 2]) : -1;
      if (low < 0)
        throw Error(ErrorCode::kBadInput, "malformed percent escape in the request target");
      decoded += static_cast<char>(high * 16 + low);
      i += 2;
    }
  }
  return decoded;
}

void Router::add(std::string method, std::string pattern, Handler handler) {
  if (pattern.empty() || pattern.front() != '/') {
    throw Error(ErrorCode::kInternal, "route pattern must start with '/': " + pattern);
  }
  Route route{std::move(method), pattern, {}, std::move(handler)};
  for (std::string_view segment : split(std::string_view(pattern).substr(1), '/')) {
    const bool has_brace = segment.find_first_of("{}") != std::string_view::npos;
    if (has_brace &&
        (!is_parameter(segment) ||
         segment.substr(1, segment.size() - 2).find_first_of("{}") != std::string_view::npos)) {
      throw Error(ErrorCode::kInternal, "malformed route pattern: " + pattern);
    }
    route.segments.emplace_back(segment);
  }
  for (const Route& other : routes_) {
    if (other.method == route.method && other.pattern == route.pattern) {
      throw Error(ErrorCode::kInternal, "route added twice: " + route.method + " " + pattern);
    }
  }
  routes_.push_back(std::move(route));
}

Response Router::handle(Request& request) const {
  try {
    return dispatch(request);
  } catch (const Error& error) {
    return Response::error(error);
  } catch (...) {
    return Response::error(Error(ErrorCode::kInternal, "internal error"));
  }
}

Response Router::dispatch(Request& request) const {
  const std::string_view target = request.target;
  const std::size_t question = target.find('?');
  const std::string_view raw_path = target.substr(0, question);
  const std::vector<std::string> segments = path_segments(raw_path);
  request.path = percent_decode(raw_path, false);
  if (question != std::string_view::npos) {
    for (std::string_view pair : split(target.substr(question + 1), '&')) {
      if (pair.empty()) continue;
      const std::size_t equals = pair.find('=');
      const std::string_view value =
          equals == std::string_view::npos ? std::string_view() : pair.substr(equals + 1);
      request.query[percent_decode(pair.substr(0, equals), true)] = percent_decode(value, true);
    }
  }

  std::vector<std::string> allowed;
  for (const Route& route : routes_) {
    if (route.segments.size() != segments.size()) continue;
    std::map<std::string, std::string> params;
    bool matches = true;
    for (std::size_t i = 0; i < segments.size() && matches; ++i) {
      if (is_parameter(route.segments[i])) {
        matches = !segments[i].empty();
        params[route.segments[i].substr(1, route.segments[i].size() - 2)] = segments[i];
      } else {
        matches = route.segments[i] == segments[i];
      }
    }
    if (!matches) continue;
    if (request.route.empty()) request.route = route.pattern;
    if (route.method != request.method) {
      allowed.push_back(route.method);
      continue;
    }
    request.route = route.pattern;
    request.path_params = std::move(params);
    return route.handler(request);
  }
  if (allowed.empty()) throw Error(ErrorCode::kNotFound, "no route for " + request.path);

  std::ranges::sort(allowed);
  std::string allow;
  for (const std::string& method : allowed) allow += (allow.empty() ? "" : ", ") + method;
  Response response = Response::error(
      Error(ErrorCode::kBadInput, request.method + " is not allowed here", {{"allow", allowed}}));
  response.status = 405;
  response.headers.emplace_back("Allow", allow);
  return response;
}

}  // namespace orfeas

#include "orfeas/http/multipart.h"

#include <algorithm>
#include <cctype>

#include "orfeas/core/error.h"

namespace orfeas {
namespace {

[[noreturn]] void malformed(const std::string& why) {
  throw Error(ErrorCode::kBadInput, "malformed multipart body: " + why);
}

std::string lowercase(std::string_view text) {
  std::string lower(text);
  std::ranges::transform(lower, lower.begin(),
                         [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// Splits "type; a=1; b=\"x;y\"" into the lowercase type and its parameters (lowercase names).
// Quoted values may not contain quotes or backslashes. Throws on malformed or repeated parameters.
std::pair<std::string, std::vector<std::pair<std::string, std::string>>> parse_header_value(
    std::string_view value) {
  std::size_t semicolon = value.find(';');
  std::pair<std::string, std::vector<std::pair<std::string, std::string>>> parsed{
      lowercase(trim(value.substr(0, semicolon))), {}};
  while (semicolon != std::string_view::npos) {
    value = trim(value.substr(semicolon + 1));
    const std::size_t equals = value.find('=');
    if (equals == std::string_view::npos) malformed("a header parameter has no value");
    const std::string name = lowercase(trim(value.substr(0, equals)));
    std::string_view rest = trim(value.substr(equals + 1));
    std::string_view parameter;
    if (!rest.empty() && rest.front() == '"') {
      const std::size_t close = rest.find_first_of("\"\\", 1);
      if (close == std::string_view::npos || rest[close] != '"') malformed("bad quoted string");
      parameter = rest.substr(1, close - 1);
      rest.remove_prefix(close + 1);
      semicolon = rest.find(';');
      if (!trim(rest.substr(0, semicolon)).empty()) malformed("text after a quoted string");
      value = rest;
    } else {
      semicolon = rest.find(';');
      parameter = trim(rest.substr(0, semicolon));
      value = rest;
    }
    for (const auto& [existing, unused] : parsed.second) {
      if (existing == name) malformed("repeated header parameter " + name);
    }
    if (name.empty()) malformed("a header parameter has no name");
    parsed.second.emplace_back(name, parameter);
  }
  return parsed;
}

// Fills the part's fields from its header block (lines ending in CRLF, without the blank line).
void parse_part_headers(std::string_view block, MultipartPart& part) {
  bool has_disposition = false;
  part.content_type = "text/plain";
  while (!block.empty()) {
    const std::size_t end = block.find("\r\n");
    const std::string_view line = block.substr(0, end);
    block.remove_prefix(end + 2);
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) malformed("a part header has no name");
    const std::string name = lowercase(line.substr(0, colon));
    const std::string_view value = trim(line.substr(colon + 1));
    if (name == "content-type") {
      if (value.empty()) malformed("empty part Content-Type");
      part.content_type = std::string(value);
    } else if (name == "content-disposition") {
      if (has_disposition) malformed("repeated Content-Disposition");
      has_disposition = true;
      const auto [type, parameters] = parse_header_value(value);
      if (type != "form-data") malformed("the part is not form-data");
      for (const auto& [key, parameter] : parameters) {
        if (key == "name") part.name = parameter;
        if (key == "filename") part.filename = parameter;
      }
    }
  }
  if (!has_disposition) malformed("a part has no Content-Disposition");
  if (part.name.empty()) malformed("a part has no name");
}

}  // namespace

std::string multipart_boundary(std::string_view content_type) {
  const auto [type, parameters] = parse_header_value(content_type);
  if (type != "multipart/form-data") {
    throw Error(ErrorCode::kBadInput, "expected multipart/form-data, got " + type);
  }
  for (const auto& [name, value] : parameters) {
    if (name == "boundary" && !value.empty() && value.size() <= 70) return value;
  }
  throw Error(ErrorCode::kBadInput, "multipart/form-data without a valid boundary");
}

std::vector<MultipartPart> parse_multipart(std::string_view content_type, std::string_view body,
                                           const MultipartLimits& limits) {
  const std::string delimiter = "--" + multipart_boundary(content_type);
  if (!body.starts_with(delimiter)) malformed("it does not start with the boundary");
  body.remove_prefix(delimiter.size());
  const std::string next_delimiter = "\r\n" + delimiter;
  std::vector<MultipartPart> parts;
  while (true) {
    if (body.starts_with("--")) {
      body.remove_prefix(2);
      if (!body.empty() && body != "\r\n") malformed("data after the close delimiter");
      if (parts.empty()) malformed("no parts");
      return parts;
    }
    if (!body.starts_with("\r\n")) malformed("no CRLF after the boundary");
    body.remove_prefix(2);
    if (parts.size() == limits.max_parts) {
      throw Error(ErrorCode::kTooLarge, "too many multipart parts",
                  {{"max_parts", limits.max_parts}});
    }
    std::size_t headers_end = body.starts_with("\r\n") ? 0 : body.find("\r\n\r\n");
    if (headers_end == std::string_view::npos) malformed("unterminated part headers");
    headers_end += headers_end == 0 ? 2 : 4;
    if (headers_end > limits.max_header_bytes) {
      throw Error(ErrorCode::kTooLarge, "multipart part headers too large",
                  {{"max_header_bytes", limits.max_header_bytes}});
    }
    MultipartPart& part = parts.emplace_back();
    parse_part_headers(body.substr(0, headers_end - 2), part);
    body.remove_prefix(headers_end);
    const std::size_t body_end = body.find(next_delimiter);
    if (body_end == std::string_view::npos) malformed("no delimiter after a part");
    part.body = body.substr(0, body_end);
    body.remove_prefix(body_end + next_delimiter.size());
  }
}

}  // namespace orfeas

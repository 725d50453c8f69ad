#include "orfeas/neural/config.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>
#include <vector>

#include "orfeas/core/error.h"

namespace orfeas::neural {
namespace {

struct Line {
  int number;        // 1-based, for errors
  size_t indent;     // leading spaces
  std::string text;  // without indentation, comment and trailing spaces
};

bool is_space(char c) { return c == ' ' || c == '\t'; }

bool is_int(std::string_view s) {
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  if (s.empty()) return false;
  if (s[0] == '0') return s.size() == 1;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}

// [-+]? (digits [. digits?] | . digits) ([eE] [-+]? digits)?, with at least a dot or an exponent.
bool is_float(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
  size_t digits = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++digits;
  bool dot = false;
  if (i < s.size() && s[i] == '.') {
    dot = true;
    ++i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++digits;
  }
  if (digits == 0) return false;
  bool exponent = false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    exponent = true;
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    size_t exponent_digits = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++exponent_digits;
    if (exponent_digits == 0) return false;
  }
  return i == s.size() && (dot || exponent);
}

class YamlParser {
 public:
  YamlParser(std::string_view text, std::string source) : source_(std::move(source)) {
    split_lines(text);
  }

  nlohmann::json parse() {
    if (lines_.empty()) return nullptr;
    if (lines_[0].indent != 0) fail(lines_[0].number, "the document does not start at column 1");
    nlohmann::json document = parse_block(0);
    if (pos_ < lines_.size()) {
      fail(lines_[pos_].number, "a line that does not fit the structure above it (indentation?)");
    }
    return document;
  }

 private:
  [[noreturn]] void fail(int line, const std::string& what) const {
    throw Error(ErrorCode::kBadInput,
                source_ + " line " + std::to_string(line) + ": " + what +
                    " (config.yaml files are read as a YAML subset: block maps and lists, flow "
                    "lists, plain and quoted scalars)",
                {{"source", source_}, {"line", line}});
  }

  // Splits into lines, dropping blank ones and comments; rejects tabs in indentation and syntax
  // we never read (documents, directives).
  void split_lines(std::string_view text) {
    int number = 0;
    while (!text.empty()) {
      const size_t end = text.find('\n');
      std::string_view raw = text.substr(0, end);
      text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
      ++number;
      if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
      size_t indent = 0;
      while (indent < raw.size() && raw[indent] == ' ') ++indent;
      if (indent < raw.size() && raw[indent] == '\t') fail(number, "a tab in indentation");
      std::string content = strip_comment(raw.substr(indent), number);
      while (!content.empty() && is_space(content.back())) content.pop_back();
      if (content.empty()) continue;
      if (indent == 0 &&
          (content.starts_with("---") || content.starts_with("...") || content.starts_with("%"))) {
        fail(number, "document markers and directives are not supported");
      }
      lines_.push_back({number, indent, std::move(content)});
    }
  }

  // The text before a comment: '#' at the start or after a space, outside quoted scalars. A quote
  // opens a scalar only where a scalar starts (after ": ", "- ", "[", "," or at the start).
  std::string strip_comment(std::string_view text, int number) const {
    char quote = 0;
    for (size_t i = 0; i < text.size(); ++i) {
      const char c = text[i];
      if (quote == '\'') {
        if (c == '\'') {
          if (i + 1 < text.size() && text[i + 1] == '\'') {
            ++i;
          } else {
            quote = 0;
          }
        }
      } else if (quote == '"') {
        if (c == '\\') {
          ++i;
        } else if (c == '"') {
          quote = 0;
        }
      } else if (c == '#' && (i == 0 || is_space(text[i - 1]))) {
        return std::string(text.substr(0, i));
      } else if ((c == '\'' || c == '"') && starts_scalar(text, i)) {
        quote = c;
      }
    }
    if (quote) fail(number, "an unterminated quoted string (multi-line strings are not supported)");
    return std::string(text);
  }

  static bool starts_scalar(std::string_view text, size_t i) {
    size_t j = i;
    while (j > 0 && is_space(text[j - 1])) --j;
    if (j == 0) return true;
    const char before = text[j - 1];
    return before == '[' || before == ',' || ((before == ':' || before == '-') && j < i);
  }

  // Where the ':' separating a map key from its value is ("key: value" or "key:"), or npos.
  static size_t key_separator(std::string_view text) {
    char quote = 0;
    int depth = 0;
    for (size_t i = 0; i < text.size(); ++i) {
      const char c = text[i];
      if (quote) {
        if (c == quote) quote = 0;
      } else if ((c == '\'' || c == '"') && i == 0) {
        quote = c;
      } else if (c == '[') {
        ++depth;
      } else if (c == ']') {
        --depth;
      } else if (c == ':' && depth == 0 && (i + 1 == text.size() || text[i + 1] == ' ')) {
        return i;
      }
    }
    return std::string_view::npos;
  }

  static bool is_sequence_item(std::string_view text) {
    return text == "-" || text.starts_with("- ");
  }

  // The block of lines at exactly `indent`, starting at pos_: a map or a sequence.
  nlohmann::json parse_block(size_t indent) {
    return is_sequence_item(lines_[pos_].text) ? parse_sequence(indent) : parse_map(indent);
  }

  nlohmann::json parse_map(size_t indent) {
    nlohmann::json map = nlohmann::json::object();
    while (pos_ < lines_.size() && lines_[pos_].indent == indent) {
      const Line& line = lines_[pos_];
      if (is_sequence_item(line.text)) fail(line.number, "a list item among map entries");
      const size_t separator = key_separator(line.text);
      if (separator == std::string_view::npos) {
        fail(line.number, "expected 'key: value', found '" + line.text + "'");
      }
      const int number = line.number;
      std::string key = parse_key(std::string_view(line.text).substr(0, separator), number);
      std::string rest = line.text.substr(separator + 1);
      const size_t start = rest.find_first_not_of(' ');
      rest = start == std::string::npos ? "" : rest.substr(start);
      ++pos_;
      if (map.contains(key)) fail(number, "duplicate key '" + key + "'");
      map[key] = parse_value(rest, indent, number, /*in_map=*/true);
    }
    return map;
  }

  nlohmann::json parse_sequence(size_t indent) {
    nlohmann::json list = nlohmann::json::array();
    while (pos_ < lines_.size() && lines_[pos_].indent == indent &&
           is_sequence_item(lines_[pos_].text)) {
      Line& line = lines_[pos_];
      const size_t start = line.text.find_first_not_of(' ', 1);
      if (start == std::string::npos) {
        ++pos_;
        list.push_back(parse_value("", indent, line.number, /*in_map=*/false));
      } else if (is_sequence_item(line.text.substr(start)) ||
                 key_separator(line.text.substr(start)) != std::string_view::npos) {
        // "- key: value" or "- - x": the rest of the line opens a block at its own column.
        line.indent += start;
        line.text.erase(0, start);
        list.push_back(parse_block(line.indent));
      } else {
        const int number = line.number;
        const std::string rest = line.text.substr(start);
        ++pos_;
        list.push_back(parse_value(rest, indent, number, /*in_map=*/false));
      }
    }
    return list;
  }

  // The value after "key:" or "-" at `indent`: inline text, or the block on the following lines.
  nlohmann::json parse_value(const std::string& inline_text, size_t indent, int number,
                             bool in_map) {
    const bool more_indented = pos_ < lines_.size() && lines_[pos_].indent > indent;
    if (!inline_text.empty()) {
      nlohmann::json value = parse_inline(inline_text, number);
      if (more_indented) fail(lines_[pos_].number, "unexpected indentation");
      return value;
    }
    if (more_indented) return parse_block(lines_[pos_].indent);
    // YAML lets a map's value be a list at the map's own indentation.
    if (in_map && pos_ < lines_.size() && lines_[pos_].indent == indent &&
        is_sequence_item(lines_[pos_].text)) {
      return parse_sequence(indent);
    }
    return nullptr;
  }

  std::string parse_key(std::string_view text, int number) const {
    while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
    if (text.empty()) fail(number, "an empty key");
    if (text[0] == '\'' || text[0] == '"') {
      size_t end = 0;
      std::string key = parse_quoted(text, 0, end, number);
      if (end != text.size()) fail(number, "text after a quoted key");
      return key;
    }
    check_plain(text, number);
    return std::string(text);
  }

  // A value written on its key's line: a flow list, a quoted string, an anchor/alias or a plain
  // scalar.
  nlohmann::json parse_inline(std::string_view text, int number) {
    if (text[0] == '&') {
      const size_t space = text.find(' ');
      if (space == std::string_view::npos) fail(number, "an anchor on a map or list");
      const std::string name(text.substr(1, space - 1));
      const nlohmann::json value =
          parse_inline(text.substr(text.find_first_not_of(' ', space)), number);
      anchors_[name] = value;
      return value;
    }
    if (text[0] == '*') {
      const auto found = anchors_.find(std::string(text.substr(1)));
      if (found == anchors_.end()) fail(number, "unknown alias '" + std::string(text) + "'");
      return found->second;
    }
    if (text[0] == '[') {
      size_t end = 0;
      nlohmann::json list = parse_flow_list(text, 0, end, number);
      if (end != text.size()) fail(number, "text after a flow list");
      return list;
    }
    if (text[0] == '\'' || text[0] == '"') {
      size_t end = 0;
      std::string value = parse_quoted(text, 0, end, number);
      if (end != text.size()) fail(number, "text after a quoted string");
      return value;
    }
    check_plain(text, number);
    return plain_scalar(text);
  }

  void check_plain(std::string_view text, int number) const {
    const char c = text[0];
    if (c == '{') fail(number, "flow maps ({...}) are not supported");
    if (c == '|' || c == '>') fail(number, "block scalars (| and >) are not supported");
    if (c == '!') fail(number, "tags (!) are not supported");
    if (c == '&' || c == '*') fail(number, "anchors and aliases are supported only as values");
    if (c == '?' || c == '@' || c == '`' || c == '%') {
      fail(number, "a plain scalar cannot start with '" + std::string(1, c) + "'");
    }
  }

  nlohmann::json parse_flow_list(std::string_view text, size_t start, size_t& end,
                                 int number) const {
    nlohmann::json list = nlohmann::json::array();
    size_t i = start + 1;
    auto skip_spaces = [&] {
      while (i < text.size() && text[i] == ' ') ++i;
    };
    skip_spaces();
    if (i < text.size() && text[i] == ']') {
      end = i + 1;
      return list;
    }
    while (true) {
      skip_spaces();
      if (i >= text.size()) fail(number, "an unterminated flow list");
      if (text[i] == '[') {
        list.push_back(parse_flow_list(text, i, i, number));
      } else if (text[i] == '\'' || text[i] == '"') {
        list.push_back(parse_quoted(text, i, i, number));
      } else {
        const size_t item_end = text.find_first_of(",]", i);
        if (item_end == std::string_view::npos) fail(number, "an unterminated flow list");
        std::string_view item = text.substr(i, item_end - i);
        while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
        if (item.empty()) fail(number, "an empty flow list item");
        check_plain(item, number);
        if (item.find_first_of("[{}:") != std::string_view::npos) {
          fail(number, "flow maps and nested syntax inside a flow list item are not supported");
        }
        list.push_back(plain_scalar(item));
        i = item_end;
      }
      skip_spaces();
      if (i < text.size() && text[i] == ',') {
        ++i;
        skip_spaces();
        if (i < text.size() && text[i] == ']') {
          end = i + 1;
          return list;
        }
      } else if (i < text.size() && text[i] == ']') {
        end = i + 1;
        return list;
      } else {
        fail(number, "expected ',' or ']' in a flow list");
      }
    }
  }

  // The quoted string starting at text[start]; `end` is set past its closing quote.
  std::string parse_quoted(std::string_view text, size_t start, size_t& end, int number) const {
    const char quote = text[start];
    std::string value;
    for (size_t i = start + 1; i < text.size(); ++i) {
      const char c = text[i];
      if (quote == '\'' && c == '\'') {
        if (i + 1 < text.size() && text[i + 1] == '\'') {
          value += '\'';
          ++i;
          continue;
        }
        end = i + 1;
        return value;
      }
      if (quote == '"' && c == '"') {
        end = i + 1;
        return value;
      }
      if (quote == '"' && c == '\\') {
        if (++i >= text.size()) break;
        switch (text[i]) {
          case 'n':
            value += '\n';
            break;
          case 't':
            value += '\t';
            break;
          case '\\':
            value += '\\';
            break;
          case '"':
            value += '"';
            break;
          case '/':
            value += '/';
            break;
          default:
            fail(number, "an unsupported escape '\\" + std::string(1, text[i]) + "'");
        }
        continue;
      }
      value += c;
    }
    fail(number, "an unterminated quoted string");
  }

  // YAML 1.2 core schema resolution of a plain scalar.
  static nlohmann::json plain_scalar(std::string_view text) {
    if (text == "~" || text == "null" || text == "Null" || text == "NULL") return nullptr;
    if (text == "true" || text == "True" || text == "TRUE") return true;
    if (text == "false" || text == "False" || text == "FALSE") return false;
    if (is_int(text)) {
      int64_t value = 0;
      const std::string_view digits = text[0] == '+' ? text.substr(1) : text;
      const auto result = std::from_chars(digits.data(), digits.data() + digits.size(), value);
      if (result.ec == std::errc()) return value;
    }
    if (is_float(text)) {
      double value = 0;
      const std::string_view digits = text[0] == '+' ? text.substr(1) : text;
      const auto result = std::from_chars(digits.data(), digits.data() + digits.size(), value);
      if (result.ec == std::errc()) return value;
    }
    if (text == ".inf" || text == ".Inf" || text == ".INF" || text == "+.inf") {
      return std::numeric_limits<double>::infinity();
    }
    if (text == "-.inf" || text == "-.Inf" || text == "-.INF") {
      return -std::numeric_limits<double>::infinity();
    }
    if (text == ".nan" || text == ".NaN" || text == ".NAN")
      return std::numeric_limits<double>::quiet_NaN();
    return std::string(text);
  }

  std::string source_;
  std::vector<Line> lines_;
  size_t pos_ = 0;
  std::map<std::string, nlohmann::json> anchors_;
};

}  // namespace

nlohmann::json parse_yaml_config(std::string_view text, const std::string& source) {
  return YamlParser(text, source).parse();
}

nlohmann::json read_yaml_config(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    throw Error(ErrorCode::kNotFound, "cannot read config file '" + file.string() + "'",
                {{"path", file.string()}});
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parse_yaml_config(text.str(), "config file '" + file.string() + "'");
}

}  // namespace orfeas::neural

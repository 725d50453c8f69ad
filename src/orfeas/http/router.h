// Routes a request to its handler by method and path pattern, and turns every failure of the
// handler into a JSON error response.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "orfeas/http/message.h"

namespace orfeas {

using Handler = std::function<Response(const Request&)>;

// Patterns are absolute paths whose segments are literals or {name}, e.g. /api/jobs/{id}/result;
// a {name} segment matches any one non-empty segment. Routes are tried in the order they were
// added, so add literals (/api/jobs/stats) before the patterns they would also match.
//
// Thread-safe for handle() once all routes are added.
class Router {
 public:
  // Throws Error{kInternal} when the pattern is malformed or method + pattern is already routed.
  void add(std::string method, std::string pattern, Handler handler);

  // Decodes request.target into path and query, finds the route and runs its handler, setting
  // request.route and request.path_params. Never throws:
  // - a target that does not decode → 400 bad_input;
  // - no pattern matches the path → 404 not_found;
  // - patterns match but none for this method → 405 with an Allow header (body code bad_input);
  // - the handler throws Error → its status and JSON body;
  // - the handler throws anything else → 500 internal with a generic message.
  Response handle(Request& request) const;

 private:
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<std::string> segments;  // "{name}" for a parameter
    Handler handler;
  };
  Response dispatch(Request& request) const;

  std::vector<Route> routes_;
};

// Decodes %XX escapes, and '+' as a space when `plus_is_space` (query strings). Throws
// Error{kBadInput} on a malformed escape.
std::string percent_decode(std::string_view text, bool plus_is_space);

}  // namespace orfeas

#include "orfeas/http/client_address.h"

#include <algorithm>
#include <cctype>
#include <vector>

namespace orfeas {
namespace {

bool is_trusted(std::string_view address, std::span<const IpNetwork> trusted) {
  return std::any_of(trusted.begin(), trusted.end(),
                     [&](const IpNetwork& network) { return network.contains(address); });
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// Every X-Forwarded-For entry, first hop first.
std::vector<std::string_view> forwarded_for(const Request& request) {
  std::vector<std::string_view> hops;
  for (const auto& [name, value] : request.headers) {
    if (name.size() != 15 ||
        !std::equal(name.begin(), name.end(), "x-forwarded-for", [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) == b;
        })) {
      continue;
    }
    std::string_view rest = value;
    while (!rest.empty()) {
      std::size_t comma = rest.find(',');
      hops.push_back(trim(rest.substr(0, comma)));
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    }
  }
  return hops;
}

}  // namespace

std::string client_address(const Request& request, std::span<const IpNetwork> trusted_proxies) {
  std::string_view client = request.remote_address;
  if (!is_trusted(client, trusted_proxies)) return std::string(client);
  std::vector<std::string_view> hops = forwarded_for(request);
  for (auto hop = hops.rbegin(); hop != hops.rend(); ++hop) {
    if (!parse_ip_address(*hop)) break;
    client = *hop;
    if (!is_trusted(client, trusted_proxies)) break;
  }
  return std::string(client);
}

}  // namespace orfeas

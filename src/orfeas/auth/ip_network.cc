#include "orfeas/auth/ip_network.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>

#include "orfeas/core/error.h"

namespace orfeas {
namespace {

constexpr int kIpv4InIpv6 = 96;  // the prefix of ::ffff:0:0/96, where IPv4 addresses map

bool is_ipv4_mapped(const IpAddress& address) {
  return std::all_of(address.begin(), address.begin() + 10,
                     [](std::uint8_t b) { return b == 0; }) &&
         address[10] == 0xff && address[11] == 0xff;
}

[[noreturn]] void reject_network(std::string_view cidr, std::string_view why) {
  throw Error(ErrorCode::kBadInput,
              "not a CIDR network (" + std::string(why) + "): \"" + std::string(cidr) + "\"",
              {{"network", cidr}});
}

// The prefix after '/': decimal digits up to `max`.
std::optional<int> parse_prefix(std::string_view text, int max) {
  if (text.empty() || text.size() > 3 ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  int prefix = 0;
  std::from_chars(text.data(), text.data() + text.size(), prefix);
  if (prefix > max) return std::nullopt;
  return prefix;
}

// The address with every bit past the first `prefix` cleared.
IpAddress masked(IpAddress address, int prefix) {
  for (int bit = prefix; bit < 128; ++bit) {
    address[bit / 8] &= static_cast<std::uint8_t>(~(0x80 >> (bit % 8)));
  }
  return address;
}

}  // namespace

std::optional<IpAddress> parse_ip_address(std::string_view text) {
  if (text.find('\0') != std::string_view::npos) return std::nullopt;
  std::size_t percent = text.find('%');
  bool has_zone = percent != std::string_view::npos;
  if (has_zone && percent + 1 == text.size()) return std::nullopt;  // an empty zone
  std::string address(text.substr(0, percent));
  IpAddress parsed{};
  if (!has_zone) {
    std::uint8_t ipv4[4];
    if (inet_pton(AF_INET, address.c_str(), ipv4) == 1) {
      parsed[10] = parsed[11] = 0xff;
      std::memcpy(parsed.data() + 12, ipv4, sizeof ipv4);
      return parsed;
    }
  }
  if (inet_pton(AF_INET6, address.c_str(), parsed.data()) == 1) return parsed;
  return std::nullopt;
}

IpNetwork IpNetwork::parse(std::string_view cidr) {
  std::size_t slash = cidr.find('/');
  std::string_view address_text = cidr.substr(0, slash);
  std::optional<IpAddress> address = parse_ip_address(address_text);
  if (!address) reject_network(cidr, "not an IP address");
  bool ipv4_text = address_text.find(':') == std::string_view::npos;
  int max_prefix = ipv4_text ? 32 : 128;
  int prefix = max_prefix;
  if (slash != std::string_view::npos) {
    std::optional<int> parsed = parse_prefix(cidr.substr(slash + 1), max_prefix);
    if (!parsed) reject_network(cidr, "bad prefix length");
    prefix = *parsed;
  }
  IpNetwork network;
  network.base_ = *address;
  network.prefix_ = ipv4_text ? prefix + kIpv4InIpv6 : prefix;
  if (masked(network.base_, network.prefix_) != network.base_) {
    reject_network(cidr, "host bits set past the prefix");
  }
  return network;
}

bool IpNetwork::contains(std::string_view address) const {
  std::optional<IpAddress> parsed = parse_ip_address(address);
  return parsed && contains(*parsed);
}

bool IpNetwork::contains(const IpAddress& address) const {
  return masked(address, prefix_) == base_;
}

std::string IpNetwork::to_string() const {
  if (prefix_ >= kIpv4InIpv6 && is_ipv4_mapped(base_)) {
    char text[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, base_.data() + 12, text, sizeof text);
    return std::string(text) + "/" + std::to_string(prefix_ - kIpv4InIpv6);
  }
  char text[INET6_ADDRSTRLEN];
  inet_ntop(AF_INET6, base_.data(), text, sizeof text);
  return std::string(text) + "/" + std::to_string(prefix_);
}

}  // namespace orfeas

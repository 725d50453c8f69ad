// IP addresses and CIDR networks, IPv4 and IPv6, for agent allowlists and trusted proxies. An IPv4
// address is kept as its IPv4-mapped IPv6 form (::ffff:a.b.c.d), so an IPv4 network matches both
// "10.0.0.1" and "::ffff:10.0.0.1", and "::ffff:10.0.0.0/104" is the same network as "10.0.0.0/8".
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace orfeas {

using IpAddress = std::array<std::uint8_t, 16>;

// Parses a dotted IPv4 or a textual IPv6 address (with an optional %zone, ignored); nothing when
// the text is not one.
std::optional<IpAddress> parse_ip_address(std::string_view text);

class IpNetwork {
 public:
  // "10.0.0.0/8", "2001:db8::/32", or a bare address (a /32 or /128 network). Host bits past the
  // prefix must be zero. Throws Error{kBadInput} naming the text otherwise.
  static IpNetwork parse(std::string_view cidr);

  // Whether the address (parse_ip_address's forms) is in the network; false for text that is not
  // an address.
  bool contains(std::string_view address) const;
  bool contains(const IpAddress& address) const;

  // The network as it is written best: "10.0.0.0/8", "2001:db8::/32".
  std::string to_string() const;

  bool operator==(const IpNetwork&) const = default;

 private:
  IpAddress base_{};
  int prefix_ = 0;  // in the IPv6 form: an IPv4 /8 is 104
};

}  // namespace orfeas

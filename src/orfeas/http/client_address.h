// The address of the client behind a request, honouring X-Forwarded-For only from trusted proxies.
#pragma once

#include <span>
#include <string>

#include "orfeas/auth/ip_network.h"
#include "orfeas/http/message.h"

namespace orfeas {

// The peer's address, unless the peer is in `trusted_proxies`: then the right-most address of
// X-Forwarded-For (all such headers, in order, comma-separated) that is not itself a trusted
// proxy; the left-most when all are trusted. Entries that are not IP addresses end the walk at the
// last good one, and an absent or empty header leaves the peer's address.
std::string client_address(const Request& request, std::span<const IpNetwork> trusted_proxies);

}  // namespace orfeas

#include "orfeas/http/client_address.h"

#include <vector>

#include <gtest/gtest.h>

namespace orfeas {
namespace {

Request from(std::string peer, HeaderList headers = {}) {
  Request request;
  request.remote_address = std::move(peer);
  request.headers = std::move(headers);
  return request;
}

TEST(ClientAddressTest, APeerThatIsNoTrustedProxyIsTheClientWhateverItForwards) {
  std::vector<IpNetwork> proxies = {IpNetwork::parse("10.0.0.0/8")};
  EXPECT_EQ(client_address(from("203.0.113.9", {{"X-Forwarded-For", "1.2.3.4"}}), proxies),
            "203.0.113.9");
  EXPECT_EQ(client_address(from("10.1.1.1", {{"X-Forwarded-For", "1.2.3.4"}}), {}), "10.1.1.1");
}

TEST(ClientAddressTest, BehindTrustedProxiesTheRightMostUntrustedHopIsTheClient) {
  std::vector<IpNetwork> proxies = {IpNetwork::parse("10.0.0.0/8"), IpNetwork::parse("::1")};
  // The left entries are whatever the client claimed; only hops added by our proxies count.
  EXPECT_EQ(
      client_address(from("10.0.0.2", {{"X-Forwarded-For", "6.6.6.6, 198.51.100.7, 10.0.0.3"}}),
                     proxies),
      "198.51.100.7");
  EXPECT_EQ(client_address(from("::1", {{"x-forwarded-for", "6.6.6.6"},
                                        {"X-Forwarded-For", "2001:db8::5 ,10.9.9.9"}}),
                           proxies),
            "2001:db8::5");
  EXPECT_EQ(client_address(from("10.0.0.2", {{"X-Forwarded-For", "10.0.0.7, 10.0.0.8"}}), proxies),
            "10.0.0.7");
}

TEST(ClientAddressTest, MissingOrGarbledForwardingStopsAtTheLastGoodHop) {
  std::vector<IpNetwork> proxies = {IpNetwork::parse("10.0.0.0/8")};
  EXPECT_EQ(client_address(from("10.0.0.2"), proxies), "10.0.0.2");
  EXPECT_EQ(client_address(from("10.0.0.2", {{"X-Forwarded-For", ""}}), proxies), "10.0.0.2");
  EXPECT_EQ(
      client_address(from("10.0.0.2", {{"X-Forwarded-For", "1.1.1.1, bogus, 10.0.0.4"}}), proxies),
      "10.0.0.4");
}

}  // namespace
}  // namespace orfeas

#include "orfeas/auth/ip_network.h"

#include <gtest/gtest.h>

#include "orfeas/core/test_errors.h"

namespace orfeas {
namespace {

TEST(ParseIpAddressTest, ReadsIpv4AsMappedIpv6) {
  std::optional<IpAddress> ipv4 = parse_ip_address("10.1.2.3");
  ASSERT_TRUE(ipv4);
  EXPECT_EQ(*ipv4, (IpAddress{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 1, 2, 3}));
  EXPECT_EQ(parse_ip_address("::ffff:10.1.2.3"), ipv4);
  EXPECT_EQ(parse_ip_address("::FFFF:a01:203"), ipv4);
  EXPECT_EQ(parse_ip_address("::1"), (IpAddress{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}));
}

TEST(ParseIpAddressTest, IgnoresAnIpv6ZoneId) {
  EXPECT_EQ(parse_ip_address("fe80::1%eth0"), parse_ip_address("fe80::1"));
  EXPECT_EQ(parse_ip_address("fe80::1%25"), parse_ip_address("fe80::1"));
  EXPECT_FALSE(parse_ip_address("fe80::1%"));
  EXPECT_FALSE(parse_ip_address("10.0.0.1%eth0"));
}

TEST(ParseIpAddressTest, RefusesGarbage) {
  for (std::string text :
       {std::string(""), std::string("localhost"), std::string("10.0.0"), std::string("10.0.0.256"),
        std::string("10.0.0.1.2"), std::string(" 10.0.0.1"), std::string("10.0.0.1 "),
        std::string("1:2:3:4:5:6:7:8:9"), std::string("::g"), std::string("10.0.0.1/8"),
        std::string("10.0.0.1\0garbage", 16), std::string(":::")}) {
    EXPECT_FALSE(parse_ip_address(text)) << text;
  }
}

TEST(IpNetworkTest, Ipv4Prefixes) {
  IpNetwork everything = IpNetwork::parse("0.0.0.0/0");
  EXPECT_TRUE(everything.contains("0.0.0.0"));
  EXPECT_TRUE(everything.contains("255.255.255.255"));
  EXPECT_FALSE(everything.contains("2001:db8::1"));  // IPv4 /0 holds only IPv4 addresses

  IpNetwork ten = IpNetwork::parse("10.0.0.0/8");
  EXPECT_TRUE(ten.contains("10.0.0.0"));
  EXPECT_TRUE(ten.contains("10.255.255.255"));
  EXPECT_FALSE(ten.contains("11.0.0.0"));
  EXPECT_FALSE(ten.contains("9.255.255.255"));

  IpNetwork host = IpNetwork::parse("192.168.1.7/32");
  EXPECT_TRUE(host.contains("192.168.1.7"));
  EXPECT_FALSE(host.contains("192.168.1.6"));
  EXPECT_FALSE(host.contains("192.168.1.8"));
  EXPECT_EQ(IpNetwork::parse("192.168.1.7"), host);

  IpNetwork odd = IpNetwork::parse("172.16.0.0/12");
  EXPECT_TRUE(odd.contains("172.31.255.255"));
  EXPECT_FALSE(odd.contains("172.32.0.0"));
}

TEST(IpNetworkTest, Ipv6Prefixes) {
  IpNetwork everything = IpNetwork::parse("::/0");
  EXPECT_TRUE(everything.contains("::"));
  EXPECT_TRUE(everything.contains("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
  EXPECT_TRUE(everything.contains("10.0.0.1"));

  IpNetwork doc = IpNetwork::parse("2001:db8::/32");
  EXPECT_TRUE(doc.contains("2001:db8::1"));
  EXPECT_TRUE(doc.contains("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"));
  EXPECT_FALSE(doc.contains("2001:db9::"));
  EXPECT_FALSE(doc.contains("10.0.0.1"));

  IpNetwork host = IpNetwork::parse("2001:db8::5/128");
  EXPECT_TRUE(host.contains("2001:db8::5"));
  EXPECT_FALSE(host.contains("2001:db8::4"));
  EXPECT_FALSE(host.contains("2001:db8::6"));
  EXPECT_EQ(IpNetwork::parse("2001:db8::5"), host);
}

TEST(IpNetworkTest, MatchesIpv4AndMappedIpv6BothWays) {
  IpNetwork ipv4 = IpNetwork::parse("10.0.0.0/8");
  EXPECT_TRUE(ipv4.contains("::ffff:10.1.2.3"));
  EXPECT_FALSE(ipv4.contains("::ffff:11.1.2.3"));
  EXPECT_FALSE(ipv4.contains("::10.1.2.3"));  // IPv4-compatible, not mapped

  IpNetwork mapped = IpNetwork::parse("::ffff:10.0.0.0/104");
  EXPECT_EQ(mapped, ipv4);
  EXPECT_TRUE(mapped.contains("10.1.2.3"));
  EXPECT_FALSE(mapped.contains("11.1.2.3"));
  EXPECT_EQ(IpNetwork::parse("::ffff:0:0/96"), IpNetwork::parse("0.0.0.0/0"));

  IpAddress address = *parse_ip_address("10.9.8.7");
  EXPECT_TRUE(ipv4.contains(address));
  EXPECT_FALSE(IpNetwork::parse("::1/128").contains(address));
}

TEST(IpNetworkTest, AcceptsZoneIds) {
  IpNetwork link_local = IpNetwork::parse("fe80::%eth0/10");
  EXPECT_EQ(link_local, IpNetwork::parse("fe80::/10"));
  EXPECT_TRUE(link_local.contains("fe80::1%eth0"));
  EXPECT_TRUE(link_local.contains("febf::1%2"));
  EXPECT_FALSE(link_local.contains("fec0::1%eth0"));
}

TEST(IpNetworkTest, FalseForTextThatIsNoAddress) {
  IpNetwork everything = IpNetwork::parse("::/0");
  EXPECT_FALSE(everything.contains(""));
  EXPECT_FALSE(everything.contains("unknown"));
  EXPECT_FALSE(everything.contains("10.0.0.1:8080"));
}

TEST(IpNetworkTest, RefusesHostBitsBadPrefixesAndGarbageNamingTheText) {
  for (std::string text :
       {"10.0.0.1/8", "10.128.0.0/8", "192.168.1.1/31", "2001:db8::1/32", "2001:db9::/31",
        "::ffff:10.0.0.1/104", "::1/0",
        // bad prefixes
        "10.0.0.0/33", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/+8", "10.0.0.0/8.0", "10.0.0.0/ 8",
        "10.0.0.0/8/8", "10.0.0.0/0008", "::/129", "::/1280", "::/x",
        // garbage
        "", "/8", "10.0.0/8", "10.0.0.0.0/8", "example.com/8", "10.0.0.0%eth0/8", "fe80::%/10",
        "1.2.3.4 /32"}) {
    Error error = test::error_of([&] { IpNetwork::parse(text); });
    EXPECT_EQ(error.code(), ErrorCode::kBadInput) << text;
    EXPECT_NE(error.message().find("\"" + text + "\""), std::string::npos) << error.message();
  }
}

TEST(IpNetworkTest, ToStringWritesTheShortFormAndRoundTrips) {
  EXPECT_EQ(IpNetwork::parse("10.0.0.0/8").to_string(), "10.0.0.0/8");
  EXPECT_EQ(IpNetwork::parse("::ffff:10.0.0.0/104").to_string(), "10.0.0.0/8");
  EXPECT_EQ(IpNetwork::parse("0.0.0.0/0").to_string(), "0.0.0.0/0");
  EXPECT_EQ(IpNetwork::parse("192.168.1.7").to_string(), "192.168.1.7/32");
  EXPECT_EQ(IpNetwork::parse("2001:0DB8:0000::/32").to_string(), "2001:db8::/32");
  EXPECT_EQ(IpNetwork::parse("::/0").to_string(), "::/0");
  EXPECT_EQ(IpNetwork::parse("::1").to_string(), "::1/128");
  EXPECT_EQ(IpNetwork::parse("fe80::%eth0/10").to_string(), "fe80::/10");
  for (const char* text :
       {"10.0.0.0/8", "0.0.0.0/0", "255.255.255.255/32", "172.16.0.0/12", "2001:db8::/32", "::/0",
        "::1/128", "fe80::/10", "::fffe:0:0/95", "2001:db8:1:2:3:4:5:6/128", "::a00:0/104"}) {
    IpNetwork network = IpNetwork::parse(text);
    EXPECT_EQ(IpNetwork::parse(network.to_string()), network) << text;
  }
}

}  // namespace
}  // namespace orfeas

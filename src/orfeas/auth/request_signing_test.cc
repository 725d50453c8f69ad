#include "orfeas/auth/request_signing.h"

#include <algorithm>
#include <cctype>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "orfeas/auth/random_token.h"
#include "orfeas/core/test_errors.h"

namespace orfeas {
namespace {

const std::string kSignature(64, 'a');
const std::string kNonce = "abcdefghijklmnop";  // 16 characters, the shortest allowed

TEST(CanonicalQueryTest, IsEmptyWithoutQueryOrWithAnEmptyOne) {
  EXPECT_EQ(canonical_query("/p"), "");
  EXPECT_EQ(canonical_query("/p?"), "");
  EXPECT_EQ(canonical_query(""), "");
  EXPECT_EQ(signed_path("/p?"), "/p");
  EXPECT_EQ(signed_path("/p"), "/p");
}

TEST(CanonicalQueryTest, SortsPiecesBytewiseKeepingRepeatsAndEmptyPieces) {
  EXPECT_EQ(canonical_query("/p?b=2&a=1"), "a=1&b=2");
  EXPECT_EQ(canonical_query("/p?a=2&a=1&a=2"), "a=1&a=2&a=2");
  EXPECT_EQ(canonical_query("/p?a=1&&b=2"), "&a=1&b=2");
  EXPECT_EQ(canonical_query("/p?a=1&"), "&a=1");
  EXPECT_EQ(canonical_query("/p?&"), "&");
  EXPECT_EQ(canonical_query("/p?a&a="), "a&a=");
  // Bytewise, uppercase sorts before lowercase; case-insensitively it would be the other way.
  EXPECT_EQ(canonical_query("/p?a=2&B=1"), "B=1&a=2");
  EXPECT_EQ(canonical_query("/p?B=1&a=2"), "B=1&a=2");
  // Bytes above 0x7f sort after ASCII (unsigned comparison).
  EXPECT_EQ(canonical_query("/p?\xc3\xa9=1&z=2"), "z=2&\xc3\xa9=1");
}

TEST(CanonicalQueryTest, KeepsEncodedBytesRawAndSplitsOnlyAtTheFirstQuestionMark) {
  EXPECT_EQ(canonical_query("/p?path=a%2Fb&q=a+b"), "path=a%2Fb&q=a+b");
  EXPECT_NE(canonical_query("/p?path=a%2Fb"), canonical_query("/p?path=a/b"));
  EXPECT_EQ(canonical_query("/p?x=%2f&x=%2F"), "x=%2F&x=%2f");
  EXPECT_EQ(canonical_query("/p?q=what?&a=1"), "a=1&q=what?");
  EXPECT_EQ(signed_path("/p?q=what?&a=1"), "/p");
  EXPECT_EQ(signed_path("/files/a%20b%2Fc.ply?x=1"), "/files/a%20b%2Fc.ply");
  EXPECT_EQ(canonical_query("/files/a%20b%2Fc.ply?x=1"), "x=1");
}

TEST(StringToSignTest, IsTheDocumentedTextForAKnownRequest) {
  const std::string body = R"({"mesh":"stl"})";
  const std::string expected =
      "ORFEAS-HMAC-SHA256\n"
      "POST\n"
      "/v1/jobs\n"
      "a=1&b=2&mode=fast\n"
      "1700000000\n"
      "abcdefghijklmnop0123\n"
      "737afcb47943db1b445f9b4c8f52c43bcf7599d81a53388c21b92201c142c011";
  EXPECT_EQ(string_to_sign("POST", "/v1/jobs?mode=fast&b=2&a=1", 1700000000, "abcdefghijklmnop0123",
                           body),
            expected);
  EXPECT_EQ(sign_request("top-secret", "POST", "/v1/jobs?mode=fast&b=2&a=1", 1700000000,
                         "abcdefghijklmnop0123", body),
            "fb05fb3a546ca084fe76eeb48a433fc0685b8bb0bb0c621d46d3586acd62926a");
}

TEST(StringToSignTest, HasEmptyLinesForNoQueryAndAnEmptyBody) {
  EXPECT_EQ(string_to_sign("GET", "/v1/jobs", 0, kNonce, ""),
            "ORFEAS-HMAC-SHA256\nGET\n/v1/jobs\n\n0\nabcdefghijklmnop\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Sha256Test, MatchesKnownDigests) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256Test, DigestsPartsAsTheirConcatenation) {
  const Sha256Digest parts = sha256_digest({"a", "", "bc"});
  EXPECT_EQ(lower_hex(digest_bytes(parts)), sha256_hex("abc"));
  EXPECT_NE(sha256_digest({"ab", "c"}), sha256_digest({"ab", "d"}));
}

// RFC 4231, test cases 1, 2, 3, 4, 6 and 7 (5 is truncated output).
TEST(HmacSha256Test, MatchesRfc4231) {
  std::string case4_key;
  for (char c = 0x01; c <= 0x19; ++c) case4_key.push_back(c);
  const std::string long_key(131, '\xaa');
  EXPECT_EQ(hmac_sha256_hex(std::string(20, '\x0b'), "Hi There"),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(hmac_sha256_hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(hmac_sha256_hex(std::string(20, '\xaa'), std::string(50, '\xdd')),
            "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
  EXPECT_EQ(hmac_sha256_hex(case4_key, std::string(50, '\xcd')),
            "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
  EXPECT_EQ(hmac_sha256_hex(long_key, "Test Using Larger Than Block-Size Key - Hash Key First"),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  EXPECT_EQ(hmac_sha256_hex(long_key,
                            "This is a test using a larger than block-size key and a larger than "
                            "block-size data. The key needs to be hashed before being used by the "
                            "HMAC algorithm."),
            "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

TEST(HmacSha256Test, KeepsEachKeysStateApartWhenKeysAlternate) {
  const std::string first = hmac_sha256_hex(std::string(20, '\x0b'), "Hi There");
  EXPECT_EQ(hmac_sha256_hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(hmac_sha256_hex(std::string(20, '\x0b'), "Hi There"), first);
  EXPECT_EQ(hmac_sha256_hex("Jefe", ""), hmac_sha256_hex("Jefe", ""));
  EXPECT_NE(hmac_sha256_hex("Jefe", ""), hmac_sha256_hex("Jeff", ""));
}

TEST(SignatureMatchesTest, AcceptsOnlyTheExactLowercaseHexMac) {
  const std::string mac = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
  const std::string message = "what do ya want for nothing?";
  EXPECT_TRUE(signature_matches("Jefe", message, mac));
  std::string changed = mac;
  changed[63] = '4';
  EXPECT_FALSE(signature_matches("Jefe", message, changed));
  std::string upper = mac;
  std::transform(upper.begin(), upper.end(), upper.begin(), [](char c) {
    return static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  });
  EXPECT_FALSE(signature_matches("Jefe", message, upper));
  EXPECT_FALSE(signature_matches("Jefe", message, mac.substr(0, 63)));
  EXPECT_FALSE(signature_matches("Jefe", message + " ", mac));
  EXPECT_FALSE(signature_matches("jefe", message, mac));
}

TEST(ParseAgentSignatureTest, ReadsWellFormedHeaders) {
  AgentSignature parsed = parse_agent_signature("agent_Key-1", "1700000000", kNonce, kSignature);
  EXPECT_EQ(parsed.api_key, "agent_Key-1");
  EXPECT_EQ(parsed.timestamp, 1700000000);
  EXPECT_EQ(parsed.nonce, kNonce);
  EXPECT_EQ(parsed.signature, kSignature);
  EXPECT_EQ(parse_agent_signature("k", "0", kNonce, kSignature).timestamp, 0);
  EXPECT_EQ(parse_agent_signature("k", "999999999999", kNonce, kSignature).timestamp, 999999999999);
  EXPECT_EQ(
      parse_agent_signature(std::string(128, 'k'), "1", std::string(64, 'n'),
                            "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")
          .api_key.size(),
      128u);
}

// The kUnauthorized error of parsing the headers, with `header` expected to be named.
void expect_rejected(std::string_view header, std::string_view api_key, std::string_view timestamp,
                     std::string_view nonce, std::string_view signature) {
  Error error =
      test::error_of([&] { parse_agent_signature(api_key, timestamp, nonce, signature); });
  EXPECT_EQ(error.code(), ErrorCode::kUnauthorized) << header;
  EXPECT_NE(error.message().find(header), std::string::npos) << error.message();
  EXPECT_EQ(error.details().value("header", ""), header);
}

TEST(ParseAgentSignatureTest, NamesAMissingHeader) {
  expect_rejected("X-Agent-API-Key", "", "1", kNonce, kSignature);
  expect_rejected("X-Agent-Timestamp", "k", "", kNonce, kSignature);
  expect_rejected("X-Agent-Nonce", "k", "1", "", kSignature);
  expect_rejected("X-Agent-Signature", "k", "1", kNonce, "");
  expect_rejected("X-Agent-API-Key", "", "", "", "");  // the first one missing
  EXPECT_NE(
      test::error_of([] { parse_agent_signature("k", "1", kNonce, ""); }).message().find("missing"),
      std::string::npos);
}

TEST(ParseAgentSignatureTest, NamesAMalformedApiKey) {
  for (std::string key : {std::string("a b"), std::string("key!"), std::string("k\xc3\xa9"),
                          std::string("k.1"), std::string(129, 'k'), std::string("k\0", 2)}) {
    expect_rejected("X-Agent-API-Key", key, "1", kNonce, kSignature);
  }
}

TEST(ParseAgentSignatureTest, NamesAMalformedTimestamp) {
  for (const char* timestamp : {"-1", "+1", "1.5", "12a", " 1", "1 ", "0x10", "1000000000000"}) {
    expect_rejected("X-Agent-Timestamp", "k", timestamp, kNonce, kSignature);
  }
}

TEST(ParseAgentSignatureTest, NamesANonceOfTheWrongLengthOrCharacters) {
  EXPECT_NO_THROW(parse_agent_signature("k", "1", std::string(16, 'n'), kSignature));
  EXPECT_NO_THROW(parse_agent_signature("k", "1", std::string(64, 'n'), kSignature));
  for (std::string nonce :
       {std::string(15, 'n'), std::string(65, 'n'), std::string("abcdefghijklmno="),
        std::string("abcdefghijklmno/"), std::string("abcdefgh ijklmnop")}) {
    expect_rejected("X-Agent-Nonce", "k", "1", nonce, kSignature);
  }
}

TEST(ParseAgentSignatureTest, NamesASignatureThatIsNotLowercaseHexOf64) {
  for (std::string signature : {std::string(64, 'A'), std::string(63, 'a'), std::string(65, 'a'),
                                std::string(63, 'a') + "g", std::string(32, 'a')}) {
    expect_rejected("X-Agent-Signature", "k", "1", kNonce, signature);
  }
}

TEST(ParseAgentSignatureTest, AcceptsExactlyTheAllowedBytesOfAll256) {
  for (int byte = 0; byte < 256; ++byte) {
    const char c = static_cast<char>(byte);
    const bool token = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                       (c >= '0' && c <= '9') || c == '_' || c == '-';
    const bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    const std::string nonce = std::string(15, 'n') + c;
    const std::string signature = std::string(63, 'a') + c;
    if (token) {
      EXPECT_NO_THROW(parse_agent_signature("k", "1", nonce, kSignature)) << byte;
    } else {
      expect_rejected("X-Agent-Nonce", "k", "1", nonce, kSignature);
    }
    if (hex) {
      EXPECT_NO_THROW(parse_agent_signature("k", "1", kNonce, signature)) << byte;
    } else {
      expect_rejected("X-Agent-Signature", "k", "1", kNonce, signature);
    }
  }
}

TEST(ConstantTimeEqualTest, ComparesContentAndLength) {
  EXPECT_TRUE(constant_time_equal("", ""));
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "ab"));
  EXPECT_FALSE(constant_time_equal("", "a"));
  EXPECT_TRUE(constant_time_equal(std::string("a\0b", 3), std::string("a\0b", 3)));
  EXPECT_FALSE(constant_time_equal(std::string("a\0b", 3), std::string("a\0c", 3)));
}

TEST(NewNonceTest, Is32UrlSafeCharactersAndUnique) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string nonce = new_nonce();
    ASSERT_EQ(nonce.size(), 32u);
    EXPECT_NO_THROW(parse_agent_signature("k", "1", nonce, kSignature)) << nonce;
    seen.insert(nonce);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

}  // namespace
}  // namespace orfeas

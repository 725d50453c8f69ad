"""The Python agent client's signing against docs/SIGNING.md and known signatures (no server)."""
import re
import sys

from orfeas_server import SOURCE_DIR

sys.path.insert(0, str(SOURCE_DIR / "clients" / "python"))
import orfeas_agent  # noqa: E402

EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
# The example of docs/SIGNING.md, as printed there.
DOCUMENTED_STRING_TO_SIGN = ("ORFEAS-HMAC-SHA256\nGET\n/api/agent/status/abc\na=1&b=2\n1767225600\n"
                             f"n0nce-n0nce-n0nce-1\n{EMPTY_SHA256}")


def test_string_to_sign_is_the_documented_example():
    assert orfeas_agent.string_to_sign("GET", "/api/agent/status/abc?b=2&a=1", 1767225600,
                                       "n0nce-n0nce-n0nce-1", b"") == DOCUMENTED_STRING_TO_SIGN


def test_documented_example_signature_matches_openssl():
    # printf '<the string>' | openssl dgst -sha256 -hmac sk_example_secret
    assert orfeas_agent.sign("sk_example_secret", "GET", "/api/agent/status/abc?b=2&a=1", b"",
                             1767225600, "n0nce-n0nce-n0nce-1") == \
        "62d119226aae8069574f18dd8535895b71aa2235c3508e4feceec98f146bf0c9"


def test_signature_of_a_body_matches_openssl():
    assert orfeas_agent.sign("sk_example_secret", "POST", "/api/agent/generate-3d",
                             b'{"image":"AAAA"}', 1767225600, "n0nce-n0nce-n0nce-2") == \
        "246770733c596889081c2c8104a8594ce9bab26e5222288c073dda202a0d6dc4"


def test_signature_matches_the_servers_unit_test_vector():
    # The same request as StringToSignTest.IsTheDocumentedTextForAKnownRequest (C++).
    assert orfeas_agent.sign("top-secret", "POST", "/v1/jobs?mode=fast&b=2&a=1",
                             '{"mesh":"stl"}', 1700000000, "abcdefghijklmnop0123") == \
        "fb05fb3a546ca084fe76eeb48a433fc0685b8bb0bb0c621d46d3586acd62926a"


def test_canonical_query_keeps_empty_pieces_and_raw_bytes():
    assert orfeas_agent.canonical_query("/p") == ""
    assert orfeas_agent.canonical_query("/p?") == ""
    assert orfeas_agent.canonical_query("/p?b=1&&a=2&") == "&&a=2&b=1"
    assert orfeas_agent.canonical_query("/p?x=%2f&x=%2F") == "x=%2F&x=%2f"
    assert orfeas_agent.canonical_query("/p?q=what?&a=1") == "a=1&q=what?"
    assert orfeas_agent.canonical_query("/p?B=1&a=1&_=1") == "B=1&_=1&a=1"


def test_signed_headers_carry_a_fresh_valid_nonce_and_the_time():
    first = orfeas_agent.signed_headers("ak_x", "sk_y", "GET", "/api/agent/status/j", None,
                                        timestamp=1767225600)
    second = orfeas_agent.signed_headers("ak_x", "sk_y", "GET", "/api/agent/status/j", None,
                                         timestamp=1767225600)
    assert set(first) == {"X-Agent-API-Key", "X-Agent-Timestamp", "X-Agent-Nonce",
                          "X-Agent-Signature"}
    assert first["X-Agent-API-Key"] == "ak_x" and first["X-Agent-Timestamp"] == "1767225600"
    assert re.fullmatch(r"[A-Za-z0-9_-]{16,64}", first["X-Agent-Nonce"])
    assert first["X-Agent-Nonce"] != second["X-Agent-Nonce"]
    assert first["X-Agent-Signature"] == orfeas_agent.sign(
        "sk_y", "GET", "/api/agent/status/j", b"", 1767225600, first["X-Agent-Nonce"])
    assert re.fullmatch(r"[0-9a-f]{64}", first["X-Agent-Signature"])

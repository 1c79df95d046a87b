// net/ helpers: host:port, resources and queries, WebSocket frame headers, ws:// URLs.

#include "net/net_util.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace smartlink::net {
namespace {

using Query = std::map<std::string, std::string>;

TEST(NetUtil, HostPortJoinsHostAndPort) {
  EXPECT_EQ("127.0.0.1:8080", HostPort("127.0.0.1", 8080));
  EXPECT_EQ("localhost:1", HostPort("localhost", 1));
  EXPECT_EQ("example.com:65535", HostPort("example.com", 65535));
}

TEST(NetUtil, HostPortBracketsIpv6) {
  EXPECT_EQ("[::1]:8080", HostPort("::1", 8080));
  EXPECT_EQ("[2001:db8::7]:443", HostPort("2001:db8::7", 443));
}

TEST(NetUtil, PathOfAndQueryOf) {
  EXPECT_EQ("/ws", PathOf("/ws?token=x"));
  EXPECT_EQ("token=x", QueryOf("/ws?token=x"));
  EXPECT_EQ("/ws", PathOf("/ws"));
  EXPECT_EQ("", QueryOf("/ws"));
  EXPECT_EQ("/ws", PathOf("/ws?"));
  EXPECT_EQ("", QueryOf("/ws?"));
  EXPECT_EQ("a=1?b=2", QueryOf("/p?a=1?b=2"));
  EXPECT_EQ("", PathOf("?x=1"));
  EXPECT_EQ("x=1", QueryOf("?x=1"));
}

TEST(NetUtil, ParseQuerySplitsPairs) {
  EXPECT_EQ((Query{{"a", "1"}, {"b", "2"}}), ParseQuery("a=1&b=2"));
  EXPECT_EQ(Query{}, ParseQuery(""));
  EXPECT_EQ((Query{{"flag", ""}, {"x", "y"}}), ParseQuery("flag&x=y"));
  EXPECT_EQ((Query{{"a", ""}}), ParseQuery("a="));
  EXPECT_EQ((Query{{"a", "1"}}), ParseQuery("&&a=1&&"));
  EXPECT_EQ((Query{{"a", "b=c"}}), ParseQuery("a=b=c"));
}

TEST(NetUtil, ParseQueryLaterKeysWin) { EXPECT_EQ((Query{{"a", "3"}}), ParseQuery("a=1&a=2&a=3")); }

TEST(NetUtil, ParseQueryPercentDecodesKeysAndValuesAndPlus) {
  EXPECT_EQ((Query{{"a", "1"}, {"b", " x y"}}), ParseQuery("a=1&b=%20x+y"));
  EXPECT_EQ((Query{{"my key", "a&b=c"}}), ParseQuery("my+key=a%26b%3Dc"));
  EXPECT_EQ((Query{{"token", "abc.def-ghi_jkl"}}), ParseQuery("token=abc.def-ghi_jkl"));
  EXPECT_EQ((Query{{"u", "caf\xC3\xA9"}}), ParseQuery("u=caf%C3%a9"));
}

TEST(NetUtil, PercentDecodeLeavesMalformedEscapesAlone) {
  EXPECT_EQ("100%", PercentDecode("100%", false));
  EXPECT_EQ("%2", PercentDecode("%2", false));
  EXPECT_EQ("%zz", PercentDecode("%zz", false));
  EXPECT_EQ("%g1x", PercentDecode("%g1x", false));
  EXPECT_EQ("a b", PercentDecode("a%20b", false));
  EXPECT_EQ("ab", PercentDecode("%61b", false));
  EXPECT_EQ(std::string("\0", 1), PercentDecode("%00", false));
}

TEST(NetUtil, PercentDecodePlusOnlyInQueries) {
  EXPECT_EQ("a+b", PercentDecode("a+b", false));
  EXPECT_EQ("a b", PercentDecode("a+b", true));
  EXPECT_EQ("a+b", PercentDecode("a%2Bb", true));
}

TEST(NetUtil, PercentEncodeKeepsUnreservedOnly) {
  EXPECT_EQ("abcXYZ019-_.~", PercentEncode("abcXYZ019-_.~"));
  EXPECT_EQ("a%20b%2Bc%26d%3De%2F", PercentEncode("a b+c&d=e/"));
  EXPECT_EQ("%00%FF", PercentEncode(std::string("\0\xFF", 2)));
}

TEST(NetUtil, PercentEncodeRoundTrips) {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  EXPECT_EQ(all, PercentDecode(PercentEncode(all), true));
}

TEST(NetUtil, EqualsIgnoreCase) {
  EXPECT_TRUE(EqualsIgnoreCase("Upgrade", "upgrade"));
  EXPECT_TRUE(EqualsIgnoreCase("WEBSOCKET", "websocket"));
  EXPECT_TRUE(EqualsIgnoreCase("", ""));
  EXPECT_FALSE(EqualsIgnoreCase("websocket", "websockets"));
  EXPECT_FALSE(EqualsIgnoreCase("abc", "abd"));
}

TEST(NetUtil, ToLowerAndTrim) {
  EXPECT_EQ("bearer xyz", ToLower("Bearer XYZ"));
  EXPECT_EQ("a b", Trim("  a b \t\r\n"));
  EXPECT_EQ("", Trim("   "));
  EXPECT_EQ("", Trim(""));
  EXPECT_EQ("x", Trim("x"));
}

// RFC 6455 section 5.2: FIN bit and opcode, then a 7-bit length, or 126 and a 16-bit length,
// or 127 and a 64-bit length, all big-endian, unmasked (server to client).
TEST(NetUtil, FrameHeaderForEmptyPayload) {
  EXPECT_EQ(std::string("\x81\x00", 2), FrameHeader(false, 0));
  EXPECT_EQ(std::string("\x82\x00", 2), FrameHeader(true, 0));
}

// Client frames: the mask bit set in each length form, and any opcode (close, ping).
TEST(NetUtil, MaskedFrameHeadersSetTheMaskBit) {
  EXPECT_EQ(std::string("\x88\x82", 2), FrameHeader(0x8, 2, true));
  EXPECT_EQ(std::string("\x8A\x80", 2), FrameHeader(0xA, 0, true));
  EXPECT_EQ(std::string("\x81\xFE\x00\x7E", 4), FrameHeader(0x1, 126, true));
  EXPECT_EQ(std::string("\x82\xFF\x00\x00\x00\x00\x00\x01\x00\x00", 10),
            FrameHeader(0x2, 65536, true));
}

TEST(NetUtil, FrameHeaderFor125UsesSevenBitLength) {
  EXPECT_EQ(std::string("\x81\x7D", 2), FrameHeader(false, 125));
}

TEST(NetUtil, FrameHeaderFor126UsesSixteenBitLength) {
  EXPECT_EQ(std::string("\x81\x7E\x00\x7E", 4), FrameHeader(false, 126));
}

TEST(NetUtil, FrameHeaderFor65535UsesSixteenBitLength) {
  EXPECT_EQ(std::string("\x82\x7E\xFF\xFF", 4), FrameHeader(true, 65535));
}

TEST(NetUtil, FrameHeaderFor65536UsesSixtyFourBitLength) {
  EXPECT_EQ(std::string("\x81\x7F\x00\x00\x00\x00\x00\x01\x00\x00", 10), FrameHeader(false, 65536));
}

TEST(NetUtil, FrameHeaderForLargeSizeIsBigEndian) {
  EXPECT_EQ(std::string("\x82\x7F\x00\x00\x00\x01\x02\x03\x04\x05", 10),
            FrameHeader(true, 0x0102030405ull));
}

// --- ParseWsUrl ---

WsUrl Parse(const std::string& url) {
  WsUrl u;
  std::string error;
  EXPECT_TRUE(ParseWsUrl(url, &u, &error)) << url << ": " << error;
  return u;
}

std::string ParseError(const std::string& url) {
  WsUrl u;
  u.host = "untouched";
  std::string error;
  EXPECT_FALSE(ParseWsUrl(url, &u, &error)) << url;
  EXPECT_EQ("untouched", u.host) << "out is left alone on failure";
  return error;
}

TEST(NetUtil, ParseWsUrlPlain) {
  WsUrl u = Parse("ws://127.0.0.1:8080/ws");
  EXPECT_FALSE(u.tls);
  EXPECT_EQ("127.0.0.1", u.host);
  EXPECT_EQ(8080, u.port);
  EXPECT_EQ("/ws", u.resource);
}

TEST(NetUtil, ParseWsUrlTls) {
  WsUrl u = Parse("wss://chat.example.com:8443/ws?token=abc");
  EXPECT_TRUE(u.tls);
  EXPECT_EQ("chat.example.com", u.host);
  EXPECT_EQ(8443, u.port);
  EXPECT_EQ("/ws?token=abc", u.resource);
}

TEST(NetUtil, ParseWsUrlAcceptsHttpSchemes) {
  WsUrl h = Parse("http://localhost:9000/ws");
  EXPECT_FALSE(h.tls);
  EXPECT_EQ(9000, h.port);
  WsUrl s = Parse("https://localhost:9443/ws");
  EXPECT_TRUE(s.tls);
  EXPECT_EQ(9443, s.port);
}

TEST(NetUtil, ParseWsUrlDefaultPorts) {
  EXPECT_EQ(80, Parse("ws://example.com/ws").port);
  EXPECT_EQ(443, Parse("wss://example.com/ws").port);
  EXPECT_EQ(80, Parse("http://example.com").port);
  EXPECT_EQ(443, Parse("https://example.com").port);
}

TEST(NetUtil, ParseWsUrlDefaultPathIsWs) {
  EXPECT_EQ("/ws", Parse("ws://example.com").resource);
  EXPECT_EQ("/ws", Parse("ws://example.com:81").resource);
  EXPECT_EQ("/ws", Parse("ws://example.com/").resource);
  EXPECT_EQ("/ws?token=t", Parse("ws://example.com?token=t").resource);
  EXPECT_EQ("/ws?token=t", Parse("ws://example.com/?token=t").resource);
  EXPECT_EQ("/chat/socket", Parse("ws://example.com/chat/socket").resource);
}

TEST(NetUtil, ParseWsUrlIpv6) {
  WsUrl u = Parse("ws://[::1]:8080/ws");
  EXPECT_EQ("::1", u.host);
  EXPECT_EQ(8080, u.port);
  WsUrl d = Parse("wss://[2001:db8::7]/ws");
  EXPECT_EQ("2001:db8::7", d.host);
  EXPECT_EQ(443, d.port);
  EXPECT_EQ("[2001:db8::7]:443", HostPort(d.host, d.port));
}

TEST(NetUtil, ParseWsUrlPortBounds) {
  EXPECT_EQ(1, Parse("ws://h:1").port);
  EXPECT_EQ(65535, Parse("ws://h:65535").port);
}

TEST(NetUtil, ParseWsUrlRejectsBadPorts) {
  for (const char* url : {"ws://h:0", "ws://h:65536", "ws://h:99999999999999999999", "ws://h:-1",
                          "ws://h:8o80", "ws://h:80 ", "ws://[::1]:http", "ws://h:+80"}) {
    EXPECT_FALSE(ParseError(url).empty()) << url;
  }
}

TEST(NetUtil, ParseWsUrlRejectsMissingHost) {
  for (const char* url :
       {"ws://", "ws:///ws", "ws://:8080", "wss://:443/ws", "ws://[]:80", "ws://?token=x"}) {
    EXPECT_FALSE(ParseError(url).empty()) << url;
  }
}

TEST(NetUtil, ParseWsUrlRejectsOtherSchemes) {
  for (const char* url : {"", "example.com:80", "ftp://h/ws", "ws:/h", "wss:h"}) {
    EXPECT_FALSE(ParseError(url).empty()) << url;
  }
}

TEST(NetUtil, ParseWsUrlRejectsUnclosedIpv6) {
  EXPECT_FALSE(ParseError("ws://[::1:8080/ws").empty());
}

// A typo such as a missing ':' after the bracket must not silently connect to the default
// port.
TEST(NetUtil, ParseWsUrlRejectsJunkAfterIpv6Bracket) {
  for (const char* url : {"ws://[::1]8080/ws", "ws://[::1]junk", "ws://[::1]x:80/ws"}) {
    EXPECT_FALSE(ParseError(url).empty()) << url;
  }
}

}  // namespace
}  // namespace smartlink::net

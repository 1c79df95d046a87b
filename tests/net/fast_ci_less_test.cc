// websocketpp's header-name comparison with net/fast_ci_less.h's tolower in it: the same
// order as libc's tolower in the C locale, and header lookups that ignore case.

#include "net/fast_ci_less.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <random>
#include <string>
#include <websocketpp/http/request.hpp>

namespace {

bool ReferenceLess(const std::string& a, const std::string& b) {
  return std::lexicographical_compare(
      a.begin(), a.end(), b.begin(), b.end(),
      [](unsigned char x, unsigned char y) { return ::tolower(x) < ::tolower(y); });
}

TEST(FastCiLess, FoldsAsciiLettersOnly) {
  for (int c = 0; c < 256; ++c) {
    EXPECT_EQ(::tolower(c), websocketpp::utility::tolower(c)) << c;
  }
}

TEST(FastCiLess, OrdersAsLibcDoesInTheCLocale) {
  websocketpp::utility::ci_less less;
  EXPECT_FALSE(less("Sec-WebSocket-Key", "sec-websocket-key"));
  EXPECT_FALSE(less("sec-websocket-key", "Sec-WebSocket-Key"));
  EXPECT_TRUE(less("a", "B"));
  EXPECT_TRUE(less("Origin", "origins"));
  // Random names over letters, digits, punctuation and bytes above 127.
  std::mt19937 rng(7);
  const std::string alphabet = "aAbBzZ-_09[`{@\x80\xc3\xff";
  auto name = [&] {
    std::string s(rng() % 6, ' ');
    for (char& ch : s) ch = alphabet[rng() % alphabet.size()];
    return s;
  };
  for (int i = 0; i < 20000; ++i) {
    std::string a = name(), b = name();
    ASSERT_EQ(ReferenceLess(a, b), less(a, b)) << a << " / " << b;
  }
}

TEST(FastCiLess, RequestHeadersAreFoundWhateverTheirCase) {
  websocketpp::http::parser::request req;
  std::string raw =
      "GET /ws HTTP/1.1\r\nHOST: example\r\nsec-websocket-key: k\r\nUpGrAdE: websocket\r\n\r\n";
  req.consume(raw.data(), raw.size());
  ASSERT_TRUE(req.ready());
  EXPECT_EQ("example", req.get_header("Host"));
  EXPECT_EQ("k", req.get_header("Sec-WebSocket-Key"));
  EXPECT_EQ("websocket", req.get_header("upgrade"));
  EXPECT_EQ("", req.get_header("Origin"));
}

}  // namespace

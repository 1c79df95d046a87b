// The UTF-8 check of received text frames (net/fast_utf8.h) against websocketpp's own
// byte-at-a-time state machine: the same verdict for every input, whole or in pieces.

#include "net/fast_utf8.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace {

using websocketpp::utf8_validator::validator;

// websocketpp's check, a byte at a time (validator::consume is not specialized).
struct Verdict {
  bool ok;
  bool complete;
};
Verdict Reference(const std::vector<std::string>& pieces) {
  validator v;
  for (const auto& piece : pieces) {
    for (char ch : piece) {
      if (!v.consume(static_cast<uint8_t>(ch))) return {false, false};
    }
  }
  return {true, v.complete()};
}

// The specialization, as hybi13 calls it: one decode per piece of a message.
Verdict Fast(std::vector<std::string> pieces) {
  validator v;
  for (auto& piece : pieces) {
    if (!v.decode(piece.begin(), piece.end())) return {false, false};
  }
  return {true, v.complete()};
}

void ExpectSame(const std::vector<std::string>& pieces) {
  Verdict want = Reference(pieces);
  Verdict got = Fast(pieces);
  std::string all;
  for (const auto& p : pieces) all += p;
  ASSERT_EQ(want.ok, got.ok) << ::testing::PrintToString(all);
  ASSERT_EQ(want.complete, got.complete) << ::testing::PrintToString(all);
}

TEST(FastUtf8, KnownInputs) {
  const std::vector<std::pair<std::string, bool>> cases = {
      {"", true},
      {"plain ASCII, longer than one eight-byte word", true},
      {"caf\xc3\xa9 na\xc3\xafve \xe2\x82\xac \xf0\x9f\x98\x80", true},  // é ï € 😀
      {"\xc3\x28", false},                                               // bad continuation
      {"abcdefgh\x80", false},          // a lone continuation byte after a word
      {"\xc0\xaf", false},              // overlong '/'
      {"\xed\xa0\x80", false},          // a UTF-16 surrogate
      {"\xf4\x90\x80\x80", false},      // above U+10FFFF
      {"abcdefghijklmnop\xff", false},  // 0xff never appears
      {"12345678\xe2\x82\xac"
       "12345678",
       true},
  };
  for (const auto& [text, valid] : cases) {
    validator v;
    std::string s = text;
    bool ok = v.decode(s.begin(), s.end()) && v.complete();
    EXPECT_EQ(valid, ok) << ::testing::PrintToString(text);
    ExpectSame({text});
  }
}

TEST(FastUtf8, ACharacterSplitAcrossPiecesIsIncompleteUntilItsLastByte) {
  ExpectSame({"ab\xe2\x82",
              "\xac"
              "cdefghijk"});
  ExpectSame({"abcdefghij\xf0", "\x9f", "\x98", "\x80"});
  Verdict partial = Fast({"abcdefghij\xf0\x9f"});
  EXPECT_TRUE(partial.ok);
  EXPECT_FALSE(partial.complete);
}

// Random strings, mostly ASCII with runs of high bytes (valid characters and garbage), cut
// into random pieces: the two checks agree on every one.
TEST(FastUtf8, AgreesWithWebsocketppOnRandomInput) {
  std::mt19937 rng(20261202);
  const std::vector<std::string> chars = {"\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80",
                                          "\xed\x9f\xbf", "\xf4\x8f\xbf\xbf"};
  int valid = 0;
  for (int n = 0; n < 20000; ++n) {
    std::string s;
    int len = static_cast<int>(rng() % 64);
    while (static_cast<int>(s.size()) < len) {
      unsigned r = rng() % 100;
      if (r < 80) {
        s += static_cast<char>(0x20 + rng() % 0x5f);
      } else if (r < 95) {
        s += chars[rng() % chars.size()];
      } else {
        s += static_cast<char>(0x80 + rng() % 0x80);
      }
    }
    std::vector<std::string> pieces;
    size_t at = 0;
    while (at < s.size()) {
      size_t take = 1 + rng() % 20;
      pieces.push_back(s.substr(at, take));
      at += take;
    }
    ExpectSame(pieces);
    valid += Reference(pieces).ok && Reference(pieces).complete;
  }
  // Both kinds were generated, so both paths were compared.
  EXPECT_GT(valid, 2000);
  EXPECT_LT(valid, 18000);
}

}  // namespace

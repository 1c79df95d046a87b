// libcrypto wrappers: base64 (RFC 4648), SHA-256, HMAC (RFC 4231), hex, passwords.

#include "smartlink/util/crypto.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <set>
#include <string>
#include <utility>

namespace smartlink::crypto {
namespace {

// RFC 4648 section 10.
const std::pair<const char*, const char*> kRfc4648[] = {
    {"", ""},
    {"f", "Zg=="},
    {"fo", "Zm8="},
    {"foo", "Zm9v"},
    {"foob", "Zm9vYg=="},
    {"fooba", "Zm9vYmE="},
    {"foobar", "Zm9vYmFy"},
};

TEST(Crypto, Base64EncodesRfc4648Vectors) {
  for (const auto& [plain, encoded] : kRfc4648) {
    EXPECT_EQ(encoded, Base64Encode(plain)) << plain;
  }
}

TEST(Crypto, Base64DecodesRfc4648Vectors) {
  for (const auto& [plain, encoded] : kRfc4648) {
    auto d = Base64Decode(encoded);
    ASSERT_TRUE(d.has_value()) << encoded;
    EXPECT_EQ(plain, *d) << encoded;
  }
}

TEST(Crypto, Base64UrlEncodesWithoutPadding) {
  const std::pair<const char*, const char*> cases[] = {
      {"", ""},           {"f", "Zg"},          {"fo", "Zm8"},          {"foo", "Zm9v"},
      {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : cases) {
    EXPECT_EQ(encoded, Base64UrlEncode(plain)) << plain;
    auto d = Base64UrlDecode(encoded);
    ASSERT_TRUE(d.has_value()) << encoded;
    EXPECT_EQ(plain, *d);
  }
}

TEST(Crypto, Base64AlphabetsDifferInTheLastTwoCharacters) {
  // 0xFB 0xFF -> 111110 111111 1111(00): indexes 62, 63, 60.
  const std::string bytes("\xFB\xFF", 2);
  EXPECT_EQ("+/8=", Base64Encode(bytes));
  EXPECT_EQ("-_8", Base64UrlEncode(bytes));
  EXPECT_EQ(bytes, Base64Decode("+/8=").value_or(""));
  EXPECT_EQ(bytes, Base64UrlDecode("-_8").value_or(""));
  EXPECT_FALSE(Base64Decode("-_8=").has_value());
  EXPECT_FALSE(Base64UrlDecode("+/8").has_value());
}

TEST(Crypto, Base64RoundTripsEveryByteValue) {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  for (size_t n = 0; n <= all.size(); n += 37) {
    std::string s = all.substr(0, n);
    EXPECT_EQ(s, Base64Decode(Base64Encode(s)).value_or("<fail>")) << n;
    EXPECT_EQ(s, Base64UrlDecode(Base64UrlEncode(s)).value_or("<fail>")) << n;
  }
}

TEST(Crypto, Base64RejectsCharactersOutsideTheAlphabet) {
  for (const char* s :
       {"Zm9v!A==", "Zm9v\nZg==", "Zm9 v", " Zm9v", "Zm9v ", "Zm-v", "Zm_v", "Zm9\x80"}) {
    EXPECT_FALSE(Base64Decode(s).has_value()) << s;
  }
  EXPECT_FALSE(Base64Decode(std::string("Zm\0v", 4)).has_value());
}

TEST(Crypto, Base64RejectsWrongPadding) {
  for (const char* s : {"Zg", "Zg=", "Zg===", "Z===", "====", "Zm8",
                        "Zm8==", "Zg==Zg==", "Z=g=", "=Zm8", "Zm9v===="}) {
    EXPECT_FALSE(Base64Decode(s).has_value()) << s;
  }
}

TEST(Crypto, Base64RejectsNonCanonicalTrailingBits) {
  // "f" is Zg==; Zh== .. Zv== differ only in bits that must be zero.
  for (const char* s : {"Zh==", "Zi==", "Zv==", "Zm9=", "Zm/="}) {
    EXPECT_FALSE(Base64Decode(s).has_value()) << s;
  }
  EXPECT_FALSE(Base64UrlDecode("Zh").has_value());
  EXPECT_FALSE(Base64UrlDecode("Zm9").has_value());
}

TEST(Crypto, Base64UrlRejectsPaddingAndImpossibleLengths) {
  EXPECT_FALSE(Base64UrlDecode("Zg==").has_value());
  EXPECT_FALSE(Base64UrlDecode("Zm8=").has_value());
  EXPECT_FALSE(Base64UrlDecode("Z").has_value());
  EXPECT_FALSE(Base64UrlDecode("Zm9vY").has_value());
  EXPECT_FALSE(Base64UrlDecode("Zm9v.").has_value());
  EXPECT_EQ("", Base64UrlDecode("").value_or("<fail>"));
}

TEST(Crypto, Sha256KnownVectors) {
  // FIPS 180-2 examples.
  EXPECT_EQ("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", Hex(Sha256("")));
  EXPECT_EQ("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", Hex(Sha256("abc")));
  EXPECT_EQ("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
            Hex(Sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")));
  EXPECT_EQ(32u, Sha256("anything").size());
}

TEST(Crypto, HmacSha256Rfc4231TestCase1) {
  EXPECT_EQ("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
            Hex(HmacSha256(std::string(20, '\x0b'), "Hi There")));
}

TEST(Crypto, HmacSha256Rfc4231TestCase2) {
  EXPECT_EQ("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
            Hex(HmacSha256("Jefe", "what do ya want for nothing?")));
}

TEST(Crypto, HmacSha256Rfc4231TestCase6KeyLongerThanBlock) {
  EXPECT_EQ("60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
            Hex(HmacSha256(std::string(131, '\xaa'),
                           "Test Using Larger Than Block-Size Key - Hash Key First")));
}

TEST(Crypto, HexEncodesLowerCase) {
  EXPECT_EQ("", Hex(""));
  EXPECT_EQ("00ff10ab", Hex(std::string("\x00\xff\x10\xab", 4)));
  EXPECT_EQ("616263", Hex("abc"));
}

TEST(Crypto, UnhexAcceptsBothCases) {
  EXPECT_EQ(std::string("\x00\xff\x10\xab", 4), Unhex("00FF10aB").value_or("<fail>"));
  EXPECT_EQ("", Unhex("").value_or("<fail>"));
  EXPECT_EQ("abc", Unhex(Hex("abc")).value_or("<fail>"));
}

TEST(Crypto, UnhexRejectsOddLengthAndNonHex) {
  for (const char* s : {"0", "abc", "0g", "zz", " 0", "0x00", "-1"}) {
    EXPECT_FALSE(Unhex(s).has_value()) << s;
  }
}

TEST(Crypto, ConstantTimeEqual) {
  EXPECT_TRUE(ConstantTimeEqual("", ""));
  EXPECT_TRUE(ConstantTimeEqual("secret", "secret"));
  EXPECT_FALSE(ConstantTimeEqual("secret", "secreT"));
  EXPECT_FALSE(ConstantTimeEqual("secret", "secret!"));
  EXPECT_FALSE(ConstantTimeEqual("secret", ""));
  EXPECT_FALSE(ConstantTimeEqual(std::string("a\0b", 3), std::string("a\0c", 3)));
}

TEST(Crypto, RandomHexHasTheRequestedLengthAndCharset) {
  // Up to 128 bytes come from a per-thread pool; more are drawn directly.
  for (size_t n :
       {size_t{0}, size_t{1}, size_t{16}, size_t{33}, size_t{128}, size_t{129}, size_t{1000}}) {
    std::string h = RandomHex(n);
    EXPECT_EQ(2 * n, h.size());
    EXPECT_EQ(std::string::npos, h.find_first_not_of("0123456789abcdef")) << h;
  }
}

TEST(Crypto, RandomHexValuesAreUnique) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) seen.insert(RandomHex(16));
  EXPECT_EQ(100u, seen.size());
  // Across many refills of the pool, in sizes that do not divide it.
  std::set<std::string> small;
  for (int i = 0; i < 5000; ++i) small.insert(RandomHex(i % 2 ? 8 : 12));
  EXPECT_EQ(5000u, small.size());
}

TEST(Crypto, RandomHexInAForkedChildDiffersFromItsParent) {
  RandomHex(8);  // the pool is filled
  int fds[2];
  ASSERT_EQ(0, pipe(fds));
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    std::string h = RandomHex(8);
    ssize_t w = write(fds[1], h.data(), h.size());
    _exit(w == static_cast<ssize_t>(h.size()) ? 0 : 1);
  }
  close(fds[1]);
  std::string parent = RandomHex(8);
  char buf[16];
  ssize_t got = 0;
  while (got < 16) {
    ssize_t r = read(fds[0], buf + got, sizeof buf - got);
    if (r <= 0) break;
    got += r;
  }
  close(fds[0]);
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_EQ(16, got);
  EXPECT_NE(parent, std::string(buf, 16));
}

TEST(Crypto, HashPasswordFormat) {
  std::string h = HashPassword("pw", 1000);
  // pbkdf2$<iter>$<32 hex salt>$<64 hex hash>
  ASSERT_EQ(0u, h.rfind("pbkdf2$1000$", 0)) << h;
  std::string rest = h.substr(12);
  size_t dollar = rest.find('$');
  ASSERT_NE(std::string::npos, dollar) << h;
  EXPECT_EQ(32u, dollar);
  EXPECT_EQ(64u, rest.size() - dollar - 1);
  EXPECT_EQ(std::string::npos, rest.find_first_not_of("0123456789abcdef$"));
}

TEST(Crypto, HashPasswordIsSalted) {
  EXPECT_NE(HashPassword("pw", 1000), HashPassword("pw", 1000));
}

TEST(Crypto, VerifyPasswordAcceptsTheRightPassword) {
  std::string h = HashPassword("correct horse", 1000);
  EXPECT_TRUE(VerifyPassword("correct horse", h));
}

TEST(Crypto, VerifyPasswordRejectsAWrongPassword) {
  std::string h = HashPassword("correct horse", 1000);
  EXPECT_FALSE(VerifyPassword("correct horsE", h));
  EXPECT_FALSE(VerifyPassword("", h));
  EXPECT_FALSE(VerifyPassword("correct horse ", h));
}

TEST(Crypto, VerifyPasswordMatchesRfc7914Pbkdf2Vector) {
  // RFC 7914 section 11: PBKDF2-HMAC-SHA256(P="passwd", S="salt", c=1), first 32 bytes.
  std::string stored = "pbkdf2$1$" + Hex("salt") +
                       "$55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc";
  EXPECT_TRUE(VerifyPassword("passwd", stored));
  EXPECT_FALSE(VerifyPassword("passwe", stored));
}

TEST(Crypto, VerifyPasswordRejectsMalformedStoredStrings) {
  std::string good = HashPassword("pw", 10);
  ASSERT_TRUE(VerifyPassword("pw", good));
  const std::string salt = good.substr(10, 32);
  const std::string hash = good.substr(43);
  ASSERT_EQ("pbkdf2$10$" + salt + "$" + hash, good);
  const std::string bad[] = {
      "",
      "pw",
      "pbkdf2$",
      "pbkdf2$10",
      "pbkdf2$10$" + salt,
      "sha256$10$" + salt + "$" + hash,
      "PBKDF2$10$" + salt + "$" + hash,
      "pbkdf2$$" + salt + "$" + hash,
      "pbkdf2$0$" + salt + "$" + hash,
      "pbkdf2$-10$" + salt + "$" + hash,
      "pbkdf2$1x$" + salt + "$" + hash,
      "pbkdf2$99999999999$" + salt + "$" + hash,
      "pbkdf2$10$zz$" + hash,
      "pbkdf2$10$" + salt + "$" + hash.substr(1),
      "pbkdf2$10$" + salt + "$" + hash + "00",
      "pbkdf2$10$" + salt + "$",
      "pbkdf2$11$" + salt + "$" + hash,  // right parts, wrong iteration count
  };
  for (const auto& s : bad) EXPECT_FALSE(VerifyPassword("pw", s)) << s;
}

}  // namespace
}  // namespace smartlink::crypto

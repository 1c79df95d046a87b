// JWT verification: HS256 / RS256 / ES256, time claims with leeway, and every way a token can
// be forged or malformed. Time is fixed (`kNowMs`); no real clock.

#include "smartlink/auth/jwt.h"

#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "e2e/test_certs.h"
#include "smartlink/util/crypto.h"

namespace smartlink::auth {
namespace {

using Json = nlohmann::json;
using smartlink::crypto::Base64UrlEncode;

constexpr int64_t kNowS = 1'700'000'000;
constexpr int64_t kNowMs = kNowS * 1000 + 250;                   // a quarter second into kNowS
const std::string kSecret = "0123456789abcdef0123456789abcdef";  // exactly 32 bytes

// Keys are slow to make: one of each for the whole binary.
const smartlink::testing::KeyPair& Rsa() {
  static const auto* kp = new smartlink::testing::KeyPair(smartlink::testing::MakeRsaKey());
  return *kp;
}
const smartlink::testing::KeyPair& Ec() {
  static const auto* kp = new smartlink::testing::KeyPair(smartlink::testing::MakeEcKey());
  return *kp;
}

std::unique_ptr<JwtVerifier> HsVerifier(const std::string& secret = kSecret) {
  auto v = JwtVerifier::FromSecret(secret);
  EXPECT_TRUE(v.ok()) << v.status().ToString();
  return v.ok() ? std::move(v.value()) : nullptr;
}

std::unique_ptr<JwtVerifier> PemVerifier(const std::string& pem) {
  auto v = JwtVerifier::FromPublicKeyPem(pem);
  EXPECT_TRUE(v.ok()) << v.status().ToString();
  return v.ok() ? std::move(v.value()) : nullptr;
}

std::string ClaimsFor(const std::string& sub, int64_t exp) {
  return Json{{"sub", sub}, {"exp", exp}}.dump();
}

// A token from raw header and payload text, HMAC-SHA256-signed with `key`.
std::string HmacToken(const std::string& header, const std::string& payload,
                      const std::string& key = kSecret) {
  std::string input = Base64UrlEncode(header) + "." + Base64UrlEncode(payload);
  return input + "." + Base64UrlEncode(crypto::HmacSha256(key, input));
}

// Splits a compact token into its three parts.
struct Parts {
  std::string header, payload, sig;
};
Parts Split(const std::string& token) {
  size_t d1 = token.find('.');
  size_t d2 = token.find('.', d1 + 1);
  return {token.substr(0, d1), token.substr(d1 + 1, d2 - d1 - 1), token.substr(d2 + 1)};
}

void ExpectRejected(const JwtVerifier& v, const std::string& token, int64_t now_ms = kNowMs) {
  auto r = v.Verify(token, now_ms);
  ASSERT_FALSE(r.ok()) << "accepted: " << token;
  EXPECT_EQ(Code::kUnauthenticated, r.status().code()) << r.status().ToString();
}

// --- HS256 ---

TEST(Jwt, AcceptsValidHs256) {
  auto v = HsVerifier();
  ASSERT_TRUE(v);
  EXPECT_EQ(Algorithm::kHS256, v->algorithm());
  auto c = v->Verify(SignHs256(kSecret, ClaimsFor("alice", kNowS + 60)), kNowMs);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ("alice", c->sub);
  ASSERT_TRUE(c->exp.has_value());
  EXPECT_EQ(kNowS + 60, *c->exp);
  EXPECT_FALSE(c->nbf.has_value());
}

TEST(Jwt, RejectsExpiredBeyondLeeway) {
  auto v = HsVerifier();
  ASSERT_TRUE(v);
  EXPECT_EQ(5, v->leeway_seconds());
  ExpectRejected(*v, SignHs256(kSecret, ClaimsFor("alice", kNowS - 6)));
  ExpectRejected(*v, SignHs256(kSecret, ClaimsFor("alice", kNowS - 3600)));
}

TEST(Jwt, RefusesATokenWithoutExpUnlessAllowed) {
  auto v = HsVerifier();
  ASSERT_TRUE(v);
  std::string forever = SignHs256(kSecret, Json{{"sub", "alice"}}.dump());
  auto refused = v->Verify(forever, kNowMs);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(Code::kUnauthenticated, refused.status().code());
  EXPECT_NE(std::string::npos, refused.status().message().find("no exp claim"))
      << refused.status().ToString();
  v->set_require_exp(false);
  auto c = v->Verify(forever, kNowMs);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ("alice", c->sub);
  EXPECT_FALSE(c->exp.has_value());
  // Allowed off, an exp that is there still counts.
  ExpectRejected(*v, SignHs256(kSecret, ClaimsFor("alice", kNowS - 60)));
}

TEST(Jwt, AcceptsExpiredWithinLeeway) {
  auto v = HsVerifier();
  ASSERT_TRUE(v);
  auto c = v->Verify(SignHs256(kSecret, ClaimsFor("alice", kNowS - 4)), kNowMs);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
}

TEST(Jwt, LeewayIsConfigurable) {
  auto v = HsVerifier();
  ASSERT_TRUE(v);
  v->set_leeway_seconds(0);
  ExpectRejected(*v, SignHs256(kSecret, ClaimsFor("alice", kNowS - 1)));
  ExpectRejected(*v, SignHs256(kSecret, ClaimsFor("alice", kNowS)));  // exp must be after now
  EXPECT_TRUE(v->Verify(SignHs256(kSecret, ClaimsFor("alice", kNowS + 1)), kNowMs).ok());
  v->set_leeway_seconds(60);
  EXPECT_TRUE(v->Verify(SignHs256(kSecret, ClaimsFor("alice", kNowS - 30)), kNowMs).ok());
}

TEST(Jwt, RejectsNotYetValid) {
  auto v = HsVerifier();
  ASSERT_TRUE(v);
  Json claims = {{"sub", "alice"}, {"exp", kNowS + 3600}, {"nbf", kNowS + 60}};
  ExpectRejected(*v, SignHs256(kSecret, claims.dump()));
  claims["nbf"] = kNowS + 6;
  ExpectRejected(*v, SignHs256(kSecret, claims.dump()));
}

TEST(Jwt, AcceptsNbfWithinLeeway) {
  auto v = HsVerifier();
  ASSERT_TRUE(v);
  Json claims = {{"sub", "alice"}, {"exp", kNowS + 3600}, {"nbf", kNowS + 4}};
  auto c = v->Verify(SignHs256(kSecret, claims.dump()), kNowMs);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_TRUE(c->nbf.has_value());
  EXPECT_EQ(kNowS + 4, *c->nbf);
}

TEST(Jwt, RejectsWrongSecret) {
  auto v = HsVerifier();
  ASSERT_TRUE(v);
  ExpectRejected(*v,
                 SignHs256("another-secret-of-32-bytes-or-more!", ClaimsFor("alice", kNowS + 60)));
  ExpectRejected(*v, SignHs256(kSecret + "x", ClaimsFor("alice", kNowS + 60)));
}

TEST(Jwt, RejectsAlgNoneWithoutSignature) {
  auto v = HsVerifier();
  ASSERT_TRUE(v);
  std::string token = Base64UrlEncode(R"({"alg":"none","typ":"JWT"})") + "." +
                      Base64UrlEncode(ClaimsFor("alice", kNowS + 60)) + ".";
  ExpectRejected(*v, token);
}

TEST(Jwt, RejectsAlgNoneWithSignature) {
  auto v = HsVerifier();
  ASSERT_TRUE(v);
  // Even with a correct HMAC over the input, "none" is not the configured algorithm.
  ExpectRejected(*v, HmacToken(R"({"alg":"none","typ":"JWT"})", ClaimsFor("alice", kNowS + 60)));
  ExpectRejected(*v, HmacToken(R"({"alg":"None"})", ClaimsFor("alice", kNowS + 60)));
}

TEST(Jwt, RejectsLowerCaseAlg) {
  auto v = HsVerifier();
  ASSERT_TRUE(v);
  ExpectRejected(*v, HmacToken(R"({"alg":"hs256","typ":"JWT"})", ClaimsFor("alice", kNowS + 60)));
  ExpectRejected(*v, HmacToken(R"({"alg":"HS256 ","typ":"JWT"})", ClaimsFor("alice", kNowS + 60)));
}

TEST(Jwt, RejectsHeaderWithoutStringAlg) {
  auto v = HsVerifier();
  ASSERT_TRUE(v);
  ExpectRejected(*v, HmacToken(R"({"typ":"JWT"})", ClaimsFor("alice", kNowS + 60)));
  ExpectRejected(*v, HmacToken(R"({"alg":256})", ClaimsFor("alice", kNowS + 60)));
  ExpectRejected(*v, HmacToken(R"({"alg":["HS256"]})", ClaimsFor("alice", kNowS + 60)));
}

TEST(Jwt, RejectsCriticalHeader) {
  auto v = HsVerifier();
  ASSERT_TRUE(v);
  ExpectRejected(*v,
                 HmacToken(R"({"alg":"HS256","crit":["b64"]})", ClaimsFor("alice", kNowS + 60)));
}

TEST(Jwt, AcceptsHandBuiltHs256Token) {
  // The verifier does not depend on SignHs256's exact header text.
  auto v = HsVerifier();
  ASSERT_TRUE(v);
  auto c = v->Verify(
      HmacToken(R"({"typ":"JWT","alg":"HS256","kid":"k1"})", ClaimsFor("bob", kNowS + 60)), kNowMs);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ("bob", c->sub);
}

TEST(Jwt, RejectsMissingSub) {
  auto v = HsVerifier();
  ASSERT_TRUE(v);
  ExpectRejected(*v, SignHs256(kSecret, Json{{"exp", kNowS + 60}}.dump()));
  ExpectRejected(*v, SignHs256(kSecret, Json{{"sub", nullptr}, {"exp", kNowS + 60}}.dump()));
  ExpectRejected(*v, SignHs256(kSecret, Json{{"sub", 42}, {"exp", kNowS + 60}}.dump()));
}

TEST(Jwt, RejectsSubThatIsNotAValidUserId) {
  auto v = HsVerifier();
  ASSERT_TRUE(v);
  for (const std::string& sub :
       {std::string(""), std::string("bad user"), std::string("a/b"), std::string("@alice"),
        std::string(65, 'a'), std::string("a\0b", 3)}) {
    ExpectRejected(*v, SignHs256(kSecret, ClaimsFor(sub, kNowS + 60)));
  }
}

TEST(Jwt, RejectsNonNumericExpAndNbf) {
  auto v = HsVerifier();
  ASSERT_TRUE(v);
  ExpectRejected(*v, SignHs256(kSecret, Json{{"sub", "alice"}, {"exp", "soon"}}.dump()));
  ExpectRejected(*v, SignHs256(kSecret, Json{{"sub", "alice"}, {"exp", "1800000000"}}.dump()));
  ExpectRejected(*v, SignHs256(kSecret, Json{{"sub", "alice"}, {"exp", true}}.dump()));
  ExpectRejected(*v, SignHs256(kSecret, Json{{"sub", "alice"}, {"exp", nullptr}}.dump()));
  ExpectRejected(*v, SignHs256(kSecret, Json{{"sub", "alice"}, {"nbf", "now"}}.dump()));
  ExpectRejected(*v, SignHs256(kSecret, Json{{"sub", "alice"}, {"exp", 1e300}}.dump()));
}

TEST(Jwt, RejectsGarbage) {
  auto v = HsVerifier();
  ASSERT_TRUE(v);
  std::string good = SignHs256(kSecret, ClaimsFor("alice", kNowS + 60));
  Parts p = Split(good);
  const std::string garbage[] = {
      "",
      ".",
      "..",
      "...",
      "onepart",
      p.header + "." + p.payload,                      // two parts
      good + "." + p.sig,                              // four parts
      "!!!." + p.payload + "." + p.sig,                // bad base64url header
      p.header + ".***." + p.sig,                      // bad base64url payload
      p.header + "." + p.payload + ".a",               // impossible base64url length
      p.header + "." + p.payload + "." + p.sig + "=",  // padding
      Base64UrlEncode("not json") + "." + p.payload + "." + p.sig,
      Base64UrlEncode("[\"HS256\"]") + "." + p.payload + "." + p.sig,
      " " + good,
      good + " ",
  };
  for (const auto& t : garbage) ExpectRejected(*v, t);
}

TEST(Jwt, RejectsPayloadThatIsNotJsonEvenWhenSigned) {
  auto v = HsVerifier();
  ASSERT_TRUE(v);
  ExpectRejected(*v, HmacToken(R"({"alg":"HS256"})", "not json"));
  ExpectRejected(*v, HmacToken(R"({"alg":"HS256"})", R"(["alice"])"));
}

TEST(Jwt, RejectsTamperedPayload) {
  auto v = HsVerifier();
  ASSERT_TRUE(v);
  Parts p = Split(SignHs256(kSecret, ClaimsFor("alice", kNowS + 60)));
  std::string forged =
      p.header + "." + Base64UrlEncode(ClaimsFor("admin", kNowS + 60)) + "." + p.sig;
  ExpectRejected(*v, forged);
  std::string longer =
      p.header + "." + Base64UrlEncode(ClaimsFor("alice", kNowS + 99999)) + "." + p.sig;
  ExpectRejected(*v, longer);
}

TEST(Jwt, RejectsTamperedSignature) {
  auto v = HsVerifier();
  ASSERT_TRUE(v);
  std::string good = SignHs256(kSecret, ClaimsFor("alice", kNowS + 60));
  Parts p = Split(good);
  std::string sig = *crypto::Base64UrlDecode(p.sig);
  sig[0] = static_cast<char>(sig[0] ^ 1);
  ExpectRejected(*v, p.header + "." + p.payload + "." + Base64UrlEncode(sig));
  ExpectRejected(*v, p.header + "." + p.payload + "." + Base64UrlEncode(sig.substr(0, 31)));
  ExpectRejected(*v, p.header + "." + p.payload + ".");
}

TEST(Jwt, RejectsOverlongToken) {
  auto v = HsVerifier();
  ASSERT_TRUE(v);
  Json claims = {{"sub", "alice"}, {"exp", kNowS + 60}, {"pad", std::string(9000, 'x')}};
  ExpectRejected(*v, SignHs256(kSecret, claims.dump()));
}

TEST(Jwt, FromSecretRefusesShortSecrets) {
  EXPECT_FALSE(JwtVerifier::FromSecret("").ok());
  EXPECT_FALSE(JwtVerifier::FromSecret(std::string(kMinSecretBytes - 1, 's')).ok());
  EXPECT_TRUE(JwtVerifier::FromSecret(std::string(kMinSecretBytes, 's')).ok());
  EXPECT_EQ(32u, kMinSecretBytes);
}

TEST(Jwt, MintTokenIsAcceptedWithSubAndExp) {
  auto v = HsVerifier();
  ASSERT_TRUE(v);
  std::string token = MintToken(kSecret, "carol", kNowS, 3600);
  auto c = v->Verify(token, kNowMs);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ("carol", c->sub);
  ASSERT_TRUE(c->exp.has_value());
  EXPECT_EQ(kNowS + 3600, *c->exp);
  // And it expires when it says.
  ExpectRejected(*v, token, (kNowS + 3600 + 5) * 1000);
  EXPECT_TRUE(v->Verify(token, (kNowS + 3600 + 4) * 1000).ok());
}

TEST(Jwt, SignHs256UsesTheJoseHeader) {
  Parts p = Split(SignHs256(kSecret, "{}"));
  Json header = Json::parse(*crypto::Base64UrlDecode(p.header));
  EXPECT_EQ("HS256", header["alg"]);
  EXPECT_EQ("{}", *crypto::Base64UrlDecode(p.payload));
}

// --- RS256 / ES256 ---

TEST(Jwt, AcceptsValidRs256) {
  auto v = PemVerifier(Rsa().public_pem);
  ASSERT_TRUE(v);
  EXPECT_EQ(Algorithm::kRS256, v->algorithm());
  auto token =
      SignWithPrivateKeyPem(Algorithm::kRS256, Rsa().private_pem, ClaimsFor("alice", kNowS + 60));
  ASSERT_TRUE(token.ok()) << token.status().ToString();
  auto c = v->Verify(*token, kNowMs);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ("alice", c->sub);
}

TEST(Jwt, AcceptsValidEs256) {
  auto v = PemVerifier(Ec().public_pem);
  ASSERT_TRUE(v);
  EXPECT_EQ(Algorithm::kES256, v->algorithm());
  auto token =
      SignWithPrivateKeyPem(Algorithm::kES256, Ec().private_pem, ClaimsFor("bob", kNowS + 60));
  ASSERT_TRUE(token.ok()) << token.status().ToString();
  // JOSE ES256 signatures are r || s, 64 bytes.
  EXPECT_EQ(64u, crypto::Base64UrlDecode(Split(*token).sig)->size());
  auto c = v->Verify(*token, kNowMs);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ("bob", c->sub);
}

TEST(Jwt, Rs256ChecksExpToo) {
  auto v = PemVerifier(Rsa().public_pem);
  ASSERT_TRUE(v);
  auto token =
      SignWithPrivateKeyPem(Algorithm::kRS256, Rsa().private_pem, ClaimsFor("alice", kNowS - 60));
  ASSERT_TRUE(token.ok());
  ExpectRejected(*v, *token);
}

TEST(Jwt, RejectsHs256TokenAtRs256Verifier) {
  auto v = PemVerifier(Rsa().public_pem);
  ASSERT_TRUE(v);
  ExpectRejected(*v, SignHs256(kSecret, ClaimsFor("alice", kNowS + 60)));
}

// The classic algorithm confusion: an attacker signs an HS256 token using the server's public
// key (which is public) as the HMAC secret.
TEST(Jwt, RejectsAlgorithmConfusionWithPublicKeyAsHmacSecret) {
  auto v = PemVerifier(Rsa().public_pem);
  ASSERT_TRUE(v);
  ExpectRejected(*v, SignHs256(Rsa().public_pem, ClaimsFor("alice", kNowS + 60)));
  // Claiming RS256 in the header while carrying an HMAC signature fails too.
  ExpectRejected(*v, HmacToken(R"({"alg":"RS256","typ":"JWT"})", ClaimsFor("alice", kNowS + 60),
                               Rsa().public_pem));
}

TEST(Jwt, RejectsAlgorithmConfusionAtEs256Verifier) {
  auto v = PemVerifier(Ec().public_pem);
  ASSERT_TRUE(v);
  ExpectRejected(*v, SignHs256(Ec().public_pem, ClaimsFor("alice", kNowS + 60)));
}

TEST(Jwt, Es256VerifierRejectsRs256Token) {
  auto v = PemVerifier(Ec().public_pem);
  ASSERT_TRUE(v);
  auto token =
      SignWithPrivateKeyPem(Algorithm::kRS256, Rsa().private_pem, ClaimsFor("alice", kNowS + 60));
  ASSERT_TRUE(token.ok());
  ExpectRejected(*v, *token);
}

TEST(Jwt, Rs256VerifierRejectsEs256Token) {
  auto v = PemVerifier(Rsa().public_pem);
  ASSERT_TRUE(v);
  auto token =
      SignWithPrivateKeyPem(Algorithm::kES256, Ec().private_pem, ClaimsFor("alice", kNowS + 60));
  ASSERT_TRUE(token.ok());
  ExpectRejected(*v, *token);
}

TEST(Jwt, RejectsRs256SignedByAnotherKey) {
  auto v = PemVerifier(Rsa().public_pem);
  ASSERT_TRUE(v);
  smartlink::testing::KeyPair other = smartlink::testing::MakeRsaKey();
  auto token =
      SignWithPrivateKeyPem(Algorithm::kRS256, other.private_pem, ClaimsFor("alice", kNowS + 60));
  ASSERT_TRUE(token.ok());
  ExpectRejected(*v, *token);
}

TEST(Jwt, RejectsTamperedRs256Payload) {
  auto v = PemVerifier(Rsa().public_pem);
  ASSERT_TRUE(v);
  auto token =
      SignWithPrivateKeyPem(Algorithm::kRS256, Rsa().private_pem, ClaimsFor("alice", kNowS + 60));
  ASSERT_TRUE(token.ok());
  Parts p = Split(*token);
  ExpectRejected(*v,
                 p.header + "." + Base64UrlEncode(ClaimsFor("admin", kNowS + 60)) + "." + p.sig);
}

TEST(Jwt, RejectsEs256SignatureOfWrongLength) {
  auto v = PemVerifier(Ec().public_pem);
  ASSERT_TRUE(v);
  auto token =
      SignWithPrivateKeyPem(Algorithm::kES256, Ec().private_pem, ClaimsFor("alice", kNowS + 60));
  ASSERT_TRUE(token.ok());
  Parts p = Split(*token);
  std::string sig = *crypto::Base64UrlDecode(p.sig);
  ASSERT_EQ(64u, sig.size());
  std::string input = p.header + "." + p.payload + ".";
  ExpectRejected(*v, input + Base64UrlEncode(sig.substr(0, 63)));
  ExpectRejected(*v, input + Base64UrlEncode(sig + '\0'));
  ExpectRejected(*v, input + Base64UrlEncode(std::string(1, '\0') + sig));
  ExpectRejected(*v, input + Base64UrlEncode(sig.substr(0, 32)));
  ExpectRejected(*v, input);
}

TEST(Jwt, RejectsEs256SignatureInDerForm) {
  // Some libraries wrongly emit ASN.1 DER instead of r || s; it must not verify.
  auto v = PemVerifier(Ec().public_pem);
  ASSERT_TRUE(v);
  auto token =
      SignWithPrivateKeyPem(Algorithm::kES256, Ec().private_pem, ClaimsFor("alice", kNowS + 60));
  ASSERT_TRUE(token.ok());
  Parts p = Split(*token);
  std::string sig = *crypto::Base64UrlDecode(p.sig);
  // DER: SEQUENCE { INTEGER r, INTEGER s }, each with a leading zero so it stays positive.
  std::string r = std::string(1, '\0') + sig.substr(0, 32);
  std::string s = std::string(1, '\0') + sig.substr(32);
  std::string der = std::string("\x30", 1) + static_cast<char>(4 + r.size() + s.size()) + "\x02" +
                    static_cast<char>(r.size()) + r + "\x02" + static_cast<char>(s.size()) + s;
  ExpectRejected(*v, p.header + "." + p.payload + "." + Base64UrlEncode(der));
}

TEST(Jwt, RejectsFlippedEs256Signature) {
  auto v = PemVerifier(Ec().public_pem);
  ASSERT_TRUE(v);
  auto token =
      SignWithPrivateKeyPem(Algorithm::kES256, Ec().private_pem, ClaimsFor("alice", kNowS + 60));
  ASSERT_TRUE(token.ok());
  Parts p = Split(*token);
  std::string sig = *crypto::Base64UrlDecode(p.sig);
  sig[40] = static_cast<char>(sig[40] ^ 0x80);
  ExpectRejected(*v, p.header + "." + p.payload + "." + Base64UrlEncode(sig));
}

TEST(Jwt, FromPublicKeyPemRefusesBadKeys) {
  EXPECT_FALSE(JwtVerifier::FromPublicKeyPem("").ok());
  EXPECT_FALSE(JwtVerifier::FromPublicKeyPem("not a pem").ok());
  // A private key is not a public key.
  EXPECT_FALSE(JwtVerifier::FromPublicKeyPem(Rsa().private_pem).ok());
  // RSA under 2048 bits is refused.
  EXPECT_FALSE(JwtVerifier::FromPublicKeyPem(smartlink::testing::MakeRsaKey(1024).public_pem).ok());
}

TEST(Jwt, SignWithPrivateKeyPemRefusesHs256AndBadKeys) {
  EXPECT_FALSE(SignWithPrivateKeyPem(Algorithm::kHS256, Rsa().private_pem, "{}").ok());
  EXPECT_FALSE(SignWithPrivateKeyPem(Algorithm::kRS256, "garbage", "{}").ok());
}

TEST(Jwt, AlgorithmNames) {
  EXPECT_STREQ("HS256", AlgorithmName(Algorithm::kHS256));
  EXPECT_STREQ("RS256", AlgorithmName(Algorithm::kRS256));
  EXPECT_STREQ("ES256", AlgorithmName(Algorithm::kES256));
}

}  // namespace
}  // namespace smartlink::auth

#include "smartlink/auth/jwt.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <nlohmann/json.hpp>

#include "smartlink/protocol/names.h"
#include "smartlink/util/crypto.h"

// A JWT verifier on OpenSSL rather than Debian's libcpp-jwt: cpp-jwt 1.4 matches `alg`
// case-insensitively, compares HMACs with a plain string compare (not constant time),
// re-parses the PEM key on every verification and reports errors by throwing. Verification
// is small enough to own and keep strict (see docs/design.md).
namespace smartlink::auth {

using json = nlohmann::json;

struct JwtVerifier::Key {
  std::string secret;        // HS256
  EVP_PKEY* pkey = nullptr;  // RS256 / ES256
  ~Key() { EVP_PKEY_free(pkey); }
};

const char* AlgorithmName(Algorithm alg) {
  switch (alg) {
    case Algorithm::kHS256:
      return "HS256";
    case Algorithm::kRS256:
      return "RS256";
    case Algorithm::kES256:
      return "ES256";
  }
  return "?";
}

JwtVerifier::JwtVerifier(Algorithm alg, std::unique_ptr<Key> key)
    : alg_(alg), key_(std::move(key)) {}
JwtVerifier::~JwtVerifier() = default;

Result<std::unique_ptr<JwtVerifier>> JwtVerifier::FromSecret(std::string secret) {
  if (secret.size() < kMinSecretBytes) {
    return Status::BadRequest("HS256 secret is " + std::to_string(secret.size()) +
                              " bytes; at least " + std::to_string(kMinSecretBytes) +
                              " are required");
  }
  auto key = std::make_unique<Key>();
  key->secret = std::move(secret);
  return std::unique_ptr<JwtVerifier>(new JwtVerifier(Algorithm::kHS256, std::move(key)));
}

Result<std::unique_ptr<JwtVerifier>> JwtVerifier::FromPublicKeyPem(std::string_view pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (!bio) return Status::Internal("out of memory");
  EVP_PKEY* pkey = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (!pkey) return Status::BadRequest("not a PEM public key");
  auto key = std::make_unique<Key>();
  key->pkey = pkey;
  Algorithm alg;
  if (EVP_PKEY_is_a(pkey, "RSA")) {
    if (EVP_PKEY_get_bits(pkey) < 2048) return Status::BadRequest("RSA key under 2048 bits");
    alg = Algorithm::kRS256;
  } else if (EVP_PKEY_is_a(pkey, "EC")) {
    char group[64] = {0};
    size_t len = 0;
    if (!EVP_PKEY_get_utf8_string_param(pkey, "group", group, sizeof group, &len) ||
        std::string_view(group) != "prime256v1") {
      return Status::BadRequest("EC key is not on P-256 (ES256 needs prime256v1)");
    }
    alg = Algorithm::kES256;
  } else {
    return Status::BadRequest("public key is neither RSA nor EC");
  }
  return std::unique_ptr<JwtVerifier>(new JwtVerifier(alg, std::move(key)));
}

namespace {

Status Fail(const std::string& why) { return Status::Unauthenticated("invalid token: " + why); }

// Converts a JOSE ES256 signature (r || s, 32 bytes each) to DER for OpenSSL.
std::optional<std::string> JoseToDer(std::string_view sig) {
  if (sig.size() != 64) return std::nullopt;
  ECDSA_SIG* es = ECDSA_SIG_new();
  BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(sig.data()), 32, nullptr);
  BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(sig.data()) + 32, 32, nullptr);
  if (!es || !r || !s) {
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(es);
    return std::nullopt;
  }
  ECDSA_SIG_set0(es, r, s);
  int len = i2d_ECDSA_SIG(es, nullptr);
  std::string der(static_cast<size_t>(len > 0 ? len : 0), '\0');
  unsigned char* p = reinterpret_cast<unsigned char*>(der.data());
  if (len <= 0 || i2d_ECDSA_SIG(es, &p) != len) der.clear();
  ECDSA_SIG_free(es);
  if (der.empty()) return std::nullopt;
  return der;
}

std::optional<std::string> DerToJose(std::string_view der) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  ECDSA_SIG* es = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
  if (!es) return std::nullopt;
  const BIGNUM *r, *s;
  ECDSA_SIG_get0(es, &r, &s);
  std::string out(64, '\0');
  bool ok = BN_bn2binpad(r, reinterpret_cast<unsigned char*>(out.data()), 32) == 32 &&
            BN_bn2binpad(s, reinterpret_cast<unsigned char*>(out.data()) + 32, 32) == 32;
  ECDSA_SIG_free(es);
  if (!ok) return std::nullopt;
  return out;
}

bool VerifyPkey(EVP_PKEY* pkey, std::string_view data, std::string_view sig) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (!ctx) return false;
  bool ok = EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, pkey) == 1 &&
            EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                             reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

// Reads a NumericDate claim (a JSON number) as whole seconds.
Status ReadTime(const json& payload, const char* name, std::optional<int64_t>* out) {
  auto it = payload.find(name);
  if (it == payload.end()) return Status::Ok();
  if (!it->is_number()) return Fail(std::string(name) + " is not a number");
  double v = it->get<double>();
  if (!(v > -1e15 && v < 1e15)) return Fail(std::string(name) + " out of range");
  *out = static_cast<int64_t>(v);
  return Status::Ok();
}

}  // namespace

Result<Claims> JwtVerifier::Verify(std::string_view token, int64_t now_ms) const {
  if (token.size() > 8192) return Fail("too long");
  size_t d1 = token.find('.');
  size_t d2 = d1 == std::string_view::npos ? d1 : token.find('.', d1 + 1);
  if (d2 == std::string_view::npos || token.find('.', d2 + 1) != std::string_view::npos) {
    return Fail("not three dot-separated parts");
  }
  auto header_raw = crypto::Base64UrlDecode(token.substr(0, d1));
  auto payload_raw = crypto::Base64UrlDecode(token.substr(d1 + 1, d2 - d1 - 1));
  auto sig = crypto::Base64UrlDecode(token.substr(d2 + 1));
  if (!header_raw || !payload_raw || !sig) return Fail("bad base64url");

  json header = json::parse(*header_raw, nullptr, false);
  if (!header.is_object()) return Fail("header is not a JSON object");
  auto alg = header.find("alg");
  if (alg == header.end() || !alg->is_string()) return Fail("header has no alg");
  if (alg->get_ref<const std::string&>() != AlgorithmName(alg_)) {
    return Fail("algorithm " + alg->get<std::string>().substr(0, 16) + " is not accepted");
  }
  if (header.contains("crit")) return Fail("unsupported critical header");

  std::string_view signing_input = token.substr(0, d2);
  bool good = false;
  switch (alg_) {
    case Algorithm::kHS256:
      good = crypto::ConstantTimeEqual(crypto::HmacSha256(key_->secret, signing_input), *sig);
      break;
    case Algorithm::kRS256:
      good = VerifyPkey(key_->pkey, signing_input, *sig);
      break;
    case Algorithm::kES256: {
      auto der = JoseToDer(*sig);
      good = der && VerifyPkey(key_->pkey, signing_input, *der);
      break;
    }
  }
  if (!good) return Fail("bad signature");

  json payload = json::parse(*payload_raw, nullptr, false);
  if (!payload.is_object()) return Fail("payload is not a JSON object");
  Claims claims;
  auto sub = payload.find("sub");
  if (sub == payload.end() || !sub->is_string()) return Fail("no sub claim");
  claims.sub = sub->get<std::string>();
  if (!protocol::IsValidUserId(claims.sub)) return Fail("sub is not a valid user id");
  if (protocol::IsReservedUserId(claims.sub)) {
    return Fail("sub 'system' is reserved for the server's own messages");
  }
  if (Status s = ReadTime(payload, "exp", &claims.exp); !s.ok()) return s;
  if (!claims.exp && require_exp_) return Fail("no exp claim");
  if (Status s = ReadTime(payload, "nbf", &claims.nbf); !s.ok()) return s;
  int64_t now_s = now_ms / 1000;
  if (claims.exp && now_s >= *claims.exp + leeway_s_) {
    return Status::Unauthenticated("token expired");
  }
  if (claims.nbf && now_s + leeway_s_ < *claims.nbf) {
    return Status::Unauthenticated("token not yet valid");
  }
  return claims;
}

std::string SignHs256(std::string_view secret, std::string_view claims_json) {
  std::string input = crypto::Base64UrlEncode(R"({"alg":"HS256","typ":"JWT"})") + "." +
                      crypto::Base64UrlEncode(claims_json);
  return input + "." + crypto::Base64UrlEncode(crypto::HmacSha256(secret, input));
}

Result<std::string> SignWithPrivateKeyPem(Algorithm alg, std::string_view pem,
                                          std::string_view claims_json) {
  if (alg == Algorithm::kHS256) return Status::BadRequest("HS256 signs with a secret");
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* pkey = bio ? PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr) : nullptr;
  BIO_free(bio);
  if (!pkey) return Status::BadRequest("not a PEM private key");
  std::string header = std::string(R"({"alg":")") + AlgorithmName(alg) + R"(","typ":"JWT"})";
  std::string input = crypto::Base64UrlEncode(header) + "." + crypto::Base64UrlEncode(claims_json);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  size_t len = 0;
  std::string sig;
  bool ok = ctx && EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, pkey) == 1 &&
            EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()),
                           input.size()) == 1;
  if (ok) {
    sig.resize(len);
    ok = EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                        reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
    sig.resize(len);
  }
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(pkey);
  if (!ok) return Status::Internal("signing failed");
  if (alg == Algorithm::kES256) {
    auto jose = DerToJose(sig);
    if (!jose) return Status::Internal("bad ECDSA signature");
    sig = *jose;
  }
  return input + "." + crypto::Base64UrlEncode(sig);
}

std::string MintToken(std::string_view secret, std::string_view user, int64_t now_s,
                      int64_t ttl_s) {
  json claims = {{"sub", user}, {"iat", now_s}, {"exp", now_s + ttl_s}};
  return SignHs256(secret, claims.dump());
}

}  // namespace smartlink::auth

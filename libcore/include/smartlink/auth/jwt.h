#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "smartlink/util/status.h"

namespace smartlink::auth {

enum class Algorithm { kHS256, kRS256, kES256 };
const char* AlgorithmName(Algorithm alg);

// The claims SmartLink uses from a verified token.
struct Claims {
  std::string sub;             // the user id
  std::optional<int64_t> exp;  // seconds since the epoch
  std::optional<int64_t> nbf;
};

// Minimum HS256 secret length accepted by the server.
constexpr size_t kMinSecretBytes = 32;

// JwtVerifier checks compact JWS tokens against one configured algorithm and key:
// the header's `alg` must name exactly that algorithm (no `none`, no algorithm confusion),
// the signature must verify, `sub` must be a valid user id, `exp` must be there (unless
// allowed off) and `exp` / `nbf` hold with `leeway_s` seconds of slack. Configured before
// use, then immutable; thread-safe.
class JwtVerifier {
 public:
  ~JwtVerifier();
  JwtVerifier(const JwtVerifier&) = delete;
  JwtVerifier& operator=(const JwtVerifier&) = delete;

  // HS256 with a shared secret of at least kMinSecretBytes.
  static Result<std::unique_ptr<JwtVerifier>> FromSecret(std::string secret);
  // RS256 (RSA key) or ES256 (P-256 key) from a PEM public key; the key type picks the
  // algorithm.
  static Result<std::unique_ptr<JwtVerifier>> FromPublicKeyPem(std::string_view pem);

  // Verifies `token` at wall time `now_ms`. Errors are Unauthenticated with a reason.
  Result<Claims> Verify(std::string_view token, int64_t now_ms) const;

  Algorithm algorithm() const { return alg_; }
  void set_leeway_seconds(int64_t s) { leeway_s_ = s; }
  int64_t leeway_seconds() const { return leeway_s_; }
  // A token without `exp` would be good forever: refused unless this is turned off.
  void set_require_exp(bool on) { require_exp_ = on; }

 private:
  struct Key;
  JwtVerifier(Algorithm alg, std::unique_ptr<Key> key);

  Algorithm alg_;
  std::unique_ptr<Key> key_;
  int64_t leeway_s_ = 5;
  bool require_exp_ = true;
};

// Signs `claims_json` (a JSON object, already serialised) with HS256.
std::string SignHs256(std::string_view secret, std::string_view claims_json);

// Signs with an RS256 or ES256 private key in PEM form (for tests and tools).
Result<std::string> SignWithPrivateKeyPem(Algorithm alg, std::string_view pem,
                                          std::string_view claims_json);

// Builds and signs {"sub": user, "iat": now, "exp": now + ttl} with HS256.
std::string MintToken(std::string_view secret, std::string_view user, int64_t now_s, int64_t ttl_s);

}  // namespace smartlink::auth

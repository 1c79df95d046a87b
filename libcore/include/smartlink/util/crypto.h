#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

// Small wrappers over OpenSSL's libcrypto used across libcore. Thread-safe.
namespace smartlink::crypto {

// Standard base64 (RFC 4648 section 4) with padding.
std::string Base64Encode(std::string_view bytes);
// Strict decoding: padding required, no whitespace, canonical trailing bits.
std::optional<std::string> Base64Decode(std::string_view text);

// base64url without padding (RFC 7515 appendix C), as JWTs use it.
std::string Base64UrlEncode(std::string_view bytes);
// Strict: rejects padding, characters outside the URL alphabet and non-canonical endings.
std::optional<std::string> Base64UrlDecode(std::string_view text);

std::string Sha256(std::string_view bytes);                           // 32 raw bytes
std::string HmacSha256(std::string_view key, std::string_view data);  // 32 raw bytes

// SHA-256 over data that arrives in pieces.
class Sha256Stream {
 public:
  Sha256Stream();
  ~Sha256Stream();
  Sha256Stream(const Sha256Stream&) = delete;
  Sha256Stream& operator=(const Sha256Stream&) = delete;
  void Update(std::string_view bytes);
  std::string Finish();  // 32 raw bytes; the stream starts over afterwards

 private:
  void* ctx_;  // EVP_MD_CTX
};
std::string Hex(std::string_view bytes);  // lower-case
std::optional<std::string> Unhex(std::string_view hex);

// Constant-time comparison of equal-length secrets (false if the lengths differ).
bool ConstantTimeEqual(std::string_view a, std::string_view b);

// `n` bytes from the OS CSPRNG, hex-encoded (2n characters).
std::string RandomHex(size_t n);

// PBKDF2-HMAC-SHA256 password hashes, stored as "pbkdf2$<iter>$<salt hex>$<hash hex>".
std::string HashPassword(std::string_view password, int iterations = 4096);
bool VerifyPassword(std::string_view password, std::string_view stored);

}  // namespace smartlink::crypto

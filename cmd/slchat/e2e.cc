#include "e2e.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <memory>

#include "smartlink/util/crypto.h"

namespace slchat {

namespace {

constexpr size_t kKeyBytes = 32;
constexpr size_t kNonceBytes = 12;
constexpr size_t kTagBytes = 16;
constexpr uint64_t kScryptN = 32768;
constexpr uint64_t kScryptR = 8;
constexpr uint64_t kScryptP = 1;
constexpr uint64_t kScryptMaxMem = 64ull << 20;

struct CtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CtxFree>;

const unsigned char* Bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}
unsigned char* Bytes(std::string& s) { return reinterpret_cast<unsigned char*>(s.data()); }

}  // namespace

std::string DeriveRoomKey(std::string_view passphrase, std::string_view room) {
  std::string salt = "smartlink-e2e-v1:" + std::string(room);
  std::string key(kKeyBytes, '\0');
  if (EVP_PBE_scrypt(passphrase.data(), passphrase.size(), Bytes(salt), salt.size(), kScryptN,
                     kScryptR, kScryptP, kScryptMaxMem, Bytes(key), key.size()) != 1) {
    return "";
  }
  return key;
}

std::string EncryptText(const std::string& key, std::string_view conv, std::string_view text) {
  if (key.size() != kKeyBytes) return "";
  std::string out(kNonceBytes + text.size() + kTagBytes, '\0');
  unsigned char* nonce = Bytes(out);
  if (RAND_bytes(nonce, kNonceBytes) != 1) return "";
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, Bytes(key), nonce) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, Bytes(conv), static_cast<int>(conv.size())) !=
          1 ||
      EVP_EncryptUpdate(ctx.get(), nonce + kNonceBytes, &len, Bytes(text),
                        static_cast<int>(text.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), nonce + kNonceBytes + len, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes,
                          nonce + kNonceBytes + text.size()) != 1) {
    return "";
  }
  return std::string(kE2ePrefix) + smartlink::crypto::Base64Encode(out);
}

bool IsEncrypted(std::string_view text) { return text.substr(0, kE2ePrefix.size()) == kE2ePrefix; }

std::optional<std::string> DecryptText(const std::string& key, std::string_view conv,
                                       std::string_view text) {
  if (key.size() != kKeyBytes || !IsEncrypted(text)) return std::nullopt;
  auto raw = smartlink::crypto::Base64Decode(text.substr(kE2ePrefix.size()));
  if (!raw || raw->size() < kNonceBytes + kTagBytes) return std::nullopt;
  size_t n = raw->size() - kNonceBytes - kTagBytes;
  std::string plain(n, '\0');
  unsigned char* in = Bytes(*raw);
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  if (!ctx || EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, Bytes(key), in) != 1 ||
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, Bytes(conv), static_cast<int>(conv.size())) !=
          1 ||
      EVP_DecryptUpdate(ctx.get(), Bytes(plain), &len, in + kNonceBytes, static_cast<int>(n)) !=
          1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, in + kNonceBytes + n) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), Bytes(plain) + len, &len) != 1) {
    return std::nullopt;
  }
  return plain;
}

}  // namespace slchat

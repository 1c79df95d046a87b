// libFuzzer target: JWT verification with HS256, RS256 and ES256 verifiers, and the strict
// base64 decoders. Properties: no crash; nothing verifies without a key (the fuzzer cannot
// forge a signature, so any accepted token is a bug); a decoded base64 text re-encodes to the
// same text (decoding is canonical).

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "smartlink/auth/jwt.h"
#include "smartlink/util/crypto.h"

using namespace smartlink;

namespace {

std::string PublicPem(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, key);
  char* p = nullptr;
  long n = BIO_get_mem_data(bio, &p);
  std::string s(p, static_cast<size_t>(n));
  BIO_free(bio);
  EVP_PKEY_free(key);
  return s;
}

struct Verifiers {
  std::unique_ptr<auth::JwtVerifier> hs, rs, es;
  Verifiers() {
    hs = auth::JwtVerifier::FromSecret("fuzzing-secret-0123456789abcdef0123").value();
    rs = auth::JwtVerifier::FromPublicKeyPem(PublicPem(EVP_RSA_gen(2048))).value();
    es = auth::JwtVerifier::FromPublicKeyPem(PublicPem(EVP_EC_gen("P-256"))).value();
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Verifiers v;
  std::string in(reinterpret_cast<const char*>(data), size);
  for (auth::JwtVerifier* verifier : {v.hs.get(), v.rs.get(), v.es.get()}) {
    if (verifier->Verify(in, 1700000000000).ok()) abort();
  }
  if (auto raw = crypto::Base64UrlDecode(in); raw && crypto::Base64UrlEncode(*raw) != in) abort();
  if (auto raw = crypto::Base64Decode(in); raw && crypto::Base64Encode(*raw) != in) abort();
  return 0;
}

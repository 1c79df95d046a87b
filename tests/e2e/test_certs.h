#pragma once

// Keys and certificates made at test time with OpenSSL (nothing secret is committed).

#include <cstddef>
#include <cstdint>
#include <string>

namespace smartlink::testing {

struct KeyPair {
  std::string private_pem;
  std::string public_pem;
};

KeyPair MakeRsaKey(int bits = 2048);
KeyPair MakeEcKey();  // P-256

// A self-signed certificate for "localhost" / 127.0.0.1 with its key, both PEM.
struct Certificate {
  std::string cert_pem;
  std::string key_pem;
};
Certificate MakeSelfSignedCert();

// Files for tests: the whole of one written or read (empty if it cannot be read), and
// reproducible pseudo-random bytes.
void WriteFile(const std::string& path, const std::string& contents);
std::string ReadFile(const std::string& path);
std::string RandomBytes(size_t n, uint32_t seed);

}  // namespace smartlink::testing

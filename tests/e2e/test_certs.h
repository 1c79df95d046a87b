#pragma once

// Keys and certificates made at test time with OpenSSL (nothing secret is committed).

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

void WriteFile(const std::string& path, const std::string& contents);

}  // namespace smartlink::testing

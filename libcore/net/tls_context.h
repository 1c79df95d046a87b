#pragma once

// OpenSSL contexts for the server and the client, through Asio's ssl::context.

#include <asio/ssl/context.hpp>
#include <memory>
#include <string>

#include "smartlink/util/status.h"

namespace smartlink::net {

// A TLS 1.2+ server context with the certificate chain and key loaded and checked.
Result<std::shared_ptr<asio::ssl::context>> MakeServerTlsContext(const std::string& cert_file,
                                                                 const std::string& key_file);

// A client context: verifies the server against the system CAs (or `ca_file`), unless
// `insecure`.
Result<std::shared_ptr<asio::ssl::context>> MakeClientTlsContext(const std::string& ca_file,
                                                                 bool insecure);

}  // namespace smartlink::net

#include "tls_context.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <asio/ssl.hpp>

namespace smartlink::net {

namespace {
std::string OpenSslError() {
  unsigned long e = ERR_get_error();
  if (!e) return "unknown error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  return buf;
}
}  // namespace

Result<std::shared_ptr<asio::ssl::context>> MakeServerTlsContext(const std::string& cert_file,
                                                                 const std::string& key_file) {
  auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
  SSL_CTX* raw = ctx->native_handle();
  SSL_CTX_set_min_proto_version(raw, TLS1_2_VERSION);
  SSL_CTX_set_options(
      raw, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  // An idle connection gives its record buffers (about 34 KB) back to the allocator.
  SSL_CTX_set_mode(raw, SSL_MODE_RELEASE_BUFFERS);
  // Sessions are not resumed across restarts anyway; a small cache is enough.
  SSL_CTX_sess_set_cache_size(raw, 1024);
  ERR_clear_error();
  if (SSL_CTX_use_certificate_chain_file(raw, cert_file.c_str()) != 1) {
    return Status::BadRequest("cannot load TLS certificate " + cert_file + ": " + OpenSslError());
  }
  if (SSL_CTX_use_PrivateKey_file(raw, key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    return Status::BadRequest("cannot load TLS key " + key_file + ": " + OpenSslError());
  }
  if (SSL_CTX_check_private_key(raw) != 1) {
    return Status::BadRequest("TLS key " + key_file + " does not match certificate " + cert_file);
  }
  return ctx;
}

Result<std::shared_ptr<asio::ssl::context>> MakeClientTlsContext(const std::string& ca_file,
                                                                 bool insecure) {
  auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  SSL_CTX* raw = ctx->native_handle();
  SSL_CTX_set_min_proto_version(raw, TLS1_2_VERSION);
  if (insecure) {
    ctx->set_verify_mode(asio::ssl::verify_none);
    return ctx;
  }
  ctx->set_verify_mode(asio::ssl::verify_peer);
  asio::error_code ec;
  if (!ca_file.empty()) {
    ctx->load_verify_file(ca_file, ec);
    if (ec) return Status::BadRequest("cannot load CA file " + ca_file + ": " + ec.message());
  } else {
    ctx->set_default_verify_paths(ec);
    if (ec) return Status::Internal("cannot load the system CAs: " + ec.message());
  }
  return ctx;
}

}  // namespace smartlink::net

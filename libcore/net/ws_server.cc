#include "smartlink/net/ws_server.h"

#include "tls_context.h"

namespace smartlink::net {

std::unique_ptr<WsServer> MakePlainServer(const ServerOptions& options, server::LogFn log);
std::unique_ptr<WsServer> MakeTlsServer(const ServerOptions& options, server::LogFn log,
                                        std::shared_ptr<asio::ssl::context> ctx);

Result<std::unique_ptr<WsServer>> WsServer::Create(const ServerOptions& options,
                                                   server::LogFn log) {
  if (options.tls_cert.empty() != options.tls_key.empty()) {
    return Status::BadRequest("--tls-cert and --tls-key go together");
  }
  if (options.tls_only && options.tls_cert.empty()) {
    return Status::BadRequest("--tls-only needs --tls-cert and --tls-key");
  }
  if (options.tls_cert.empty()) return MakePlainServer(options, std::move(log));
  auto ctx = MakeServerTlsContext(options.tls_cert, options.tls_key);
  if (!ctx.ok()) return ctx.status();
  return MakeTlsServer(options, std::move(log), std::move(*ctx));
}

}  // namespace smartlink::net

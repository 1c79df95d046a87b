// The wss:// instantiation of ServerImpl, with one shared OpenSSL context.

// clang-format off
#include "fast_ci_less.h"  // before any websocketpp header
// clang-format on

#include <asio/ssl.hpp>
#include <websocketpp/config/asio.hpp>

#include "lean_tls.h"
#include "quiet_log.h"
#include "strict_frames.h"
#include "tls_context.h"
#include "ws_server_impl.h"

SMARTLINK_QUIET_CONNECTION_LOG(smartlink::net::LoopConfig<smartlink::net::LeanTlsEndpoint>)
SMARTLINK_STRICT_FRAMES(smartlink::net::LoopConfig<smartlink::net::LeanTlsEndpoint>)

namespace smartlink::net {

std::unique_ptr<WsServer> MakeTlsServer(const ServerOptions& options, server::LogFn log,
                                        std::shared_ptr<asio::ssl::context> ctx) {
  using Config = LoopConfig<LeanTlsEndpoint>;
  auto server = std::make_unique<ServerImpl<Config>>(options, std::move(log), true);
  server->set_tls_init_handler([ctx](websocketpp::connection_hdl) { return ctx; });
  server->set_allow_plain(!options.tls_only);
  return server;
}

}  // namespace smartlink::net

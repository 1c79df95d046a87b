// The ws:// instantiation of ServerImpl.

#include <websocketpp/config/asio_no_tls.hpp>

#include "ws_server_impl.h"

namespace smartlink::net {

std::unique_ptr<WsServer> MakePlainServer(const ServerOptions& options, server::LogFn log) {
  using Config = LoopConfig<websocketpp::transport::asio::basic_socket::endpoint>;
  return std::make_unique<ServerImpl<Config>>(options, std::move(log), false);
}

}  // namespace smartlink::net

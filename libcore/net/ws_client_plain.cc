// The ws:// client endpoint.

#include <websocketpp/config/asio_no_tls.hpp>

#include "ws_client_impl.h"

namespace smartlink::net {

std::unique_ptr<ClientEndpoint> MakePlainClientEndpoint(asio::io_context& io) {
  using Config = ClientLoopConfig<websocketpp::transport::asio::basic_socket::endpoint>;
  return std::make_unique<ClientEndpointImpl<Config>>(io, nullptr);
}

}  // namespace smartlink::net

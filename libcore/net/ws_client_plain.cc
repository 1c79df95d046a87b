// The ws:// client endpoint.

// clang-format off
#include "fast_ci_less.h"  // before any websocketpp header
// clang-format on

#include <websocketpp/config/asio_no_tls.hpp>

#include "quiet_log.h"
#include "ws_client_impl.h"

SMARTLINK_QUIET_CONNECTION_LOG(
    smartlink::net::ClientLoopConfig<websocketpp::transport::asio::basic_socket::endpoint>)

namespace smartlink::net {

std::unique_ptr<ClientEndpoint> MakePlainClientEndpoint(asio::io_context& io) {
  using Config = ClientLoopConfig<websocketpp::transport::asio::basic_socket::endpoint>;
  return std::make_unique<ClientEndpointImpl<Config>>(io, nullptr);
}

}  // namespace smartlink::net

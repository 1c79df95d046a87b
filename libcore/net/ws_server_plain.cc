// The ws:// instantiation of ServerImpl.

#include "lean_plain.h"
#include "quiet_log.h"
#include "strict_frames.h"
#include "ws_server_impl.h"

SMARTLINK_QUIET_CONNECTION_LOG(smartlink::net::LoopConfig<smartlink::net::LeanPlainEndpoint>)
SMARTLINK_STRICT_FRAMES(smartlink::net::LoopConfig<smartlink::net::LeanPlainEndpoint>)

// websocketpp's transport bounds the socket policy's shutdown with a timer of its own (armed,
// then cancelled, at every connection's end: about 5 % of the server's CPU in the setup
// workload). The plain policy's shutdown is done before it returns (lean_plain.h), so this
// one needs none. Otherwise as websocketpp's, whose error log is off in ServerImpl.
using PlainTransportConnection = websocketpp::transport::asio::connection<
    smartlink::net::LoopConfig<smartlink::net::LeanPlainEndpoint>::transport_config>;

template <>
inline void PlainTransportConnection::async_shutdown(shutdown_handler callback) {
  socket_con_type::async_shutdown(
      [self = get_shared(), callback = std::move(callback)](const lib::asio::error_code& ec) {
        lib::error_code tec;
        if (ec && ec != lib::asio::error::not_connected) {  // not connected: closed already
          tec = socket_con_type::translate_ec(ec);
          self->m_tec = ec;
        }
        callback(tec);
      });
}

namespace smartlink::net {

std::unique_ptr<WsServer> MakePlainServer(const ServerOptions& options, server::LogFn log) {
  using Config = LoopConfig<LeanPlainEndpoint>;
  return std::make_unique<ServerImpl<Config>>(options, std::move(log), false);
}

}  // namespace smartlink::net

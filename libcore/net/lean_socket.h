#pragma once

// What the two socket policies of slserver (lean_plain.h, lean_tls.h) share: the parts of
// websocketpp's socket_con_type interface that only look at the TCP socket underneath.

#include <asio/ip/tcp.hpp>
#include <string>
#include <websocketpp/transport/base/connection.hpp>

namespace smartlink::net {

// get_remote_endpoint(): "address:port", or websocketpp's pass_through error.
inline std::string RemoteEndpointOf(const asio::ip::tcp::socket& socket,
                                    websocketpp::lib::error_code& ec) {
  asio::error_code aec;
  auto ep = socket.remote_endpoint(aec);
  if (aec) {
    ec =
        websocketpp::transport::error::make_error_code(websocketpp::transport::error::pass_through);
    return "Error getting remote endpoint: " + aec.message();
  }
  ec = websocketpp::lib::error_code();
  return ep.address().to_string() + ":" + std::to_string(ep.port());
}

// cancel_socket(): cancels what is pending on the socket.
inline asio::error_code CancelSocket(asio::ip::tcp::socket& socket) {
  asio::error_code ec;
  socket.cancel(ec);
  return ec;
}

}  // namespace smartlink::net

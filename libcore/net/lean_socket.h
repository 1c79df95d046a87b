#pragma once

// What the two socket policies of slserver (lean_plain.h, lean_tls.h) share: the parts of
// websocketpp's socket_con_type interface that only look at the TCP socket underneath.

// clang-format off
#include "fast_ci_less.h"  // before any websocketpp header
// clang-format on

#include <asio/ip/tcp.hpp>
#include <cstdint>
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

// async_shutdown() of a server connection. Closing a socket whose receive queue still holds
// data makes the kernel answer with RST instead of FIN, and a client that is still sending
// (the rest of a frame over --max-frame, say) can then lose the close frame sent just
// before, or see its send fail with EPIPE. So when data is waiting, this sends FIN after
// what was written and hands a duplicate of the descriptor to a lingerer on the same loop,
// which reads and discards until the client closes too, for at most kLingerMs and
// kLingerBytes. Otherwise (nothing waiting, or more than kLingerMaxUnsent bytes the client
// has not taken) it shuts the socket down both ways as before. Either way the caller closes
// its socket at once. The plain policy's only: wss:// does not linger (docs/design.md).
constexpr int64_t kLingerMs = 2000;
constexpr size_t kLingerBytes = 16 << 20;
constexpr int kLingerMaxUnsent = 64 << 10;
asio::error_code ShutdownLingering(asio::ip::tcp::socket& socket);

}  // namespace smartlink::net

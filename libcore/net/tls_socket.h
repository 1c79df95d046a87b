#pragma once

// websocketpp's TLS socket policy with one fix, for the client endpoints (slchat, slbench,
// the tests). The server has its own policy, lean_tls.h.
//
// Closing a wss:// connection, websocketpp sends its close_notify (asio's async_shutdown)
// and waits for the peer's. The peer's close_notify is usually read by websocketpp's own
// pending read, while the shutdown waits for that read to finish; Asio 1.22 then resumes
// the shutdown, which completes (OpenSSL reports both close_notify sent and received), but
// hands its handler the read's operation_aborted. websocketpp takes that for a cancelled
// shutdown and ends the connection only when its 5 s shutdown timer fires: every closed
// wss:// session lingered 5 s (still counted, still online, still holding a session slot).
// Here a shutdown that reports operation_aborted while both close_notify alerts have gone
// through is a completed shutdown. A real cancellation (the timer's) is still seen as one:
// websocketpp checks its expired timer first.

// clang-format off
#include "fast_ci_less.h"  // before any websocketpp header
// clang-format on

#include <openssl/ssl.h>

#include <asio/ssl.hpp>
#include <websocketpp/transport/asio/security/tls.hpp>

namespace smartlink::net {

class TlsSocketConnection : public websocketpp::transport::asio::tls_socket::connection {
 public:
  typedef TlsSocketConnection type;
  typedef websocketpp::lib::shared_ptr<type> ptr;

  // No strand to wrap the handler in: SmartLink runs each endpoint on one thread.
  void async_shutdown(websocketpp::transport::asio::socket::shutdown_handler callback) {
    socket_type& socket = get_socket();
    SSL* ssl = socket.native_handle();
    socket.async_shutdown([ssl, callback](const asio::error_code& ec) {
      const int both = SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN;
      if (ec == asio::error::operation_aborted && (SSL_get_shutdown(ssl) & both) == both) {
        callback(asio::error_code());
      } else {
        callback(ec);
      }
    });
  }
};

// The policy to name as a websocketpp transport_config's socket_type.
class TlsSocketEndpoint : public websocketpp::transport::asio::tls_socket::endpoint {
 public:
  typedef TlsSocketEndpoint type;
  typedef TlsSocketConnection socket_con_type;
  typedef socket_con_type::ptr socket_con_ptr;
};

}  // namespace smartlink::net

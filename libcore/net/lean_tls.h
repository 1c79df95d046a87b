#pragma once

// A TLS socket policy for websocketpp's server that holds no buffers while a connection is
// idle.
//
// websocketpp's own TLS policy wraps asio::ssl::stream, which keeps two 17 KB vectors per
// connection and talks to OpenSSL through a BIO pair with two more 17 KB buffers: about
// 68 KB per connection, idle or not. Here OpenSSL reads and writes the socket itself,
// through a BIO that calls recv() and send() on the non-blocking descriptor; Asio is used
// only to wait until the socket is readable or writable. With SSL_MODE_RELEASE_BUFFERS
// (set on the context) OpenSSL frees its record buffers whenever they are empty, so an idle
// connection costs the SSL object and nothing else.
//
// LeanTlsStream is what asio::async_read and asio::async_write see: async_read_some and
// async_write_some that retry the SSL call each time the socket becomes ready. Like
// asio::ssl::stream it runs on one thread, with at most one read and one write pending
// (websocketpp's transport guarantees both), and a handshake or a shutdown besides.
// SmartLink's endpoints run on one thread each, so no strand is used.
//
// The port serves plain ws:// and http:// besides, unless the server is TLS-only: a TLS
// client's first byte is always 22 (a handshake record), an HTTP client's a letter of its
// method, so the first byte, peeked before the handshake, tells them apart. A plain
// connection frees its SSL object and reads and writes the socket through Asio.

// clang-format off
#include "fast_ci_less.h"  // before any websocketpp header
// clang-format on

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <algorithm>
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/ssl/context.hpp>
#include <asio/ssl/error.hpp>
#include <cerrno>
#include <functional>
#include <iterator>
#include <memory>
#include <string>
#include <utility>
#include <websocketpp/common/connection_hdl.hpp>
#include <websocketpp/transport/asio/security/base.hpp>
#include <websocketpp/transport/base/connection.hpp>
#include <websocketpp/uri.hpp>

#include "lean_socket.h"

namespace smartlink::net {

// The descriptor and what the last recv()/send() saw, shared by the stream and its BIO.
struct LeanTlsFd {
  int fd = -1;
  int last_errno = 0;
  bool eof = false;
  bool started = false;  // the client's first byte has been read
};

// The BIO method that reads and writes a LeanTlsFd (created once, never freed).
BIO_METHOD* LeanTlsBioMethod();

class LeanTlsStream {
 public:
  using executor_type = asio::ip::tcp::socket::executor_type;
  using lowest_layer_type = asio::ip::tcp::socket;
  using next_layer_type = asio::ip::tcp::socket;

  LeanTlsStream(asio::io_context& io, SSL* ssl) : socket_(io), ssl_(ssl) {}
  ~LeanTlsStream() { SSL_free(ssl_); }
  LeanTlsStream(const LeanTlsStream&) = delete;
  LeanTlsStream& operator=(const LeanTlsStream&) = delete;

  executor_type get_executor() { return socket_.get_executor(); }
  asio::ip::tcp::socket& lowest_layer() { return socket_; }
  const asio::ip::tcp::socket& lowest_layer() const { return socket_; }
  asio::ip::tcp::socket& next_layer() { return socket_; }
  SSL* native_handle() { return ssl_; }

  // True once the client turned out to speak plain HTTP (async_handshake's allow_plain).
  bool plain() const { return plain_; }

  // Connects OpenSSL to the (now open) socket and runs the server side of the handshake.
  // With `allow_plain`, a client whose first byte does not begin a TLS record is taken as
  // plain: the handshake then succeeds at once and the stream passes bytes through.
  template <typename Handler>
  void async_handshake(bool allow_plain, Handler handler) {
    asio::error_code ec;
    if (!Attach(ec)) {
      asio::post(socket_.get_executor(), [h = std::move(handler), ec]() mutable { h(ec); });
      return;
    }
    auto done = [this, h = std::move(handler)](const asio::error_code& done_ec, size_t) mutable {
      if (!done_ec && plain_) {
        SSL_free(ssl_);  // with the BIO: a plain connection holds no TLS state
        ssl_ = nullptr;
      }
      h(done_ec);
    };
    Drive(
        [this, sniff = allow_plain](size_t*) mutable {
          if (sniff) {
            unsigned char first = 0;
            ssize_t r;
            do {
              r = ::recv(fd_.fd, &first, 1, MSG_PEEK);
            } while (r < 0 && errno == EINTR);
            if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return kWaitRead;
            sniff = false;
            // 22: a TLS handshake record. An error or an end of stream is left to OpenSSL,
            // which fails the handshake as it would have.
            if (r == 1 && first != 22) {
              plain_ = true;
              return 1;
            }
          }
          return SSL_do_handshake(ssl_);
        },
        std::move(done), true);
  }

  // Sends close_notify and waits for the peer's (or for the peer to close TCP).
  template <typename Handler>
  void async_shutdown(Handler handler) {
    Drive(
        [this](size_t*) {
          int r = SSL_shutdown(ssl_);
          // 0: ours is sent, the peer's not yet read; read until it comes.
          return r == 0 ? kWaitRead : r;
        },
        Unary(std::move(handler)), true);
  }

  template <typename MutableBuffers, typename Handler>
  void async_read_some(const MutableBuffers& buffers, Handler&& handler) {
    if (plain_) return socket_.async_read_some(buffers, std::forward<Handler>(handler));
    auto it = asio::buffer_sequence_begin(buffers);
    // An empty sequence reads nothing (and completes at once, as Asio's sockets do).
    asio::mutable_buffer b =
        it == asio::buffer_sequence_end(buffers) ? asio::mutable_buffer() : *it;
    Drive(
        [this, b](size_t* n) {
          if (b.size() == 0) return 1;
          return SSL_read_ex(ssl_, b.data(), b.size(), n);
        },
        std::forward<Handler>(handler), true);
  }

  // Small buffers (websocketpp writes each frame's header and payload apart) are gathered
  // into one TLS record of up to 16 KiB: one encryption and one send() instead of several.
  template <typename ConstBuffers, typename Handler>
  void async_write_some(const ConstBuffers& buffers, Handler&& handler) {
    if (plain_) return socket_.async_write_some(buffers, std::forward<Handler>(handler));
    auto it = asio::buffer_sequence_begin(buffers);
    auto end = asio::buffer_sequence_end(buffers);
    asio::const_buffer first = it == end ? asio::const_buffer() : *it;
    if (it != end && first.size() < kGatherBytes && std::next(it) != end) {
      gather_.clear();
      for (; it != end && gather_.size() < kGatherBytes; ++it) {
        asio::const_buffer b = *it;
        size_t take = std::min(b.size(), kGatherBytes - gather_.size());
        gather_.append(static_cast<const char*>(b.data()), take);
      }
      first = asio::const_buffer(gather_.data(), gather_.size());
    }
    Drive(
        [this, first](size_t* n) {
          // An empty write has nothing to retry; SSL_write_ex refuses it.
          if (first.size() == 0) return 1;
          return SSL_write_ex(ssl_, first.data(), first.size(), n);
        },
        Released(std::forward<Handler>(handler)), true);
  }

 private:
  static constexpr size_t kGatherBytes = 16384;
  static constexpr int kWaitRead = -1000;

  template <typename Handler>
  static auto Unary(Handler handler) {
    return [h = std::move(handler)](const asio::error_code& ec, size_t) mutable { h(ec); };
  }

  // The gathered copy is freed when the write is done: an idle connection holds none.
  template <typename Handler>
  auto Released(Handler&& handler) {
    return
        [this, h = std::forward<Handler>(handler)](const asio::error_code& ec, size_t n) mutable {
          if (gather_.capacity() > 0) std::string().swap(gather_);
          h(ec, n);
        };
  }

  bool Attach(asio::error_code& ec) {
    if (!socket_.is_open()) {
      ec = asio::error::not_connected;
      return false;
    }
    socket_.non_blocking(true, ec);
    if (ec) return false;
    // OpenSSL sends a handshake flight as several records, one send() each: without
    // TCP_NODELAY from the start, the later ones wait for the client's delayed ACK.
    socket_.set_option(asio::ip::tcp::no_delay(true), ec);
    if (ec) return false;
    BIO_METHOD* method = LeanTlsBioMethod();  // null if it could not be made at start-up
    BIO* bio = method ? BIO_new(method) : nullptr;
    if (!bio) {
      ec = asio::error::no_memory;
      return false;
    }
    fd_.fd = socket_.native_handle();
    BIO_set_data(bio, &fd_);
    BIO_set_init(bio, 1);
    SSL_set_bio(ssl_, bio, bio);
    // One recv() for as many records as have arrived, not two per record (header, body).
    SSL_set_read_ahead(ssl_, 1);
    SSL_set_accept_state(ssl_);
    return true;
  }

  // Calls `attempt` until it succeeds or fails, waiting for the socket in between. The
  // handler runs as Asio's would: never from inside the call that started the operation.
  template <typename Attempt, typename Handler>
  void Drive(Attempt attempt, Handler handler, bool first) {
    size_t n = 0;
    asio::error_code ec;
    asio::socket_base::wait_type wait = asio::socket_base::wait_read;
    if (!socket_.is_open() || fd_.fd != socket_.native_handle()) {
      // Closed (or never attached): the descriptor may already belong to someone else.
      ec = asio::error::bad_descriptor;
    } else {
      ERR_clear_error();
      fd_.last_errno = 0;
      int r = attempt(&n);
      if (r > 0) {
        // Done.
      } else if (r == kWaitRead) {
        n = 0;
        return Wait(wait, std::move(attempt), std::move(handler));
      } else {
        n = 0;
        int err = SSL_get_error(ssl_, r);
        if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
          if (err == SSL_ERROR_WANT_WRITE) wait = asio::socket_base::wait_write;
          return Wait(wait, std::move(attempt), std::move(handler));
        }
        ec = ErrorOf(err);
      }
    }
    if (first) {
      asio::post(socket_.get_executor(), [h = std::move(handler), ec, n]() mutable { h(ec, n); });
    } else {
      handler(ec, n);
    }
  }

  template <typename Attempt, typename Handler>
  void Wait(asio::socket_base::wait_type wait, Attempt attempt, Handler handler) {
    socket_.async_wait(wait, [this, a = std::move(attempt),
                              h = std::move(handler)](const asio::error_code& ec) mutable {
      if (ec) return h(ec, 0);
      Drive(std::move(a), std::move(h), false);
    });
  }

  asio::error_code ErrorOf(int ssl_error) {
    if (ssl_error == SSL_ERROR_ZERO_RETURN) return asio::error::eof;  // close_notify
    unsigned long e = ERR_get_error();
    ERR_clear_error();
    if (fd_.eof && (ssl_error == SSL_ERROR_SYSCALL || e == 0 ||
                    ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING)) {
      // TCP closed without close_notify. After our close_notify that is a finished
      // shutdown; anywhere else websocketpp sees the same error as with asio::ssl.
      if (SSL_get_shutdown(ssl_) & SSL_SENT_SHUTDOWN) return {};
      return asio::ssl::error::stream_truncated;
    }
    if (ssl_error == SSL_ERROR_SYSCALL && e == 0) {
      return asio::error_code(fd_.last_errno ? fd_.last_errno : EIO, asio::system_category());
    }
    return asio::error_code(static_cast<int>(e ? e : SSL_R_UNKNOWN_PROTOCOL),
                            asio::error::get_ssl_category());
  }

  asio::ip::tcp::socket socket_;
  SSL* ssl_;
  LeanTlsFd fd_;
  std::string gather_;
  bool plain_ = false;
};

// The per-connection half of the policy (websocketpp's socket_con_type).
class LeanTlsConnection : public std::enable_shared_from_this<LeanTlsConnection> {
 public:
  typedef LeanTlsConnection type;
  typedef std::shared_ptr<type> ptr;
  typedef LeanTlsStream socket_type;
  typedef asio::io_context* io_service_ptr;
  typedef std::shared_ptr<asio::io_context::strand> strand_ptr;
  typedef std::shared_ptr<asio::ssl::context> context_ptr;
  typedef std::function<context_ptr(websocketpp::connection_hdl)> tls_init_handler;

  ptr get_shared() { return shared_from_this(); }
  // False for a plain ws:// or http:// client on the TLS port (see the top of this file).
  bool is_secure() const { return !socket_ || !socket_->plain(); }
  asio::ip::tcp::socket& get_raw_socket() { return socket_->lowest_layer(); }
  asio::ip::tcp::socket& get_next_layer() { return socket_->next_layer(); }
  socket_type& get_socket() { return *socket_; }
  void set_tls_init_handler(tls_init_handler h) { tls_init_ = std::move(h); }
  void set_allow_plain(bool allow) { allow_plain_ = allow; }

  std::string get_remote_endpoint(websocketpp::lib::error_code& ec) const {
    return RemoteEndpointOf(socket_->lowest_layer(), ec);
  }

  template <typename ErrorCodeType>
  static websocketpp::lib::error_code translate_ec(ErrorCodeType ec) {
    namespace terr = websocketpp::transport::error;
    if (ec.category() == asio::error::get_ssl_category())
      return terr::make_error_code(terr::tls_error);
    return terr::make_error_code(terr::pass_through);
  }
  static websocketpp::lib::error_code translate_ec(websocketpp::lib::error_code ec) { return ec; }

 protected:
  websocketpp::lib::error_code init_asio(io_service_ptr service, strand_ptr, bool is_server) {
    namespace serr = websocketpp::transport::asio::socket::error;
    // Only the server uses this policy; clients keep websocketpp's (SNI, verification).
    if (!is_server || !tls_init_) {
      return websocketpp::transport::asio::socket::make_error_code(serr::missing_tls_init_handler);
    }
    context_ptr context = tls_init_(hdl_);
    SSL* ssl = context ? SSL_new(context->native_handle()) : nullptr;
    if (!ssl) {
      return websocketpp::transport::asio::socket::make_error_code(serr::invalid_tls_context);
    }
    socket_ = std::make_unique<socket_type>(*service, ssl);
    return {};
  }

  void set_uri(websocketpp::uri_ptr) {}
  void set_handle(websocketpp::connection_hdl hdl) { hdl_ = hdl; }
  void pre_init(websocketpp::transport::init_handler callback) { callback({}); }

  void post_init(websocketpp::transport::init_handler callback) {
    namespace serr = websocketpp::transport::asio::socket::error;
    ec_ = websocketpp::transport::asio::socket::make_error_code(serr::tls_handshake_timeout);
    socket_->async_handshake(
        allow_plain_, [self = get_shared(), callback](const asio::error_code& ec) {
          self->ec_ =
              ec ? websocketpp::transport::asio::socket::make_error_code(serr::tls_handshake_failed)
                 : websocketpp::lib::error_code();
          callback(self->ec_);
        });
  }

  websocketpp::lib::error_code get_ec() const { return ec_; }

  asio::error_code cancel_socket() { return CancelSocket(get_raw_socket()); }

  void async_shutdown(websocketpp::transport::asio::socket::shutdown_handler callback) {
    if (socket_->plain()) return callback(ShutdownLingering(get_raw_socket()));
    socket_->async_shutdown(std::move(callback));
  }

 private:
  std::unique_ptr<socket_type> socket_;
  websocketpp::lib::error_code ec_;
  websocketpp::connection_hdl hdl_;
  tls_init_handler tls_init_;
  bool allow_plain_ = true;
};

// The policy to name as the server's transport_config::socket_type.
class LeanTlsEndpoint {
 public:
  typedef LeanTlsEndpoint type;
  typedef LeanTlsConnection socket_con_type;
  typedef socket_con_type::ptr socket_con_ptr;
  // websocketpp's read buffer in each connection. Each fill is an SSL_read from
  // OpenSSL's read-ahead: 512 bytes cut a wss upload from 98 to 60-70 MiB/s, and an idle
  // wss connection is far under its memory target with 2 KiB.
  static constexpr size_t kReadBuffer = 2048;
  // The TLS handshake (websocketpp's post_init) must end within this.
  static constexpr long kPostInitTimeoutMs = 10000;

  bool is_secure() const { return true; }
  void set_tls_init_handler(LeanTlsConnection::tls_init_handler h) { tls_init_ = std::move(h); }
  // Whether plain ws:// and http:// clients are served on the port too (the default).
  void set_allow_plain(bool allow) { allow_plain_ = allow; }

 protected:
  websocketpp::lib::error_code init(socket_con_ptr scon) {
    scon->set_tls_init_handler(tls_init_);
    scon->set_allow_plain(allow_plain_);
    return {};
  }

 private:
  LeanTlsConnection::tls_init_handler tls_init_;
  bool allow_plain_ = true;
};

}  // namespace smartlink::net

#pragma once

// A plain-TCP socket policy for websocketpp's server that reads ahead without holding a
// buffer while a connection is idle.
//
// websocketpp reads into a buffer inside every connection object (config's
// connection_read_buffer_size), one recv() per fill. A large buffer costs every idle
// connection its size; a small one costs a bulk upload one system call per few hundred
// bytes. Here the connection's buffer stays small (512 bytes) and each recv() is a readv()
// into that buffer and a per-thread scratch area: what does not fit is kept in a
// per-connection buffer allocated for the burst and freed as soon as websocketpp has taken
// it, so the next reads are copies, not system calls. After a read that emptied the socket
// the next is left to Asio (into the buffer alone), which waits for data without an
// epoll_ctl() per wait as async_wait needs. An idle connection holds nothing
// beyond the socket. The same idea as lean_tls.h, where OpenSSL's read-ahead and released
// record buffers do this for wss://.
//
// LeanPlainStream is what asio::async_read and asio::async_write see. Like Asio's socket
// it runs on one thread with at most one read and one write pending (websocketpp's
// transport guarantees both).

// clang-format off
#include "fast_ci_less.h"  // before any websocketpp header
// clang-format on

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <cerrno>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <websocketpp/common/connection_hdl.hpp>
#include <websocketpp/transport/asio/security/base.hpp>
#include <websocketpp/transport/base/connection.hpp>
#include <websocketpp/uri.hpp>

#include "lean_socket.h"

namespace smartlink::net {

class LeanPlainConnection;

class LeanPlainStream {
 public:
  using executor_type = asio::ip::tcp::socket::executor_type;
  using lowest_layer_type = asio::ip::tcp::socket;
  using next_layer_type = asio::ip::tcp::socket;

  // Most bytes one recv() takes beyond the caller's buffer (and so most a connection holds
  // read ahead): a bulk upload needs one system call per 16 KiB, not one per 1 KiB.
  static constexpr size_t kReadAhead = 16384;

  // `owner` is the connection that holds this stream (kept alive while a close frame's
  // handler runs); without one, close frames are written like any other.
  LeanPlainStream(asio::io_context& io, std::enable_shared_from_this<LeanPlainConnection>* owner)
      : socket_(io), owner_(owner) {}
  LeanPlainStream(const LeanPlainStream&) = delete;
  LeanPlainStream& operator=(const LeanPlainStream&) = delete;

  executor_type get_executor() { return socket_.get_executor(); }
  asio::ip::tcp::socket& lowest_layer() { return socket_; }
  const asio::ip::tcp::socket& lowest_layer() const { return socket_; }
  asio::ip::tcp::socket& next_layer() { return socket_; }

  // Bytes read from the socket that no read has taken yet.
  size_t read_ahead() const { return ahead_len_; }

  template <typename MutableBuffers, typename Handler>
  void async_read_some(const MutableBuffers& buffers, Handler&& handler) {
    auto it = asio::buffer_sequence_begin(buffers);
    asio::mutable_buffer b =
        it == asio::buffer_sequence_end(buffers) ? asio::mutable_buffer() : *it;
    Read(b, std::forward<Handler>(handler), true);
  }

  // A close frame is sent with MSG_MORE: after the close that answers the client's,
  // websocketpp shuts the socket down from inside this write's handler, and the FIN then
  // goes out in the frame's own segment (one packet and one wake-up of the client fewer per
  // connection). Any other close frame is pushed out as soon as the handler returns
  // without that shutdown (the kernel would otherwise hold it for about 200 ms).
  template <typename ConstBuffers, typename Handler>
  void async_write_some(const ConstBuffers& buffers, Handler&& handler) {
    auto it = asio::buffer_sequence_begin(buffers);
    if (owner_ == nullptr || it == asio::buffer_sequence_end(buffers) ||
        !IsCloseFrame(asio::const_buffer(*it))) {
      socket_.async_write_some(buffers, std::forward<Handler>(handler));
      return;
    }
    corked_ = true;
    socket_.async_send(buffers, MSG_MORE,
                       [this, keep = owner_->shared_from_this(), h = std::move(handler)](
                           const asio::error_code& ec, size_t n) mutable {
                         h(ec, n);  // `keep` holds this stream while the handler runs
                         Uncork();
                       });
  }

  // The connection's FIN is about to be sent: it takes any corked close frame along.
  void ShuttingDown() { corked_ = false; }

 private:
  static bool IsCloseFrame(asio::const_buffer b) {
    return b.size() > 0 && *static_cast<const unsigned char*>(b.data()) == 0x88;  // FIN, close
  }

  // Sends what MSG_MORE held back, unless the socket was shut down (which sent it).
  void Uncork() {
    if (!corked_) return;
    corked_ = false;
    if (!socket_.is_open()) return;
    int on = 1;  // setting TCP_NODELAY pushes the queued segment
    ::setsockopt(socket_.native_handle(), IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
  }

  // Fills `b` from what was read ahead, or else from the socket, waiting for it to be
  // readable if it is not. The handler runs as Asio's would: never from inside the call
  // that started the read.
  template <typename Handler>
  void Read(asio::mutable_buffer b, Handler handler, bool first) {
    asio::error_code ec;
    size_t n = 0;
    if (b.size() == 0) {
      // An empty read completes at once, as Asio's sockets do.
    } else if (ahead_len_ > 0) {
      n = TakeAhead(b);
    } else if (!socket_.is_open()) {
      ec = asio::error::bad_descriptor;
    } else if (drained_) {
      // The last read emptied the socket, so this one would most likely find nothing: let
      // Asio read. It tries once, then waits on the epoll registration the socket already
      // has, where async_wait would re-arm it with an epoll_ctl() per wait. Asio's read
      // fills `b` only: the scratch area cannot be lent to a read that completes later.
      socket_.async_read_some(b, [this, size = b.size(), h = std::move(handler)](
                                     const asio::error_code& rec, size_t got) mutable {
        drained_ = rec || got < size;
        h(rec, got);
      });
      return;
    } else {
      n = Receive(b, ec);
      if (ec == asio::error::would_block) {
        socket_.async_wait(asio::socket_base::wait_read,
                           [this, b, h = std::move(handler)](const asio::error_code& wec) mutable {
                             if (wec) return h(wec, 0);
                             Read(b, std::move(h), false);
                           });
        return;
      }
    }
    if (first) {
      asio::post(socket_.get_executor(), [h = std::move(handler), ec, n]() mutable { h(ec, n); });
    } else {
      handler(ec, n);
    }
  }

  size_t TakeAhead(asio::mutable_buffer b) {
    size_t n = std::min(b.size(), ahead_len_);
    std::memcpy(b.data(), ahead_.get() + ahead_off_, n);
    ahead_off_ += n;
    ahead_len_ -= n;
    if (ahead_len_ == 0) {
      ahead_.reset();
      ahead_off_ = 0;
    }
    return n;
  }

  // One readv() into `b` and the thread's scratch area; keeps what went to the scratch.
  size_t Receive(asio::mutable_buffer b, asio::error_code& ec) {
    static thread_local std::unique_ptr<char[]> scratch(new char[kReadAhead]);
    iovec iov[2] = {{b.data(), b.size()}, {scratch.get(), kReadAhead}};
    ssize_t r;
    do {
      r = ::readv(socket_.native_handle(), iov, 2);
    } while (r < 0 && errno == EINTR);
    if (r < 0) {
      ec = errno == EAGAIN || errno == EWOULDBLOCK
               ? asio::error::would_block
               : asio::error_code(errno, asio::system_category());
      return 0;
    }
    if (r == 0) {
      ec = asio::error::eof;
      return 0;
    }
    size_t n = static_cast<size_t>(r);
    drained_ = n < b.size() + kReadAhead;
    if (n <= b.size()) return n;
    ahead_len_ = n - b.size();
    ahead_off_ = 0;
    ahead_.reset(new char[ahead_len_]);
    std::memcpy(ahead_.get(), scratch.get(), ahead_len_);
    return b.size();
  }

  asio::ip::tcp::socket socket_;
  std::enable_shared_from_this<LeanPlainConnection>* owner_;
  std::unique_ptr<char[]> ahead_;
  size_t ahead_off_ = 0;
  size_t ahead_len_ = 0;
  bool drained_ = false;  // the last read took less than it asked for: the socket was empty
  bool corked_ = false;   // a close frame was sent with MSG_MORE and may still be queued
};

// The per-connection half of the policy (websocketpp's socket_con_type).
class LeanPlainConnection : public std::enable_shared_from_this<LeanPlainConnection> {
 public:
  typedef LeanPlainConnection type;
  typedef std::shared_ptr<type> ptr;
  typedef LeanPlainStream socket_type;
  typedef asio::io_context* io_service_ptr;
  typedef std::shared_ptr<asio::io_context::strand> strand_ptr;

  ptr get_shared() { return shared_from_this(); }
  bool is_secure() const { return false; }
  asio::ip::tcp::socket& get_raw_socket() { return socket_->lowest_layer(); }
  asio::ip::tcp::socket& get_next_layer() { return socket_->next_layer(); }
  socket_type& get_socket() { return *socket_; }
  // The listening socket had TCP_NODELAY, so the accepted one has it already.
  void set_no_delay_inherited(bool inherited) { no_delay_inherited_ = inherited; }

  std::string get_remote_endpoint(websocketpp::lib::error_code& ec) const {
    return RemoteEndpointOf(socket_->lowest_layer(), ec);
  }

  template <typename ErrorCodeType>
  static websocketpp::lib::error_code translate_ec(ErrorCodeType) {
    return websocketpp::transport::error::make_error_code(
        websocketpp::transport::error::pass_through);
  }
  static websocketpp::lib::error_code translate_ec(websocketpp::lib::error_code ec) { return ec; }

 protected:
  websocketpp::lib::error_code init_asio(io_service_ptr service, strand_ptr, bool) {
    socket_.emplace(*service, this);
    return {};
  }

  void set_uri(websocketpp::uri_ptr) {}
  void set_handle(websocketpp::connection_hdl) {}
  void pre_init(websocketpp::transport::init_handler callback) { callback({}); }

  // The socket is open (accepted): reads go around Asio, so it must not block; and
  // without TCP_NODELAY small frames wait for delayed ACKs (40 ms latency spikes), unless it
  // came with the socket from the listening one.
  void post_init(websocketpp::transport::init_handler callback) {
    asio::error_code ec;
    socket_->lowest_layer().non_blocking(true, ec);
    if (!ec && !no_delay_inherited_) {
      socket_->lowest_layer().set_option(asio::ip::tcp::no_delay(true), ec);
    }
    callback(ec ? websocketpp::transport::error::make_error_code(
                      websocketpp::transport::error::pass_through)
                : websocketpp::lib::error_code());
  }

  websocketpp::lib::error_code get_ec() const { return {}; }

  asio::error_code cancel_socket() { return CancelSocket(get_raw_socket()); }

  void async_shutdown(websocketpp::transport::asio::socket::shutdown_handler callback) {
    socket_->ShuttingDown();
    callback(ShutdownLingering(get_raw_socket()));
  }

 private:
  std::optional<socket_type> socket_;  // made in init_asio, when the loop is known
  bool no_delay_inherited_ = false;
};

// The policy to name as the server's transport_config::socket_type.
class LeanPlainEndpoint {
 public:
  typedef LeanPlainEndpoint type;
  typedef LeanPlainConnection socket_con_type;
  typedef socket_con_type::ptr socket_con_ptr;
  // websocketpp's read buffer in each connection: 512 bytes keep an idle connection under
  // 8 KiB; a bulk upload still reads 16 KiB per recv() (kReadAhead). Measured in
  // docs/benchmarks.md.
  static constexpr size_t kReadBuffer = 512;
  // post_init completes before it returns, so websocketpp need not arm (and at once cancel)
  // a timer for it on every connection.
  static constexpr long kPostInitTimeoutMs = 0;

  bool is_secure() const { return false; }
  // Whether the listening socket has TCP_NODELAY (which accepted sockets inherit).
  void set_listener_no_delay(bool on) { listener_no_delay_ = on; }

 protected:
  websocketpp::lib::error_code init(socket_con_ptr scon) {
    scon->set_no_delay_inherited(listener_no_delay_);
    return {};
  }

 private:
  bool listener_no_delay_ = false;
};

}  // namespace smartlink::net

#include "lean_socket.h"

#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <array>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <memory>

namespace smartlink::net {

namespace {

// Owns the duplicate descriptor until the client closes, kLingerMs pass or kLingerBytes
// have been thrown away; then the socket is closed (with RST only in the last two cases).
class Lingerer : public std::enable_shared_from_this<Lingerer> {
 public:
  explicit Lingerer(asio::ip::tcp::socket socket)
      : socket_(std::move(socket)), timer_(socket_.get_executor()) {}

  void Start() {
    timer_.expires_after(std::chrono::milliseconds(kLingerMs));
    timer_.async_wait([self = shared_from_this()](const asio::error_code& ec) {
      if (!ec) self->Close();
    });
    Read();
  }

 private:
  void Read() {
    socket_.async_read_some(asio::buffer(buffer_),
                            [self = shared_from_this()](const asio::error_code& ec, size_t n) {
                              self->discarded_ += n;
                              if (ec || self->discarded_ >= kLingerBytes) {
                                self->Close();
                              } else {
                                self->Read();
                              }
                            });
  }

  void Close() {
    asio::error_code ignored;
    timer_.cancel();
    socket_.close(ignored);
  }

  asio::ip::tcp::socket socket_;
  asio::steady_timer timer_;
  std::array<char, 4096> buffer_;
  size_t discarded_ = 0;
};

}  // namespace

asio::error_code ShutdownLingering(asio::ip::tcp::socket& socket) {
  asio::error_code ec;
  asio::socket_base::bytes_readable waiting(true);
  socket.io_control(waiting, ec);
  // Unsent bytes: a client that does not read (a slow reader closed with 4008) would not
  // get the close frame soon anyway, and with FIN queued behind them the kernel would
  // trickle the whole send queue to it before the end; close as before instead. Asked only
  // when something waits: the usual close has nothing to read, and a system call saved.
  int unsent = 0;
  if (!ec && waiting.get() != 0 && ::ioctl(socket.native_handle(), SIOCOUTQ, &unsent) != 0) {
    unsent = 0;
  }
  if (ec || waiting.get() == 0 || unsent > kLingerMaxUnsent) {
    socket.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    return ec;
  }
  socket.shutdown(asio::ip::tcp::socket::shutdown_send, ec);
  if (ec) return ec;
  auto protocol = socket.local_endpoint(ec).protocol();
  if (ec) return ec;
  int fd = ::dup(socket.native_handle());
  if (fd < 0) return {};  // no descriptor to spare: closed at once, as before
  asio::ip::tcp::socket copy(socket.get_executor());
  copy.assign(protocol, fd, ec);
  if (ec) {
    ::close(fd);
    return {};
  }
  std::make_shared<Lingerer>(std::move(copy))->Start();
  return {};
}

}  // namespace smartlink::net

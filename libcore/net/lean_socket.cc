#include "lean_socket.h"

#include <unistd.h>

#include <array>
#include <asio/steady_timer.hpp>
#include <atomic>
#include <chrono>
#include <memory>

namespace smartlink::net {

namespace {

// Lingerers alive in the process: past kMaxLingering a socket is closed at once, as before,
// so clients that get themselves closed on purpose cannot pile up descriptors.
std::atomic<int> lingering{0};

// Owns the descriptor until the client closes, it has been silent for kLingerIdleMs, or
// kLingerMs or kLingerBytes have passed; then the socket is closed (with RST only if the
// client was still sending).
class Lingerer : public std::enable_shared_from_this<Lingerer> {
 public:
  explicit Lingerer(asio::ip::tcp::socket socket)
      : socket_(std::move(socket)), idle_(socket_.get_executor()), limit_(socket_.get_executor()) {
    lingering++;
  }
  ~Lingerer() { lingering--; }

  void Start() {
    limit_.expires_after(std::chrono::milliseconds(kLingerMs));
    limit_.async_wait([self = shared_from_this()](const asio::error_code& ec) {
      if (!ec) self->Close();
    });
    Read();
  }

 private:
  void Read() {
    idle_.expires_after(std::chrono::milliseconds(kLingerIdleMs));
    idle_.async_wait([self = shared_from_this()](const asio::error_code& ec) {
      if (!ec) self->Close();
    });
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
    idle_.cancel();
    limit_.cancel();
    socket_.close(ignored);
  }

  asio::ip::tcp::socket socket_;
  asio::steady_timer idle_;
  asio::steady_timer limit_;
  std::array<char, 4096> buffer_;
  size_t discarded_ = 0;
};

}  // namespace

asio::error_code ShutdownLingering(asio::ip::tcp::socket& socket) {
  asio::error_code ec;
  asio::socket_base::bytes_readable waiting(true);
  socket.io_control(waiting, ec);
  if (ec || waiting.get() == 0 || lingering.load() >= kMaxLingering) {
    socket.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    return ec;
  }
  socket.shutdown(asio::ip::tcp::socket::shutdown_send, ec);
  if (ec) return ec;
  auto protocol = socket.local_endpoint(ec).protocol();
  if (ec) return ec;
  // The descriptor moves to the lingerer: the caller's socket is closed from here on, and
  // what it had pending (websocketpp keeps a read waiting) ends with operation_aborted.
  int fd = socket.release(ec);
  if (ec) return ec;
  asio::ip::tcp::socket owned(socket.get_executor());
  owned.assign(protocol, fd, ec);
  if (ec) {
    ::close(fd);
    return {};
  }
  std::make_shared<Lingerer>(std::move(owned))->Start();
  return {};
}

}  // namespace smartlink::net

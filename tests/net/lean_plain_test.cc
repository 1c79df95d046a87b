// net/lean_plain.h's writes: a close frame is held back (MSG_MORE) only until its write
// handler returns. If the handler shuts the socket down (websocketpp's answer to a client's
// close) the FIN leaves with it; otherwise the frame is pushed out, not left to the kernel's
// timer. Held bytes are read with SIOCOUTQNSD (queued, not yet sent), so nothing is timed.
// And TCP_NODELAY: set on each accepted socket, or inherited from the listening one.

#include "net/lean_plain.h"

#include <gtest/gtest.h>
#include <linux/sockios.h>
#include <poll.h>
#include <sys/ioctl.h>

#include <array>
#include <asio/connect.hpp>
#include <asio/write.hpp>
#include <memory>
#include <string>

namespace smartlink::net {
namespace {

// Opens the protected half websocketpp's transport would call.
class TestConnection : public LeanPlainConnection {
 public:
  using LeanPlainConnection::async_shutdown;
  using LeanPlainConnection::init_asio;
  using LeanPlainConnection::post_init;
};

struct Pair {
  asio::io_context io;
  std::shared_ptr<TestConnection> server = std::make_shared<TestConnection>();
  asio::ip::tcp::socket client{io};

  // With `listener_no_delay`, the listening socket has TCP_NODELAY and the connection is
  // told it need not set it (as the server's endpoint does).
  explicit Pair(bool listener_no_delay = false) {
    server->init_asio(&io, nullptr, false);
    asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
    if (listener_no_delay) acceptor.set_option(asio::ip::tcp::no_delay(true));
    server->set_no_delay_inherited(listener_no_delay);
    client.connect(acceptor.local_endpoint());
    acceptor.accept(server->get_raw_socket());
    server->post_init([](const websocketpp::lib::error_code& ec) { ASSERT_FALSE(ec); });
  }

  int Unsent() {
    int n = -1;
    EXPECT_EQ(0, ::ioctl(server->get_raw_socket().native_handle(), SIOCOUTQNSD, &n));
    return n;
  }

  // Reads what the client has been sent (waiting up to a second); "EOF" for the FIN.
  std::string Arrived() {
    pollfd pfd{client.native_handle(), POLLIN, 0};
    ::poll(&pfd, 1, 1000);
    std::array<char, 64> buf;
    ssize_t n = ::recv(client.native_handle(), buf.data(), buf.size(), MSG_DONTWAIT);
    if (n == 0) return "EOF";
    return n < 0 ? std::string() : std::string(buf.data(), static_cast<size_t>(n));
  }
};

bool NoDelay(asio::ip::tcp::socket& socket) {
  asio::ip::tcp::no_delay option;
  socket.get_option(option);
  return option.value();
}

TEST(LeanPlain, AcceptedSocketsHaveNoDelayWhetherSetOrInherited) {
  Pair set_here;
  EXPECT_TRUE(NoDelay(set_here.server->get_raw_socket()));
  Pair inherited(true);  // post_init left it alone
  EXPECT_TRUE(NoDelay(inherited.server->get_raw_socket()));
}

const std::string kClose("\x88\x02\x03\xe8", 4);  // close, code 1000

TEST(LeanPlain, CloseFrameWithoutShutdownIsPushedWhenItsHandlerReturns) {
  Pair p;
  int unsent_in_handler = -1;
  asio::async_write(p.server->get_socket(), asio::buffer(kClose),
                    [&](const asio::error_code& ec, size_t n) {
                      EXPECT_FALSE(ec);
                      EXPECT_EQ(kClose.size(), n);
                      unsent_in_handler = p.Unsent();
                    });
  p.io.run();
  EXPECT_EQ(static_cast<int>(kClose.size()), unsent_in_handler);  // held while it ran
  EXPECT_EQ(0, p.Unsent());
  EXPECT_EQ(kClose, p.Arrived());
}

TEST(LeanPlain, ShutdownFromTheHandlerSendsTheCloseFrameAndFin) {
  Pair p;
  int unsent_in_handler = -1;
  asio::async_write(p.server->get_socket(), asio::buffer(kClose),
                    [&](const asio::error_code& ec, size_t) {
                      EXPECT_FALSE(ec);
                      unsent_in_handler = p.Unsent();
                      p.server->async_shutdown(
                          [](const websocketpp::lib::error_code& sec) { EXPECT_FALSE(sec); });
                    });
  p.io.run();
  EXPECT_EQ(static_cast<int>(kClose.size()), unsent_in_handler);  // the FIN could join it
  EXPECT_EQ(0, p.Unsent());
  EXPECT_EQ(kClose, p.Arrived());
  EXPECT_EQ("EOF", p.Arrived());
}

TEST(LeanPlain, OtherFramesAreNotHeld) {
  Pair p;
  const std::string text("\x81\x02hi", 4);
  int unsent_in_handler = -1;
  asio::async_write(p.server->get_socket(), asio::buffer(text),
                    [&](const asio::error_code&, size_t) { unsent_in_handler = p.Unsent(); });
  p.io.run();
  EXPECT_EQ(0, unsent_in_handler);
  EXPECT_EQ(text, p.Arrived());
}

}  // namespace
}  // namespace smartlink::net

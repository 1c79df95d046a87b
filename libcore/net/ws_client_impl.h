#pragma once

// The websocketpp client endpoint as a template over plain and TLS sockets. Included only by
// ws_client_tls.cc (the ws:// client is lean_client.cc).

// clang-format off
#include "fast_ci_less.h"  // before any websocketpp header
// clang-format on

#include <unordered_map>
#include <websocketpp/client.hpp>
#include <websocketpp/concurrency/none.hpp>
#include <websocketpp/config/core_client.hpp>
#include <websocketpp/transport/asio/endpoint.hpp>

#include "client_endpoint.h"
#include "fast_utf8.h"  // before an endpoint is instantiated
#include "net_util.h"

namespace smartlink::net {

// The asio transport with one change: a URL whose host is an IP address is connected to
// directly. websocketpp resolves every connection's host through asio's resolver, which runs
// getaddrinfo on a thread of its own (a hand-off there and back) and, for the address-configured
// flag asio sets, opens a netlink socket to list the machine's interfaces: a seventh of slbench's
// CPU when it opens thousands of connections a second. Host names still go to the resolver.
template <typename TransportConfig>
class DirectConnectTransport : public websocketpp::transport::asio::endpoint<TransportConfig> {
  using Base = websocketpp::transport::asio::endpoint<TransportConfig>;

 public:
  using connect_handler = websocketpp::transport::connect_handler;
  using typename Base::transport_con_ptr;

  void async_connect(transport_con_ptr tcon, websocketpp::uri_ptr u, connect_handler cb) {
    asio::error_code ec;
    asio::ip::address addr = asio::ip::make_address(u->get_host(), ec);
    if (ec || !tcon->get_proxy().empty()) {
      Base::async_connect(std::move(tcon), std::move(u), std::move(cb));
      return;
    }
    tcon->set_uri(u);
    // Whichever of the connect and its timer ends first reports; the other finds `done` set.
    auto done = std::make_shared<bool>(false);
    auto timer = tcon->set_timer(TransportConfig::timeout_connect,
                                 [tcon, done, cb](const websocketpp::lib::error_code& tec) {
                                   if (*done || tec) return;  // connected, or cancelled
                                   *done = true;
                                   asio::error_code ignored;
                                   tcon->get_raw_socket().cancel(ignored);
                                   cb(websocketpp::transport::error::make_error_code(
                                       websocketpp::transport::error::timeout));
                                 });
    tcon->get_raw_socket().async_connect(asio::ip::tcp::endpoint(addr, u->get_port()),
                                         [tcon, done, timer, cb](const asio::error_code& cec) {
                                           if (*done) return;
                                           *done = true;
                                           timer->cancel();
                                           if (cec) {
                                             cb(Base::socket_con_type::translate_ec(cec));
                                             return;
                                           }
                                           cb(websocketpp::lib::error_code());
                                         });
  }
};

template <typename SocketType>
struct ClientLoopConfig : public websocketpp::config::core_client {
  typedef ClientLoopConfig type;
  typedef websocketpp::config::core_client base;
  typedef websocketpp::concurrency::none concurrency_type;
  typedef base::request_type request_type;
  typedef base::response_type response_type;
  typedef base::message_type message_type;
  typedef base::con_msg_manager_type con_msg_manager_type;
  typedef base::endpoint_msg_manager_type endpoint_msg_manager_type;
  typedef websocketpp::log::basic<concurrency_type, websocketpp::log::elevel> elog_type;
  typedef websocketpp::log::basic<concurrency_type, websocketpp::log::alevel> alog_type;
  // Client frames are masked with random keys.
  typedef websocketpp::random::random_device::int_generator<uint32_t, concurrency_type> rng_type;
  static bool const enable_multithreading = false;
  static const size_t connection_read_buffer_size = 16384;

  struct transport_config : public base::transport_config {
    typedef type::concurrency_type concurrency_type;
    typedef type::alog_type alog_type;
    typedef type::elog_type elog_type;
    typedef type::request_type request_type;
    typedef type::response_type response_type;
    typedef SocketType socket_type;
    static bool const enable_multithreading = false;
    static const long timeout_socket_post_init = 10000;
    static const long timeout_connect = 10000;
  };
  typedef DirectConnectTransport<transport_config> transport_type;
};

// `PreConnect` runs before each connection is created (TLS: choose the context websocketpp
// will ask for while creating it); it returns false with an error when it cannot.
template <typename Config>
class ClientEndpointImpl final : public ClientEndpoint {
 public:
  using Client = websocketpp::client<Config>;
  using ConnPtr = typename Client::connection_ptr;
  using MessagePtr = typename Client::message_ptr;
  using PreConnect =
      std::function<bool(Client&, const ClientOptions&, const WsUrl&, std::string* error)>;

  ClientEndpointImpl(asio::io_context& io, PreConnect pre) : pre_(std::move(pre)) {
    client_.init_asio(&io);
    client_.clear_access_channels(websocketpp::log::alevel::all);
    client_.clear_error_channels(websocketpp::log::elevel::all);
    client_.set_tcp_post_init_handler([this](websocketpp::connection_hdl hdl) {
      auto con = client_.get_con_from_hdl(hdl);
      asio::error_code ec;
      con->get_raw_socket().set_option(asio::ip::tcp::no_delay(true), ec);
    });
  }

  bool Connect(ClientId id, const ClientOptions& opt, const WsUrl& url, ClientHandlers h,
               std::string* error) override {
    std::string uri =
        std::string(url.tls ? "wss://" : "ws://") + HostPort(url.host, url.port) + url.resource;
    if (pre_ && !pre_(client_, opt, url, error)) return false;
    websocketpp::lib::error_code ec;
    ConnPtr con = client_.get_connection(uri, ec);
    if (ec) {
      *error = "cannot connect to " + uri + ": " + ec.message();
      return false;
    }
    con->set_max_message_size(opt.max_message_bytes);
    con->set_open_handshake_timeout(static_cast<long>(opt.connect_timeout_ms));
    if (!opt.token.empty()) con->append_header("Authorization", "Bearer " + opt.token);
    if (!opt.origin.empty()) con->append_header("Origin", opt.origin);
    for (const auto& [k, v] : opt.headers) con->append_header(k, v);
    if (!opt.subprotocol.empty()) con->add_subprotocol(opt.subprotocol, ec);

    auto handlers = std::make_shared<ClientHandlers>(std::move(h));
    con->set_open_handler([handlers](websocketpp::connection_hdl) {
      if (handlers->on_open) handlers->on_open();
    });
    con->set_message_handler([handlers](websocketpp::connection_hdl, MessagePtr msg) {
      if (handlers->on_message) {
        handlers->on_message(msg->get_payload(),
                             msg->get_opcode() == websocketpp::frame::opcode::binary);
      }
    });
    con->set_close_handler([this, id, handlers](websocketpp::connection_hdl hdl) {
      auto c = client_.get_con_from_hdl(hdl);
      int code = c->get_remote_close_code();
      std::string reason = c->get_remote_close_reason();
      if (code == websocketpp::close::status::no_status ||
          code == websocketpp::close::status::abnormal_close) {
        code = c->get_local_close_code();
        if (reason.empty()) reason = c->get_local_close_reason();
      }
      conns_.erase(id);
      if (handlers->on_close) handlers->on_close(code, reason);
    });
    con->set_fail_handler([this, id, handlers](websocketpp::connection_hdl hdl) {
      auto c = client_.get_con_from_hdl(hdl);
      std::string reason = c->get_ec().message();
      int http = c->get_response_code();
      if (http != 0 && http != 101) reason = "HTTP " + std::to_string(http) + " " + reason;
      conns_.erase(id);
      if (handlers->on_close) handlers->on_close(1006, reason);
    });
    conns_.emplace(id, con);
    client_.connect(con);
    return true;
  }

  void Send(ClientId id, std::string_view payload, bool binary) override {
    auto it = conns_.find(id);
    if (it == conns_.end()) return;
    websocketpp::lib::error_code ec = it->second->send(
        payload.data(), payload.size(),
        binary ? websocketpp::frame::opcode::binary : websocketpp::frame::opcode::text);
    (void)ec;  // a closing connection drops the frame; its close handler reports the end
  }

  void Close(ClientId id, int code, const std::string& reason) override {
    auto it = conns_.find(id);
    if (it == conns_.end()) return;
    websocketpp::lib::error_code ec;
    it->second->close(static_cast<websocketpp::close::status::value>(code), reason, ec);
    if (ec) {
      // Not open yet (or already failed): drop the socket.
      it->second->terminate(ec);
    }
  }

  size_t Buffered(ClientId id) const override {
    auto it = conns_.find(id);
    return it == conns_.end() ? 0 : it->second->get_buffered_amount();
  }

  size_t open() const override { return conns_.size(); }

 private:
  Client client_;
  PreConnect pre_;
  std::unordered_map<ClientId, ConnPtr> conns_;
};

}  // namespace smartlink::net

#pragma once

// The websocketpp server, as a template over plain and TLS sockets. Included only by
// ws_server_plain.cc and ws_server_tls.cc: each instantiation costs about 30 s of compile.

// clang-format off
#include "fast_ci_less.h"  // before any websocketpp header
// clang-format on

#include <sys/socket.h>

#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <csignal>
#include <memory>
#include <type_traits>
#include <unordered_map>
#include <vector>
#include <websocketpp/concurrency/none.hpp>
#include <websocketpp/config/core.hpp>
#include <websocketpp/server.hpp>
#include <websocketpp/transport/asio/endpoint.hpp>

#include "fast_utf8.h"  // before an endpoint is instantiated
#include "net_util.h"
#include "smartlink/net/ws_server.h"

namespace smartlink::net {

class LeanPlainEndpoint;

// Single-threaded configuration: one loop owns every connection, so websocketpp's internal
// locks are compiled out (concurrency::none) and no strands are used.
template <typename SocketType>
struct LoopConfig : public websocketpp::config::core {
  typedef LoopConfig type;
  typedef websocketpp::config::core base;
  typedef websocketpp::concurrency::none concurrency_type;
  typedef base::request_type request_type;
  typedef base::response_type response_type;
  typedef base::message_type message_type;
  typedef base::con_msg_manager_type con_msg_manager_type;
  typedef base::endpoint_msg_manager_type endpoint_msg_manager_type;
  typedef websocketpp::log::basic<concurrency_type, websocketpp::log::elevel> elog_type;
  typedef websocketpp::log::basic<concurrency_type, websocketpp::log::alevel> alog_type;
  typedef base::rng_type rng_type;
  static bool const enable_multithreading = false;
  // Read buffer held by every connection (websocketpp's default is 16 KiB): each socket
  // policy names its own. Both read ahead into memory they free once it is taken
  // (lean_plain.h, lean_tls.h), so a small buffer costs a copy, not a system call, per fill.
  static const size_t connection_read_buffer_size = SocketType::kReadBuffer;
  static const long timeout_open_handshake = 10000;
  static const long timeout_close_handshake = 5000;
  static const long timeout_pong = 10000;

  struct transport_config : public base::transport_config {
    typedef type::concurrency_type concurrency_type;
    typedef type::alog_type alog_type;
    typedef type::elog_type elog_type;
    typedef type::request_type request_type;
    typedef type::response_type response_type;
    typedef SocketType socket_type;
    static bool const enable_multithreading = false;
    // The TLS handshake's limit; none for plain sockets, which have no such step.
    static const long timeout_socket_post_init = SocketType::kPostInitTimeoutMs;
    // After the close handshake, how long a TLS connection waits for the peer's
    // close_notify (5 s by default). Ours was sent already; a peer that closes TCP without
    // answering (Python's ssl module, for one) would otherwise hold its session that long.
    static const long timeout_socket_shutdown = 1000;
  };
  typedef websocketpp::transport::asio::endpoint<transport_config> transport_type;
};

template <typename Config>
class ServerImpl final : public WsServer, public server::Transport {
 public:
  using Endpoint = websocketpp::server<Config>;
  using ConnPtr = typename Endpoint::connection_ptr;
  using MessagePtr = typename Endpoint::message_ptr;
  using Message = typename Config::message_type;

  ServerImpl(const ServerOptions& opt, server::LogFn log, bool tls)
      : opt_(opt), log_(std::move(log)), tls_(tls), signals_(io_), tick_(io_), flush_(io_) {
    ep_.init_asio(&io_);
    ep_.clear_access_channels(websocketpp::log::alevel::all);
    ep_.clear_error_channels(websocketpp::log::elevel::all);
    ep_.set_reuse_addr(true);
    ep_.set_listen_backlog(opt_.listen_backlog);
    ep_.set_max_message_size(opt_.max_frame_bytes);
    ep_.set_max_http_body_size(opt_.max_http_body_bytes);
    ep_.set_open_handshake_timeout(static_cast<long>(opt_.handshake_timeout_ms));
    // Both socket policies set TCP_NODELAY themselves (lean_plain.h, lean_tls.h). The plain
    // one need not when the listening socket has it: Linux copies it to every socket accept()
    // returns, a system call saved per connection.
    if constexpr (std::is_same_v<typename Config::transport_config::socket_type,
                                 LeanPlainEndpoint>) {
      ep_.set_tcp_pre_bind_handler([this](const auto& acceptor) {
        asio::error_code nec;
        acceptor->set_option(asio::ip::tcp::no_delay(true), nec);
        ep_.set_listener_no_delay(!nec);
        return websocketpp::lib::error_code();
      });
    }
    ep_.set_validate_handler([this](websocketpp::connection_hdl hdl) { return Validate(hdl); });
    ep_.set_open_handler([this](websocketpp::connection_hdl hdl) { Open(hdl); });
    ep_.set_http_handler([this](websocketpp::connection_hdl hdl) { Http(hdl); });
  }

  // TLS only: the context every connection shares.
  template <typename Handler>
  void set_tls_init_handler(Handler h) {
    ep_.set_tls_init_handler(std::move(h));
  }
  // TLS only: whether plain ws:// and http:// clients are served on the port too.
  void set_allow_plain(bool allow) { ep_.set_allow_plain(allow); }

  server::Transport& transport() override { return *this; }
  void set_hub(server::Hub* hub) override { hub_ = hub; }

  Status Listen() override {
    asio::error_code aec;
    auto addr = asio::ip::make_address(opt_.host, aec);
    if (aec) return Status::BadRequest("cannot listen on " + opt_.host + ": not an IP address");
    websocketpp::lib::error_code ec;
    ep_.listen(asio::ip::tcp::endpoint(addr, opt_.port), ec);
    if (ec) {
      return Status::Unavailable("cannot listen on " + HostPort(opt_.host, opt_.port) + ": " +
                                 ec.message());
    }
    auto local = ep_.get_local_endpoint(aec);
    if (aec) return Status::Internal("cannot read the bound address: " + aec.message());
    port_ = local.port();
    ep_.start_accept(ec);
    if (ec) return Status::Internal("cannot accept: " + ec.message());
    return Status::Ok();
  }

  uint16_t port() const override { return port_; }
  std::string url() const override {
    return std::string(tls_ ? "wss://" : "ws://") + HostPort(opt_.host, port_);
  }

  void Run(std::function<void(int)> on_signal) override {
    signals_.add(SIGINT);
    signals_.add(SIGTERM);
    signals_.add(SIGHUP);  // the terminal went away: shut down as cleanly as on SIGTERM
    WaitSignal(std::move(on_signal));
    ScheduleTick();
    io_.run();
  }

  void Post(std::function<void()> fn) override { asio::post(io_, std::move(fn)); }

  void StopListening() override {
    websocketpp::lib::error_code ec;
    if (ep_.is_listening()) ep_.stop_listening(ec);
  }

  void Stop() override {
    stopped_ = true;
    StopListening();
    tick_.cancel();
    flush_.cancel();
    signals_.cancel();
    io_.stop();
  }

  void After(int64_t delay_ms, std::function<void()> fn) override {
    if (delay_ms <= 0) {
      asio::post(io_, std::move(fn));
      return;
    }
    auto timer = std::make_shared<asio::steady_timer>(io_);
    timer->expires_after(std::chrono::milliseconds(delay_ms));
    timer->async_wait([timer, fn = std::move(fn)](const asio::error_code& ec) {
      if (!ec) fn();
    });
  }

  // --- server::Transport ---
  // websocketpp writes everything queued for a connection in one system call when its
  // (posted) write runs; an event for a connection written to within the last
  // opt_.coalesce_us waits here until the flush timer, so under load one write carries
  // several. A reply, a close or the timer releases what waits, in order.
  void Send(server::ConnId id, const server::FramePtr& frame, bool reply) override {
    auto it = conns_.find(id);
    if (it == conns_.end()) return;
    Out& o = it->second;
    if (!frame->prepared) frame->prepared = Prepare(*frame);
    auto msg = std::static_pointer_cast<Message>(frame->prepared);
    if (opt_.coalesce_us > 0) {
      int64_t now = NowUs();
      if (!reply && (!o.held.empty() || now - o.last_write_us < opt_.coalesce_us)) {
        if (o.held.empty()) Due(id);
        o.held_bytes += frame->payload.size();
        o.held.push_back(std::move(msg));
        return;
      }
      Release(o);
      o.last_write_us = now;
    }
    o.con->send(msg);
  }

  void Close(server::ConnId id, int code, const std::string& reason) override {
    auto it = conns_.find(id);
    if (it == conns_.end()) return;
    Release(it->second);
    const ConnPtr& con = it->second.con;
    websocketpp::lib::error_code ec;
    if (code == 4008) {
      // A slow reader: the close frame waits behind everything queued to it, in our queue
      // and in the kernel's (several MB on a fast link). Closed the usual way, the kernel
      // would go on trickling that to a client with a small window for minutes after the
      // close; reset instead when the socket is closed (the close frame still arrives if
      // the client catches up before then). It reconnects after 1006 as after 4008.
      // Set behind Asio's back: a linger set through Asio is undone when it destroys the
      // socket ("so that the destructor does not block").
      ::linger abort{1, 0};
      ::setsockopt(con->get_raw_socket().native_handle(), SOL_SOCKET, SO_LINGER, &abort,
                   sizeof abort);
    }
    con->close(static_cast<websocketpp::close::status::value>(code), reason.substr(0, 120), ec);
  }

  size_t BufferedBytes(server::ConnId id) const override {
    auto it = conns_.find(id);
    return it == conns_.end() ? 0 : it->second.con->get_buffered_amount() + it->second.held_bytes;
  }

  std::string Remote(server::ConnId id) const override {
    auto it = conns_.find(id);
    return it == conns_.end() ? "?" : RemoteOf(it->second.con);
  }

  void Ping(server::ConnId id) override {
    auto it = conns_.find(id);
    if (it == conns_.end()) return;
    websocketpp::lib::error_code ec;
    it->second.con->ping("", ec);
  }

 private:
  // An open connection and the events waiting to be coalesced into its next write.
  struct Out {
    explicit Out(ConnPtr c) : con(std::move(c)) {}
    ConnPtr con;
    std::vector<std::shared_ptr<Message>> held;
    size_t held_bytes = 0;
    int64_t last_write_us = 0;
  };

  static int64_t NowUs() {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }

  // Hands what waits to websocketpp, which writes it with the next frame in one call.
  static void Release(Out& o) {
    if (o.held.empty()) return;
    for (auto& m : o.held) o.con->send(m);
    o.held.clear();
    o.held_bytes = 0;
  }

  // `id` has events waiting: the flush timer (one for all connections) releases them at
  // most coalesce_us from now.
  void Due(server::ConnId id) {
    due_.push_back(id);
    if (flush_armed_) return;
    flush_armed_ = true;
    flush_.expires_after(std::chrono::microseconds(opt_.coalesce_us));
    flush_.async_wait([this](const asio::error_code& ec) {
      flush_armed_ = false;
      if (ec || stopped_) return;
      int64_t now = NowUs();
      std::vector<server::ConnId> due;
      due.swap(due_);
      for (server::ConnId d : due) {
        auto it = conns_.find(d);
        if (it == conns_.end() || it->second.held.empty()) continue;
        it->second.last_write_us = now;
        Release(it->second);
      }
      due.clear();
      if (due_.empty()) due_.swap(due);  // keep the capacity
    });
  }

  // A server frame is never masked, so one encoded frame serves every connection.
  std::shared_ptr<void> Prepare(const server::Frame& frame) {
    auto op = frame.binary ? websocketpp::frame::opcode::binary : websocketpp::frame::opcode::text;
    auto msg = std::make_shared<Message>(nullptr, op, 0);
    msg->set_header(FrameHeader(frame.binary, frame.payload.size()));
    msg->set_payload(frame.payload);
    msg->set_prepared(true);
    return msg;
  }

  void WaitSignal(std::function<void(int)> on_signal) {
    signals_.async_wait([this, on_signal](const asio::error_code& ec, int sig) {
      if (ec) return;
      on_signal(sig);
      if (!stopped_) WaitSignal(on_signal);
    });
  }

  void ScheduleTick() {
    tick_.expires_after(std::chrono::milliseconds(opt_.tick_ms));
    tick_.async_wait([this](const asio::error_code& ec) {
      if (ec || stopped_) return;
      if (hub_) hub_->OnTick();
      ScheduleTick();
    });
  }

  bool Validate(websocketpp::connection_hdl hdl) {
    ConnPtr con = ep_.get_con_from_hdl(hdl);
    std::string path = PathOf(con->get_resource());
    if (path != "/ws" && path != "/") {
      con->set_status(websocketpp::http::status_code::not_found);
      con->set_body("WebSocket endpoint is /ws\n");
      return false;
    }
    if (con->get_request_header("Sec-WebSocket-Version") != "13") {
      // Only RFC 6455; websocketpp would also speak the drafts (hybi-00/07/08).
      con->set_status(websocketpp::http::status_code::upgrade_required);
      con->replace_header("Sec-WebSocket-Version", "13");
      con->set_body("WebSocket version 13 only\n");
      return false;
    }
    // A refused origin and a full server are closed with 1008 once open (Open), as
    // PROTOCOL.md says, rather than refused here with an HTTP status.
    for (const auto& p : con->get_requested_subprotocols()) {
      if (p == "smartlink.v1") {
        websocketpp::lib::error_code ec;
        con->select_subprotocol(p, ec);
        break;
      }
    }
    return true;
  }

  void Open(websocketpp::connection_hdl hdl) {
    ConnPtr con = ep_.get_con_from_hdl(hdl);
    if (hub_) {
      const char* refused = nullptr;
      if (!hub_->AcceptOrigin(con->get_request_header("Origin"))) {
        refused = "origin not allowed";
      } else if (!hub_->AcceptConnection()) {
        refused = "server full";
      }
      if (refused) {
        // Never registered: no handler is set, so what the client sends is dropped.
        websocketpp::lib::error_code ec;
        con->close(websocketpp::close::status::policy_violation, refused, ec);
        return;
      }
    }
    server::ConnId id = ++next_id_;
    conns_.emplace(id, Out(con));
    con->set_message_handler([this, id](websocketpp::connection_hdl, MessagePtr msg) {
      if (!hub_) return;
      const std::string& p = msg->get_payload();
      if (msg->get_opcode() == websocketpp::frame::opcode::text) {
        hub_->OnText(id, p);
      } else {
        hub_->OnBinary(id, p);
      }
    });
    con->set_pong_handler([this, id](websocketpp::connection_hdl, std::string) {
      if (hub_) hub_->OnPong(id);
      return;
    });
    auto closed = [this, id](websocketpp::connection_hdl) {
      if (conns_.erase(id) && hub_) hub_->OnClose(id);
    };
    con->set_close_handler(closed);
    con->set_fail_handler(closed);

    server::HandshakeInfo info;
    auto query = ParseQuery(QueryOf(con->get_resource()));
    info.token = query["token"];
    info.user = query["user"];
    std::string authz = con->get_request_header("Authorization");
    if (info.token.empty() && authz.size() > 7 && EqualsIgnoreCase(authz.substr(0, 7), "Bearer ")) {
      info.token = Trim(authz.substr(7));
    }
    info.origin = con->get_request_header("Origin");
    info.tls = con->is_secure();
    // websocketpp keeps the handshake's request and response, headers and all, for the
    // connection's life and never reads them again once it is open: about 1.5 KB per
    // connection. Both are members returned by const reference, so they can be emptied.
    const_cast<typename Config::request_type&>(con->get_request()) = {};
    const_cast<typename Config::response_type&>(con->get_response()) = {};
    if (hub_) hub_->OnOpen(id, std::move(info));
  }

  void Http(websocketpp::connection_hdl hdl) {
    ConnPtr con = ep_.get_con_from_hdl(hdl);
    server::HttpRequest req;
    req.method = con->get_request().get_method();
    req.path = PathOf(con->get_resource());
    req.query = ParseQuery(QueryOf(con->get_resource()));
    for (const auto& [k, v] : con->get_request().get_headers()) req.headers[ToLower(k)] = v;
    req.body = con->get_request_body();
    req.remote = RemoteOf(con);
    // The connection ends with the response (websocketpp serves one request per
    // connection): say so, or a keep-alive client sends its next request into the close.
    con->replace_header("Connection", "close");
    if (!hub_) {
      con->set_status(websocketpp::http::status_code::service_unavailable);
      return;
    }
    if (!con->get_request_header("Transfer-Encoding").empty()) {
      // websocketpp reads only bodies with a Content-Length; a chunked one would look empty.
      con->set_status(websocketpp::http::status_code::length_required);
      con->replace_header("Content-Type", "application/json");
      con->set_body(
          R"({"error":"bad_request","message":"send the body with a Content-Length, not chunked"})");
      return;
    }
    websocketpp::lib::error_code ec = con->defer_http_response();
    if (ec) return;
    bool head = req.method == "HEAD";
    hub_->OnHttp(std::move(req), [con, head](server::HttpResponse r) {
      con->set_status(static_cast<websocketpp::http::status_code::value>(r.status));
      con->replace_header("Content-Type", r.content_type);
      for (const auto& [k, v] : r.headers) con->replace_header(k, v);
      size_t length = r.body.size();
      con->set_body(head ? std::string() : std::move(r.body));
      // A HEAD answer has the headers of the GET, its length included, and no body.
      if (head) con->replace_header("Content-Length", std::to_string(length));
      websocketpp::lib::error_code send_ec;
      con->send_http_response(send_ec);
    });
  }

  static std::string RemoteOf(const ConnPtr& con) {
    asio::error_code ec;
    auto ep = con->get_raw_socket().remote_endpoint(ec);
    if (ec) return "?";
    return HostPort(ep.address().to_string(), ep.port());
  }

  ServerOptions opt_;
  server::LogFn log_;
  bool tls_;
  asio::io_context io_;
  Endpoint ep_;
  asio::signal_set signals_;
  asio::steady_timer tick_;
  asio::steady_timer flush_;  // releases coalesced events
  bool flush_armed_ = false;
  std::vector<server::ConnId> due_;  // connections with events waiting
  server::Hub* hub_ = nullptr;
  uint16_t port_ = 0;
  bool stopped_ = false;
  server::ConnId next_id_ = 0;
  // Open connections. Holding the connection_ptr (rather than a weak hdl) spares a lock on
  // every send; the entry goes when websocketpp reports the close or failure.
  std::unordered_map<server::ConnId, Out> conns_;
};

}  // namespace smartlink::net

#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "smartlink/server/hub.h"
#include "smartlink/server/transport.h"
#include "smartlink/util/status.h"

// The WebSocket + HTTP listener, on websocketpp and standalone Asio. Only net/ sees those
// libraries; everything else goes through this interface and server::Transport.
namespace smartlink::net {

struct ServerOptions {
  std::string host = "0.0.0.0";
  uint16_t port = 8080;
  std::string tls_cert;  // PEM certificate chain; with tls_key, the listener serves wss://
  std::string tls_key;
  // With TLS: refuse plain ws:// and http:// clients, which the port otherwise serves too
  // (told apart from TLS by their first byte).
  bool tls_only = false;
  size_t max_frame_bytes = 1 << 20;
  size_t max_http_body_bytes = 1 << 20;
  int64_t handshake_timeout_ms = 10000;
  int listen_backlog = 1024;
  int tick_ms = 100;
  // Events (not replies) for a connection written to less than this long ago wait for a
  // flush timer (at most this long), so a busy connection gets several in one write: fewer
  // system calls per delivery under load, for at most this much more delivery latency.
  // 0: write at once.
  int64_t coalesce_us = 0;
};

// WsServer owns the event loop (one Asio io_context, run by Run() on the calling thread).
// Connections, the Hub and every Transport call live on that thread; Post() is the only
// member other threads may call.
class WsServer {
 public:
  virtual ~WsServer() = default;

  // Checks the options (loads the TLS certificate and key) and prepares the endpoint.
  static Result<std::unique_ptr<WsServer>> Create(const ServerOptions& options, server::LogFn log);

  // The Transport the Hub sends through.
  virtual server::Transport& transport() = 0;
  // The Hub that receives connection events. Set before Listen().
  virtual void set_hub(server::Hub* hub) = 0;

  // Binds and starts accepting. A port of 0 binds an ephemeral port; port() then tells it.
  virtual Status Listen() = 0;
  virtual uint16_t port() const = 0;
  // "ws://host:port" or "wss://host:port".
  virtual std::string url() const = 0;

  // Runs the loop until Stop(). `on_signal` is called on the loop for SIGINT / SIGTERM.
  virtual void Run(std::function<void(int signal)> on_signal) = 0;
  // Thread-safe: runs `fn` on the loop.
  virtual void Post(std::function<void()> fn) = 0;
  // Loop thread: stop accepting new connections.
  virtual void StopListening() = 0;
  // Loop thread: stop the loop; Run() returns.
  virtual void Stop() = 0;
  // Loop thread: runs `fn` once after `delay_ms`.
  virtual void After(int64_t delay_ms, std::function<void()> fn) = 0;
};

}  // namespace smartlink::net

#pragma once

// One WebSocket connection at a time, driven by libcore's ClientLoop on a network thread,
// with every callback delivered on the main EventLoop. Open() again after a close to
// reconnect; callbacks of an earlier connection are dropped. Use from the main thread only.

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "event_loop.h"
#include "smartlink/net/ws_client.h"

namespace slchat {

class Connection {
 public:
  struct Handlers {
    std::function<void()> on_open;
    std::function<void(std::string payload, bool binary)> on_message;
    // `code` 1006 when the connection failed or dropped; `reason` says why.
    std::function<void(int code, std::string reason)> on_close;
  };

  explicit Connection(EventLoop* loop);
  ~Connection();  // closes and joins the network thread

  // Starts connecting (closing any current connection). Failures arrive as on_close.
  void Open(smartlink::net::ClientOptions options, Handlers handlers);
  void Send(std::string payload, bool binary = false);
  void Close(int code = 1000, const std::string& reason = "");
  // Closes without reporting it: the connection is dead to us from now on.
  void Abandon();
  bool open() const { return open_; }

 private:
  EventLoop* loop_;
  std::unique_ptr<smartlink::net::ClientLoop> net_;
  std::thread thread_;
  uint64_t generation_ = 0;          // main thread
  smartlink::net::ClientId id_ = 0;  // network thread
  std::atomic<int> live_{0};         // connections not yet closed
  bool open_ = false;                // main thread
  Handlers handlers_;                // main thread
};

}  // namespace slchat

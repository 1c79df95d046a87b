#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "smartlink/util/status.h"

// WebSocket clients on websocketpp: ClientLoop runs many connections on one event loop
// (slbench, slchat); BlockingClient wraps one connection for tests and one-shot commands.
namespace smartlink::net {

// Checks a server URL as the clients below will read it (scheme, host, port), so that a
// program can refuse a bad one up front; false with *error saying what is wrong.
bool CheckServerUrl(std::string_view url, std::string* error);

struct ClientOptions {
  std::string url;    // ws://host:port[/ws], wss://...
  std::string token;  // sent as Authorization: Bearer
  std::string origin;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string subprotocol = "smartlink.v1";
  std::string ca_file;    // verify wss:// against this CA instead of the system's
  bool insecure = false;  // do not verify the server's certificate
  int64_t connect_timeout_ms = 10000;
  size_t max_message_bytes = 64 << 20;
};

using ClientId = uint64_t;

struct ClientHandlers {
  std::function<void()> on_open;
  std::function<void(std::string_view payload, bool binary)> on_message;
  // After open or failure. `code` is the close code (1006 when the connection failed or
  // dropped); `reason` says why, including the HTTP status of a refused handshake.
  std::function<void(int code, const std::string& reason)> on_close;
};

// ClientLoop owns one Asio loop and every connection on it. All calls except Post() and
// Stop() must run on the loop thread (inside a handler or a posted function).
class ClientLoop {
 public:
  virtual ~ClientLoop() = default;
  static std::unique_ptr<ClientLoop> Create();

  // Starts connecting. Returns 0 with `error` set when the options are unusable.
  virtual ClientId Connect(const ClientOptions& options, ClientHandlers handlers,
                           std::string* error) = 0;
  virtual void Send(ClientId id, std::string_view payload, bool binary = false) = 0;
  virtual void Close(ClientId id, int code = 1000, const std::string& reason = "") = 0;
  // Bytes queued and not yet written.
  virtual size_t Buffered(ClientId id) const = 0;
  virtual size_t open_connections() const = 0;

  virtual void Post(std::function<void()> fn) = 0;  // thread-safe
  virtual void After(int64_t delay_ms, std::function<void()> fn) = 0;
  // Runs until Stop() on the calling thread.
  virtual void Run() = 0;
  virtual void Stop() = 0;  // thread-safe
};

// One connection with a background loop thread and a queue of received frames.
// Thread-safe.
class BlockingClient {
 public:
  using Json = nlohmann::json;

  ~BlockingClient();
  // Connects and waits for the handshake. The error names the cause (refused, HTTP status).
  static Result<std::unique_ptr<BlockingClient>> Connect(const ClientOptions& options);

  void SendText(std::string text);
  void SendBinary(std::string data);
  void Send(const Json& j) { SendText(j.dump()); }

  // The next received frame (text or binary), or nullopt after `timeout_ms` or at close.
  struct Frame {
    std::string payload;
    bool binary = false;
  };
  std::optional<Frame> RecvFrame(int64_t timeout_ms);
  // The next text frame as JSON (binary frames are skipped into binary_frames()).
  std::optional<Json> Recv(int64_t timeout_ms);

  // Sends `req` with a fresh id (unless it has one) and returns the reply carrying that id
  // as `re`; frames received meanwhile are kept for WaitFor(). Null Json on timeout.
  Json Request(Json req, int64_t timeout_ms = 5000);
  // The first received event (kept or new) for which `pred` holds; null Json on timeout.
  Json WaitFor(const std::function<bool(const Json&)>& pred, int64_t timeout_ms = 5000);
  Json WaitForType(const std::string& type, int64_t timeout_ms = 5000);
  // Everything received until nothing arrives for `quiet_ms`.
  std::vector<Json> Drain(int64_t quiet_ms = 200);

  void Close(int code = 1000, const std::string& reason = "");
  // Waits until the connection is closed; returns the close code (0 on timeout).
  int WaitClosed(int64_t timeout_ms);
  bool closed() const;
  int close_code() const;
  std::string close_reason() const;

 private:
  struct State;
  BlockingClient();
  std::shared_ptr<State> state_;
  std::deque<Json> kept_;  // events seen while waiting for something else
  uint64_t next_id_ = 0;
};

}  // namespace smartlink::net

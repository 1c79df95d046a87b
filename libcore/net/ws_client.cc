#include "smartlink/net/ws_client.h"

// clang-format off
#include "fast_ci_less.h"  // before any websocketpp header
// clang-format on

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <websocketpp/common/network.hpp>

#include "client_endpoint.h"
#include "smartlink/util/crypto.h"

namespace smartlink::net {

namespace {

class ClientLoopImpl final : public ClientLoop {
 public:
  ClientLoopImpl() : work_(asio::make_work_guard(io_)) {
    // websocketpp's _htonll detects the byte order into a function-local static on its
    // first call, unsynchronised: make that first call here, before any loop thread runs,
    // so that several client loops (slbench --threads) never race on it.
    websocketpp::lib::net::_htonll(0);
  }
  ~ClientLoopImpl() override {
    // Endpoints hold sockets bound to io_; drop them before the loop.
    plain_.reset();
    tls_.reset();
  }

  ClientId Connect(const ClientOptions& options, ClientHandlers handlers,
                   std::string* error) override {
    WsUrl url;
    if (!ParseWsUrl(options.url, &url, error)) return 0;
    ClientEndpoint* ep = nullptr;
    if (url.tls) {
      if (!tls_) tls_ = MakeTlsClientEndpoint(io_);
      ep = tls_.get();
    } else {
      if (!plain_) plain_ = MakePlainClientEndpoint(io_);
      ep = plain_.get();
    }
    ClientId id = ++next_id_;
    auto on_close = std::move(handlers.on_close);
    handlers.on_close = [this, id, on_close](int code, const std::string& reason) {
      owner_.erase(id);
      if (on_close) on_close(code, reason);
    };
    owner_[id] = ep;
    if (!ep->Connect(id, options, url, std::move(handlers), error)) {
      owner_.erase(id);
      return 0;
    }
    return id;
  }

  void Send(ClientId id, std::string_view payload, bool binary) override {
    if (ClientEndpoint* ep = Owner(id)) ep->Send(id, payload, binary);
  }
  void Close(ClientId id, int code, const std::string& reason) override {
    if (ClientEndpoint* ep = Owner(id)) ep->Close(id, code, reason);
  }
  size_t Buffered(ClientId id) const override {
    auto it = owner_.find(id);
    return it == owner_.end() ? 0 : it->second->Buffered(id);
  }
  size_t open_connections() const override { return owner_.size(); }

  void Post(std::function<void()> fn) override { asio::post(io_, std::move(fn)); }
  void After(int64_t delay_ms, std::function<void()> fn) override {
    // No timer for "at once" (slbench's churn loops ask for one per cycle): a timer due
    // now is the earliest, and arming the loop's timerfd for it was 9 % of slbench's CPU
    // in the setup workload.
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
  // No restart(): a Stop() that comes before the loop thread gets here must still end Run().
  void Run() override { io_.run(); }
  void Stop() override { io_.stop(); }

 private:
  ClientEndpoint* Owner(ClientId id) {
    auto it = owner_.find(id);
    return it == owner_.end() ? nullptr : it->second;
  }

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::unique_ptr<ClientEndpoint> plain_;
  std::unique_ptr<ClientEndpoint> tls_;
  std::unordered_map<ClientId, ClientEndpoint*> owner_;
  ClientId next_id_ = 0;
};

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::unique_ptr<ClientLoop> ClientLoop::Create() { return std::make_unique<ClientLoopImpl>(); }

// ---------------------------------------------------------------------------------------------

struct BlockingClient::State {
  std::unique_ptr<ClientLoop> loop;
  std::thread thread;
  ClientId id = 0;
  std::mutex mu;
  std::condition_variable cv;
  std::deque<Frame> frames;  // guarded by mu
  bool open = false;         // guarded by mu
  bool closed = false;       // guarded by mu
  int code = 0;              // guarded by mu
  std::string reason;        // guarded by mu
};

BlockingClient::BlockingClient() : state_(std::make_shared<State>()) {}

BlockingClient::~BlockingClient() {
  if (!closed()) {
    Close(1000, "");
    WaitClosed(500);
  }
  state_->loop->Stop();
  if (state_->thread.joinable()) state_->thread.join();
  // Handlers posted to the loop hold the state (Close, SendText, ...); one that the stopped
  // loop never ran would keep the state, and with it the loop and its connection, alive for
  // good. Destroying the loop now destroys them (its io_context drops its pending handlers).
  state_->loop.reset();
}

Result<std::unique_ptr<BlockingClient>> BlockingClient::Connect(const ClientOptions& options) {
  std::unique_ptr<BlockingClient> client(new BlockingClient());
  auto st = client->state_;
  st->loop = ClientLoop::Create();
  ClientHandlers h;
  std::weak_ptr<State> weak = st;
  h.on_open = [weak] {
    if (auto s = weak.lock()) {
      std::lock_guard<std::mutex> lock(s->mu);
      s->open = true;
      s->cv.notify_all();
    }
  };
  h.on_message = [weak](std::string_view payload, bool binary) {
    if (auto s = weak.lock()) {
      std::lock_guard<std::mutex> lock(s->mu);
      s->frames.push_back(Frame{std::string(payload), binary});
      s->cv.notify_all();
    }
  };
  h.on_close = [weak](int code, const std::string& reason) {
    if (auto s = weak.lock()) {
      std::lock_guard<std::mutex> lock(s->mu);
      s->closed = true;
      s->code = code;
      s->reason = reason;
      s->cv.notify_all();
    }
  };
  std::string error;
  // The loop is not running yet, so Connect may be called from this thread.
  st->id = st->loop->Connect(options, std::move(h), &error);
  if (st->id == 0) return Status::BadRequest(error);
  st->thread = std::thread([st] { st->loop->Run(); });
  std::unique_lock<std::mutex> lock(st->mu);
  bool done = st->cv.wait_for(lock, std::chrono::milliseconds(options.connect_timeout_ms + 1000),
                              [&] { return st->open || st->closed; });
  if (!done) return Status::Unavailable("connect to " + options.url + " timed out");
  if (!st->open) {
    return Status::Unavailable("cannot connect to " + options.url + ": " + st->reason);
  }
  return client;
}

void BlockingClient::SendText(std::string text) {
  auto st = state_;
  st->loop->Post([st, text = std::move(text)] { st->loop->Send(st->id, text, false); });
}

void BlockingClient::SendBinary(std::string data) {
  auto st = state_;
  st->loop->Post([st, data = std::move(data)] { st->loop->Send(st->id, data, true); });
}

std::optional<BlockingClient::Frame> BlockingClient::RecvFrame(int64_t timeout_ms) {
  std::unique_lock<std::mutex> lock(state_->mu);
  state_->cv.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                      [&] { return !state_->frames.empty() || state_->closed; });
  if (state_->frames.empty()) return std::nullopt;
  Frame f = std::move(state_->frames.front());
  state_->frames.pop_front();
  return f;
}

std::optional<BlockingClient::Json> BlockingClient::Recv(int64_t timeout_ms) {
  auto f = RecvFrame(timeout_ms);
  if (!f) return std::nullopt;
  if (!f->binary) {
    Json j = Json::parse(f->payload, nullptr, false);
    if (j.is_discarded()) return Json{{"type", "_invalid"}, {"raw", f->payload}};
    return j;
  }
  // A binary frame: 2-byte header length, JSON header, raw bytes.
  Json j = {{"_binary", true}};
  if (f->payload.size() >= 2) {
    size_t h = static_cast<size_t>(static_cast<unsigned char>(f->payload[0])) << 8 |
               static_cast<unsigned char>(f->payload[1]);
    if (f->payload.size() >= 2 + h) {
      Json header = Json::parse(f->payload.substr(2, h), nullptr, false);
      if (header.is_object()) {
        for (auto& [k, v] : header.items()) j[k] = v;
      }
      j["_data"] = crypto::Base64Encode(std::string_view(f->payload).substr(2 + h));
    }
  }
  return j;
}

BlockingClient::Json BlockingClient::Request(Json req, int64_t timeout_ms) {
  if (!req.contains("id")) req["id"] = "r" + std::to_string(++next_id_);
  Json id = req["id"];
  Send(req);
  return WaitFor([&](const Json& j) { return j.contains("re") && j["re"] == id; }, timeout_ms);
}

BlockingClient::Json BlockingClient::WaitFor(const std::function<bool(const Json&)>& pred,
                                             int64_t timeout_ms) {
  for (auto it = kept_.begin(); it != kept_.end(); ++it) {
    if (pred(*it)) {
      Json j = std::move(*it);
      kept_.erase(it);
      return j;
    }
  }
  int64_t deadline = NowMs() + timeout_ms;
  for (;;) {
    int64_t left = deadline - NowMs();
    if (left <= 0) return Json();
    auto j = Recv(left);
    if (!j) {
      if (closed()) return Json();
      continue;
    }
    if (pred(*j)) return *j;
    kept_.push_back(std::move(*j));
  }
}

BlockingClient::Json BlockingClient::WaitForType(const std::string& type, int64_t timeout_ms) {
  return WaitFor([&](const Json& j) { return j.value("type", "") == type; }, timeout_ms);
}

std::vector<BlockingClient::Json> BlockingClient::Drain(int64_t quiet_ms) {
  std::vector<Json> out(kept_.begin(), kept_.end());
  kept_.clear();
  while (auto j = Recv(quiet_ms)) out.push_back(std::move(*j));
  return out;
}

void BlockingClient::Close(int code, const std::string& reason) {
  auto st = state_;
  st->loop->Post([st, code, reason] { st->loop->Close(st->id, code, reason); });
}

int BlockingClient::WaitClosed(int64_t timeout_ms) {
  std::unique_lock<std::mutex> lock(state_->mu);
  state_->cv.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] { return state_->closed; });
  return state_->closed ? state_->code : 0;
}

bool BlockingClient::closed() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->closed;
}

int BlockingClient::close_code() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->code;
}

std::string BlockingClient::close_reason() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->reason;
}

bool CheckServerUrl(std::string_view url, std::string* error) {
  WsUrl parsed;
  return ParseWsUrl(url, &parsed, error);
}

}  // namespace smartlink::net

#include "connection.h"

#include <chrono>

namespace slchat {

Connection::Connection(EventLoop* loop) : loop_(loop), net_(smartlink::net::ClientLoop::Create()) {
  thread_ = std::thread([this] { net_->Run(); });
}

Connection::~Connection() {
  // Say goodbye with a close frame when the server is there to hear it.
  net_->Post([this] {
    if (id_) net_->Close(id_, 1000, "bye");
  });
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(500);
  while (live_ > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  net_->Stop();
  if (thread_.joinable()) thread_.join();
}

void Connection::Open(smartlink::net::ClientOptions options, Handlers handlers) {
  uint64_t gen = ++generation_;
  open_ = false;
  handlers_ = std::move(handlers);
  EventLoop* loop = loop_;
  // Callbacks hop to the main thread and are dropped there if a newer Open() happened.
  auto on_main = [this, loop, gen](std::function<void(Handlers&)> fn) {
    loop->Post([this, gen, fn = std::move(fn)] {
      if (gen == generation_) fn(handlers_);
    });
  };
  net_->Post([this, options = std::move(options), on_main] {
    if (id_) net_->Close(id_, 1000, "reconnecting");
    smartlink::net::ClientHandlers h;
    h.on_open = [on_main] {
      on_main([](Handlers& hs) {
        if (hs.on_open) hs.on_open();
      });
    };
    h.on_message = [on_main](std::string_view payload, bool binary) {
      on_main([p = std::string(payload), binary](Handlers& hs) mutable {
        if (hs.on_message) hs.on_message(std::move(p), binary);
      });
    };
    auto id_slot = std::make_shared<smartlink::net::ClientId>(0);
    h.on_close = [this, on_main, id_slot](int code, const std::string& reason) {
      if (id_ == *id_slot) id_ = 0;
      --live_;
      on_main([code, reason](Handlers& hs) {
        if (hs.on_close) hs.on_close(code, reason);
      });
    };
    std::string error;
    ++live_;
    id_ = net_->Connect(options, std::move(h), &error);
    *id_slot = id_;
    if (id_ == 0) {
      --live_;
      on_main([error](Handlers& hs) {
        if (hs.on_close) hs.on_close(1006, error);
      });
    }
  });
  handlers_.on_open = [this, user_open = std::move(handlers_.on_open)] {
    open_ = true;
    if (user_open) user_open();
  };
  auto user_close = std::move(handlers_.on_close);
  handlers_.on_close = [this, user_close](int code, std::string reason) {
    open_ = false;
    ++generation_;  // nothing more from this connection
    if (user_close) user_close(code, std::move(reason));
  };
}

void Connection::Send(std::string payload, bool binary) {
  if (!open_) return;
  net_->Post([this, p = std::move(payload), binary] {
    if (id_) net_->Send(id_, p, binary);
  });
}

void Connection::Close(int code, const std::string& reason) {
  net_->Post([this, code, reason] {
    if (id_) net_->Close(id_, code, reason);
  });
}

void Connection::Abandon() {
  ++generation_;
  open_ = false;
  Close(1000, "no answer");
}

}  // namespace slchat

#include "session.h"

#include <algorithm>
#include <random>

namespace slchat {

namespace {

constexpr int64_t kKeepaliveMs = 25000;
constexpr int64_t kSilentDropMs = 60000;  // no frame at all for this long: reconnect
constexpr int64_t kWelcomeMs = 20000;     // from the upgrade to welcome
constexpr double kRatePerSec = 40;
constexpr double kBurst = 100;
constexpr int kMaxRateRetries = 20;

std::string Dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

double Uniform() {
  static std::mt19937_64 rng(std::random_device{}());
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

Json ErrorReply(const std::string& id, const std::string& code, const std::string& message) {
  return {{"type", "error"}, {"re", id}, {"code", code}, {"message", message}};
}

}  // namespace

bool ParseBinaryFrame(const std::string& frame, Json* header, std::string* data) {
  if (frame.size() < 2) return false;
  size_t h = static_cast<size_t>(static_cast<unsigned char>(frame[0])) << 8 |
             static_cast<unsigned char>(frame[1]);
  if (frame.size() < 2 + h) return false;
  *header = Json::parse(frame.substr(2, h), nullptr, false);
  if (!header->is_object()) return false;
  *data = frame.substr(2 + h);
  return true;
}

std::string MakeBinaryFrame(const Json& header, std::string_view data) {
  std::string h = Dump(header);
  std::string out;
  out.reserve(2 + h.size() + data.size());
  out.push_back(static_cast<char>((h.size() >> 8) & 0xff));
  out.push_back(static_cast<char>(h.size() & 0xff));
  out += h;
  out.append(data);
  return out;
}

Session::Session(EventLoop* loop, SessionOptions options, Handlers handlers)
    : loop_(loop),
      options_(std::move(options)),
      handlers_(std::move(handlers)),
      conn_(loop),
      backoff_(500, 30000, Uniform) {}

Session::~Session() {
  loop_->Cancel(flush_timer_);
  loop_->Cancel(keepalive_timer_);
  loop_->Cancel(reconnect_timer_);
}

void Session::Start() {
  if (started_) return;
  started_ = true;
  Connect();
}

void Session::Stop() {
  if (stopped_) return;
  stopped_ = true;
  ready_ = false;
  loop_->Cancel(keepalive_timer_);
  loop_->Cancel(reconnect_timer_);
  conn_.Close(1000, "bye");
}

void Session::Connect() {
  reconnect_timer_ = 0;
  if (stopped_) return;
  smartlink::net::ClientOptions o;
  o.url = options_.url;
  o.ca_file = options_.ca_file;
  o.insecure = options_.insecure;
  o.connect_timeout_ms = 10000;
  Connection::Handlers h;
  h.on_open = [this] { OnOpen(); };
  h.on_message = [this](std::string payload, bool binary) {
    OnMessage(std::move(payload), binary);
  };
  h.on_close = [this](int code, std::string reason) { OnClose(code, reason); };
  conn_.Open(std::move(o), std::move(h));
}

void Session::OnOpen() {
  last_rx_ms_ = EventLoop::NowMs();
  // A server that takes the connection and never says welcome is treated as a dropped
  // connection (the first time: a failure to connect) rather than waited on for ever.
  loop_->Cancel(keepalive_timer_);
  keepalive_timer_ = loop_->After(kWelcomeMs, [this] {
    keepalive_timer_ = 0;
    if (ready_ || stopped_) return;
    conn_.Abandon();
    OnClose(1006, "no welcome from the server in " + std::to_string(kWelcomeMs / 1000) + " s");
  });
  auth_id_ = "auth" + std::to_string(++next_id_);
  Json auth = {{"type", "auth"}, {"id", auth_id_}};
  if (!options_.token.empty()) {
    auth["token"] = options_.token;
  } else {
    auth["user"] = options_.user;
  }
  conn_.Send(Dump(auth));
}

void Session::OnMessage(std::string payload, bool binary) {
  // Frames are untrusted: a field of an unexpected type makes nlohmann/json throw somewhere
  // down the line. Such a frame is dropped, and slchat goes on.
  try {
    Receive(std::move(payload), binary);
  } catch (const Json::exception& e) {
    if (handlers_.on_bad_frame) handlers_.on_bad_frame(e.what());
  }
}

void Session::Receive(std::string payload, bool binary) {
  last_rx_ms_ = EventLoop::NowMs();
  if (binary) {
    Json header;
    std::string data;
    if (ParseBinaryFrame(payload, &header, &data) && handlers_.on_binary) {
      handlers_.on_binary(header, std::move(data));
    }
    return;
  }
  Json frame = Json::parse(payload, nullptr, false);
  if (!frame.is_object()) return;
  std::string type = frame.value("type", "");
  if (!ready_) {
    bool ours = !frame.contains("re") || frame["re"] == auth_id_;
    if (type == "welcome" && ours) {
      ready_ = true;
      user_ = frame.value("user", options_.user);
      limits_ = frame.value("limits", Json::object());
      backoff_.Reset();
      bool again = ever_ready_;
      ever_ready_ = true;
      if (handlers_.on_ready) handlers_.on_ready(frame, again);
      Flush();
      StartKeepalive();
    } else if (type == "error" && ours) {
      Fail("authentication failed: " + frame.value("message", frame.value("code", "")));
    }
    return;
  }
  auto re = frame.find("re");
  auto it = re != frame.end() && re->is_string() ? in_flight_.find(re->get<std::string>())
                                                 : in_flight_.end();
  if (it != in_flight_.end() && frame.value("code", "") == "rate_limited" &&
      it->second.attempts < kMaxRateRetries) {
    // Refused before the server looked at it: send it again once the server allows.
    Pending p = std::move(it->second);
    std::string id = it->first;
    in_flight_.erase(it);
    ++p.attempts;
    int64_t retry = std::max<int64_t>(frame.value("retry_ms", int64_t{100}), 10);
    paused_until_ms_ = std::max(paused_until_ms_, EventLoop::NowMs() + retry);
    tokens_ = 0;
    queued_.emplace_front(id, std::move(p));
    Flush();
    return;
  }
  bool quiet = it != in_flight_.end() && it->second.quiet;
  if (it != in_flight_.end() && !it->second.own_id.is_null()) frame["re"] = it->second.own_id;
  if (handlers_.on_frame) handlers_.on_frame(frame, quiet);
  if (it == in_flight_.end()) return;
  ReplyFn fn = std::move(it->second.fn);
  in_flight_.erase(it);
  if (fn) fn(frame);
}

void Session::OnClose(int code, const std::string& reason) {
  bool was_ready = ready_;
  ready_ = false;
  loop_->Cancel(keepalive_timer_);
  keepalive_timer_ = 0;
  if (stopped_) return;
  std::string why = std::to_string(code) + (reason.empty() ? "" : " " + reason);
  if (!ever_ready_) {
    std::string hint;
    bool tls = options_.url.rfind("wss://", 0) == 0;
    if (tls && reason.find("TLS") != std::string::npos) {
      hint =
          " (does the server serve wss:// on that port? A certificate slchat does not "
          "trust: --ca FILE, or -k to skip the check)";
    } else if (!tls && reason.find("End of File") != std::string::npos) {
      hint = " (the server closed the connection: does it serve only wss:// there?)";
    }
    Fail("cannot connect to " + options_.url + ": " + (reason.empty() ? why : reason) + hint);
    return;
  }
  if (!options_.reconnect || (was_ready && !ShouldReconnect(code))) {
    Fail("disconnected by the server (" + why + ")");
    return;
  }
  // Requests that are safe to repeat go out again after the reconnect, in their order.
  std::vector<std::pair<std::string, Pending>> again;
  std::vector<std::pair<std::string, ReplyFn>> failed;
  for (auto& [id, p] : in_flight_) {
    if (p.retry) {
      again.emplace_back(id, std::move(p));
    } else {
      failed.emplace_back(id, std::move(p.fn));
    }
  }
  in_flight_.clear();
  std::sort(again.begin(), again.end(), [](const auto& a, const auto& b) {
    return a.first.size() != b.first.size() ? a.first.size() < b.first.size() : a.first < b.first;
  });
  for (auto it = again.rbegin(); it != again.rend(); ++it) queued_.push_front(std::move(*it));
  int64_t delay = backoff_.Next();
  if (handlers_.on_down) handlers_.on_down(code, reason, delay);
  for (auto& [id, fn] : failed) {
    if (fn) fn(ErrorReply(id, "unavailable", "connection lost (" + why + ")"));
  }
  reconnect_timer_ = loop_->After(delay, [this] { Connect(); });
}

void Session::Fail(const std::string& error) {
  if (stopped_) return;
  stopped_ = true;
  loop_->Cancel(keepalive_timer_);
  loop_->Cancel(reconnect_timer_);
  conn_.Close(1000, "bye");
  auto fns = std::move(in_flight_);
  in_flight_.clear();
  for (auto& [id, p] : fns) {
    if (p.fn) p.fn(ErrorReply(id, "unavailable", error));
  }
  auto queued = std::move(queued_);
  queued_.clear();
  for (auto& [id, p] : queued) {
    if (p.fn) p.fn(ErrorReply(id, "unavailable", error));
  }
  if (handlers_.on_fatal) handlers_.on_fatal(error);
}

void Session::StartKeepalive() {
  loop_->Cancel(keepalive_timer_);
  keepalive_timer_ = loop_->After(kKeepaliveMs, [this] {
    keepalive_timer_ = 0;
    if (!ready_) return;
    if (EventLoop::NowMs() - last_rx_ms_ > kSilentDropMs) {
      // The server stopped answering: treat it as a dropped connection.
      conn_.Abandon();
      OnClose(1006, "no answer from the server");
      return;
    }
    Internal({{"type", "ping"}}, nullptr);
    StartKeepalive();
  });
}

void Session::Request(Json req, ReplyFn fn, bool retry) {
  Pending p;
  p.fn = std::move(fn);
  p.retry = retry;
  Enqueue(std::move(req), std::move(p));
}

void Session::RequestAsWritten(Json req, ReplyFn fn) {
  Pending p;
  p.fn = std::move(fn);
  if (auto id = req.find("id"); id != req.end()) p.own_id = *id;
  Enqueue(std::move(req), std::move(p));
}

void Session::Internal(Json req, ReplyFn fn) {
  Pending p;
  p.fn = std::move(fn);
  p.quiet = true;
  Enqueue(std::move(req), std::move(p));
}

void Session::RequestBinary(Json header, std::string data, ReplyFn fn) {
  Pending p;
  p.fn = std::move(fn);
  p.binary = true;
  p.quiet = true;  // one reply per chunk: not worth a line of --json output
  p.data = std::move(data);
  Enqueue(std::move(header), std::move(p));
}

void Session::Enqueue(Json req, Pending p) {
  if (stopped_) {
    if (p.fn) p.fn(ErrorReply("", "unavailable", "not connected"));
    return;
  }
  std::string id = "c" + std::to_string(++next_id_);
  req["id"] = id;
  p.req = std::move(req);
  queued_.emplace_back(id, std::move(p));
  Flush();
}

bool Session::TakeToken() {
  int64_t now = EventLoop::NowMs();
  if (now < paused_until_ms_) return false;
  if (tokens_ms_ == 0) tokens_ = kBurst;
  tokens_ = std::min(kBurst, tokens_ + static_cast<double>(now - tokens_ms_) * kRatePerSec / 1000);
  tokens_ms_ = now;
  if (tokens_ < 1) return false;
  tokens_ -= 1;
  return true;
}

void Session::Flush() {
  while (ready_ && !queued_.empty() && TakeToken()) {
    auto [id, p] = std::move(queued_.front());
    queued_.pop_front();
    SendNow(id, p);
  }
  if (!ready_ || queued_.empty() || flush_timer_) return;
  int64_t now = EventLoop::NowMs();
  int64_t wait = std::max<int64_t>(paused_until_ms_ - now,
                                   static_cast<int64_t>((1 - tokens_) * 1000 / kRatePerSec) + 1);
  flush_timer_ = loop_->After(std::max<int64_t>(wait, 1), [this] {
    flush_timer_ = 0;
    Flush();
  });
}

void Session::SendNow(const std::string& id, Pending& p) {
  std::string frame = p.binary ? MakeBinaryFrame(p.req, p.data) : Dump(p.req);
  // A frame over the server's limit would close the connection (1009) and take every
  // request with it: it is refused here, as the server would refuse a long text.
  auto limit = limits_.find("max_frame_bytes");
  uint64_t max_frame =
      limit != limits_.end() && limit->is_number_unsigned() ? limit->get<uint64_t>() : 0;
  if (max_frame > 0 && frame.size() > max_frame) {
    ReplyFn fn = std::move(p.fn);
    if (fn) {
      fn(ErrorReply(id, "too_large",
                    "the request is " + std::to_string(frame.size()) +
                        " bytes; the server takes frames of at most " + std::to_string(max_frame)));
    }
    return;
  }
  conn_.Send(std::move(frame), p.binary);
  in_flight_[id] = std::move(p);
}

void Session::Send(const Json& event) {
  // Signals (typing, read marks) are superseded by the next one: drop rather than queue.
  if (ready_ && queued_.empty() && TakeToken()) conn_.Send(Dump(event));
}

}  // namespace slchat

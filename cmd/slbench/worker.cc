// Worker: connections and their life: connect, auth, join (creating missing rooms), churn,
// drop-and-reconnect with sync, and the end of the run.

#include "worker.h"

#include <sys/resource.h>

#include "smartlink/auth/jwt.h"
#include "units.h"

namespace slbench {

namespace {

int64_t ThreadCpuNs() {
  struct rusage ru;
  if (getrusage(RUSAGE_THREAD, &ru) != 0) return 0;
  auto ns = [](const timeval& tv) {
    return static_cast<int64_t>(tv.tv_sec) * kNsPerSec + static_cast<int64_t>(tv.tv_usec) * 1000;
  };
  return ns(ru.ru_utime) + ns(ru.ru_stime);
}

}  // namespace

Worker::Worker(int index, const Plan& plan)
    : plan_(plan), index_(index), loop_(smartlink::net::ClientLoop::Create()) {
  stats_.resize(plan.scenario.phases.size() + 1);
  conns_.resize(static_cast<size_t>(plan.scenario.MaxConnections() / plan.threads + 1));
  // Text after the marker: readable filler, no character that JSON would escape.
  static const char kWords[] =
      " the quick brown fox jumps over the lazy dog while a chat server carries every "
      "message once and in order";
  size_t tail = static_cast<size_t>(plan.scenario.message_size) - 26;
  text_tail_ = ".";
  while (text_tail_.size() < tail) text_tail_ += kWords;
  text_tail_.resize(tail);
  rng_ ^= static_cast<uint64_t>(index + 1) * 0xBF58476D1CE4E5B9ULL;
}

Worker::~Worker() {
  loop_.reset();  // drops every handler before the connections they point to
}

Worker::Conn* Worker::Find(int conn) {
  size_t slot = static_cast<size_t>(conn / plan_.threads);
  return slot < conns_.size() ? conns_[slot].get() : nullptr;
}

void Worker::Start() {
  cpu_mark_ns_ = ThreadCpuNs();
  Housekeeping();
}

void Worker::BeginPhase(int phase) {
  int64_t cpu = ThreadCpuNs();
  Now().thread_cpu_ns += cpu - cpu_mark_ns_;
  Now().threads_cpu_ns += cpu - cpu_mark_ns_;
  cpu_mark_ns_ = cpu;
  phase_ = phase;
  const auto& phases = plan_.scenario.phases;
  if (static_cast<size_t>(phase) >= phases.size()) {  // the drain: no new churn cycles
    for (auto& c : churn_) {
      if (c) c->churn_active = false;
    }
    return;
  }
  const Phase& ph = phases[static_cast<size_t>(phase)];
  if (ph.reconnect) {
    for (auto& c : conns_) {
      if (c && c->state == State::kReady) Reconnect(*c);
    }
  }
  // The phase wants its connections: those the server dropped, or that failed setup, in an
  // earlier phase are opened again (the ones it has no place for are closed by the runner).
  for (auto& c : conns_) {
    if (c && c->state == State::kClosed && c->index < ph.connections && c->dropped && !c->shed &&
        !c->churn) {
      Now().conns_reopened++;
      Open(c->index);
    }
  }
}

void Worker::Open(int conn) {
  size_t slot = static_cast<size_t>(conn / plan_.threads);
  if (slot >= conns_.size()) conns_.resize(slot + 1);
  if (!conns_[slot]) {
    auto c = std::make_unique<Conn>();
    c->index = conn;
    c->user = plan_.UserName(conn);
    c->rooms = plan_.scenario.RoomsOf(conn);
    conns_[slot] = std::move(c);
  }
  Conn& c = *conns_[slot];
  if (c.state != State::kIdle && c.state != State::kClosed) return;
  Now().conns_attempted++;
  c.dropped = false;
  c.shed = false;
  c.resumed = c.resumed || ++c.sessions > 1;
  // A connection opened again starts its conversations afresh; what the session before got
  // is kept for the count of what was lost.
  if (!c.convs.empty()) retired_.push_back(Retired{c.user, std::move(c.convs)});
  c.convs.clear();
  StartConnect(c);
}

void Worker::CloseConn(int conn) {
  Conn* c = Find(conn);
  if (c) c->shed = true;  // even when already closed: a later phase's ramp opens it again
  if (!c || c->state == State::kIdle || c->state == State::kClosed) return;
  Unready(*c);
  DropPending(*c, false);
  LeaveSetup(*c);
  c->reconnecting = false;
  c->dropped = true;  // it stops receiving here: hold it only to what came before
  c->state = State::kClosing;
  loop_->Close(c->id, 1000, "slbench: fewer connections");
}

void Worker::StartConnect(Conn& c) {
  c.gen++;
  c.state = State::kConnecting;
  c.start_ns = MonoNs();
  c.retries = 0;
  c.failed = false;
  if (!c.in_setup) {
    c.in_setup = true;
    AddBusy(1);
    if (!c.churn) setups_open_.fetch_add(1, std::memory_order_relaxed);
  }
  smartlink::net::ClientOptions o;
  o.url = plan_.scenario.url;
  o.insecure = plan_.scenario.insecure;
  o.ca_file = plan_.scenario.ca_file;
  smartlink::net::ClientHandlers h;
  Conn* cp = &c;
  uint32_t gen = c.gen;
  h.on_open = [this, cp, gen] { OnOpen(*cp, gen); };
  h.on_message = [this, cp, gen](std::string_view payload, bool binary) {
    OnMessage(*cp, gen, payload, binary);
  };
  h.on_close = [this, cp, gen](int code, const std::string& reason) {
    OnClose(*cp, gen, code, reason);
  };
  std::string error;
  c.id = loop_->Connect(o, std::move(h), &error);
  if (c.id == 0) {
    c.state = State::kClosed;
    SetupFailed(c, error);
    return;
  }
  // A server that accepts the connection and then never answers (no welcome, no reply to a
  // join) fails the setup instead of holding it, and the run's drain, for ever. Not for the
  // churn loops: thousands of cycles a second would each hold a timer for the whole wait,
  // and a churn slot that hangs only stops cycling.
  if (c.churn) return;
  loop_->After(kSetupTimeoutMs, [this, cp, gen] {
    if (gen != cp->gen || !cp->in_setup || finishing_) return;
    SetupFailed(*cp, "setup timed out (" + std::to_string(kSetupTimeoutMs / 1000) +
                         " s without welcome or the rooms' replies)");
  });
}

void Worker::OnOpen(Conn& c, uint32_t gen) {
  if (gen != c.gen || c.state != State::kConnecting) return;
  int64_t now = MonoNs();
  if (!c.churn) {
    Now().conns_made++;
    Now().connect.Record(now - c.start_ns);
  }
  c.state = State::kSetup;
  uint64_t id = Request(c, Req::kAuth, now, 0);
  std::string f = "{\"type\":\"auth\",\"id\":" + std::to_string(id);
  if (plan_.scenario.auth == AuthMode::kToken) {
    int64_t now_s = WallMs() / 1000;
    f += ",\"token\":\"" +
         smartlink::auth::MintToken(plan_.scenario.secret, c.user, now_s,
                                    plan_.scenario.token_ttl_ns / kNsPerSec) +
         "\"}";
  } else {
    f += ",\"user\":\"" + c.user + "\"}";
  }
  Write(c, f);
}

void Worker::OnWelcome(Conn& c) {
  if (c.reconnecting) {
    SendSync(c);
    return;
  }
  if (c.rooms.empty()) {
    SetupDone(c);
    return;
  }
  c.joins_left = static_cast<int>(c.rooms.size());
  for (int room : c.rooms) SendJoin(c, room);
}

void Worker::SendJoin(Conn& c, int room) {
  uint64_t id = Request(c, Req::kJoin, 0, room);
  Write(c, "{\"type\":\"room.join\",\"id\":" + std::to_string(id) + ",\"room\":\"" +
               plan_.RoomName(room) + "\"}");
}

void Worker::SendSync(Conn& c) {
  if (c.convs.empty()) {
    SetupDone(c);
    return;
  }
  std::string positions;
  for (auto& cs : c.convs) {
    cs.seq.ForgetAhead();
    cs.recovering = true;
    if (!positions.empty()) positions += ',';
    positions += "\"" + cs.conv + "\":" + std::to_string(cs.seq.position());
  }
  uint64_t id = Request(c, Req::kSync, 0, 0);
  Write(c,
        "{\"type\":\"sync\",\"id\":" + std::to_string(id) + ",\"positions\":{" + positions + "}}");
}

void Worker::SetupDone(Conn& c) {
  int64_t now = MonoNs();
  LeaveSetup(c);
  setups_done_.fetch_add(1, std::memory_order_relaxed);
  int64_t took = now - (c.reconnecting ? c.drop_ns : c.start_ns);
  current_.setups++;
  current_.setup_max = std::max(current_.setup_max, took);
  i_setup_.Record(took);
  if (c.churn) {
    Now().churn_done++;
    Now().churn_setup.Record(now - c.start_ns);
    c.state = State::kClosing;
    loop_->Close(c.id, 1000, "");
    return;
  }
  if (c.reconnecting) {
    c.reconnecting = false;
    Now().reconnects_done++;
    Now().reconnect.Record(now - c.drop_ns);
  } else {
    Now().conns_ready++;
    Now().setup.Record(now - c.start_ns);
  }
  BecomeReady(c);
}

void Worker::SetupFailed(Conn& c, const std::string& why) {
  LeaveSetup(c);
  setups_failed_.fetch_add(1, std::memory_order_relaxed);
  c.failed = true;
  Now().failures[why.empty() ? "unknown" : why]++;
  if (c.churn) {
    Now().churn_failed++;
  } else {
    Now().conns_failed++;
    // Its scheduled sends will never go: stop waiting for them.
    AddBusy(-static_cast<int64_t>(c.backlog.size() + c.files_waiting.size()));
    c.backlog.clear();
    c.files_waiting.clear();
    c.dropped = true;
  }
  c.reconnecting = false;
  if (c.state == State::kConnecting || c.state == State::kSetup) {
    c.state = State::kClosing;
    loop_->Close(c.id, 1000, "slbench: setup failed");
  } else if (c.churn && c.state == State::kClosed) {
    ChurnNext(c);
  }
}

void Worker::BecomeReady(Conn& c) {
  c.state = State::kReady;
  if (c.ready_pos < 0) {
    c.ready_pos = static_cast<int>(ready_.size());
    ready_.push_back(&c);
    ready_count_.fetch_add(1, std::memory_order_relaxed);
  }
  FlushBacklog(c);
}

void Worker::Unready(Conn& c) {
  if (c.ready_pos < 0) return;
  Conn* last = ready_.back();
  ready_[static_cast<size_t>(c.ready_pos)] = last;
  last->ready_pos = c.ready_pos;
  ready_.pop_back();
  c.ready_pos = -1;
  ready_count_.fetch_sub(1, std::memory_order_relaxed);
}

void Worker::LeaveSetup(Conn& c) {
  if (!c.in_setup) return;
  c.in_setup = false;
  AddBusy(-1);
  if (!c.churn) setups_open_.fetch_sub(1, std::memory_order_relaxed);
}

void Worker::CountUnacknowledged(const Conn& c) {
  for (const Pending& p : c.pending) {
    if (!p.done && (p.kind == Req::kRoomMsg || p.kind == Req::kDirect)) {
      At(p.intended_ns).unacknowledged++;
    }
  }
}

void Worker::DropPending(Conn& c, bool unacknowledged) {
  if (unacknowledged) CountUnacknowledged(c);
  int64_t open = 0;
  for (const Pending& p : c.pending) {
    if (p.done) continue;
    ++open;
    if (p.kind <= Req::kFileEnd) Now().unanswered++;
  }
  AddBusy(-open);
  c.pending.clear();
  c.upload.reset();
}

void Worker::Reconnect(Conn& c) {
  c.drop_ns = MonoNs();
  c.reconnecting = true;
  c.resumed = true;
  Now().reconnects_started++;
  Unready(c);
  DropPending(c, false);
  c.state = State::kClosing;
  loop_->Close(c.id, 1000, "slbench: reconnect");
}

void Worker::OnClose(Conn& c, uint32_t gen, int code, const std::string& reason) {
  if (gen != c.gen) return;
  State prev = c.state;
  c.state = State::kClosed;
  c.id = 0;
  Unready(c);
  // Sends that slbench cut off itself (fewer connections, a reconnect) are its own doing;
  // those the server or the network cut off were never acknowledged (at the end of the
  // run, Finish counted them already).
  DropPending(c, prev != State::kClosing);
  if (prev == State::kConnecting) {  // the connection never opened
    SetupFailed(c, reason.empty() ? "connection failed (" + std::to_string(code) + ")" : reason);
    return;
  }
  if (prev == State::kClosing) {  // closed by slbench
    if (c.reconnecting && !finishing_) {
      StartConnect(c);
    } else if (c.churn) {
      ChurnNext(c);
    }
    return;
  }
  // Closed by the server or the network.
  if (finishing_) return;
  Now().errors["close " + std::to_string(code)]++;
  if (c.in_setup) {
    SetupFailed(c, "closed during setup: " + std::to_string(code) + " " + reason);
    return;
  }
  Now().conns_dropped++;
  c.dropped = true;
  if (c.churn) ChurnNext(c);
}

void Worker::SetChurn(const std::vector<int>& slots) {
  for (auto& c : churn_) {
    if (c) c->churn_active = false;
  }
  for (int slot : slots) {
    size_t local = static_cast<size_t>(slot / plan_.threads);
    if (local >= churn_.size()) churn_.resize(local + 1);
    if (!churn_[local]) {
      auto c = std::make_unique<Conn>();
      c->index = slot;
      c->churn = true;
      c->user = plan_.ChurnUserName(slot);
      if (plan_.scenario.rooms > 0) c->rooms = {slot % plan_.scenario.rooms};
      churn_[local] = std::move(c);
    }
    Conn& c = *churn_[local];
    c.churn_active = true;
    if (c.state == State::kIdle || c.state == State::kClosed) StartConnect(c);
  }
}

void Worker::ChurnNext(Conn& c) {
  if (!c.churn_active || finishing_) {
    c.state = State::kIdle;
    return;
  }
  c.state = State::kIdle;
  Conn* cp = &c;
  // A short pause after a failure keeps a refused server from spinning the loop.
  loop_->After(c.failed ? 10 : 0, [this, cp] {
    if (cp->churn_active && !finishing_ && cp->state == State::kIdle) StartConnect(*cp);
  });
}

void Worker::Housekeeping() {
  if (finishing_) return;
  std::vector<Conn*> still;
  for (Conn* c : backlogged_) {
    FlushBacklog(*c);
    if (c->backlog.empty()) {
      c->in_backlog_list = false;
    } else {
      still.push_back(c);
    }
  }
  backlogged_.swap(still);
  loop_->After(2, [this] { Housekeeping(); });
}

void Worker::Finish(int64_t grace_ns) {
  int64_t cpu = ThreadCpuNs();
  Now().thread_cpu_ns += cpu - cpu_mark_ns_;
  Now().threads_cpu_ns += cpu - cpu_mark_ns_;
  cpu_mark_ns_ = cpu;
  finishing_ = true;
  auto close = [this](Conn& c) {
    c.churn_active = false;
    c.reconnecting = false;
    CountUnacknowledged(c);  // still open after the drain
    if (c.id != 0 && c.state != State::kClosed && c.state != State::kIdle) {
      c.state = State::kClosing;
      loop_->Close(c.id, 1000, "slbench: done");
    }
  };
  for (auto& c : conns_) {
    if (c) close(*c);
  }
  for (auto& c : churn_) {
    if (c) close(*c);
  }
  AwaitClosed(MonoNs() + grace_ns);
}

void Worker::AwaitClosed(int64_t deadline_ns) {
  if (loop_->open_connections() == 0 || MonoNs() >= deadline_ns) {
    loop_->Stop();
    return;
  }
  loop_->After(10, [this, deadline_ns] { AwaitClosed(deadline_ns); });
}

}  // namespace slbench

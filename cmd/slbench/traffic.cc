// Worker: scheduled sends, replies and events, and the integrity checks on what arrives.
//
// A message text starts with a marker, "~RRRRRRRR.TTTTTTTTTTTTTTTT", where R is the run id and
// T the intended send time (MonoNs, hex): any receiver in this process, on any thread, times
// the delivery from it without a look-up.

#include <algorithm>

#include "json_scan.h"
#include "units.h"
#include "worker.h"

namespace slbench {

namespace {

// A connection with this much unwritten data is not sent more: its sends wait in the
// backlog with their intended times, so the wait is measured.
constexpr size_t kMaxBuffered = 256 * 1024;

void AppendHex16(std::string& out, int64_t v) {
  static const char kHex[] = "0123456789abcdef";
  auto u = static_cast<uint64_t>(v);
  for (int shift = 60; shift >= 0; shift -= 4) out += kHex[(u >> shift) & 0xF];
}

bool ParseHex16(std::string_view s, int64_t* v) {
  if (s.size() < 16) return false;
  uint64_t u = 0;
  for (size_t i = 0; i < 16; ++i) {
    char c = s[i];
    int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (d < 0) return false;
    u = u << 4 | static_cast<uint64_t>(d);
  }
  *v = static_cast<int64_t>(u);
  return true;
}

}  // namespace

uint64_t Worker::Request(Conn& c, Req kind, int64_t intended_ns, int aux) {
  uint64_t id = c.next_id++;
  c.pending.push_back(Pending{id, kind, intended_ns, aux, false});
  AddBusy(1);
  return id;
}

void Worker::Write(Conn& c, const std::string& frame, bool binary) {
  loop_->Send(c.id, frame, binary);
  PhaseStats& s = Now();
  s.frames_out++;
  s.bytes_out += frame.size();
}

void Worker::Fire(const std::vector<Action>& actions) {
  for (const Action& a : actions) {
    At(a.intended_ns).offered[static_cast<int>(a.op)]++;
    Conn* c = Find(a.conn);
    // A connection that failed or was dropped is not back before the next phase (if then):
    // its sends are offered, never sent.
    if (!c || (c->state == State::kClosed && !c->reconnecting)) continue;
    if (c->backlog.empty() && TrySend(*c, a)) continue;
    c->backlog.push_back(a);
    AddBusy(1);
    if (!c->in_backlog_list) {
      c->in_backlog_list = true;
      backlogged_.push_back(c);
    }
  }
}

bool Worker::TrySend(Conn& c, const Action& a) {
  if (c.state != State::kReady || loop_->Buffered(c.id) > kMaxBuffered) return false;
  SendMessage(c, a);
  return true;
}

void Worker::FlushBacklog(Conn& c) {
  while (!c.backlog.empty() && TrySend(c, c.backlog.front())) {
    c.backlog.pop_front();
    AddBusy(-1);
  }
}

void Worker::SendMessage(Conn& c, const Action& a) {
  int64_t now = MonoNs();
  // Into the phase that offered it, like the deliveries it is due: a send held back by a
  // full socket and written in a later phase or the drain is still that phase's.
  PhaseStats& s = At(a.intended_ns);
  s.sent[static_cast<int>(a.op)]++;
  s.send_lag.Record(now - a.intended_ns);
  current_.sent++;
  std::string f;
  f.reserve(static_cast<size_t>(plan_.scenario.message_size) + 96);
  switch (a.op) {
    case Op::kRoomMsg:
    case Op::kDirect: {
      std::string to;
      if (a.op == Op::kRoomMsg) {
        to = "#" + plan_.RoomName(c.rooms.empty() ? 0 : c.rooms[0]);
      } else {
        // Another ready connection of this worker (or oneself when alone).
        Conn* peer = &c;
        if (ready_.size() > 1 && c.ready_pos >= 0) {
          rng_ ^= rng_ << 13;
          rng_ ^= rng_ >> 7;
          rng_ ^= rng_ << 17;
          size_t i = rng_ % (ready_.size() - 1);
          if (i >= static_cast<size_t>(c.ready_pos)) ++i;
          peer = ready_[i];
        }
        to = "@" + peer->user;
      }
      uint64_t id =
          Request(c, a.op == Op::kRoomMsg ? Req::kRoomMsg : Req::kDirect, a.intended_ns, 0);
      f += "{\"type\":\"msg.send\",\"id\":";
      f += std::to_string(id);
      f += ",\"to\":\"";
      f += to;
      f += "\",\"text\":\"~";
      f += plan_.run_id;
      f += '.';
      AppendHex16(f, a.intended_ns);
      f += text_tail_;
      f += "\"}";
      break;
    }
    case Op::kPing: {
      uint64_t id = Request(c, Req::kPing, a.intended_ns, 0);
      f = "{\"type\":\"ping\",\"id\":" + std::to_string(id) + "}";
      break;
    }
    case Op::kTyping: {
      uint64_t id = Request(c, Req::kTyping, a.intended_ns, 0);
      f = "{\"type\":\"typing\",\"id\":" + std::to_string(id) + ",\"to\":\"#" +
          plan_.RoomName(c.rooms.empty() ? 0 : c.rooms[0]) + "\",\"on\":true}";
      break;
    }
    case Op::kFile:
      if (c.upload) {
        c.files_waiting.push_back(a.intended_ns);
        AddBusy(1);
      } else {
        StartUpload(c, a.intended_ns);
      }
      return;
  }
  Write(c, f);
}

void Worker::OnMessage(Conn& c, uint32_t gen, std::string_view payload, bool binary) {
  if (gen != c.gen) return;
  last_rx_ns_.store(MonoNs(), std::memory_order_relaxed);
  PhaseStats& s = Now();
  s.frames_in++;
  s.bytes_in += payload.size();
  if (binary) {  // only file.data comes in binary frames
    OnFileData(c, payload);
    return;
  }
  Fields f;
  bool ok = ScanObject(payload, [&f](std::string_view key, std::string_view raw) {
    if (key == "type")
      f.type = raw;
    else if (key == "re")
      f.re = raw;
    else if (key == "conv")
      f.conv = raw;
    else if (key == "seq")
      f.seq = raw;
    else if (key == "text")
      f.text = raw;
    else if (key == "code")
      f.code = raw;
    else if (key == "last_seq")
      f.last_seq = raw;
    else if (key == "file_id")
      f.file_id = raw;
    else if (key == "chunk_size")
      f.chunk_size = raw;
    else if (key == "forbidden")
      f.forbidden = raw;
    return true;
  });
  if (!ok) {
    CountError("slbench: invalid JSON from server");
    return;
  }
  std::string_view type = UnquoteSimple(f.type).value_or("");
  if (type == "msg") {
    OnMsg(c, f);
  } else if (type == "ok" || type == "pong" || type == "welcome") {
    // PROTOCOL.md does not promise `re` on welcome: one without answers the auth in flight.
    std::string auth_id;
    if (type == "welcome" && f.re.empty()) {
      for (const Pending& p : c.pending) {
        if (p.kind == Req::kAuth && !p.done) {
          auth_id = std::to_string(p.id);
          f.re = auth_id;
          break;
        }
      }
    }
    OnReply(c, f, true);
  } else if (type == "error") {
    OnReply(c, f, false);
  } else if (type == "caught_up") {
    if (auto conv = UnquoteSimple(f.conv)) {
      bool created;
      ConvOf(c, *conv, &created).recovering = false;
    }
    if (c.state == State::kSetup && c.reconnecting && c.catchups_left > 0 &&
        --c.catchups_left == 0) {
      SetupDone(c);
    }
  } else if (type == "typing") {
    s.typing_events++;
  } else {
    s.other_events++;
  }
}

void Worker::OnReply(Conn& c, const Fields& f, bool ok) {
  std::string_view code = ok ? "" : UnquoteSimple(f.code).value_or("unknown");
  auto id = ParseInt(f.re);
  auto it =
      std::lower_bound(c.pending.begin(), c.pending.end(), static_cast<uint64_t>(id.value_or(0)),
                       [](const Pending& p, uint64_t v) { return p.id < v; });
  if (!id || it == c.pending.end() || it->id != static_cast<uint64_t>(*id) || it->done) {
    if (!ok) CountError(code);  // not an answer to one of ours
    return;
  }
  // Joining a room that is not there yet, then creating it as another member does, is how
  // a connection sets up, not an error. A refused auth is counted once, as the connection's
  // failure (SetupFailed).
  bool expected = (it->kind == Req::kJoin && code == "not_found") ||
                  (it->kind == Req::kCreate && code == "conflict") || it->kind == Req::kAuth;
  if (!ok && !expected) CountError(code);
  it->done = true;
  AddBusy(-1);
  Pending p = *it;
  while (!c.pending.empty() && c.pending.front().done) c.pending.pop_front();

  int64_t now = MonoNs();
  PhaseStats& s = Now();
  switch (p.kind) {
    case Req::kRoomMsg:
    case Req::kDirect: {
      int op = static_cast<int>(p.kind == Req::kRoomMsg ? Op::kRoomMsg : Op::kDirect);
      if (!ok) {
        s.refused[op]++;
        break;
      }
      s.answered[op]++;
      current_.answered++;
      int64_t lat = now - p.intended_ns;
      At(p.intended_ns).ack.Record(lat);
      i_ack_.Record(lat);
      current_.ack_max = std::max(current_.ack_max, lat);
      auto seq = ParseInt(f.seq);
      auto conv = UnquoteSimple(f.conv);
      if (seq && conv) RecordAckedSeq(*conv, *seq, p.intended_ns);
      break;
    }
    case Req::kPing: {
      if (!ok) {
        s.refused[static_cast<int>(Op::kPing)]++;
        break;
      }
      s.answered[static_cast<int>(Op::kPing)]++;
      current_.answered++;
      int64_t lat = now - p.intended_ns;
      At(p.intended_ns).ping.Record(lat);
      i_ping_.Record(lat);
      current_.ping_max = std::max(current_.ping_max, lat);
      break;
    }
    case Req::kTyping:
      (ok ? s.answered : s.refused)[static_cast<int>(Op::kTyping)]++;
      if (ok) current_.answered++;
      break;
    case Req::kFileBegin:
    case Req::kFileChunk:
    case Req::kFileEnd:
      OnUploadReply(c, p, f, ok);
      break;
    default:
      OnSetupReply(c, p, f, ok);
      break;
  }
}

void Worker::OnSetupReply(Conn& c, const Pending& p, const Fields& f, bool ok) {
  if (c.state != State::kSetup) return;
  std::string code(UnquoteSimple(f.code).value_or(""));
  switch (p.kind) {
    case Req::kAuth:
      if (ok) {
        OnWelcome(c);
      } else {
        SetupFailed(c, "auth refused: " + code);
      }
      break;
    case Req::kJoin: {
      std::string room = plan_.RoomName(p.aux);
      if (ok) {
        bool created;
        ConvState& cs = ConvOf(c, "#" + room, &created);
        cs.seq.Start(ParseInt(f.last_seq).value_or(0));
        if (--c.joins_left == 0) SetupDone(c);
      } else if (code == "not_found" && ++c.retries <= kMaxSetupRetries) {
        uint64_t id = Request(c, Req::kCreate, 0, p.aux);
        Write(c, "{\"type\":\"room.create\",\"id\":" + std::to_string(id) + ",\"room\":\"" + room +
                     "\"}");
      } else {
        SetupFailed(c, "room.join refused: " + code);
      }
      break;
    }
    case Req::kCreate:
      if (ok) {
        SendJoin(c, p.aux);
      } else if (code == "conflict" && ++c.retries <= kMaxSetupRetries) {
        // Another member's create is still being committed: the room cannot be joined until
        // it is. Try again a little later, backing off.
        Conn* cp = &c;
        uint32_t gen = c.gen;
        int room = p.aux;
        loop_->After(std::min(5 << c.retries, 1000), [this, cp, gen, room] {
          if (cp->gen == gen && cp->state == State::kSetup) SendJoin(*cp, room);
        });
      } else {
        SetupFailed(c, "room.create refused: " + code);
      }
      break;
    case Req::kSync: {
      if (!ok) {
        SetupFailed(c, "sync refused: " + code);
        break;
      }
      // Conversations listed as forbidden get no caught_up.
      int forbidden = 0;
      if (!f.forbidden.empty()) {
        auto j = nlohmann::json::parse(f.forbidden, nullptr, false);
        if (j.is_array()) forbidden = static_cast<int>(j.size());
      }
      c.catchups_left = static_cast<int>(c.convs.size()) - forbidden;
      if (c.catchups_left <= 0) SetupDone(c);
      break;
    }
    default:
      break;
  }
}

Worker::ConvState& Worker::ConvOf(Conn& c, std::string_view conv, bool* created) {
  for (ConvState& cs : c.convs) {
    if (cs.conv == conv) {
      *created = false;
      return cs;
    }
  }
  *created = true;
  c.convs.emplace_back();
  c.convs.back().conv = std::string(conv);
  return c.convs.back();
}

void Worker::OnMsg(Conn& c, const Fields& f) {
  if (c.churn) {  // churn connections come and go: they only measure setup
    Now().other_events++;
    return;
  }
  auto conv = UnquoteSimple(f.conv);
  auto seq = ParseInt(f.seq);
  if (!conv || !seq) {
    CountError("slbench: msg without conv or seq");
    return;
  }
  if (!plan_.MayReceive(c.rooms, *conv)) {
    // A membership leak: not delivered, and no conversation of this receiver to be due in.
    CountError("slbench: message in a room not joined");
    return;
  }
  int64_t now = MonoNs();
  bool created;
  ConvState& cs = ConvOf(c, *conv, &created);
  // A direct conversation between two users new to the server starts at seq 1 (unless this
  // connection was open before: its earlier session may have had the first messages).
  if (created && plan_.fresh_names && !c.resumed && !conv->empty() && conv->front() == '@') {
    cs.seq.Start(0);
  }
  PhaseStats& s = Now();
  switch (cs.seq.Receive(*seq)) {
    case SeqTracker::Outcome::kBefore:
      return;
    case SeqTracker::Outcome::kDuplicate:
      if (cs.recovering) {
        s.replayed++;
      } else {
        s.duplicated++;
        cs.duplicated++;
      }
      return;
    case SeqTracker::Outcome::kOutOfOrder:
      if (!cs.recovering) {
        s.out_of_order++;
        cs.out_of_order++;
      }
      break;
    default:
      break;
  }
  s.delivered++;
  current_.delivered++;
  // "~RUNID.TIME...": time it if it is this run's.
  std::string_view text = f.text;
  if (text.size() > 28 && text[1] == '~' && text.substr(2, 8) == plan_.run_id && text[10] == '.') {
    int64_t intended;
    if (ParseHex16(text.substr(11), &intended)) {
      int64_t lat = now - intended;
      At(intended).delivery.Record(lat);
      i_delivery_.Record(lat);
      current_.delivery_max = std::max(current_.delivery_max, lat);
    }
  }
}

void Worker::RecordAckedSeq(std::string_view conv, int64_t seq, int64_t intended_ns) {
  auto& v = acked_by_phase_[std::string(conv)];
  if (v.empty()) v.assign(stats_.size(), 0);
  auto& slot = v[static_cast<size_t>(plan_.PhaseAt(intended_ns))];
  slot = std::max(slot, seq);
}

void Worker::CountError(std::string_view code) {
  Now().errors[std::string(code)]++;
  current_.errors++;
}

}  // namespace slbench

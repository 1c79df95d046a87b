// Messages: msg.*, history, convs, search, sync, and catching a session up.

#include <algorithm>

#include "hub_impl.h"
#include "smartlink/util/crypto.h"

namespace smartlink::server {

namespace {

Json MessagesJson(const std::vector<protocol::Message>& msgs) {
  Json arr = Json::array();
  for (const auto& m : msgs) arr.push_back(protocol::MessageToJson(m, false));
  return arr;
}

std::string Dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

}  // namespace

void Hub::Impl::MsgSend(Conn& c, const Request& req) {
  const auto& m = req.as<protocol::MsgSend>();
  auto conv = protocol::ParseTarget(m.to, c.user);
  if (!conv) {
    Error(c, req.id, Status::BadRequest("field 'to' must be #room or @user"));
    return;
  }
  if (Status s = CheckMember(*conv, c.user); !s.ok()) {
    Error(c, req.id, s);
    return;
  }
  std::string conv_id = conv->str();
  if (!m.file_id.empty()) {
    Error(c, req.id, Status::NotFound("no file " + m.file_id));
    return;
  }
  if (m.reply_to && *m.reply_to > state.LastSeq(conv_id)) {
    Error(c, req.id, Status::NotFound("reply_to names no message in " + conv_id));
    return;
  }
  storage::NewMessage nm;
  nm.conv = conv_id;
  nm.msg_id = crypto::RandomHex(8);
  nm.from = c.user;
  nm.text = m.text;
  nm.ts = clock.NowMs();
  nm.temp_id = m.temp_id;
  nm.reply_to = m.reply_to;
  bool new_direct = !conv->is_room() && !state.DirectKnown(conv_id);
  ConnId id = c.id;
  bool queued = storage.Write<storage::Appended>(
      [nm = std::move(nm), conv = *conv,
       new_direct](storage::Store& s) -> Result<storage::Appended> {
        if (new_direct) {
          for (const std::string* u : {&conv.user_a, &conv.user_b}) {
            if (Status st = s.AddMember(nm.conv, *u, "member", nm.ts); !st.ok()) return st;
          }
        }
        return s.AppendMessage(nm);
      },
      [this, id, req, conv = *conv](Result<storage::Appended> res) {
        Conn* conn = Find(id);
        if (!res.ok()) {
          if (conn) Error(*conn, req.id, res.status());
          return;
        }
        const protocol::Message& msg = res->message;
        Json ok = {{"conv", msg.conv}, {"seq", msg.seq}, {"msg_id", msg.msg_id}, {"ts", msg.ts}};
        if (res->duplicate) {
          ok["duplicate"] = true;
          if (conn) Reply(*conn, req, std::move(ok));
          return;
        }
        metrics.messages_stored++;
        state.SetLastSeq(msg.conv, msg.seq);
        if (!conv.is_room() && !state.DirectKnown(msg.conv)) {
          state.AddMember(conv, conv.user_a, state::Role::kMember);
        }
        if (conn) Reply(*conn, req, std::move(ok));
        Broadcast(conv, MakeFrame(Dump(protocol::MessageToJson(msg, true))), "msg", 0, msg.seq);
      });
  if (!queued) Error(c, req.id, Status::Unavailable("storage is overloaded; try again"));
}

void Hub::Impl::MsgEdit(Conn& c, const Request& req) {
  const auto& m = req.as<protocol::MsgEdit>();
  if (Status s = CheckMember(m.conv, c.user); !s.ok()) {
    Error(c, req.id, s);
    return;
  }
  ConnId id = c.id;
  int64_t ts = clock.NowMs();
  std::string conv_id = m.conv.str();
  bool queued = storage.Write<Done>(
      [conv_id, seq = m.seq, user = c.user, text = m.text, ts](storage::Store& s) -> Result<Done> {
        if (Status st = s.EditMessage(conv_id, seq, user, text, ts); !st.ok()) return st;
        return Done{};
      },
      [this, id, req, conv_id, ts](Result<Done> res) {
        Conn* conn = Find(id);
        if (!res.ok()) {
          if (conn) Error(*conn, req.id, res.status());
          return;
        }
        const auto& r = req.as<protocol::MsgEdit>();
        if (conn) Reply(*conn, req);
        Broadcast(r.conv,
                  MakeFrame(protocol::EncodeEvent(
                      "msg.edited",
                      {{"conv", conv_id}, {"seq", r.seq}, {"text", r.text}, {"edited_ts", ts}})),
                  "msg.edited");
      });
  if (!queued) Error(c, req.id, Status::Unavailable("storage is overloaded; try again"));
}

void Hub::Impl::MsgDelete(Conn& c, const Request& req) {
  const auto& m = req.as<protocol::MsgRef>();
  if (Status s = CheckMember(m.conv, c.user); !s.ok()) {
    Error(c, req.id, s);
    return;
  }
  bool moderator = false;
  if (m.conv.is_room()) {
    const state::Room* room = state.FindRoom(m.conv.room);
    auto it = room->members.find(c.user);
    moderator = it != room->members.end() && it->second == state::Role::kOwner;
  }
  ConnId id = c.id;
  std::string conv_id = m.conv.str();
  bool queued = storage.Write<Done>(
      [conv_id, seq = m.seq, user = c.user, moderator](storage::Store& s) -> Result<Done> {
        if (Status st = s.DeleteMessage(conv_id, seq, user, moderator); !st.ok()) return st;
        return Done{};
      },
      [this, id, req, conv_id](Result<Done> res) {
        Conn* conn = Find(id);
        if (!res.ok()) {
          if (conn) Error(*conn, req.id, res.status());
          return;
        }
        const auto& r = req.as<protocol::MsgRef>();
        if (conn) Reply(*conn, req);
        Broadcast(
            r.conv,
            MakeFrame(protocol::EncodeEvent("msg.deleted", {{"conv", conv_id}, {"seq", r.seq}})),
            "msg.deleted");
      });
  if (!queued) Error(c, req.id, Status::Unavailable("storage is overloaded; try again"));
}

void Hub::Impl::MsgRead(Conn& c, const Request& req) {
  const auto& m = req.as<protocol::MsgRef>();
  if (Status s = CheckMember(m.conv, c.user); !s.ok()) {
    Error(c, req.id, s);
    return;
  }
  std::string conv_id = m.conv.str();
  int64_t seq = std::min(m.seq, state.LastSeq(conv_id));
  if (seq == 0) {  // nothing to read yet
    Reply(c, req, {{"conv", conv_id}, {"seq", 0}});
    return;
  }
  ConnId id = c.id;
  std::string user = c.user;
  bool queued = storage.Write<int64_t>(
      [conv_id, user, seq](storage::Store& s) { return s.MarkRead(conv_id, user, seq); },
      [this, id, req, conv_id, user](Result<int64_t> res) {
        Conn* conn = Find(id);
        if (!res.ok()) {
          if (conn) Error(*conn, req.id, res.status());
          return;
        }
        const auto& r = req.as<protocol::MsgRef>();
        if (conn) Reply(*conn, req, {{"conv", conv_id}, {"seq", *res}});
        Broadcast(r.conv,
                  MakeFrame(protocol::EncodeEvent(
                      "receipt", {{"conv", conv_id}, {"user", user}, {"seq", *res}})),
                  "receipt");
      });
  if (!queued) Error(c, req.id, Status::Unavailable("storage is overloaded; try again"));
}

void Hub::Impl::MsgReact(Conn& c, const Request& req) {
  const auto& m = req.as<protocol::MsgReact>();
  if (Status s = CheckMember(m.conv, c.user); !s.ok()) {
    Error(c, req.id, s);
    return;
  }
  ConnId id = c.id;
  std::string conv_id = m.conv.str();
  int64_t ts = clock.NowMs();
  bool queued = storage.Write<Done>(
      [conv_id, m, user = c.user, ts](storage::Store& s) -> Result<Done> {
        if (Status st = s.React(conv_id, m.seq, user, m.emoji, m.on, ts); !st.ok()) return st;
        return Done{};
      },
      [this, id, req, conv_id, user = c.user](Result<Done> res) {
        Conn* conn = Find(id);
        if (!res.ok()) {
          if (conn) Error(*conn, req.id, res.status());
          return;
        }
        const auto& r = req.as<protocol::MsgReact>();
        if (conn) Reply(*conn, req);
        Broadcast(r.conv,
                  MakeFrame(protocol::EncodeEvent("reaction", {{"conv", conv_id},
                                                               {"seq", r.seq},
                                                               {"user", user},
                                                               {"emoji", r.emoji},
                                                               {"on", r.on}})),
                  "reaction");
      });
  if (!queued) Error(c, req.id, Status::Unavailable("storage is overloaded; try again"));
}

void Hub::Impl::History(Conn& c, const Request& req) {
  const auto& h = req.as<protocol::History>();
  if (Status s = CheckMember(h.conv, c.user); !s.ok()) {
    Error(c, req.id, s);
    return;
  }
  ConnId id = c.id;
  std::string conv_id = h.conv.str();
  bool queued = storage.Read<std::vector<protocol::Message>>(
      [conv_id, h](storage::Store& s) { return s.History(conv_id, h.before, h.after, h.limit); },
      [this, id, req, conv_id](Result<std::vector<protocol::Message>> res) {
        Conn* conn = Find(id);
        if (!conn) return;
        if (!res.ok()) {
          Error(*conn, req.id, res.status());
          return;
        }
        Reply(*conn, req, {{"conv", conv_id}, {"messages", MessagesJson(*res)}});
      });
  if (!queued) Error(c, req.id, Status::Unavailable("storage is overloaded; try again"));
}

void Hub::Impl::Convs(Conn& c, const Request& req) {
  ConnId id = c.id;
  bool queued = storage.Read<std::vector<storage::ConvSummary>>(
      [user = c.user](storage::Store& s) { return s.Convs(user); },
      [this, id, req](Result<std::vector<storage::ConvSummary>> res) {
        Conn* conn = Find(id);
        if (!conn) return;
        if (!res.ok()) {
          Error(*conn, req.id, res.status());
          return;
        }
        Json convs = Json::array();
        for (const auto& s : *res) {
          Json one = {{"conv", s.conv},
                      {"last_seq", s.last_seq},
                      {"read_seq", s.read_seq},
                      {"unread", s.unread}};
          one["last"] = s.last ? protocol::MessageToJson(*s.last, false) : Json();
          convs.push_back(std::move(one));
        }
        Reply(*conn, req, {{"convs", std::move(convs)}});
      });
  if (!queued) Error(c, req.id, Status::Unavailable("storage is overloaded; try again"));
}

void Hub::Impl::Search(Conn& c, const Request& req) {
  const auto& q = req.as<protocol::Search>();
  std::string conv_id;
  if (q.conv) {
    if (Status s = CheckMember(*q.conv, c.user); !s.ok()) {
      Error(c, req.id, s);
      return;
    }
    conv_id = q.conv->str();
  }
  ConnId id = c.id;
  bool queued = storage.Read<std::vector<protocol::Message>>(
      [user = c.user, q, conv_id](storage::Store& s) {
        return s.Search(user, q.query, conv_id, q.limit);
      },
      [this, id, req](Result<std::vector<protocol::Message>> res) {
        Conn* conn = Find(id);
        if (!conn) return;
        if (!res.ok()) {
          Error(*conn, req.id, res.status());
          return;
        }
        Reply(*conn, req, {{"messages", MessagesJson(*res)}});
      });
  if (!queued) Error(c, req.id, Status::Unavailable("storage is overloaded; try again"));
}

void Hub::Impl::Sync(Conn& c, const Request& req) {
  const auto& s = req.as<protocol::Sync>();
  Json refused = Json::array();
  std::vector<std::pair<std::string, int64_t>> todo;
  for (const auto& [conv, seq] : s.positions) {
    if (CheckMember(conv, c.user).ok()) {
      todo.emplace_back(conv.str(), seq);
    } else {
      refused.push_back(conv.str());
    }
  }
  Json ok = Json::object();
  if (!refused.empty()) ok["forbidden"] = std::move(refused);
  Reply(c, req, std::move(ok));
  for (const auto& [conv, seq] : todo) StartCatchUp(c, conv, seq);
}

void Hub::Impl::StartCatchUp(Conn& c, const std::string& conv, int64_t since) {
  // One catch-up per conversation at a time; the running one ends with caught_up.
  if (c.catching_up.count(conv)) return;
  int64_t upto = state.LastSeq(conv);
  if (since >= upto) {
    SendRaw(c,
            protocol::EncodeEvent("caught_up",
                                  {{"conv", conv}, {"last_seq", upto}, {"complete", true}}),
            "caught_up");
    return;
  }
  c.catching_up[conv];
  FetchCatchUp(c.id, conv, since, upto);
}

void Hub::Impl::FetchCatchUp(ConnId id, const std::string& conv, int64_t after, int64_t upto) {
  int page = opt.catchup_page;
  bool queued = storage.Read<std::vector<protocol::Message>>(
      [conv, after, upto, page](storage::Store& s) {
        return s.History(conv, upto + 1, after, page);
      },
      [this, id, conv, after, upto, page](Result<std::vector<protocol::Message>> res) {
        Conn* c = Find(id);
        if (!c || c->closing) return;
        auto it = c->catching_up.find(conv);
        if (it == c->catching_up.end()) return;
        if (!res.ok()) {
          it->second.complete = false;
          Error(*c, nullptr, res.status());
          FinishCatchUp(*c, conv, upto);
          return;
        }
        int64_t expect = after + 1;
        for (const auto& m : *res) {
          if (m.seq != expect) it->second.complete = false;
          expect = m.seq + 1;
          SendRaw(*c, Dump(protocol::MessageToJson(m, true)), "msg");
        }
        int64_t last = res->empty() ? after : res->back().seq;
        if (static_cast<int>(res->size()) == page && last < upto) {
          FetchCatchUp(id, conv, last, upto);
          return;
        }
        if (last < upto) it->second.complete = false;
        FinishCatchUp(*c, conv, upto);
      });
  if (!queued) {
    if (Conn* c = Find(id)) {
      c->catching_up[conv].complete = false;
      Error(*c, nullptr, Status::Unavailable("storage is overloaded; catch-up cut short"));
      FinishCatchUp(*c, conv, upto);
    }
  }
}

void Hub::Impl::FinishCatchUp(Conn& c, const std::string& conv, int64_t upto) {
  auto node = c.catching_up.extract(conv);
  if (node.empty()) return;
  int64_t last = upto;
  for (auto& [seq, frame] : node.mapped().pending) {
    if (seq <= upto) continue;  // already sent from storage
    Send(c, frame, "msg");
    last = std::max(last, seq);
  }
  SendRaw(
      c,
      protocol::EncodeEvent(
          "caught_up", {{"conv", conv}, {"last_seq", last}, {"complete", node.mapped().complete}}),
      "caught_up");
}

}  // namespace smartlink::server

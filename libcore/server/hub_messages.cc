// Messages: msg.*, history, convs, search, sync, and catching a session up.

#include <algorithm>
#include <limits>

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

Hub::Impl::Completion Hub::Impl::ReplyTo(ConnId id, const Request& req) {
  return [this, id, req](Result<Json> res) {
    Conn* c = Find(id);
    if (!c) return;
    if (!res.ok()) {
      Error(*c, req.id, res.status());
    } else {
      Reply(*c, req, std::move(*res));
    }
  };
}

void Hub::Impl::PostMessage(storage::NewMessage nm, const ConvId& conv, PreWrite before,
                            Completion done) {
  bool new_direct = !conv.is_room() && !state.DirectKnown(nm.conv);
  bool queued = storage.Write<storage::Appended>(
      [nm = std::move(nm), conv, new_direct,
       before = std::move(before)](storage::Store& s) mutable -> Result<storage::Appended> {
        if (before) {
          if (Status st = before(s, nm); !st.ok()) return st;
        }
        if (new_direct) {
          for (const std::string* u : {&conv.user_a, &conv.user_b}) {
            if (Status st = s.AddMember(nm.conv, *u, "member", nm.ts); !st.ok()) return st;
          }
        }
        return s.AppendMessage(nm);
      },
      [this, conv, done](Result<storage::Appended> res) {
        if (!res.ok()) {
          done(res.status());
          return;
        }
        const protocol::Message& msg = res->message;
        Json ok = {{"conv", msg.conv}, {"seq", msg.seq}, {"msg_id", msg.msg_id}, {"ts", msg.ts}};
        if (res->duplicate) {
          ok["duplicate"] = true;
          done(std::move(ok));
          return;
        }
        metrics.messages_stored++;
        state.SetLastSeq(msg.conv, msg.seq);
        if (!conv.is_room() && !state.DirectKnown(msg.conv)) {
          state.AddMember(conv, conv.user_a, state::Role::kMember);
        }
        done(std::move(ok));  // the sender's ok goes before the event
        Broadcast(conv, MakeFrame(Dump(protocol::MessageToJson(msg, true))), "msg", 0, msg.seq);
        NotifyMentions(msg, conv);
      });
  if (!queued) done(Status::Unavailable("storage is overloaded; try again"));
}

Status Hub::Impl::CheckSend(const std::string& user, const ConvId& conv,
                            const std::optional<int64_t>& reply_to) {
  if (Status s = CheckMember(conv, user); !s.ok()) return s;
  if (reply_to && *reply_to > state.LastSeq(conv.str())) {
    return Status::NotFound("reply_to names no message in " + conv.str());
  }
  return Status::Ok();
}

storage::NewMessage Hub::Impl::NewMessageFor(const std::string& from, const ConvId& conv,
                                             const std::string& text) {
  storage::NewMessage nm;
  nm.conv = conv.str();
  nm.msg_id = crypto::RandomHex(8);
  nm.from = from;
  nm.text = text;
  nm.ts = clock.NowMs();
  return nm;
}

void Hub::Impl::MsgSend(Conn& c, const Request& req) {
  const auto& m = req.as<protocol::MsgSend>();
  auto conv = protocol::ParseTarget(m.to, c.user);
  if (!conv) {
    Error(c, req.id, Status::BadRequest("field 'to' must be #room or @user"));
    return;
  }
  if (Status s = CheckSend(c.user, *conv, m.reply_to); !s.ok()) {
    Error(c, req.id, s);
    return;
  }
  storage::NewMessage nm = NewMessageFor(c.user, *conv, m.text);
  nm.temp_id = m.temp_id;
  nm.reply_to = m.reply_to;
  PreWrite attach;
  if (!m.file_id.empty()) {
    // A stored file of the same conversation may be sent again (with a caption).
    attach = [file_id = m.file_id](storage::Store& s, storage::NewMessage& msg) -> Status {
      auto f = s.GetFile(file_id);
      if (!f.ok()) return f.status();
      if (f->conv != msg.conv)
        return Status::Forbidden("file " + file_id + " is not in " + msg.conv);
      if (f->expires_ts > 0 && msg.ts >= f->expires_ts)
        return Status::NotFound("file " + file_id + " expired");
      msg.file = protocol::FileRef{f->file_id, f->name, f->mime, f->size};
      return Status::Ok();
    };
  }
  PostMessage(std::move(nm), *conv, std::move(attach), ReplyTo(c.id, req));
}

void Hub::Impl::WriteThenBroadcast(ConnId id, const Request& req, const ConvId& conv,
                                   std::function<Status(storage::Store&)> apply, const char* type,
                                   Json event) {
  bool queued = storage.Write<Done>(
      [apply = std::move(apply)](storage::Store& s) -> Result<Done> {
        if (Status st = apply(s); !st.ok()) return st;
        return Done{};
      },
      [this, id, req, conv, type, event = std::move(event)](Result<Done> res) mutable {
        Conn* c = Find(id);
        if (!res.ok()) {
          if (c) Error(*c, req.id, res.status());
          return;
        }
        if (c) Reply(*c, req);
        Broadcast(conv, MakeFrame(protocol::EncodeEvent(type, std::move(event))), type);
      });
  if (!queued) {
    if (Conn* c = Find(id)) Error(*c, req.id, Status::Unavailable("storage is overloaded"));
  }
}

void Hub::Impl::MsgEdit(Conn& c, const Request& req) {
  const auto& m = req.as<protocol::MsgEdit>();
  if (Status s = CheckMember(m.conv, c.user); !s.ok()) {
    Error(c, req.id, s);
    return;
  }
  int64_t ts = clock.NowMs();
  std::string conv_id = m.conv.str();
  WriteThenBroadcast(c.id, req, m.conv,
                     [conv_id, seq = m.seq, user = c.user, text = m.text, ts](storage::Store& s) {
                       return s.EditMessage(conv_id, seq, user, text, ts);
                     },
                     "msg.edited",
                     {{"conv", conv_id}, {"seq", m.seq}, {"text", m.text}, {"edited_ts", ts}});
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
  std::string conv_id = m.conv.str();
  WriteThenBroadcast(c.id, req, m.conv,
                     [conv_id, seq = m.seq, user = c.user, moderator](storage::Store& s) {
                       return s.DeleteMessage(conv_id, seq, user, moderator);
                     },
                     "msg.deleted", {{"conv", conv_id}, {"seq", m.seq}});
}

void Hub::Impl::MsgReact(Conn& c, const Request& req) {
  const auto& m = req.as<protocol::MsgReact>();
  if (Status s = CheckMember(m.conv, c.user); !s.ok()) {
    Error(c, req.id, s);
    return;
  }
  std::string conv_id = m.conv.str();
  int64_t ts = clock.NowMs();
  WriteThenBroadcast(
      c.id, req, m.conv,
      [conv_id, m, user = c.user, ts](storage::Store& s) {
        return s.React(conv_id, m.seq, user, m.emoji, m.on, ts);
      },
      "reaction",
      {{"conv", conv_id}, {"seq", m.seq}, {"user", c.user}, {"emoji", m.emoji}, {"on", m.on}});
}

void Hub::Impl::MarkRead(const std::string& user, const ConvId& conv, int64_t seq,
                         Completion done) {
  if (Status s = CheckMember(conv, user); !s.ok()) {
    done(s);
    return;
  }
  std::string conv_id = conv.str();
  int64_t last = state.LastSeq(conv_id);
  if (last <= 0) {  // nothing to read yet
    done(Json{{"conv", conv_id}, {"seq", 0}});
    return;
  }
  // A read position never goes back, and the answer is the one stored: for 0, the
  // position the user had (found by the same statement, which then changes nothing).
  seq = std::clamp<int64_t>(seq, 0, last);
  bool moves = seq > 0;
  bool queued = storage.Write<int64_t>(
      [conv_id, user, seq](storage::Store& s) { return s.MarkRead(conv_id, user, seq); },
      [this, conv, conv_id, user, done, moves](Result<int64_t> res) {
        if (!res.ok()) {
          done(res.status());
          return;
        }
        done(Json{{"conv", conv_id}, {"seq", *res}});
        if (!moves) return;
        Broadcast(conv,
                  MakeFrame(protocol::EncodeEvent(
                      "receipt", {{"conv", conv_id}, {"user", user}, {"seq", *res}})),
                  "receipt");
      });
  if (!queued) done(Status::Unavailable("storage is overloaded; try again"));
}

void Hub::Impl::MsgRead(Conn& c, const Request& req) {
  const auto& m = req.as<protocol::MsgRef>();
  MarkRead(c.user, m.conv, m.seq, ReplyTo(c.id, req));
}

void Hub::Impl::ReadHistory(const std::string& user, const protocol::History& h, Completion done) {
  if (Status s = CheckMember(h.conv, user); !s.ok()) {
    done(s);
    return;
  }
  std::string conv_id = h.conv.str();
  bool queued = storage.Read<std::vector<protocol::Message>>(
      [conv_id, h](storage::Store& s) { return s.History(conv_id, h.before, h.after, h.limit); },
      [conv_id, done](Result<std::vector<protocol::Message>> res) {
        if (!res.ok()) {
          done(res.status());
          return;
        }
        done(Json{{"conv", conv_id}, {"messages", MessagesJson(*res)}});
      });
  if (!queued) done(Status::Unavailable("storage is overloaded; try again"));
}

void Hub::Impl::History(Conn& c, const Request& req) {
  ReadHistory(c.user, req.as<protocol::History>(), ReplyTo(c.id, req));
}

void Hub::Impl::ReadConvs(const std::string& user, Completion done) {
  bool queued = storage.Read<std::vector<storage::ConvSummary>>(
      [user](storage::Store& s) { return s.Convs(user); },
      [done](Result<std::vector<storage::ConvSummary>> res) {
        if (!res.ok()) {
          done(res.status());
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
        done(Json{{"convs", std::move(convs)}});
      });
  if (!queued) done(Status::Unavailable("storage is overloaded; try again"));
}

void Hub::Impl::Convs(Conn& c, const Request& req) { ReadConvs(c.user, ReplyTo(c.id, req)); }

void Hub::Impl::ReadSearch(const std::string& user, const protocol::Search& q, Completion done) {
  std::string conv_id = q.conv ? q.conv->str() : "";
  // Messages reach the full-text index after their commit (StorageWorker runs IndexMessages
  // between batches, at most every 50 ms). A write queued now runs after every message
  // acknowledged so far and indexes what is left, so the search that follows finds them all.
  // It runs in a transaction of its own: indexing a backlog does not slow anyone's msg.send,
  // and if it fails, only this search fails.
  bool queued = storage.WriteAlone<bool>(
      [](storage::Store& s) { return s.IndexMessages(std::numeric_limits<int64_t>::max()); },
      [this, user, q, conv_id, done](Result<bool> indexed) {
        if (!indexed.ok()) {
          done(indexed.status());
          return;
        }
        // Checked now, after the writes queued before the search: a direct conversation
        // that the user's msg.send right before it started counts.
        if (q.conv) {
          if (Status s = CheckMember(*q.conv, user); !s.ok()) {
            done(s);
            return;
          }
        }
        bool read_queued = storage.Read<std::vector<protocol::Message>>(
            [user, q, conv_id](storage::Store& s) {
              return s.Search(user, q.query, conv_id, q.limit);
            },
            [done](Result<std::vector<protocol::Message>> res) {
              if (!res.ok()) {
                done(res.status());
                return;
              }
              done(Json{{"messages", MessagesJson(*res)}});
            });
        if (!read_queued) done(Status::Unavailable("storage is overloaded; try again"));
      });
  if (!queued) done(Status::Unavailable("storage is overloaded; try again"));
}

void Hub::Impl::Search(Conn& c, const Request& req) {
  ReadSearch(c.user, req.as<protocol::Search>(), ReplyTo(c.id, req));
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
  if (todo.empty() && !refused.empty()) {
    // Nothing it may read: the request is refused, as every other read of a conversation
    // one is not in. With some it may read, those are caught up and the rest listed.
    Error(c, req.id, Status::Forbidden("not a member of " + refused[0].get<std::string>()));
    return;
  }
  Json ok = Json::object();
  if (!refused.empty()) ok["forbidden"] = std::move(refused);
  Reply(c, req, std::move(ok));
  for (const auto& [conv, seq] : todo) StartCatchUp(c, conv, seq);
}

void Hub::Impl::StartCatchUp(Conn& c, const std::string& conv, int64_t since) {
  // One catch-up per conversation at a time: one asked for while another runs starts when
  // that one has sent its caught_up (from the lowest position asked meanwhile).
  if (auto running = c.catching_up.find(conv); running != c.catching_up.end()) {
    auto& again = running->second.again;
    again = again ? std::min(*again, since) : since;
    return;
  }
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
          NextCatchUpPage(id, conv, last, upto);
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

// Paced by how fast the reader takes what was sent: the next page is read once its queue
// is below the soft bound, so a reader that stops reading stops its catch-up too (and the
// live messages held behind it are bounded by max_catchup_pending).
void Hub::Impl::NextCatchUpPage(ConnId id, const std::string& conv, int64_t after, int64_t upto) {
  if (transport.BufferedBytes(id) <= opt.send_queue_soft) {
    FetchCatchUp(id, conv, after, upto);
    return;
  }
  transport.After(20, [this, id, conv, after, upto] {
    Conn* c = Find(id);
    if (c && !c->closing && c->catching_up.count(conv)) NextCatchUpPage(id, conv, after, upto);
  });
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
  if (node.mapped().again && !c.closing) StartCatchUp(c, conv, *node.mapped().again);
}

}  // namespace smartlink::server

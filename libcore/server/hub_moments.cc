// Moments, a social feed: follow, post, edit, delete, like, comment, feed.

#include "hub_impl.h"

namespace smartlink::server {

namespace {

Json MomentJson(const storage::MomentRecord& m) {
  Json comments = Json::array();
  for (const auto& c : m.comments) {
    comments.push_back(
        {{"comment_id", c.comment_id}, {"user", c.user}, {"text", c.text}, {"ts", c.ts}});
  }
  Json j = {{"moment_id", m.moment_id},
            {"author", m.author},
            {"text", m.text},
            {"file_ids", m.file_ids},
            {"ts", m.ts},
            {"likes", m.likes},
            {"liked", m.liked},
            {"comments", std::move(comments)}};
  if (m.edited_ts) j["edited_ts"] = *m.edited_ts;
  return j;
}

}  // namespace

void Hub::Impl::ToFollowers(const std::string& author, const FramePtr& frame, const char* type) {
  SendToUser(author, frame, type);
  auto it = followers.find(author);
  if (it == followers.end()) return;
  for (const std::string& f : it->second) SendToUser(f, frame, type);
}

void Hub::Impl::FollowReq(Conn& c, const Request& req) {
  const std::string user = req.as<protocol::UserRef>().user;
  bool on = req.op == protocol::Op::kFollow;
  if (user == c.user) {
    Error(c, req.id, Status::BadRequest("you cannot follow yourself"));
    return;
  }
  if (on && following[c.user] >= opt.max_follows_per_user) {
    Error(c, req.id, Status::Conflict("you follow the most people allowed"));
    return;
  }
  int64_t ts = clock.NowMs();
  ConnId id = c.id;
  std::string me = c.user;
  bool queued = storage.Write<Done>(
      [me, user, on, ts](storage::Store& s) -> Result<Done> {
        if (Status st = s.SetFollow(me, user, on, ts); !st.ok()) return st;
        return Done{};
      },
      [this, id, req, me, user, on](Result<Done> res) {
        if (res.ok()) {
          if (on) {
            if (followers[user].insert(me).second) following[me]++;
          } else if (auto it = followers.find(user); it != followers.end()) {
            if (it->second.erase(me) && --following[me] == 0) following.erase(me);
            if (it->second.empty()) followers.erase(it);
          }
        }
        Completion reply = ReplyTo(id, req);
        if (!res.ok()) {
          reply(res.status());
        } else {
          reply(Json{{"user", user}, {"following", on}});
        }
      });
  if (!queued) Error(c, req.id, Status::Unavailable("storage is overloaded; try again"));
}

void Hub::Impl::MomentPost(Conn& c, const Request& req) {
  const auto& m = req.as<protocol::MomentPost>();
  int64_t ts = clock.NowMs();
  ConnId id = c.id;
  std::string author = c.user;
  bool queued = storage.Write<int64_t>(
      [author, m, ts](storage::Store& s) -> Result<int64_t> {
        for (const std::string& file_id : m.file_ids) {
          auto f = s.GetFile(file_id);
          if (!f.ok()) return f.status();
          if (f->uploader != author) {
            return Status::Forbidden("a moment may carry only files its author uploaded");
          }
          if (f->expires_ts > 0 && ts >= f->expires_ts) {
            return Status::NotFound("file " + file_id + " expired");
          }
        }
        return s.InsertMoment(author, m.text, m.file_ids, ts);
      },
      [this, id, req, author, ts](Result<int64_t> res) {
        Completion reply = ReplyTo(id, req);
        if (!res.ok()) {
          reply(res.status());
          return;
        }
        const auto& post = req.as<protocol::MomentPost>();
        reply(Json{{"moment_id", *res}, {"ts", ts}});
        Json ev = {{"moment_id", *res},
                   {"author", author},
                   {"text", post.text},
                   {"file_ids", post.file_ids},
                   {"ts", ts}};
        ToFollowers(author, MakeFrame(protocol::EncodeEvent("moment", std::move(ev))), "moment");
      });
  if (!queued) Error(c, req.id, Status::Unavailable("storage is overloaded; try again"));
}

void Hub::Impl::MomentChange(Conn& c, const Request& req) {
  bool edit = req.op == protocol::Op::kMomentEdit;
  int64_t moment_id =
      edit ? req.as<protocol::MomentEdit>().moment_id : req.as<protocol::MomentRef>().moment_id;
  std::string text = edit ? req.as<protocol::MomentEdit>().text : "";
  int64_t ts = clock.NowMs();
  ConnId id = c.id;
  std::string author = c.user;
  bool queued = storage.Write<Done>(
      [moment_id, author, text, ts, edit](storage::Store& s) -> Result<Done> {
        Status st =
            edit ? s.EditMoment(moment_id, author, text, ts) : s.DeleteMoment(moment_id, author);
        if (!st.ok()) return st;
        return Done{};
      },
      [this, id, req, moment_id, author, text, ts, edit](Result<Done> res) {
        Completion reply = ReplyTo(id, req);
        if (!res.ok()) {
          reply(res.status());
          return;
        }
        reply(Json{{"moment_id", moment_id}});
        Json ev = {{"moment_id", moment_id}, {"author", author}};
        if (edit) {
          ev["text"] = text;
          ev["edited_ts"] = ts;
        }
        const char* type = edit ? "moment.edited" : "moment.deleted";
        ToFollowers(author, MakeFrame(protocol::EncodeEvent(type, std::move(ev))), type);
      });
  if (!queued) Error(c, req.id, Status::Unavailable("storage is overloaded; try again"));
}

void Hub::Impl::MomentReact(Conn& c, const Request& req) {
  bool like = req.op == protocol::Op::kMomentLike;
  int64_t moment_id =
      like ? req.as<protocol::MomentLike>().moment_id : req.as<protocol::MomentComment>().moment_id;
  bool on = like ? req.as<protocol::MomentLike>().on : true;
  std::string text = like ? "" : req.as<protocol::MomentComment>().text;
  int64_t ts = clock.NowMs();
  ConnId id = c.id;
  std::string user = c.user;
  bool queued = storage.Write<storage::MomentTouch>(
      [moment_id, user, on, text, ts, like](storage::Store& s) {
        return like ? s.LikeMoment(moment_id, user, on, ts)
                    : s.AddComment(moment_id, user, text, ts);
      },
      [this, id, req, moment_id, user, on, text, like](Result<storage::MomentTouch> res) {
        Completion reply = ReplyTo(id, req);
        if (!res.ok()) {
          reply(res.status());
          return;
        }
        Json ok = {{"moment_id", moment_id}};
        if (like) ok["on"] = on;
        if (!like) ok["comment_id"] = res->comment_id;
        reply(std::move(ok));
        if (!res->changed || res->author == user || (like && !on)) return;
        Json data = {{"moment_id", moment_id}, {"user", user}};
        if (like) {
          Notify(res->author, "like", user + " liked your moment", "", std::move(data));
        } else {
          data["comment_id"] = res->comment_id;
          Notify(res->author, "comment", user + " commented on your moment",
                 TruncateUtf8(text, 200), std::move(data));
        }
      });
  if (!queued) Error(c, req.id, Status::Unavailable("storage is overloaded; try again"));
}

void Hub::Impl::MomentFeed(Conn& c, const Request& req) {
  const auto& f = req.as<protocol::MomentFeed>();
  Completion reply = ReplyTo(c.id, req);
  bool queued = storage.Read<std::vector<storage::MomentRecord>>(
      [viewer = c.user, f](storage::Store& s) { return s.Feed(viewer, f.before, f.limit); },
      [reply](Result<std::vector<storage::MomentRecord>> res) {
        if (!res.ok()) {
          reply(res.status());
          return;
        }
        Json moments = Json::array();
        for (const auto& m : *res) moments.push_back(MomentJson(m));
        reply(Json{{"moments", std::move(moments)}});
      });
  if (!queued) reply(Status::Unavailable("storage is overloaded; try again"));
}

}  // namespace smartlink::server

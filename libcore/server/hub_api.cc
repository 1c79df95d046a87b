// The REST API under /api/v1/, for clients (a user's bearer token) and for the application's
// backend (the admin key).

#include "hub_impl.h"
#include "smartlink/auth/jwt.h"
#include "smartlink/util/crypto.h"

namespace smartlink::server {

namespace {

HttpResponse JsonReply(int status, const Json& body) {
  HttpResponse r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
  return r;
}

HttpResponse ErrorReply(const Status& s) {
  return JsonReply(HttpStatusFor(s.code()), {{"error", s.code_name()}, {"message", s.message()}});
}

// Reads an optional integer query parameter >= min.
Status QueryInt(const HttpRequest& req, const char* name, int64_t min,
                std::optional<int64_t>* out) {
  auto it = req.query.find(name);
  if (it == req.query.end() || it->second.empty()) return Status::Ok();
  const std::string& v = it->second;
  int64_t x = 0;
  bool ok = v.size() <= 18;
  for (char c : v) ok = ok && c >= '0' && c <= '9' && ((x = x * 10 + (c - '0')), true);
  if (!ok || x < min) {
    return Status::BadRequest(std::string("parameter '") + name +
                              "' must be an integer of at least " + std::to_string(min));
  }
  *out = x;
  return Status::Ok();
}

std::string QueryStr(const HttpRequest& req, const char* name) {
  auto it = req.query.find(name);
  return it == req.query.end() ? std::string() : it->second;
}

Json StatsJson(const storage::Stats& s) {
  return {{"messages", s.messages},
          {"conversations", s.conversations},
          {"rooms", s.rooms},
          {"files", s.files},
          {"moments", s.moments}};
}

}  // namespace

int HttpStatusFor(Code code) {
  switch (code) {
    case Code::kOk:
      return 200;
    case Code::kBadRequest:
      return 400;
    case Code::kUnauthenticated:
      return 401;
    case Code::kForbidden:
      return 403;
    case Code::kNotFound:
      return 404;
    case Code::kConflict:
      return 409;
    case Code::kTooLarge:
      return 413;
    case Code::kRateLimited:
      return 429;
    case Code::kUnavailable:
      return 503;
    case Code::kInternal:
      return 500;
  }
  return 500;
}

Result<Hub::Impl::HttpCaller> Hub::Impl::HttpAuth(const HttpRequest& req) const {
  std::string authz = req.Header("authorization");
  std::string bearer;
  if (authz.size() > 7 &&
      (authz.compare(0, 7, "Bearer ") == 0 || authz.compare(0, 7, "bearer ") == 0)) {
    bearer = authz.substr(7);
    while (!bearer.empty() && bearer.back() == ' ') bearer.pop_back();
  }
  if (!opt.admin_key.empty()) {
    std::string key = req.Header("x-admin-key");
    if (crypto::ConstantTimeEqual(bearer, opt.admin_key) ||
        crypto::ConstantTimeEqual(key, opt.admin_key)) {
      return HttpCaller{"", true};
    }
    if (!key.empty()) return Status::Unauthenticated("wrong admin key");
  }
  if (!bearer.empty() && opt.verifier) {
    auto claims = opt.verifier->Verify(bearer, clock.NowMs());
    if (!claims.ok()) return claims.status();
    return HttpCaller{claims->sub, false};
  }
  if (opt.open_auth) {
    std::string user = QueryStr(req, "user");
    if (user.empty()) user = req.Header("x-smartlink-user");
    if (protocol::IsReservedUserId(user)) {
      return Status::Unauthenticated("user 'system' is reserved for the server's own messages");
    }
    if (protocol::IsValidUserId(user)) return HttpCaller{user, false};
  }
  return Status::Unauthenticated(opt.open_auth && !opt.verifier
                                     ? "name the user with ?user= (open auth)"
                                     : "send Authorization: Bearer <token>");
}

void Hub::Impl::Api(const HttpRequest& req, HttpResponder respond) {
  auto caller = HttpAuth(req);
  if (!caller.ok()) {
    HttpResponse r = ErrorReply(caller.status());
    r.headers.emplace_back("WWW-Authenticate", "Bearer");
    respond(std::move(r));
    return;
  }
  std::string route = req.path.substr(std::string("/api/v1/").size());
  auto shared = std::make_shared<HttpResponder>(std::move(respond));
  Completion done = [shared](Result<Json> res) {
    (*shared)(res.ok() ? JsonReply(200, *res) : ErrorReply(res.status()));
  };
  bool get = req.method == "GET" || req.method == "HEAD";
  bool post = req.method == "POST";
  Json body;
  if (post) {
    body = Json::parse(req.body.empty() ? "{}" : req.body, nullptr, false);
    if (body.is_discarded() || !body.is_object() ||
        protocol::JsonDepth(req.body) > opt.codec.max_depth) {
      done(Status::BadRequest("the body must be a JSON object"));
      return;
    }
  }
  auto needs_user = [&]() -> bool {
    if (!caller->admin) return true;
    done(Status::BadRequest("this endpoint acts as a user: send a user's token"));
    return false;
  };
  auto needs_admin = [&]() -> bool {
    if (caller->admin) return true;
    done(Status::Forbidden("this endpoint needs the admin key"));
    return false;
  };
  auto wrong_method = [&](const char* allowed) {
    HttpResponse r = ErrorReply(Status::BadRequest(std::string("use ") + allowed));
    r.status = 405;
    r.headers.emplace_back("Allow", allowed);
    (*shared)(std::move(r));
  };

  if (route == "history") {
    if (!get) return wrong_method("GET");
    if (!needs_user()) return;
    protocol::History h;
    auto conv = protocol::ParseConv(QueryStr(req, "conv"));
    if (!conv) return done(Status::BadRequest("parameter 'conv' must be #room or @a,b"));
    h.conv = *conv;
    std::optional<int64_t> limit;
    for (Status s : {QueryInt(req, "before", 1, &h.before), QueryInt(req, "after", 0, &h.after),
                     QueryInt(req, "limit", 1, &limit)}) {
      if (!s.ok()) return done(s);
    }
    h.limit = static_cast<int>(std::min<int64_t>(limit.value_or(50), 200));
    ReadHistory(caller->user, h, done);
  } else if (route == "convs") {
    if (!get) return wrong_method("GET");
    if (!needs_user()) return;
    ReadConvs(caller->user, done);
  } else if (route == "search") {
    if (!get) return wrong_method("GET");
    if (!needs_user()) return;
    protocol::Search q;
    q.query = QueryStr(req, "q");
    if (q.query.empty() || q.query.size() > 256) {
      return done(Status::BadRequest("parameter 'q' must be 1 to 256 bytes"));
    }
    if (std::string c = QueryStr(req, "conv"); !c.empty()) {
      q.conv = protocol::ParseConv(c);
      if (!q.conv) return done(Status::BadRequest("parameter 'conv' must be #room or @a,b"));
    }
    std::optional<int64_t> limit;
    if (Status s = QueryInt(req, "limit", 1, &limit); !s.ok()) return done(s);
    q.limit = static_cast<int>(std::min<int64_t>(limit.value_or(20), 100));
    ReadSearch(caller->user, q, done);
  } else if (route == "stats") {
    if (!get) return wrong_method("GET");
    std::string user = caller->user;
    Json live = caller->admin ? Json{{"connections", conns.size()},
                                     {"users_online", state.online_users()},
                                     {"live_streams", streams.size()},
                                     {"uploads", uploads.size()}}
                              : Json();
    storage.Read<storage::Stats>([user](storage::Store& s) { return s.GetStats(user); },
                                 [done, user, live](Result<storage::Stats> res) {
                                   if (!res.ok()) return done(res.status());
                                   Json j = StatsJson(*res);
                                   if (user.empty()) {
                                     j["users"] = res->users;
                                     for (auto& [k, v] : live.items()) j[k] = v;
                                   } else {
                                     j["user"] = user;
                                   }
                                   done(std::move(j));
                                 });
  } else if (route == "read") {
    if (!post) return wrong_method("POST");
    if (!needs_user()) return;
    auto conv = protocol::ParseConv(body.value("conv", ""));
    if (!conv) return done(Status::BadRequest("field 'conv' must be #room or @a,b"));
    if (!body.contains("seq") || !body["seq"].is_number_integer() ||
        body["seq"].get<int64_t>() < 0) {
      return done(Status::BadRequest("field 'seq' must be an integer of 0 or more"));
    }
    MarkRead(caller->user, *conv, body["seq"].get<int64_t>(), done);
  } else if (route == "publish") {
    if (!post) return wrong_method("POST");
    if (!needs_admin()) return;
    std::string from = body.value("from", "system");
    if (!body.value("from", Json()).is_null() && !body["from"].is_string()) {
      return done(Status::BadRequest("field 'from' must be a user id"));
    }
    if (!protocol::IsValidUserId(from))
      return done(Status::BadRequest("field 'from' must be a user id"));
    std::string to = body.contains("conv") ? body.value("conv", "") : body.value("to", "");
    auto conv = protocol::ParseTarget(to, from);
    if (!conv) return done(Status::BadRequest("field 'conv' (or 'to') must be #room or @a,b"));
    if (!body.contains("text") || !body["text"].is_string() ||
        body["text"].get_ref<const std::string&>().empty()) {
      return done(Status::BadRequest("field 'text' must be a non-empty string"));
    }
    const std::string& text = body["text"].get_ref<const std::string&>();
    if (text.size() > opt.codec.max_text_bytes) return done(Status::TooLarge("text is too long"));
    if (conv->is_room() && !state.FindRoom(conv->room)) {
      return done(Status::NotFound("no room " + conv->room));
    }
    // A user posts only where they belong; the system posts anywhere.
    if (from != "system") {
      if (Status s = CheckMember(*conv, from); !s.ok()) return done(s);
    }
    storage::NewMessage nm = NewMessageFor(from, *conv, text);
    nm.temp_id = body.value("temp_id", "");
    PostMessage(std::move(nm), *conv, nullptr, done);
  } else if (route == "notify") {
    if (!post) return wrong_method("POST");
    if (!needs_admin()) return;
    std::string user = body.value("user", "");
    if (!protocol::IsValidUserId(user))
      return done(Status::BadRequest("field 'user' must be a user id"));
    if (!body.contains("title") || !body["title"].is_string()) {
      return done(Status::BadRequest("field 'title' must be a string"));
    }
    std::string title = TruncateUtf8(body["title"].get<std::string>(), 256);
    std::string text = body.contains("body") && body["body"].is_string()
                           ? TruncateUtf8(body["body"].get<std::string>(), opt.codec.max_text_bytes)
                           : "";
    std::string kind =
        body.contains("kind") && body["kind"].is_string() ? body["kind"].get<std::string>() : "app";
    if (!protocol::IsValidName(kind))
      return done(Status::BadRequest("field 'kind' must be a short name"));
    Json data = body.contains("data") ? body["data"] : Json();
    Notify(user, kind, title, text, std::move(data), done);
  } else if (route == "disconnect") {
    if (!post) return wrong_method("POST");
    if (!needs_admin()) return;
    std::string user = body.value("user", "");
    if (!protocol::IsValidUserId(user))
      return done(Status::BadRequest("field 'user' must be a user id"));
    std::vector<ConnId> sessions = state.SessionsOf(user);
    for (ConnId id : sessions) {
      if (Conn* c = Find(id)) {
        Error(*c, nullptr, Status::Unauthenticated("disconnected by the server"));
        CloseConn(*c, 4003, "disconnected by the server");
      }
    }
    done(Json{{"user", user}, {"sessions", sessions.size()}});
  } else {
    done(Status::NotFound("no API endpoint " + req.path.substr(0, 100)));
  }
}

}  // namespace smartlink::server

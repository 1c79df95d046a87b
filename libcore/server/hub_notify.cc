// Notifications: mentions, moment likes and comments, and the backend's HTTP publish.
// Every notification is stored first; a user who is online gets it at once, anyone else at
// their next session.

#include <set>

#include "hub_impl.h"

namespace smartlink::server {

namespace {

constexpr size_t kBodyBytes = 200;
constexpr int kPendingPage = 200;

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

Json NotificationJson(const storage::NotificationRecord& n) {
  Json j = {{"id", n.id}, {"kind", n.kind}, {"title", n.title}, {"body", n.body}, {"ts", n.ts}};
  if (!n.data_json.empty()) {
    Json data = Json::parse(n.data_json, nullptr, false);
    if (!data.is_discarded()) j["data"] = std::move(data);
  }
  return j;
}

}  // namespace

// Sends the notification to every session of its user unless it went out already.
void Hub::Impl::SendNotification(const storage::NotificationRecord& n) {
  int64_t& upto = notified_upto[n.user];
  if (n.id <= upto) return;
  upto = n.id;
  SendToUser(n.user, MakeFrame(protocol::EncodeEvent("notification", NotificationJson(n))),
             "notification");
}

void Hub::Impl::Notify(const std::string& user, const std::string& kind, const std::string& title,
                       const std::string& body, Json data, Completion done) {
  storage::NotificationRecord n;
  n.user = user;
  n.kind = kind;
  n.title = title;
  n.body = body;
  n.data_json = data.is_null() ? "" : data.dump(-1, ' ', false, Json::error_handler_t::replace);
  n.ts = clock.NowMs();
  bool queued = storage.Write<int64_t>(
      [n](storage::Store& s) { return s.InsertNotification(n, false); },
      [this, n, done](Result<int64_t> id) mutable {
        if (!id.ok()) {
          log("warn", "notification for " + n.user + " not stored: " + id.status().message());
          if (done) done(id.status());
          return;
        }
        n.id = *id;
        bool online = state.IsOnline(n.user);
        if (!online) pending_users.insert(n.user);
        if (online) {
          SendNotification(n);
          storage.Write<Done>(
              [user = n.user, upto = n.id](storage::Store& s) -> Result<Done> {
                if (Status st = s.MarkDelivered(user, upto); !st.ok()) return st;
                return Done{};
              },
              [](Result<Done>) {});
        }
        if (done) done(Json{{"id", n.id}, {"delivered", online}});
      });
  if (!queued && done) done(Status::Unavailable("storage is overloaded; try again"));
}

void Hub::Impl::DeliverPending(const std::string& user) {
  if (pending_users.count(user) == 0) return;
  storage.Read<std::vector<storage::NotificationRecord>>(
      [user](storage::Store& s) { return s.PendingNotifications(user, kPendingPage); },
      [this, user](Result<std::vector<storage::NotificationRecord>> res) {
        if (!res.ok() || !state.IsOnline(user)) return;  // kept for the next session
        bool more = static_cast<int>(res->size()) == kPendingPage;
        // Everything stored before this read is in it (or in the next page); what is stored
        // from now on finds the user online, or puts them back in the set.
        if (!more) pending_users.erase(user);
        if (res->empty()) return;
        int64_t upto = 0;
        for (const auto& n : *res) {
          SendNotification(n);
          upto = n.id;
        }
        storage.Write<Done>(
            [user, upto](storage::Store& s) -> Result<Done> {
              if (Status st = s.MarkDelivered(user, upto); !st.ok()) return st;
              return Done{};
            },
            [this, user, more](Result<Done> r) {
              if (r.ok() && more) DeliverPending(user);
            });
      });
}

void Hub::Impl::NotifyMentions(const protocol::Message& msg, const ConvId& conv) {
  if (!conv.is_room()) return;  // a direct message reaches its reader anyway
  const state::Room* room = state.FindRoom(conv.room);
  if (!room || room->record.e2e || msg.text.find('@') == std::string::npos) return;
  std::set<std::string> mentioned;
  const std::string& t = msg.text;
  for (size_t i = 0; i < t.size(); ++i) {
    if (t[i] != '@' || (i > 0 && IsNameChar(t[i - 1]))) continue;
    size_t end = i + 1;
    while (end < t.size() && IsNameChar(t[end]) && end - i <= protocol::kMaxNameLength) ++end;
    std::string name = t.substr(i + 1, end - i - 1);
    // "@alice." at the end of a sentence names alice.
    while (!name.empty() && !room->members.count(name) &&
           (name.back() == '.' || name.back() == '-')) {
      name.pop_back();
    }
    if (!name.empty() && name != msg.from && room->members.count(name)) mentioned.insert(name);
    i = end - 1;
  }
  for (const std::string& user : mentioned) {
    Notify(user, "mention", msg.from + " mentioned you in #" + conv.room,
           TruncateUtf8(msg.text, kBodyBytes),
           {{"conv", msg.conv}, {"seq", msg.seq}, {"msg_id", msg.msg_id}, {"from", msg.from}});
  }
}

}  // namespace smartlink::server

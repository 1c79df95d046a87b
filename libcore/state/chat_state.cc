#include "smartlink/state/chat_state.h"

#include <algorithm>
#include <cassert>
#include <unordered_set>

namespace smartlink::state {

using protocol::ConvId;

const char* RoleName(Role r) { return r == Role::kOwner ? "owner" : "member"; }

void ChatState::Load(std::vector<storage::RoomRecord> rooms,
                     std::vector<storage::MemberRecord> members,
                     std::vector<storage::ConvRecord> convs) {
  for (auto& r : rooms) {
    auto room = std::make_unique<Room>();
    std::string name = r.name;
    room->record = std::move(r);
    rooms_by_key_[room->record.join_key] = room.get();
    owned_[room->record.owner]++;
    rooms_[name] = std::move(room);
  }
  for (auto& m : members) {
    auto conv = protocol::ParseConv(m.conv);
    if (!conv) continue;
    if (conv->is_room() && !FindRoom(conv->room)) continue;
    AddMember(*conv, m.user, m.role == "owner" ? Role::kOwner : Role::kMember);
  }
  for (auto& c : convs) SetLastSeq(c.conv, c.last_seq);
}

Room* ChatState::FindRoom(std::string_view name) {
  auto it = rooms_.find(std::string(name));
  return it == rooms_.end() ? nullptr : it->second.get();
}

Room* ChatState::FindRoomByKey(std::string_view join_key) {
  auto it = rooms_by_key_.find(std::string(join_key));
  return it == rooms_by_key_.end() ? nullptr : it->second;
}

Room& ChatState::AddRoom(storage::RoomRecord record) {
  // Callers add only rooms storage created (names are unique there).
  assert(!FindRoom(record.name));
  auto room = std::make_unique<Room>();
  std::string name = record.name;
  std::string owner = record.owner;
  room->record = std::move(record);
  rooms_by_key_[room->record.join_key] = room.get();
  owned_[owner]++;
  Room& ref = *room;
  rooms_[name] = std::move(room);
  AddMember(ConvId{ConvId::Kind::kRoom, name, {}, {}}, owner, Role::kOwner);
  return ref;
}

size_t ChatState::RoomsOwnedBy(const std::string& user) const {
  auto it = owned_.find(user);
  return it == owned_.end() ? 0 : it->second;
}

bool ChatState::IsMember(const ConvId& conv, std::string_view user) const {
  if (!conv.is_room()) return conv.HasUser(user);
  auto it = rooms_.find(conv.room);
  return it != rooms_.end() && it->second->members.count(std::string(user)) > 0;
}

void ChatState::AddMember(const ConvId& conv, const std::string& user, Role role) {
  if (conv.is_room()) {
    Room* room = FindRoom(conv.room);
    if (!room) return;
    room->members.emplace(user, role);
    convs_of_[user].insert(conv.str());
  } else {
    std::string id = conv.str();
    direct_.insert(id);
    convs_of_[conv.user_a].insert(id);
    convs_of_[conv.user_b].insert(id);
  }
}

void ChatState::RemoveMember(const ConvId& conv, const std::string& user) {
  if (!conv.is_room()) return;  // direct conversations are not left
  if (Room* room = FindRoom(conv.room)) room->members.erase(user);
  auto it = convs_of_.find(user);
  if (it != convs_of_.end()) {
    it->second.erase(conv.str());
    if (it->second.empty()) {
      convs_of_.erase(it);
      ForgetIfIdle(user);
    }
  }
}

std::vector<std::string> ChatState::MembersOf(const ConvId& conv) const {
  std::vector<std::string> out;
  if (conv.is_room()) {
    auto it = rooms_.find(conv.room);
    if (it == rooms_.end()) return out;
    out.reserve(it->second->members.size());
    for (const auto& [user, role] : it->second->members) out.push_back(user);
  } else {
    out.push_back(conv.user_a);
    if (conv.user_b != conv.user_a) out.push_back(conv.user_b);
  }
  return out;
}

const std::set<std::string>& ChatState::ConvsOf(std::string_view user) const {
  static const std::set<std::string> kNone;
  auto it = convs_of_.find(std::string(user));
  return it == convs_of_.end() ? kNone : it->second;
}

// Calls `fn` with every user who shares a conversation with `user` (the user too, and a
// user once per conversation shared): names owned by this state.
template <typename Fn>
void ChatState::ForEachCoMember(std::string_view user, Fn&& fn) const {
  for (const auto& id : ConvsOf(user)) {
    auto conv = protocol::ParseConv(id);
    if (!conv) continue;
    if (conv->is_room()) {
      auto it = rooms_.find(conv->room);
      if (it == rooms_.end()) continue;
      for (const auto& [u, role] : it->second->members) fn(u);
    } else {
      fn(conv->user_a);
      fn(conv->user_b);
    }
  }
}

std::set<std::string> ChatState::Contacts(std::string_view user) const {
  std::set<std::string> out;
  ForEachCoMember(user, [&](const std::string& name) { out.insert(name); });
  out.erase(std::string(user));
  return out;
}

std::vector<std::string_view> ChatState::OnlineContacts(std::string_view user) const {
  std::vector<std::string_view> out;
  bool several = ConvsOf(user).size() > 1;
  std::unordered_set<std::string_view> seen;  // a contact met in several conversations
  ForEachCoMember(user, [&](const std::string& name) {
    if (name == user) return;
    auto it = users_.find(name);
    if (it == users_.end() || it->second.sessions.empty()) return;
    if (several && !seen.insert(it->first).second) return;
    out.push_back(it->first);  // the map's key: a direct conversation's names are copies
  });
  return out;
}

int64_t ChatState::LastSeq(const std::string& conv) const {
  auto it = last_seq_.find(conv);
  return it == last_seq_.end() ? 0 : it->second;
}

void ChatState::SetLastSeq(const std::string& conv, int64_t seq) {
  int64_t& v = last_seq_[conv];
  if (seq > v) v = seq;
}

const User* ChatState::FindUser(std::string_view user) const {
  auto it = users_.find(std::string(user));
  return it == users_.end() ? nullptr : &it->second;
}

bool ChatState::AddSession(const std::string& user, ConnId conn) {
  User& u = users_[user];
  u.sessions.push_back(conn);
  if (u.sessions.size() == 1) {
    ++online_users_;
    return true;
  }
  return false;
}

bool ChatState::RemoveSession(const std::string& user, ConnId conn) {
  auto it = users_.find(user);
  if (it == users_.end()) return false;
  auto& s = it->second.sessions;
  auto pos = std::find(s.begin(), s.end(), conn);
  if (pos == s.end()) return false;
  s.erase(pos);
  if (s.empty()) {
    --online_users_;
    return true;
  }
  return false;
}

void ChatState::ForgetIfIdle(const std::string& user) {
  auto it = users_.find(user);
  if (it == users_.end() || !it->second.sessions.empty()) return;
  if (convs_of_.count(user) == 0) users_.erase(it);
}

const std::vector<ConnId>& ChatState::SessionsOf(std::string_view user) const {
  static const std::vector<ConnId> kNone;
  auto it = users_.find(std::string(user));
  return it == users_.end() ? kNone : it->second.sessions;
}

std::string ChatState::Describe() const {
  std::vector<std::string> parts;
  for (const auto& [user, convs] : convs_of_) {
    for (const auto& c : convs) parts.push_back(user + c);
  }
  std::sort(parts.begin(), parts.end());
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : " ") + p;
  return out;
}

}  // namespace smartlink::state

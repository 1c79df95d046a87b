#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "smartlink/protocol/names.h"
#include "smartlink/storage/store.h"

namespace smartlink::state {

using ConnId = uint64_t;

enum class Role { kMember, kOwner };
const char* RoleName(Role r);

struct Room {
  storage::RoomRecord record;
  std::map<std::string, Role> members;  // sorted, so member lists come out in order
};

// What the server knows about one user: live sessions and presence.
struct User {
  std::vector<ConnId> sessions;
  std::string status = "offline";  // online / away / busy / offline
  std::string note;
  int64_t last_seen = 0;  // ms; the end of the last session (or now while online)
};

// ChatState holds rooms, members, conversation positions, users and sessions for one server.
// It mirrors what storage has committed; the server changes it only after a commit.
// Not thread-safe: use it only from the server's event-loop thread.
class ChatState {
 public:
  // Loads rooms, memberships and last seqs from storage at start-up.
  void Load(std::vector<storage::RoomRecord> rooms, std::vector<storage::MemberRecord> members,
            std::vector<storage::ConvRecord> convs);

  // --- rooms ---
  Room* FindRoom(std::string_view name);
  Room* FindRoomByKey(std::string_view join_key);
  Room& AddRoom(storage::RoomRecord record);  // the owner becomes a member
  const std::unordered_map<std::string, std::unique_ptr<Room>>& rooms() const { return rooms_; }
  size_t RoomsOwnedBy(const std::string& user) const;

  // --- membership (rooms and direct conversations) ---
  bool IsMember(const protocol::ConvId& conv, std::string_view user) const;
  void AddMember(const protocol::ConvId& conv, const std::string& user, Role role);
  void RemoveMember(const protocol::ConvId& conv, const std::string& user);
  // Users of a conversation: room members, or the two parties of a direct conversation.
  std::vector<std::string> MembersOf(const protocol::ConvId& conv) const;
  // Conversations the user belongs to ("#room", "@a,b").
  const std::set<std::string>& ConvsOf(std::string_view user) const;
  // Everyone who shares a conversation with `user` (not including the user).
  std::set<std::string> Contacts(std::string_view user) const;
  // The contacts with a live session, each once, without copying a name: the views are
  // this state's own user names, valid until a user is removed. A user's presence goes to
  // these: a room's offline members (most of a big room) cost one look-up each.
  std::vector<std::string_view> OnlineContacts(std::string_view user) const;
  // A direct conversation exists once a message was stored in it.
  bool DirectKnown(const std::string& conv) const { return direct_.count(conv) > 0; }

  // --- positions ---
  int64_t LastSeq(const std::string& conv) const;
  void SetLastSeq(const std::string& conv, int64_t seq);  // only moves forward

  // --- users and sessions ---
  User& GetUser(const std::string& user) { return users_[user]; }
  const User* FindUser(std::string_view user) const;
  // Returns true when this is the user's first session (they came online).
  bool AddSession(const std::string& user, ConnId conn);
  // Returns true when this was the user's last session (they went offline).
  bool RemoveSession(const std::string& user, ConnId conn);
  const std::vector<ConnId>& SessionsOf(std::string_view user) const;
  bool IsOnline(std::string_view user) const { return !SessionsOf(user).empty(); }
  size_t online_users() const { return online_users_; }
  // Drops what is kept of a user with no session and no conversation (their presence and
  // last_seen concern nobody), so that names that come and go do not pile up.
  void ForgetIfIdle(const std::string& user);
  size_t known_users() const { return users_.size(); }  // online, or were while in a conv

  // "alice@lobby" style summary for tests.
  std::string Describe() const;

 private:
  template <typename Fn>
  void ForEachCoMember(std::string_view user, Fn&& fn) const;

  std::unordered_map<std::string, std::unique_ptr<Room>> rooms_;
  std::unordered_map<std::string, Room*> rooms_by_key_;
  std::unordered_map<std::string, size_t> owned_;                    // owner -> rooms created
  std::unordered_map<std::string, std::set<std::string>> convs_of_;  // user -> convs
  std::set<std::string> direct_;                                     // known direct convs
  std::unordered_map<std::string, int64_t> last_seq_;
  std::unordered_map<std::string, User> users_;
  size_t online_users_ = 0;
};

}  // namespace smartlink::state

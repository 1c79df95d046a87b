// Rooms: room.create, room.join, room.leave, room.members, room.list.

#include <algorithm>

#include "hub_impl.h"
#include "smartlink/util/crypto.h"

namespace smartlink::server {

using state::Role;

Status Hub::Impl::CheckMember(const ConvId& conv, const std::string& user) {
  if (conv.is_room()) {
    if (!state.FindRoom(conv.room)) return Status::NotFound("no room " + conv.room);
    if (!state.IsMember(conv, user)) return Status::Forbidden("not a member of #" + conv.room);
    return Status::Ok();
  }
  if (!conv.HasUser(user)) return Status::Forbidden("not a party to " + conv.str());
  return Status::Ok();
}

void Hub::Impl::RoomCreate(Conn& c, const Request& req) {
  const auto& r = req.as<protocol::RoomCreate>();
  if (state.FindRoom(r.room) || pending_rooms.count(r.room)) {
    Error(c, req.id, Status::Conflict("room " + r.room + " exists"));
    return;
  }
  size_t owned = state.RoomsOwnedBy(c.user);
  for (const auto& [name, owner] : pending_rooms) owned += owner == c.user;
  if (owned >= opt.max_rooms_per_user) {
    Error(c, req.id,
          Status::Conflict("you own " + std::to_string(owned) + " rooms, the most allowed"));
    return;
  }
  storage::RoomRecord rec;
  rec.name = r.room;
  rec.title = r.title;
  rec.topic = r.topic;
  if (!r.password.empty()) rec.password_hash = crypto::HashPassword(r.password);
  rec.join_key = crypto::RandomHex(16);
  rec.owner = c.user;
  rec.is_private = r.is_private;
  rec.e2e = r.e2e;
  rec.created_ts = clock.NowMs();
  pending_rooms.emplace(r.room, c.user);
  ConnId id = c.id;
  bool queued = storage.Write<Done>(
      [rec](storage::Store& s) -> Result<Done> {
        if (Status st = s.CreateRoom(rec); !st.ok()) return st;
        return Done{};
      },
      [this, id, req, rec](Result<Done> res) mutable {
        pending_rooms.erase(rec.name);
        Conn* conn = Find(id);
        if (!res.ok()) {
          if (conn) Error(*conn, req.id, res.status());
          return;
        }
        std::string key = rec.join_key;
        std::string name = rec.name;
        state.AddRoom(std::move(rec));
        if (conn) Reply(*conn, req, {{"room", name}, {"conv", "#" + name}, {"join_key", key}});
      });
  if (!queued) {
    pending_rooms.erase(r.room);
    Error(c, req.id, Status::Unavailable("storage is overloaded; try again"));
  }
}

void Hub::Impl::RoomJoin(Conn& c, const Request& req) {
  const auto& r = req.as<protocol::RoomJoin>();
  state::Room* room = nullptr;
  bool by_key = !r.join_key.empty();
  if (by_key) {
    room = state.FindRoomByKey(r.join_key);
    if (room && !r.room.empty() && room->record.name != r.room) room = nullptr;
    if (!room) {
      Error(c, req.id, Status::NotFound("no room with that join key"));
      return;
    }
  } else {
    room = state.FindRoom(r.room);
    if (!room) {
      Error(c, req.id, Status::NotFound("no room " + r.room));
      return;
    }
  }
  ConvId conv{ConvId::Kind::kRoom, room->record.name, {}, {}};
  std::string conv_id = conv.str();
  auto reply = [this, conv, conv_id, req](Conn& conn) {
    state::Room* rm = state.FindRoom(conv.room);
    Json members = Json::array();
    if (rm) {
      for (const auto& [user, role] : rm->members) members.push_back(user);
    }
    Reply(conn, req,
          {{"room", conv.room},
           {"conv", conv_id},
           {"members", std::move(members)},
           {"last_seq", state.LastSeq(conv_id)}});
    const auto& j = req.as<protocol::RoomJoin>();
    if (j.since) StartCatchUp(conn, conv_id, *j.since);
  };
  if (state.IsMember(conv, c.user)) {  // already in: succeed and change nothing
    reply(c);
    return;
  }
  if (room->record.is_private && !by_key) {
    Error(c, req.id, Status::Forbidden("#" + room->record.name + " is private: join with its key"));
    return;
  }
  if (!room->record.password_hash.empty() &&
      !crypto::VerifyPassword(r.password, room->record.password_hash)) {
    Error(c, req.id, Status::Forbidden("wrong password for #" + room->record.name));
    return;
  }
  ConnId id = c.id;
  std::string user = c.user;
  int64_t ts = clock.NowMs();
  bool queued = storage.Write<Done>(
      [conv_id, user, ts](storage::Store& s) -> Result<Done> {
        if (Status st = s.AddMember(conv_id, user, "member", ts); !st.ok()) return st;
        return Done{};
      },
      [this, id, conv, conv_id, user, reply, req](Result<Done> res) {
        Conn* conn = Find(id);
        if (!res.ok()) {
          if (conn) Error(*conn, req.id, res.status());
          return;
        }
        if (!state.FindRoom(conv.room)) return;
        bool was_member = state.IsMember(conv, user);
        state.AddMember(conv, user, Role::kMember);
        if (!was_member) {
          Broadcast(conv,
                    MakeFrame(protocol::EncodeEvent("member.joined",
                                                    {{"conv", conv_id}, {"user", user}})),
                    "member.joined", id);
        }
        if (conn) reply(*conn);
      });
  if (!queued) Error(c, req.id, Status::Unavailable("storage is overloaded; try again"));
}

void Hub::Impl::RoomLeave(Conn& c, const Request& req) {
  const auto& r = req.as<protocol::RoomRef>();
  ConvId conv{ConvId::Kind::kRoom, r.room, {}, {}};
  if (!state.FindRoom(r.room)) {
    Error(c, req.id, Status::NotFound("no room " + r.room));
    return;
  }
  if (!state.IsMember(conv, c.user)) {  // not in it: nothing to change
    Reply(c, req);
    return;
  }
  ConnId id = c.id;
  std::string user = c.user;
  std::string conv_id = conv.str();
  bool queued = storage.Write<Done>(
      [conv_id, user](storage::Store& s) -> Result<Done> {
        if (Status st = s.RemoveMember(conv_id, user); !st.ok()) return st;
        return Done{};
      },
      [this, id, conv, conv_id, user, req](Result<Done> res) {
        Conn* conn = Find(id);
        if (!res.ok()) {
          if (conn) Error(*conn, req.id, res.status());
          return;
        }
        if (state.IsMember(conv, user)) {
          auto frame =
              MakeFrame(protocol::EncodeEvent("member.left", {{"conv", conv_id}, {"user", user}}));
          Broadcast(conv, frame, "member.left", id);
          state.RemoveMember(conv, user);
        }
        if (conn) Reply(*conn, req);
      });
  if (!queued) Error(c, req.id, Status::Unavailable("storage is overloaded; try again"));
}

void Hub::Impl::RoomMembers(Conn& c, const Request& req) {
  const auto& r = req.as<protocol::RoomRef>();
  ConvId conv{ConvId::Kind::kRoom, r.room, {}, {}};
  if (Status s = CheckMember(conv, c.user); !s.ok()) {
    Error(c, req.id, s);
    return;
  }
  Json members = Json::array();
  for (const auto& [user, role] : state.FindRoom(r.room)->members) {
    members.push_back(
        {{"user", user}, {"role", state::RoleName(role)}, {"online", state.IsOnline(user)}});
  }
  Reply(c, req, {{"room", r.room}, {"members", std::move(members)}});
}

void Hub::Impl::RoomList(Conn& c, const Request& req) {
  std::vector<const state::Room*> visible;
  for (const auto& [name, room] : state.rooms()) {
    bool joined = room->members.count(c.user) > 0;
    if (room->record.is_private && !joined) continue;
    visible.push_back(room.get());
  }
  std::sort(visible.begin(), visible.end(), [](const state::Room* a, const state::Room* b) {
    return a->record.name < b->record.name;
  });
  Json rooms = Json::array();
  for (const state::Room* room : visible) {
    rooms.push_back({{"room", room->record.name},
                     {"title", room->record.title},
                     {"topic", room->record.topic},
                     {"members", room->members.size()},
                     {"private", room->record.is_private},
                     {"password", !room->record.password_hash.empty()},
                     {"e2e", room->record.e2e},
                     {"joined", room->members.count(c.user) > 0}});
  }
  Reply(c, req, {{"rooms", std::move(rooms)}});
}

}  // namespace smartlink::server

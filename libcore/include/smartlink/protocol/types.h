#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

// Plain data shared by the protocol, state and storage layers.
namespace smartlink::protocol {

using Json = nlohmann::json;

// A file attached to a message.
struct FileRef {
  std::string file_id;
  std::string name;
  std::string mime;
  int64_t size = 0;
};

// A stored chat message, as history returns it and the `msg` event carries it.
struct Message {
  std::string conv;
  int64_t seq = 0;
  std::string msg_id;
  std::string from;
  std::string text;
  int64_t ts = 0;
  std::string temp_id;              // empty when the sender gave none
  std::optional<int64_t> reply_to;  // seq in the same conversation
  std::optional<FileRef> file;
  std::optional<int64_t> edited_ts;
  bool deleted = false;
  // emoji -> users who reacted with it (history only).
  std::map<std::string, std::vector<std::string>> reactions;
};

// {conv, seq, msg_id, from, text, ts, ...}: the `msg` event body and history entries.
// `type_msg` adds "type": "msg" for the event form.
Json MessageToJson(const Message& m, bool type_msg);

}  // namespace smartlink::protocol

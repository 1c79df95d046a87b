#pragma once

#include <string>

#include "smartlink/protocol/types.h"
#include "smartlink/util/status.h"

// Encoding of server frames: replies (`ok`, `error`) and events. Pure: no I/O.
namespace smartlink::protocol {

// {"type":"ok","re":id, ...fields}. `fields` must be an object (or null for none).
std::string EncodeOk(const Json& id, Json fields = nullptr);

// {"type":"error","re":id,"code":...,"message":...}; `re` is left out when id is null.
// `extra` fields (such as retry_ms) are merged in.
std::string EncodeError(const Json& id, const Status& status, const Json& extra = nullptr);

// An event: {"type": type, ...fields}.
std::string EncodeEvent(const char* type, Json fields);

}  // namespace smartlink::protocol

// libFuzzer target: names, conversation ids, send targets, file names, URLs and query
// strings. Properties: no crash; a parsed conversation id prints back as itself; a valid
// file name never holds a path separator or control character, and is never "." or "..".

#include <cstdint>
#include <cstdlib>
#include <string>

#include "net_util.h"
#include "smartlink/protocol/names.h"

using namespace smartlink;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string in(reinterpret_cast<const char*>(data), size);
  if (auto conv = protocol::ParseConv(in); conv && conv->str() != in) abort();
  if (auto t = protocol::ParseTarget(in, "alice")) {
    if (!t->is_room() && !t->HasUser("alice")) abort();
  }
  if (protocol::IsValidFileName(in)) {
    if (in.empty() || in == "." || in == "..") abort();
    for (unsigned char c : in) {
      if (c == '/' || c == '\\' || c < 0x20 || c == 0x7f) abort();
    }
  }
  if (protocol::IsValidName(in) && (in.empty() || in.size() > protocol::kMaxNameLength)) abort();
  net::WsUrl url;
  std::string error;
  if (net::ParseWsUrl(in, &url, &error) && (url.host.empty() || url.port == 0)) abort();
  (void)net::ParseQuery(in);
  (void)net::PercentDecode(in, true);
  (void)net::PathOf(in);
  return 0;
}

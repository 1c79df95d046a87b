// libFuzzer target: the request decoder (text and binary frames) and the error encoder.
// Properties: no crash or sanitizer report; a decoded request has a known op; every
// outcome can be answered (the reply encodes).

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "smartlink/protocol/codec.h"
#include "smartlink/protocol/encode.h"

using namespace smartlink;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  protocol::CodecLimits limits;
  limits.max_text_bytes = 200;
  limits.max_chunk_bytes = 512;
  for (bool binary : {false, true}) {
    protocol::Decoded d =
        binary ? protocol::DecodeBinaryChunk(in, limits) : protocol::DecodeRequest(in, limits);
    if (d.status.ok()) {
      if (!d.op_known) abort();
      if (protocol::OpFromName(protocol::OpName(d.request.op)) != d.request.op) abort();
      (void)protocol::EncodeOk(d.request.id, {{"op", protocol::OpName(d.request.op)}});
    } else {
      if (d.status.message().empty()) abort();
      (void)protocol::EncodeError(d.request.id, d.status);
    }
  }
  (void)protocol::JsonDepth(in);
  return 0;
}

// The ws:// instantiation of ServerImpl.

#include "lean_plain.h"
#include "quiet_log.h"
#include "strict_frames.h"
#include "ws_server_impl.h"

SMARTLINK_QUIET_CONNECTION_LOG(smartlink::net::LoopConfig<smartlink::net::LeanPlainEndpoint>)
SMARTLINK_STRICT_FRAMES(smartlink::net::LoopConfig<smartlink::net::LeanPlainEndpoint>)

namespace smartlink::net {

std::unique_ptr<WsServer> MakePlainServer(const ServerOptions& options, server::LogFn log) {
  using Config = LoopConfig<LeanPlainEndpoint>;
  return std::make_unique<ServerImpl<Config>>(options, std::move(log), false);
}

}  // namespace smartlink::net

// The wss:// client endpoint: verifies the server certificate and host name unless told not
// to. Contexts are cached per (host, CA file, insecure) so thousands of connections share one.

// clang-format off
#include "fast_ci_less.h"  // before any websocketpp header
// clang-format on

#include <asio/ssl.hpp>
#include <map>
#include <tuple>
#include <websocketpp/config/asio.hpp>

#include "quiet_log.h"
#include "tls_context.h"
#include "tls_socket.h"
#include "ws_client_impl.h"

SMARTLINK_QUIET_CONNECTION_LOG(smartlink::net::ClientLoopConfig<smartlink::net::TlsSocketEndpoint>)

namespace smartlink::net {

std::unique_ptr<ClientEndpoint> MakeTlsClientEndpoint(asio::io_context& io) {
  using Config = ClientLoopConfig<TlsSocketEndpoint>;
  using Impl = ClientEndpointImpl<Config>;
  using Key = std::tuple<std::string, std::string, bool>;
  auto cache = std::make_shared<std::map<Key, std::shared_ptr<asio::ssl::context>>>();
  // websocketpp asks for the context while it creates a connection, through the endpoint's
  // handler; point that handler at the right context just before.
  Impl::PreConnect pre = [cache](Impl::Client& client, const ClientOptions& opt, const WsUrl& url,
                                 std::string* error) {
    Key key{url.host, opt.ca_file, opt.insecure};
    auto it = cache->find(key);
    if (it == cache->end()) {
      auto ctx = MakeClientTlsContext(opt.ca_file, opt.insecure);
      if (!ctx.ok()) {
        *error = ctx.status().message();
        return false;
      }
      if (!opt.insecure) {
        (*ctx)->set_verify_callback(asio::ssl::host_name_verification(url.host));
      }
      it = cache->emplace(key, std::move(*ctx)).first;
    }
    auto ctx = it->second;
    client.set_tls_init_handler([ctx](websocketpp::connection_hdl) { return ctx; });
    return true;
  };
  return std::make_unique<Impl>(io, std::move(pre));
}

}  // namespace smartlink::net

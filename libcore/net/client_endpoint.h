#pragma once

// The internal interface between ClientLoop and its websocketpp endpoints (plain and TLS).

#include <asio/io_context.hpp>
#include <memory>
#include <string>
#include <string_view>

#include "net_util.h"
#include "smartlink/net/ws_client.h"

namespace smartlink::net {

class ClientEndpoint {
 public:
  virtual ~ClientEndpoint() = default;
  virtual bool Connect(ClientId id, const ClientOptions& options, const WsUrl& url,
                       ClientHandlers handlers, std::string* error) = 0;
  virtual void Send(ClientId id, std::string_view payload, bool binary) = 0;
  virtual void Close(ClientId id, int code, const std::string& reason) = 0;
  virtual size_t Buffered(ClientId id) const = 0;
  virtual size_t open() const = 0;
};

std::unique_ptr<ClientEndpoint> MakePlainClientEndpoint(asio::io_context& io);
std::unique_ptr<ClientEndpoint> MakeTlsClientEndpoint(asio::io_context& io);

}  // namespace smartlink::net

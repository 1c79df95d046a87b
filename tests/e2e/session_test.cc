// Sessions: open and JWT auth, welcome, ping, several sessions per user, timeouts.

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "e2e/server_process.h"
#include "e2e/test_certs.h"
#include "smartlink/auth/jwt.h"
#include "smartlink/util/crypto.h"

namespace smartlink::testing {
namespace {

using Json = nlohmann::json;

const std::string kSecret = "0123456789abcdef0123456789abcdef-test-secret";

int64_t NowS() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string Token(const std::string& user, int64_t exp_offset_s,
                  const std::string& secret = kSecret) {
  Json claims = {{"sub", user}, {"exp", NowS() + exp_offset_s}};
  return auth::SignHs256(secret, claims.dump());
}

TEST(Session, OpenAuthWelcomesWithSessionAndLimits) {
  auto server = ServerProcess::Start({"--auth", "none", "--max-file", "3MiB"});
  ASSERT_TRUE(server);
  auto c = Connect(server->ws_url());
  ASSERT_TRUE(c);
  Json w = c->Request({{"type", "auth"}, {"user", "alice"}});
  EXPECT_EQ("welcome", w["type"]);
  EXPECT_EQ("alice", w["user"]);
  EXPECT_FALSE(w.value("session", "").empty());
  EXPECT_EQ(0u, w.value("server", "").rfind("slserver/", 0));
  EXPECT_TRUE(w["limits"].is_object());
  EXPECT_GT(w["limits"].value("max_text_bytes", 0), 0);
  EXPECT_EQ(3 << 20, w["limits"].value("max_file_bytes", 0)) << w;  // added (docs/protocol.md)
}

TEST(Session, RequestsBeforeAuthAreUnauthenticated) {
  auto server = ServerProcess::Start();
  ASSERT_TRUE(server);
  auto c = Connect(server->ws_url());
  ASSERT_TRUE(c);
  Json r = c->Request({{"type", "room.list"}});
  EXPECT_EQ("error", r["type"]);
  EXPECT_EQ("unauthenticated", r["code"]);
  // Still usable: authenticate now.
  Json w = c->Request({{"type", "auth"}, {"user", "bob"}});
  EXPECT_EQ("welcome", w["type"]);
}

TEST(Session, PingIsAnsweredWithPongCarryingRe) {
  auto server = ServerProcess::Start();
  ASSERT_TRUE(server);
  auto c = Login(*server, "alice");
  ASSERT_TRUE(c);
  Json r = c->Request({{"type", "ping"}, {"id", 42}});
  EXPECT_EQ("pong", r["type"]);
  EXPECT_EQ(42, r["re"]);
  c->Send({{"type", "ping"}});
  Json p = c->WaitForType("pong");
  EXPECT_EQ("pong", p["type"]);
  EXPECT_FALSE(p.contains("re"));
}

TEST(Session, NoAuthWithinTimeoutCloses4001) {
  auto server = ServerProcess::Start({"--auth-timeout", "300ms"});
  ASSERT_TRUE(server);
  auto c = Connect(server->ws_url());
  ASSERT_TRUE(c);
  EXPECT_EQ(4001, c->WaitClosed(5000));
}

TEST(Session, OpenModeTakesUserFromQuery) {
  auto server = ServerProcess::Start();
  ASSERT_TRUE(server);
  auto c = Connect(server->ws_url() + "?user=carol");
  ASSERT_TRUE(c);
  Json w = c->WaitForType("welcome");
  EXPECT_EQ("carol", w["user"]);
  // The backend's sender is no one's name to take, here as in the auth frame.
  auto sys = Connect(server->ws_url() + "?user=system");
  ASSERT_TRUE(sys);
  Json e = sys->WaitForType("error");
  EXPECT_EQ("bad_request", e.value("code", "")) << e.dump();
  EXPECT_EQ("unauthenticated", sys->Request({{"type", "ping"}, {"id", "p"}}).value("code", ""));
}

// A token is no use to an open-auth server without a key, at the handshake as in the auth
// frame: unauthenticated, and the connection stays open for the client to name itself.
TEST(Session, OpenServerAnswersATokenUnauthenticatedAndStaysOpen) {
  auto server = ServerProcess::Start();
  ASSERT_TRUE(server);
  auto c = Connect(server->ws_url() + "?token=" + Token("alice", 3600));
  ASSERT_TRUE(c);
  Json e = c->WaitForType("error");
  EXPECT_EQ("unauthenticated", e["code"]) << e.dump();
  Json w = c->Request({{"type", "auth"}, {"user", "alice"}});
  EXPECT_EQ("welcome", w["type"]) << w.dump();
  EXPECT_FALSE(c->closed());
  // With ?user= too, the user is signed in as that name.
  auto d = Connect(server->ws_url() + "?user=dan&token=" + Token("alice", 3600));
  ASSERT_TRUE(d);
  EXPECT_EQ("dan", d->WaitForType("welcome")["user"]);
}

TEST(Session, JwtAtHandshakeQueryHeaderAndFirstFrame) {
  auto server = ServerProcess::Start({"--jwt-secret", kSecret});
  ASSERT_TRUE(server);
  {
    auto c = Connect(server->ws_url() + "?token=" + Token("alice", 3600));
    ASSERT_TRUE(c);
    EXPECT_EQ("alice", c->WaitForType("welcome")["user"]);
  }
  {
    net::ClientOptions o;
    o.token = Token("bob", 3600);
    auto c = Connect(server->ws_url(), o);
    ASSERT_TRUE(c);
    EXPECT_EQ("bob", c->WaitForType("welcome")["user"]);
  }
  {
    auto c = Connect(server->ws_url());
    ASSERT_TRUE(c);
    Json w = c->Request({{"type", "auth"}, {"token", Token("carol", 3600)}});
    EXPECT_EQ("welcome", w["type"]);
    EXPECT_EQ("carol", w["user"]);
  }
}

TEST(Session, JwtServerRefusesOpenModeUser) {
  auto server = ServerProcess::Start({"--jwt-secret", kSecret});
  ASSERT_TRUE(server);
  auto c = Connect(server->ws_url());
  ASSERT_TRUE(c);
  Json r = c->Request({{"type", "auth"}, {"user", "mallory"}});
  EXPECT_EQ("error", r["type"]);
  EXPECT_EQ("unauthenticated", r["code"]);
}

TEST(Session, ExpiredOrForgedTokensGetUnauthenticatedAnd4003) {
  auto server = ServerProcess::Start({"--jwt-secret", kSecret});
  ASSERT_TRUE(server);
  std::vector<std::string> bad = {
      Token("alice", -3600),                                         // expired
      Token("alice", 3600, "another-secret-that-is-long-enough!!"),  // wrong key
      "not.a.token",
  };
  Json none_header = {{"alg", "none"}, {"typ", "JWT"}};
  bad.push_back(crypto::Base64UrlEncode(none_header.dump()) + "." +
                crypto::Base64UrlEncode(Json{{"sub", "alice"}}.dump()) + ".");
  bad.push_back(auth::SignHs256(kSecret, Json{{"sub", "alice"}}.dump()));  // no exp: forever
  for (const auto& token : bad) {
    auto c = Connect(server->ws_url());
    ASSERT_TRUE(c);
    Json r = c->Request({{"type", "auth"}, {"token", token}});
    EXPECT_EQ("error", r["type"]) << token;
    EXPECT_EQ("unauthenticated", r["code"]) << token;
    EXPECT_EQ(4003, c->WaitClosed(3000)) << token;
  }
  // At the handshake too.
  auto c = Connect(server->ws_url() + "?token=" + Token("alice", -3600));
  ASSERT_TRUE(c);
  EXPECT_EQ("unauthenticated", c->WaitForType("error")["code"]);
  EXPECT_EQ(4003, c->WaitClosed(3000));
}

TEST(Session, TokensWithoutExpOnlyWhenAllowed) {
  auto server = ServerProcess::Start({"--jwt-secret", kSecret, "--jwt-allow-no-exp"});
  ASSERT_TRUE(server);
  auto c = Connect(server->ws_url());
  ASSERT_TRUE(c);
  Json w = c->Request(
      {{"type", "auth"}, {"token", auth::SignHs256(kSecret, Json{{"sub", "erin"}}.dump())}});
  EXPECT_EQ("welcome", w["type"]) << w.dump();
  EXPECT_EQ("erin", w["user"]);
  // An exp that is there still counts.
  auto d = Connect(server->ws_url());
  ASSERT_TRUE(d);
  EXPECT_EQ("unauthenticated",
            d->Request({{"type", "auth"}, {"token", Token("erin", -3600)}})["code"]);
}

TEST(Session, TokenExpiringWhileConnectedCloses4003) {
  auto server = ServerProcess::Start({"--jwt-secret", kSecret, "--jwt-leeway", "0s"});
  ASSERT_TRUE(server);
  // exp is in whole seconds: "now + 1" may be only a few milliseconds away, less than a
  // connection takes under TSan. now + 3 leaves at least 2 s to be welcomed.
  auto c = Connect(server->ws_url() + "?token=" + Token("alice", 3));
  ASSERT_TRUE(c);
  EXPECT_EQ("welcome", c->WaitForType("welcome")["type"]);
  EXPECT_EQ(4003, c->WaitClosed(8000));
}

// A server verifying with a public key welcomes a token signed by its private key and
// refuses an HS256 token signed with the public key as the secret (algorithm confusion).
void CheckPublicKeyServer(bool rsa) {
  TempDir dir;
  KeyPair kp = rsa ? MakeRsaKey() : MakeEcKey();
  std::string pub = dir.File(rsa ? "rsa.pem" : "ec.pem");
  WriteFile(pub, kp.public_pem);
  auto server = ServerProcess::Start({"--jwt-public-key", pub});
  ASSERT_TRUE(server);
  Json claims = {{"sub", "dave"}, {"exp", NowS() + 600}};
  auto token = auth::SignWithPrivateKeyPem(rsa ? auth::Algorithm::kRS256 : auth::Algorithm::kES256,
                                           kp.private_pem, claims.dump());
  ASSERT_TRUE(token.ok()) << token.status().ToString();
  auto c = Connect(server->ws_url());
  ASSERT_TRUE(c);
  Json w = c->Request({{"type", "auth"}, {"token", *token}});
  EXPECT_EQ("welcome", w["type"]) << w.dump() << "\n" << *token << "\n" << server->log();
  std::string forged = auth::SignHs256(kp.public_pem, claims.dump());
  auto d = Connect(server->ws_url());
  ASSERT_TRUE(d);
  Json r = d->Request({{"type", "auth"}, {"token", forged}});
  EXPECT_EQ("unauthenticated", r["code"]) << r.dump() << "\n" << server->log();
}

TEST(Session, Rs256PublicKey) { CheckPublicKeyServer(true); }

TEST(Session, Es256PublicKey) { CheckPublicKeyServer(false); }

TEST(Session, EverySessionOfAUserGetsItsEvents) {
  auto server = ServerProcess::Start();
  ASSERT_TRUE(server);
  auto phone = Login(*server, "alice");
  auto laptop = Login(*server, "alice");
  auto bob = Login(*server, "bob");
  ASSERT_TRUE(phone && laptop && bob);
  EXPECT_EQ("ok", phone->Request({{"type", "room.create"}, {"room", "team"}})["type"]);
  EXPECT_EQ("ok", bob->Request({{"type", "room.join"}, {"room", "team"}})["type"]);
  Json r = phone->Request({{"type", "msg.send"}, {"to", "#team"}, {"text", "from phone"}});
  ASSERT_EQ("ok", r["type"]);
  for (auto* c : {phone.get(), laptop.get(), bob.get()}) {
    Json m = c->WaitForType("msg");
    EXPECT_EQ("from phone", m["text"]);
    EXPECT_EQ("alice", m["from"]);
    EXPECT_EQ(r["seq"], m["seq"]);
  }
}

TEST(Session, TokenSubcommandMintsAVerifiableToken) {
  TempDir dir;
  std::string out = dir.File("token");
  std::string cmd = std::string(SLSERVER_PATH) + " token --user erin --ttl 10m --jwt-secret " +
                    kSecret + " > " + out;
  ASSERT_EQ(0, system(cmd.c_str()));
  FILE* f = fopen(out.c_str(), "r");
  ASSERT_TRUE(f);
  char buf[2048] = {0};
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  std::string token(buf, n);
  while (!token.empty() && token.back() == '\n') token.pop_back();
  auto v = auth::JwtVerifier::FromSecret(kSecret);
  ASSERT_TRUE(v.ok());
  auto claims = (*v)->Verify(token, NowS() * 1000);
  ASSERT_TRUE(claims.ok()) << claims.status().ToString();
  EXPECT_EQ("erin", claims->sub);
  ASSERT_TRUE(claims->exp);
  EXPECT_NEAR(NowS() + 600, *claims->exp, 5);
  // A short secret is refused.
  std::string bad =
      std::string(SLSERVER_PATH) + " token --user erin --jwt-secret short 2>/dev/null";
  EXPECT_NE(0, system(bad.c_str()));
}

}  // namespace
}  // namespace smartlink::testing

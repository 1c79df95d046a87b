#include "command.h"

#include <gtest/gtest.h>

namespace slchat {
namespace {

Command Parse(const std::string& line) {
  std::string error;
  auto c = ParseCommand(line, &error);
  EXPECT_TRUE(c) << line << ": " << error;
  return c ? *c : Command{};
}

std::string ErrorOf(const std::string& line) {
  std::string error;
  auto c = ParseCommand(line, &error);
  EXPECT_FALSE(c) << line;
  return error;
}

TEST(Command, PlainLinesAreTextForTheCurrentConversation) {
  Command c = Parse("hello there ");
  EXPECT_TRUE(c.is_text());
  EXPECT_EQ("hello there ", c.text);
  EXPECT_EQ("/not a command", Parse("//not a command").text);
  EXPECT_TRUE(Parse("").is_text());
  EXPECT_EQ("crlf", Parse("crlf\r\n").text);
}

TEST(Command, ParsesPositionalsAndFlags) {
  Command c = Parse("/join lobby secret --e2e 'correct horse' --since=3");
  EXPECT_EQ("join", c.name);
  EXPECT_EQ((std::vector<std::string>{"lobby", "secret"}), c.args);
  EXPECT_EQ("correct horse", c.Flag("e2e"));
  EXPECT_EQ("3", c.Flag("since"));
  EXPECT_FALSE(c.Has("password"));

  Command p = Parse("/create team --private --password \"p w\"");
  EXPECT_TRUE(p.Has("private"));
  EXPECT_EQ("", p.Flag("private"));
  EXPECT_EQ("p w", p.Flag("password"));
}

TEST(Command, TheLastArgumentOfATextCommandIsTheRestOfTheLine) {
  Command c = Parse("/msg @bob it's  \"quoted\" --not-a-flag  ");
  EXPECT_EQ((std::vector<std::string>{"@bob", "it's  \"quoted\" --not-a-flag"}), c.args);
  Command r = Parse("/msg --reply 4 #lobby yes, that");
  EXPECT_EQ("4", r.Flag("reply"));
  EXPECT_EQ((std::vector<std::string>{"#lobby", "yes, that"}), r.args);
  Command s = Parse("/status away out for lunch");
  EXPECT_EQ((std::vector<std::string>{"away", "out for lunch"}), s.args);
  // A known flag where the text would start is still a flag; "--" ends the flags.
  Command e = Parse("/edit 5 --conv #x new text");
  EXPECT_EQ("#x", e.Flag("conv"));
  EXPECT_EQ((std::vector<std::string>{"5", "new text"}), e.args);
  EXPECT_EQ((std::vector<std::string>{"7", "--conv is literal"}),
            Parse("/edit 7 -- --conv is literal").args);
}

TEST(Command, AliasesMapToTheirCommand) {
  EXPECT_EQ("quit", Parse("/exit").name);
  EXPECT_EQ("switch", Parse("/query @bob").name);
  EXPECT_EQ("join", Parse("/j lobby").name);
  EXPECT_EQ("help", Parse("/?").name);
}

TEST(Command, ReportsUsageErrors) {
  EXPECT_EQ("unknown command /nope (try /help)", ErrorOf("/nope"));
  EXPECT_EQ("empty command (try /help)", ErrorOf("/"));
  EXPECT_EQ(
      "/join: missing argument (usage: /join ROOM|KEY [PASSWORD] [--e2e PASSPHRASE] "
      "[--since SEQ])",
      ErrorOf("/join"));
  EXPECT_NE(std::string::npos, ErrorOf("/leave a b").find("too many arguments"));
  EXPECT_NE(std::string::npos, ErrorOf("/rooms --bogus").find("unknown option --bogus"));
  EXPECT_NE(std::string::npos, ErrorOf("/join lobby --since").find("--since needs a value"));
  EXPECT_NE(std::string::npos, ErrorOf("/join 'lobby").find("unterminated quote"));
}

TEST(Command, SplitsWordsLikeAShell) {
  EXPECT_EQ((std::vector<std::string>{"a", "b c", "d'e", "f\"g", "h i"}),
            *SplitWords(R"(a "b c" "d'e" 'f"g' h\ i)"));
  EXPECT_FALSE(SplitWords("\"open"));
  EXPECT_TRUE(SplitWords("   ")->empty());
}

TEST(Command, HelpListsEveryCommandAndDetailsOne) {
  std::string all = *HelpText("");
  for (const CommandSpec& c : Commands()) {
    EXPECT_NE(std::string::npos, all.find("/" + std::string(c.name) + " ")) << c.name;
  }
  std::string join = *HelpText("/join");
  EXPECT_EQ(0u, join.find("/join ROOM|KEY [PASSWORD] [--e2e PASSPHRASE] [--since SEQ]\n"));
  EXPECT_NE(std::string::npos, join.find("  --e2e PASSPHRASE"));
  EXPECT_NE(std::string::npos, join.find("Also: /j"));
  EXPECT_FALSE(HelpText("nope"));
}

TEST(Command, KnowsWhatToComplete) {
  auto w = WhatToComplete("/jo");
  EXPECT_EQ(ArgKind::kCommand, w.kind);
  EXPECT_EQ("/jo", w.word);
  EXPECT_EQ(ArgKind::kRoom, WhatToComplete("/join lo").kind);
  EXPECT_EQ(ArgKind::kNone, WhatToComplete("/join lobby pa").kind);
  EXPECT_EQ(ArgKind::kConv, WhatToComplete("/msg #l").kind);
  EXPECT_EQ(ArgKind::kNone, WhatToComplete("/msg #lobby hel").kind);
  EXPECT_EQ(ArgKind::kUser, WhatToComplete("/msg #lobby hi @b").kind);
  EXPECT_EQ(ArgKind::kConv, WhatToComplete("/history --limit 5 ").kind);
  EXPECT_EQ(ArgKind::kConv, WhatToComplete("/edit --conv #").kind);
  EXPECT_EQ(ArgKind::kFile, WhatToComplete("/send ./pic").kind);
  EXPECT_EQ(ArgKind::kUser, WhatToComplete("/presence alice b").kind);
  auto text = WhatToComplete("thanks @al");
  EXPECT_EQ(ArgKind::kUser, text.kind);
  EXPECT_EQ("@al", text.word);
  EXPECT_EQ(7u, text.word_start);
  EXPECT_EQ(ArgKind::kNone, WhatToComplete("just text").kind);
}

TEST(Command, MatchesPrefixesAndFindsTheCommonPart) {
  std::vector<std::string> names = {"lobby", "lounge", "dev", "lobby"};
  EXPECT_EQ((std::vector<std::string>{"lobby", "lounge"}), MatchPrefix(names, "lo"));
  EXPECT_EQ("lo", CommonPrefix(MatchPrefix(names, "lo")));
  EXPECT_EQ("lobby", CommonPrefix({"lobby"}));
  EXPECT_EQ("", CommonPrefix({}));
}

}  // namespace
}  // namespace slchat

// slbench's allocation-free scanner for the top level of server frames.

#include "json_scan.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace slbench {
namespace {

std::map<std::string, std::string> Scan(std::string_view json, bool* ok = nullptr) {
  std::map<std::string, std::string> out;
  bool r = ScanObject(json, [&](std::string_view k, std::string_view v) {
    out[std::string(k)] = std::string(v);
    return true;
  });
  if (ok) *ok = r;
  return out;
}

TEST(JsonScan, FindsTopLevelValuesRaw) {
  bool ok;
  auto f = Scan(R"({"type":"msg","conv":"#lobby","seq":12,"ok":true,"n":null,"x":-1.5e3})", &ok);
  EXPECT_TRUE(ok);
  EXPECT_EQ("\"msg\"", f["type"]);
  EXPECT_EQ("\"#lobby\"", f["conv"]);
  EXPECT_EQ("12", f["seq"]);
  EXPECT_EQ("true", f["ok"]);
  EXPECT_EQ("null", f["n"]);
  EXPECT_EQ("-1.5e3", f["x"]);
}

TEST(JsonScan, SkipsNestedValuesWithBracketsInStrings) {
  auto f = Scan(R"( { "a" : {"b":[1,"]}",{"c":"\"{"}]}, "members":["x","y"], "seq" : 3 } )");
  EXPECT_EQ(R"({"b":[1,"]}",{"c":"\"{"}]})", f["a"]);
  EXPECT_EQ(R"(["x","y"])", f["members"]);
  EXPECT_EQ("3", f["seq"]);
}

TEST(JsonScan, RejectsMalformedInput) {
  for (const char* bad : {"", "[]", "{", "{\"a\"}", "{\"a\":}", "{\"a\":\"x}", "{\"a\":1,}",
                          "{\"a\":[1,2}", "\"str\""}) {
    bool ok = true;
    Scan(bad, &ok);
    EXPECT_FALSE(ok) << bad;
  }
  bool ok = false;
  Scan("{}", &ok);
  EXPECT_TRUE(ok);
}

TEST(JsonScan, UnquoteDecodesEscapes) {
  EXPECT_EQ("plain", *UnquoteSimple("\"plain\""));
  EXPECT_FALSE(UnquoteSimple("\"a\\nb\""));
  EXPECT_EQ("a\nb\"", *Unquote("\"a\\nb\\\"\""));
  EXPECT_EQ("\xC3\xA9", *Unquote("\"\\u00e9\""));
  EXPECT_FALSE(Unquote("12"));
}

TEST(JsonScan, ParseIntTakesIntegersOnly) {
  EXPECT_EQ(42, *ParseInt("42"));
  EXPECT_EQ(-7, *ParseInt("-7"));
  EXPECT_FALSE(ParseInt("4.2"));
  EXPECT_FALSE(ParseInt("\"42\""));
  EXPECT_FALSE(ParseInt(""));
  EXPECT_FALSE(ParseInt("-"));
  EXPECT_FALSE(ParseInt("12345678901234567890"));
}

}  // namespace
}  // namespace slbench

// Tails: the trace-v1 JSON of request and scheduled events, exceptions split as wrangler shows them, the filters
// wrangler sends, and the hub's life cycle (create, attach once with the secret, publish, remove, detach).
#include "runtime/tail.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace islet::runtime {
namespace {

using nlohmann::json;

TailEvent requestEvent() {
  TailEvent e;
  e.scriptName = "shop";
  e.versionId = "0123456789abcdef0123456789abcdef";
  e.eventTimestampMs = 1700000000000;
  e.method = "POST";
  e.url = "http://shop.acme.islet.localhost/cart?x=1";
  e.headers = {{"host", "shop.acme.islet.localhost"}, {"authorization", "Bearer secret"}, {"x-a", "1"}, {"x-a", "2"}};
  e.status = 201;
  e.addLog("log", "added item", 1700000000001);
  return e;
}

TEST(TailEvent, RequestEventJson) {
  json j = json::parse(tailEventJson(requestEvent()));
  EXPECT_EQ(j["outcome"], "ok");
  EXPECT_EQ(j["scriptName"], "shop");
  EXPECT_EQ(j["eventTimestamp"], 1700000000000);
  EXPECT_EQ(j["exceptions"], json::array());
  EXPECT_EQ(j["logs"], json::parse(R"([{"message": ["added item"], "level": "log", "timestamp": 1700000000001}])"));
  EXPECT_EQ(j["event"]["request"]["url"], "http://shop.acme.islet.localhost/cart?x=1");
  EXPECT_EQ(j["event"]["request"]["method"], "POST");
  EXPECT_EQ(j["event"]["request"]["headers"]["authorization"], "REDACTED");
  EXPECT_EQ(j["event"]["request"]["headers"]["x-a"], "1, 2");
  EXPECT_EQ(j["event"]["response"]["status"], 201);
  EXPECT_EQ(j["scriptVersion"]["id"], "0123456789abcdef0123456789abcdef");
}

TEST(TailEvent, ScheduledEventJsonAndOutcomes) {
  TailEvent e;
  e.scriptName = "jobs";
  e.cron = "*/5 * * * *";
  e.scheduledTimeMs = 1700000100000;
  e.outcome = Outcome::kCpuLimit;
  json j = json::parse(tailEventJson(e));
  EXPECT_EQ(j["event"], json::parse(R"({"cron": "*/5 * * * *", "scheduledTime": 1700000100000})"));
  EXPECT_EQ(j["outcome"], "exceededCpu");
  EXPECT_EQ(tailOutcomeName(Outcome::kNoResponse), "exception");
  EXPECT_EQ(tailOutcomeName(Outcome::kWallLimit), "canceled");
}

TEST(TailEvent, LogsStopAtTheByteBudget) {
  TailEvent e;
  std::string line(TailEvent::kMaxLogBytes / 2, 'x');
  e.addLog("log", line, 1);
  e.addLog("log", line, 2);
  e.addLog("log", line, 3);
  EXPECT_EQ(e.logs.size(), 2u);
  EXPECT_TRUE(e.truncated);
  EXPECT_TRUE(json::parse(tailEventJson(e))["truncated"].get<bool>());
}

TEST(TailEvent, ParseException) {
  auto x = parseException("TypeError: boom: twice\n    at index.js:3:9", 5);
  EXPECT_EQ(x.name, "TypeError");
  EXPECT_EQ(x.message, "boom: twice");
  EXPECT_EQ(x.stack, "    at index.js:3:9");
  EXPECT_EQ(x.timestampMs, 5);
  auto y = parseException("42", 6);
  EXPECT_EQ(y.name, "Error");
  EXPECT_EQ(y.message, "42");
  auto z = parseException("The script will never generate a response: its promise is pending", 7);
  EXPECT_EQ(z.name, "Error");
  EXPECT_EQ(z.message, "The script will never generate a response: its promise is pending");
}

TEST(TailFilters, WranglersFiltersMatch) {
  auto f = TailFilters::parse(R"({"filters": [{"outcome": ["ok"]}, {"method": ["post"]},
      {"header": {"key": "X-A", "query": "2"}}, {"query": "item"}, {"client_ip": ["self"]},
      {"scriptVersion": "01234567-89ab-cdef-0123-456789abcdef"}]})");
  ASSERT_TRUE(f.isOk()) << f.status().message();
  TailEvent e = requestEvent();
  EXPECT_TRUE(f->matches(e, 0.5));
  TailEvent other = e;
  other.method = "GET";
  EXPECT_FALSE(f->matches(other, 0.5));
  other = e;
  other.outcome = Outcome::kException;
  EXPECT_FALSE(f->matches(other, 0.5));
  other = e;
  other.logs.clear();
  EXPECT_FALSE(f->matches(other, 0.5));
  other = e;
  other.headers = {{"x-a", "1"}};
  EXPECT_FALSE(f->matches(other, 0.5));
  other = e;
  other.versionId = "ffffffffffffffffffffffffffffffff";
  EXPECT_FALSE(f->matches(other, 0.5));

  auto sampled = TailFilters::parse(R"({"filters": [{"sampling_rate": 0.25}]})");
  ASSERT_TRUE(sampled.isOk());
  EXPECT_TRUE(sampled->matches(e, 0.2));
  EXPECT_FALSE(sampled->matches(e, 0.3));

  EXPECT_TRUE(TailFilters::parse("").isOk());
  EXPECT_TRUE(TailFilters::parse(R"({"filters": []})").isOk());
  EXPECT_FALSE(TailFilters::parse("[1]").isOk());
  EXPECT_FALSE(TailFilters::parse(R"({"filters": [{"sampling_rate": 3}]})").isOk());
  EXPECT_FALSE(TailFilters::parse(R"({"filters": [{"telepathy": true}]})").isOk());
}

TEST(TailHub, AttachOnceWithTheSecretPublishAndEnd) {
  TailHub hub;
  EXPECT_FALSE(hub.watching("acct", "shop"));
  auto created = hub.create("acct", "shop", R"({"filters": [{"method": ["POST"]}]})");
  ASSERT_TRUE(created.isOk());
  EXPECT_EQ(created->secret.size(), 64u);
  EXPECT_FALSE(hub.watching("acct", "shop"));  // created, not attached yet

  std::vector<std::string> received;
  int closes = 0;
  auto subscriber = [&] {
    return TailHub::Subscriber{[&](std::shared_ptr<const std::string> m) { received.push_back(*m); }, [&] { closes++; }};
  };
  EXPECT_FALSE(hub.attach(created->tail.id, std::string(64, '0'), subscriber()).isOk());
  EXPECT_FALSE(hub.attach("nope", created->secret, subscriber()).isOk());
  ASSERT_TRUE(hub.attach(created->tail.id, created->secret, subscriber()).isOk());
  EXPECT_FALSE(hub.attach(created->tail.id, created->secret, subscriber()).isOk());  // once only
  EXPECT_TRUE(hub.watching("acct", "shop"));
  EXPECT_FALSE(hub.watching("acct", "other"));
  EXPECT_FALSE(hub.watching("other-acct", "shop"));

  hub.publish("acct", requestEvent());
  TailEvent get = requestEvent();
  get.method = "GET";
  hub.publish("acct", get);                // filtered out
  hub.publish("other-acct", requestEvent());  // another account's script of the same name
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(json::parse(received[0])["event"]["request"]["method"], "POST");

  auto listed = hub.list("acct", "shop");
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_TRUE(listed[0].attached);
  EXPECT_FALSE(hub.remove("acct", "other", created->tail.id).isOk());
  EXPECT_TRUE(hub.remove("acct", "shop", created->tail.id).isOk());
  EXPECT_EQ(closes, 1);
  EXPECT_FALSE(hub.watching("acct", "shop"));
  hub.detach(created->tail.id);  // the connection going afterwards is harmless
  EXPECT_TRUE(hub.list("acct", "shop").empty());
}

TEST(TailHub, DetachEndsTheTailAndTheScriptHasALimit) {
  TailHub hub;
  std::vector<std::string> ids;
  for (size_t i = 0; i < TailHub::kMaxTailsPerScript; i++) {
    auto c = hub.create("a", "s", "");
    ASSERT_TRUE(c.isOk());
    ids.push_back(c->tail.id);
    ASSERT_TRUE(hub.attach(c->tail.id, c->secret, {[](std::shared_ptr<const std::string>) {}, [] {}}).isOk());
  }
  EXPECT_FALSE(hub.create("a", "s", "").isOk());
  EXPECT_TRUE(hub.create("a", "another", "").isOk());
  for (const auto& id : ids) hub.detach(id);
  EXPECT_FALSE(hub.watching("a", "s"));
  EXPECT_TRUE(hub.create("a", "s", "").isOk());
}

}  // namespace
}  // namespace islet::runtime

// The transaction events behind WS /ws/events without Redis or sockets: their format, the
// filters a subscriber chooses, and the hub that hands them out (fan-out, slow subscribers,
// resume from the recent events).
#include "opsdb/events/event_hub.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "opsdb/core/error.hpp"
#include "opsdb/events/transaction_event.hpp"

namespace opsdb {
namespace {

using Json = nlohmann::json;
constexpr const char* kUnit = "0f9d2c1e-6a53-4a39-9d3e-1c4b2a7e5f60";
constexpr const char* kTx = "5b1e0f43-2f7a-4c8e-9b61-0d7c3a9e2b14";

Transaction start_of_unit() {
  Transaction tx;
  tx.id = kTx;
  tx.origin = "POST /executed_obs_units/start";
  tx.created_at = "2026-11-30T07:00:00.000000Z";
  Step step;
  step.op = Step::Op::insert;
  step.table = "executed_obs_unit";
  step.row = {{"id", kUnit}, {"obs_unit_id", 42}, {"status", "running"}};
  tx.steps.push_back(step);
  return tx;
}

Event event(std::uint64_t ms, std::string kind, std::string table = "executed_obs_unit",
            std::string record = kUnit) {
  auto text = transaction_event(kind, kTx,
                                R"("origin":"test","table":")" + table + R"(","record_ids":[")" +
                                    record + R"("],"record_count":1)",
                                "2026-11-30T07:00:00Z");
  auto parsed = Event::parse(EventId{ms, 0}, text);
  EXPECT_TRUE(parsed) << text;
  return *parsed;
}

std::shared_ptr<MessageFeed> feed(std::size_t max_messages = 100) {
  return std::make_shared<MessageFeed>(MessageFeed::Limits{max_messages, 1 << 20});
}

// The kinds (or "gap") of what a feed holds, in order.
std::vector<std::string> kinds(MessageFeed& f) {
  std::vector<std::string> out;
  for (const auto& m : f.take().messages) out.push_back(Json::parse(*m).at("event"));
  return out;
}

// An event log whose answer the test gives when it chooses.
class HeldLog final : public EventLog {
 public:
  void read_after(EventId after, std::size_t limit, Callback<Page> done) override {
    asked_after = after;
    asked_limit = limit;
    pending = std::move(done);
  }
  void answer(Result<Page> page) { std::exchange(pending, nullptr)(std::move(page)); }

  EventId asked_after;
  std::size_t asked_limit = 0;
  Callback<Page> pending;
};

TEST(TransactionEvent, CarriesTheSubjectOfTheTransactionAndItsIdComesFirst) {
  const auto tx = start_of_unit();
  const auto text = transaction_event("buffered", tx.id, event_subject(tx), tx.created_at);
  const auto parsed = Event::parse(EventId{1700000000000, 3}, text);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->kind, "buffered");
  EXPECT_EQ(parsed->table, "executed_obs_unit");
  EXPECT_EQ(parsed->record_ids, std::vector<std::string>{kUnit});
  EXPECT_EQ(parsed->obs_unit_id, 42);
  const auto message = nlohmann::ordered_json::parse(*parsed->message);
  EXPECT_EQ(message.begin().key(), "id");
  EXPECT_EQ(message["id"], "1700000000000-3");
  EXPECT_EQ(message["transaction_id"], kTx);
  EXPECT_EQ(message["origin"], "POST /executed_obs_units/start");
  EXPECT_EQ(message["record_count"], 1);
  EXPECT_EQ(message["at"], tx.created_at);
}

TEST(TransactionEvent, NamesAtMostFiftyRecordsAndCountsThemAll) {
  Transaction tx = start_of_unit();
  Step bulk;
  bulk.op = Step::Op::insert_many;
  bulk.table = "raw_data_file";
  bulk.rows = Json::array();
  for (int i = 0; i < 120; ++i) bulk.rows.push_back({{"id", "file-" + std::to_string(i)}});
  tx.steps.push_back(bulk);
  const auto doc = Json::parse("{" + event_subject(tx) + "}");
  EXPECT_EQ(doc["record_ids"].size(), kEventRecordIds);
  EXPECT_EQ(doc["record_count"], 121);
}

TEST(TransactionEvent, ExtraMembersAndHostileTextStayValidJson) {
  const auto text = transaction_event("failed", "x\"y", "", "t", R"(,"error":"a \"quoted\" b")");
  const auto doc = Json::parse(text);
  EXPECT_EQ(doc["transaction_id"], "x\"y");
  EXPECT_EQ(doc["error"], "a \"quoted\" b");
}

TEST(EventParse, RefusesWhatIsNotAnEvent) {
  EXPECT_FALSE(Event::parse(EventId{}, "not json"));
  EXPECT_FALSE(Event::parse(EventId{}, "[1,2]"));
  EXPECT_FALSE(Event::parse(EventId{}, R"({"transaction_id":"x"})"));
  EXPECT_TRUE(Event::parse(EventId{}, R"({"event":"applied"})"));
}

TEST(EventId, ParsesStreamIdsAndOrdersThem) {
  EXPECT_EQ(EventId::parse("1700000000000-12"), (EventId{1700000000000, 12}));
  EXPECT_LT(*EventId::parse("5-9"), *EventId::parse("6-0"));
  EXPECT_LT(*EventId::parse("6-2"), *EventId::parse("6-10"));
  for (const char* bad : {"", "-", "12", "a-1", "1-", "-1", "1-2-3", "99999999999999999999999-1"}) {
    EXPECT_FALSE(EventId::parse(bad)) << bad;
  }
}

TEST(EventFilter, ReadsTheQueryAndRefusesUnknownValuesWith400) {
  auto filter = EventFilter::from_query({{"event", "applied,replicated"},
                                         {"table", "executed_obs_unit"},
                                         {"record_id", "0F9D2C1E-6A53-4A39-9D3E-1C4B2A7E5F60"}});
  EXPECT_TRUE(filter.matches(event(1, "applied")));
  EXPECT_FALSE(filter.matches(event(1, "buffered")));
  EXPECT_FALSE(filter.matches(event(1, "applied", "raw_data_file")));
  EXPECT_FALSE(filter.matches(event(1, "applied", "executed_obs_unit", "other")));

  for (auto query : std::vector<std::map<std::string, std::string>>{{{"event", "exploded"}},
                                                                    {{"event", "applied,"}},
                                                                    {{"table", "pg_authid"}},
                                                                    {{"record_id", "42"}},
                                                                    {{"obs_unit_id", "4x"}}}) {
    try {
      EventFilter::from_query(query);
      ADD_FAILURE() << "accepted " << query.begin()->first << "=" << query.begin()->second;
    } catch (const ApiError& e) {
      EXPECT_EQ(e.kind(), ErrorKind::bad_request);
    }
  }
}

TEST(EventFilter, ObsUnitMatchesOnlyEventsNamingIt) {
  const auto filter = EventFilter::from_query({{"obs_unit_id", "42"}});
  const auto tx = start_of_unit();
  auto named = Event::parse(EventId{1, 0},
                            transaction_event("buffered", tx.id, event_subject(tx), tx.created_at));
  EXPECT_TRUE(filter.matches(*named));
  EXPECT_FALSE(filter.matches(event(2, "buffered")));
}

TEST(EventHub, HandsEachEventToTheSubscribersThatWantIt) {
  EventHub hub(nullptr, 10);
  auto all = feed();
  auto applied_only = feed();
  hub.subscribe(all, {});
  hub.subscribe(applied_only, EventFilter::from_query({{"event", "applied"}}));
  hub.publish(event(1, "buffered"));
  hub.publish(event(2, "applied"));
  hub.publish(event(3, "replicated"));
  EXPECT_EQ(kinds(*all), (std::vector<std::string>{"buffered", "applied", "replicated"}));
  EXPECT_EQ(kinds(*applied_only), std::vector<std::string>{"applied"});
}

TEST(EventHub, ASlowSubscriberIsClosedAndTheOthersGetEverything) {
  EventHub hub(nullptr, 10);
  auto slow = feed(5);
  auto fast = feed(5);
  hub.subscribe(slow, {});
  hub.subscribe(fast, {});
  std::size_t received = 0;
  for (std::uint64_t i = 1; i <= 50; ++i) {
    hub.publish(event(i, "buffered"));
    received += fast->take().messages.size();  // the fast one keeps up
  }
  EXPECT_EQ(received, 50u);
  const auto batch = slow->take();
  ASSERT_TRUE(batch.close);
  EXPECT_EQ(batch.close->code, 1013);
  EXPECT_TRUE(batch.messages.empty());
  EXPECT_EQ(hub.subscribers(), 2u);
  slow->end();
  EXPECT_EQ(hub.subscribers(), 1u) << "an ended feed is unsubscribed";
}

TEST(EventHub, ResumeSendsTheMissedEventsThenTheLiveOnesNoneTwice) {
  HeldLog log;
  EventHub hub(&log, 10);
  auto f = feed();
  hub.subscribe(f, {}, EventId{1, 0});
  EXPECT_EQ(log.asked_after, (EventId{1, 0}));
  EXPECT_EQ(log.asked_limit, 10u);
  // Live events arrive while the log is read: one it will also return, one after.
  hub.publish(event(3, "applied"));
  hub.publish(event(4, "replicated"));
  EXPECT_TRUE(f->take().messages.empty()) << "nothing before the missed events";
  log.answer(EventLog::Page{{event(2, "buffered"), event(3, "applied")}, false, false});
  EXPECT_EQ(kinds(*f), (std::vector<std::string>{"buffered", "applied", "replicated"}));
  hub.publish(event(5, "buffered"));
  EXPECT_EQ(kinds(*f), std::vector<std::string>{"buffered"});
}

TEST(EventHub, ResumeSaysWhereEventsWereLost) {
  HeldLog log;
  EventHub hub(&log, 2);
  auto trimmed = feed();
  hub.subscribe(trimmed, {}, EventId{1, 0});
  log.answer(EventLog::Page{{event(7, "applied")}, true, false});
  EXPECT_EQ(kinds(*trimmed), (std::vector<std::string>{"gap", "applied"}));

  auto too_many = feed();
  hub.subscribe(too_many, {}, EventId{1, 0});
  log.answer(EventLog::Page{{event(2, "buffered"), event(3, "applied")}, false, true});
  auto messages = too_many->take().messages;
  ASSERT_EQ(messages.size(), 3u);
  EXPECT_EQ(Json::parse(*messages[2])["event"], "gap");
  EXPECT_EQ(Json::parse(*messages[2])["since"], "3-0") << "missed from the last one sent on";

  auto unreadable = feed();
  hub.subscribe(unreadable, {}, EventId{1, 0});
  log.answer(Error{Fault::unavailable, "Redis down", ""});
  EXPECT_EQ(kinds(*unreadable), std::vector<std::string>{"gap"});
}

TEST(EventHub, WithoutALogAResumeGetsAGapAndTheLiveEvents) {
  EventHub hub(nullptr, 10);
  auto f = feed();
  hub.subscribe(f, {}, EventId{1, 0});
  hub.publish(event(2, "applied"));
  EXPECT_EQ(kinds(*f), (std::vector<std::string>{"gap", "applied"}));
}

}  // namespace
}  // namespace opsdb

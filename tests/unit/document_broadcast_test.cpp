// The transfer overview's broadcast (WS /api/transfer/ws/overview) step by step: the document at
// connect, a push only when it changed, at most once per interval, and only while watched.
#include "opsdb/events/document_broadcast.hpp"

#include <gtest/gtest.h>

#include "support/step_scheduler.hpp"

namespace opsdb {
namespace {

using std::chrono::milliseconds;

class DocumentBroadcastTest : public ::testing::Test {
 protected:
  DocumentBroadcastTest()
      : scheduler_(clock_),
        broadcast_(
            [this](Callback<DocumentBroadcast::Document> done) {
              ++computed_;
              done(DocumentBroadcast::Document{"doc " + figures_, figures_});
            },
            scheduler_, clock_, {milliseconds{1'000}, milliseconds{5'000}}) {}

  ~DocumentBroadcastTest() override {
    broadcast_.stop();
    scheduler_.run_until_idle();
  }

  std::shared_ptr<MessageFeed> subscriber() {
    auto f = std::make_shared<MessageFeed>(MessageFeed::Limits{100, 1 << 20});
    broadcast_.subscribe(f);
    return f;
  }
  std::vector<std::string> received(MessageFeed& f) {
    std::vector<std::string> out;
    for (const auto& m : f.take().messages) out.push_back(*m);
    return out;
  }
  // One tick, and the work it posted (the computed document comes back by the scheduler).
  void tick() {
    scheduler_.step();
    scheduler_.run_until_wait();
  }

  ManualClock clock_;
  test::StepScheduler scheduler_;
  std::string figures_ = "1 package";
  int computed_ = 0;
  DocumentBroadcast broadcast_;
};

TEST_F(DocumentBroadcastTest, NothingIsComputedWhileNobodyWatches) {
  broadcast_.start();
  for (int i = 0; i < 10; ++i) tick();
  EXPECT_EQ(computed_, 0);
}

TEST_F(DocumentBroadcastTest, TheFirstDocumentAtConnectThenOnlyChanges) {
  broadcast_.start();
  auto first = subscriber();
  tick();
  EXPECT_EQ(received(*first), std::vector<std::string>{"doc 1 package"});

  // Nudged, unchanged: computed again, nothing pushed.
  broadcast_.nudge();
  tick();
  EXPECT_EQ(computed_, 2);
  EXPECT_TRUE(received(*first).empty());

  // A second subscriber gets the latest at once, without a computation.
  auto second = subscriber();
  EXPECT_EQ(received(*second), std::vector<std::string>{"doc 1 package"});
  EXPECT_EQ(computed_, 2);

  figures_ = "2 packages";
  broadcast_.nudge();
  tick();
  EXPECT_EQ(received(*first), std::vector<std::string>{"doc 2 packages"});
  EXPECT_EQ(received(*second), std::vector<std::string>{"doc 2 packages"});
}

TEST_F(DocumentBroadcastTest, NudgesWithinOneIntervalCostOneComputation) {
  broadcast_.start();
  auto f = subscriber();
  tick();
  const int before = computed_;
  for (int i = 0; i < 100; ++i) broadcast_.nudge();
  tick();
  EXPECT_EQ(computed_, before + 1);
}

TEST_F(DocumentBroadcastTest, WithoutNudgesItLooksAgainEveryMaxInterval) {
  broadcast_.start();
  auto f = subscriber();
  tick();
  const int before = computed_;
  for (int i = 0; i < 4; ++i) tick();  // 4 s
  EXPECT_EQ(computed_, before);
  tick();  // 5 s
  EXPECT_EQ(computed_, before + 1);
}

}  // namespace
}  // namespace opsdb

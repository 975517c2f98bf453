#include "server/placement.h"

#include <gtest/gtest.h>

#include <array>
#include <bit>
#include <string>

namespace islet::server {
namespace {

constexpr int64_t kNow = 1'000'000;

// A version whose home is `thread` (the hash decides; tests look for one).
std::string versionHomedOn(Placement& p, size_t thread, const std::string& prefix) {
  std::array<int, 2> none{};
  for (int i = 0; i < 1000; i++) {
    std::string v = prefix + std::to_string(i);
    // Asked from the other thread with even connections: a light version goes home.
    size_t got = p.pick(v, 1 - thread, none, kNow);
    if (got == thread) return v;
    p.unloaded(v, got);
  }
  ADD_FAILURE() << "no version homed on thread " << thread;
  return "";
}

// Two threads: `burn`, homed on thread 0, runs heavy requests there with thread 1 idle, so it spreads to thread 1
// and runs heavy requests there too: both threads are heavy.
void spreadHeavyOverBoth(Placement& p, const std::string& burn) {
  std::array<int, 2> connections{4, 0};
  p.heavyRequest(burn, 0, kNow);
  p.setBusy(0, 100);
  p.setBusy(1, 0);
  ASSERT_EQ(p.pick(burn, 0, connections, kNow), 1u);  // a heavy version spreads only to an idle thread
  p.heavyRequest(burn, 1, kNow);
  ASSERT_EQ(p.threadsOf(burn), 0b11u);
}

TEST(Placement, AColdVersionRunsOnOneThreadOnly) {
  Placement p(4);
  std::array<int, 4> connections{};
  for (int i = 0; i < 100; i++) {
    std::string v = "v" + std::to_string(i);
    size_t first = p.pick(v, 0, connections, kNow);
    // Asked from every thread, it is always the same one: loaded once, not once per thread.
    for (size_t from = 0; from < 4; from++) EXPECT_EQ(p.pick(v, from, connections, kNow), first) << v;
    EXPECT_EQ(std::popcount(p.threadsOf(v)), 1) << v;
  }
}

TEST(Placement, HomesSpreadOverTheThreads) {
  Placement p(2);
  std::array<int, 2> connections{};
  int onZero = 0;
  for (int i = 0; i < 1000; i++) onZero += p.pick("script-" + std::to_string(i), 0, connections, kNow) == 0;
  EXPECT_GT(onZero, 400);
  EXPECT_LT(onZero, 600);
}

TEST(Placement, AHotVersionSpreadsToAnIdleThreadAndConnectionsBalance) {
  Placement p(2);
  std::string v = versionHomedOn(p, 0, "hot");
  std::array<int, 2> connections{50, 0};
  p.setBusy(0, 100);
  p.setBusy(1, 60);
  // Thread 1 is not idle enough: it stays home.
  EXPECT_EQ(p.pick(v, 0, connections, kNow), 0u);
  EXPECT_EQ(p.threadsOf(v), 0b01u);
  p.setBusy(1, 5);
  // Now it spreads, and a request on the crowded thread moves to the empty one.
  EXPECT_EQ(p.pick(v, 0, connections, kNow), 1u);
  EXPECT_EQ(p.threadsOf(v), 0b11u);
  // Balanced within the slack: requests stay where they arrived.
  connections = {26, 24};
  EXPECT_EQ(p.pick(v, 0, connections, kNow), 0u);
  EXPECT_EQ(p.pick(v, 1, connections, kNow), 1u);
}

TEST(Placement, LightVersionsLeaveAThreadThatRunsHeavyRequests) {
  Placement p(2);
  std::string quiet = versionHomedOn(p, 0, "quiet");
  std::string noisy = versionHomedOn(p, 0, "noisy");
  std::array<int, 2> connections{4, 4};
  p.setBusy(0, 100);
  p.setBusy(1, 90);  // even a busy thread is better than one that runs 50 ms requests
  p.heavyRequest(noisy, 0, kNow);
  EXPECT_EQ(p.pick(quiet, 0, connections, kNow + 10), 1u);
  EXPECT_EQ(p.pick(quiet, 1, connections, kNow + 10), 1u);
  // The heavy version stays on its thread: the other is neither idle nor free of light work.
  EXPECT_EQ(p.pick(noisy, 1, connections, kNow + 10), 0u);
  EXPECT_EQ(p.threadsOf(noisy), 0b01u);
  // Once the thread has run no heavy request for a while, the light version may use it again.
  int64_t later = kNow + Placement::kHeavyThreadMs + 1;
  p.setBusy(1, 10);
  EXPECT_EQ(p.pick(quiet, 0, connections, later), 0u);
}

TEST(Placement, AConnectionWaitsForItsNextRequestOnAThreadWithoutHeavyWork) {
  Placement p(2);
  std::string burn = versionHomedOn(p, 1, "burn");
  // No thread runs heavy requests: a connection stays where it was answered.
  EXPECT_EQ(p.idleThread(1, kNow), 1u);
  p.heavyRequest(burn, 1, kNow);
  p.setBusy(0, 95);  // however busy the other thread is
  EXPECT_EQ(p.idleThread(1, kNow + 10), 0u);
  EXPECT_EQ(p.idleThread(0, kNow + 10), 0u);  // a clean thread keeps its connections
  // Once the thread has run no heavy request for a while, connections stay on it again.
  EXPECT_EQ(p.idleThread(1, kNow + Placement::kHeavyThreadMs + 1), 1u);
}

TEST(Placement, WhenEveryThreadRunsHeavyRequestsAConnectionStaysWhereItWasAnswered) {
  Placement p(2);
  std::string burn = versionHomedOn(p, 0, "burn");
  spreadHeavyOverBoth(p, burn);
  EXPECT_EQ(p.idleThread(0, kNow + 10), 0u);
  EXPECT_EQ(p.idleThread(1, kNow + 10), 1u);
}

TEST(Placement, AHeavyVersionSpreadsOnlyToAnIdleThread) {
  Placement p(2);
  std::string burn = versionHomedOn(p, 0, "burn");
  std::array<int, 2> connections{4, 0};
  p.heavyRequest(burn, 0, kNow);
  p.setBusy(0, 100);
  p.setBusy(1, 30);
  EXPECT_EQ(p.pick(burn, 0, connections, kNow), 0u);
  p.setBusy(1, 0);
  EXPECT_EQ(p.pick(burn, 0, connections, kNow), 1u);
}

TEST(Placement, ALightVersionTakesBackAThreadAHeavyOneSpreadToWhileItWasQuiet) {
  Placement p(2);
  std::string burn = versionHomedOn(p, 0, "burn");
  std::string quiet = versionHomedOn(p, 1, "quiet");
  spreadHeavyOverBoth(p, burn);  // quiet is not being called just now
  // Quiet's traffic comes back: every thread is heavy, so it takes its own back.
  p.setBusy(1, 100);
  std::array<int, 2> connections{2, 2};
  EXPECT_EQ(p.pick(quiet, 1, connections, kNow + 1), 1u);
  EXPECT_EQ(p.threadsOf(burn), 0b01u);
  EXPECT_EQ(p.pick(burn, 1, connections, kNow + 1), 0u);
  // A burn request still finishing there does not mark the thread again.
  p.heavyRequest(burn, 1, kNow + 2);
  EXPECT_EQ(p.pick(quiet, 1, connections, kNow + 3), 1u);
  EXPECT_EQ(p.pick(quiet, 0, connections, kNow + 3), 1u);
}

TEST(Placement, AHeavyVersionDoesNotSpreadAgainToAThreadALightOneTookBack) {
  Placement p(2);
  std::string burn = versionHomedOn(p, 0, "burn");
  std::string quiet = versionHomedOn(p, 1, "quiet");
  spreadHeavyOverBoth(p, burn);
  std::array<int, 2> connections{2, 2};
  ASSERT_EQ(p.pick(quiet, 1, connections, kNow + 1), 1u);  // every thread heavy: quiet takes its own back
  ASSERT_EQ(p.threadsOf(burn), 0b01u);
  // Quiet's traffic is sparse, so its thread looks idle again at once; the heavy version may not take it yet.
  p.heavyRequest(burn, 0, kNow + 2);
  EXPECT_EQ(p.pick(burn, 0, connections, kNow + 2), 0u);
  EXPECT_EQ(p.threadsOf(burn), 0b01u);
  EXPECT_EQ(p.idleThread(0, kNow + 3), 1u);  // so connections answered on the burner's thread wait there
  connections = {4, 0};
  EXPECT_EQ(p.pick(burn, 0, connections, kNow + 2), 0u);
  p.heavyRequest(burn, 0, kNow + Placement::kReclaimedMs + 2);
  EXPECT_EQ(p.pick(burn, 0, connections, kNow + Placement::kReclaimedMs + 2), 1u);
}

TEST(Placement, UnloadedEverywhereIsPlacedAfresh) {
  Placement p(2);
  std::string v = versionHomedOn(p, 1, "gone");
  p.loaded(v, 0);
  EXPECT_EQ(p.threadsOf(v), 0b11u);
  p.unloaded(v, 0);
  p.unloaded(v, 1);
  EXPECT_EQ(p.threadsOf(v), 0u);
}

TEST(Placement, OneThreadIsAlwaysTheCurrentOne) {
  Placement p(1);
  std::array<int, 1> connections{3};
  EXPECT_FALSE(p.enabled());
  EXPECT_EQ(p.pick("anything", 0, connections, kNow), 0u);
}

}  // namespace
}  // namespace islet::server

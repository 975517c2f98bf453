#include "runtime/watchdog.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <thread>

#include "engine/platform.h"

namespace islet::runtime {
namespace {

using Sample = Watchdog::Sample;

TEST(WatchdogCharge, ShortUnobservedTimeIsChargedAsWallTime) {
  Sample samples[2] = {{5'000, 900}, {}};
  // 800 us of wall time: trusted, whatever the CPU clock says.
  EXPECT_EQ(Watchdog::chargeBefore(1'000, 1'800, 5'010, samples), 800);
}

TEST(WatchdogCharge, LongUnobservedTimeIsBoundedByTheThreadsCpu) {
  // Preempted: 29 ms of wall time in which the thread used 300 us since a sample taken before the entry began.
  Sample samples[2] = {{5'000, 900}, {}};
  EXPECT_EQ(Watchdog::chargeBefore(1'000, 30'000, 5'300, samples), 300);
  // The newest sample before the start is the tighter bound; one read after the start does not count.
  Sample two[2] = {{5'200, 950}, {4'000, 500}};
  EXPECT_EQ(Watchdog::chargeBefore(1'000, 30'000, 5'300, two), 100);
  Sample late[2] = {{5'250, 1'001}, {4'000, 500}};
  EXPECT_EQ(Watchdog::chargeBefore(1'000, 30'000, 5'300, late), 1'300);
}

TEST(WatchdogCharge, WithoutAnEarlierSampleItIsWallTime) {
  Sample none[2] = {};
  EXPECT_EQ(Watchdog::chargeBefore(1'000, 30'000, 5'300, none), 29'000);
  Sample after[2] = {{5'000, 1'500}, {}};
  EXPECT_EQ(Watchdog::chargeBefore(1'000, 30'000, 5'300, after), 29'000);
}

TEST(WatchdogCharge, NeverMoreThanWallTime) {
  // The thread ran other work between the sample and the entry: the CPU bound can exceed the wall time.
  Sample samples[2] = {{1'000, 0}, {}};
  EXPECT_EQ(Watchdog::chargeBefore(10'000, 12'000, 50'000, samples), 2'000);
}

class WatchdogEntryTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { engine::initialize(); }
  void SetUp() override {
    allocator_.reset(v8::ArrayBuffer::Allocator::NewDefaultAllocator());
    v8::Isolate::CreateParams params;
    params.array_buffer_allocator = allocator_.get();
    isolate_ = v8::Isolate::New(params);
  }
  void TearDown() override { isolate_->Dispose(); }

  std::unique_ptr<v8::ArrayBuffer::Allocator> allocator_;
  v8::Isolate* isolate_ = nullptr;
};

TEST_F(WatchdogEntryTest, WaitingInsideAnEntryIsNotCharged) {
  constexpr int64_t kNoLimit = int64_t{1} << 40;
  { Watchdog::Entry warm(isolate_, kNoLimit); }  // registers this thread
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  Watchdog::Entry entry(isolate_, kNoLimit);
  std::this_thread::sleep_for(std::chrono::milliseconds(40));
  // Whether the watchdog looked at once, late, or never: 40 ms asleep is not 40 ms of CPU.
  EXPECT_LT(entry.cpuMicros(), 10'000);
  EXPECT_FALSE(entry.terminated());
}

TEST_F(WatchdogEntryTest, BusyTimeInsideAnEntryIsCharged) {
  constexpr int64_t kNoLimit = int64_t{1} << 40;
  Watchdog::Entry entry(isolate_, kNoLimit);
  int64_t start = threadCpuMicros();
  while (threadCpuMicros() - start < 20'000) {
  }
  EXPECT_GE(entry.cpuMicros(), 20'000);
}

TEST_F(WatchdogEntryTest, AfterAnIdleSpellItSleepsAndTheNextEntryIsStillStopped) {
  { Watchdog::Entry warm(isolate_, int64_t{1} << 40); }
  std::this_thread::sleep_for(std::chrono::milliseconds(60));
  EXPECT_TRUE(Watchdog::instance().asleep());
  v8::Locker locker(isolate_);
  v8::Isolate::Scope isolateScope(isolate_);
  v8::HandleScope handles(isolate_);
  v8::Local<v8::Context> context = v8::Context::New(isolate_);
  v8::Context::Scope contextScope(context);
  v8::Local<v8::Script> script;
  ASSERT_TRUE(v8::Script::Compile(context, v8::String::NewFromUtf8Literal(isolate_, "for (;;) {}")).ToLocal(&script));
  Watchdog::Entry entry(isolate_, 5'000);
  EXPECT_FALSE(Watchdog::instance().asleep());
  EXPECT_TRUE(script->Run(context).IsEmpty());
  EXPECT_TRUE(entry.terminated());
  EXPECT_GE(entry.cpuMicros(), 5'000);
  isolate_->CancelTerminateExecution();
}

}  // namespace
}  // namespace islet::runtime

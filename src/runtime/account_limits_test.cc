// withAccountOverrides: which defaults an account's overrides replace, and how the CPU cap follows the default.
#include "runtime/account_limits.h"

#include <gtest/gtest.h>

namespace islet::runtime {
namespace {

WorkerLimits operatorDefaults() {
  WorkerLimits l;
  l.cpuMicrosPerRequest = 50'000;
  l.maxCpuMicrosPerRequest = 100'000;
  l.wallMsPerRequest = 30'000;
  l.heapBytes = 128u << 20;
  l.maxSubrequests = 1000;
  l.maxConnections = 6;
  return l;
}

TEST(AccountLimitsTest, NoOverridesLeaveTheDefaults) {
  WorkerLimits d = operatorDefaults();
  d.maxCpuMicrosPerRequest = 20'000;  // an operator's cap below the default stays as the operator set it
  WorkerLimits l = withAccountOverrides(d, store::AccountLimits{});
  EXPECT_EQ(l.cpuMicrosPerRequest, 50'000);
  EXPECT_EQ(l.maxCpuMicrosPerRequest, 20'000);
  EXPECT_EQ(l.wallMsPerRequest, 30'000);
  EXPECT_EQ(l.heapBytes, 128u << 20);
  EXPECT_EQ(l.maxSubrequests, 1000);
  EXPECT_EQ(l.maxConnections, 6u);
}

TEST(AccountLimitsTest, EachOverrideReplacesItsDefault) {
  store::AccountLimits o;
  o.cpuMs = 200;
  o.maxCpuMs = 1000;
  o.wallMs = 60'000;
  o.heapMb = 256;
  o.subrequests = 5000;
  o.connections = 10;
  WorkerLimits l = withAccountOverrides(operatorDefaults(), o);
  EXPECT_EQ(l.cpuMicrosPerRequest, 200'000);
  EXPECT_EQ(l.maxCpuMicrosPerRequest, 1'000'000);
  EXPECT_EQ(l.wallMsPerRequest, 60'000);
  EXPECT_EQ(l.heapBytes, size_t{256} << 20);
  EXPECT_EQ(l.maxSubrequests, 5000);
  EXPECT_EQ(l.maxConnections, 10u);
  EXPECT_EQ(l.maxTimers, operatorDefaults().maxTimers);  // not overridable
}

TEST(AccountLimitsTest, TheCpuCapIsNeverBelowTheAccountsDefault) {
  store::AccountLimits o;
  o.cpuMs = 500;  // above the operator's 100 ms cap
  WorkerLimits l = withAccountOverrides(operatorDefaults(), o);
  EXPECT_EQ(l.cpuMicrosPerRequest, 500'000);
  EXPECT_EQ(l.maxCpuMicrosPerRequest, 500'000);

  store::AccountLimits capOnly;
  capOnly.maxCpuMs = 20;  // below the operator's 50 ms default, which still applies
  l = withAccountOverrides(operatorDefaults(), capOnly);
  EXPECT_EQ(l.cpuMicrosPerRequest, 50'000);
  EXPECT_EQ(l.maxCpuMicrosPerRequest, 50'000);

  capOnly.maxCpuMs = 2000;
  l = withAccountOverrides(operatorDefaults(), capOnly);
  EXPECT_EQ(l.cpuMicrosPerRequest, 50'000);
  EXPECT_EQ(l.maxCpuMicrosPerRequest, 2'000'000);
}

}  // namespace
}  // namespace islet::runtime

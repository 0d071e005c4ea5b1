#pragma once
// What the machine did besides the measurement, over a visit: the CPU time of every other process (from
// /proc/stat, less the worker's and llmsweep's own), the time the hypervisor stole, the load average, the CPU
// clock where the kernel reports it, and thermal throttling events where the CPU counts them. A visit that
// ran beside other work is the usual cause of a disturbed round (docs/statistics.md).

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace llmsweep::engine {

struct HostSample {
    std::chrono::steady_clock::time_point at;
    uint64_t busy_ticks = 0, steal_ticks = 0, total_ticks = 0; // every CPU, since boot
    double own_cpu_s = 0;                                      // this process's CPU time
    std::optional<int64_t> throttle_events;                    // summed over CPUs, where counted
};

// Now; zeros where /proc/stat cannot be read.
HostSample sample_host();

struct VisitActivity {
    double wall_s = 0;
    double other_cpu_cores = 0;             // CPU time of other processes over the visit, in cores (1.0: one core busy)
    double steal_percent = 0;               // of all CPU time over the visit
    double load_average = 0;                // 1-minute load average at its end
    std::optional<double> cpu_mhz;          // mean clock of the CPUs at its end, where reported
    std::optional<int64_t> throttle_events; // during it
};

// Between two samples, the worker (a child process) having used `worker_cpu_s` of CPU time.
VisitActivity activity_between(const HostSample& start, const HostSample& end, double worker_cpu_s);

// The parsed first line of /proc/stat ("cpu  user nice system idle iowait irq softirq steal ..."), for tests:
// busy = user + nice + system + irq + softirq (guest time is part of user), total = all of them.
bool parse_proc_stat(const std::string& text, HostSample& sample);

} // namespace llmsweep::engine

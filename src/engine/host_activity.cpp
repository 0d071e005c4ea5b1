#include "engine/host_activity.hpp"

#include "core/text.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/resource.h>
#include <unistd.h>

namespace llmsweep::engine {
namespace {

double own_cpu_seconds() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    const auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// The sum of a per-CPU counter file over the CPUs that have it; none where no CPU has it.
std::optional<int64_t> sum_over_cpus(const std::string& relative) {
    std::optional<int64_t> sum;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/sys/devices/system/cpu", ec)) {
        const std::string name = entry.path().filename().string();
        if (name.rfind("cpu", 0) != 0 || name.size() < 4 || !std::isdigit(static_cast<unsigned char>(name[3])))
            continue;
        std::ifstream in(entry.path() / relative);
        int64_t value = 0;
        if (in >> value) sum = sum.value_or(0) + value;
    }
    return sum;
}

std::optional<double> mean_cpu_mhz() {
    int count = 0;
    if (const auto khz = sum_over_cpus("cpufreq/scaling_cur_freq")) {
        std::error_code ec;
        for (const auto& entry : std::filesystem::directory_iterator("/sys/devices/system/cpu", ec))
            count += std::filesystem::exists(entry.path() / "cpufreq/scaling_cur_freq", ec);
        if (count > 0) return static_cast<double>(*khz) / 1000.0 / count;
    }
    std::istringstream cpuinfo(read_text_file("/proc/cpuinfo"));
    double sum = 0;
    count = 0;
    for (std::string line; std::getline(cpuinfo, line);) {
        if (line.rfind("cpu MHz", 0) != 0) continue;
        const auto colon = line.find(':');
        if (colon == std::string::npos) continue;
        sum += std::strtod(line.c_str() + colon + 1, nullptr);
        ++count;
    }
    if (count == 0) return std::nullopt;
    return sum / count;
}

} // namespace

bool parse_proc_stat(const std::string& text, HostSample& sample) {
    std::istringstream line(text.substr(0, text.find('\n')));
    std::string label;
    uint64_t field[8] = {};
    if (!(line >> label) || label != "cpu") return false;
    for (uint64_t& f : field)
        if (!(line >> f)) return false;
    const auto [user, nice, system, idle, iowait, irq, softirq, steal] = field;
    sample.busy_ticks = user + nice + system + irq + softirq;
    sample.steal_ticks = steal;
    sample.total_ticks = user + nice + system + idle + iowait + irq + softirq + steal;
    return true;
}

HostSample sample_host() {
    HostSample sample;
    sample.at = std::chrono::steady_clock::now();
    parse_proc_stat(read_text_file("/proc/stat"), sample);
    sample.own_cpu_s = own_cpu_seconds();
    sample.throttle_events = sum_over_cpus("thermal_throttle/core_throttle_count");
    return sample;
}

VisitActivity activity_between(const HostSample& start, const HostSample& end, double worker_cpu_s) {
    VisitActivity a;
    a.wall_s = std::chrono::duration<double>(end.at - start.at).count();
    static const double ticks_per_s = static_cast<double>(sysconf(_SC_CLK_TCK));
    const double busy_s = static_cast<double>(end.busy_ticks - start.busy_ticks) / ticks_per_s;
    const double other_s = busy_s - worker_cpu_s - (end.own_cpu_s - start.own_cpu_s);
    if (a.wall_s > 0) a.other_cpu_cores = std::max(0.0, other_s) / a.wall_s;
    const uint64_t total = end.total_ticks - start.total_ticks;
    if (total > 0) a.steal_percent = 100.0 * static_cast<double>(end.steal_ticks - start.steal_ticks) / total;
    std::istringstream loadavg(read_text_file("/proc/loadavg"));
    loadavg >> a.load_average;
    a.cpu_mhz = mean_cpu_mhz();
    if (start.throttle_events && end.throttle_events) a.throttle_events = *end.throttle_events - *start.throttle_events;
    return a;
}

} // namespace llmsweep::engine

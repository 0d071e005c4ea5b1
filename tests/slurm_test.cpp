// `llmsweep slurm` on a real Slurm: a single-node cluster started on this machine (munge, slurmctld, slurmd with a
// minimal slurm.conf on free ports), a two-shard sweep of the tiny model submitted, the array and the merge job
// waited for, and the merged database held against the same sweep run here. Skipped, with the reason, only where
// the cluster cannot start; the daemons it started are stopped.

#include "core/escape.hpp"
#include "run_fixture.hpp"
#include "sweep/slurm.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <thread>
#include <unistd.h>

namespace llmsweep {
namespace {

// A Slurm cluster of this one node, for the test's lifetime.
class Cluster {
public:
    explicit Cluster(const fs::path& dir) : dir_(dir) {}
    ~Cluster() { stop(); }

    // "" when it runs; otherwise why it cannot.
    std::string start() {
        for (const char* tool : {"slurmctld", "slurmd", "munged", "sbatch", "sinfo"})
            if (run_shell(fmt::format("command -v {} || test -x /usr/sbin/{}", tool, tool)).exit_code != 0)
                return fmt::format("{} is not installed (Debian: slurmctld slurmd munge slurm-client)", tool);
        if (geteuid() != 0) return "slurmd runs jobs as root here: the test needs root";
        if (run_shell("pgrep -x munged").exit_code != 0) {
            if (run_shell("mkdir -p /run/munge && chown munge:munge /run/munge && "
                          "runuser -u munge -- /usr/sbin/munged")
                    .exit_code != 0)
                return "munged does not start (is /etc/munge/munge.key there?)";
            started_munge_ = true;
        }
        std::string host = run_shell("hostname -s").out;
        host = host.substr(0, host.find('\n'));
        const long memory_mib = sysconf(_SC_PHYS_PAGES) * (sysconf(_SC_PAGESIZE) / 1024) / 1024 - 512;
        fs::create_directories(dir_ / "state");
        fs::create_directories(dir_ / "spool");
        std::ofstream(conf()) << fmt::format(
            "ClusterName=llmsweep\nSlurmctldHost={0}\nSlurmUser=root\nSlurmdUser=root\nAuthType=auth/munge\n"
            "CredType=cred/munge\nStateSaveLocation={1}/state\nSlurmdSpoolDir={1}/spool\n"
            "SlurmctldPidFile={1}/slurmctld.pid\nSlurmdPidFile={1}/slurmd.pid\nSlurmctldLogFile={1}/slurmctld.log\n"
            "SlurmdLogFile={1}/slurmd.log\nSlurmctldPort={2}\nSlurmdPort={3}\nProctrackType=proctrack/linuxproc\n"
            "TaskPlugin=task/none\nSelectType=select/cons_tres\nSelectTypeParameters=CR_Core\nMpiDefault=none\n"
            "ReturnToService=2\nJobCompType=jobcomp/none\nAccountingStorageType=accounting_storage/none\n"
            "SchedulerParameters=sched_interval=1\nNodeName={0} CPUs={4} RealMemory={5} State=UNKNOWN\n"
            "PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP\n",
            host, dir_.string(), test::free_tcp_port(), test::free_tcp_port(), sysconf(_SC_NPROCESSORS_ONLN),
            memory_mib);
        if (run_shell(env() + "/usr/sbin/slurmctld -f " + shell_quote(conf())).exit_code != 0 ||
            run_shell(env() + "/usr/sbin/slurmd -f " + shell_quote(conf())).exit_code != 0)
            return "slurmctld or slurmd does not start: " + test::read_file(dir_ / "slurmctld.log");
        started_ = true;
        for (int i = 0; i < 300; ++i) {
            if (run_shell(env() + "sinfo -h -o %t").out.find("idle") != std::string::npos) return "";
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        return "the node did not become idle within 30 s: " + test::read_file(dir_ / "slurmd.log");
    }

    std::string env() const { return "SLURM_CONF=" + shell_quote(conf()) + " "; }

private:
    fs::path conf() const { return dir_ / "slurm.conf"; }
    // Stops the daemons and waits for them to end: slurmctld writes its state as it stops, and a daemon still
    // writing would put the test's folder back after it was removed.
    void stop() {
        if (started_)
            for (const char* file : {"slurmd.pid", "slurmctld.pid"}) {
                const std::string text = test::read_file(dir_ / file);
                const pid_t pid = static_cast<pid_t>(std::atol(text.c_str()));
                if (pid <= 0 || kill(pid, SIGTERM) != 0) continue;
                for (int i = 0; i < 200 && kill(pid, 0) == 0; ++i)
                    std::this_thread::sleep_for(std::chrono::milliseconds(50));
            }
        if (started_munge_) run_shell("pkill -x munged");
        started_ = started_munge_ = false;
    }

    fs::path dir_;
    bool started_ = false, started_munge_ = false;
};

TEST_F(RunTest, ASweepRunsAsASlurmJobArrayAndIsMergedAndReported) {
    Cluster cluster(dir_ / "cluster");
    if (const std::string why = cluster.start(); !why.empty()) GTEST_SKIP() << "no Slurm cluster: " << why;
    const fs::path spec = dir_ / "sweep.toml";
    std::ofstream(spec) << "model = " << nlohmann::json(fs::path(*models_ / "tiny.gguf").string()).dump()
                        << "\nmode = \"split\"\nload_mode = [\"none\", \"mmap\"]\nn_prompt = [16, 32, 48]\n"
                           "n_gen = [8]\nthreads = [1]\nrepetitions = 2\n";
    const fs::path out = dir_ / "slurm out";
    const auto r = run_shell(cluster.env() + shell_quote(LLMSWEEP_BINARY) + " slurm " + shell_quote(spec) +
                             " --shards 2 --time 10:00 --out " + shell_quote(out));
    ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
    EXPECT_NE(r.out.find("submitted job array"), std::string::npos) << r.out;
    // The merge job runs after both tasks; it says when it is done.
    std::string log;
    for (int i = 0; i < 1800 && log.find("llmsweep slurm:") == std::string::npos; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        if (fs::exists(out / "merge.log")) log = test::read_file(out / "merge.log");
    }
    ASSERT_NE(log.find("2 shards merged"), std::string::npos)
        << log << run_shell(cluster.env() + "squeue").out << test::read_file(out / "shard-1.log");
    EXPECT_TRUE(fs::exists(out / "report" / "report.md"));
    // Shards, databases and logs are numbered alike, from 1: shard K's log is the one beside its database.
    for (const char* k : {"1", "2"}) {
        EXPECT_TRUE(fs::exists(out / fmt::format("shard-{}.db", k))) << k;
        EXPECT_TRUE(fs::exists(out / fmt::format("shard-{}.log", k))) << k;
    }
    EXPECT_FALSE(fs::exists(out / "shard-0.log"));

    // The same sweep here: the merged database holds exactly its points, every repetition once.
    ASSERT_EQ(run_llmsweep("run " + shell_quote(spec) + " -q" + db_arg()).exit_code, 0);
    store::Database merged((out / "merged.db").string(), store::Database::Mode::existing);
    const auto points = [](store::Database& db) {
        store::Statement s(db, "SELECT group_concat(k, ' ') FROM (SELECT load_mode || ':' || n_prompt || ':' || "
                               "n_gen || ':' || metric || ':' || repetitions AS k FROM results ORDER BY k)");
        EXPECT_TRUE(s.step());
        return s.column_text(0);
    };
    store::Database local(db_path().string(), store::Database::Mode::existing);
    EXPECT_EQ(points(merged), points(local));
    store::Statement runs(merged, "SELECT count(*), count(DISTINCT slurm_job), min(slurm_node IS NOT NULL) FROM runs");
    ASSERT_TRUE(runs.step());
    EXPECT_EQ(runs.column_int(0), 2) << "a run per shard";
    EXPECT_EQ(runs.column_int(1), 2) << "each records its task of the array";
    EXPECT_EQ(runs.column_int(2), 1) << "and its node";
}

// A shard that is missing is named by the merge job, which fails instead of reporting half a sweep silently.
TEST(SlurmScripts, TheMergeJobNamesMissingShards) {
    TempDir dir;
    sweep::SlurmJobs jobs{
        .llmsweep = "/bin/true", .spec = "s.toml", .dir = dir.path().string(), .shards = 3, .name = "t"};
    std::ofstream(dir / "merge.sh") << sweep::merge_script(jobs);
    std::ofstream(dir / "shard-2.db") << "x";
    const auto r = run_shell("bash " + shell_quote(dir / "merge.sh"));
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("shards missing: 1 3 of 3"), std::string::npos) << r.err;
    // Paths and options reach the scripts as words, never as shell code; a #SBATCH option is one word or refused.
    jobs.dir = "/tmp/a b'$(touch pwned)\"";
    EXPECT_NE(sweep::array_script(jobs).find(escape::shell(jobs.dir)), std::string::npos);
    jobs.sbatch_args = {"--mem=4G\n#SBATCH --wrap=x"};
    EXPECT_THROW(sweep::check(jobs), UsageError);
}

} // namespace
} // namespace llmsweep

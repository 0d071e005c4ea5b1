#include "core/error.hpp"
#include "engine/model_check.hpp"
#include "engine/system_info.hpp"
#include "test_support.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <unistd.h>

namespace llmsweep::engine {
namespace {

TEST(HostInfo, DescribesThisMachine) {
    const HostInfo host = host_info();
    EXPECT_FALSE(host.cpu_model.empty());
    EXPECT_EQ(host.logical_cores, sysconf(_SC_NPROCESSORS_ONLN));
    EXPECT_GE(host.physical_cores, 1);
    EXPECT_LE(host.physical_cores, host.logical_cores);
    EXPECT_GT(host.memory_bytes, 64ull << 20);
    EXPECT_NE(host.kernel.find("Linux"), std::string::npos);
}

TEST(BuildInfo, NamesTheLinkedLlamaCppAndItsCpuBackend) {
    const BuildInfo build = build_info();
    EXPECT_FALSE(build.llama_commit.empty());
    EXPECT_NE(build.llama_commit, "unknown");
    EXPECT_FALSE(build.llmsweep_version.empty());
    EXPECT_NE(std::find(build.backends.begin(), build.backends.end(), "CPU"), build.backends.end());
    ASSERT_FALSE(build.devices.empty());
    const auto json = to_json(build);
    EXPECT_EQ(json.at("llama_commit"), build.llama_commit);
    EXPECT_TRUE(json.at("devices").is_array());
}

TEST(CheckModel, MissingFileIsAnErrorWithLlamaCppsReason) {
    try {
        check_model({.model_path = "/nonexistent/model.gguf"});
        FAIL() << "expected Error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("/nonexistent/model.gguf"), std::string::npos);
    }
}

TEST(CheckModel, FileThatIsNotGgufIsAnError) {
    test::TempDir dir;
    std::ofstream(dir / "fake.gguf") << "this is not a model";
    EXPECT_THROW(check_model({.model_path = (dir / "fake.gguf").string()}), Error);
}

} // namespace
} // namespace llmsweep::engine

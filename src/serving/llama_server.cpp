#include "serving/llama_server.hpp"

#include "core/error.hpp"
#include "core/interrupt.hpp"
#include "core/text.hpp"
#include "domain/knobs.hpp"
#include "domain/parameter_names.hpp"
#include "serving/client.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <arpa/inet.h>
#include <chrono>
#include <netinet/in.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

namespace llmsweep::serving {
std::vector<std::string> server_command(const ServerSettings& settings, const domain::Point& point, int port) {
    using domain::LoadMode;
    const domain::LoadParams& load = point.load;
    std::vector<std::string> argv = {settings.binary,      "-m",        load.model,  "--host", "127.0.0.1", "--port",
                                     std::to_string(port), "--metrics", "--no-webui"};
    const auto add = [&](std::string_view flag, auto value) {
        argv.emplace_back(flag);
        argv.push_back(fmt::format("{}", value));
    };
    switch (load.load_mode) {
    case LoadMode::automatic: break;
    case LoadMode::none: argv.emplace_back("--no-mmap"); break;
    case LoadMode::mmap: argv.emplace_back("--mmap"); break;
    case LoadMode::mlock: argv.insert(argv.end(), {"--no-mmap", "--mlock"}); break;
    case LoadMode::mmap_mlock: argv.insert(argv.end(), {"--mmap", "--mlock"}); break;
    case LoadMode::dio: argv.emplace_back("--direct-io"); break;
    }
    if (load.cache_state != domain::CacheState::warm || load.huge_pages != domain::HugePages::automatic)
        throw UsageError("--mode server: --cache cold and --huge-pages on/off are settings of llmsweep's own "
                         "workers; llama-server runs with a warm cache and the kernel's huge pages");
    // The server's own settings always, the others where llmsweep always gave them or they are not the default;
    // the clients' and the tests' (the images a request begins with) are the requests'.
    using Scope = domain::Knob::Scope;
    for (const domain::Knob& knob : domain::knobs()) {
        const std::string value = knob.text(point);
        if (knob.scope() == Scope::client || knob.scope() == Scope::test) continue;
        if (knob.name == param::load_mode || knob.name == param::cache_state) continue; // above
        if (knob.scope() == Scope::server && knob.type() == domain::Knob::Type::boolean) {
            // llama-server's switches turn off as -no and their name: -cb, -nocb.
            argv.push_back(value == "1" ? std::string(knob.server_flag)
                                        : "-no" + std::string(knob.server_flag.substr(1)));
            continue;
        }
        if (knob.scope() != Scope::server && !knob.always && value == knob.default_text()) continue;
        if (knob.server_flag.empty())
            throw UsageError(
                fmt::format("--mode server: llama-server has no setting for {} ({})", knob.flag, knob.name));
        if (knob.type() == domain::Knob::Type::boolean) {
            if (knob.server_flag == "--cpu-strict") add(knob.server_flag, 1);
            else argv.emplace_back(knob.server_flag);
            continue;
        }
        std::string text = value;
        if (knob.server_separator) std::replace(text.begin(), text.end(), knob.separator, knob.server_separator);
        add(knob.server_flag, text);
    }
    // The sweep's own settings that llama-server has (--numa, --rpc), where they are not the default.
    for (const domain::Knob& knob : domain::parameters())
        if (const std::string value = knob.text(point);
            knob.of_run() && !knob.server_flag.empty() && value != knob.default_text())
            add(knob.server_flag, value);
    argv.insert(argv.end(), settings.extra_args.begin(), settings.extra_args.end());
    return argv;
}

int free_port() {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw Error("cannot open a socket to find a free port");
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof address;
    const bool ok = bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
                    getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) == 0;
    close(fd);
    if (!ok) throw Error("cannot find a free port on 127.0.0.1");
    return ntohs(address.sin_port);
}

ServerProcess::ServerProcess(const ServerSettings& settings, const domain::Point& point, double timeout_s) {
    // A port found free can be taken before the server binds it: then another one.
    for (int attempt = 0;; ++attempt) {
        const int port = free_port();
        command_ = server_command(settings, point, port);
        url_ = fmt::format("http://127.0.0.1:{}", port);
        static std::atomic<int> started{0}; // a port may serve twice in a sweep; a log file is written once
        log_ = settings.log_folder / fmt::format("llama-server-{}-{}.log", ++started, port);
        process_ = std::make_unique<ChildProcess>(command_,
                                                  ChildProcess::Options{.name = "llama-server", .stderr_file = log_});
        const Client client(url_, domain::Api::llama);
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
        while (process_->running()) {
            if (interrupt_requested()) throw Interrupted();
            if (client.get("/health", 5).first == 200) return;
            if (std::chrono::steady_clock::now() > deadline) {
                process_->finish(true);
                throw Error(fmt::format("llama-server was not ready within {} s", timeout_s));
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        const std::string reason = process_->death_reason();
        if (attempt < 2 && reason.find("bind") != std::string::npos) continue;
        throw Error(reason);
    }
}

} // namespace llmsweep::serving

#include "sse_stub.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <thread>
#include <vector>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdexcept>
#include <sys/socket.h>
#include <unistd.h>

namespace llmsweep::test {
namespace {

bool send_all(int fd, const std::string& text) {
    for (size_t sent = 0; sent < text.size();) {
        const ssize_t n = send(fd, text.data() + sent, text.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) return false;
        sent += static_cast<size_t>(n);
    }
    return true;
}

} // namespace

SseStub::SseStub(Script script) : script_(script) {
    listener_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof address;
    if (listener_ < 0 || bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        listen(listener_, 512) != 0 || getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &size) != 0)
        throw std::runtime_error("the SSE stub cannot listen on 127.0.0.1");
    port_ = ntohs(address.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
}

SseStub::~SseStub() {
    stop_ = true;
    acceptor_.join();
    for (std::thread& t : threads_) t.join();
    close(listener_);
}

std::string SseStub::url() const { return fmt::format("http://127.0.0.1:{}", port_); }

std::vector<SseStub::Served> SseStub::served() const {
    std::lock_guard lock(mutex_);
    return served_;
}

void SseStub::accept_loop() {
    while (!stop_) {
        pollfd p{listener_, POLLIN, 0};
        if (poll(&p, 1, 20) <= 0) continue;
        const int fd = accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
        const Clock::time_point accepted = Clock::now();
        if (fd < 0) continue;
        threads_.emplace_back([this, fd, accepted] { answer(fd, accepted); });
    }
}

void SseStub::answer(int fd, Clock::time_point accepted) {
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    // One request per connection: the headers, then Content-Length bytes of body.
    std::string data;
    char buffer[65536];
    size_t body_at = std::string::npos, length = 0;
    while (body_at == std::string::npos || data.size() < body_at + length) {
        pollfd p{fd, POLLIN, 0};
        if (stop_ || poll(&p, 1, 1000) <= 0) {
            close(fd);
            return;
        }
        const ssize_t n = recv(fd, buffer, sizeof buffer, 0);
        if (n <= 0) {
            close(fd);
            return;
        }
        data.append(buffer, static_cast<size_t>(n));
        if (body_at == std::string::npos) {
            const size_t end = data.find("\r\n\r\n");
            if (end == std::string::npos) continue;
            body_at = end + 4;
            const size_t at = data.find("Content-Length: ");
            if (at != std::string::npos && at < end) length = std::stoul(data.substr(at + 16));
        }
    }
    Served served{Clock::now(), accepted, {}, {}, data.substr(body_at)};
    const int now_open = ++open_;
    for (int most = most_open_; now_open > most && !most_open_.compare_exchange_weak(most, now_open);) {}
    if (!script_.models_body.empty() && data.rfind("GET /v1/models", 0) == 0) {
        send_all(fd, fmt::format("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n"
                                 "Connection: close\r\n\r\n{}",
                                 script_.models_body.size(), script_.models_body));
    } else if (!script_.events.empty()) {
        send_all(fd, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n");
        for (const std::string& event : script_.events) {
            std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(script_.gap_ms));
            served.sent.push_back(Clock::now());
            if (!send_all(fd, "data: " + event + "\n\n")) break;
        }
    } else if (script_.status != 200) {
        const std::string body = R"({"error":{"code":503,"message":"stub says no"}})";
        send_all(fd, fmt::format("HTTP/1.1 {} Unavailable\r\nContent-Type: application/json\r\nContent-Length: {}\r\n"
                                 "Connection: close\r\n\r\n{}",
                                 script_.status, body.size(), body));
    } else {
        send_all(fd, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n");
        auto due = served.received + std::chrono::duration_cast<Clock::duration>(
                                         std::chrono::duration<double, std::milli>(script_.first_ms));
        for (int i = 0; i < script_.tokens && !stop_; ++i) {
            std::this_thread::sleep_until(due);
            const std::string event =
                script_.openai
                    ? fmt::format("data: {{\"choices\":[{{\"text\":\" w{}\",\"index\":0}}]}}\n\n", i)
                    : fmt::format("data: {{\"index\":0,\"content\":\" w{}\",\"tokens\":[{}],\"stop\":false}}\n\n", i,
                                  100 + i);
            served.sent.push_back(Clock::now());
            served.late_ms.push_back(std::chrono::duration<double, std::milli>(served.sent.back() - due).count());
            if (!send_all(fd, event)) break;
            if (script_.error_event) {
                send_all(fd, "data: {\"error\":{\"code\":500,\"message\":\"stub failed mid-stream\"}}\n\n");
                break;
            }
            due +=
                std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double, std::milli>(script_.gap_ms));
        }
        if (!script_.error_event)
            send_all(
                fd,
                script_.openai
                    ? fmt::format("data: {{\"choices\":[],\"usage\":{{\"prompt_tokens\":4,\"completion_tokens\":{}}}}}"
                                  "\n\ndata: [DONE]\n\n",
                                  script_.tokens)
                    : fmt::format("data: {{\"content\":\"\",\"tokens\":[],\"stop\":true,\"tokens_predicted\":{},"
                                  "\"tokens_evaluated\":4}}\n\n",
                                  script_.tokens));
    }
    --open_;
    {
        std::lock_guard lock(mutex_);
        served_.push_back(std::move(served));
    }
    shutdown(fd, SHUT_WR);
    close(fd);
}

double wake_delay_ms() {
    std::vector<double> late;
    for (int i = 0; i < 40; ++i) {
        const auto begin = std::chrono::steady_clock::now();
        std::this_thread::sleep_for(std::chrono::microseconds(500));
        late.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - begin).count() -
                       0.5);
    }
    std::sort(late.begin(), late.end());
    return late[late.size() * 9 / 10];
}

double machine_delay_ms(const std::vector<SseStub::Served>& served, double before) {
    std::vector<double> late;
    for (const auto& s : served) late.insert(late.end(), s.late_ms.begin(), s.late_ms.end());
    std::sort(late.begin(), late.end());
    return late.empty() ? before : std::max(before, late[late.size() * 95 / 100]);
}

} // namespace llmsweep::test

#include "store/claim.hpp"

#include "core/error.hpp"
#include "core/hash.hpp"
#include "store/store.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace llmsweep::store {
namespace {

std::string read_holder(int fd) {
    std::string text(256, '\0');
    const ssize_t n = pread(fd, text.data(), text.size(), 0);
    text.resize(n > 0 ? static_cast<size_t>(n) : 0);
    return text;
}

} // namespace

std::optional<Claim> Claim::try_take(const std::string& db_path, const std::string& key, ClaimHolder* holder) {
    // The lock file sits beside the database's real path: one named through a symlink or by another relative
    // path is the same database, and so the same claim.
    std::error_code ignored;
    auto real = std::filesystem::weakly_canonical(db_path, ignored);
    if (real.empty()) real = db_path;
    const std::string path = fmt::format("{}.claim-{}", real.string(), sha256_hex(key).substr(0, 16));
    while (true) {
        const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0)
            throw Error(fmt::format("cannot create '{}' beside the database: {}; choose a writable --db", path,
                                    std::strerror(errno)));
        if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
            const int error = errno;
            if (error != EWOULDBLOCK) {
                close(fd);
                throw Error(fmt::format("cannot lock '{}': {}", path, std::strerror(error)));
            }
            if (holder) {
                ClaimHolder h;
                char host[256] = {}, since[64] = {};
                if (std::sscanf(read_holder(fd).c_str(), "%ld %255s %63s", &h.pid, host, since) == 3)
                    h.host = host, h.since = since;
                *holder = h;
            }
            close(fd);
            return std::nullopt;
        }
        // The file may have been removed by the holder that released it just before the lock was taken: a
        // lock on a file no longer at `path` claims nothing, so take the one that is there now.
        struct stat locked {
        }, named{};
        if (fstat(fd, &locked) == 0 && stat(path.c_str(), &named) == 0 && locked.st_ino == named.st_ino &&
            locked.st_dev == named.st_dev) {
            char host[256] = {};
            gethostname(host, sizeof host - 1);
            const std::string who = fmt::format("{} {} {}\n", getpid(), host[0] ? host : "unknown", utc_now());
            if (ftruncate(fd, 0) == 0) {
                [[maybe_unused]] const ssize_t written = pwrite(fd, who.data(), who.size(), 0);
            }
            return Claim(path, fd);
        }
        close(fd);
    }
}

Claim::Claim(Claim&& other) noexcept : path_(std::move(other.path_)), fd_(other.fd_) { other.fd_ = -1; }

Claim::~Claim() {
    if (fd_ < 0) return;
    unlink(path_.c_str()); // while still locked: whoever opens the path next makes a new file
    close(fd_);
}

} // namespace llmsweep::store

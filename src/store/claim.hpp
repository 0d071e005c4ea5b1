#pragma once
// One sweep of a spec at a time per database: a sweep holds a claim on (database, spec key) while it runs. The
// claim is a lock file beside the database (its real path, symlinks resolved), locked with flock(2), so that the kernel releases it when its
// process dies however it dies: a claim is never stale. The file says who holds it, for the message to the
// process that finds it taken.

#include <optional>
#include <string>

namespace llmsweep::store {

struct ClaimHolder {
    long pid = 0;
    std::string host, since; // since: UTC, ISO 8601
};

class Claim {
public:
    // Takes the claim on `key` in the database `db_path`, or returns who holds it.
    static std::optional<Claim> try_take(const std::string& db_path, const std::string& key, ClaimHolder* holder);
    Claim(Claim&& other) noexcept;
    Claim& operator=(Claim&&) = delete;
    Claim(const Claim&) = delete;
    ~Claim(); // releases it and removes the lock file

private:
    Claim(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
    std::string path_;
    int fd_ = -1;
};

} // namespace llmsweep::store

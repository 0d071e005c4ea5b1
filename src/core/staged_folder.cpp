#include "core/staged_folder.hpp"

#include "core/error.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <memory>
#include <unistd.h>
#include <zlib.h>

namespace llmsweep {
namespace fs = std::filesystem;
namespace {

constexpr std::string_view staging_infix = ".partial-";

std::string shown(const fs::path& path) { return path.string(); }

// Removes staging folders of `target` whose process is gone (killed before it could clean up).
void remove_stale_staging(const fs::path& target) {
    const std::string prefix = "." + target.filename().string() + std::string(staging_infix);
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(target.parent_path(), ec)) {
        const std::string name = entry.path().filename().string();
        if (name.rfind(prefix, 0) != 0) continue;
        const long pid = std::strtol(name.c_str() + prefix.size(), nullptr, 10);
        if (pid > 0 && (kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM)) continue; // still running
        fs::remove_all(entry.path(), ec);
    }
}

} // namespace

StagedFolder::StagedFolder(fs::path target, std::string_view marker_name, bool (*owned)(const fs::directory_entry&))
    : marker_(marker_name) {
    target = fs::absolute(target).lexically_normal();
    if (target.filename().empty()) target = target.parent_path(); // "out/" names the folder out
    target_ = target;
    std::error_code ec;
    const auto status = fs::symlink_status(target_, ec);
    if (fs::exists(status)) {
        if (!fs::is_directory(status))
            throw UsageError(fmt::format("'{}' exists and is not a folder; choose another --out", shown(target_)));
        const bool ours = fs::exists(target_ / marker_, ec);
        for (const auto& entry : fs::directory_iterator(target_, ec))
            if (!ours && !owned(entry))
                throw UsageError(
                    fmt::format("'{}' holds files that llmsweep did not write (such as '{}'), and a report "
                                "replaces the whole folder; choose a new or empty folder with --out",
                                shown(target_), shown(entry.path().filename())));
    }
    fs::create_directories(target_.parent_path(), ec);
    remove_stale_staging(target_);
    staging_ = target_.parent_path() / fmt::format(".{}{}{}", target_.filename().string(), staging_infix, getpid());
    fs::remove_all(staging_, ec);
    if (!fs::create_directory(staging_, ec))
        throw Error(
            fmt::format("cannot create a folder beside '{}': {}; choose another --out", shown(target_), ec.message()));
}

StagedFolder::~StagedFolder() {
    if (committed_) return;
    std::error_code ec;
    fs::remove_all(staging_, ec);
}

void StagedFolder::write(const std::string& name, std::string_view contents) {
    write(name, [&](const Sink& sink) { sink(contents); });
}

namespace {

// Writes the pieces `produce` makes into `file` (nullptr: it did not open) with `put` (false: it failed), then
// closes it with `close` (false: it failed), also when `produce` throws. Returns 0, or the errno of the first
// failure.
template <typename Handle, typename Put, typename Close>
int write_pieces(Handle* file, Put put, Close close, const std::function<void(const StagedFolder::Sink&)>& produce) {
    const auto failure = [] { return errno != 0 ? errno : EIO; };
    if (file == nullptr) return failure();
    std::unique_ptr<Handle, Close> closer(file, close);
    int error = 0;
    produce([&](std::string_view piece) {
        if (error == 0 && !piece.empty() && !put(file, piece)) error = failure();
    });
    if (!close(closer.release()) && error == 0) error = failure();
    return error;
}

} // namespace

void StagedFolder::write(const std::string& name, const std::function<void(const Sink&)>& produce) {
    const int error = write_pieces(
        std::fopen((staging_ / name).c_str(), "wb"),
        [](FILE* file, std::string_view piece) {
            return std::fwrite(piece.data(), 1, piece.size(), file) == piece.size();
        },
        [](FILE* file) { return std::fclose(file) == 0; }, produce);
    if (error != 0) fail(name, error);
}

void StagedFolder::write_gzip(const std::string& name, const std::function<void(const Sink&)>& produce) {
    const int error = write_pieces(
        gzopen((staging_ / name).c_str(), "wb1"),
        [](gzFile file, std::string_view piece) {
            return gzwrite(file, piece.data(), static_cast<unsigned>(piece.size())) == static_cast<int>(piece.size());
        },
        [](gzFile file) { return gzclose(file) == Z_OK; }, produce);
    if (error != 0) fail(name, error);
}

void StagedFolder::fail(const std::string& name, int error) const {
    throw Error(fmt::format("cannot write {} for '{}': {}; free some space or choose another --out", name,
                            shown(target_), std::strerror(error)));
}

void StagedFolder::commit() {
    write(marker_, "This folder was written by llmsweep report, which replaces it whole.\n");
    std::error_code ec;
    if (!fs::exists(target_, ec)) {
        fs::rename(staging_, target_, ec);
        if (ec) throw Error(fmt::format("cannot put the report in place at '{}': {}", shown(target_), ec.message()));
    } else if (renameat2(AT_FDCWD, staging_.c_str(), AT_FDCWD, target_.c_str(), RENAME_EXCHANGE) == 0) {
        fs::remove_all(staging_, ec); // now the old folder
    } else {
        // No atomic exchange on this file system: move the old folder aside, then the new one in.
        const fs::path old = staging_.string() + ".old";
        fs::rename(target_, old, ec);
        if (!ec) fs::rename(staging_, target_, ec);
        if (ec) throw Error(fmt::format("cannot put the report in place at '{}': {}", shown(target_), ec.message()));
        fs::remove_all(old, ec);
    }
    committed_ = true;
}

} // namespace llmsweep

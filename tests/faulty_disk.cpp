#include "faulty_disk.hpp"

#include "core/error.hpp"

#include <sqlite3.h>

#include <stdexcept>

namespace llmsweep::test {
namespace {

// A file of the faulty disk: the default VFS's own file right after it, in the space SQLite gives it (szOsFile).
struct File {
    sqlite3_file file; // first: SQLite sees a File as an sqlite3_file
    FaultyDisk* disk;
    sqlite3_file* real() { return reinterpret_cast<sqlite3_file*>(this + 1); }
};

File* of(sqlite3_file* file) { return reinterpret_cast<File*>(file); }
sqlite3_file* real(sqlite3_file* file) { return of(file)->real(); }
const sqlite3_io_methods& methods(sqlite3_file* file) { return *real(file)->pMethods; }

// Every method goes to the real file; writes fail once the disk is full.
int write(sqlite3_file* f, const void* data, int amount, sqlite3_int64 offset) {
    if (!of(f)->disk->write_allowed()) return SQLITE_FULL;
    return methods(f).xWrite(real(f), data, amount, offset);
}
int close(sqlite3_file* f) { return methods(f).xClose(real(f)); }
int read(sqlite3_file* f, void* data, int amount, sqlite3_int64 offset) {
    return methods(f).xRead(real(f), data, amount, offset);
}
int truncate(sqlite3_file* f, sqlite3_int64 size) { return methods(f).xTruncate(real(f), size); }
int sync(sqlite3_file* f, int flags) { return methods(f).xSync(real(f), flags); }
int file_size(sqlite3_file* f, sqlite3_int64* size) { return methods(f).xFileSize(real(f), size); }
int lock(sqlite3_file* f, int level) { return methods(f).xLock(real(f), level); }
int unlock(sqlite3_file* f, int level) { return methods(f).xUnlock(real(f), level); }
int check_reserved_lock(sqlite3_file* f, int* out) { return methods(f).xCheckReservedLock(real(f), out); }
int file_control(sqlite3_file* f, int op, void* arg) { return methods(f).xFileControl(real(f), op, arg); }
int sector_size(sqlite3_file* f) { return methods(f).xSectorSize(real(f)); }
int device_characteristics(sqlite3_file* f) { return methods(f).xDeviceCharacteristics(real(f)); }
int shm_map(sqlite3_file* f, int page, int size, int extend, void volatile** out) {
    return methods(f).xShmMap(real(f), page, size, extend, out);
}
int shm_lock(sqlite3_file* f, int offset, int n, int flags) { return methods(f).xShmLock(real(f), offset, n, flags); }
void shm_barrier(sqlite3_file* f) { methods(f).xShmBarrier(real(f)); }
int shm_unmap(sqlite3_file* f, int delete_flag) { return methods(f).xShmUnmap(real(f), delete_flag); }
// No memory-mapped reads: every page goes through read().
int fetch(sqlite3_file*, sqlite3_int64, int, void** out) {
    *out = nullptr;
    return SQLITE_OK;
}
int unfetch(sqlite3_file*, sqlite3_int64, void*) { return SQLITE_OK; }

const sqlite3_io_methods io_methods = {3,
                                       close,
                                       read,
                                       write,
                                       truncate,
                                       sync,
                                       file_size,
                                       lock,
                                       unlock,
                                       check_reserved_lock,
                                       file_control,
                                       sector_size,
                                       device_characteristics,
                                       shm_map,
                                       shm_lock,
                                       shm_barrier,
                                       shm_unmap,
                                       fetch,
                                       unfetch};

int open(sqlite3_vfs* vfs, sqlite3_filename name, sqlite3_file* file, int flags, int* out_flags) {
    auto* disk = static_cast<FaultyDisk*>(vfs->pAppData);
    sqlite3_vfs* base = disk->base();
    File* f = of(file);
    f->disk = disk;
    f->file.pMethods = nullptr;
    const int rc = base->xOpen(base, name, f->real(), flags, out_flags);
    // Only an opened file is closed by SQLite (through these methods).
    if (f->real()->pMethods) f->file.pMethods = &io_methods;
    return rc;
}

} // namespace

FaultyDisk::FaultyDisk() {
    base_ = sqlite3_vfs_find(nullptr);
    if (!base_ || sqlite3_vfs_find("unix") != base_)
        throw std::runtime_error("FaultyDisk: the default SQLite VFS is not \"unix\"");
    // The default's own functions (paths, time, randomness) as they are: none of them reads its vfs argument.
    vfs_ = new sqlite3_vfs(*base_);
    vfs_->szOsFile = static_cast<int>(sizeof(File)) + base_->szOsFile;
    vfs_->zName = "llmsweep-faulty-disk";
    vfs_->pAppData = this;
    vfs_->pNext = nullptr;
    vfs_->xOpen = open;
    if (sqlite3_vfs_register(vfs_, 1) != SQLITE_OK) {
        delete vfs_;
        throw std::runtime_error("FaultyDisk: sqlite3_vfs_register failed");
    }
}

FaultyDisk::~FaultyDisk() {
    sqlite3_vfs_unregister(vfs_);
    sqlite3_vfs_register(base_, 1);
    delete vfs_;
}

void FaultyDisk::fill_at(int64_t write) { fill_at_ = writes_ + write; }

void FaultyDisk::free_space() { writes_ = failed_ = fill_at_ = 0; }

FaultyDisk::Attempt FaultyDisk::attempt_full_at(int64_t write, const std::function<void()>& operation) {
    free_space();
    fill_at(write);
    Attempt attempt;
    try {
        operation();
    } catch (const Error& e) {
        attempt.failed = true;
        attempt.error = e.what();
    }
    attempt.failed_writes = failed_;
    free_space();
    return attempt;
}

bool FaultyDisk::write_allowed() {
    ++writes_;
    const bool allowed = fill_at_ == 0 || writes_ < fill_at_;
    failed_ += allowed ? 0 : 1;
    return allowed;
}

} // namespace llmsweep::test

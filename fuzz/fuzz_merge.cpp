// `merge` (Store::merge_from) on a hostile input database: a valid llmsweep database with one finished run (a
// result, its samples and a load) that the input's bytes, run as SQL statements, have changed in any way SQLite
// allows: values of any type and size, rows deleted or added, tables dropped, replaced by views or triggers.
// The target already holds that run as it was before, so that both ways of copying are reached (a new run, and
// the rest of a run the target has). Merge may refuse the input with an error that says why; it must never
// crash, hang, throw anything else, or store a sample no machine can give.

#include "core/error.hpp"
#include "domain/plausible.hpp"
#include "store/sqlite.hpp"
#include "store/store.hpp"

#include <sqlite3.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <unistd.h>

namespace {

using namespace llmsweep;
namespace fs = std::filesystem;

// The first database, once per process: a run, a result with three samples and a load.
void write_template(const std::string& path) {
    store::Store s(path);
    const int64_t run = s.insert_run({{"spec_key", std::string("k")},
                                      {"status", std::string("finished")},
                                      {"started_at", store::utc_now()},
                                      {"mode", std::string("request")},
                                      {"sweep_order", std::string("rounds")},
                                      {"seed", int64_t{1}},
                                      {"repetitions", int64_t{3}},
                                      {"warmup", int64_t{1}},
                                      {"spec_json", std::string("{}")},
                                      {"llmsweep_version", std::string("f")},
                                      {"build_commit", std::string("abc")},
                                      {"hostname", std::string("h")}});
    domain::Point point;
    point.load.model = "/m/a.gguf";
    point.test = {32, 16, 0};
    const int64_t result = s.ensure_result(run, point.key(domain::Mode::request), "pp",
                                           store::point_columns(point, domain::Mode::request));
    for (int64_t r = 0; r < 3; ++r)
        s.insert_sample({{"result_id", result}, {"repetition", r}, {"ns", int64_t{1000000}}, {"ts", 100.0 + r}});
    s.update_result(
        result, {{"avg_ts", 101.0}, {"stddev_ts", 1.0}, {"repetitions", int64_t{3}}, {"status", std::string("ok")}});
    s.insert_load({{"run_id", run},
                   {"model_filename", std::string("/m/a.gguf")},
                   {"load_mode", std::string("mmap")},
                   {"cache_state", std::string("warm")},
                   {"n_gpu_layers", int64_t{0}},
                   {"status", std::string("ok")}});
}

// Runs `sql` on the database at `path`, each statement for a bounded number of steps; errors are the input's.
void change(const std::string& path, const std::string& sql) {
    sqlite3* db = nullptr;
    int steps = 0;
    if (sqlite3_open(path.c_str(), &db) == SQLITE_OK) {
        sqlite3_limit(db, SQLITE_LIMIT_ATTACHED, 0); // no other file is touched
        sqlite3_limit(db, SQLITE_LIMIT_LENGTH, 1 << 20);
        sqlite3_progress_handler(
            db, 1000, [](void* n) { return ++*static_cast<int*>(n) > 1000 ? 1 : 0; }, &steps);
        sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
    }
    sqlite3_close(db);
}

// The target's folder of databases, removed when the fuzzer exits.
struct Folder {
    fs::path path;
    Folder() {
        char name[] = "/tmp/llmsweep-fuzz-merge-XXXXXX";
        path = mkdtemp(name);
        write_template((path / "template.db").string());
    }
    ~Folder() {
        std::error_code ignored;
        fs::remove_all(path, ignored);
    }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const Folder folder;
    const fs::path& dir = folder.path;
    const fs::path input = dir / "input.db", target = dir / "target.db";
    for (const auto& path : {input, target}) {
        fs::remove(path);
        fs::copy_file(dir / "template.db", path);
    }
    change(input.string(), std::string(reinterpret_cast<const char*>(data), size));
    try {
        store::Store other(input.string(), store::Store::Access::read_only);
        store::Store out(target.string());
        out.merge_from(other);
    } catch (const Error&) { // refused, saying why
    }
    store::Database check(target.string(), store::Database::Mode::read_only);
    store::Statement bad(check,
                         "SELECT count(*) FROM samples WHERE typeof(ts) != 'real' OR NOT (ts >= :min AND ts <= :max)");
    bad.bind("min", domain::min_tokens_per_second);
    bad.bind("max", domain::max_tokens_per_second);
    if (!bad.step() || bad.column_int(0) != 0) std::abort();
    return 0;
}

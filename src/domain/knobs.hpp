#pragma once
// The knobs: the settings of a point that are one plain value of its load, its context, its test, its server or
// its clients, as llama-bench and llama-server set them (-lm, -t, -b, -ctk, -fa, -nkvo, -C, -sm, -ot, -np, ...),
// and llmsweep's own (--cache, --huge-pages). One table says, for each, its name (the results column, the TOML
// key, the long flag, the worker protocol's and the spec's JSON field; an older name kept beside it), llama-bench's
// flag and JSON field, llama-server's flag, its part of a point's key, how a value is read, the member of the
// point it sets, and the schema version of its column. Every layer that handles them walks this table (the
// store's columns too): adding a knob is a member, a row here, and the line that hands it to llama.cpp. The test
// sizes (-p, -n, -d), server mode's client loop (--concurrency, --rate) and the sweep's own settings (--prio,
// --delay, --numa, -rpc: one value each) are rows of it too, but do not combine as a product: knobs() leaves them
// out, parameters() has them.

#include "domain/parameter_names.hpp"
#include "domain/point.hpp"

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace llmsweep::domain {

struct Knob {
    enum class Type { integer, boolean, text, real };
    // The part of a point it sets: the load (one worker process, or one server, per combination), the context,
    // the test (what each request holds besides its tokens), llama-server's own settings (one server each), the
    // load its clients put on a server (server mode), or the whole sweep's (one value, how its processes run).
    enum class Scope { load, context, test, server, client, run };
    // How it reads and writes its member of a point, as canonical text (integers in decimal, booleans 0 or 1,
    // real numbers in their shortest decimal form, text and named values as they are spelled).
    struct Member {
        Type type;
        Scope scope;
        std::string (*get)(const Point&);
        void (*set)(Point&, std::string_view);
    };

    std::string_view name;        // results column and TOML key; the long flag is --name with '-' for '_'
    std::string_view flag;        // llama.cpp's short spelling (llama-bench's), which llmsweep's command line takes
    std::string_view field;       // llama-bench's JSON field; empty: llama-bench has no such option
    std::string_view server_flag; // llama-server's spelling; empty: it has none
    std::string_view key_tag;     // its part of a point's key (";tag=value"), only when not the default
    // The name it had before it was a row of this table, where it differs: still taken as a flag and TOML key,
    // and still its field in a run's stored spec (so that the runs stored before resume).
    std::string_view alias;
    std::string_view help;   // for --help, without the default (added from the member's initializer)
    std::string_view plural; // "CPU masks": what a sweep of several values has several of
    Member member;
    int64_t min = 0, max = 0; // integers: the range accepted
    // Text values: the canonical spelling of one value, or UsageError naming the flag. Integers and booleans
    // are read by the sweep's list syntax.
    std::string (*canonical)(std::string_view value) = nullptr;
    bool native = true; // whether llmsweep's own workers run it (false: --engine llama-bench only)
    // Whether llmsweep sets it up around any engine's process (the page cache before a load), so that --engine
    // llama-bench takes it although llama-bench has no such option.
    bool any_engine = false;
    // Whether a sweep that gives none takes the host's value (the threads: its physical cores) rather than the
    // member's initializer; a run's spec then stores no value (an empty list).
    bool host_default = false;
    // The settings llmsweep had from its start: always in a point's key (in the table's order, before the test
    // sizes), in the spec's JSON and in llama-bench's and llama-server's command lines, so that older keys stay.
    // Server and client settings are in every key of server mode, and in no other.
    bool always = false;
    // How its values combine with the other rows': as a product, each point one value of each (the knobs), or
    //   test_size (n_prompt, n_gen, n_depth): as the mode combines them (request: every prompt with every
    //             generation at every depth; split: llama-bench's pp and tg tests);
    //   client_loop (concurrency, rate): each value one loop of clients, closed (that many clients) or open (that
    //               rate), after the other; a sweep that gives neither has one client. A sweep's spec stores only
    //               the values given.
    enum class Combination { product, test_size, client_loop };
    Combination combination = Combination::product;
    // What a sweep takes where it gives none (llama-bench's -p 512 -n 128), where that is not the member's
    // initializer (a point's test sizes start at 0: a split-mode test sets one of them).
    std::string_view sweep_default = {};
    // Lists within one value (devices, tensor splits, overrides) are joined by `separator` here, because ','
    // separates a sweep's values; llama-server joins them by `server_separator`.
    char separator = 0, server_separator = 0;
    // The store: the schema version that added its results column (store/schema.cpp makes the column, and
    // migrations add it, from this row), and the SQL over results r that gives llama-bench's field in the
    // llama_bench table where it is not the column as it is (an integer there); no field: no such column.
    int since = 1;
    std::string_view llama_bench_sql = {};
    // The order a report lists its values in, the baseline first, joined by ','; empty: numbers in order, other
    // text as first seen.
    std::string_view order = {};
    // Whether the loads table records it beside each load too (what the load was given): the load settings
    // llmsweep measured loading by from its start.
    bool per_load = false;
    // Where llama.cpp may resolve it to another spelling of the same setting (load mode auto to mmap or none, -ngl
    // 99 to -1 on a smaller model): what it came to, which results store beside it in effective_<name> (schema
    // version 6), as this describes; empty: none.
    std::string_view effective_help = {};

    Type type() const { return member.type; }
    Scope scope() const { return member.scope; }
    bool of_load() const { return member.scope == Scope::load; }
    bool of_context() const { return member.scope == Scope::context; }
    bool of_test() const { return member.scope == Scope::test; }
    // llama-server's own settings or its clients': server mode's alone.
    bool of_server_mode() const { return member.scope == Scope::server || member.scope == Scope::client; }
    bool of_llama_bench() const { return !field.empty(); }
    bool of_run() const { return member.scope == Scope::run; }
    bool test_size() const { return combination == Combination::test_size; }
    bool client_loop() const { return combination == Combination::client_loop; }
    // "llama-bench -b"; for a setting llama-bench lacks, "llama-server -nr"; for llmsweep's own, "llmsweep".
    std::string origin() const;

    std::string text(const Point& point) const { return member.get(point); }
    std::string default_text() const; // llama-bench's default: sweep_default, else the member's initializer
    std::string default_help() const; // the default as --help says it (the host's, where it is the host's)
    // Sets it from a canonical text (what text() writes, or what canonical() returns); the rest of the point is
    // left alone.
    void set(Point& point, std::string_view value) const { member.set(point, value); }
    // As JSON: numbers, booleans, strings.
    nlohmann::json json(const Point& point) const;
    nlohmann::json json_of(std::string_view value) const;
    // Its value for a store column: integers and booleans as integers, real numbers as such, text as text.
    std::variant<int64_t, double, std::string> column(const Point& point) const;
};

// The settings that combine as a product: every row but the test sizes, the client loop and the sweep's own.
const std::vector<Knob>& knobs();
// Every row, in the table's order: the knobs, the test sizes, the client loop and the sweep's own settings.
const std::vector<Knob>& parameters();
// nullptr for a name that is not a knob's (find_knob) or a parameter's (find_parameter: the others too).
const Knob* find_knob(std::string_view name);
const Knob* find_parameter(std::string_view name);

// -dev: "auto" (llama.cpp's choice), "none", or device names joined by '/'.
std::string canonical_devices(std::string_view value);
// -ts: proportions joined by '/' (or ';'), as llama-bench writes them: two decimals, trailing zeros dropped.
std::string canonical_tensor_split(std::string_view value);
// -ot: "none", or pattern=BUFFER_TYPE pairs joined by ';'; each pattern must be a valid regular expression.
std::string canonical_overrides(std::string_view value);

} // namespace llmsweep::domain

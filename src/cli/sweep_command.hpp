#pragma once
// What the commands that sweep (run, bench) share: the settings as options, the spec they make, the claim on it.

#include "store/claim.hpp"
#include "sweep/spec.hpp"

#include <CLI/CLI.hpp>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace llmsweep::cli {

// Setting key -> the texts given for it, in the order given (a flag may be repeated).
using SettingFlags = std::map<std::string, std::vector<std::string>, std::less<>>;

// Every sweep setting as an option of `sub`: its long flag (--n-prompt), llama-bench's spelling (-p, -ub), its
// help; what is given goes to `flags`.
void add_setting_options(CLI::App& sub, const std::shared_ptr<SettingFlags>& flags);
// The spec of a TOML file (none: empty) and the flags over it, checked; UsageError says what is wrong.
sweep::SweepSpec spec_of(const std::string& spec_file, const SettingFlags& flags);
// The claim on a spec in the database `db`: taken now, or waited for when `wait`; another sweep of it running
// is an error (exit 3) that says who runs it.
store::Claim claim_spec(const std::string& db, bool wait, const std::string& key);
// This process's command line, each word quoted for the shell: what the user typed, to add flags to.
std::string own_command_line();

} // namespace llmsweep::cli

#pragma once
// The command line: builds the CLI11 application with every subcommand, parses, and runs the chosen one.

namespace llmsweep::cli {

// Returns the process exit code; errors are reported on stderr.
int run(int argc, char** argv);

} // namespace llmsweep::cli

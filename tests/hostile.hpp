#pragma once
// The hostile strings every writer is tested with: names and fields that an attacker, another system or a
// careless user can put into the data (a model's file name, an imported llama-bench field, the host's CPU
// string, a value in someone else's database). A new writer is tested by running it over this list; a new
// kind of attack is tested everywhere by adding it here.

#include <string>
#include <vector>

namespace llmsweep::test {

struct Hostile {
    std::string name; // for test messages
    std::string text; // the bytes
};

const std::vector<Hostile>& hostile_strings();

// What a reader should see of `text` where control characters cannot be shown: valid UTF-8 (an invalid byte
// as U+FFFD) with every control character (C0, DEL, C1) a space.
std::string shown_as_text(const std::string& text);

// HTML's five entities back to their characters (what cmark-gfm and gnuplot's SVG write).
std::string unescape_html(std::string text);

} // namespace llmsweep::test

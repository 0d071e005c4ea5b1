#pragma once
// Text from data (a model's file name, an imported field, the host's CPU string, a parameter value read from
// someone else's database) is hostile until it is escaped for the place it goes. One function per place; every
// writer uses these and nothing else. Each takes any bytes: NUL, control characters, invalid UTF-8.
//
// All of them first make the text valid UTF-8 (an invalid byte becomes U+FFFD), except `terminal`, which shows
// an invalid byte as \xNN so that a user can tell which file it is.

#include <string>
#include <string_view>

namespace llmsweep::escape {

// `text` as valid UTF-8: every byte that does not start a well-formed sequence becomes U+FFFD.
std::string valid_utf8(std::string_view text);

// A double-quoted gnuplot string literal that reads back as `text` with control characters as spaces. Only
// letters, digits, space and `_.,:;=+-/%()[]{}<>#~!?^*&|` are written as themselves; every other byte (among
// them backquote, `@`, `$`, quotes, backslash and all of UTF-8) is an octal escape, so that gnuplot's command
// substitution, macros and line structure never see a byte of the data.
std::string gnuplot(std::string_view text);

// The same, for a tic label (`set xtics ("label" 1)`): gnuplot reads tic labels as format strings, so `%` is
// doubled to show as itself.
std::string gnuplot_tic_label(std::string_view text);

// Markdown text that may start a line (a paragraph, a list item, a heading's text): inline markup
// (`\`*_[]|~$`, but not an underscore inside a word) is backslash-escaped, and so is a block marker where
// the text starts (`# `, `> `, `- `, `+ `, `1. `, a line of `=` or `-`); `<` and `&` are entities (no raw
// HTML survives); bare URLs are broken up so that no renderer links them (`http\://`, `www\.`); line breaks
// and other control characters are spaces. Only an e-mail address may still be linked (as mailto:) by
// renderers that link them.
std::string markdown(std::string_view text);
// The same for a table cell, where no block can start: `-`, `+0.00` and `1.5` stay as they are.
std::string markdown_cell(std::string_view text);

// Text for HTML element content and attribute values (both quote kinds); control characters are spaces.
std::string html(std::string_view text);

// One RFC 4180 field, control characters as spaces (a CSV shown with cat must not drive the terminal, and a
// record stays one line). A text field that a spreadsheet would take as a formula (it starts with `=`, `+`, `-`,
// `@`, a tab or a carriage return) gets a leading `'`, as OWASP recommends; a number (`-1`, `-2.5e-3`) stays
// a number.
std::string csv(std::string_view text);

// An SQL string literal: single-quoted, a `'` as `''`, and a control character (which a literal could hold, and
// a terminal showing the SQL would obey) spliced in as `' || char(27) || '`, so that SQLite reads the text back
// byte for byte.
std::string sql(std::string_view text);

// Text for a terminal: control characters (ANSI escape sequences among them), C1 controls and the Unicode
// characters that reorder a line (bidirectional overrides) are shown as escapes (`\n`, `\x1b`, `\u{202e}`),
// an invalid byte as `\xNN`, a backslash as `\\`.
std::string terminal(std::string_view text);

// One word for a POSIX shell (a script `llmsweep slurm` writes): single-quoted, a `'` as `'\''`. Unlike the
// others it keeps every byte as it is (a file name that is not UTF-8 must name the same file) but NUL, which no
// shell word can hold and no path has: it is left out.
std::string shell(std::string_view text);

} // namespace llmsweep::escape

#pragma once
// What the report's table descriptions (tables.cpp, serving_tables.cpp, history.cpp) share: how a number reads
// in a cell, and columns made from a row's member. Internal to the report.

#include "report/tables.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <functional>
#include <optional>
#include <string>

namespace llmsweep::report::cells {

// Numbers as the tables show them; "-" for one that is not a number (no "nan", "inf" or 300 digits of 1e305).
inline std::string fixed(double value, int digits = 2) {
    if (!std::isfinite(value)) return "-";
    if (std::fabs(value) >= 1e15) return fmt::format("{:.3g}", value);
    return fmt::format("{:.{}f}", value, digits);
}
inline std::string full(double value) { return std::isfinite(value) ? fmt::format("{}", value) : "-"; }

inline nlohmann::json optional_number(const std::optional<double>& v) {
    return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}
inline std::string optional_fixed(const std::optional<double>& v, int digits) { return v ? fixed(*v, digits) : "-"; }

// Columns of a row's member, as the descriptions below mostly are: text as it is; a count; a figure with `digits`
// decimals for people and in full for programs; one that may be absent ("-" for people, null for programs).
template <typename Row>
Column<Row> text_column(std::string key, std::string heading, std::string Row::*member) {
    return {std::move(key), std::move(heading), [member](const Row& r) { return r.*member; },
            [member](const Row& r) { return r.*member; }};
}
template <typename Row, typename N>
Column<Row> count_column(std::string key, std::string heading, N Row::*member) {
    return {std::move(key), std::move(heading), [member](const Row& r) { return std::to_string(r.*member); },
            [member](const Row& r) { return r.*member; }};
}
template <typename Row>
Column<Row> figure_column(std::string key, std::string heading, double Row::*member, int digits) {
    return {std::move(key), std::move(heading), [member, digits](const Row& r) { return fixed(r.*member, digits); },
            [member](const Row& r) { return r.*member; }};
}
template <typename Row>
Column<Row> optional_column(std::string key, std::string heading, std::optional<double> Row::*member, int digits) {
    return {std::move(key), std::move(heading),
            [member, digits](const Row& r) { return optional_fixed(r.*member, digits); },
            [member](const Row& r) { return optional_number(r.*member); }};
}
// A value for programs, from any function of the row.
template <typename Row, typename F>
std::function<nlohmann::json(const Row&)> as_json(F f) {
    return [f](const Row& r) { return nlohmann::json(f(r)); };
}

} // namespace llmsweep::report::cells

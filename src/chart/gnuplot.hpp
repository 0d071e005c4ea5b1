#pragma once
// gnuplot's script and data for a Figure, and gnuplot run over them. The script holds no byte of the data's
// text: labels go through escape::gnuplot, numbers are written by the writer, file names are safe stems.

#include "chart/figure.hpp"

#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace llmsweep::chart {

struct GnuplotFiles {
    std::string script; // NAME.gp: draws NAME.png, then NAME.svg, from NAME.dat
    std::string data;   // NAME.dat: one block per series (gnuplot's `index`), columns x y [error]
};

// Throws Error when the figure's stem is not a safe stem (safe_stem(stem) != stem).
GnuplotFiles to_gnuplot(const Figure& figure);

// gnuplot's path, or "" if it is not installed.
std::string find_gnuplot();

// gnuplot drawing figures as they are handed to it, one process per core at a time, beside whatever the caller
// does meanwhile (the next figure's data, the report's other files). Each figure's script runs in `folder`,
// where its files were written, and must draw NAME.png and NAME.svg, neither empty. gnuplot dies with this
// process; an object destroyed before finish() waits for the drawings under way and starts no other.
class Drawing {
public:
    Drawing(std::string gnuplot, std::filesystem::path folder);
    ~Drawing();
    Drawing(const Drawing&) = delete;
    Drawing& operator=(const Drawing&) = delete;

    void add(const Figure& figure); // its NAME.gp and NAME.dat already in the folder
    // Waits for every figure added; throws Error with gnuplot's first line of complaint for the first figure
    // (in the order added) whose script failed or drew no image.
    void finish();

private:
    class Session;
    void work();
    std::string gnuplot_;
    std::filesystem::path folder_;
    std::mutex mutex_;
    std::condition_variable more_;
    std::vector<std::string> stems_;  // added, in order
    std::vector<std::string> errors_; // per stem: "" drawn, else what went wrong
    size_t next_ = 0;                 // the next stem to draw
    bool closed_ = false;             // no stem will be added
    std::vector<std::jthread> workers_;
};

// Draws every figure (their files already written into `folder`) and waits: Drawing, for figures made before.
void draw(const std::string& gnuplot, const std::filesystem::path& folder, const std::vector<Figure>& figures);

} // namespace llmsweep::chart

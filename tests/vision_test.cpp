// The vision path: the smolvlm2-256m preset writes SmolVLM2-256M's decoder and its mmproj, which llama.cpp's own
// mtmd (llama-mtmd-cli, built from the same source) loads, slices images for and encodes; a sweep with
// --mmproj and --image-size measures an image's encode and its tokens' prefill through llmsweep's workers.

#include "run_fixture.hpp"
#include "synth/architecture.hpp"
#include "test_support.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>

namespace llmsweep {
namespace {

using test::TempDir;
namespace fs = std::filesystem;

// A binary PPM of `width` x `height` with a gradient (llama.cpp reads it through stb_image).
void write_ppm(const fs::path& path, int width, int height) {
    std::ofstream out(path, std::ios::binary);
    out << "P6\n" << width << " " << height << "\n255\n";
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x) {
            const char pixel[3] = {static_cast<char>(x % 256), static_cast<char>(y % 256),
                                   static_cast<char>((x + y) % 256)};
            out.write(pixel, 3);
        }
}

// llama.cpp's idefics3 preprocessing (tools/mtmd/mtmd-image.cpp): the longer side resized to the longest edge,
// the other in proportion (rounded up to even), then tiles of image_size, and an overview.
std::pair<int, int> expected_grid(const synth::VisionShape& v, int width, int height) {
    const double aspect = static_cast<double>(width) / height;
    int w = 0, h = 0;
    if (width >= height) {
        w = static_cast<int>(v.preproc_image_size);
        h = static_cast<int>(v.preproc_image_size / aspect);
        h += h % 2;
    } else {
        h = static_cast<int>(v.preproc_image_size);
        w = static_cast<int>(v.preproc_image_size * aspect);
        w += w % 2;
    }
    const int tile = static_cast<int>(v.image_size);
    return {(w + tile - 1) / tile, (h + tile - 1) / tile};
}

TEST(Vision, TheSynthesizedMmprojEncodesEachSliceIntoItsTokens) {
    if (std::string(LLMSWEEP_MTMD_CLI).empty()) GTEST_SKIP() << "no llama-mtmd-cli in this build";
    TempDir dir;
    const auto synth =
        test::run_llmsweep("synth --preset smolvlm2-256m -o " + test::shell_quote((dir / "m.gguf").string()));
    ASSERT_EQ(synth.exit_code, 0) << synth.err;
    const fs::path mmproj = dir / "mmproj-smolvlm2-256m-f16.gguf";
    ASSERT_TRUE(fs::exists(mmproj)) << synth.out;
    const synth::Preset& preset = synth::find_preset("smolvlm2-256m");
    const synth::VisionShape& vision = *preset.vision;
    ASSERT_EQ(vision.tokens_per_image(), 64) << "a 512 px image is 64 tokens in SmolVLM2-256M";
    const std::string tokens =
        fmt::format("output embedding shape [{}, {}, 1]", preset.shape.n_embd, vision.tokens_per_image());
    // A square image, and a tall one of another size.
    for (const auto& [width, height] : {std::pair{512, 512}, std::pair{256, 512}}) {
        SCOPED_TRACE(fmt::format("{} x {}", width, height));
        const fs::path image = dir / fmt::format("{}x{}.ppm", width, height);
        write_ppm(image, width, height);
        const auto r = test::run_shell(
            fmt::format("{} -m {} --mmproj {} --image {} -p describe -n 1 -t 2 --chat-template chatml -v 2>&1",
                        test::shell_quote(LLMSWEEP_MTMD_CLI), test::shell_quote((dir / "m.gguf").string()),
                        test::shell_quote(mmproj.string()), test::shell_quote(image.string())));
        ASSERT_EQ(r.exit_code, 0) << r.out.substr(r.out.size() > 4000 ? r.out.size() - 4000 : 0);
        const auto [grid_x, grid_y] = expected_grid(vision, width, height);
        EXPECT_NE(r.out.find(fmt::format("grid size: {} x {} ({} tiles) + overview", grid_x, grid_y, grid_x * grid_y)),
                  std::string::npos);
        size_t encoded = 0;
        for (size_t at = r.out.find(tokens); at != std::string::npos; at = r.out.find(tokens, at + 1)) ++encoded;
        EXPECT_EQ(encoded, static_cast<size_t>(grid_x * grid_y + 1)) << "each tile and the overview, 64 tokens each";
        EXPECT_EQ(r.out.find("ffn up/down are swapped"), std::string::npos) << "the converter's layout";
    }
}

// The tiny-vlm preset (the same architecture, a thousandth the size) in a sweep: each request begins with an
// image, whose encode (img) and tokens' prefill (ipp) are metrics of their own beside pp and tg, each counting the
// tokens its slices became.
class VisionRun : public RunTest {
protected:
    static void SetUpTestSuite() {
        RunTest::SetUpTestSuite();
        const auto r = run_llmsweep("synth --preset tiny-vlm -o " + shell_quote(*models_ / "tiny-vlm.gguf"));
        ASSERT_EQ(r.exit_code, 0) << r.err;
    }
    std::string vlm() const {
        return " -m " + shell_quote(*models_ / "tiny-vlm.gguf") + " --mmproj " +
               shell_quote(*models_ / "mmproj-tiny-vlm-f16.gguf");
    }
};

TEST_F(VisionRun, AnImagesEncodeAndPrefillAreMetricsOfTheirOwn) {
    const auto r = run_llmsweep("run" + vlm() + " --image-size 64,200 -p 8 -n 4 -r 2 -t 1 -q" + db_arg());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    for (const char* metric : {"img", "ipp", "pp", "tg"})
        EXPECT_EQ(count(fmt::format("SELECT count(*) FROM results WHERE metric = '{}' AND status = 'ok' AND "
                                    "image_size IN (64, 200)",
                                    metric)),
                  2)
            << metric;
    // Each image is resized to the longest edge and cut into tiles and an overview, as llama.cpp's idefics3
    // preprocessing does; every slice is tokens_per_image tokens: ts x seconds is that many.
    const synth::VisionShape& v = *synth::find_preset("tiny-vlm").vision;
    for (const int size : {64, 200}) {
        const auto [grid_x, grid_y] = expected_grid(v, size, size);
        const int64_t tokens = (grid_x * grid_y + 1) * v.tokens_per_image();
        for (const char* metric : {"img", "ipp"})
            EXPECT_EQ(count(fmt::format("SELECT count(*) FROM samples s JOIN results r ON r.id = s.result_id WHERE "
                                        "r.metric = '{}' AND r.image_size = {} AND s.ns > 0 AND "
                                        "abs(s.ts * s.ns / 1e9 - {}) < 0.01 AND s.image_tokens = {} AND "
                                        "s.image_slices = {}",
                                        metric, size, tokens, tokens, grid_x * grid_y + 1)),
                      2)
                << metric << " " << size;
    }
    // Each load (one worker per round here) records its mmproj's load and its first image, encoded with the vision
    // tower cold: the warm-up's, of the first image size it ran.
    EXPECT_EQ(count("SELECT count(*) FROM loads"), 2);
    EXPECT_EQ(count("SELECT count(*) FROM loads WHERE mmproj_load_ms > 0 AND first_image_ms > 0 AND "
                    "first_image_tokens > 0"),
              2);
    // And the resident memory the mmproj added: at least its weights (clip reads them into memory), less than the
    // whole process.
    EXPECT_EQ(count(fmt::format("SELECT count(*) FROM loads WHERE mmproj_rss_bytes >= {} AND mmproj_rss_bytes < "
                                "rss_peak_bytes",
                                fs::file_size(*models_ / "mmproj-tiny-vlm-f16.gguf") / 2)),
              2);
    // --images 3: each request begins with three images, their figures summed.
    ASSERT_EQ(run_llmsweep("run" + vlm() + " --image-size 64 --images 3 -p 8 -n 4 -r 1 -t 1 -q" + db_arg()).exit_code,
              0);
    const auto [grid_x, grid_y] = expected_grid(v, 64, 64);
    EXPECT_EQ(count(fmt::format("SELECT count(*) FROM samples s JOIN results r ON r.id = s.result_id WHERE "
                                "r.metric = 'img' AND r.images = 3 AND s.image_slices = {} AND s.image_tokens = {}",
                                3 * (grid_x * grid_y + 1), 3 * (grid_x * grid_y + 1) * v.tokens_per_image())),
              1);
    // Text-only points of the same model have none of them.
    ASSERT_EQ(run_llmsweep("run" + vlm() + " -p 8 -n 4 -r 1 -t 1 -q" + db_arg()).exit_code, 0);
    EXPECT_EQ(count("SELECT count(*) FROM results WHERE image_size = 0 AND metric IN ('img', 'ipp')"), 0);
    EXPECT_EQ(count("SELECT count(*) FROM results WHERE image_size = 0 AND metric IN ('pp', 'tg')"), 2);
}

// The report's images section: per point the encodes, slices and tokens per image, the encode time per image
// and per slice, the prefill rate and the first image after each load, alike in Markdown, CSV and JSON (one
// description), with a chart of the encode time against the image size; in both languages. A sample an edited
// database made impossible is left out, and the report is still written.
TEST_F(VisionRun, TheReportShowsWhatEachImageCost) {
    ASSERT_EQ(
        run_llmsweep("run" + vlm() + " --image-size 64,200 --mmap 0,1 -p 8 -n 4 -r 3 -t 1 -q" + db_arg()).exit_code, 0);
    const fs::path out = dir_ / "report";
    auto r = run_llmsweep("report" + db_arg() + " --lang en --format md,csv,json --out " + shell_quote(out));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const synth::VisionShape& v = *synth::find_preset("tiny-vlm").vision;
    const std::string md = test::read_file(out / "report.md");
    EXPECT_NE(md.find("## Images"), std::string::npos);
    const nlohmann::json json = nlohmann::json::parse(test::read_file(out / "report.json"));
    ASSERT_EQ(json["vision"].size(), 4u) << json["vision"].dump();
    std::string csv = test::read_file(out / "vision.csv");
    EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 5) << csv;
    for (const auto& point : json["vision"]) {
        const int size = point["image_size"].get<int>();
        const auto [grid_x, grid_y] = expected_grid(v, size, size);
        const int slices = grid_x * grid_y + 1;
        EXPECT_EQ(point["images"], 3);
        EXPECT_EQ(point["slices"].get<double>(), slices);
        EXPECT_EQ(point["tokens"].get<double>(), slices * v.tokens_per_image());
        // The mean encode time is the img samples' mean time, and a slice's is that over the slices.
        const std::string where = fmt::format("r.metric = 'img' AND r.image_size = {} AND r.load_mode = '{}'", size,
                                              point["value"].get<std::string>());
        const double mean_ms = std::stod(text("SELECT avg(s.ns) / 1e6 FROM samples s JOIN results r ON r.id = "
                                              "s.result_id WHERE " +
                                              where));
        EXPECT_NEAR(point["encode_ms"].get<double>(), mean_ms, 1e-9 * mean_ms);
        EXPECT_NEAR(point["slice_ms"].get<double>(), mean_ms / slices, 1e-9 * mean_ms);
        EXPECT_GT(point["prefill_tps"].get<double>(), 0);
        EXPECT_EQ(point["first_images"], 3); // one load per round, each with its first image
        EXPECT_TRUE(point["first_image_pct"].is_number());
        // The Markdown's row says the same, rounded.
        EXPECT_NE(md.find(fmt::format("| {} px | 3 | {:.1f} | {} | {:.1f} ± ", size, static_cast<double>(slices),
                                      slices * v.tokens_per_image(), point["encode_ms"].get<double>())),
                  std::string::npos)
            << md;
        EXPECT_NE(csv.find(fmt::format(",{},1,3,{},", size, slices)), std::string::npos) << csv;
    }
    // The chart: both load modes along both sizes.
    const std::string dat = test::read_file(out / "vision_tiny-vlm.gguf_encode.dat");
    EXPECT_NE(dat.find("64 "), std::string::npos) << dat;
    EXPECT_NE(dat.find("200 "), std::string::npos) << dat;
    r = run_llmsweep("report" + db_arg() + " --lang zh --format md --no-charts --out " + shell_quote(dir_ / "zh"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(test::read_file(dir_ / "zh" / "report.md").find("## 图像"), std::string::npos);

    // Hostile samples: a time that is text, one that is negative, tokens beyond any image's.
    test::run_shell(
        "sqlite3 " + shell_quote(db_path()) +
        " \"UPDATE samples SET ns = 'x' WHERE id = (SELECT min(s.id) FROM samples s JOIN results r ON r.id = "
        "s.result_id WHERE r.metric = 'img'); UPDATE samples SET image_tokens = 1000000000 WHERE id = "
        "(SELECT max(s.id) FROM samples s JOIN results r ON r.id = s.result_id WHERE r.metric = 'img')\"");
    r = run_llmsweep("report" + db_arg() + " --lang en --format json --no-charts --out " + shell_quote(dir_ / "h"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const nlohmann::json hostile = nlohmann::json::parse(test::read_file(dir_ / "h" / "report.json"));
    size_t images = 0;
    for (const auto& point : hostile["vision"]) images += point["images"].get<size_t>();
    EXPECT_EQ(images, 4u * 3 - 2);
}

// What cannot work is refused before anything runs, or fails its points with the reason.
// Server mode: llama-server started with --mmproj, each request beginning with its images (llama-server's own
// form; the OpenAI chat form with --api openai), the prompt after them as text, and the server's own timings
// stored beside the client's; the report's serving table says which requests carried images.
TEST_F(VisionRun, ServerRequestsBeginWithTheirImages) {
    const auto r =
        run_llmsweep("run" + vlm() + " --mode server --image-size 0,64 -p 8 -n 4 -r 1 --requests 2 -t 1 -q" + db_arg());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(count("SELECT count(*) FROM results WHERE metric = 'serve' AND status = 'ok'"), 2);
    EXPECT_EQ(count("SELECT count(*) FROM loads WHERE server_command LIKE '%--mmproj%'"), 1);
    EXPECT_EQ(count("SELECT count(*) FROM requests WHERE status = 'ok' AND server_prompt_ms > 0 AND "
                    "server_gen_ms > 0 AND ttft_ms > 0"),
              4);
    // Text alone: the 8 token ids as sent. With an image: its slices' tokens, then the text as the server counted it.
    const synth::VisionShape& v = *synth::find_preset("tiny-vlm").vision;
    const auto [grid_x, grid_y] = expected_grid(v, 64, 64);
    const int64_t image_tokens = (grid_x * grid_y + 1) * v.tokens_per_image();
    EXPECT_EQ(count("SELECT count(*) FROM requests q JOIN results r ON r.id = q.result_id WHERE r.image_size = 0 AND "
                    "q.tokens_in = 8"),
              2);
    EXPECT_EQ(count(fmt::format("SELECT count(*) FROM requests q JOIN results r ON r.id = q.result_id WHERE "
                                "r.image_size = 64 AND q.tokens_in > {}",
                                image_tokens)),
              2);
    // Two images a request, through the OpenAI API's chat completions.
    const auto chat = run_llmsweep("run" + vlm() +
                                   " --mode server --api openai --image-size 64 --images 2 -p 8 -n 4 -r 1 --requests 2 "
                                   "-t 1 -q" +
                                   db_arg());
    ASSERT_EQ(chat.exit_code, 0) << chat.err;
    EXPECT_EQ(count(fmt::format("SELECT count(*) FROM requests q JOIN results r ON r.id = q.result_id WHERE "
                                "r.images = 2 AND q.status = 'ok' AND q.tokens_out = 4 AND q.tokens_in > {}",
                                2 * image_tokens)),
              2);
    // An image file, carried as it is and sliced by its shape.
    const fs::path wide = dir_ / "wide.ppm";
    write_ppm(wide, 200, 100);
    const auto [wide_x, wide_y] = expected_grid(v, 200, 100);
    const auto file_run = run_llmsweep("run" + vlm() + " --mode server --image " + shell_quote(wide) +
                                       " -p 8 -n 4 -r 1 --requests 2 -t 1 -q" + db_arg());
    ASSERT_EQ(file_run.exit_code, 0) << file_run.err;
    EXPECT_EQ(count(fmt::format("SELECT count(*) FROM requests q JOIN results r ON r.id = q.result_id WHERE "
                                "r.image LIKE '%wide.ppm' AND q.status = 'ok' AND q.tokens_in > {}",
                                (wide_x * wide_y + 1) * v.tokens_per_image())),
              2);
    const fs::path out = dir_ / "report";
    ASSERT_EQ(run_llmsweep("report --lang en --format md,csv,json --no-charts --out " + shell_quote(out) + db_arg())
                  .exit_code,
              0);
    // A request with an image is other work than one without: each images' load is on its own Pareto front (one
    // load of each here), not behind the text-only load's throughput.
    const auto points = nlohmann::json::parse(test::read_file(out / "report.json")).at("serving").at("points");
    ASSERT_EQ(points.size(), 4u) << points.dump();
    for (const auto& p : points) EXPECT_TRUE(p.at("pareto").get<bool>()) << p.dump();
    const std::string md = test::read_file(out / "report.md");
    EXPECT_NE(md.find("| Image |"), std::string::npos) << md;
    EXPECT_NE(md.find("| wide.ppm |"), std::string::npos) << md;
    EXPECT_NE(md.find("| 64 px |"), std::string::npos) << md;
    EXPECT_NE(md.find("| 2 × 64 px |"), std::string::npos) << md;
    EXPECT_NE(md.find("Server prompt p50 ms"), std::string::npos) << md;
    EXPECT_NE(test::read_file(out / "serving.csv").find("server_prompt_p50_ms"), std::string::npos);
}

TEST_F(VisionRun, AMissingOrMismatchedMmprojIsSaidSo) {
    expect_usage_error(run_llmsweep("run -m " + model() + " --image-size 64 -p 8 -n 4 -r 1" + db_arg()), "--mmproj");
    const fs::path text = dir_ / "not-an-mmproj.gguf";
    std::ofstream(text) << "not a GGUF file";
    expect_usage_error(run_llmsweep("run -m " + model() + " --mmproj " + shell_quote(text) +
                                    " --image-size 64 -p 8 -n 4 -r 1" + db_arg()),
                       "not a GGUF file");
    expect_usage_error(run_llmsweep("run" + vlm() + " --image-size 100000 -p 8 -n 4 -r 1" + db_arg()), "--image-size");
    expect_usage_error(run_llmsweep("run" + vlm() + " --images 2 -p 8 -n 4 -r 1" + db_arg()),
                       "--image-size or --image");
    expect_usage_error(run_llmsweep("run" + vlm() + " --image-size 64 --mode split -p 8 -n 4 -r 1" + db_arg()),
                       "in request mode or server mode");
    // A server's request carries its pixels uncompressed: 8192 x 8192 x 3 bytes, twice, is more than it takes.
    expect_usage_error(
        run_llmsweep("run" + vlm() + " --mode server --image-size 8192 --images 2 -p 8 -n 4 -r 1" + db_arg()),
        "at most 192 MiB");
    // tiny's decoder with tiny-vlm's vision tower: llama.cpp refuses the pair, and the points fail saying so.
    const auto r =
        run_llmsweep("run -m " + model() + " --mmproj " + shell_quote(*models_ / "mmproj-tiny-vlm-f16.gguf") +
                     " --image-size 64 -p 8 -n 4 -r 1 -t 1 -q" + db_arg());
    EXPECT_EQ(count("SELECT count(*) FROM results WHERE status = 'ok'"), 0) << r.err;
    EXPECT_GT(count("SELECT count(*) FROM results WHERE status = 'failed' AND error LIKE '%mmproj%'"), 0) << r.err;
}

// --image FILE: a real image instead of a synthetic one, sliced by its own shape; hostile files (not an image,
// truncated, a header claiming 60000 x 60000 pixels) fail their points with the reason, and the sweep goes on.
TEST_F(VisionRun, ImageFilesAreSlicedByTheirShapeAndHostileOnesFailCleanly) {
    const fs::path wide = dir_ / "wide.ppm", truncated = dir_ / "truncated.ppm", text = dir_ / "text.png",
                   huge = dir_ / "huge.png";
    write_ppm(wide, 200, 100);
    test::run_shell("head -c 3000 " + shell_quote(wide) + " > " + shell_quote(truncated));
    std::ofstream(text) << "not an image";
    // A PNG whose header says 60000 x 60000 and whose data is a few bytes.
    test::run_shell("printf '\\211PNG\\r\\n\\032\\n\\0\\0\\0\\rIHDR\\0\\0\\352\\140\\0\\0\\352\\140"
                    "\\010\\002\\0\\0\\0\\0\\0\\0\\0' > " +
                    shell_quote(huge));
    const auto r = run_llmsweep("run" + vlm() + " --image " + shell_quote(wide) + "," + shell_quote(truncated) + "," +
                                shell_quote(text) + "," + shell_quote(huge) + " -p 8 -n 4 -r 1 -t 1 -q" + db_arg());
    EXPECT_NE(r.exit_code, 2) << r.err;
    const synth::VisionShape& v = *synth::find_preset("tiny-vlm").vision;
    const auto [grid_x, grid_y] = expected_grid(v, 200, 100);
    EXPECT_EQ(count(fmt::format("SELECT count(*) FROM samples s JOIN results r ON r.id = s.result_id WHERE "
                                "r.metric = 'img' AND r.status = 'ok' AND r.image LIKE '%wide.ppm' AND "
                                "abs(s.ts * s.ns / 1e9 - {}) < 0.01",
                                (grid_x * grid_y + 1) * v.tokens_per_image())),
              1);
    EXPECT_EQ(count("SELECT count(*) FROM results WHERE status = 'failed' AND metric = 'img' AND error LIKE "
                    "'%is not an image llama.cpp reads%'"),
              3);
    // The report's Images section has the one image that encoded, by its file's name, and none of the others.
    const fs::path out = dir_ / "report";
    ASSERT_EQ(
        run_llmsweep("report --lang en --format md,json --no-charts --out " + shell_quote(out) + db_arg()).exit_code,
        0);
    const auto vision = nlohmann::json::parse(test::read_file(out / "report.json")).at("vision");
    ASSERT_EQ(vision.size(), 1u) << vision.dump();
    EXPECT_EQ(vision[0].at("slices").get<double>(), grid_x * grid_y + 1) << vision.dump();
    const std::string md = test::read_file(out / "report.md");
    EXPECT_NE(md.find("| wide.ppm |"), std::string::npos) << md;
    for (const char* hostile : {"truncated.ppm", "text.png", "huge.png"})
        EXPECT_EQ(md.find(std::string("| ") + hostile + " |"), std::string::npos) << hostile;
    // Refused before anything runs: both kinds of image, a file that is not there, one too large to be an image.
    expect_usage_error(
        run_llmsweep("run" + vlm() + " --image " + shell_quote(wide) + " --image-size 64 -p 8 -n 4" + db_arg()),
        "give one of them");
    expect_usage_error(
        run_llmsweep("run" + vlm() + " --image " + shell_quote(dir_ / "missing.png") + " -p 8 -n 4" + db_arg()),
        "does not exist");
    const fs::path big = dir_ / "big.png";
    test::run_shell("truncate -s 300M " + shell_quote(big));
    expect_usage_error(run_llmsweep("run" + vlm() + " --image " + shell_quote(big) + " -p 8 -n 4" + db_arg()),
                       "256 MiB");
}

} // namespace
} // namespace llmsweep

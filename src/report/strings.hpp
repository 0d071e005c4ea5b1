#pragma once
// The report's words in each language. Every label a writer prints comes from here.

#include <string_view>

namespace llmsweep::report {

struct Strings {
    std::string_view title_suffix; // "<parameter> comparison report"
    std::string_view title_single; // when the results have one value of every parameter but the test sizes
    std::string_view generated_at, source;
    std::string_view overview, records, nothing_succeeded, no_result_succeeded, models, metrics, values_of,
        n_prompt_range, n_gen_range;
    std::string_view counts, value, model, all_models, metric, count, model_type, model_size, model_params;
    std::string_view performance, pp_name, tg_name, pg_name, serve_name, img_name, ipp_name;
    std::string_view points, mean_ts, sd_ts, min_ts, max_ts, median_ts, mean_cv, max_cv, not_ok;
    std::string_view differences, differences_intro, nothing_to_compare, baseline, pairs, unpaired, diff_ts, diff_pct,
        ci95, blocks, across_points, holm_p, verdict;
    std::string_view faster, slower, equivalent, inconclusive, too_few, too_few_runs, blocks_needed, without_flagged,
        one_run_each, runs_needed, busy_blocks, runs_used, runs_pooled, runs_between, runs_left_out;
    std::string_view flagged_intro, flagged_block, flagged_round, flagged_busy;
    std::string_view headline, charts, charts_unavailable, charts_left_out, chart_data, chart_script;
    std::string_view beyond, loads_intro, loads_count, no_loads, cache, load_ms, load_sd, rss_peak, peak_anon,
        peak_file, cached_before_after, major_faults, minor_faults, evicted, anon_huge, file_pmd, thp_mode,
        model_buffers, mmproj_load_ms, mmproj_mib, first_image_ms, latency_intro, ttft, itl_p50, itl_p90, itl_p99;
    std::string_view roofline, roofline_intro, no_roofline, roofline_machines, threads, read_gbs, triad_gbs,
        matmul_gflops, peak_gflops, l3_cache, achieved_gbs, bandwidth_share, achieved_gflops, compute_share,
        roofline_no_profile, roofline_no_machine, roofline_fits_cache, roofline_offloaded, server_prompt_p50,
        server_gen_p50, roofline_other_build, roofline_chart_title, roofline_chart_caption, intensity_axis, gflops_axis,
        memory_roof, compute_roof;
    std::string_view serving, serving_intro, serving_slo, serving_no_slo, load, client, clients, per_second, requests,
        failed_requests, request_rate, output_tps, ttft_p50, ttft_p99, tpot_p50, tpot_p99, e2e_p50, e2e_p99, slo_met,
        goodput, pareto, capacity_intro, highest_load, none_met, closed_loop, open_loop, serving_throughput_title,
        serving_latency_title, serving_pareto_title, pareto_front, single_stream_intro, server_stream_tps,
        native_tg_tps, serving_latency_intro, latency_mean;
    std::string_view vision, vision_intro, vision_first_intro, settings, image, image_px, images_per_request,
        images_encoded, slices_per_image, tokens_per_image, encode_ms, encode_ms_per_slice, encode_tps, prefill_tps,
        first_image_pct, vision_chart_title, vision_chart_xlabel, vision_chart_ylabel, chart_vision_caption,
        chart_vision_found;
    // llmsweep history: each build's throughput in history order, and where it stepped.
    std::string_view history_title, history_intro, history_series, history_on_host, history_by_number, history_by_time,
        history_build, history_number, history_first_run, history_runs, history_interval, history_step, history_steps,
        history_no_step, history_step_line, history_regression, history_left_out, history_chart_caption,
        history_segment_mean;
    std::string_view worst_listed, first_listed;
    std::string_view warnings, no_warnings, high_cv_intro, not_ok_intro, too_few_intro, unpaired_intro,
        huge_pages_differ_intro, huge_pages_used_as, busy_intro, busy_visit, hosts_differ_intro, left_out_intro,
        stored_slo_ignored;
    std::string_view methodology, methodology_intro, methodology_request, methodology_import, methodology_llama_bench,
        methodology_server, run, mode, order, repetitions, warmup, build, host;
    std::string_view fixed_settings, logical_cores;
    std::string_view adaptive_run, rule_target_ci, rule_decide, rule_and, stop_rule_met, stop_max_repetitions,
        stop_failed, stop_out_of_reach, looks_intro, respelled, all_layers;
    std::string_view data_files, raw_csv, summary_csv, difference_csv, closing;
    // The charts' own words: labels, legends and captions (fmt patterns; {N} where the languages order differ).
    std::string_view chart_forest_xlabel, chart_tally, chart_list_separator, chart_forest_caption, chart_points_caption,
        chart_pairs, chart_other_value, chart_diagonal, chart_pairs_caption, chart_heatmap_color, chart_cells_numbered,
        chart_cells_unnumbered, chart_heatmap_depth, chart_heatmap_caption, chart_load_time, chart_peak_memory,
        chart_load_time_axis, chart_peak_rss_axis, chart_file_backed, chart_all, chart_anon_file,
        chart_anonymous_suffix, chart_peak_resident_axis, chart_load_time_caption, chart_memory_split_caption,
        chart_memory_caption, chart_of_bandwidth, chart_of_matmul, chart_binding_roof, chart_latency_at,
        chart_throughput_best, chart_serving_caption, chart_serving_latency_what, chart_serving_throughput_what,
        chart_pareto_caption, chart_pareto_caption_unjoined, chart_pairs_caption_one, chart_forest_caption_one,
        chart_sampled, chart_largest_gap, chart_lines_caption;
    std::string_view headline_load_effect, load_time_change, anon_change, file_change, rss_change, headline_block;
};

// Each language's words, one file each (strings_en.cpp, strings_zh.cpp); a report takes them through strings().
extern const Strings english, chinese;
const Strings& strings(std::string_view language); // "zh" or "en"

} // namespace llmsweep::report

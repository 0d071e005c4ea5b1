// The report's words in Chinese.
#include "report/strings.hpp"

namespace llmsweep::report {

constinit const Strings chinese{
    .title_suffix = "参数对比分析报告",
    .title_single = "性能测试报告",
    .generated_at = "生成时间",
    .source = "数据来源",
    .overview = "数据概览",
    .records = "测试结果数",
    .nothing_succeeded = "没有任何测试成功: 没有可展示或比较的吞吐量。失败原因见「警告」一节。",
    .no_result_succeeded = "没有成功的测试结果。",
    .models = "涉及模型",
    .metrics = "性能指标",
    .values_of = "取值",
    .n_prompt_range = "n_prompt 范围",
    .n_gen_range = "n_gen 范围",
    .counts = "测试记录统计",
    .value = "取值",
    .model = "模型",
    .all_models = "所有模型",
    .metric = "性能指标",
    .count = "测试记录数",
    .model_type = "llama.cpp 类型",
    .model_size = "张量 MiB",
    .model_params = "参数量 (百万)",
    .performance = "性能数据",
    .pp_name = "PP (Prefill 阶段)",
    .tg_name = "TG (Decode 阶段)",
    .pg_name = "PG (Prefill + Decode, llama-bench -pg)",
    .serve_name = "Serve (llama-server 承受负载: 整个服务器的输出 t/s)",
    .img_name = "IMG (图像经视觉编码器编码: 每秒编码的图像 token 数)",
    .ipp_name = "IPP (图像 token 预填充到解码器)",
    .points = "数据点数",
    .mean_ts = "平均性能 (tokens/s)",
    .sd_ts = "性能标准差",
    .min_ts = "最小性能",
    .max_ts = "最大性能",
    .median_ts = "中位数",
    .mean_cv = "平均 CV (%)",
    .max_cv = "最大 CV (%)",
    .not_ok = "未成功",
    .differences = "差异分析",
    .differences_intro =
        "每个取值与基准值在其余参数完全相同的配对数据点上逐区组比较 (docs/statistics.md): 一个区组即扫描的一轮 "
        "(每个加载组按随机顺序各访问一次; grouped 顺序与单个导入文件中为重复序号), 区组内的效应为其各数据点 "
        "log(取值 / 基准) 的平均, 各区组为独立重复; 若没有一个运行同时测了两个取值 (分别运行的构建、主机或导入), "
        "则每次运行为一个重复, 以 Welch t 检验比较。差异: 各区组效应的平均 (百分比), 附 95% t 置信区间; "
        "各数据点范围: 单个数据点效应的最小与最大值; p: 无效应的 t 检验, 经 Holm 方法对本报告全部比较校正。"
        "更快或更慢: 校正后 p < 0.05 且区间不含 0; 等效: 90% 区间位于 ±{} % 之内 (两个单侧检验); 否则无法定论。",
    .nothing_to_compare = "除 n_prompt、n_gen 和 n_depth 外, 所有结果的参数都相同, 因此没有可比较的取值。"
                          "可对某个参数扫描两个取值 (例如 --mmap 0,1), 或导入另一个 llama.cpp 版本的结果, "
                          "或用 --compare n_prompt 比较测试规模。",
    .baseline = "基准",
    .pairs = "配对数",
    .unpaired = "未配对",
    .diff_ts = "性能差异 (tokens/s)",
    .diff_pct = "差异百分比 (%)",
    .ci95 = "95% 置信区间",
    .blocks = "区组数",
    .across_points = "各数据点范围 (%)",
    .holm_p = "Holm 校正 p",
    .verdict = "结论",
    .faster = "更快",
    .slower = "更慢",
    .equivalent = "等效",
    .inconclusive = "无法定论",
    .too_few = "仅一次测量, 无置信区间",
    .too_few_runs = "每个取值各仅一次运行, 无置信区间",
    .blocks_needed = "约需 {} 个区组才能定论",
    .without_flagged = "去除被标记区组后: {}",
    .one_run_each = "每个取值各仅一次运行: 只有估计值; 区间无法包含运行之间的波动; 请将每个取值交替运行多次 "
                    "(比较两个构建: llmsweep run --engine llama-bench --llama-bench A,B -r 5)",
    .runs_needed = "约需每个取值 {} 次运行才能定论",
    .busy_blocks = "{} / {} 个区组是在有其他负载时测得的",
    .runs_used = "所用的运行: {}。",
    .runs_pooled = "比较合并了运行 {} 的各轮 (--pool-runs, 或同一设计的运行)。",
    .runs_between = "在不同运行之间的比较 (没有一个运行同时测了两个取值) 以每次运行为一个重复单元: "
                    "同一运行的各次重复共享其进程、加载与内存布局。",
    .runs_left_out = "只测了其中一个取值、因而不参与运行内比较的运行: {}。",
    .flagged_intro = "效应远离其余区组的区组 (稳健 z 值大于 4: 该次访问受到机器上其他活动干扰); "
                     "各比较在包含与去除它们时的结论见差异分析表",
    .flagged_block = "重复 {}",
    .flagged_round = "运行 {1} 的第 {0} 轮",
    .flagged_busy = "该轮有一次访问在机器有其他负载时进行 (见下方列表)",
    .headline = "一览",
    .charts = "分析图表",
    .charts_unavailable = "未生成图表:",
    .charts_left_out = "以下图表没有成功的测试结果, 未绘制:",
    .chart_data = "数据",
    .chart_script = "gnuplot 脚本",
    .beyond = "吞吐量之外的影响",
    .loads_intro =
        "模型加载, 每个工作进程一次 (llama_model_load_from_file 的耗时, 工作进程的峰值常驻内存, 加载期间的缺页次数)。"
        "映射的模型页面也计入常驻内存, 因此峰值 RSS 看不出 mmap 的影响: 匿名内存峰值与文件映射内存峰值把它拆开 "
        "(读入缓冲区"
        "的模型是匿名内存, 映射的模型是文件映射内存); "
        "加载前与访问结束后模型文件在页缓存中的字节数说明下一个进程能用到多少缓存。",
    .loads_count = "加载次数",
    .no_loads = "这些结果没有记录成功的模型加载 (导入的结果不含加载记录)。",
    .cache = "页缓存",
    .load_ms = "加载耗时 (ms)",
    .load_sd = "标准差 (ms)",
    .rss_peak = "峰值 RSS (MiB)",
    .peak_anon = "匿名内存峰值 MiB",
    .peak_file = "文件映射内存峰值 MiB",
    .cached_before_after = "模型在页缓存中 (前 / 后) MiB",
    .major_faults = "主缺页",
    .minor_faults = "次缺页",
    .evicted = "已清除 (冷)",
    .anon_huge = "匿名大页 (MiB)",
    .file_pmd = "文件大页映射 (MiB)",
    .thp_mode = "THP 模式",
    .model_buffers = "权重所在缓冲区 (MiB)",
    .mmproj_load_ms = "mmproj 加载 ms",
    .mmproj_mib = "mmproj 内存 MiB",
    .first_image_ms = "首张图像 ms (冷)",
    .latency_intro = "请求模式: 首 token 时间 (即 prefill) 与 token 间延迟的百分位, 为各数据点的平均值。",
    .ttft = "首 token 时间 (ms)",
    .itl_p50 = "token 间延迟 p50 (ms)",
    .itl_p90 = "token 间延迟 p90 (ms)",
    .itl_p99 = "token 间延迟 p99 (ms)",
    .roofline = "距离机器极限有多远",
    .roofline_intro =
        "逐 token 生成每生成一个 token 都要读取一遍所有活跃权重, 因此其上限是内存读带宽除以每个 token 读取的字节数 "
        "(权重, 以及截至该点上下文的 KV 缓存); 提示词处理在一个批次内共享每个权重, 其上限是矩阵乘法的速率。每个 "
        "token 的字节数和运算量由模型的张量算出 (docs/roofline.md); 屋顶值在扫描之前于同一主机、同一线程数下测得: "
        "多线程流式读取远大于末级缓存的内存所得的读带宽, 以及 ggml 自身在 CPU 后端上批大小 512 的矩阵乘法速率。"
        "占比: 实际速率除以屋顶值 (CPU 上逐 token 生成通常达到带宽的 40-80%)。",
    .no_roofline = "没有 roofline: 这些结果的运行都没有测量机器或读取模型的开销 (运行时不要加 --no-roofline, "
                   "或在运行它们的主机上执行 `llmsweep info --measure`)。",
    .roofline_machines = "测得的屋顶值",
    .threads = "线程数",
    .read_gbs = "读带宽 GB/s",
    .triad_gbs = "Triad GB/s",
    .matmul_gflops = "矩阵乘法 GFLOP/s",
    .peak_gflops = "理论峰值 GFLOP/s",
    .l3_cache = "末级缓存 MiB",
    .achieved_gbs = "GB/s",
    .bandwidth_share = "占带宽 %",
    .achieved_gflops = "GFLOP/s",
    .compute_share = "占算力 %",
    .roofline_no_profile = "以下模型没有每 token 开销 (存储结果时其文件不可读): {}",
    .roofline_no_machine = "以下主机与线程数没有机器测量: {} (在该主机上运行 `llmsweep info --measure -t N`)",
    .roofline_fits_cache = "以下模型每个 token 读取的权重可以放进末级缓存: {}; 内存屋顶对其不构成上限, 占比可能超过 "
                           "100%",
    .roofline_offloaded =
        "以下结果未列入, 因为其计算在 GPU 上进行 (层已卸载, 或提示词中 32 个及以上 token 的批次被送到 "
        "GPU), CPU 的屋顶对其不构成上限: {}",
    .server_prompt_p50 = "服务端提示处理 p50 ms",
    .server_gen_p50 = "服务端生成 p50 ms",
    .roofline_other_build = "部分屋顶值是用同一主机上另一个 llama.cpp 构建测得的。",
    .roofline_chart_title = "Roofline, {} 线程",
    .roofline_chart_caption = "每个点是一条结果: 每读取一个字节的运算量 (x) 与每秒运算量 (y), 均为对数坐标。斜线是内存"
                              "屋顶 (带宽 x 运算强度), 水平线是矩阵乘法屋顶; 远低于约束它的屋顶的点还有提升空间。",
    .intensity_axis = "FLOP / 字节",
    .gflops_axis = "GFLOP/s",
    .memory_roof = "内存屋顶",
    .compute_roof = "算力屋顶",
    .serving = "服务性能",
    .serving_intro =
        "服务模式: llama-server 承受多个客户端的负载。每个数据点是一种负载: N 个客户端的闭环 "
        "(每个客户端在上一个请求结束后"
        "发出下一个), 或按每秒速率随机到达 (泊松过程) 的开环。各项数值统计该点所有重复中的全部请求: 首 token 时间 "
        "(TTFT: "
        "从请求发出到第一个流式 token, 含排队与预填充), 首个之后每个输出 token 的时间 (TPOT), 端到端时间 (E2E); 输出 "
        "t/s "
        "为整个服务器的 token 吞吐量。Pareto: 同一模型没有其他负载能在更低的 p99 TTFT 下给出更高的吞吐量。",
    .serving_slo = "有效吞吐 (goodput) 为每秒满足服务目标 {} 的请求数 (失败的请求不算满足)。",
    .serving_no_slo = "未给出服务目标 (run 或 report 加 --slo ttft=500ms,tpot=50ms): 有效吞吐计入所有成功的请求。",
    .load = "负载",
    .client = "个客户端",
    .clients = "个客户端",
    .per_second = "请求/秒",
    .requests = "请求数",
    .failed_requests = "失败",
    .request_rate = "请求/秒",
    .output_tps = "输出 t/s",
    .ttft_p50 = "TTFT p50 ms",
    .ttft_p99 = "TTFT p99 ms",
    .tpot_p50 = "TPOT p50 ms",
    .tpot_p99 = "TPOT p99 ms",
    .e2e_p50 = "E2E p50 ms",
    .e2e_p99 = "E2E p99 ms",
    .slo_met = "满足 %",
    .goodput = "有效吞吐 请求/秒",
    .pareto = "Pareto",
    .capacity_intro = "按模型与取值, 90 % 的请求满足服务目标的最高负载:",
    .highest_load = "最高负载",
    .none_met = "无",
    .closed_loop = "闭环",
    .open_loop = "开环",
    .serving_throughput_title = "{} — 输出 t/s 随 {} 变化",
    .serving_latency_title = "{} — p99 TTFT 随 {} 变化",
    .serving_pareto_title = "{} — 吞吐量与 p99 TTFT",
    .pareto_front = "Pareto",
    .single_stream_intro =
        "服务器上单个客户端的生成速度, 与 llmsweep 自身对同一模型、同一设置、同一输出长度的 token 生成相比 "
        "(将两者写入同一数据库): 服务器速度为每个请求的 1000 / TPOT, 按重复取平均; 速度为各次重复的几何平均, "
        "差异为两者之比, 附对数速度均值之差的 Welch 95 % 区间。差距来自服务器每个 token 的额外工作 "
        "(采样、解码为文本、流式发送) 与客户端。",
    .server_stream_tps = "服务器 t/s (单客户端)",
    .native_tg_tps = "原生 tg t/s",
    .serving_latency_intro =
        "请求的等待时间 (ms), 统计所有成功的请求: TTFT、TPOT 与 E2E 的均值和百分位数; ITL 是相邻两个流式 "
        "token 之间的间隔, 取每次重复中所有间隔的中位数与第 99 百分位数, 再对各次重复求平均。",
    .latency_mean = "均值",
    .vision = "图像",
    .vision_intro =
        "视觉语言模型的图像路径 (--mmproj): 每个请求以一张图像开始, llama.cpp 的预处理将其切成若干切片 (图块网格加一张"
        "概览), 每个切片经视觉塔编码为 token, 再在提示词之前预填充进解码器。每个点给出: 编码的图像数 (其重复次数)、每张"
        "图像的切片数与 token 数、每张图像的编码时间 (均值 ± 标准差) 与每个切片的编码时间、编码的 token/s (img), "
        "以及图像 "
        "token 的预填充速率 (ipp)。",
    .vision_first_intro = "首张图像: 每次加载后的第一张图像 (其预热的图像, 视觉塔为冷) "
                          "与同一加载上该点之后的图像按每个 token 比较; +20 % "
                          "表示首张图像每个 token 多用了五分之一的时间。",
    .settings = "设置",
    .image = "图像",
    .image_px = "{} 像素",
    .images_per_request = "每请求",
    .images_encoded = "图像数",
    .slices_per_image = "切片",
    .tokens_per_image = "Token",
    .encode_ms = "编码 ms",
    .encode_ms_per_slice = "ms / 切片",
    .encode_tps = "编码 t/s",
    .prefill_tps = "预填充 t/s",
    .first_image_pct = "首张图像 %",
    .vision_chart_title = "{} — 图像编码时间随图像尺寸变化",
    .vision_chart_xlabel = "图像尺寸 (每边像素)",
    .vision_chart_ylabel = "每张图像编码 ms",
    .chart_vision_caption = "{0}: 各图像尺寸 (每边像素) 下经视觉塔编码一张图像的时间, 每个 {1} 取值一条线, 附重复的"
                            "标准差。{2}",
    .chart_vision_found = "{0}: {2} 像素时 {1:.1f} ms, 每个切片 {3:.2f} ms。",
    .history_title = "llama.cpp 各构建的性能变化",
    .history_intro = "按模型、指标和主机: 各构建的吞吐量 (该序列每次运行都测量过的各点的几何平均), 按历史顺序排列; 其 "
                     "95 % 区间基于该构建的各次运行 (两次或以上)。阶跃是某一段连续构建与其余构建之差超出构建间正常噪声"
                     "在整个历史中可能给出的程度之处 (循环二分分割, alpha {0}); 其大小比较阶跃之后与之前的构建, 以每个"
                     "构建的运行为重复单元; 慢于 -{1} % 的阶跃为性能回退。",
    .history_series = "{0} {1}{2}: {4} 个构建, 按{5}排序; 每次运行都测量的点: {3}",
    .history_on_host = " ({})",
    .history_by_number = "构建编号",
    .history_by_time = "首次运行时间",
    .history_build = "构建",
    .history_number = "构建编号",
    .history_first_run = "首次运行",
    .history_runs = "运行数",
    .history_interval = "95 % 区间",
    .history_step = "此处阶跃",
    .history_steps = "阶跃:",
    .history_no_step = "无阶跃: 没有一段构建与其余构建的差异超出噪声 (p >= {0})。",
    .history_step_line = "构建 {0} 与 {1} 之间: {2} (之前 {3} 个构建, 之后 {4} 个; p = {5:.3f})",
    .history_regression = "性能回退",
    .history_left_out = "未纳入:",
    .history_chart_caption = "{0}: 各构建按历史顺序的 t/s, 附其各次运行的区间; 灰线为阶跃之间的均值。{1}",
    .history_segment_mean = "阶跃之间的均值",
    .worst_listed = "列出最差的",
    .first_listed = "列出前",
    .warnings = "警告",
    .no_warnings = "无。",
    .high_cv_intro = "重复测量变异系数超过阈值的数据点, 阈值",
    .not_ok_intro = "未成功完成的结果 (已从上述所有表格中排除)",
    .too_few_intro = "配对数少于检验所需 (6) 的比较",
    .unpaired_intro = "在另一取值中没有对应配置的数据点, 未纳入配对分析",
    .huge_pages_differ_intro = "被比较的取值使用大页的情况不同 (内存位于 2 MiB 页上: 透明大页, 或映射的模型文件位于"
                               "页缓存的大 folio 中), 因此差异中包含大页本身的影响。请在同一状态内比较 "
                               "(--where huge_pages_used=yes 或 =no), 或用 --huge-pages off,on 分别测量",
    .huge_pages_used_as = "是否使用大页",
    .busy_intro = "测量时机器上有其他负载的访问 (其他进程平均占用 {} 个核心以上, 或虚拟机监控程序窃取了 {} % "
                  "以上的 CPU 时间): 含有这类访问的轮次可能受到干扰",
    .busy_visit = "{0}{1}, 运行 {3} 的第 {2} 轮: 其他进程 {4:.2f} 个核心, 窃取 {5:.1f} %, 平均负载 {6:.2f}",
    .hosts_differ_intro =
        "各取值在不同的主机上测得 (合并的数据库或手工分片): 只有同一主机测过两个取值的点才能配对, 其余"
        "不配对; --compare hostname 用于比较主机。各取值的主机:",
    .left_out_intro = "任何机器都不可能给出的数值, 已从所有表格与比较中剔除 (数据库损坏或被改动): {}",
    .stored_slo_ignored = "与运行一同保存的服务目标 '{}' 无效 ({}): 服务测点不按目标判定; 用 --slo 指定目标",
    .methodology = "测量方法",
    .methodology_intro = "由 llmsweep 通过 llama.cpp 自身 API 测量, 使用随机 token, 计时区间内不含采样; "
                         "每次模型加载在独立的工作进程中进行。",
    .methodology_request = "请求模式下 tg 紧接在提示词之后解码, 即深度为 n_prompt (相当于 llama-bench 的 tg 加 -d "
                           "n_prompt, 而不是深度 0 的 tg)。",
    .methodology_import = "从 llama-bench 的输出导入: 其自身的测试 (pp、深度 -d 的 tg、pg) 与重复次数, 按文件所载; "
                          "llmsweep 未测量其中任何一项。",
    .methodology_llama_bench = "由 llama-bench 测量 (run --engine llama-bench): llmsweep 为每次加载启动它并读取其 JSON "
                               "行, 使用 llama-bench 自身的测试与预热。",
    .methodology_server = "服务器模式: llama-server 承受客户端负载, 每个请求由 llmsweep "
                          "的客户端流式接收并按其时钟计时; 返回的 token 由服务器采样。",
    .run = "运行",
    .mode = "模式",
    .order = "顺序",
    .repetitions = "重复次数",
    .warmup = "预热次数",
    .build = "llama.cpp",
    .host = "主机",
    .fixed_settings = "所有结果共同的设置",
    .logical_cores = "个逻辑核心",
    .adaptive_run = "自适应轮次: 每个数据点 {} 到 {} 次重复, 在 {} 时继续增加轮次",
    .rule_target_ci = "结果均值的 95% 置信区间宽于 ±{} %",
    .rule_decide = "{} 的某项比较在 ±{} % 下尚未判定为更快、更慢或等效",
    .rule_and = ", 或",
    .stop_rule_met = "{} 条结果满足停止规则 ({} 次重复)",
    .stop_max_repetitions = "{} 条结果达到上限仍未满足规则 ({} 次重复)",
    .stop_failed = "{} 条结果因某次重复失败而停止 ({} 次重复)",
    .stop_out_of_reach = "{} 条结果在上限之前已无望得出结论而停止 ({} 次重复): 再加轮次多半仍无法判定其比较",
    .looks_intro = "使用自适应轮次并判定比较 (run --decide) 的运行在每一轮之后都查看了比较结果。为使多次查看不比一次"
                   "查看产生更多错误结论, 每次查看只使用 5% 显著性水平中的一份 (alpha 消耗: 最多 N 个区组中的第 n "
                   "次查看使用 5% x ((n/N)^2 - ((n-1)/N)^2), 第一次查看使用 5% x (n/N)^2), 其置信区间也相应加宽 "
                   "(见 difference.csv 的 level 列)。",
    .respelled = "写法与实际生效值不同的设置按实际生效的值配对 (例如 llama-bench 的默认值 -ngl -1 与 -lm auto 与 "
                 "-ngl 99 和 -lm mmap 配对)",
    .all_layers = "全部层",
    .data_files = "数据文件",
    .raw_csv = "原始数据 (每条结果及其全部参数)",
    .summary_csv = "汇总数据 (按模型、指标和取值)",
    .difference_csv = "差异数据 (配对分析)",
    .closing = "报告结束。",
    .chart_forest_xlabel = "与 {} 相比的差异 (%), 95% 置信区间",
    .chart_tally = "{} 项{}",
    .chart_list_separator = "、",
    .chart_forest_caption = "{1} 的 {0} 项比较 (等效范围 ±{2} %, 阴影): {3}。差异最大: {4} {5} {6}, {7}。",
    .chart_points_caption = "{0} {1}: 每个数据点的平均吞吐量, 误差线为各次重复的标准差; 数据点按 {2} 排序。{3}",
    .chart_pairs = "配对",
    .chart_other_value = "其他取值 (tokens/s)",
    .chart_diagonal = "对角线 (无差异)",
    .chart_pairs_caption = "{1} {2} 的 {0} 个配对: 横轴为基准 {3} 的吞吐量, 纵轴为其他取值; 对角线以上表示更快。",
    .chart_heatmap_color = "与 {} 相比 (%)",
    .chart_cells_numbered = "括号中的数值: 该格的 95% 置信区间包含 0 ({} / {} 格)。",
    .chart_cells_unnumbered = "{0} 格, 数值从略; 其中 {1} 格的 95% 置信区间包含 0。",
    .chart_heatmap_depth = ", 深度 {}",
    .chart_heatmap_caption =
        "{0} {1}: {2} = {3} 相对 {4} 的差异 (%), 按 n_prompt x n_gen{5}; 从 {6:+.1f} % 到 {7:+.1f} %。{8}",
    .chart_load_time = "加载耗时",
    .chart_peak_memory = "峰值内存",
    .chart_load_time_axis = "加载耗时 (ms)",
    .chart_peak_rss_axis = "峰值 RSS (MiB)",
    .chart_file_backed = "文件映射",
    .chart_all = "全部",
    .chart_anon_file = "{} {} 匿名 {:.1f} MiB, 文件映射 {:.1f} MiB",
    .chart_anonymous_suffix = " (匿名)",
    .chart_peak_resident_axis = "峰值常驻内存 (MiB)",
    .chart_load_time_caption = "每个模型、取值和缓存状态的平均加载耗时: {}。",
    .chart_memory_split_caption =
        "每个模型、取值和缓存状态在访问期间的匿名内存与文件映射内存峰值 (映射的模型页面属于文件映射): {}。",
    .chart_memory_caption = "每个模型、取值和缓存状态的平均峰值 RSS (映射的文件页也计入): {}。",
    .chart_of_bandwidth = "带宽",
    .chart_of_matmul = "算力",
    .chart_binding_roof = "占约束屋顶的比例",
    .chart_latency_at = " {0}: 在 {2} 时为 {1:.1f} ms。",
    .chart_throughput_best = " {0}: 最高 {1:.1f} t/s, 在 {2} 时。",
    .chart_serving_caption = "{0} ({1}): {2}, 每个 {3} 取值一条线。{4}",
    .chart_serving_latency_what = "各负载下 p99 首 token 时间; 拐点之后排队开始主导延迟",
    .chart_serving_throughput_what = "各负载下整个服务器的输出吞吐量",
    .chart_pareto_caption = "{0}: 每个点是一种负载, 横轴为输出吞吐量, 纵轴为 p99 首 token 时间; 灰线连接 {1} 个 Pareto "
                            "最优的负载 (没有其他负载能以更低的延迟给出更高的吞吐量)。",
    .chart_pareto_caption_unjoined =
        "{0}: 每个点是一种负载, 横轴为输出吞吐量, 纵轴为 p99 首 token 时间; 每类请求只有一个 "
        "Pareto 最优的负载 (没有其他负载能以更低的延迟给出更高的吞吐量), 故没有连线。",
    .chart_pairs_caption_one = "{1} {2} 的 1 个配对: 横轴为基准 {3} 的吞吐量, 纵轴为其他取值; 对角线以上表示更快。",
    .chart_forest_caption_one = "{1} 的 1 项比较 (等效范围 ±{2} %, 阴影): {3}。{4} {5} {6}, {7}。",
    .chart_sampled = " (每 {0} 个点取 1 个, 共 {1} 个)",
    .chart_largest_gap = "与 {0} 的差距在 {1} = {2} 处最大: {3} {4:+.1f} %。",
    .chart_lines_caption = "{0} {1}: 各 {2} 下的平均吞吐量 (对其他参数取平均), 每个 {3} 取值一条线; "
                           "误差线为各次重复的标准差 (数据点的平均)。{4}",
    .headline_load_effect = "{0} {1} = {2} 相对 {3}: {4}。",
    .load_time_change = "加载耗时 {0:.0f} → {1:.0f} ms ({2:+.0f} %)",
    .anon_change = "匿名内存 {0:.1f} → {1:.1f} MiB",
    .file_change = "文件映射内存 {0:.1f} → {1:.1f} MiB",
    .rss_change = "峰值 RSS {0:.1f} → {1:.1f} MiB",
    .headline_block = "每个结论都逐轮比较各取值: 一轮 (一个区组) 以随机顺序访问每个加载组一次, 各轮即为重复单元。",
};

} // namespace llmsweep::report

#!/usr/bin/python3
"""The baseline for bench/report.sh: the same summary and difference tables and the same charts as
`llmsweep report`, computed with pandas, numpy and scipy and drawn with matplotlib (Debian's python3-pandas,
python3-scipy, python3-matplotlib).

    bench/pandas_report.py DATABASE OUT_FOLDER [COMPARE]
"""
import os
import sqlite3
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from scipy import stats  # noqa: E402

PARAMETERS = ["load_mode", "cache_state", "n_gpu_layers", "n_threads", "n_batch", "n_ubatch", "type_k", "type_v",
              "flash_attn", "n_prompt", "n_gen", "n_depth", "mode"]
MAX_POINTS = 2000


def bootstrap_ci(values, seed=1):
    resamples = int(min(2000, max(400, 5e7 / max(len(values), 1))))
    rng = np.random.default_rng(seed)
    means = np.empty(resamples)
    for i in range(resamples):
        means[i] = values[rng.integers(0, len(values), len(values))].mean()
    return np.quantile(means, [0.025, 0.975])


def save(figure, folder, stem):
    figure.savefig(os.path.join(folder, stem + ".png"))
    figure.savefig(os.path.join(folder, stem + ".svg"))
    plt.close(figure)


def main():
    database, folder = sys.argv[1], sys.argv[2]
    compare = sys.argv[3] if len(sys.argv) > 3 else "load_mode"
    os.makedirs(folder, exist_ok=True)
    db = sqlite3.connect(database)
    results = pd.read_sql_query("SELECT * FROM results", db)
    results["model"] = results["model_filename"].map(os.path.basename)
    results["cv"] = 100 * results["stddev_ts"] / results["avg_ts"]
    ok = results[results["status"] == "ok"]
    results.to_csv(os.path.join(folder, "raw.csv"), index=False)

    summary = ok.groupby(["model", "metric", compare]).agg(
        points=("avg_ts", "size"), mean_ts=("avg_ts", "mean"), sd_ts=("avg_ts", "std"), min_ts=("avg_ts", "min"),
        max_ts=("avg_ts", "max"), median_ts=("avg_ts", "median"), mean_cv=("cv", "mean"), max_cv=("cv", "max"),
        n_prompt_min=("n_prompt", "min"), n_prompt_max=("n_prompt", "max"), n_gen_min=("n_gen", "min"),
        n_gen_max=("n_gen", "max"))
    summary.to_csv(os.path.join(folder, "summary.csv"))

    others = [p for p in PARAMETERS if p != compare]
    values = list(dict.fromkeys(ok[compare]))
    baseline = values[0]
    rows = []
    for (model, metric), group in ok.groupby(["model", "metric"], sort=True):
        wide = group.pivot_table(index=others, columns=compare, values="avg_ts")
        for value in values[1:]:
            pairs = wide[[baseline, value]].dropna()
            a, b = pairs[baseline].to_numpy(), pairs[value].to_numpy()
            rel = 100 * (b - a) / a
            low, high = bootstrap_ci(rel)
            rows.append(dict(model=model, metric=metric, baseline=baseline, value=value, pairs=len(rel),
                             mean_rel_diff=rel.mean(), ci_low=low, ci_high=high,
                             wilcoxon_p=stats.wilcoxon(b, a).pvalue, t_p=stats.ttest_rel(b, a).pvalue))
    difference = pd.DataFrame(rows)
    order = np.argsort(difference["wilcoxon_p"].to_numpy())
    m = len(order)
    adjusted = np.minimum(1, np.maximum.accumulate((m - np.arange(m)) * difference["wilcoxon_p"].to_numpy()[order]))
    difference.loc[difference.index[order], "wilcoxon_p_holm"] = adjusted
    difference.to_csv(os.path.join(folder, "difference.csv"), index=False)

    # Charts: per model x metric, every k-th point with error bars and the pairs; per metric the 2x2.
    for (model, metric), group in ok.groupby(["model", "metric"], sort=True):
        figure, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
        keys = group[others].astype(str).agg("/".join, axis=1)
        x = pd.factorize(keys)[0]
        stride = max(1, -(-x.max() // MAX_POINTS))
        for i, value in enumerate(values):
            mask = (group[compare] == value).to_numpy() & (x % stride == 0)
            left.errorbar(x[mask] + 0.15 * i, group["avg_ts"][mask], yerr=group["stddev_ts"][mask], fmt="o",
                          markersize=2, label=f"{compare} = {value}")
        left.legend()
        wide = group.assign(key=keys).pivot_table(index="key", columns=compare, values="avg_ts").dropna()
        wide = wide.iloc[::stride]
        right.scatter(wide[baseline], wide[values[1]], s=4)
        lims = [wide[baseline].min(), wide[baseline].max()]
        right.plot(lims, lims, "--")
        figure.suptitle(f"{model} {metric} — {compare}")
        save(figure, folder, f"{model}_{metric}_{compare}_comparison")
    for metric, group in ok.groupby("metric"):
        figure, axes = plt.subplots(2, 2, figsize=(11, 8))
        for row, axis in enumerate(["n_prompt", "n_gen"]):
            means = group.groupby([compare, axis]).agg(ts=("avg_ts", "mean"), cv=("cv", "mean")).reset_index()
            for column, what in enumerate(["ts", "cv"]):
                for value, part in means.groupby(compare):
                    axes[row][column].plot(part[axis], part[what], marker=".", label=f"{compare} = {value}")
                axes[row][column].set_xlabel(axis)
                axes[row][column].legend()
        save(figure, folder, f"{metric}_{compare}_aggregate")


if __name__ == "__main__":
    main()

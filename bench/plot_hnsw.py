#!/usr/bin/python3
"""Recall/QPS curves from hnsw_bench's CSV: one panel per data set, one line per library.

Recall runs along x and queries per second along a log y axis, the usual way to read an
approximate index: up and to the right is better, and the dotted line marks the recall
the targets are set at. Only the standard library and matplotlib (Debian's
python3-matplotlib) are needed, so it runs with /usr/bin/python3 and nothing else.

usage: plot_hnsw.py [--out bench/hnsw_recall_qps.png] [--target 0.95] results.csv [more.csv ...]
"""
import argparse
import csv
import sys
from collections import OrderedDict

import matplotlib

matplotlib.use("Agg")  # no display on a server
import matplotlib.pyplot as plt  # noqa: E402

# A fixed style per library, so the same library looks the same in every panel and run.
STYLE = {
    "hnswlib": ("tab:blue", "o", "-"),
    "faiss-hnsw": ("tab:orange", "s", "-"),
    "faiss-hnsw-batch": ("tab:orange", "s", ":"),
    "faiss-hnsw-sq8": ("tab:brown", "v", "--"),
    "reco-hnsw": ("tab:red", "D", "-"),
    "reco-hnsw-int8": ("tab:green", "^", "--"),
    "reco-hnsw-int8-float": ("tab:purple", "P", "--"),
}


def read_rows(paths):
    # data set -> library -> [(ef, recall, qps)], in file order; a later run of the same
    # (data set, library) replaces an earlier one, so re-running appends safely.
    curves = OrderedDict()
    for path in paths:
        with open(path, newline="") as f:
            runs = OrderedDict()
            for row in csv.DictReader(f):
                key = (row["dataset"], row["library"])
                runs.setdefault(key, []).append(
                    (int(row["ef"]), float(row["recall"]), float(row["qps_best"])))
            for (ds, lib), pts in runs.items():
                # Rows of one run have increasing ef; a drop in ef starts a newer run.
                last = [pts[0]]
                for p in pts[1:]:
                    last = [p] if p[0] <= last[-1][0] else last + [p]
                curves.setdefault(ds, OrderedDict())[lib] = last
    return curves


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("csv", nargs="+")
    ap.add_argument("--out", default="bench/hnsw_recall_qps.png")
    ap.add_argument("--target", type=float, default=0.95)
    ap.add_argument("--min-recall", type=float, default=0.8,
                    help="left edge of the x axis (low-recall points say little)")
    args = ap.parse_args()

    try:
        curves = read_rows(args.csv)
    except (OSError, KeyError, ValueError) as e:
        sys.exit(f"plot_hnsw.py: cannot read {args.csv}: {e}")
    if not curves:
        sys.exit("plot_hnsw.py: no rows")

    n = len(curves)
    fig, axes = plt.subplots(1, n, figsize=(6.5 * n, 5), squeeze=False)
    for ax, (ds, libs) in zip(axes[0], curves.items()):
        for lib, pts in libs.items():
            color, marker, line = STYLE.get(lib, (None, "x", "-"))
            ax.plot([p[1] for p in pts], [p[2] for p in pts], marker=marker, linestyle=line,
                    color=color, label=lib, markersize=4)
        ax.axvline(args.target, color="grey", linestyle=":", linewidth=1)
        ax.set_yscale("log")
        lo = min(p[1] for pts in libs.values() for p in pts)
        ax.set_xlim(max(args.min_recall, lo - 0.01), 1.002)
        ax.set_xlabel("recall@10")
        ax.set_ylabel("queries per second (one thread, log)")
        ax.set_title(ds)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(args.out, dpi=110)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

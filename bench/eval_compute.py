#!/usr/bin/env python3
"""Benchmark: `qianglian eval compute` (entropy weights + TOPSIS) over 300,000 enterprises ×
30 indicators, against numpy doing the same computation on the same csv, in one run.

Generates a decision matrix (ids, 30 indicators of mixed scale, a third of them costs, one
constant column and one with zeros, as real indicator tables have), then times, each as its
own process, `qianglian eval compute --matrix FILE --types … --weighting entropy --method
topsis --json` (reading the csv, computing, printing the JSON of 300,000 results; --runs
times, median) and a numpy script (pandas' csv reader when installed, else numpy.loadtxt;
the same conventions: entropy on raw values with 0·ln0 = 0 and constant columns weighted 0,
vector normalisation, ideal points by type, closeness D⁻/(D⁺+D⁻)). It prints both times,
the ratio, peak RSS and the largest absolute difference between the two sets of weights and
of scores. Issue 5's bar: ≤ 2 s for the run (the CLI's whole command stands in for it).

    python3 bench/eval_compute.py [--rows 300000] [--cols 30] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib as bl  # noqa: E402

BenchError = bl.BenchError
BAR_S = 2.0

PEER = r"""
import json, sys, time
import numpy as np
path, types, out = sys.argv[1], sys.argv[2].split(","), sys.argv[3]
t0 = time.perf_counter()
try:
    import pandas as pd
    df = pd.read_csv(path, dtype={0: str})
    ids = df.iloc[:, 0].tolist()
    x = df.iloc[:, 1:].to_numpy(dtype=np.float64)
except ImportError:
    x = np.loadtxt(path, delimiter=",", skiprows=1, usecols=range(1, len(types) + 1))
    ids = None
m, n = x.shape
s = x.sum(axis=0)
p = np.divide(x, s, out=np.zeros_like(x), where=s != 0)
with np.errstate(divide="ignore", invalid="ignore"):
    plogp = np.where(p > 0, p * np.log(np.where(p > 0, p, 1)), 0.0)
e = -plogp.sum(axis=0) / np.log(m)
d = np.maximum(1 - e, 0)
const = (x == x[0]).all(axis=0) | (s == 0)
d[const] = 0
w = d / d.sum()
norm = np.sqrt((x * x).sum(axis=0))
v = np.divide(x, norm, out=np.zeros_like(x), where=norm != 0) * w
benefit = np.array([t == "b" for t in types])
best = np.where(benefit, v.max(axis=0), v.min(axis=0))
worst = np.where(benefit, v.min(axis=0), v.max(axis=0))
dp = np.sqrt(((v - best) ** 2).sum(axis=1))
dm = np.sqrt(((v - worst) ** 2).sum(axis=1))
tot = dp + dm
c = np.divide(dm, tot, out=np.full_like(dm, 0.5), where=tot != 0)
# Contributions: the closeness split by each criterion's share of the squared distance from the anti-ideal point.
sq = (v - worst) ** 2
ssum = sq.sum(axis=1, keepdims=True)
contrib = np.divide(sq * c[:, None], ssum, out=np.zeros_like(sq), where=ssum != 0)
t1 = time.perf_counter()
np.save(out + ".contrib0.npy", contrib[0])
np.save(out + ".scores.npy", c)
json.dump({"weights": w.tolist(), "seconds": t1 - t0}, open(out, "w"))
"""


def generate(path: Path, rows: int, cols: int, seed: int) -> list[str]:
    rnd = random.Random(seed)
    types = ["c" if j % 3 == 2 else "b" for j in range(cols)]
    scales = [10 ** rnd.randint(0, 6) for _ in range(cols)]
    with open(path, "w", encoding="utf-8") as f:
        f.write("id," + ",".join(f"指标{j + 1}" for j in range(cols)) + "\n")
        for i in range(rows):
            vals = []
            for j in range(cols):
                if j == cols - 1:
                    vals.append("7")  # a constant column
                elif j == cols - 2:
                    vals.append("0" if rnd.random() < 0.6 else f"{rnd.random() * 50:.2f}")  # mostly zeros
                else:
                    vals.append(f"{rnd.lognormvariate(0, 1) * scales[j]:.4f}")
            f.write(f"E{i:07d}," + ",".join(vals) + "\n")
    return types


def run(args: argparse.Namespace) -> int:
    try:
        import numpy  # noqa: F401
    except ImportError:
        raise BenchError("the peer needs numpy: pip install numpy")
    binary, is_debug = bl.pick_binary(args.bin, "eval")
    cleanup = bl.Cleanup(args.keep)
    try:
        print(f"binary: {bl.build_label(binary, is_debug)}   cores: {os.cpu_count()}")
        work = cleanup.mkdtemp("qianglian-eval-")
        path = work / "matrix.csv"
        t0 = time.perf_counter()
        types = generate(path, args.rows, args.cols, args.seed)
        print(f"generated {path} ({path.stat().st_size / 2**20:.0f} MiB, {args.rows} × {args.cols}) in {time.perf_counter() - t0:.1f} s")
        out = work / "out.json"
        walls, rss = [], []
        for i in range(args.runs):
            log = work / f"qianglian-{i}.log"
            m = bl.run_measured(
                cleanup,
                ["sh", "-c", 'exec "$0" eval compute --matrix "$1" --types "$2" --weighting entropy --method topsis --contributions --json > "$3"',
                 str(binary), str(path), ",".join(types), str(out)],
                log,
            )
            if m.rc != 0:
                raise BenchError(f"`eval compute` exited with {m.rc}:\n{bl.tail(log)}")
            walls.append(m.wall_s)
            rss.append(m.maxrss_mib)
            print(f"  qianglian run {i + 1}: {m.wall_s * 1000:.0f} ms, peak RSS {m.maxrss_mib:.0f} MiB", flush=True)
        ours = json.loads(out.read_text(encoding="utf-8"))
        peer_script = work / "peer.py"
        peer_script.write_text(PEER)
        peer_out = work / "peer.json"
        log = work / "peer.log"
        m = bl.run_measured(cleanup, [sys.executable, str(peer_script), str(path), ",".join(types), str(peer_out)], log)
        if m.rc != 0:
            raise BenchError(f"the numpy peer exited with {m.rc}:\n{bl.tail(log)}")
        peer = json.loads(peer_out.read_text())
        import numpy as np

        peer_scores = np.load(str(peer_out) + ".scores.npy")
        peer_contrib0 = np.load(str(peer_out) + ".contrib0.npy")
        t_peer = m.wall_s
        print(f"  numpy peer: {t_peer * 1000:.0f} ms (of which computing {peer['seconds'] * 1000:.0f} ms), peak RSS {m.maxrss_mib:.0f} MiB")
    finally:
        cleanup.close()
    our_scores = np.array([r["score"] for r in ours["results"]])
    dw = float(np.max(np.abs(np.array(ours["weights"]) - np.array(peer["weights"]))))
    ds = float(np.max(np.abs(our_scores - peer_scores)))
    dc = float(np.max(np.abs(np.array(ours["results"][0]["contributions"]) - peer_contrib0)))
    wall = statistics.median(walls)
    print(f"\nagreement: largest |Δweight| {dw:.3e}, largest |Δscore| {ds:.3e} over {len(our_scores)} alternatives, "
          f"first alternative's contributions |Δ| {dc:.3e}")
    if ds > 1e-9 or dw > 1e-9 or dc > 1e-9:
        raise BenchError("qianglian and numpy disagree beyond 1e-9")
    print(
        f"entropy + TOPSIS with contributions, {args.rows} × {args.cols}: qianglian eval compute median {wall * 1000:.0f} ms of {args.runs} "
        f"(peak RSS {max(rss):.0f} MiB) | numpy peer {t_peer * 1000:.0f} ms | ratio peer/qianglian {bl.ratio(t_peer, wall):.2f}×"
    )
    print(f"  qianglian {wall:.2f} s -> {bl.verdict(wall <= BAR_S)} the bar (≤ {BAR_S:.0f} s, whole command incl. csv and JSON)")
    if is_debug:
        print("  (debug build: rerun with target/release/qianglian)")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin")
    ap.add_argument("--rows", type=int, default=300_000)
    ap.add_argument("--cols", type=int, default=30)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--keep", action="store_true")
    return bl.main_wrapper(run, ap.parse_args())


if __name__ == "__main__":
    sys.exit(main())

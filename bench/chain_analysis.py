#!/usr/bin/env python3
"""Benchmark: the analytics of one chain map (SPEC capability A, `domain::chainmap`) at
province scale, against a networkx peer computing the same figures.

Generates a random chain map (fixed seed) in the JSON format of `domain::chainmap::ChainGraph`:
by default 100,000 segments over the three stages (a third of them sub-segments of a segment
of the same stage, 1 % retired), 500,000 segment edges (85 % into the same or the next
stage), 200,000 placements of 100,000 enterprises (60 % local, 3 % 链主), 500,000 supplies
(endpoints skewed towards a few hub enterprises, 10 % with an enterprise outside the chain)
and placements of 5 % of the enterprises on other chains. It writes the file into a temporary
directory, then:

  qianglian  `qianglian chain analyze-file FILE --json`, timed from fork to exit (process
             start, reading and parsing the file, the analysis and printing it); `--runs`
             times, the median is reported.
  peer       Python + networkx in this process, from reading the same file: per-segment
             distinct / local enterprises, local 链主, coverage, strength, HHI, sole holder,
             whether the segment lies on an upstream→downstream path (networkx descendants /
             ancestors from a virtual source and sink), 本地配套率, the articulation points of
             the undirected enterprise supply graph (`networkx.articulation_points`) and how
             many pieces each one leaves (`networkx.biconnected_components`), cross-chain links.

Before reporting times it checks that the two agree: every segment's figures (HHI and
coverage to 1e-9), the strong / weak / missing counts per stage, the local supporting rate
to 1e-9, the single points of failure (segments, and enterprises with their cut counts) and
the cross-chain links. A disagreement fails the run: a ratio between different answers means
nothing. The definitions mirrored here are the doc comments of crates/domain/src/chainmap.rs.

Summary line: qianglian wall time, peer time, ratio peer/qianglian (above 1: qianglian is
faster). Bars: qianglian ≥ 10× faster than the peer; chain analytics ≤ 1 s (SPEC §5, province
scale, 2 cores; here the whole command, JSON parsing included).

    cargo build --release -p qianglian && python3 bench/chain_analysis.py [--segments 100000]
        [--edges 500000] [--placements 200000] [--supplies 500000] [--seed 1] [--runs 3] [--keep]

Needs networkx (`pip install networkx`).
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

STAGES = ("upstream", "midstream", "downstream")
# domain::chainmap::Thresholds::default()
STRONG_MIN_LOCAL, WEAK_MIN_LOCAL, STRONG_MAX_HHI = 3, 1, 0.5
BAR_RATIO = 10.0
BAR_S = 1.0
BAR_TEXT = "chain analytics ≤ 1 s at province scale (SPEC §5, 2 cores) and ≥ 10× the networkx peer"
TOL = 1e-9


# ---------------------------------------------------------------------------------------
# The chain map
# ---------------------------------------------------------------------------------------


def generate(args: argparse.Namespace) -> dict:
    """A random ChainGraph as plain JSON values (the serde format of domain::chainmap)."""
    rng = random.Random(args.seed)
    n = args.segments
    # Stage by id range: 30 % upstream, 40 % midstream, 30 % downstream.
    bounds = (0, int(n * 0.3), int(n * 0.7), n)
    stage_of = [0] * n
    for k in range(3):
        for i in range(bounds[k], bounds[k + 1]):
            stage_of[i] = k
    segments = []
    tops: list[list[int]] = [[], [], []]  # top-level segments per stage, for parents
    for i in range(n):
        k = stage_of[i]
        parent = None
        if tops[k] and rng.random() < 1 / 3:
            parent = rng.choice(tops[k]) + 1
        else:
            tops[k].append(i)
        segments.append(
            {"id": i + 1, "name": f"环节{i + 1}", "stage": STAGES[k], "parent_id": parent, "retired": rng.random() < 0.01}
        )

    edges = []
    while len(edges) < args.edges and n > 1:
        a = rng.randrange(n)
        if rng.random() < 0.85:
            k = min(stage_of[a] + rng.randrange(2), 2)
            b = rng.randrange(bounds[k], bounds[k + 1])
        else:
            b = rng.randrange(n)
        if a != b:
            edges.append({"from": a + 1, "to": b + 1})

    # Enterprises 1_000_001..; outsiders (on no segment of this chain) 9_000_001...
    pool = max(args.placements // 2, 1)
    base, outside = 1_000_001, 9_000_001
    local = [rng.random() < 0.6 for _ in range(pool)]
    placements = []
    for _ in range(args.placements):
        e = rng.randrange(pool)
        weight = 0 if rng.random() < 0.05 else int(rng.lognormvariate(18, 2))
        placements.append(
            {
                "segment_id": rng.randrange(n) + 1,
                "enterprise_id": base + e,
                "role": "leader" if rng.random() < 0.03 else "member",
                "local": local[e],
                "weight": min(weight, 10**15),
            }
        )

    def endpoint() -> tuple[int, bool]:
        if rng.random() < 0.1:
            return outside + rng.randrange(pool), rng.random() < 0.3
        e = int(pool * rng.random() ** 3)  # skewed: a few hubs, many small suppliers
        return base + e, local[e]

    supplies = []
    for _ in range(args.supplies):
        (f, f_local), (t, _) = endpoint(), endpoint()
        supplies.append({"from": f, "to": t, "amount": rng.randrange(10**10), "local": f_local})

    other_chains = []
    for e in rng.sample(range(pool), pool // 20):
        for c in rng.sample(range(1, 23), rng.randint(1, 3)):
            other_chains.append({"enterprise_id": base + e, "chain_id": c})
    return {
        "segments": segments,
        "edges": edges,
        "placements": placements,
        "supplies": supplies,
        "other_chains": other_chains,
    }


# ---------------------------------------------------------------------------------------
# The peer: the same figures with networkx and plain Python
# ---------------------------------------------------------------------------------------


def peer_analysis(g: dict) -> dict:
    import networkx as nx

    segs = g["segments"]
    ix = {s["id"]: i for i, s in enumerate(segs)}
    live = [not s["retired"] for s in segs]
    parent = [None] * len(segs)
    for i, s in enumerate(segs):
        p = s["parent_id"]
        if p is not None and live[i] and live[ix[p]]:
            parent[i] = ix[p]

    # Per segment (with its sub-segments): enterprise -> [local, leader, max weight].
    holders: list[dict] = [{} for _ in segs]
    ent_local: dict[int, bool] = {}
    for p in g["placements"]:
        s = ix[p["segment_id"]]
        if not live[s]:
            continue
        e = p["enterprise_id"]
        ent_local[e] = ent_local.get(e, False) or p["local"]
        leader = p["role"] == "leader"
        for t in (s, parent[s]):
            if t is None:
                continue
            h = holders[t].get(e)
            if h is None:
                holders[t][e] = [p["local"], leader, p["weight"]]
            else:
                h[0] = h[0] or p["local"]
                h[1] = h[1] or leader
                h[2] = max(h[2], p["weight"])

    # Upstream → downstream paths: descendants of a virtual source, ancestors of a sink.
    dg = nx.DiGraph()
    dg.add_nodes_from(i for i in range(len(segs)) if live[i])
    for e in g["edges"]:
        a, b = ix[e["from"]], ix[e["to"]]
        if live[a] and live[b]:
            dg.add_edge(a, b)
    dg.add_edges_from(("SRC", i) for i, s in enumerate(segs) if live[i] and s["stage"] == "upstream")
    dg.add_edges_from((i, "SNK") for i, s in enumerate(segs) if live[i] and s["stage"] == "downstream")
    fwd = nx.descendants(dg, "SRC") if "SRC" in dg else set()
    bwd = nx.ancestors(dg, "SNK") if "SNK" in dg else set()

    figures = []
    path_segments: dict[int, list[int]] = {}
    seg_spofs = []
    for i, s in enumerate(segs):
        if not live[i]:
            continue
        loc = [(e, h) for e, h in holders[i].items() if h[0]]
        leaders = sum(1 for _, h in loc if h[1])
        total = sum(h[2] for _, h in loc)
        hhi = min(sum((h[2] / total) ** 2 for _, h in loc), 1.0) if total > 0 else None
        if len(loc) < WEAK_MIN_LOCAL:
            strength = "missing"
        elif len(loc) >= STRONG_MIN_LOCAL and (leaders > 0 or (hhi is not None and hhi <= STRONG_MAX_HHI)):
            strength = "strong"
        else:
            strength = "weak"
        sole = loc[0][0] if len(loc) == 1 else None
        on_path = i in fwd and i in bwd
        if sole is not None:
            seg_spofs.append((s["id"], sole))
            if on_path:
                path_segments.setdefault(sole, []).append(s["id"])
        figures.append(
            {
                "id": s["id"],
                "stage": s["stage"],
                "enterprises": len(holders[i]),
                "local_enterprises": len(loc),
                "leaders": leaders,
                "coverage": min(len(loc) / STRONG_MIN_LOCAL, 1.0),
                "strength": strength,
                "hhi": hhi,
                "sole_holder": sole,
                "on_path": on_path,
            }
        )

    bought = bought_local = 0
    ug = nx.Graph()
    ug.add_nodes_from(ent_local)
    for sp in g["supplies"]:
        t = sp["to"]
        if t not in ent_local:
            continue
        bought += sp["amount"]
        if sp["local"]:
            bought_local += sp["amount"]
        f = sp["from"]
        if f in ent_local and f != t:
            ug.add_edge(f, t)
    aps = set(nx.articulation_points(ug))
    # A cut vertex in k biconnected components leaves k pieces: k - 1 more components.
    blocks = dict.fromkeys(aps, 0)
    for comp in nx.biconnected_components(ug):
        for v in comp:
            if v in blocks:
                blocks[v] += 1
    ent_spofs = {}
    for e, is_local in ent_local.items():
        cut = blocks.get(e, 1) - 1
        segs_on_path = path_segments.get(e, [])
        if is_local and (cut > 0 or segs_on_path):
            ent_spofs[e] = (cut, segs_on_path)

    links: dict[int, set[int]] = {}
    for o in g.get("other_chains", []):
        if o["enterprise_id"] in ent_local:
            links.setdefault(o["enterprise_id"], set()).add(o["chain_id"])

    summary = {k: {"segments": 0, "strong": 0, "weak": 0, "missing": 0} for k in STAGES}
    for f in figures:
        summary[f["stage"]]["segments"] += 1
        summary[f["stage"]][f["strength"]] += 1
    return {
        "segments": figures,
        "stage_summary": summary,
        "enterprises": len(ent_local),
        "local_enterprises": sum(ent_local.values()),
        "local_supporting_rate": bought_local / bought if bought > 0 else None,
        "upstream_reaches_downstream": any(s["stage"] == "downstream" for s in segs if ix[s["id"]] in fwd),
        "segment_spofs": seg_spofs,
        "enterprise_spofs": ent_spofs,
        "articulation_points": sum(1 for e in aps if ent_local[e]),
        "cross_chain": sorted((e, sorted(c)) for e, c in links.items()),
    }


# ---------------------------------------------------------------------------------------
# Agreement
# ---------------------------------------------------------------------------------------


def close(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= TOL


def compare(ours: dict, peer: dict) -> list[str]:
    """Differences between qianglian's Analysis JSON and the peer's figures (at most a few
    of each kind)."""
    bad: list[str] = []
    segs = ours.get("segments")
    if not isinstance(segs, list):
        return ["the output has no `segments` list: is it the Analysis JSON?"]
    if len(segs) != len(peer["segments"]):
        bad.append(f"segments: qianglian {len(segs)}, peer {len(peer['segments'])}")
    seg_bad = 0
    for a, b in zip(segs, peer["segments"]):
        diffs = [
            k
            for k in ("id", "enterprises", "local_enterprises", "leaders", "strength", "sole_holder", "on_path")
            if a.get(k) != b[k]
        ]
        diffs += [k for k in ("coverage", "hhi") if not close(a.get(k), b[k])]
        if diffs:
            seg_bad += 1
            if seg_bad <= 5:
                bad.append(f"segment {b['id']}: " + ", ".join(f"{k} {a.get(k)!r} vs {b[k]!r}" for k in diffs))
    if seg_bad > 5:
        bad.append(f"… {seg_bad} segments differ in all")
    got_summary = {s["stage"]: {k: s[k] for k in ("segments", "strong", "weak", "missing")} for s in ours["stage_summary"]}
    if got_summary != peer["stage_summary"]:
        bad.append(f"stage_summary: qianglian {got_summary}, peer {peer['stage_summary']}")
    if not close(ours.get("local_supporting_rate"), peer["local_supporting_rate"]):
        bad.append(f"local_supporting_rate: qianglian {ours.get('local_supporting_rate')}, peer {peer['local_supporting_rate']}")
    for k in ("enterprises", "local_enterprises", "upstream_reaches_downstream"):
        if ours.get(k) != peer[k]:
            bad.append(f"{k}: qianglian {ours.get(k)}, peer {peer[k]}")
    spofs = ours.get("single_points_of_failure", [])
    seg_spofs = [(p["segment_id"], p["enterprise_id"]) for p in spofs if p.get("kind") == "segment"]
    if seg_spofs != peer["segment_spofs"]:
        bad.append(f"segment single points: qianglian {len(seg_spofs)}, peer {len(peer['segment_spofs'])}")
    ent_spofs = {
        p["enterprise_id"]: (p["cut_paths"], tuple(p["path_segments"])) for p in spofs if p.get("kind") == "enterprise"
    }
    peer_ents = {e: (c, tuple(s)) for e, (c, s) in peer["enterprise_spofs"].items()}
    if ent_spofs != peer_ents:
        diff = sorted(set(ent_spofs.items()) ^ set(peer_ents.items()))
        bad.append(
            f"enterprise single points: qianglian {len(ent_spofs)}, peer {len(peer['enterprise_spofs'])}; "
            f"e.g. {diff[:3]}"
        )
    cross = [(c["enterprise_id"], c["chain_ids"]) for c in ours.get("cross_chain", [])]
    if cross != peer["cross_chain"]:
        bad.append(f"cross_chain: qianglian {len(cross)} links, peer {len(peer['cross_chain'])}")
    return bad


# ---------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------


def check_subcommand(binary: Path) -> None:
    try:
        r = subprocess.run([str(binary), "chain", "analyze-file", "--help"], capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise BenchError(f"cannot run {binary}: {e}")
    if r.returncode != 0:
        raise BenchError(
            f"{binary} has no `chain analyze-file` subcommand (`{binary} chain analyze-file --help` exited "
            f"{r.returncode}): rebuild it with `cargo build --release -p qianglian`"
        )


def run(args: argparse.Namespace) -> int:
    for k in ("segments", "edges", "placements", "supplies", "runs"):
        if getattr(args, k) < (1 if k in ("segments", "runs") else 0):
            raise BenchError(f"--{k} must be at least {1 if k in ('segments', 'runs') else 0}")
    try:
        import networkx as nx
    except ImportError:
        raise BenchError("the peer needs networkx: pip install networkx")
    binary, is_debug = bl.pick_binary(args.bin, "chain")
    check_subcommand(binary)
    cleanup = bl.Cleanup(args.keep)
    try:
        print(f"binary: {bl.build_label(binary, is_debug)}")
        print(
            f"map: {args.segments} segments, {args.edges} segment edges, {args.placements} placements, "
            f"{args.supplies} supplies (seed {args.seed})   networkx {nx.__version__}   cores: {os.cpu_count()}"
        )
        work = cleanup.mkdtemp("qianglian-chain-")
        t0 = time.perf_counter()
        g = generate(args)
        path = work / "chain.json"
        with open(path, "w", encoding="utf-8") as f:
            json.dump(g, f, ensure_ascii=False, separators=(",", ":"))
        del g
        print(f"generated {path} ({path.stat().st_size / 2**20:.0f} MiB) in {time.perf_counter() - t0:.1f} s", flush=True)

        # qianglian: `--runs` times, each a fresh process; stdout is the Analysis JSON.
        walls, rss = [], []
        out = work / "analysis.json"
        for i in range(args.runs):
            log = work / f"qianglian-{i}.log"
            m = bl.run_measured(
                cleanup,
                ["sh", "-c", 'exec "$0" chain analyze-file "$1" --json > "$2"', str(binary), str(path), str(out)],
                log,
            )
            if m.rc != 0:
                raise BenchError(f"`chain analyze-file` exited with {m.rc}:\n{bl.tail(log)}")
            walls.append(m.wall_s)
            rss.append(m.maxrss_mib)
            print(f"  qianglian run {i + 1}: {m.wall_s * 1000:.0f} ms, peak RSS {m.maxrss_mib:.0f} MiB", flush=True)
        text = out.read_text(encoding="utf-8", errors="replace")
        try:
            ours = json.loads(text)
        except ValueError as e:
            raise BenchError(
                f"`chain analyze-file --json` did not print JSON ({e}); it printed {text[:300]!r}, "
                f"and on stderr:\n{bl.tail(work / f'qianglian-{args.runs - 1}.log')}"
            )
        if not isinstance(ours, dict):
            raise BenchError(f"`chain analyze-file --json` printed {type(ours).__name__}, not the Analysis object")
        if isinstance(ours, dict) and "analysis" in ours and "segments" not in ours:
            ours = ours["analysis"]

        # The peer, once: reading the same file counts, as it does for qianglian.
        print("peer: json.load + networkx …", flush=True)
        t0 = time.perf_counter()
        with open(path, encoding="utf-8") as f:
            g = json.load(f)
        t_load = time.perf_counter() - t0
        peer = peer_analysis(g)
        t_peer = time.perf_counter() - t0
        print(f"  peer: {t_peer:.2f} s (of which json.load {t_load:.2f} s)")

        bad = compare(ours, peer)
        if bad:
            raise BenchError("qianglian and the peer disagree:\n  " + "\n  ".join(bad))
    finally:
        cleanup.close()

    wall = statistics.median(walls)
    spofs = ours["single_points_of_failure"]
    print("\nagreement: every segment's figures, strength per stage, local supporting rate, single points, cross-chain")
    for s in ours["stage_summary"]:
        print(f"  {s['stage']:<11} {s['segments']:>7} segments: {s['strong']:>6} strong {s['weak']:>7} weak {s['missing']:>7} missing")
    rate = ours["local_supporting_rate"]
    print(f"  local supporting rate {rate if rate is None else f'{rate:.6f}'}")
    print(
        f"  single points: {sum(1 for p in spofs if p['kind'] == 'segment')} segments, "
        f"{sum(1 for p in spofs if p['kind'] == 'enterprise')} enterprises, "
        f"of which {peer['articulation_points']} local articulation points of the supply graph"
    )
    print()
    ratio = bl.ratio(t_peer, wall)
    print(
        f"chain analytics, {args.segments} segments / {args.edges} edges / {args.placements} placements / "
        f"{args.supplies} supplies: qianglian chain analyze-file median {wall * 1000:.0f} ms of {args.runs} "
        f"(peak RSS {max(rss):.0f} MiB) | networkx peer {t_peer * 1000:.0f} ms | ratio peer/qianglian {ratio:.1f}×"
    )
    print(f"quality bar: {BAR_TEXT}")
    print(f"  qianglian {wall:.3f} s -> {bl.verdict(wall <= BAR_S)} the bar (≤ {BAR_S:.0f} s, whole command)")
    print(f"  ratio {ratio:.1f}× -> {bl.verdict(ratio >= BAR_RATIO)} the bar (≥ {BAR_RATIO:.0f}×)")
    if (args.segments, args.edges, args.placements, args.supplies) < (100_000, 500_000, 200_000, 500_000):
        print("  (the bars are for the default province-scale map; this one is smaller)")
    if is_debug:
        print("  (debug build: the bars apply to the release build; rerun with target/release/qianglian)")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", help="the qianglian binary (default target/release/qianglian, else target/debug/qianglian)")
    ap.add_argument("--segments", type=int, default=100_000, help="segments (default 100000)")
    ap.add_argument("--edges", type=int, default=500_000, help="segment edges (default 500000)")
    ap.add_argument("--placements", type=int, default=200_000, help="placements, over placements/2 enterprises (default 200000)")
    ap.add_argument("--supplies", type=int, default=500_000, help="supply relations (default 500000)")
    ap.add_argument("--seed", type=int, default=1, help="seed of the generated map (default 1)")
    ap.add_argument("--runs", type=int, default=3, help="timed runs of qianglian, the median is reported (default 3)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory (the map JSON and the output)")
    args = ap.parse_args()
    return bl.main_wrapper(run, args)


if __name__ == "__main__":
    sys.exit(main())

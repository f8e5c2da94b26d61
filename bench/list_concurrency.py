#!/usr/bin/env python3
"""Benchmark: the enterprise list under 64 concurrent clients at province scale (wrk),
against 64 threads running the same SQL on sqlite3.

Seeds `qianglian demo --scale province --seed 1` (≈300,000 fictitious enterprises) into a
fresh data directory (or reuses one given with --data-dir), starts `qianglian serve`, signs
in as the `office` demo account twice (through the HTML login form for the session cookie,
through POST /api/v1/auth/token for a bearer token), and drives two targets with wrk,
64 connections for 20 s each, rotating the page number over 1..--pages:

  api   GET /api/v1/enterprises?page=N    (Authorization: Bearer …, JSON)
  page  GET /enterprises?page=N           (Cookie: ql_session=…, the full HTML page)

wrk reports requests/s and the latency distribution (client side, loopback, queueing
included: this is what the bar is about). While wrk runs, one more connection samples
`Server-Timing: app;dur` (time inside the server under that load).

The peer: 64 Python threads, each with its own read-only sqlite3 connection to the same
DIR/qianglian.db, run for the same time the COUNT(*) and page SELECT that the list runs
for the office scope (the SQL mirrored in enterprise_list.py), same page rotation. It
reports per-operation p99 and operations/s. Before timing, the totals and page sizes of
the peer's SQL are checked against the server's answers.

Without wrk (`apt-get install -y wrk`) a Python thread pool stands in for it, and says so.
Standard library only.

    python3 bench/list_concurrency.py [--scale province|city] [--connections 64] [--duration 20]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib as bl  # noqa: E402

BenchError = bl.BenchError

BAR_MS = 100.0
BAR_TEXT = "issue 3 §6: enterprise list page p99 ≤ 100 ms under 64 concurrent clients (wrk), province scale"
HEALTH_TIMEOUT_S = 3600.0
TIMEOUT_S = 10  # a request slower than this counts as timed out (wrk --timeout)
MIN_REQUESTS = 100  # fewer completed requests than this make no p99

WRK_LUA = r"""
local prefix = "%(prefix)s"
local pages = %(pages)d
local counter = 0
local threads = {}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(%(seed)d * 1000 + id)
end

function request()
  return wrk.format(nil, prefix .. math.random(1, pages))
end

function done(summary, latency, requests)
  io.write(string.format(
    'WRKJSON {"requests": %%d, "duration_us": %%d, "connect": %%d, "read": %%d, "write": %%d, "status": %%d, "timeout": %%d, ' ..
    '"p50": %%d, "p90": %%d, "p99": %%d, "p999": %%d, "max": %%d, "mean": %%.1f}\n',
    summary.requests, summary.duration, summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.status, summary.errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9),
    latency.max, latency.mean))
end
"""


class Target:
    def __init__(self, key: str, label: str, prefix: str, headers: dict[str, str]):
        self.key, self.label, self.prefix, self.headers = key, label, prefix, headers


def get(port: int, url: str, headers: dict[str, str], conn: http.client.HTTPConnection | None = None):
    c = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    c.request("GET", url, headers=headers)
    r = c.getresponse()
    body = r.read()
    if conn is None:
        c.close()
    return r, body


def server_view(port: int, t: Target, page: int) -> tuple[int, int]:
    """(total, rows on the page) as the server shows them."""
    r, body = get(port, f"{t.prefix}{page}", t.headers)
    if r.status != 200:
        raise BenchError(f"GET {t.prefix}{page} answered {r.status} (Location={r.headers.get('Location')!r})")
    if t.key == "api":
        j = json.loads(body)
        return j["total"], len(j["items"])
    text = body.decode("utf-8", "replace")
    m = bl.el.TOTAL_RE.search(text)
    if not m:
        raise BenchError(f"GET {t.prefix}{page}: cannot find “共 N 家企业” in the page")
    return int(m.group(1)), len(bl.el.ROW_RE.findall(text))


# ---------------------------------------------------------------------------------------
# Load: wrk, or a Python stand-in
# ---------------------------------------------------------------------------------------


def run_wrk(cleanup, work: Path, port: int, t: Target, args) -> dict:
    script = work / f"{t.key}.lua"
    script.write_text(WRK_LUA % {"prefix": t.prefix, "pages": args.pages, "seed": args.seed}, encoding="utf-8")
    cmd = ["wrk", "-t", str(args.threads), "-c", str(args.connections), "-d", f"{args.duration}s", "--timeout", f"{TIMEOUT_S}s", "--latency", "-s", str(script)]
    for k, v in t.headers.items():
        cmd += ["-H", f"{k}: {v}"]
    cmd.append(f"http://127.0.0.1:{port}")
    log = work / f"wrk-{t.key}.log"
    m = bl.run_measured(cleanup, cmd, log)
    out = m.output()
    if m.rc != 0:
        raise BenchError(f"wrk exited with {m.rc}:\n{out[-2000:]}")
    line = next((x for x in out.splitlines() if x.startswith("WRKJSON ")), None)
    if line is None:
        raise BenchError(f"wrk printed no summary:\n{out[-2000:]}")
    j = json.loads(line[len("WRKJSON "):])
    non2xx = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", out)
    secs = j["duration_us"] / 1e6
    return {
        "requests": j["requests"],
        "rps": j["requests"] / secs if secs > 0 else 0.0,
        "p50": j["p50"] / 1000.0,
        "p90": j["p90"] / 1000.0,
        "p99": j["p99"] / 1000.0,
        "p999": j["p999"] / 1000.0,
        "max": j["max"] / 1000.0,
        "errors": j["connect"] + j["read"] + j["write"],
        "timeouts": j["timeout"],
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
        "tool": "wrk",
    }


def run_python_load(port: int, t: Target, args) -> dict:
    """The stand-in for wrk: N threads, one keep-alive connection each. The GIL makes this
    client slower than wrk, so its latencies include client-side waiting."""
    deadline = time.monotonic() + args.duration
    lat: list[list[float]] = [[] for _ in range(args.connections)]
    bad = [0] * args.connections
    timeouts = [0] * args.connections

    def worker(i: int) -> None:
        rng = random.Random(args.seed * 1000 + i)
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT_S)
        while time.monotonic() < deadline:
            t0 = time.perf_counter()
            try:
                r, _ = get(port, f"{t.prefix}{rng.randint(1, args.pages)}", t.headers, c)
                if r.status != 200:
                    bad[i] += 1
            except (OSError, http.client.HTTPException):
                timeouts[i] += 1
                c.close()
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT_S)
                continue
            lat[i].append((time.perf_counter() - t0) * 1000.0)
        c.close()

    t0 = time.monotonic()
    ths = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(args.connections)]
    for th in ths:
        th.start()
    for th in ths:
        th.join()
    secs = time.monotonic() - t0
    all_ms = [x for xs in lat for x in xs] or [0.0]
    st = bl.stats(all_ms)
    return {
        "requests": sum(len(xs) for xs in lat),
        "rps": sum(len(xs) for xs in lat) / secs,
        "p50": st["p50"],
        "p90": bl.percentile(all_ms, 90),
        "p99": st["p99"],
        "p999": bl.percentile(all_ms, 99.9),
        "max": st["max"],
        "errors": 0,
        "timeouts": sum(timeouts),
        "non2xx": sum(bad),
        "tool": "python threads",
    }


class Sampler(threading.Thread):
    """One more client, sequential, reading Server-Timing while the load runs."""

    def __init__(self, port: int, t: Target, pages: int, seed: int):
        super().__init__(daemon=True)
        self.port, self.t, self.pages = port, t, pages
        self.rng = random.Random(seed)
        self.stop_at = threading.Event()
        self.durs: list[float] = []
        self.failures: list[str] = []
        self.timeouts = 0

    def run(self) -> None:
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT_S)
        while not self.stop_at.is_set():
            url = f"{self.t.prefix}{self.rng.randint(1, self.pages)}"
            try:
                r, _ = get(self.port, url, self.t.headers, c)
            except (OSError, http.client.HTTPException):
                self.timeouts += 1
                c.close()
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT_S)
                continue
            if r.status != 200:
                self.failures.append(f"{url}: {r.status}")
                continue
            try:
                self.durs.append(bl.server_timing_ms(r))
            except BenchError as e:
                self.failures.append(str(e))
            time.sleep(0.02)
        c.close()


def unloaded_ms(port: int, t: Target, n: int = 5) -> float:
    """Median client round trip of `n` sequential requests for page 1."""
    xs = []
    for _ in range(n):
        t0 = time.perf_counter()
        r, _ = get(port, f"{t.prefix}1", t.headers)
        xs.append((time.perf_counter() - t0) * 1000.0)
        if r.status != 200:
            raise BenchError(f"GET {t.prefix}1 answered {r.status}")
    return bl.percentile(xs, 50)


def settle(port: int, t: Target, baseline_ms: float, limit_s: float = 600.0) -> float:
    """After wrk stops, the requests it left in flight are still being served. Wait until a
    request for page 1 is about as fast as before the load, so that the next measurement
    does not start behind that backlog. Returns the seconds waited."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit_s:
        s0 = time.perf_counter()
        get(port, f"{t.prefix}1", t.headers)
        if (time.perf_counter() - s0) * 1000.0 <= max(3 * baseline_ms, baseline_ms + 50):
            return time.monotonic() - t0
        time.sleep(0.5)
    raise BenchError(f"the server did not settle within {limit_s:.0f} s after the load")


# ---------------------------------------------------------------------------------------
# The peer
# ---------------------------------------------------------------------------------------


def run_peer(db: Path, args) -> dict:
    queries = {p: bl.list_queries({"page": str(p)}) for p in range(1, args.pages + 1)}
    deadline = time.monotonic() + args.duration
    lat: list[list[float]] = [[] for _ in range(args.connections)]

    def worker(i: int) -> None:
        rng = random.Random(args.seed * 1000 + i)
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, check_same_thread=False)
        while time.monotonic() < deadline:
            (csql, cargs), (psql, pargs) = queries[rng.randint(1, args.pages)]
            t0 = time.perf_counter()
            con.execute(csql, cargs).fetchone()
            con.execute(psql, pargs).fetchall()
            lat[i].append((time.perf_counter() - t0) * 1000.0)
        con.close()

    t0 = time.monotonic()
    ths = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(args.connections)]
    for th in ths:
        th.start()
    for th in ths:
        th.join()
    secs = time.monotonic() - t0
    all_ms = [x for xs in lat for x in xs]
    st = bl.stats(all_ms)
    return {"ops": len(all_ms), "ops_s": len(all_ms) / secs, **st}


# ---------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------


def p99_text(r: dict, unit: bool = True) -> str:
    if not r["requests"]:
        return "n/a"
    return f"{r['p99']:.1f}{' ms' if unit else ''}"


def run(args: argparse.Namespace) -> int:
    for k in ("connections", "duration", "pages", "threads"):
        if getattr(args, k) < 1:
            raise BenchError(f"--{k} must be at least 1")
    binary, is_debug = bl.pick_binary(args.bin, "serve")
    have_wrk = shutil.which("wrk") is not None and not args.no_wrk
    cleanup = bl.Cleanup(args.keep)
    server = None
    results: dict[str, dict] = {}
    samples: dict[str, list[float]] = {}
    try:
        print(f"binary: {bl.build_label(binary, is_debug)}")
        print(
            f"scale: {args.scale}   connections: {args.connections}   duration: {args.duration} s per target   "
            f"pages: 1..{args.pages}   cores: {os.cpu_count()}"
        )
        if not have_wrk:
            print("note: wrk not found (apt-get install -y wrk) or --no-wrk: Python threads generate the load instead")
        data_dir = bl.prepare_data_dir(cleanup, binary, args.data_dir, args.scale, args.seed)
        work = cleanup.mkdtemp("qianglian-list-")
        enterprises = bl.enterprise_count(data_dir)
        db = data_dir / "qianglian.db"

        server = bl.Server(cleanup, binary, data_dir, args.port or bl.free_port(), work / "server.log")
        print(f"starting: {binary.name} serve --data-dir {data_dir} --bind 127.0.0.1:{server.port}", flush=True)
        server.start()
        took = server.wait_healthy(args.health_timeout)
        print(f"server healthy after {took:.1f} s (search index build or catch-up included)")
        office = bl.office_account(data_dir)
        browser = bl.Client(server.port)
        browser.login(office["username"], office["password"])
        cookie = "; ".join(f"{k}={v}" for k, v in browser.cookies.items())
        token = bl.api_token(server.port, office["username"], office["password"])
        print(f"signed in as {office['username']} (office, whole city): session cookie and bearer token")
        targets = [
            Target("api", "/api/v1/enterprises?page=N", "/api/v1/enterprises?page=", {"Authorization": f"Bearer {token}", "Accept": "application/json"}),
            Target("page", "/enterprises?page=N (HTML)", "/enterprises?page=", {"Cookie": cookie, "Accept": "text/html"}),
        ]

        # The peer's SQL must do the same work: same totals and page sizes as the server.
        peer_con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        for p in sorted({1, min(2, args.pages), args.pages}):
            (csql, cargs), (psql, pargs) = bl.list_queries({"page": str(p)})
            total = peer_con.execute(csql, cargs).fetchone()[0]
            rows = len(peer_con.execute(psql, pargs).fetchall())
            for t in targets:
                st, sr = server_view(server.port, t, p)
                if (st, sr) != (total, rows):
                    raise BenchError(
                        f"{t.prefix}{p}: server shows total {st} with {sr} rows, the peer's SQL gives {total} "
                        f"with {rows}: the SQL mirrored in enterprise_list.py is out of date"
                    )
        peer_con.close()
        last_page = -(-total // 20)
        print(f"peer SQL checked against the server on pages 1, 2, {args.pages} (total {total}, {last_page} pages)")
        if args.pages > last_page:
            print(f"  note: pages past {last_page} are empty; they still run COUNT and an empty SELECT")

        baseline = {t.key: unloaded_ms(server.port, t) for t in targets}
        print("unloaded round trip, page 1: " + ", ".join(f"{t.label} {baseline[t.key]:.1f} ms" for t in targets))
        for t in targets:
            waited = settle(server.port, t, baseline[t.key])
            if waited > 1:
                print(f"(waited {waited:.0f} s for the server to finish the previous load's requests)")
            print(f"\nload: {t.label}, {args.connections} connections, {args.duration} s …", flush=True)
            sampler = Sampler(server.port, t, args.pages, args.seed)
            sampler.start()
            try:
                if have_wrk:
                    res = run_wrk(cleanup, work, server.port, t, args)
                else:
                    res = run_python_load(server.port, t, args)
            finally:
                sampler.stop_at.set()
                sampler.join(timeout=120)
            if sampler.failures:
                raise BenchError(f"{t.label}: the sampling client saw failures, e.g. {sampler.failures[:3]}")
            if res["non2xx"]:
                raise BenchError(f"{t.label}: {res['non2xx']} non-2xx answers under load (session or token refused?)")
            res["timeouts"] += sampler.timeouts
            # The session and token must still be good after the load (3xx would not count as an error in wrk).
            server_view(server.port, t, 1)
            results[t.key] = res
            samples[t.key] = sampler.durs
            print(
                f"  {res['tool']}: {res['requests']} requests, {res['rps']:.1f} req/s, latency p50 {res['p50']:.1f} ms "
                f"p90 {res['p90']:.1f} ms p99 {res['p99']:.1f} ms max {res['max']:.1f} ms"
            )
            if res["timeouts"] or res["errors"]:
                print(f"  {res['timeouts']} requests timed out (> {TIMEOUT_S} s), {res['errors']} socket errors")
            if res["requests"] < MIN_REQUESTS:
                print(
                    f"  only {res['requests']} requests completed: too few for a p99. The server is saturated, and "
                    f"wrk leaves out the requests still in flight, so the real p99 is higher than shown"
                )
            if sampler.durs:
                s = bl.stats(sampler.durs)
                print(f"  Server-Timing of {len(sampler.durs)} sampled requests under load: {bl.fmt(s)}")
        rss = server.rss_mib()
        settle(server.port, targets[0], baseline[targets[0].key])
        server.stop()
        server = None

        print(f"\npeer: {args.connections} Python threads, sqlite3 COUNT + page SELECT, {args.duration} s …", flush=True)
        peer = run_peer(db, args)
        print(f"  {peer['ops']} operations, {peer['ops_s']:.1f} ops/s, {bl.fmt(peer)}")
    finally:
        if server is not None:
            server.stop()
        cleanup.close()

    if rss is not None:
        print(f"\nserver RSS after the load: {rss:.0f} MiB")
    print("ratios: latency qianglian / peer (above 1: qianglian is slower); throughput qianglian / peer (above 1: faster)")
    print()
    for t in targets:
        r = results[t.key]
        print(
            f"enterprise list {t.label}, {args.scale} scale ({enterprises} enterprises), {args.connections} connections: "
            f"qianglian ({r['tool']}) p99 {p99_text(r)}, {r['rps']:.1f} req/s | "
            f"sqlite3 {args.connections} threads COUNT+SELECT p99 {peer['p99']:.1f} ms, {peer['ops_s']:.1f} ops/s | "
            f"ratio p99 {p99_text(r, unit=False)}/{peer['p99']:.1f} = {bl.ratio(r['p99'], peer['p99']) if r['requests'] else float('nan'):.2f}, "
            f"throughput {bl.ratio(r['rps'], peer['ops_s']):.2f}"
        )
    print(f"quality bar: {BAR_TEXT}")
    for t in targets:
        r = results[t.key]
        why = []
        if r["timeouts"] or r["errors"]:
            why.append(f"{r['timeouts']} timeouts, {r['errors']} socket errors")
        if r["requests"] < MIN_REQUESTS:
            why.append(f"only {r['requests']} requests completed")
        ok = r["p99"] <= BAR_MS and not why
        note = f" ({'; '.join(why)})" if why else ""
        print(f"  {t.label:<30} p99 {p99_text(r)} -> {bl.verdict(ok)} the bar (p99 ≤ {BAR_MS:.0f} ms){note}")
    if not have_wrk:
        print("  (load from Python threads, not wrk: the bar is defined with wrk)")
    if args.scale != "province" or enterprises < 250_000:
        print(f"  (the bar is for province scale; this run has {enterprises} enterprises)")
    if is_debug:
        print("  (debug build: the bar applies to the release build; rerun with target/release/qianglian)")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", help="the qianglian binary (default target/release/qianglian, else target/debug/qianglian)")
    ap.add_argument("--scale", choices=("province", "city"), default="province", help="demo scale to seed (default province)")
    ap.add_argument("--seed", type=int, default=1, help="demo seed and page-rotation seed (default 1)")
    ap.add_argument("--data-dir", help="use this data directory: reuse its demo if seeded, else seed it; it is kept")
    ap.add_argument("--connections", type=int, default=64, help="concurrent connections, and peer threads (default 64)")
    ap.add_argument("--duration", type=int, default=20, help="seconds of load per target and for the peer (default 20)")
    ap.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    ap.add_argument("--pages", type=int, default=100, help="page numbers rotated over, 1..N (default 100)")
    ap.add_argument("--no-wrk", action="store_true", help="use the Python load generator even if wrk is installed")
    ap.add_argument("--port", type=int, default=0, help="port to serve on (default: a free one)")
    ap.add_argument("--health-timeout", type=float, default=HEALTH_TIMEOUT_S, help="seconds to wait for /healthz (default 3600)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directories")
    args = ap.parse_args()
    return bl.main_wrapper(run, args)


if __name__ == "__main__":
    sys.exit(main())

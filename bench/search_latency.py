#!/usr/bin/env python3
"""Benchmark: Chinese full-text search (`GET /api/v1/search`) at province scale, against
SQLite FTS5 over the same text.

Seeds `qianglian demo --scale province --seed 1` (≈300,000 fictitious enterprises) into a
fresh data directory (or reuses one given with --data-dir), starts `qianglian serve` on it
(the server builds the search index before it answers /healthz), gets a bearer token for
the `office` demo account (whole city) and times M searches, reading the server's own
`Server-Timing: app;dur=<ms>`. The queries: product words from data/chains.csv
(`keywords`), two-word queries (a product word with a county or with a second product word)
and USCC prefixes of stored enterprises.

The peer is Python's sqlite3 with FTS5 over the same documents the product indexes (name,
former names and products, business scope, address), read from DIR/qianglian.db:

  trigram  `fts5(..., tokenize='trigram')`: words of 3+ characters by MATCH; words of 1–2
           characters (most Chinese product words) cannot use a trigram index, so FTS5 runs
           them as LIKE '%w%', a scan. This is what FTS5 offers out of the box.
  bigram   `fts5(..., tokenize='unicode61')` over the text cut into overlapping character
           bigrams (the classic CJK indexing); every word is a phrase of its bigrams.

For each query a peer runs COUNT(*) and the top 20 by bm25 (name 3, aliases 2, scope 1,
address 1) with the name highlighted; USCC prefixes are a range scan on an indexed column.
The ratio server/peer is the figure to track. Standard library only.

    python3 bench/search_latency.py [--scale province|city] [--queries 1000] [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import csv
import http.client
import json
import os
import random
import re
import sqlite3
import sys
import time
import unicodedata
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib as bl  # noqa: E402

BenchError = bl.BenchError

BAR_MS = 20.0
BAR_TEXT = "issue 3 §6: search p99 ≤ 20 ms on 300,000 enterprises (release build, 2 cores)"
LIMIT = 20
HEALTH_TIMEOUT_S = 3600.0


# ---------------------------------------------------------------------------------------
# Queries
# ---------------------------------------------------------------------------------------


def chain_keywords() -> list[list[str]]:
    with open(bl.REPO / "data" / "chains.csv", encoding="utf-8", newline="") as f:
        return [[k for k in r["keywords"].split(";") if k.strip()] for r in csv.DictReader(f)]


def county_shorts() -> list[str]:
    with open(bl.REPO / "data" / "dazhou_divisions_county.csv", encoding="utf-8", newline="") as f:
        return [r["name"].rstrip("区县市") for r in csv.DictReader(f) if r["level"] == "county"]


def build_queries(db: Path, m: int, seed: int) -> list[tuple[str, str]]:
    """M (class, query) pairs: 60 % one product word, 25 % two words, 15 % USCC prefixes."""
    rng = random.Random(seed)
    chains = chain_keywords()
    words = sorted({w for ws in chains for w in ws})
    counties = county_shorts()
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    usccs = [r[0] for r in con.execute("SELECT uscc FROM enterprise WHERE archived = 0 ORDER BY id")]
    con.close()
    if not usccs:
        raise BenchError("the data directory holds no enterprises")
    out = []
    for _ in range(m):
        r = rng.random()
        if r < 0.60:
            out.append(("word", rng.choice(words)))
        elif r < 0.85:
            if rng.random() < 0.5:
                out.append(("two words", f"{rng.choice(counties)} {rng.choice(words)}"))
            else:
                ws = rng.choice([c for c in chains if len(c) > 1])
                a, b = rng.sample(ws, 2)
                out.append(("two words", f"{a} {b}"))
        else:
            u = rng.choice(usccs)
            out.append(("uscc prefix", u[: rng.choice([8, 10, 12, 18])]))
    return out


# ---------------------------------------------------------------------------------------
# The product
# ---------------------------------------------------------------------------------------


class Api:
    def __init__(self, port: int, token: str):
        self.port, self.token = port, token
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def search(self, q: str) -> tuple[float, float, int]:
        url = "/api/v1/search?" + urllib.parse.urlencode({"q": q, "limit": LIMIT})
        h = {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}
        for attempt in (1, 2):
            try:
                t0 = time.perf_counter()
                self.conn.request("GET", url, headers=h)
                r = self.conn.getresponse()
                body = r.read()
                wall = (time.perf_counter() - t0) * 1000.0
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
                if attempt == 2:
                    raise
        if r.status != 200:
            raise BenchError(f"GET {url} answered {r.status}: {body[:300].decode('utf-8', 'replace')!r}")
        total = json.loads(body).get("total")
        if not isinstance(total, int):
            raise BenchError(f"GET {url}: no integer `total` in the answer")
        return bl.server_timing_ms(r), wall, total


# ---------------------------------------------------------------------------------------
# The peer: SQLite FTS5
# ---------------------------------------------------------------------------------------

RUN_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[A-Za-z0-9]+")
WEIGHTS = "3.0, 2.0, 1.0, 1.0"  # name, aliases (former names, products), scope, address


def bigrams(text: str) -> str:
    out = []
    for m in RUN_RE.finditer(text):
        s = m.group()
        if s[0].isascii() or len(s) == 1:
            out.append(s.lower())
        else:
            out.extend(s[i : i + 2] for i in range(len(s) - 1))
    return " ".join(out)


def quote(s: str) -> str:
    return '"' + s.replace('"', '""') + '"'


def is_uscc_prefix(q: str) -> bool:
    """search/src/index.rs `uscc_prefix`: 6 to 18 ASCII letters and digits."""
    q = q.strip()
    return 6 <= len(q) <= 18 and q.isascii() and q.isalnum()


class Peer:
    def __init__(self, path: Path):
        self.path = path
        self.con: sqlite3.Connection | None = None
        self.trigram_tokenizer = "trigram"

    def build(self, src: Path) -> dict[str, float]:
        """Reads the documents the product indexes from its database and builds the tables."""
        s = sqlite3.connect(f"file:{src}?mode=ro", uri=True)
        t0 = time.perf_counter()
        aliases: dict[int, list[str]] = {}
        for eid, value in s.execute("SELECT enterprise_id, value FROM enterprise_alias"):
            aliases.setdefault(eid, []).append(value)
        docs = [
            (eid, uscc, name, " ".join(aliases.get(eid, [])), desc, addr)
            for eid, uscc, name, desc, addr in s.execute(
                "SELECT id, uscc, name, description, address FROM enterprise WHERE archived = 0 ORDER BY id"
            )
        ]
        s.close()
        read_s = time.perf_counter() - t0
        c = sqlite3.connect(self.path, isolation_level=None)
        c.execute("PRAGMA journal_mode=WAL")
        times = {"read": read_s}
        t0 = time.perf_counter()
        try:
            c.execute("CREATE VIRTUAL TABLE tri USING fts5(name, aliases, scope, address, tokenize='trigram')")
        except sqlite3.OperationalError:
            self.trigram_tokenizer = "unicode61"
            c.execute("CREATE VIRTUAL TABLE tri USING fts5(name, aliases, scope, address, tokenize='unicode61')")
        c.execute("BEGIN")
        c.executemany("INSERT INTO tri (rowid, name, aliases, scope, address) VALUES (?, ?, ?, ?, ?)", (d[:1] + d[2:] for d in docs))
        c.execute("COMMIT")
        times["trigram"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        c.execute("CREATE VIRTUAL TABLE bi USING fts5(name, aliases, scope, address, tokenize='unicode61')")
        c.execute("BEGIN")
        c.executemany(
            "INSERT INTO bi (rowid, name, aliases, scope, address) VALUES (?, ?, ?, ?, ?)",
            ((d[0], bigrams(d[2]), bigrams(d[3]), bigrams(d[4]), bigrams(d[5])) for d in docs),
        )
        c.execute("COMMIT")
        times["bigram"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        c.execute("CREATE TABLE u (id INTEGER PRIMARY KEY, uscc TEXT NOT NULL UNIQUE, name TEXT NOT NULL)")
        c.execute("BEGIN")
        c.executemany("INSERT INTO u VALUES (?, ?, ?)", (d[:3] for d in docs))
        c.execute("COMMIT")
        times["uscc"] = time.perf_counter() - t0
        c.close()
        self.con = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
        self.docs = len(docs)
        return times

    def uscc(self, q: str) -> int:
        lo = q.strip().upper()
        hi = lo + "~"
        total = self.con.execute("SELECT COUNT(*) FROM u WHERE uscc >= ? AND uscc < ?", (lo, hi)).fetchone()[0]
        self.con.execute("SELECT id, uscc, name FROM u WHERE uscc >= ? AND uscc < ? ORDER BY uscc LIMIT ?", (lo, hi, LIMIT)).fetchall()
        return total

    def trigram(self, q: str) -> int:
        if is_uscc_prefix(q):
            return self.uscc(q)
        words = q.split()
        if self.trigram_tokenizer != "trigram":
            long, short = words, []
        else:
            long = [w for w in words if len(w) >= 3]
            short = [w for w in words if len(w) < 3]
        where, args = [], []
        if long:
            where.append("tri MATCH ?")
            args.append(" AND ".join(quote(w) for w in long))
        for w in short:
            where.append("(name LIKE ? OR aliases LIKE ? OR scope LIKE ? OR address LIKE ?)")
            args += [f"%{w}%"] * 4
        w = " AND ".join(where)
        total = self.con.execute(f"SELECT COUNT(*) FROM tri WHERE {w}", args).fetchone()[0]
        if long:
            sql = f"SELECT rowid, highlight(tri, 0, '<em>', '</em>') FROM tri WHERE {w} ORDER BY bm25(tri, {WEIGHTS}) LIMIT {LIMIT}"
            self.con.execute(sql, args).fetchall()
        else:  # no full-text term: no rank and no highlight() in FTS5; do it by hand
            rows = self.con.execute(f"SELECT rowid, name FROM tri WHERE {w} ORDER BY rowid LIMIT {LIMIT}", args).fetchall()
            for _, name in rows:
                for x in short:
                    name = name.replace(x, f"<em>{x}</em>")
        return total

    def bigram(self, q: str) -> int:
        if is_uscc_prefix(q):
            return self.uscc(q)
        terms = []
        for w in q.split():
            b = bigrams(w)
            if not b:
                continue
            terms.append(quote(b) + ("*" if len(w) == 1 else ""))
        if not terms:
            return 0
        match = " AND ".join(terms)
        total = self.con.execute("SELECT COUNT(*) FROM bi WHERE bi MATCH ?", (match,)).fetchone()[0]
        self.con.execute(
            f"SELECT rowid, highlight(bi, 0, '<em>', '</em>') FROM bi WHERE bi MATCH ? ORDER BY bm25(bi, {WEIGHTS}) LIMIT {LIMIT}",
            (match,),
        ).fetchall()
        return total

    def close(self) -> None:
        if self.con is not None:
            self.con.close()
            self.con = None


def pad(s: str, width: int) -> str:
    """Left-justify counting CJK characters as two columns."""
    w = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)
    return s + " " * max(width - w, 0)


def timed(f, q: str) -> tuple[float, int]:
    t0 = time.perf_counter()
    n = f(q)
    return (time.perf_counter() - t0) * 1000.0, n


# ---------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> int:
    if args.queries < 1:
        raise BenchError("--queries must be at least 1")
    binary, is_debug = bl.pick_binary(args.bin, "reindex")
    cleanup = bl.Cleanup(args.keep)
    server = None
    peer = None
    try:
        print(f"binary: {bl.build_label(binary, is_debug)}")
        print(f"scale: {args.scale}   queries: {args.queries}   cores: {os.cpu_count()}")
        data_dir = bl.prepare_data_dir(cleanup, binary, args.data_dir, args.scale, args.seed)
        work = cleanup.mkdtemp("qianglian-search-")
        enterprises = bl.enterprise_count(data_dir)
        queries = build_queries(data_dir / "qianglian.db", args.queries, args.seed)
        distinct = sorted(set(queries))

        server = bl.Server(cleanup, binary, data_dir, args.port or bl.free_port(), work / "server.log")
        print(f"starting: {binary.name} serve --data-dir {data_dir} --bind 127.0.0.1:{server.port}", flush=True)
        server.start()
        took = server.wait_healthy(args.health_timeout)
        print(f"server healthy after {took:.1f} s (search index build or catch-up included)")
        office = bl.office_account(data_dir)
        api = Api(server.port, bl.api_token(server.port, office["username"], office["password"]))
        print(f"token for {office['username']} (office, whole city)")

        print("building the FTS5 peer from the same database …", flush=True)
        peer = Peer(work / "peer.db")
        bt = peer.build(data_dir / "qianglian.db")
        print(
            f"  read {peer.docs} documents in {bt['read']:.1f} s; built trigram ({peer.trigram_tokenizer}) in "
            f"{bt['trigram']:.1f} s, bigram in {bt['bigram']:.1f} s, uscc in {bt['uscc']:.1f} s"
        )
        if peer.trigram_tokenizer != "trigram":
            print("  note: this SQLite has no trigram tokenizer (needs 3.34+): the 'trigram' peer is unicode61")

        # Warm-up, untimed: every distinct query once on each side; keep the totals.
        totals: dict[str, tuple[int, int, int]] = {}
        for _, q in distinct:
            _, _, t = api.search(q)
            totals[q] = (t, peer.trigram(q), peer.bigram(q))
        sample = []
        for cls, k in (("word", 4), ("two words", 3), ("uscc prefix", 2)):
            sample += [q for c, q in queries if c == cls and q not in sample][:k]
        print(f"\nhits for a sample of the {len(distinct)} distinct queries: {'qianglian':>9} {'trigram':>8} {'bigram':>8}")
        for q in sample:
            a, b, c = totals[q]
            print(f"  {pad(q, 36)} {a:>9} {b:>8} {c:>8}")
        words_only = [q for c, q in distinct if c == "word"]
        zero = sum(1 for q in words_only if totals[q][0] == 0)
        if words_only and zero == len(words_only):
            raise BenchError("every product-word query found nothing: the search index is empty or not built")
        if zero:
            print(f"  note: {zero} of {len(words_only)} product words find nothing in qianglian")

        # Timed: the server, then each peer, the same queries in the same order.
        srv, wall = [], []
        per_class: dict[str, dict[str, list[float]]] = {}
        for cls, q in queries:
            d, w, _ = api.search(q)
            srv.append(d)
            wall.append(w)
            per_class.setdefault(cls, {}).setdefault("qianglian", []).append(d)
        peers: dict[str, list[float]] = {"trigram": [], "bigram": []}
        for name, f in (("trigram", peer.trigram), ("bigram", peer.bigram)):
            for cls, q in queries:
                ms, _ = timed(f, q)
                peers[name].append(ms)
                per_class[cls].setdefault(name, []).append(ms)
        rss = server.rss_mib()
    finally:
        if peer is not None:
            peer.close()
        if server is not None:
            server.stop()
        cleanup.close()

    s, sw = bl.stats(srv), bl.stats(wall)
    pt, pb = bl.stats(peers["trigram"]), bl.stats(peers["bigram"])
    print(f"\nper query class, p50 / p99 ms:     {'n':>5} {'qianglian':>17} {'FTS5 trigram':>17} {'FTS5 bigram':>17}")
    for cls in ("word", "two words", "uscc prefix"):
        if cls not in per_class:
            continue
        d = per_class[cls]
        cells = [f"{bl.percentile(d[k], 50):7.2f} / {bl.percentile(d[k], 99):7.2f}" for k in ("qianglian", "trigram", "bigram")]
        print(f"  {cls:<32} {len(d['qianglian']):>5} {cells[0]:>17} {cells[1]:>17} {cells[2]:>17}")
    n = len(srv)
    print(f"\nserver time (Server-Timing app;dur), {n} searches:")
    print(f"  qianglian           {bl.fmt(s)}")
    print("client round trip (loopback, for reference):")
    print(f"  qianglian           {bl.fmt(sw)}")
    print(f"sqlite3 FTS5 peers (COUNT + top {LIMIT} with highlight), {n} searches each:")
    print(f"  trigram             {bl.fmt(pt)}")
    print(f"  bigram              {bl.fmt(pb)}")
    if rss is not None:
        print(f"server RSS after the run: {rss:.0f} MiB")
    print()
    tri_label = "trigram" if peer.trigram_tokenizer == "trigram" else "unicode61"
    print(
        f"search, {args.scale} scale ({enterprises} enterprises, {n} queries): "
        f"qianglian server p50 {s['p50']:.2f} ms p99 {s['p99']:.2f} ms | "
        f"sqlite3 FTS5 {tri_label} p50 {pt['p50']:.2f} ms p99 {pt['p99']:.2f} ms | "
        f"ratio p99 {s['p99']:.2f}/{pt['p99']:.2f} = {bl.ratio(s['p99'], pt['p99']):.2f}"
    )
    print(
        f"search, {args.scale} scale, bigram peer: "
        f"sqlite3 FTS5 bigram p50 {pb['p50']:.2f} ms p99 {pb['p99']:.2f} ms | "
        f"ratio p99 {s['p99']:.2f}/{pb['p99']:.2f} = {bl.ratio(s['p99'], pb['p99']):.2f}"
    )
    print(f"quality bar: {BAR_TEXT}")
    print(f"  qianglian p99 {s['p99']:.2f} ms, max {s['max']:.2f} ms -> {bl.verdict(s['p99'] <= BAR_MS)} the bar (p99 ≤ {BAR_MS:.0f} ms)")
    if args.scale != "province" or enterprises < 250_000:
        print(f"  (the bar is for 300,000 enterprises; this run has {enterprises})")
    if is_debug:
        print("  (debug build: the bar applies to the release build; rerun with target/release/qianglian)")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", help="the qianglian binary (default target/release/qianglian, else target/debug/qianglian)")
    ap.add_argument("--scale", choices=("province", "city"), default="province", help="demo scale to seed (default province)")
    ap.add_argument("--seed", type=int, default=1, help="demo seed and query seed (default 1)")
    ap.add_argument("--data-dir", help="use this data directory: reuse its demo if seeded, else seed it; it is kept")
    ap.add_argument("--queries", type=int, default=1000, help="timed searches (default 1000)")
    ap.add_argument("--port", type=int, default=0, help="port to serve on (default: a free one)")
    ap.add_argument("--health-timeout", type=float, default=HEALTH_TIMEOUT_S, help="seconds to wait for /healthz (default 3600)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directories")
    args = ap.parse_args()
    return bl.main_wrapper(run, args)


if __name__ == "__main__":
    sys.exit(main())

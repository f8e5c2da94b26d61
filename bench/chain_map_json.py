#!/usr/bin/env python3
"""Benchmark: the map JSON of a 300-segment chain (`GET /api/v1/chains/{id}/map`), against a
sqlite3 + json.dumps peer.

Starts `qianglian serve --demo` on a fresh data directory (the city demo: 22 chains with
segment maps, ≈3,000 fictitious enterprises), gets a bearer token for the `office` demo
account, and grows one chain (default `gas_chemical`, ≈19 segments in the demo) through the
API until it has `--segments` live segments (about a third of them sub-segments),
`--edges` segment edges and `--placements` placements. Then it times, sequentially after a
warm-up, N requests of the chain's map JSON and N of its analysis, reading the server's own
`Server-Timing: app;dur=<ms>` header (and the client round trip, for reference).

The peer does the map's database work and serialisation directly: Python's sqlite3 on the
server's `qianglian.db` (read-only, while the server runs; WAL allows it) runs the
statements of `crates/store/src/chainmap.rs` that `App::chain_map` runs for the office scope
(chain row, regions, officers, targets, segments, edges, placements) and `json.dumps` the
result in the same shape. Before timing, the peer's JSON must equal the server's.

Standard library only. Run from the repository root:

    cargo build --release -p qianglian && python3 bench/chain_map_json.py [--segments 300]
        [--edges 600] [--placements 1500] [--requests 300] [--keep]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib as bl  # noqa: E402

BenchError = bl.BenchError

BAR_MS = 50.0
BAR_TEXT = "issue: the map JSON of a 300-segment chain served ≤ 50 ms (server time, p99)"
HEALTH_TIMEOUT_S = 120.0
STAGES = ("upstream", "midstream", "downstream")
STAGE_WEIGHTS = (0.3, 0.4, 0.3)


# ---------------------------------------------------------------------------------------
# The server: `serve --demo` (seeds the city on first start), registered with Cleanup.
# ---------------------------------------------------------------------------------------


class DemoServer(bl.Server):
    def start(self) -> None:
        self._log = open(self.log_path, "wb")
        env = dict(os.environ)
        env.setdefault("RUST_LOG", "warn")
        self.proc = subprocess.Popen(
            [str(self.binary), "serve", "--demo", "--data-dir", str(self.data_dir), "--bind", f"127.0.0.1:{self.port}"],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
            preexec_fn=bl.die_with_parent,
        )
        self.cleanup.procs.append(self.proc)


# ---------------------------------------------------------------------------------------
# The JSON API over one keep-alive connection
# ---------------------------------------------------------------------------------------


class Api:
    def __init__(self, port: int, token: str):
        self.client = bl.Client(port)
        self.headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}

    def call(self, method: str, path: str, body=None, ok=(200,)):
        """(status, response, raw body, wall ms); a status outside `ok` fails the run with
        the server's answer."""
        h = dict(self.headers)
        data = None
        if body is not None:
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
            h["Content-Type"] = "application/json"
        try:
            r, raw, wall = self.client.request(method, path, body=data, headers=h)
        except (OSError, http.client.HTTPException) as e:
            raise BenchError(f"{method} {path}: no answer from the server ({type(e).__name__}: {e})")
        if r.status not in ok:
            sent = f" with {data.decode('utf-8')}" if data else ""
            raise BenchError(
                f"{method} {path}{sent} answered {r.status}: {raw[:600].decode('utf-8', 'replace')}"
            )
        return r.status, r, raw, wall

    def json(self, method: str, path: str, body=None, ok=(200,)):
        status, _, raw, _ = self.call(method, path, body, ok)
        try:
            return status, (json.loads(raw) if raw else None)
        except ValueError:
            raise BenchError(f"{method} {path} answered {status} with a body that is not JSON: {raw[:300]!r}")


# ---------------------------------------------------------------------------------------
# Building the chain through the API
# ---------------------------------------------------------------------------------------


class Progress:
    def __init__(self, what: str, total: int):
        self.what, self.total, self.t0, self.last = what, total, time.monotonic(), 0.0

    def tick(self, done: int, extra: str = "") -> None:
        now = time.monotonic()
        if done == self.total or now - self.last >= 5.0:
            self.last = now
            print(f"  {self.what}: {done}/{self.total} ({now - self.t0:.0f} s){extra}", flush=True)


def build_chain(api: Api, chain_id: int, args: argparse.Namespace) -> dict:
    """Adds segments, edges and placements to the chain until it has the requested sizes;
    returns the map as the server serves it afterwards."""
    rng = random.Random(args.seed)
    base = f"/api/v1/chains/{chain_id}"
    _, m = api.json("GET", f"{base}/map")
    segs = m["segments"]
    live = [s for s in segs if not s["retired"]]
    codes = {s["code"] for s in segs}
    tops: dict[str, list[int]] = {k: [] for k in STAGES}
    stage_of: dict[int, str] = {}
    for s in live:
        stage_of[s["id"]] = s["stage"]
        if s["parent_id"] is None and s["stage"] in tops:
            tops[s["stage"]].append(s["id"])
    print(
        f"chain {m['chain']['code']} (id {chain_id}) before: {len(live)} live segments, "
        f"{sum(1 for e in m['edges'] if not e['retired'])} live edges, {len(m['placements'])} placements"
    )

    # Segments: stage 30/40/30 %, a third of them under a top-level segment of the same stage.
    need = args.segments - len(live)
    if need < 0:
        print(f"  note: the chain already has {len(live)} live segments, more than --segments {args.segments}")
    prog = Progress("segments", max(need, 0))
    n = 0
    for i in range(max(need, 0)):
        n += 1
        while f"b{n:03d}" in codes:
            n += 1
        code = f"b{n:03d}"
        stage = rng.choices(STAGES, STAGE_WEIGHTS)[0]
        parent = rng.choice(tops[stage]) if tops[stage] and rng.random() < 1 / 3 else None
        body = {
            "code": code,
            "name": f"基准环节{n:03d}",
            "stage": stage,
            "parent_id": parent,
            "key_products": f"产品{n}A;产品{n}B",
            "key_technologies": f"工艺{n}",
            "industry_codes": "2614",
        }
        _, created = api.json("POST", f"{base}/segments", body, ok=(201,))
        sid = int(created["id"])
        codes.add(code)
        stage_of[sid] = stage
        if parent is None:
            tops[stage].append(sid)
        prog.tick(i + 1)

    # Edges: 85 % into the same or the next stage; existing pairs (409) skipped.
    ids = sorted(stage_of)
    by_stage = {k: [i for i in ids if stage_of[i] == k] for k in STAGES}
    pairs = {(e["from"], e["to"]) for e in m["edges"] if not e["retired"]}
    need = args.edges - len(pairs)
    prog = Progress("edges", max(need, 0))
    added = skipped = tries = 0
    while added < need:
        tries += 1
        if tries > need * 20 + 1000:
            raise BenchError(f"could not find {need} new segment pairs for edges ({added} added, {skipped} existed)")
        a = rng.choice(ids)
        if rng.random() < 0.85:
            k = min(STAGES.index(stage_of[a]) + rng.randrange(2), 2)
            b = rng.choice(by_stage[STAGES[k]] or ids)
        else:
            b = rng.choice(ids)
        if a == b or (a, b) in pairs:
            continue
        status, _ = api.json("POST", f"{base}/edges", {"from": a, "to": b, "product": "原料"}, ok=(201, 409))
        pairs.add((a, b))
        if status == 409:
            skipped += 1
            continue
        added += 1
        prog.tick(added)

    # Placements: random (segment, enterprise) pairs, 3 % 链主; existing ones (409) skipped.
    enterprises: list[int] = []
    page = 1
    while True:
        _, lst = api.json("GET", f"/api/v1/enterprises?per_page=200&page={page}")
        items = lst.get("items") or []
        enterprises += [int(e["id"]) for e in items]
        if not items or len(enterprises) >= int(lst.get("total", 0)):
            break
        page += 1
    if not enterprises:
        raise BenchError("GET /api/v1/enterprises lists no enterprises: nothing to place")
    placed = {(p["segment_id"], p["enterprise_id"]) for p in m["placements"]}
    need = args.placements - len(placed)
    if need > len(ids) * len(enterprises) - len(placed):
        raise BenchError(f"--placements {args.placements} exceeds segments × enterprises")
    prog = Progress("placements", max(need, 0))
    added = skipped = 0
    while added < need:
        s, e = rng.choice(ids), rng.choice(enterprises)
        if (s, e) in placed:
            continue
        role = "leader" if rng.random() < 0.03 else "member"
        status, _ = api.json(
            "POST", f"{base}/placements", {"segment_id": s, "enterprise_id": e, "role": role}, ok=(201, 409)
        )
        placed.add((s, e))
        if status == 409:
            skipped += 1
            continue
        added += 1
        prog.tick(added)

    _, m = api.json("GET", f"{base}/map")
    return m


def describe(m: dict) -> tuple[int, int, int, int]:
    live = [s for s in m["segments"] if not s["retired"]]
    children = sum(1 for s in live if s["parent_id"] is not None)
    edges = sum(1 for e in m["edges"] if not e["retired"])
    return len(live), children, edges, len(m["placements"])


# ---------------------------------------------------------------------------------------
# The peer: App::chain_map's statements (crates/store/src/chainmap.rs, office scope: no
# scope clause) in sqlite3, serialised like serde_json serialises app::chainmap::ChainMap.
# ---------------------------------------------------------------------------------------

CHAIN_SQL = (
    "SELECT c.id, c.code, c.name, c.field_code, f.name AS field_name, c.lead_department_code, "
    "d.name AS lead_department_name, c.provincial_key, "
    "(SELECT COUNT(*) FROM segment s WHERE s.chain_id = c.id AND s.retired = FALSE) AS segments, "
    "(SELECT COUNT(*) FROM placement p JOIN segment s ON s.id = p.segment_id WHERE s.chain_id = c.id AND s.retired = FALSE) AS placements "
    "FROM chain c JOIN field f ON f.code = c.field_code JOIN department d ON d.code = c.lead_department_code "
    "WHERE c.id = ?"
)
REGIONS_SQL = (
    "SELECT cr.region_code, r.name, cr.role FROM chain_region cr JOIN region r ON r.code = cr.region_code "
    "WHERE cr.chain_id = ? ORDER BY cr.role, r.sort, r.code"
)
OFFICERS_SQL = (
    "SELECT o.account_id, a.display_name, o.role FROM chain_officer o JOIN account a ON a.id = o.account_id "
    "WHERE o.chain_id = ? ORDER BY CASE o.role WHEN 'chief' THEN 0 ELSE 1 END, a.id"
)
TARGETS_SQL = "SELECT year, output_fen FROM chain_target WHERE chain_id = ? ORDER BY year"
SEGMENTS_SQL = (
    "SELECT id, chain_id, code, name, stage, parent_id, sort, key_products, key_technologies, industry_codes, retired, version "
    "FROM segment WHERE chain_id = ? "
    "ORDER BY CASE stage WHEN 'upstream' THEN 0 WHEN 'midstream' THEN 1 ELSE 2 END, sort, id"
)
EDGES_SQL = "SELECT id, from_id, to_id, product, retired FROM segment_edge WHERE chain_id = ? ORDER BY id"
PLACEMENTS_SQL = (
    "SELECT p.id, p.segment_id, p.enterprise_id, e.name AS enterprise_name, e.uscc, e.region_code, r.name AS region_name, "
    "p.role, e.revenue_fen FROM placement p JOIN segment s ON s.id = p.segment_id "
    "JOIN enterprise e ON e.id = p.enterprise_id JOIN region r ON r.code = e.region_code "
    "WHERE e.archived = FALSE AND s.chain_id = ? "
    "ORDER BY p.segment_id, CASE p.role WHEN 'leader' THEN 0 ELSE 1 END, e.name_key, e.id"
)


def peer_map(db: sqlite3.Connection, chain_id: int) -> tuple[bytes, float]:
    """The map JSON of the chain, built as the server builds it (same statements, same
    order, same field names and shapes), and the ms spent in the statements alone (every
    row fetched) before the Python objects and the JSON are built."""
    t0 = time.perf_counter()
    row = db.execute(CHAIN_SQL, (chain_id,)).fetchone()
    rows = [
        db.execute(q, (chain_id,)).fetchall()
        for q in (REGIONS_SQL, OFFICERS_SQL, TARGETS_SQL, SEGMENTS_SQL, EDGES_SQL, PLACEMENTS_SQL)
    ]
    sql_ms = (time.perf_counter() - t0) * 1000.0
    if row is None:
        raise BenchError(f"peer: chain {chain_id} not found")
    region_rows, officer_rows, target_rows, segment_rows, edge_rows, placement_rows = rows
    chain = {
        "id": row[0],
        "code": row[1],
        "name": row[2],
        "field_code": row[3],
        "field_name": row[4],
        "lead_department_code": row[5],
        "lead_department_name": row[6],
        "provincial_key": bool(row[7]),
        "segments": row[8],
        "placements": row[9],
    }
    regions = [list(r) for r in region_rows]
    officers = [list(r) for r in officer_rows]
    targets = [list(r) for r in target_rows]
    segments = [
        {
            "id": r[0],
            "chain_id": r[1],
            "code": r[2],
            "name": r[3],
            "stage": r[4],
            "parent_id": r[5],
            "sort": r[6],
            "key_products": r[7],
            "key_technologies": r[8],
            "industry_codes": r[9],
            "retired": bool(r[10]),
            "version": r[11],
        }
        for r in segment_rows
    ]
    edges = [
        {"id": r[0], "from": r[1], "to": r[2], "product": r[3], "retired": bool(r[4])}
        for r in edge_rows
    ]
    placements = [
        {
            "id": r[0],
            "segment_id": r[1],
            "enterprise_id": r[2],
            "enterprise_name": r[3],
            "uscc": r[4],
            "region_code": r[5],
            "region_name": r[6],
            "role": r[7],
            "revenue_fen": r[8],
        }
        for r in placement_rows
    ]
    doc = {
        "chain": chain,
        "regions": regions,
        "officers": officers,
        "targets": targets,
        "segments": segments,
        "edges": edges,
        "placements": placements,
    }
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8"), sql_ms


def first_difference(a, b, path: str = "$") -> str | None:
    """Where two parsed JSON values first differ, for the error message."""
    if type(a) is not type(b):
        return f"{path}: server {a!r:.120} vs peer {b!r:.120}"
    if isinstance(a, dict):
        if list(a) != list(b):
            return f"{path}: keys server {list(a)} vs peer {list(b)}"
        for k in a:
            d = first_difference(a[k], b[k], f"{path}.{k}")
            if d:
                return d
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{path}: server has {len(a)} items, peer {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            d = first_difference(x, y, f"{path}[{i}]")
            if d:
                return d
        return None
    return None if a == b else f"{path}: server {a!r:.120} vs peer {b!r:.120}"


# ---------------------------------------------------------------------------------------
# Timing
# ---------------------------------------------------------------------------------------


def time_get(api: Api, path: str, warmup: int, n: int) -> tuple[list[float], list[float], bytes]:
    """(Server-Timing durations, client wall times, last body) of n sequential GETs."""
    for _ in range(warmup):
        api.call("GET", path)
    dur, wall = [], []
    raw = b""
    for _ in range(n):
        _, r, raw, w = api.call("GET", path)
        dur.append(bl.server_timing_ms(r))
        wall.append(w)
    return dur, wall, raw


def time_peer(db: sqlite3.Connection, chain_id: int, warmup: int, n: int) -> tuple[list[float], list[float]]:
    """(whole iteration, statements alone) ms of n peer iterations."""
    for _ in range(warmup):
        peer_map(db, chain_id)
    total, sql = [], []
    for _ in range(n):
        t0 = time.perf_counter()
        _, sql_ms = peer_map(db, chain_id)
        total.append((time.perf_counter() - t0) * 1000.0)
        sql.append(sql_ms)
    return total, sql


# ---------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> int:
    if args.requests < 1:
        raise BenchError("--requests must be at least 1")
    if args.warmup < 0 or args.segments < 1 or args.edges < 0 or args.placements < 0:
        raise BenchError("--warmup, --edges and --placements must be ≥ 0 and --segments ≥ 1")
    binary, is_debug = bl.pick_binary(args.bin, "serve")
    n, warmup = args.requests, args.warmup
    cleanup = bl.Cleanup(args.keep)
    db = None
    try:
        tmp = cleanup.mkdtemp("qianglian-chainmap-")
        data_dir = tmp / "data"
        server = DemoServer(cleanup, binary, data_dir, args.port or bl.free_port(), tmp / "server.log")
        print(f"binary: {bl.build_label(binary, is_debug)}")
        print(
            f"data dir: {data_dir}   port: {server.port}   requests: {n} per series after {warmup} warm-up   "
            f"cores: {os.cpu_count()}"
        )
        server.start()
        took = server.wait_healthy(HEALTH_TIMEOUT_S)
        print(f"server healthy after {took:.1f} s (demo seeding included)")

        office = bl.office_account(data_dir)
        api = Api(server.port, bl.api_token(server.port, office["username"], office["password"]))
        print(f"token for {office['username']} (office, whole city)")

        _, chains = api.json("GET", "/api/v1/chains")
        chain = next((c for c in chains.get("items", []) if c.get("code") == args.chain), None)
        if chain is None:
            raise BenchError(f"no chain with code {args.chain!r} (codes: {[c.get('code') for c in chains.get('items', [])]})")
        chain_id = int(chain["id"])

        t0 = time.monotonic()
        m = build_chain(api, chain_id, args)
        segs, children, edges, placements = describe(m)
        print(
            f"chain {args.chain} after {time.monotonic() - t0:.0f} s of building: {segs} live segments "
            f"({children} sub-segments), {edges} live edges, {placements} placements, "
            f"{len(m['regions'])} regions, {len(m['officers'])} officers, {len(m['targets'])} targets"
        )
        if segs < args.segments:
            raise BenchError(f"the chain has {segs} live segments after building, wanted {args.segments}")

        # The peer's connection: read-only on the server's file; its JSON must be the server's.
        db_path = data_dir / "qianglian.db"
        db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
        map_path = f"/api/v1/chains/{chain_id}/map"
        _, _, srv_raw, _ = api.call("GET", map_path)
        peer_raw, _ = peer_map(db, chain_id)
        diff = first_difference(json.loads(srv_raw), json.loads(peer_raw))
        if diff:
            raise BenchError(f"the peer's map JSON differs from the server's (the mirrored SQL is out of date): {diff}")
        same_bytes = "byte for byte" if srv_raw == peer_raw else "as parsed JSON (bytes differ)"
        print(
            f"map JSON: server {len(srv_raw) / 1024:.0f} KiB, peer {len(peer_raw) / 1024:.0f} KiB; "
            f"the peer's JSON equals the server's {same_bytes}"
        )

        print("timing: map (server) …", flush=True)
        map_dur, map_wall, _ = time_get(api, map_path, warmup, n)
        print("timing: analysis (server) …", flush=True)
        an_dur, an_wall, an_raw = time_get(api, f"/api/v1/chains/{chain_id}/analysis", warmup, n)
        print("timing: sqlite3 + json.dumps peer …", flush=True)
        peer_ms, peer_sql_ms = time_peer(db, chain_id, warmup, n)
        rss = server.rss_mib()
        db.close()
        db = None
        server.stop()
    finally:
        if db is not None:
            db.close()
        cleanup.close()

    mp, mw, ap, aw, pp, ps = (bl.stats(x) for x in (map_dur, map_wall, an_dur, an_wall, peer_ms, peer_sql_ms))
    try:
        an = json.loads(an_raw)
        an_note = f", {len(an.get('segments', []))} segments analysed, {len(an_raw) / 1024:.0f} KiB"
    except (ValueError, AttributeError):
        an_note = ""
    print(f"\nserver time (Server-Timing app;dur), {n} requests each:")
    print(f"  map JSON            {bl.fmt(mp)}")
    print(f"  analysis JSON       {bl.fmt(ap)}{an_note}")
    print("client round trip (loopback, for reference):")
    print(f"  map JSON            {bl.fmt(mw)}")
    print(f"  analysis JSON       {bl.fmt(aw)}")
    print(f"sqlite3 + json.dumps peer (7 statements + serialisation), {n} iterations:")
    print(f"  map JSON            {bl.fmt(pp)}")
    print(f"  of which SQL only   {bl.fmt(ps)}")
    if rss is not None:
        print(f"server RSS at the end: {rss:.0f} MiB")

    r50, r99 = bl.ratio(mp["p50"], pp["p50"]), bl.ratio(mp["p99"], pp["p99"])
    print()
    print(
        f"chain map JSON, {segs} segments ({edges} edges, {placements} placements): "
        f"qianglian server p50 {mp['p50']:.2f} ms p99 {mp['p99']:.2f} ms | "
        f"sqlite3 + json.dumps p50 {pp['p50']:.2f} ms p99 {pp['p99']:.2f} ms | "
        f"ratio p50 {mp['p50']:.2f}/{pp['p50']:.2f} = {r50:.1f}, p99 {mp['p99']:.2f}/{pp['p99']:.2f} = {r99:.1f}"
    )
    print(
        f"chain analysis JSON, same chain: qianglian server p50 {ap['p50']:.2f} ms p99 {ap['p99']:.2f} ms (no peer, no bar)"
    )
    print(f"quality bar: {BAR_TEXT}")
    print(f"map JSON p99 ≤ {BAR_MS:.0f} ms (server time) -> {bl.verdict(mp['p99'] <= BAR_MS)}")
    if is_debug:
        print("  (debug build: the bar applies to the release build; rerun with target/release/qianglian)")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", help="the qianglian binary (default target/release/qianglian, else target/debug/qianglian)")
    ap.add_argument("--requests", type=int, default=300, help="timed requests per series and peer iterations (default 300)")
    ap.add_argument("--warmup", type=int, default=20, help="untimed requests before each series (default 20)")
    ap.add_argument("--segments", type=int, default=300, help="live segments the chain ends up with (default 300)")
    ap.add_argument("--edges", type=int, default=600, help="live segment edges the chain ends up with (default 600)")
    ap.add_argument("--placements", type=int, default=1500, help="placements the chain ends up with (default 1500)")
    ap.add_argument("--chain", default="gas_chemical", help="code of the demo chain to grow (default gas_chemical)")
    ap.add_argument("--seed", type=int, default=1, help="seed of the random shape (default 1)")
    ap.add_argument("--port", type=int, default=0, help="port to serve on (default: a free one)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary data directory")
    return bl.main_wrapper(run, ap.parse_args())


if __name__ == "__main__":
    sys.exit(main())

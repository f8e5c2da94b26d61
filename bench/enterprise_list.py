#!/usr/bin/env python3
"""Benchmark: the enterprise list page at city scale, against a sqlite3 peer.

Starts `qianglian serve --demo` on a fresh data directory (the demo seeds the city:
≈3,000 fictitious enterprises), signs in through the HTML login form as the `office`
demo account (whole city), and times N requests to realistic enterprise-list URLs,
reading the server's own `Server-Timing: app;dur=<ms>` header (server-side time, so the
client and the loopback do not count). It does this for the full page and for the htmx
partial (`HX-Request: true`, the table only).

The peer does the same database work directly: Python's sqlite3 on the same SQLite file
(read-only) runs, for each URL, the COUNT(*) and the page SELECT that
`crates/store/src/enterprise.rs` (`list`, `push_filter`, `order_by`, `SELECT`) builds for
the office scope (which adds no scope clause). The ratio server/peer is the figure to
watch: the machine is shared and noisy, absolute times drift, the ratio much less.

Standard library only. Run from the repository root:

    cargo build --release -p qianglian && python3 bench/enterprise_list.py
"""

from __future__ import annotations

import argparse
import html
import http.client
import http.cookies
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

# SPEC §5 (quality bars): "city scale (≈5k enterprises) every page ≤ 50 ms server time" (2 cores).
QUALITY_BAR_MS = 50.0
QUALITY_BAR_TEXT = "SPEC §5: city scale (≈5k enterprises, 2 cores) every page ≤ 50 ms server time"

# Realistic list URLs, rotated through in this order.
URLS: list[tuple[str, dict[str, str]]] = [
    ("/enterprises", {}),
    ("/enterprises", {"page": "7"}),
    ("/enterprises", {"region": "511722"}),
    ("/enterprises", {"q": "化工"}),
    ("/enterprises", {"industry": "C26", "sort": "revenue", "desc": "1"}),
    ("/enterprises", {"chain": "gas_chemical", "per_page": "50"}),
]

HEALTH_TIMEOUT_S = 120.0


def url_of(path: str, params: dict[str, str]) -> str:
    return path + ("?" + urllib.parse.urlencode(params) if params else "")


# ---------------------------------------------------------------------------------------
# The peer: the SQL of crates/store/src/enterprise.rs for the office scope, in sqlite3.
# The Rust builder numbers `$n` placeholders; here they are `?`, bound in the same order.
# ---------------------------------------------------------------------------------------

# `SELECT` in enterprise.rs, verbatim.
SELECT = (
    "SELECT e.id, e.uscc, e.name, e.region_code, r.name AS region_name, e.park_code, p.name AS park_name, "
    "e.industry_code, i.name AS industry_name, e.employees, e.revenue_fen, e.assets_fen, e.size, e.above_scale, e.founded_on, "
    "e.address, e.contact_name, e.contact_phone, e.description, e.is_demo, e.version, e.created_at, e.updated_at, "
    "e.updated_by, ua.display_name AS updated_by_name "
    "FROM enterprise e JOIN region r ON r.code = e.region_code LEFT JOIN region p ON p.code = e.park_code "
    "JOIN industry i ON i.code = e.industry_code LEFT JOIN account ua ON ua.id = e.updated_by"
)
def _industry(v):
    """Mirror of ListQuery::filter: uppercase; a section letter before digits is dropped."""
    if not v:
        return None
    v = v.upper()
    if len(v) > 1 and v[0].isascii() and v[0].isalpha() and v[1:].isdigit():
        return v[1:]
    return v


COUNT = "SELECT COUNT(*) FROM enterprise e"


def _nonempty(v: str | None) -> str | None:
    """`nonempty` in crates/web/src/view.rs."""
    if v is None:
        return None
    v = v.strip()
    return v or None


def _lenient_int(v: str | None) -> int | None:
    try:
        return int(v.strip()) if v is not None else None
    except ValueError:
        return None


def filter_of(params: dict[str, str]) -> dict:
    """`ListQuery::filter` in crates/web/src/view.rs."""
    industry = _nonempty(params.get("industry"))
    page = _lenient_int(params.get("page"))
    per_page = _lenient_int(params.get("per_page"))
    return {
        "region": _nonempty(params.get("region")),
        "industry": _industry(industry),  # view.rs ListQuery::filter
        "size": _nonempty(params.get("size")),
        "chain": _nonempty(params.get("chain")),
        "above_scale": None,
        "q": _nonempty(params.get("q")),
        "sort": _nonempty(params.get("sort")),
        "desc": params.get("desc") == "1",
        "page": max(page if page is not None else 1, 1),
        "per_page": min(max(per_page if per_page is not None else 20, 1), 200),
    }


def where_clause(f: dict) -> tuple[str, list]:
    """`where_clause` + `push_filter` (office scope: `push_scope` adds nothing)."""
    w = " WHERE e.archived = FALSE"  # FALSE is the integer 0 in SQLite
    args: list = []
    if f["region"] is not None:
        w += " AND (e.region_code = ? OR e.park_code = ?)"
        args += [f["region"], f["region"]]
    if f["industry"] is not None:
        i = f["industry"]
        if len(i) == 1 and "A" <= i <= "Z":
            w += " AND e.industry_code IN (SELECT code FROM industry WHERE section = ?)"
            args.append(i)
        else:
            w += " AND e.industry_code LIKE ?"
            args.append(f"{i}%")
    if f["size"] is not None:
        w += " AND e.size = ?"
        args.append(f["size"])
    if f["above_scale"] is not None:
        w += " AND e.above_scale = ?"
        args.append(f["above_scale"])
    if f["chain"] is not None:
        w += (
            " AND EXISTS (SELECT 1 FROM enterprise_chain fc JOIN chain fch ON fch.id = fc.chain_id "
            "WHERE fc.enterprise_id = e.id AND fch.code = ?)"
        )
        args.append(f["chain"])
    if f["q"] is not None:  # already trimmed and non-empty
        q = f["q"]
        like = "%" + q.replace("%", "").replace("_", "") + "%"
        upper = "".join(c.upper() if c.isascii() else c for c in q)  # to_ascii_uppercase
        w += " AND (e.name LIKE ? OR e.uscc LIKE ?)"
        args += [like, upper + "%"]
    return w, args


def order_by(f: dict) -> str:
    """`order_by` in enterprise.rs."""
    col = {
        "uscc": "e.uscc",
        "region": "e.region_code",
        "industry": "e.industry_code",
        "size": "CASE e.size WHEN 'large' THEN 1 WHEN 'medium' THEN 2 WHEN 'small' THEN 3 WHEN 'micro' THEN 4 ELSE 5 END",
        "revenue": "COALESCE(e.revenue_fen, -1)",
        "employees": "COALESCE(e.employees, -1)",
        "updated": "e.updated_at",
    }.get(f["sort"], "e.name")
    d = "DESC" if f["desc"] else "ASC"
    return f" ORDER BY {col} {d}, e.id {d}"


def list_queries(params: dict[str, str]) -> tuple[tuple[str, list], tuple[str, list]]:
    """The two statements of `list` (`count` and `page`): (count sql, args), (page sql, args).
    The page takes its ids from `enterprise` alone, then joins those (as `page` does)."""
    f = filter_of(params)
    w, args = where_clause(f)
    per = f["per_page"]
    o = order_by(f)
    w_inner = " WHERE e.id IN (SELECT e.id FROM enterprise e" + w
    page_sql = SELECT + w_inner + o + f" LIMIT {per} OFFSET {(f['page'] - 1) * per})" + o
    return (COUNT + w, args), (page_sql, list(args))


# ---------------------------------------------------------------------------------------
# Statistics
# ---------------------------------------------------------------------------------------


def percentile(xs: list[float], p: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    s = sorted(xs)
    if not s:
        return float("nan")
    k = (len(s) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def stats(xs: list[float]) -> dict[str, float]:
    return {
        "p50": percentile(xs, 50),
        "p95": percentile(xs, 95),
        "p99": percentile(xs, 99),
        "max": max(xs),
        "mean": sum(xs) / len(xs),
    }


def fmt(st: dict[str, float], keys=("p50", "p95", "p99", "max")) -> str:
    return "  ".join(f"{k} {st[k]:7.2f} ms" for k in keys)


# ---------------------------------------------------------------------------------------
# The server
# ---------------------------------------------------------------------------------------


class BenchError(Exception):
    pass


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tail(path: Path, n: int = 30) -> str:
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return "(no server log)"
    return "\n".join(lines[-n:])


def _die_with_parent() -> None:
    """In the child before exec (Linux): be killed if this script dies without cleaning up
    (kill -9), so that no server is left behind."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:
        pass


class Server:
    def __init__(self, binary: Path, data_dir: Path, port: int):
        self.binary, self.data_dir, self.port = binary, data_dir, port
        self.log_path = data_dir.parent / "server.log"
        self.proc: subprocess.Popen | None = None
        self._log = None

    def start(self) -> None:
        self._log = open(self.log_path, "wb")
        env = dict(os.environ)
        env.setdefault("RUST_LOG", "warn")  # request logging would only add noise
        self.proc = subprocess.Popen(
            [str(self.binary), "serve", "--demo", "--data-dir", str(self.data_dir), "--bind", f"127.0.0.1:{self.port}"],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,  # our own Ctrl-C does not reach it; we stop it ourselves
            preexec_fn=_die_with_parent,
        )

    def wait_healthy(self, timeout: float) -> float:
        t0 = time.monotonic()
        while True:
            if self.proc is not None and self.proc.poll() is not None:
                raise BenchError(f"server exited with code {self.proc.returncode} before answering /healthz:\n{tail(self.log_path)}")
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                c.request("GET", "/healthz")
                r = c.getresponse()
                r.read()
                c.close()
                if r.status == 200:
                    return time.monotonic() - t0
            except (OSError, http.client.HTTPException):
                pass
            if time.monotonic() - t0 > timeout:
                raise BenchError(f"server did not answer /healthz within {timeout:.0f} s:\n{tail(self.log_path)}")
            time.sleep(0.25)

    def stop(self) -> None:
        p = self.proc
        if p is not None and p.poll() is None:
            p.send_signal(signal.SIGINT)  # the server shuts down gracefully on Ctrl-C
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=10)
        if self._log is not None:
            self._log.close()
            self._log = None


# ---------------------------------------------------------------------------------------
# A browser-like client: one keep-alive connection, cookies, the login form.
# ---------------------------------------------------------------------------------------


class Client:
    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def request(self, method: str, url: str, body: bytes | None = None, headers: dict[str, str] | None = None):
        h = {"User-Agent": "qianglian-bench/1", "Accept": "text/html"}
        if self.cookies:
            h["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        h.update(headers or {})
        for attempt in (1, 2):  # reconnect once if the server closed the idle connection
            try:
                t0 = time.perf_counter()
                self.conn.request(method, url, body=body, headers=h)
                r = self.conn.getresponse()
                data = r.read()
                wall_ms = (time.perf_counter() - t0) * 1000.0
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                if attempt == 2:
                    raise
        for v in r.headers.get_all("Set-Cookie") or []:
            c = http.cookies.SimpleCookie()
            c.load(v)
            for name, morsel in c.items():
                if morsel["max-age"] == "0" or (morsel["expires"] and morsel.value == ""):
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return r, data, wall_ms

    def login(self, username: str, password: str) -> None:
        r, body, _ = self.request("GET", "/login")
        if r.status != 200:
            raise BenchError(f"GET /login answered {r.status}")
        if "ql_login_csrf" not in self.cookies:
            raise BenchError("GET /login set no ql_login_csrf cookie")
        page = body.decode("utf-8", errors="replace")
        csrf = None
        for tag in re.findall(r"<input\b[^>]*>", page):
            if re.search(r'\bname="csrf"', tag):
                m = re.search(r'\bvalue="([^"]*)"', tag)
                if m:
                    csrf = html.unescape(m.group(1))
                    break
        if not csrf:
            raise BenchError('the login page has no <input type="hidden" name="csrf" value="...">')
        form = urllib.parse.urlencode({"username": username, "password": password, "csrf": csrf}).encode()
        r, body, _ = self.request(
            "POST", "/login", body=form, headers={"Content-Type": "application/x-www-form-urlencoded"}
        )
        loc = r.headers.get("Location", "")
        if r.status != 303 or loc != "/":
            raise BenchError(
                f"POST /login answered {r.status} Location={loc!r} (expected 303 to /); "
                f"body starts: {body[:300].decode('utf-8', 'replace')!r}"
            )
        if "ql_session" not in self.cookies:
            raise BenchError("POST /login set no ql_session cookie")


def server_timing_ms(r) -> float:
    v = r.headers.get("Server-Timing")
    if not v:
        raise BenchError("response has no Server-Timing header")
    m = re.search(r"\bapp;dur=([0-9.]+)", v)
    if not m:
        raise BenchError(f"unexpected Server-Timing header: {v!r}")
    return float(m.group(1))


TOTAL_RE = re.compile(r"共\s*<strong>(\d+)</strong>\s*家企业")
ROW_RE = re.compile(r'<td data-label="信用代码"')


def get_list(client: Client, url: str, partial: bool):
    headers = {"HX-Request": "true"} if partial else {}
    r, body, wall = client.request("GET", url, headers=headers)
    if r.status != 200:
        raise BenchError(
            f"GET {url}{' (htmx)' if partial else ''} answered {r.status} "
            f"(Location={r.headers.get('Location')!r}, HX-Redirect={r.headers.get('HX-Redirect')!r})"
        )
    return server_timing_ms(r), wall, body.decode("utf-8", errors="replace")


# ---------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------


def pick_binary(arg: str | None) -> Path:
    if arg:
        p = Path(arg)
        if not p.is_file():
            raise BenchError(f"--bin {p}: no such file")
        return p.resolve()
    for cand in (Path("target/release/qianglian"), Path("target/debug/qianglian")):
        if cand.is_file():
            if "debug" in cand.parts:
                print(f"note: {cand.parent / 'release' / 'qianglian'} missing, using {cand}", file=sys.stderr)
            return cand.resolve()
    raise BenchError("no target/release/qianglian nor target/debug/qianglian; run `cargo build --release -p qianglian`")


def run(args: argparse.Namespace) -> int:
    binary = pick_binary(args.bin)
    n = args.requests
    if n < 1:
        raise BenchError("--requests must be at least 1")
    is_debug = "debug" in binary.parts
    urls = [url_of(p, q) for p, q in URLS]

    tmp = Path(tempfile.mkdtemp(prefix="qianglian-bench-"))
    data_dir = tmp / "data"
    server = Server(binary, data_dir, args.port or free_port())
    try:
        print(f"binary: {binary}{'  (DEBUG build: figures are not representative)' if is_debug else ''}")
        print(f"data dir: {data_dir}   port: {server.port}   requests: {n} per series   cores: {os.cpu_count()}")
        server.start()
        took = server.wait_healthy(HEALTH_TIMEOUT_S)
        print(f"server healthy after {took:.1f} s (demo seeding included)")

        accounts = json.loads((data_dir / "demo-accounts.json").read_text(encoding="utf-8"))
        office = next((a for a in accounts if a.get("role") == "office"), None)
        if office is None:
            raise BenchError(f"no office account in demo-accounts.json (roles: {[a.get('role') for a in accounts]})")

        client = Client(server.port)
        client.login(office["username"], office["password"])
        print(f"signed in as {office['username']} (office, whole city)")

        # The peer's connection: read-only, on the file the server is using.
        db_path = data_dir / "qianglian.db"
        peer = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
        enterprises = peer.execute("SELECT COUNT(*) FROM enterprise WHERE archived = 0").fetchone()[0]
        queries = [list_queries(q) for _, q in URLS]

        # Check that the peer's SQL is the same work: same totals and page sizes as the server.
        # This round also warms both sides up and is not timed.
        print(f"\nURLs (rotated; the peer's total and page rows checked against the server's page):")
        for url, ((csql, cargs), (psql, pargs)) in zip(urls, queries):
            total = peer.execute(csql, cargs).fetchone()[0]
            rows = peer.execute(psql, pargs).fetchall()
            _, _, page = get_list(client, url, partial=True)
            m = TOTAL_RE.search(page)
            srv_rows = len(ROW_RE.findall(page))
            if m is None:
                print(f"  warning: cannot find the total in the page of {url}; SQL equivalence not checked")
            elif int(m.group(1)) != total or srv_rows != len(rows):
                raise BenchError(
                    f"{url}: server shows total {m.group(1)} with {srv_rows} rows, "
                    f"the peer's SQL gives total {total} with {len(rows)} rows — the mirrored SQL is out of date"
                )
            get_list(client, url, partial=False)
            note = "   <- matches nothing: this URL times an empty page" if total == 0 else ""
            print(f"  {url:<50} total {total:>5}  page rows {len(rows):>3}{note}")

        # Server: full page, then the htmx partial.
        series: dict[str, dict[str, list[float]]] = {}
        per_url: dict[str, dict[str, list[float]]] = {"page": {u: [] for u in urls}, "partial": {u: [] for u in urls}}
        for kind in ("page", "partial"):
            dur, wall = [], []
            for i in range(n):
                url = urls[i % len(urls)]
                d, w, _ = get_list(client, url, partial=(kind == "partial"))
                dur.append(d)
                wall.append(w)
                per_url[kind][url].append(d)
            series[kind] = {"dur": dur, "wall": wall}

        # Peer: the same statements for the same URLs, the same number of iterations.
        peer_ms: list[float] = []
        peer_url: dict[str, list[float]] = {u: [] for u in urls}
        for i in range(n):
            k = i % len(urls)
            (csql, cargs), (psql, pargs) = queries[k]
            t0 = time.perf_counter()
            peer.execute(csql, cargs).fetchone()
            peer.execute(psql, pargs).fetchall()
            ms = (time.perf_counter() - t0) * 1000.0
            peer_ms.append(ms)
            peer_url[urls[k]].append(ms)
        peer.close()
    finally:
        server.stop()
        if args.keep:
            print(f"(kept {tmp})")
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    page, part, sq = stats(series["page"]["dur"]), stats(series["partial"]["dur"]), stats(peer_ms)
    page_wall, part_wall = stats(series["page"]["wall"]), stats(series["partial"]["wall"])

    print(f"\nper URL, p50 ms:            {'page':>8} {'partial':>8} {'sqlite3':>8} {'page/sqlite3':>13}")
    for u in urls:
        a, b, c = (percentile(per_url["page"][u], 50), percentile(per_url["partial"][u], 50), percentile(peer_url[u], 50))
        print(f"  {u:<50.50} {a:8.2f} {b:8.2f} {c:8.2f} {a / c if c > 0 else float('inf'):12.1f}x")

    print(f"\nserver time (Server-Timing app;dur), {n} requests each:")
    print(f"  full page           {fmt(page)}")
    print(f"  htmx partial        {fmt(part)}")
    print(f"client round trip (loopback, for reference):")
    print(f"  full page           {fmt(page_wall)}")
    print(f"  htmx partial        {fmt(part_wall)}")
    print(f"sqlite3 peer (COUNT + page SELECT), {n} iterations:")
    print(f"  queries             {fmt(sq)}")

    r_page = page["p50"] / sq["p50"] if sq["p50"] > 0 else float("inf")
    r_part = part["p50"] / sq["p50"] if sq["p50"] > 0 else float("inf")
    print()
    print(
        f"enterprise list page, city scale ({enterprises} enterprises): "
        f"qianglian server p50 {page['p50']:.2f} ms p99 {page['p99']:.2f} ms | "
        f"sqlite3 queries p50 {sq['p50']:.2f} ms p99 {sq['p99']:.2f} ms | "
        f"ratio p50 {page['p50']:.2f}/{sq['p50']:.2f} = {r_page:.1f}"
    )
    print(
        f"enterprise list htmx partial, city scale ({enterprises} enterprises): "
        f"qianglian server p50 {part['p50']:.2f} ms p99 {part['p99']:.2f} ms | "
        f"ratio p50 {part['p50']:.2f}/{sq['p50']:.2f} = {r_part:.1f}"
    )
    print(f"quality bar: {QUALITY_BAR_TEXT}")
    for name, st in (("full page", page), ("htmx partial", part)):
        ok = st["p99"] <= QUALITY_BAR_MS
        print(
            f"  {name:<13} p99 {st['p99']:.2f} ms, max {st['max']:.2f} ms -> "
            f"{'MEETS' if ok else 'MISSES'} the bar (p99 ≤ {QUALITY_BAR_MS:.0f} ms)"
        )
    if is_debug:
        print("  (debug build: the bar applies to the release build; rerun with target/release/qianglian)")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", help="the qianglian binary (default target/release/qianglian, else target/debug/qianglian)")
    ap.add_argument("--requests", type=int, default=300, help="timed requests per series (default 300)")
    ap.add_argument("--port", type=int, default=0, help="port to serve on (default: a free one)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary data directory")
    args = ap.parse_args()

    # SIGTERM (and SIGHUP) unwind like Ctrl-C does, so that the server is always stopped.
    def on_signal(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    try:
        return run(args)
    except BenchError as e:
        print(f"benchmark failed: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

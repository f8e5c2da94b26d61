#!/usr/bin/env python3
"""Benchmark: key projects at 20,000 projects with about 1,000,000 monthly reports (issue 6):
the city scheduling report and the project list under 64 concurrent clients, each against a
peer doing the same database work on the same SQLite file, in one run.

Seeds `qianglian demo --scale city --seed 1 --projects 20000 --report-months 70` into a
fresh data directory (about a million reports; `--scale province` seeds the province's
300,000 enterprises too and takes minutes longer), or reuses one given with --data-dir.
Starts `qianglian serve`, signs in as the `office` demo account (session cookie through the
login form, bearer token through POST /api/v1/auth/token), then:

1. Scheduling report: `GET /api/v1/schedules?period=YYYY-MM` (this month, the whole city),
   --requests sequential requests; median and p95 of the client round trip and of
   Server-Timing. The server computes the report from its project book (crates/app/src/
   project_book.rs: every project's row, plans, `project_done`, milestones, supervision,
   late reports and 开工 days, loaded once and patched from the change feed), plus one
   statement for the ids the reader may see. Peer: Python's sqlite3 on the same file runs
   the statements such a report needs (the year's plan and the per-project summaries kept
   with the reports, `project_done` and `project.reported` —, reports submitted after the
   day, overdue milestones, overdue supervision, projects that entered 开工 this month)
   and aggregates in Python what the report shows (crates/app/src/project_schedule.rs:
   codes by the rules, totals, the stage funnel, per chain / region / responsible unit,
   unit codes, started and lagging lists). A second peer computes the same from the
   reports themselves (a GROUP BY over the months of the year and of the 12-month code
   window, then the months reported by projects with a gap), as a program without the
   summaries would. Before timing, both peers' figures must equal the server's (projects,
   active, red, yellow, green, plan, completed, funnel, started, lagging, unit codes), or
   the run fails.
2. Project list: `GET /api/v1/projects?page=N` (bearer) and `GET /projects?page=N` (cookie,
   the HTML page) under --connections concurrent connections with wrk for --duration s
   each, pages rotating over 1..--pages; p99 and requests/s; Server-Timing sampled by one
   more client during the load. Peer: as many Python threads, each with its own read-only
   sqlite3 connection, running the list's COUNT(*) and page SELECT (the office's scope:
   no scope clause; ORDER BY updated_at DESC, id DESC; 20 a page) for the same time. The
   peer's totals and page sizes are checked against the server's first.

Prints each figure with the peer's and the ratio qianglian / peer, and the bars: the
scheduling report ≤ 200 ms, the list p99 ≤ 100 ms under 64 concurrent clients.

Without wrk (`apt-get install -y wrk`) Python threads generate the load, and it says so.
Standard library only.

    python3 bench/project_schedule.py [--projects 20000] [--report-months 70] [--requests 50]
                                      [--connections 64] [--duration 20] [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import math
import os
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
import list_concurrency as lc  # noqa: E402  (wrk, its Lua script, the sampler: one copy)

BenchError = bl.BenchError

SCHEDULE_BAR_MS = 200.0
LIST_BAR_MS = 100.0
BAR_TEXT = (
    "issue 6: 20,000 projects with 1,000,000 monthly reports — the city scheduling report ≤ 200 ms, "
    "the project list page p99 ≤ 100 ms under 64 concurrent clients"
)
PER_PAGE = 20
CHINA = dt.timezone(dt.timedelta(hours=8))

TOTAL_RE = re.compile(r"共\s*<strong>(\d+)</strong>\s*个项目")
ROW_RE = re.compile(r'<td data-label="编号"')

# ---------------------------------------------------------------------------------------
# Months and days as the product counts them (domain::project::Month)
# ---------------------------------------------------------------------------------------


def ym(d: dt.date) -> tuple[int, int]:
    return d.year, d.month


def mstr(m: tuple[int, int]) -> str:
    return f"{m[0]:04d}-{m[1]:02d}"


def mparse(s: str) -> tuple[int, int]:
    return int(s[:4]), int(s[5:7])


def mnext(m):
    return (m[0] + 1, 1) if m[1] == 12 else (m[0], m[1] + 1)


def mprev(m):
    return (m[0] - 1, 12) if m[1] == 1 else (m[0], m[1] - 1)


def deadline(m) -> dt.date:
    n = mnext(m)
    return dt.date(n[0], n[1], 5)


def first_day(m) -> dt.date:
    return dt.date(m[0], m[1], 1)


def last_day(m) -> dt.date:
    return first_day(mnext(m)) - dt.timedelta(days=1)


def count_to(a, b) -> int:
    return max(b[0] * 12 + b[1] - (a[0] * 12 + a[1]) + 1, 0)


def last_overdue(today: dt.date):
    prev = mprev(ym(today))
    return prev if today > deadline(prev) else mprev(prev)


def rate(done: int, plan: int) -> float | None:
    """domain::project::rate: per cent with one decimal (f64::round: half away from zero)."""
    if plan <= 0:
        return None
    return math.floor(done * 1000.0 / plan + 0.5) / 10.0


def unit_code(red: int, yellow: int, active: int) -> str:
    if active == 0:
        return "green"
    if red >= 3 or (red * 5 >= active and red > 0):
        return "red"
    if red > 0 or ((red + yellow) * 5 >= active and yellow > 0):
        return "yellow"
    return "green"


FINAL = ("operating", "terminated")
STAGES = ("planning", "signed", "approval", "started", "building", "completed", "operating", "terminated")
RED_MILESTONE_DAYS = 30
CODE_WINDOW_MONTHS = 12


# ---------------------------------------------------------------------------------------
# The peer of the scheduling report
# ---------------------------------------------------------------------------------------

# What crates/store/src/project.rs runs: the facts read the per-project summaries kept with
# the reports (project_done: completed per month of the year; p.reported: one character per
# month since the first month).
FACTS_SQL = """
SELECT p.id, p.code, p.name, p.chain_id, p.region_code, p.unit_code, p.person_account_id, p.stage, p.stage_on,
 p.first_month, p.reported, p.total_fen, COALESCE(pl.plan_fen, 0) AS plan_fen, d.m01, d.m02, d.m03, d.m04, d.m05,
 d.m06, d.m07, d.m08, d.m09, d.m10, d.m11, d.m12
 FROM project p JOIN chain c ON c.id = p.chain_id
 LEFT JOIN project_plan pl ON pl.project_id = p.id AND pl.year = ?
 LEFT JOIN project_done d ON d.project_id = p.id AND d.year = ? WHERE 1 = 1 ORDER BY p.id
"""

REPORTS_AFTER_SQL = "SELECT project_id, month FROM project_report WHERE submitted_at >= ? AND month >= ? AND month <= ?"

# The same facts straight from the reports, without the summaries (the second peer).
RAW_FACTS_SQL = """
SELECT p.id, p.code, p.name, p.chain_id, p.region_code, p.unit_code, p.person_account_id, p.stage, p.stage_on,
 p.first_month, p.total_fen, COALESCE(pl.plan_fen, 0) AS plan_fen, COALESCE(rr.ytd, 0) AS ytd_fen,
 COALESCE(rr.mon, 0) AS month_fen, COALESCE(rr.win, 0) AS window_reports
 FROM project p JOIN chain c ON c.id = p.chain_id
 LEFT JOIN project_plan pl ON pl.project_id = p.id AND pl.year = ?
 LEFT JOIN (SELECT r.project_id, SUM(CASE WHEN r.month >= ? AND r.month <= ? THEN r.amount_fen ELSE 0 END) AS ytd,
 SUM(CASE WHEN r.month = ? THEN r.amount_fen ELSE 0 END) AS mon,
 SUM(CASE WHEN r.month >= ? AND r.month <= ? AND r.submitted_at < ? THEN 1 ELSE 0 END) AS win
 FROM project_report r WHERE r.month >= ? AND r.month <= ? GROUP BY r.project_id) rr ON rr.project_id = p.id
 WHERE 1 = 1 ORDER BY p.id
"""

MILESTONES_SQL = """
SELECT m.project_id, m.name, m.due_on FROM project_milestone m JOIN project p ON p.id = m.project_id
 JOIN chain c ON c.id = p.chain_id WHERE m.due_on < ? AND m.done_on IS NULL ORDER BY m.project_id, m.seq
"""
MILESTONES_LATER_SQL = """
SELECT m.project_id, m.name, m.due_on FROM project_milestone m JOIN project p ON p.id = m.project_id
 JOIN chain c ON c.id = p.chain_id WHERE m.due_on < ? AND m.done_on > ? ORDER BY m.project_id, m.seq
"""

SUPERVISIONS_SQL = """
SELECT v.project_id, v.title, v.due_on FROM project_supervision v JOIN project p ON p.id = v.project_id
 JOIN chain c ON c.id = p.chain_id WHERE v.due_on < ? AND v.issued_at < ? AND (v.responded_at IS NULL OR v.responded_at >= ?)
"""

STARTED_SQL = """
SELECT DISTINCT e.project_id FROM project_event e JOIN project p ON p.id = e.project_id
 JOIN chain c ON c.id = p.chain_id WHERE e.kind = 'transition' AND e.to_stage = ? AND e.on_date >= ? AND e.on_date <= ?
"""


def timestamp_text(con: sqlite3.Connection, t: dt.datetime) -> str:
    """A UTC instant written the way the server's driver writes timestamps into SQLite, so
    that text comparison orders them (RFC 3339, `T`, `+00:00`)."""
    row = con.execute("SELECT submitted_at FROM project_report LIMIT 1").fetchone()
    sample = row[0] if row else "2026-01-01T00:00:00+00:00"
    sep = "T" if "T" in sample else " "
    tz = "Z" if sample.endswith("Z") else "+00:00"
    return t.strftime(f"%Y-%m-%d{sep}%H:%M:%S") + tz


# A project's facts: (id, code, name, chain_id, region_code, unit_code, stage, stage_on,
# first_month, total, plan, ytd, month) and the months of the code window it has not reported.
F_ID, F_CODE, F_NAME, F_CHAIN, F_REGION, F_UNIT, F_STAGE, F_STAGE_ON, F_FIRST, F_TOTAL, F_PLAN, F_YTD, F_MON = range(13)


def facts_from_summaries(con, period, w0, w1, as_of, now_text):
    rows = con.execute(FACTS_SQL, (period[0], period[0])).fetchall()
    later = set()
    if as_of <= now_text:
        later = {(pid, m) for pid, m in con.execute(REPORTS_AFTER_SQL, (as_of, mstr(w0), mstr(w1)))}
    facts, flags = [], {}
    for r in rows:
        months = [v or 0 for v in r[13:25]]
        facts.append((r[0], r[1], r[2], r[3], r[4], r[5], r[7], r[8], r[9], r[11], r[12], sum(months[: period[1]]), months[period[1] - 1]))
        flags[r[0]] = r[10]

    def missing(f):
        first = mparse(f[F_FIRST])
        fl = flags[f[F_ID]]
        out, m = [], max(first, w0)
        while m <= w1:
            i = count_to(first, m) - 1
            if not (i < len(fl) and fl[i] == "1" and (f[F_ID], mstr(m)) not in later):
                out.append(m)
            m = mnext(m)
        return out

    return facts, missing


def facts_from_reports(con, period, w0, w1, as_of, now_text):
    year_start = (period[0], 1)
    lo, hi = min(mstr(year_start), mstr(w0)), max(mstr(period), mstr(w1))
    rows = con.execute(
        RAW_FACTS_SQL, (period[0], mstr(year_start), mstr(period), mstr(period), mstr(w0), mstr(w1), as_of, lo, hi)
    ).fetchall()
    facts = [(r[0], r[1], r[2], r[3], r[4], r[5], r[7], r[8], r[9], r[10], r[11], r[12], r[13]) for r in rows]
    window = {r[0]: r[14] for r in rows}
    gaps = [f[F_ID] for f in facts if count_to(max(mparse(f[F_FIRST]), w0), w1) > window[f[F_ID]]]
    reported: dict[int, set] = {}
    for i in range(0, len(gaps), 500):
        chunk = gaps[i : i + 500]
        q = (
            f"SELECT project_id, month FROM project_report WHERE project_id IN ({', '.join('?' * len(chunk))}) "
            "AND month >= ? AND month <= ? AND submitted_at < ?"
        )
        for pid, m in con.execute(q, (*chunk, mstr(w0), mstr(w1), as_of)):
            reported.setdefault(pid, set()).add(m)
    gapset = set(gaps)

    def missing(f):
        if f[F_ID] not in gapset:
            return []
        have = reported.get(f[F_ID], set())
        out, m = [], max(mparse(f[F_FIRST]), w0)
        while m <= w1:
            if mstr(m) not in have:
                out.append(m)
            m = mnext(m)
        return out

    return facts, missing


def schedule_peer(con: sqlite3.Connection, period, today: dt.date, as_of_text, raw: bool = False) -> dict:
    """What GET /api/v1/schedules?period=… computes for the office, from the same file: from
    the summaries the server reads, or (`raw`) from the reports themselves."""
    day = min(deadline(period), today)
    w1 = last_overdue(day)
    w0 = w1
    for _ in range(CODE_WINDOW_MONTHS - 1):
        w0 = mprev(w0)
    as_of = as_of_text(dt.datetime(day.year, day.month, day.day) + dt.timedelta(days=1) - dt.timedelta(hours=8))
    now_text = as_of_text(dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0))
    facts, missing_of = (facts_from_reports if raw else facts_from_summaries)(con, period, w0, w1, as_of, now_text)
    daytext = day.isoformat()
    inputs: dict[int, dict] = {}

    def inp(pid):
        x = inputs.get(pid)
        if x is None:
            x = inputs[pid] = {"ms": [], "missing": [], "sup": []}
        return x

    for sql, args in ((MILESTONES_SQL, (daytext,)), (MILESTONES_LATER_SQL, (daytext, daytext))):
        for pid, name, due in con.execute(sql, args):
            inp(pid)["ms"].append((name, dt.date.fromisoformat(due)))
    for pid, title, due in con.execute(SUPERVISIONS_SQL, (daytext, as_of, as_of)):
        inp(pid)["sup"].append((title, dt.date.fromisoformat(due)))

    def active_on(f) -> bool:
        return not (f[F_STAGE] in FINAL and dt.date.fromisoformat(f[F_STAGE_ON]) <= day)

    for f in facts:
        if active_on(f):
            gone = missing_of(f)
            if gone:
                inp(f[F_ID])["missing"].extend(gone)
    codes: dict[int, tuple[str, int]] = {}
    rank = {"green": 0, "yellow": 1, "red": 2}
    for f in facts:
        i = inputs.get(f[F_ID])
        if i is None or not active_on(f):
            continue
        worst, n = "green", 0
        for _, due in i["ms"]:
            late = (day - due).days
            if late > 0:
                c = "red" if late > RED_MILESTONE_DAYS else "yellow"
                worst, n = max(worst, c, key=rank.get), n + 1
        if i["missing"]:
            worst, n = max(worst, "red" if len(i["missing"]) >= 2 else "yellow", key=rank.get), n + 1
        for _, due in i["sup"]:
            if due < day:
                worst, n = "red", n + 1
        if worst != "green":
            codes[f[F_ID]] = (worst, n)
    started = {
        r[0]
        for r in con.execute(STARTED_SQL, ("started", first_day(period).isoformat(), last_day(period).isoformat()))
    }
    chain_names = dict(con.execute("SELECT id, name FROM chain"))
    region_names = dict(con.execute("SELECT code, name FROM region"))
    unit_names = {**region_names, **dict(con.execute("SELECT code, name FROM department"))}

    elapsed = period[1] / 12.0 * 100.0
    s = {k: 0 for k in ("projects", "active", "total_fen", "plan_fen", "ytd_fen", "month_fen", "red", "yellow", "green")}
    funnel = {st: [0, 0] for st in STAGES}
    groups = {"chain": {}, "region": {}, "unit": {}}
    started_items, lagging = [], []
    for f in facts:
        if mparse(f[F_FIRST]) > period:
            continue
        funnel[f[F_STAGE]][0] += 1
        funnel[f[F_STAGE]][1] += f[F_TOTAL]
        code = codes.get(f[F_ID], ("green", 0))
        active = active_on(f)
        is_started = f[F_ID] in started
        reasons = code[1]
        r = rate(f[F_YTD], f[F_PLAN])
        if active and r is not None and r + 20.0 < elapsed:
            reasons += 1
        item = (
            f[F_ID], f[F_CODE], f[F_NAME], chain_names.get(f[F_CHAIN], ""), region_names.get(f[F_REGION], f[F_REGION]),
            unit_names.get(f[F_UNIT], f[F_UNIT]), r, code[0],
        )
        s["projects"] += 1
        for k, v in (("total_fen", f[F_TOTAL]), ("plan_fen", f[F_PLAN]), ("ytd_fen", f[F_YTD]), ("month_fen", f[F_MON])):
            s[k] += v
        if active:
            s["active"] += 1
            s[code[0]] += 1
        for kind, key in (("chain", f[F_CHAIN]), ("region", f[F_REGION]), ("unit", f[F_UNIT])):
            g = groups[kind].setdefault(
                key, {"projects": 0, "active": 0, "started": 0, "total": 0, "plan": 0, "ytd": 0, "mon": 0, "red": 0, "yellow": 0}
            )
            g["projects"] += 1
            g["total"] += f[F_TOTAL]
            g["plan"] += f[F_PLAN]
            g["ytd"] += f[F_YTD]
            g["mon"] += f[F_MON]
            g["started"] += int(is_started)
            if active:
                g["active"] += 1
                if code[0] != "green":
                    g[code[0]] += 1
        if is_started:
            started_items.append(item)
        if reasons and active:
            lagging.append(item)
    for kind in groups:
        for g in groups[kind].values():
            g["rate"] = rate(g["ytd"], g["plan"])
    unit_colors = [unit_code(g["red"], g["yellow"], g["active"]) for g in groups["unit"].values()]
    lagging.sort(key=lambda i: (-rank[i[7]], i[6] if i[6] is not None else 0.0, i[0]))
    s.update(
        funnel={k: v[0] for k, v in funnel.items()},
        started=len(started_items),
        lagging=len(lagging),
        units_red=unit_colors.count("red"),
        units_yellow=unit_colors.count("yellow"),
        by_chain=len(groups["chain"]),
        by_region=len(groups["region"]),
        by_unit=len(groups["unit"]),
    )
    return s


def server_summary(j: dict) -> dict:
    keys = ("projects", "active", "total_fen", "plan_fen", "ytd_fen", "month_fen", "red", "yellow", "green", "units_red", "units_yellow")
    s = {k: j[k] for k in keys}
    s.update(
        funnel={f["stage"]: f["count"] for f in j["funnel"]},
        started=j["started_total"],
        lagging=j["lagging_total"],
        by_chain=len(j["by_chain"]),
        by_region=len(j["by_region"]),
        by_unit=len(j["by_unit"]),
    )
    return s


# ---------------------------------------------------------------------------------------
# The peer of the project list (store::project::list for the office: no scope clause)
# ---------------------------------------------------------------------------------------

LIST_COUNT_SQL = "SELECT COUNT(*) FROM project p JOIN chain c ON c.id = p.chain_id WHERE 1 = 1"
LIST_PAGE_SQL = """SELECT p.id, p.code, p.name, p.chain_id, c.code AS chain_code, c.name AS chain_name,
 c.lead_department_code, p.segment_id, s.name AS segment_name, p.region_code, r.name AS region_name,
 (SELECT cr.role FROM chain_region cr WHERE cr.chain_id = p.chain_id AND cr.region_code = p.region_code) AS region_role,
 p.enterprise_id, p.investor, p.kind, p.tag_effective, p.tag_rooted, p.tag_tax, p.total_fen, p.land_mu, p.land_mode,
 p.output_fen, p.tax_fen, p.content, p.unit_code,
 COALESCE((SELECT d.name FROM department d WHERE d.code = p.unit_code), (SELECT u.name FROM region u WHERE u.code = p.unit_code), p.unit_code) AS unit_name,
 p.person, p.person_account_id, p.contact, p.stage, p.stage_on, p.planned_start, p.planned_end, p.first_month,
 p.completed_fen, p.last_month, p.terminated_reason, p.version, p.created_at, p.updated_at
 FROM project p JOIN chain c ON c.id = p.chain_id JOIN region r ON r.code = p.region_code
 LEFT JOIN segment s ON s.id = p.segment_id WHERE 1 = 1 ORDER BY p.updated_at DESC, p.id DESC LIMIT ? OFFSET ?"""


def list_queries(page: int):
    return (LIST_COUNT_SQL, ()), (LIST_PAGE_SQL, (PER_PAGE, (page - 1) * PER_PAGE))


def list_server_view(port: int, t: lc.Target, page: int) -> tuple[int, int]:
    r, body = lc.get(port, f"{t.prefix}{page}", t.headers)
    if r.status != 200:
        raise BenchError(f"GET {t.prefix}{page} answered {r.status} (Location={r.headers.get('Location')!r})")
    if t.key == "api":
        j = json.loads(body)
        return j["total"], len(j["items"])
    text = body.decode("utf-8", "replace")
    m = TOTAL_RE.search(text)
    if not m:
        raise BenchError(f"GET {t.prefix}{page}: cannot find “共 N 个项目” in the page")
    return int(m.group(1)), len(ROW_RE.findall(text))


def run_list_peer(db: Path, args) -> dict:
    import random

    queries = {p: list_queries(p) for p in range(1, args.pages + 1)}
    deadline_t = time.monotonic() + args.duration
    lat: list[list[float]] = [[] for _ in range(args.connections)]

    def worker(i: int) -> None:
        rng = random.Random(args.seed * 1000 + i)
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, check_same_thread=False)
        while time.monotonic() < deadline_t:
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
    return {"ops": len(all_ms), "ops_s": len(all_ms) / secs, **bl.stats(all_ms)}


# ---------------------------------------------------------------------------------------
# Seeding
# ---------------------------------------------------------------------------------------


def counts(db: Path) -> tuple[int, int, int]:
    c = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return tuple(
            c.execute(q).fetchone()[0]
            for q in ("SELECT COUNT(*) FROM project", "SELECT COUNT(*) FROM project_report", "SELECT COUNT(*) FROM enterprise")
        )
    finally:
        c.close()


def prepare(cleanup: bl.Cleanup, binary: Path, args) -> Path:
    cmd_tail = ["--scale", args.scale, "--seed", str(args.seed)]
    if args.projects is not None:
        cmd_tail += ["--projects", str(args.projects)]
    if args.report_months is not None:
        cmd_tail += ["--report-months", str(args.report_months)]
    if args.data_dir:
        data_dir = Path(args.data_dir).resolve()
        if (data_dir / "demo-accounts.json").is_file():
            p, r, e = counts(data_dir / "qianglian.db")
            print(f"reusing the demo in {data_dir} ({p} projects, {r} reports, {e} enterprises; seeding options not applied)")
            return data_dir
        data_dir.mkdir(parents=True, exist_ok=True)
        log = data_dir.parent / f"{data_dir.name}-seed.log"
    else:
        tmp = cleanup.mkdtemp("qianglian-projects-")
        data_dir = tmp / "data"
        log = tmp / "seed.log"
    print(f"seeding: {binary.name} demo {' '.join(cmd_tail)} --data-dir {data_dir} …", flush=True)
    m = bl.run_measured(cleanup, [str(binary), "demo", *cmd_tail, "--data-dir", str(data_dir)], log, env={"RUST_LOG": "info"})
    if m.rc != 0:
        raise BenchError(f"`demo {' '.join(cmd_tail)}` exited with {m.rc}:\n{bl.tail(log)}")
    p, r, e = counts(data_dir / "qianglian.db")
    print(f"seeded {p} projects with {r} monthly reports ({e} enterprises) in {m.wall_s:.1f} s (peak RSS {m.maxrss_mib:.0f} MiB)")
    return data_dir


def check_binary(binary: Path) -> None:
    r = subprocess.run([str(binary), "demo", "--help"], capture_output=True, text=True, timeout=30)
    if "--projects" not in r.stdout:
        raise BenchError(f"{binary} has no `demo --projects` (an old build): run `cargo build --release -p qianglian`")


# ---------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------


def timed_get(conn: http.client.HTTPConnection, url: str, headers: dict[str, str]):
    t0 = time.perf_counter()
    conn.request("GET", url, headers=headers)
    r = conn.getresponse()
    body = r.read()
    return r, body, (time.perf_counter() - t0) * 1000.0


def run(args: argparse.Namespace) -> int:
    for k in ("connections", "duration", "pages", "threads", "requests"):
        if getattr(args, k) < 1:
            raise BenchError(f"--{k.replace('_', '-')} must be at least 1")
    binary, is_debug = bl.pick_binary(args.bin, "serve")
    check_binary(binary)
    have_wrk = shutil.which("wrk") is not None and not args.no_wrk
    cleanup = bl.Cleanup(args.keep)
    server = None
    rss = None
    try:
        print(f"binary: {bl.build_label(binary, is_debug)}")
        print(
            f"requests: {args.requests} sequential (schedule)   connections: {args.connections}   duration: {args.duration} s "
            f"per list target   pages: 1..{args.pages}   cores: {os.cpu_count()}"
        )
        if not have_wrk:
            print("note: wrk not found (apt-get install -y wrk) or --no-wrk: Python threads generate the load instead")
        data_dir = prepare(cleanup, binary, args)
        db = data_dir / "qianglian.db"
        projects, reports, enterprises = counts(db)
        work = cleanup.mkdtemp("qianglian-projects-work-")
        server = bl.Server(cleanup, binary, data_dir, args.port or bl.free_port(), work / "server.log")
        print(f"starting: {binary.name} serve --data-dir {data_dir} --bind 127.0.0.1:{server.port}", flush=True)
        server.start()
        took = server.wait_healthy(args.health_timeout)
        print(f"server healthy after {took:.1f} s")
        office = bl.office_account(data_dir)
        browser = bl.Client(server.port)
        browser.login(office["username"], office["password"])
        cookie = "; ".join(f"{k}={v}" for k, v in browser.cookies.items())
        token = bl.api_token(server.port, office["username"], office["password"])
        api_headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        print(f"signed in as {office['username']} (office, whole city): session cookie and bearer token")

        # ---- 1. the scheduling report
        today = dt.datetime.now(CHINA).date()
        period = ym(today)
        url = f"/api/v1/schedules?period={mstr(period)}"
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=600)
        r, body, first_ms = timed_get(conn, url, api_headers)
        if r.status != 200:
            raise BenchError(f"GET {url} answered {r.status}: {body[:300].decode('utf-8', 'replace')!r}")
        sj = json.loads(body)
        peer_con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        as_of_text = lambda t: timestamp_text(peer_con, t)  # noqa: E731
        if dt.datetime.now(CHINA).date() != today:
            raise BenchError("the day changed during the run: rerun")
        mine = server_summary(sj)
        for raw in (False, True):
            theirs = schedule_peer(peer_con, period, today, as_of_text, raw=raw)
            diff = {k: (mine[k], theirs[k]) for k in mine if mine[k] != theirs[k]}
            if diff:
                what = "the peer computing from the reports" if raw else "the peer"
                raise BenchError(
                    f"{url}: the server and {what} disagree on {diff} (server, peer): the SQL or the rules mirrored "
                    "in project_schedule.py are out of date"
                    + (", or the summaries (project_done, project.reported) do not match the reports" if raw else "")
                )
        print(
            f"schedule {mstr(period)} checked against the peer: {mine['projects']} projects, {mine['active']} under way, "
            f"red {mine['red']} yellow {mine['yellow']}, {mine['started']} started this month, {mine['lagging']} lagging, "
            f"units red {mine['units_red']} yellow {mine['units_yellow']} (first request {first_ms:.0f} ms, {len(body) / 1e6:.1f} MB of JSON)"
        )
        # Cold: each of the previous 12 months once (a report not computed before: the server
        # keeps a computed report while no project changes, so repeats of one month are warm).
        cold, cold_timing = [], []
        for k in range(1, 13):
            y, m = period
            m -= k
            while m < 1:
                y, m = y - 1, m + 12
            r, body_k, ms = timed_get(conn, f"/api/v1/schedules?period={y:04d}-{m:02d}", api_headers)
            if r.status != 200:
                raise BenchError(f"GET schedule {y}-{m} answered {r.status}")
            cold.append(ms)
            cold_timing.append(bl.server_timing_ms(r))
        wall, timing = [], []
        for _ in range(args.requests):
            r, body, ms = timed_get(conn, url, api_headers)
            if r.status != 200:
                raise BenchError(f"GET {url} answered {r.status}")
            wall.append(ms)
            timing.append(bl.server_timing_ms(r))
        conn.close()
        peer_ms: dict[bool, list[float]] = {False: [], True: []}
        for raw in (False, True):
            for _ in range(args.requests):
                t0 = time.perf_counter()
                schedule_peer(peer_con, period, today, as_of_text, raw=raw)
                peer_ms[raw].append((time.perf_counter() - t0) * 1000.0)
        peer_con.close()
        sched = {
            "cold": bl.stats(cold),
            "cold_timing": bl.stats(cold_timing),
            "wall": bl.stats(wall),
            "timing": bl.stats(timing),
            "peer": bl.stats(peer_ms[False]),
            "raw": bl.stats(peer_ms[True]),
        }
        print(f"  qianglian cold (12 months, computed)  {bl.fmt(sched['cold'])}")
        print(f"  qianglian cold Server-Timing          {bl.fmt(sched['cold_timing'])}")
        print(f"  qianglian round trip (repeat, cached) {bl.fmt(sched['wall'])}")
        print(f"  qianglian Server-Timing               {bl.fmt(sched['timing'])}")
        print(f"  peer sqlite3 + Python, same SQL       {bl.fmt(sched['peer'])}")
        print(f"  peer sqlite3 + Python, from reports   {bl.fmt(sched['raw'])}")

        # ---- 2. the project list under load
        targets = [
            lc.Target("api", "/api/v1/projects?page=N", "/api/v1/projects?page=", api_headers),
            lc.Target("page", "/projects?page=N (HTML)", "/projects?page=", {"Cookie": cookie, "Accept": "text/html"}),
        ]
        peer_con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        for p in sorted({1, min(2, args.pages), args.pages}):
            (csql, cargs), (psql, pargs) = list_queries(p)
            total = peer_con.execute(csql, cargs).fetchone()[0]
            rows = len(peer_con.execute(psql, pargs).fetchall())
            for t in targets:
                st, sr = list_server_view(server.port, t, p)
                if (st, sr) != (total, rows):
                    raise BenchError(
                        f"{t.prefix}{p}: server shows total {st} with {sr} rows, the peer's SQL gives {total} with {rows}: "
                        "the list SQL mirrored in project_schedule.py is out of date"
                    )
        peer_con.close()
        print(f"\nlist peer SQL checked against the server on pages 1, 2, {args.pages} (total {total})")
        results: dict[str, dict] = {}
        baseline = {t.key: lc.unloaded_ms(server.port, t) for t in targets}
        print("unloaded round trip, page 1: " + ", ".join(f"{t.label} {baseline[t.key]:.1f} ms" for t in targets))
        for t in targets:
            lc.settle(server.port, t, baseline[t.key])
            print(f"\nload: {t.label}, {args.connections} connections, {args.duration} s …", flush=True)
            sampler = lc.Sampler(server.port, t, args.pages, args.seed)
            sampler.start()
            try:
                res = lc.run_wrk(cleanup, work, server.port, t, args) if have_wrk else lc.run_python_load(server.port, t, args)
            finally:
                sampler.stop_at.set()
                sampler.join(timeout=120)
            if sampler.failures:
                raise BenchError(f"{t.label}: the sampling client saw failures, e.g. {sampler.failures[:3]}")
            if res["non2xx"]:
                raise BenchError(f"{t.label}: {res['non2xx']} non-2xx answers under load")
            res["timeouts"] += sampler.timeouts
            list_server_view(server.port, t, 1)
            res["timing"] = bl.stats(sampler.durs) if sampler.durs else None
            results[t.key] = res
            print(
                f"  {res['tool']}: {res['requests']} requests, {res['rps']:.1f} req/s, latency p50 {res['p50']:.1f} ms "
                f"p90 {res['p90']:.1f} ms p99 {res['p99']:.1f} ms max {res['max']:.1f} ms"
            )
            if res["timeouts"] or res["errors"]:
                print(f"  {res['timeouts']} requests timed out, {res['errors']} socket errors")
            if res["timing"]:
                print(f"  Server-Timing of {len(sampler.durs)} sampled requests under load: {bl.fmt(res['timing'])}")
        rss = server.rss_mib()
        lc.settle(server.port, targets[0], baseline[targets[0].key])
        server.stop()
        server = None
        print(f"\nlist peer: {args.connections} Python threads, sqlite3 COUNT + page SELECT, {args.duration} s …", flush=True)
        peer = run_list_peer(db, args)
        print(f"  {peer['ops']} operations, {peer['ops_s']:.1f} ops/s, {bl.fmt(peer)}")
    finally:
        if server is not None:
            server.stop()
        cleanup.close()

    if rss is not None:
        print(f"\nserver RSS after the load: {rss:.0f} MiB")
    print("ratios: latency qianglian / peer (above 1: qianglian is slower); throughput qianglian / peer (above 1: faster)")
    print()
    data = f"{projects} projects, {reports} reports"
    w, tm, pr, rw = sched["wall"], sched["timing"], sched["peer"], sched["raw"]
    print(
        f"scheduling report GET {url}, {data}, {args.requests} sequential: qianglian p50 {w['p50']:.1f} ms p95 {w['p95']:.1f} ms "
        f"(server time p50 {tm['p50']:.1f} p95 {tm['p95']:.1f}) | sqlite3 + Python (same SQL) p50 {pr['p50']:.1f} ms p95 {pr['p95']:.1f} ms | "
        f"ratio p50 {w['p50']:.1f}/{pr['p50']:.1f} = {bl.ratio(w['p50'], pr['p50']):.2f}, p95 {bl.ratio(w['p95'], pr['p95']):.2f}"
    )
    print(
        f"scheduling report, peer from the reports (no summaries): p50 {rw['p50']:.1f} ms p95 {rw['p95']:.1f} ms | "
        f"ratio p50 {w['p50']:.1f}/{rw['p50']:.1f} = {bl.ratio(w['p50'], rw['p50']):.2f}"
    )
    for t in targets:
        r = results[t.key]
        print(
            f"project list {t.label}, {data}, {args.connections} connections: qianglian ({r['tool']}) p99 {r['p99']:.1f} ms, "
            f"{r['rps']:.1f} req/s | sqlite3 {args.connections} threads COUNT+SELECT p99 {peer['p99']:.1f} ms, {peer['ops_s']:.1f} ops/s | "
            f"ratio p99 {r['p99']:.1f}/{peer['p99']:.1f} = {bl.ratio(r['p99'], peer['p99']):.2f}, throughput {bl.ratio(r['rps'], peer['ops_s']):.2f}"
        )
    print(f"quality bar: {BAR_TEXT}")
    c = sched["cold"]
    print(
        f"scheduling report cold (computed, 12 months): p50 {c['p50']:.1f} ms p95 {c['p95']:.1f} ms | "
        f"ratio p50 {c['p50']:.1f}/{pr['p50']:.1f} = {bl.ratio(c['p50'], pr['p50']):.2f}"
    )
    print(f"  {'scheduling report, cold':<30} p50 {c['p50']:.1f} ms, p95 {c['p95']:.1f} ms -> {bl.verdict(c['p95'] <= SCHEDULE_BAR_MS)} the bar (≤ {SCHEDULE_BAR_MS:.0f} ms, p95 taken)")
    print(f"  {'scheduling report, repeated':<30} p50 {w['p50']:.1f} ms, p95 {w['p95']:.1f} ms -> {bl.verdict(w['p95'] <= SCHEDULE_BAR_MS)} the bar (≤ {SCHEDULE_BAR_MS:.0f} ms, p95 taken)")
    for t in targets:
        r = results[t.key]
        why = []
        if r["timeouts"] or r["errors"]:
            why.append(f"{r['timeouts']} timeouts, {r['errors']} socket errors")
        if r["requests"] < lc.MIN_REQUESTS:
            why.append(f"only {r['requests']} requests completed")
        ok = r["p99"] <= LIST_BAR_MS and not why
        note = f" ({'; '.join(why)})" if why else ""
        print(f"  {t.label:<30} p99 {r['p99']:.1f} ms -> {bl.verdict(ok)} the bar (p99 ≤ {LIST_BAR_MS:.0f} ms){note}")
    if not have_wrk:
        print("  (load from Python threads, not wrk: the bar is defined with wrk)")
    if projects < 20_000 or reports < 900_000:
        print(f"  (the bar is for 20,000 projects with 1,000,000 reports; this run has {projects} with {reports})")
    if is_debug:
        print("  (debug build: the bar applies to the release build; rerun with target/release/qianglian)")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", help="the qianglian binary (default target/release/qianglian, else target/debug/qianglian)")
    ap.add_argument("--scale", choices=("city", "province"), default="city", help="demo scale of the enterprises (default city)")
    ap.add_argument("--projects", type=int, default=20_000, help="projects to seed (default 20000)")
    ap.add_argument("--report-months", type=int, default=70, help="months of report history (default 70: about 1,000,000 reports)")
    ap.add_argument("--seed", type=int, default=1, help="demo seed and page-rotation seed (default 1)")
    ap.add_argument("--data-dir", help="use this data directory: reuse its demo if seeded, else seed it; it is kept")
    ap.add_argument("--requests", type=int, default=50, help="sequential scheduling-report requests and peer runs (default 50)")
    ap.add_argument("--connections", type=int, default=64, help="concurrent connections, and list peer threads (default 64)")
    ap.add_argument("--duration", type=int, default=20, help="seconds of load per list target and for the peer (default 20)")
    ap.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    ap.add_argument("--pages", type=int, default=100, help="list page numbers rotated over, 1..N (default 100)")
    ap.add_argument("--no-wrk", action="store_true", help="use the Python load generator even if wrk is installed")
    ap.add_argument("--port", type=int, default=0, help="port to serve on (default: a free one)")
    ap.add_argument("--health-timeout", type=float, default=3600.0, help="seconds to wait for /healthz (default 3600)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directories")
    args = ap.parse_args()
    return bl.main_wrapper(run, args)


if __name__ == "__main__":
    sys.exit(main())

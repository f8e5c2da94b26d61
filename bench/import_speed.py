#!/usr/bin/env python3
"""Benchmark: `qianglian import enterprises` from csv and xlsx, against peers, in one run.

Generates N fictitious enterprises (valid GB 32100 codes, Dazhou counties by name or code,
GB/T 4754 class codes, revenue, employees, founding date, address) as a UTF-8 csv and, when
openpyxl is importable, as an xlsx with the same rows. Then it times, each into a fresh
directory or database and each as its own process (wall clock from fork to exit, nothing
subtracted; peak RSS from that process's rusage):

  qianglian  `qianglian import enterprises FILE --data-dir FRESH` (csv, then xlsx)
  floor      `sqlite3 floor.db ".import --csv FILE t"`: no validation at all
             (Python's sqlite3 executemany into a plain table when the sqlite3 CLI is missing)
  pandas     pandas.read_csv + the same validation, vectorised (check character, county
             lookup, class code in the set, numbers, dates, lengths, duplicate codes), then
             executemany into an enterprise table with the product's indexes, one transaction
  csv        the same with the csv module, row by row (always run: the stdlib peer)
  openpyxl   for the xlsx: openpyxl read-only + the same validation + the same insert

and prints rows/s for each and the ratios. `--rows 1000000 --memory-only` runs the
1,000,000-row memory check (qianglian csv import only).

Standard library, plus pandas/openpyxl for those peers when installed
(`pip install openpyxl pandas`; without them those parts are skipped and say so).

    python3 bench/import_speed.py [--rows 100000] [--repeat 3] [--bin target/release/qianglian]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib as bl  # noqa: E402

BenchError = bl.BenchError

# Issue 3 §6 bars.
CSV_BAR = 50_000  # rows/s, full validation
XLSX_BAR = 20_000  # rows/s
MEMORY_BAR_MIB = 1024  # peak RSS of a 1,000,000-row import
MEMORY_BAR_ROWS = 1_000_000

HEADERS = ["统一社会信用代码", "企业名称", "所属区县", "行业代码", "营业收入（万元）", "从业人员", "成立日期", "地址"]

# ---------------------------------------------------------------------------------------
# Reference data (the product's own files under data/)
# ---------------------------------------------------------------------------------------

DATA = bl.REPO / "data"
CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CHARVAL = {c: i for i, c in enumerate(CHARSET)}
WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def read_csv_dicts(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def counties() -> list[tuple[str, str]]:
    return [(r["code"], r["name"]) for r in read_csv_dicts(DATA / "dazhou_divisions_county.csv") if r["level"] == "county"]


def parks() -> list[tuple[str, str]]:
    return [(r["code"], r["name"]) for r in read_csv_dicts(DATA / "parks.csv")]


def industry_classes() -> dict[str, str]:
    """4-digit class code → section letter."""
    return {r["code"]: r["section"] for r in read_csv_dicts(DATA / "gbt4754_2017.csv") if r["level"] == "class"}


def region_lookup() -> dict[str, tuple[str, str]]:
    """Text → (code, kind), as import.rs builds it: code, name, and name less 区/县/市."""
    m: dict[str, tuple[str, str]] = {}
    for kind, rows in (("county", counties()), ("park", parks())):
        for code, name in rows:
            for k in (code, name, name.rstrip("区县市")):
                m.setdefault(k, (code, kind))
    return m


def check_char(first17: str) -> str:
    s = sum(CHARVAL[c] * w for c, w in zip(first17, WEIGHTS))
    return CHARSET[(31 - s % 31) % 31]


# ---------------------------------------------------------------------------------------
# Generating the files
# ---------------------------------------------------------------------------------------


def generate_rows(n: int, seed: int) -> list[list]:
    """Rows as typed values: [uscc, name, region text, industry, revenue (float|None),
    employees (int|None), founded (date), address]."""
    rng = random.Random(seed)
    cs = counties()
    classes = sorted(industry_classes())
    words = read_csv_dicts(DATA / "demo" / "name_words.csv")
    brands = [w["word"] for w in words if w["kind"] == "brand"]
    suffixes = [w["word"] for w in words if w["kind"] == "suffix"]
    streets = [w["word"] for w in words if w["kind"] == "street"]
    keywords = sorted({k for r in read_csv_dicts(DATA / "chains.csv") for k in r["keywords"].split(";") if k})
    today = dt.date.today()
    seen: set[str] = set()
    rows = []
    for i in range(n):
        code, cname = rng.choice(cs)
        while True:
            first17 = "91" + code + "".join(rng.choice(CHARSET) for _ in range(9))
            uscc = first17 + check_char(first17)
            if uscc not in seen:
                seen.add(uscc)
                break
        region = code if rng.random() < 0.3 else cname  # by code or by name, as files come
        name = f"{rng.choice(brands)}{rng.choice(keywords)}{rng.choice(suffixes)}（测试{i + 1}）"
        revenue = None if rng.random() < 0.1 else round(rng.uniform(10, 200_000), 2)
        employees = None if rng.random() < 0.1 else rng.randint(1, 5000)
        founded = dt.date(rng.randint(1985, today.year - 1), rng.randint(1, 12), rng.randint(1, 28))
        address = f"{cname}{rng.choice(streets)}{rng.randint(1, 999)}号"
        rows.append([uscc, name, region, rng.choice(classes), revenue, employees, founded, address])
    return rows


def as_text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, (dt.date, dt.datetime)):
        return v.strftime("%Y-%m-%d")
    if isinstance(v, float):
        return format(v, ".2f")
    return str(v)


def write_csv(path: Path, rows: list[list]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(HEADERS)
        for r in rows:
            w.writerow([as_text(v) for v in r])


def write_xlsx(path: Path, rows: list[list]) -> None:
    """As an office worker's workbook would hold them: codes as text, revenue and employees
    as numbers, the founding date as a date cell."""
    import openpyxl

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("企业名录")
    ws.append(HEADERS)
    for r in rows:
        ws.append(r)
    wb.save(path)


# ---------------------------------------------------------------------------------------
# The peers. Each runs as its own process (`--peer-run KIND`), so that its wall clock
# includes interpreter start and imports just as qianglian's includes its start, and its
# peak RSS is its own. The child prints one JSON line: {"rows", "inserted", "errors"}.
# ---------------------------------------------------------------------------------------

PEER_SCHEMA = """
CREATE TABLE enterprise (
    id INTEGER PRIMARY KEY,
    uscc TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    region_code TEXT NOT NULL,
    park_code TEXT,
    industry_code TEXT NOT NULL,
    employees BIGINT,
    revenue_fen BIGINT,
    assets_fen BIGINT,
    size TEXT,
    above_scale BOOLEAN NOT NULL,
    founded_on DATE,
    address TEXT NOT NULL,
    contact_name TEXT NOT NULL,
    contact_phone TEXT NOT NULL,
    description TEXT NOT NULL,
    is_demo BOOLEAN NOT NULL,
    archived BOOLEAN NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX enterprise_region ON enterprise (region_code);
CREATE INDEX enterprise_park ON enterprise (park_code) WHERE park_code IS NOT NULL;
CREATE INDEX enterprise_industry ON enterprise (industry_code);
CREATE INDEX enterprise_name ON enterprise (name) WHERE archived = FALSE;
"""

INSERT = (
    "INSERT INTO enterprise (uscc, name, region_code, park_code, industry_code, employees, revenue_fen, assets_fen, "
    "size, above_scale, founded_on, address, contact_name, contact_phone, description, is_demo, archived, version, "
    "created_at, updated_at) VALUES (?, ?, ?, NULL, ?, ?, ?, NULL, NULL, ?, ?, ?, '', '', '', 0, 0, 1, ?, ?)"
)
FEN_PER_WAN = 1_000_000
INDUSTRIAL = {"B", "C", "D"}
ABOVE_SCALE_FEN = 2000 * FEN_PER_WAN  # 规上工业: 主营业务收入 2000 万元及以上

COL_KEYS = ["uscc", "name", "region", "industry", "revenue", "employees", "founded", "address"]
COL_LABEL = dict(zip(COL_KEYS, HEADERS))
FULL_TO_HALF = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}
REVENUE_RE = re.compile(r"(?:\d+(?:\.\d{0,6})?|\.\d{1,6})")
INDUSTRY_RE = re.compile(r"([A-Z]?)(\d{4})")


def peer_insert(db_path: Path, records: list[tuple]) -> None:
    """The write side shared by every validating peer: 16 KiB pages, WAL and synchronous=FULL
    as the product opens a new SQLite database, as many indexes as the product keeps on
    enterprise, one transaction, executemany."""
    con = sqlite3.connect(db_path, isolation_level=None)
    con.execute("PRAGMA page_size=16384")
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=FULL")
    con.executescript(PEER_SCHEMA)
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
    con.execute("BEGIN")
    con.executemany(INSERT, (r + (now, now) for r in records))
    con.execute("COMMIT")
    con.close()


def parse_date(s: str, today: dt.date) -> tuple[str | None, str | None]:
    """(ISO date, None) or (None, message). YYYY-MM-DD and YYYY/M/D."""
    for f in ("%Y-%m-%d", "%Y/%m/%d"):
        try:
            d = dt.datetime.strptime(s, f).date()
        except ValueError:
            continue
        if d > today or d.year < 1800:
            return None, "成立日期不能晚于今天"
        return d.isoformat(), None
    return None, "无法识别的日期"


def validate_rowwise(rows, refs) -> tuple[list, list]:
    """Row by row, the rules of import.rs + enterprise::validate_with. `rows` yields lists
    of 8 strings in HEADERS order. Returns (errors, records)."""
    regions, classes, today = refs
    errors, records = [], []
    seen: dict[str, int] = {}
    for n, cells in enumerate(rows):
        line = n + 2
        cells = (list(cells) + [""] * 8)[:8]
        uscc_t, name_t, region_t, ind_t, rev_t, emp_t, founded_t, addr_t = cells
        errs = []
        u = uscc_t.translate(FULL_TO_HALF).strip().upper()
        if len(u) != 18:
            errs.append(("uscc", "统一社会信用代码应为18位"))
        elif any(c not in CHARVAL for c in u):
            errs.append(("uscc", "含非法字符"))
        elif check_char(u[:17]) != u[17]:
            errs.append(("uscc", "第18位校验码错误"))
        name = name_t.strip()
        if not name or len(name) > 100:
            errs.append(("name", "企业名称不能为空，且不超过100字"))
        reg = regions.get(region_t.strip())
        if reg is None or reg[1] != "county":
            errs.append(("region", "不是县级区划"))
        ind = re.sub(r"\s", "", ind_t.translate(FULL_TO_HALF)).upper()
        m = INDUSTRY_RE.fullmatch(ind)
        if not m or m.group(2) not in classes or (m.group(1) and m.group(1) != classes[m.group(2)]):
            errs.append(("industry", "不是GB/T 4754小类代码"))
        emp = emp_t.replace(",", "").replace("，", "").strip()
        emp_v = None
        if emp:
            if emp.isdigit() and int(emp) <= 10_000_000:
                emp_v = int(emp)
            else:
                errs.append(("employees", "从业人员应为整数"))
        rev = re.sub(r"[,，\s]", "", rev_t)
        rev_v = None
        if rev:
            if REVENUE_RE.fullmatch(rev):
                i, _, f = rev.partition(".")
                rev_v = int(i or "0") * FEN_PER_WAN + int((f + "000000")[:6])
            else:
                errs.append(("revenue", "营业收入格式错误"))
        founded = None
        if founded_t.strip():
            founded, msg = parse_date(founded_t.strip(), today)
            if msg:
                errs.append(("founded", msg))
        addr = addr_t.strip()
        if len(addr) > 200:
            errs.append(("address", "地址过长"))
        if not errs:
            first = seen.setdefault(u, line)
            if first != line:
                errs.append(("uscc", f"与第 {first} 行重复"))
        if errs:
            errors.extend((line, COL_LABEL[k], cells[COL_KEYS.index(k)], msg) for k, msg in errs)
            continue
        above = m.group(2) and classes[m.group(2)] in INDUSTRIAL and (rev_v or 0) >= ABOVE_SCALE_FEN
        records.append((u, name, reg[0], m.group(2), emp_v, rev_v, 1 if above else 0, founded, addr))
    return errors, records


def validate_frame(df, refs) -> tuple[list, list]:
    """The same rules, vectorised with pandas/numpy. `df` has the 8 columns as strings."""
    import numpy as np
    import pandas as pd

    regions, classes, today = refs
    df.columns = COL_KEYS
    n = len(df)
    bad = {}
    u = df["uscc"].str.translate(FULL_TO_HALF).str.strip().str.upper()
    ok_shape = u.str.fullmatch(r"[0-9A-HJ-NPQRTUWXY]{18}").fillna(False).to_numpy(bool)
    bad["uscc_shape"] = ~ok_shape
    # Check character: the 17 values times the weights, with numpy over the well-formed codes.
    lut = np.full(256, 0, dtype=np.int64)
    for c, v in CHARVAL.items():
        lut[ord(c)] = v
    idx = np.nonzero(ok_shape)[0]
    bad_check = np.zeros(n, bool)
    if len(idx):
        raw = np.frombuffer("".join(u.iloc[idx]).encode("ascii"), dtype=np.uint8).reshape(-1, 18)
        vals = lut[raw]
        expect = (31 - (vals[:, :17] @ np.array(WEIGHTS, dtype=np.int64)) % 31) % 31
        bad_check[idx] = expect != vals[:, 17]
    bad["uscc_check"] = bad_check
    name = df["name"].str.strip()
    bad["name"] = ((name.str.len() == 0) | (name.str.len() > 100)).to_numpy(bool)
    county = {k: v[0] for k, v in regions.items() if v[1] == "county"}
    region_code = df["region"].str.strip().map(county)
    bad["region"] = region_code.isna().to_numpy(bool)
    ind = df["industry"].str.translate(FULL_TO_HALF).str.replace(r"\s", "", regex=True).str.upper()
    parts = ind.str.extract(r"^([A-Z]?)(\d{4})$")
    section = parts[1].map(classes)
    bad["industry"] = (section.isna() | ((parts[0].fillna("") != "") & (parts[0] != section))).to_numpy(bool)
    emp = df["employees"].str.replace(r"[,，]", "", regex=True).str.strip()
    emp_num = pd.to_numeric(emp.where(emp.str.fullmatch(r"\d+")), errors="coerce")
    bad["employees"] = ((emp != "") & (emp_num.isna() | (emp_num > 10_000_000))).to_numpy(bool)
    rev = df["revenue"].str.replace(r"[,，\s]", "", regex=True)
    rev_ok = rev.str.fullmatch(REVENUE_RE.pattern)
    bad["revenue"] = ((rev != "") & ~rev_ok).to_numpy(bool)
    rev_parts = rev.where(rev_ok & (rev != "")).str.partition(".")
    rev_fen = (
        pd.to_numeric(rev_parts[0].replace("", "0"), errors="coerce") * FEN_PER_WAN
        + pd.to_numeric(rev_parts[2].str.pad(6, side="right", fillchar="0").str[:6].replace("", "0"), errors="coerce")
    )
    fs = df["founded"].str.strip()
    d1 = pd.to_datetime(fs, format="%Y-%m-%d", errors="coerce")
    d2 = pd.to_datetime(fs.where(d1.isna()), format="%Y/%m/%d", errors="coerce")
    founded = d1.fillna(d2)
    bad["founded"] = (
        ((fs != "") & founded.isna()) | (founded > pd.Timestamp(today)) | (founded.dt.year < 1800)
    ).to_numpy(bool)
    bad["address"] = (df["address"].str.strip().str.len() > 200).to_numpy(bool)
    any_bad = np.zeros(n, bool)
    for v in bad.values():
        any_bad |= v
    dup = u.duplicated(keep="first").to_numpy(bool) & ~any_bad
    bad["dup"] = dup
    any_bad |= dup
    col_of = {"uscc_shape": "uscc", "uscc_check": "uscc", "dup": "uscc"}
    errors = []
    for k, mask in bad.items():
        col = col_of.get(k, k)
        for i in np.nonzero(mask)[0]:
            errors.append((int(i) + 2, COL_LABEL[col], df[col].iat[i], k))
    errors.sort()
    good = ~any_bad
    above = section.isin(INDUSTRIAL) & (rev_fen.fillna(0) >= ABOVE_SCALE_FEN)
    f_iso = founded.dt.strftime("%Y-%m-%d")
    cols = [
        u[good],
        name[good],
        region_code[good],
        parts[1][good],
        emp_num[good].astype("Int64").astype(object).where(emp_num[good].notna(), None),
        rev_fen[good].astype("Int64").astype(object).where(rev_fen[good].notna(), None),
        above[good].astype(int),
        f_iso[good].astype(object).where(f_iso[good].notna(), None),
        df["address"][good].str.strip(),
    ]
    records = list(zip(*(c.tolist() for c in cols)))
    return errors, records


def xlsx_cell_text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, (dt.datetime, dt.date)):
        return v.strftime("%Y-%m-%d")
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(v)
    return str(v)


def peer_main(kind: str, file: Path, db: Path) -> int:
    refs = (region_lookup(), industry_classes(), dt.date.today())
    if kind == "floor-executemany":  # the floor without the sqlite3 CLI: no validation
        with open(file, encoding="utf-8-sig", newline="") as f:
            r = csv.reader(f)
            header = next(r)
            con = sqlite3.connect(db, isolation_level=None)
            con.execute(f"CREATE TABLE t ({', '.join(f'c{i} TEXT' for i in range(len(header)))})")
            con.execute("BEGIN")
            con.executemany(f"INSERT INTO t VALUES ({', '.join('?' * len(header))})", r)
            con.execute("COMMIT")
            n = con.execute("SELECT COUNT(*) FROM t").fetchone()[0]
            con.close()
        print(json.dumps({"rows": n, "inserted": n, "errors": 0}))
        return 0
    if kind == "csv":
        with open(file, encoding="utf-8-sig", newline="") as f:
            r = csv.reader(f)
            next(r)
            rows = list(r)
        errors, records = validate_rowwise(rows, refs)
    elif kind == "pandas":
        import pandas as pd

        df = pd.read_csv(file, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        rows = df
        errors, records = validate_frame(df, refs)
    elif kind in ("openpyxl", "openpyxl-pandas"):
        import openpyxl

        wb = openpyxl.load_workbook(file, read_only=True, data_only=True)
        it = wb.worksheets[0].iter_rows(values_only=True)
        next(it)
        rows = [[xlsx_cell_text(v) for v in r[:8]] for r in it if any(v is not None for v in r)]
        wb.close()
        if kind == "openpyxl-pandas":
            import pandas as pd

            errors, records = validate_frame(pd.DataFrame(rows, dtype=str), refs)
        else:
            errors, records = validate_rowwise(rows, refs)
    else:
        raise SystemExit(f"unknown peer {kind}")
    if not errors:
        peer_insert(db, records)
    print(json.dumps({"rows": len(rows), "inserted": 0 if errors else len(records), "errors": len(errors),
                      "first_errors": [list(map(str, e)) for e in errors[:5]]}, ensure_ascii=False))
    return 0


def self_test_rows() -> list[list[str]]:
    """Ten rows: three good, then one bad field per row (lines 5-10) and a duplicate code
    (line 11)."""
    rows = [[as_text(v) for v in r] for r in generate_rows(10, 7)]
    u = rows[3][0]
    rows[3][0] = u[:17] + ("0" if u[17] != "0" else "1")
    rows[4][2] = "不存在县"
    rows[5][3] = "261"
    rows[6][2] = "达州高新区"
    rows[7][4] = "十万"
    rows[8][6] = "2999-01-01"
    rows[9][0] = rows[0][0]
    return rows


BAD_LINES = list(range(5, 12))


def self_test() -> None:
    """The validating peers must refuse what the product refuses: a bad check character, an
    unknown county, a 3-digit code, a park as county, text as revenue, a future date, a
    duplicate code; and both peers must agree on what they accept."""
    refs = (region_lookup(), industry_classes(), dt.date.today())
    rows = self_test_rows()
    e1, r1 = validate_rowwise(rows, refs)
    assert sorted({e[0] for e in e1}) == list(range(5, 12)), e1
    assert len(r1) == 3, r1
    try:
        import pandas as pd
    except ImportError:
        return
    e2, r2 = validate_frame(pd.DataFrame(rows, dtype=str), refs)
    assert sorted({e[0] for e in e2}) == list(range(5, 12)), e2
    assert r1 == r2, (r1, r2)


# ---------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------


def have(module: str) -> bool:
    try:
        __import__(module)
        return True
    except ImportError:
        return False


class Result:
    def __init__(self, label: str, rows: int, m: bl.Measured):
        self.label, self.rows, self.m = label, rows, m

    @property
    def rate(self) -> float:
        return self.rows / self.m.wall_s if self.m.wall_s > 0 else float("inf")

    def line(self) -> str:
        return f"  {self.label:<52} {self.rate:>11,.0f} rows/s  {self.m.wall_s:8.2f} s  peak RSS {self.m.maxrss_mib:7.0f} MiB"


def run_qianglian(cleanup, binary: Path, tmp: Path, file: Path, rows: int, tag: str) -> bl.Measured:
    data_dir = tmp / f"qianglian-{tag}"
    log = tmp / f"qianglian-{tag}.log"
    m = bl.run_measured(cleanup, [str(binary), "import", "enterprises", str(file), "--data-dir", str(data_dir)], log)
    out = m.output()
    if m.rc != 0:
        raise BenchError(f"qianglian import of {file.name} exited with {m.rc}:\n{bl.tail(log, 40)}")
    mm = re.search(r"已导入：(\d+) 行，新增 (\d+)", out)
    if not mm or int(mm.group(1)) != rows or int(mm.group(2)) != rows:
        raise BenchError(f"qianglian import of {file.name}: expected {rows} rows created, got:\n{bl.tail(log, 10)}")
    stored = bl.enterprise_count(data_dir)
    if stored != rows:
        raise BenchError(f"qianglian import of {file.name}: {stored} enterprises in the database, expected {rows}")
    shutil.rmtree(data_dir, ignore_errors=True)  # free the disk between runs
    return m


def run_peer(cleanup, tmp: Path, kind: str, file: Path, rows: int) -> bl.Measured:
    db = tmp / f"peer-{kind}.db"
    log = tmp / f"peer-{kind}.log"
    m = bl.run_measured(cleanup, [sys.executable, str(Path(__file__).resolve()), "--peer-run", kind, "--peer-file", str(file), "--peer-db", str(db)], log)
    out = m.output().strip().splitlines()
    if m.rc != 0 or not out:
        raise BenchError(f"peer {kind} exited with {m.rc}:\n{bl.tail(log, 30)}")
    res = json.loads(out[-1])
    if res["errors"] or res["inserted"] != rows:
        raise BenchError(f"peer {kind}: expected {rows} rows inserted, got {res}")
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    return m


def run_floor_cli(cleanup, tmp: Path, file: Path, rows: int) -> bl.Measured:
    db = tmp / "floor.db"
    log = tmp / "floor.log"
    m = bl.run_measured(cleanup, ["sqlite3", str(db), f".import --csv {file} t"], log)
    if m.rc != 0:
        raise BenchError(f"sqlite3 .import exited with {m.rc}:\n{bl.tail(log)}")
    n = sqlite3.connect(db).execute("SELECT COUNT(*) FROM t").fetchone()[0]
    if n != rows:
        raise BenchError(f"sqlite3 .import stored {n} rows, expected {rows}:\n{bl.tail(log)}")
    db.unlink(missing_ok=True)
    return m


def check_product_agrees(cleanup, binary: Path, tmp: Path) -> None:
    """The product must refuse the self-test file on the same lines as the peers do, or the
    peers' validation is not the same work."""
    path = tmp / "selftest.csv"
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(HEADERS)
        w.writerows(self_test_rows())
    m = bl.run_measured(
        cleanup,
        [str(binary), "import", "enterprises", str(path), "--dry-run", "--data-dir", str(tmp / "qianglian-selftest")],
        tmp / "selftest.log",
    )
    out = m.output()
    lines = sorted({int(x) for x in re.findall(r"^第 (\d+) 行 \[", out, re.M)})
    if m.rc == 0 or lines != BAD_LINES:
        raise BenchError(
            f"validation drift: the peers refuse lines {BAD_LINES} of the self-test file, "
            f"qianglian (exit {m.rc}) refuses {lines}:\n{out[-2000:]}"
        )
    shutil.rmtree(tmp / "qianglian-selftest", ignore_errors=True)
    print(f"validation agreement: qianglian and the peers refuse the same lines {BAD_LINES} of a self-test file")


def run(args: argparse.Namespace) -> int:
    if args.rows < 1:
        raise BenchError("--rows must be at least 1")
    binary, is_debug = bl.pick_binary(args.bin, "import")
    n = args.rows
    cleanup = bl.Cleanup(args.keep)
    try:
        tmp = cleanup.mkdtemp("qianglian-import-")
        print(f"binary: {bl.build_label(binary, is_debug)}")
        print(f"rows: {n}   temp dir: {tmp}   cores: {os.cpu_count()}")
        has_pd, has_ox, has_cli = have("pandas"), have("openpyxl"), shutil.which("sqlite3") is not None
        if not args.memory_only:
            self_test()
        t0 = time.perf_counter()
        rows = generate_rows(n, args.seed)
        csv_path = tmp / "enterprises.csv"
        write_csv(csv_path, rows)
        print(f"generated {csv_path.name} ({csv_path.stat().st_size / 2**20:.1f} MiB) in {time.perf_counter() - t0:.1f} s")
        xlsx_path = None
        if not args.memory_only:
            if has_ox:
                t0 = time.perf_counter()
                xlsx_path = tmp / "enterprises.xlsx"
                write_xlsx(xlsx_path, rows)
                print(f"generated {xlsx_path.name} ({xlsx_path.stat().st_size / 2**20:.1f} MiB) in {time.perf_counter() - t0:.1f} s")
            else:
                print("openpyxl is not importable: the xlsx part is skipped (pip install openpyxl)")
        del rows

        if args.memory_only:
            m = run_qianglian(cleanup, binary, tmp, csv_path, n, "csv")
            r = Result("qianglian import enterprises (csv)", n, m)
            print("\n" + r.line())
            print(
                f"\ncsv import memory, {n} enterprises: qianglian peak RSS {m.maxrss_mib:.0f} MiB, "
                f"{r.rate:,.0f} rows/s ({m.wall_s:.1f} s)"
            )
            if n >= MEMORY_BAR_ROWS:
                print(
                    f"quality bar: issue 3 §6: memory of a 1,000,000-row import < 1 GiB -> "
                    f"{bl.verdict(m.maxrss_mib < MEMORY_BAR_MIB)} ({m.maxrss_mib:.0f} MiB)"
                )
            else:
                print(f"quality bar: memory < 1 GiB applies to {MEMORY_BAR_ROWS:,} rows; rerun with --rows {MEMORY_BAR_ROWS}")
            if is_debug:
                print("  (debug build: rerun with target/release/qianglian for the real figure)")
            return 0

        check_product_agrees(cleanup, binary, tmp)
        # Fixed cost of one import process (start, migrations, reference data) for the record.
        one = tmp / "one.csv"
        with open(csv_path, encoding="utf-8") as f:
            one.write_text(f.readline() + f.readline(), encoding="utf-8")
        fixed = run_qianglian(cleanup, binary, tmp, one, 1, "one")

        # Every contender runs --repeat times, in interleaved rounds (so a noisy minute on this
        # shared machine falls on all of them alike); each reports its median run.
        contenders: list[tuple[str, str, object]] = [
            ("q_csv", "qianglian import enterprises (csv)", lambda: run_qianglian(cleanup, binary, tmp, csv_path, n, "csv"))
        ]
        if has_cli:
            contenders.append(("floor", "floor: sqlite3 .import --csv (no validation)", lambda: run_floor_cli(cleanup, tmp, csv_path, n)))
        else:
            print("  sqlite3 CLI not found: the floor is Python sqlite3 executemany into a plain table")
            contenders.append(
                ("floor", "floor: python sqlite3 executemany (no valid.)", lambda: run_peer(cleanup, tmp, "floor-executemany", csv_path, n))
            )
        if has_pd:
            contenders.append(("pandas", "pandas read_csv + validation + sqlite3", lambda: run_peer(cleanup, tmp, "pandas", csv_path, n)))
        else:
            print("  pandas is not importable: the pandas peer is skipped (pip install pandas)")
        contenders.append(("csvmod", "csv module + validation + sqlite3", lambda: run_peer(cleanup, tmp, "csv", csv_path, n)))
        if xlsx_path is not None:
            contenders.append(
                ("q_xlsx", "qianglian import enterprises (xlsx)", lambda: run_qianglian(cleanup, binary, tmp, xlsx_path, n, "xlsx"))
            )
            kind = "openpyxl-pandas" if has_pd else "openpyxl"
            label = "openpyxl read-only + validation (pandas)" if has_pd else "openpyxl read-only + validation"
            contenders.append(("ox", label + " + sqlite3", lambda: run_peer(cleanup, tmp, kind, xlsx_path, n)))

        repeat = max(1, args.repeat)
        print(f"\ntiming (each its own process, fresh directory or database, wall clock; median of {repeat} interleaved runs):", flush=True)
        runs: dict[str, list[bl.Measured]] = {key: [] for key, _, _ in contenders}
        for r in range(repeat):
            for key, label, go in contenders:
                m = go()
                runs[key].append(m)
                print(f"    round {r + 1}: {label:<48} {n / m.wall_s if m.wall_s > 0 else 0:>11,.0f} rows/s  {m.wall_s:6.2f} s", flush=True)
        results: dict[str, Result] = {}
        for key, label, _ in contenders:
            ms = sorted(runs[key], key=lambda m: m.wall_s)
            results[key] = Result(label, n, ms[len(ms) // 2])
            print(results[key].line(), flush=True)
    finally:
        cleanup.close()

    q = results["q_csv"]
    peer_csv = results.get("pandas") or results["csvmod"]
    floor = results["floor"]
    print(f"\nfixed cost of one import process (1-row file, fresh directory): {fixed.wall_s:.2f} s, peak RSS {fixed.maxrss_mib:.0f} MiB")
    print("ratios are throughput qianglian / peer (above 1: qianglian is faster)")
    print()
    print(
        f"csv import, {n} enterprises: qianglian {q.rate:,.0f} rows/s ({q.m.wall_s:.2f} s, peak RSS {q.m.maxrss_mib:.0f} MiB) | "
        f"{floor.label.split(':')[1].strip()} {floor.rate:,.0f} rows/s | "
        f"{peer_csv.label} {peer_csv.rate:,.0f} rows/s | "
        f"ratio vs floor {bl.ratio(q.rate, floor.rate):.2f}, vs validating peer {bl.ratio(q.rate, peer_csv.rate):.2f}"
    )
    if "q_xlsx" in results:
        qx, ox = results["q_xlsx"], results["ox"]
        print(
            f"xlsx import, {n} enterprises: qianglian {qx.rate:,.0f} rows/s ({qx.m.wall_s:.2f} s, peak RSS {qx.m.maxrss_mib:.0f} MiB) | "
            f"{ox.label} {ox.rate:,.0f} rows/s | ratio {bl.ratio(qx.rate, ox.rate):.2f}"
        )
    print("quality bars: issue 3 §6 (release build, 2 cores)")
    print(f"  csv  ≥ {CSV_BAR:,} rows/s with full validation: {q.rate:,.0f} -> {bl.verdict(q.rate >= CSV_BAR)}")
    if "q_xlsx" in results:
        qx = results["q_xlsx"]
        print(f"  xlsx ≥ {XLSX_BAR:,} rows/s with full validation: {qx.rate:,.0f} -> {bl.verdict(qx.rate >= XLSX_BAR)}")
    else:
        print("  xlsx: not measured (openpyxl missing)")
    if n >= MEMORY_BAR_ROWS:
        print(f"  memory < 1 GiB for {MEMORY_BAR_ROWS:,} rows: {q.m.maxrss_mib:.0f} MiB -> {bl.verdict(q.m.maxrss_mib < MEMORY_BAR_MIB)}")
    else:
        print(f"  memory < 1 GiB for {MEMORY_BAR_ROWS:,} rows: not measured at {n} rows (run --rows {MEMORY_BAR_ROWS} --memory-only)")
    if is_debug:
        print("  (debug build: the bars apply to the release build; rerun with target/release/qianglian)")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", help="the qianglian binary (default target/release/qianglian, else target/debug/qianglian)")
    ap.add_argument("--rows", type=int, default=100_000, help="enterprises in the generated files (default 100000)")
    ap.add_argument("--seed", type=int, default=1, help="seed of the generated rows (default 1)")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each contender, interleaved; the median is reported (default 3)")
    ap.add_argument("--memory-only", action="store_true", help="only the qianglian csv import and its peak RSS (the 1M-row check)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory (files, logs)")
    ap.add_argument("--peer-run", help=argparse.SUPPRESS)
    ap.add_argument("--peer-file", help=argparse.SUPPRESS)
    ap.add_argument("--peer-db", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.peer_run:
        return peer_main(args.peer_run, Path(args.peer_file), Path(args.peer_db))
    rc = bl.main_wrapper(run, args)
    if rc == 130:  # interrupted: cleanup has run; skip the interpreter's teardown (openpyxl noise)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(rc)
    return rc


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Benchmark: `qianglian import product-graph DIR` at the size of the public graphs, against a
Python peer doing the same cleaning and the same inserts, in one run.

Generates a noisy reference product graph of the size issue 4 names (default 100,000
products, 110,000 relations, 5,000 listed companies, 30,000 company products, 5,000 company
industries) as JSON lines, with the noise public graphs carry: duplicate products, self-loops,
duplicate and contradictory relations, unknown relation kinds, relations to unlisted
products, bad and duplicate company codes, codes written as numbers, negative and missing
weights, unknown industry codes. A tenth of the products are named after the demo chains'
segments and key products, so that the import's mapping onto segments has work to do.

Then, each as its own process:

  qianglian  `qianglian import product-graph DIR --data-dir D` into a city demo (seeded once,
             copied fresh for each run): parse, clean, replace the stored graph, propose
             products for all 425 demo segments, one transaction (median of --runs)
  peer       Python: json.loads per line, the same cleaning rules, executemany into the same
             tables of a copy of the same database, one transaction (no mapping step)

and prints both times, the ratio, peak RSS, and checks that the two keep the same numbers of
products, relations, companies and company products.

    python3 bench/product_graph.py [--products 100000] [--runs 3] [--bin target/release/qianglian]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import shutil
import sqlite3
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib as bl  # noqa: E402

BenchError = bl.BenchError
REPO = bl.REPO

SYL = "安宝辰川达德鼎东丰福高广国海航恒宏华汇佳嘉金锦晶聚凯康科蓝力联隆明鹏普齐强荣瑞盛顺泰天通拓伟祥新鑫信星兴旭耀宇元远长正智中"
KINDS = ["树脂", "纤维", "薄膜", "涂料", "助剂", "催化剂", "合金", "管材", "板材", "线缆", "电池", "电机", "阀门", "轴承",
         "传感器", "芯片", "模组", "溶剂", "颜料", "粉体", "复合材料", "胶黏剂", "试剂", "原料药", "饲料", "茶叶", "面料"]


def segment_terms() -> list[str]:
    terms = []
    with open(REPO / "data/demo/chain_segments.csv", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            terms.append(r["name"])
            terms += [k for k in r["key_products"].split(";") if k]
    return sorted(set(terms))


def uscc_check(first17: str) -> str:
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    s = sum(alphabet.index(c) * w for c, w in zip(first17, weights))
    return first17 + alphabet[(31 - s % 31) % 31]


def generate(args, out: Path) -> dict:
    rnd = random.Random(args.seed)
    terms = segment_terms()
    names: list[str] = []
    seen = set()
    for t in terms:
        if len(names) < args.products // 10:
            names.append(t)
            seen.add(t)
    while len(names) < args.products:
        n = "".join(rnd.choice(SYL) for _ in range(rnd.randint(1, 3))) + rnd.choice(KINDS) + str(rnd.randint(1, 999))
        if n not in seen:
            seen.add(n)
            names.append(n)
    counts = {"noise": 0}
    with open(out / "products.jsonl", "w", encoding="utf-8") as f:
        for n in names:
            f.write(json.dumps({"name": n}, ensure_ascii=False) + "\n")
        for _ in range(args.products // 100):  # duplicates and empty names
            f.write(json.dumps({"name": rnd.choice(names)}, ensure_ascii=False) + "\n")
        f.write('{"name": ""}\n')
    with open(out / "product_relations.jsonl", "w", encoding="utf-8") as f:
        rels = ["上游材料", "下游产品", "产品小类"]
        for i in range(args.relations):
            a, b = rnd.choice(names), rnd.choice(names)
            r = rnd.choice(rels)
            x = rnd.random()
            if x < 0.01:
                b = a  # self-loop
            elif x < 0.015:
                r = "相关"  # unknown kind
            elif x < 0.02:
                b = b + "（未收录）"  # unlisted product
            f.write(json.dumps({"from": a, "to": b, "rel": r}, ensure_ascii=False) + "\n")
            if x > 0.99:  # a duplicate, and its contradiction
                f.write(json.dumps({"from": a, "to": b, "rel": r}, ensure_ascii=False) + "\n")
                f.write(json.dumps({"from": b, "to": a, "rel": r}, ensure_ascii=False) + "\n")
    codes = []
    with open(out / "companies.jsonl", "w", encoding="utf-8") as f:
        used = set()
        for i in range(args.companies):
            if i % 5 == 0:
                org = "".join(rnd.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(9))
                code = uscc_check("91310115" + org)
                if rnd.random() < 0.02:
                    code = code[:-1] + ("0" if code[-1] != "0" else "1")  # bad check character
            else:
                code = f"{rnd.randint(1, 699999):06d}"
                while code in used:
                    code = f"{rnd.randint(1, 699999):06d}"
            used.add(code)
            codes.append(code)
            name = "示例" + "".join(rnd.choice(SYL) for _ in range(3)) + "股份有限公司"
            c = int(code) if code.isdigit() and code.startswith("00") and rnd.random() < 0.3 else code
            f.write(json.dumps({"name": name, "code": c}, ensure_ascii=False) + "\n")
        for _ in range(args.companies // 100):
            f.write(json.dumps({"name": "示例重复", "code": rnd.choice(codes)}, ensure_ascii=False) + "\n")
        f.write('{"name": "示例无效", "code": "ABC"}\n')
    with open(out / "company_products.jsonl", "w", encoding="utf-8") as f:
        for c in codes:
            for _ in range(args.company_products // len(codes)):
                w = round(rnd.random(), 3)
                rec = {"company": c, "product": rnd.choice(names), "weight": w}
                x = rnd.random()
                if x < 0.01:
                    rec["weight"] = -w
                elif x < 0.02:
                    del rec["weight"]
                f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    classes = []
    with open(REPO / "data/gbt4754_2017.csv", encoding="utf-8") as f:
        for r in csv.reader(f):
            if r and len(r[0]) == 4 and r[0].isdigit():
                classes.append(r[0])
    with open(out / "company_industries.jsonl", "w", encoding="utf-8") as f:
        for c in codes:
            code = rnd.choice(classes) if rnd.random() > 0.02 else "9999"
            f.write(json.dumps({"company": c, "industry_code": code, "industry_name": ""}, ensure_ascii=False) + "\n")
    return counts


# ---------------------------------------------------------------------------------------
# The peer: the same cleaning rules in Python, the same inserts through sqlite3
# ---------------------------------------------------------------------------------------


def norm(s) -> str:
    if not isinstance(s, (str, int, float)) or isinstance(s, bool):
        return ""
    s = str(s)
    s = "".join(chr(ord(c) - 0xFEE0) if "\uff01" <= c <= "\uff5e" else (" " if c == "\u3000" else c) for c in s)
    return " ".join(s.split())


def company_code(v):
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return f"{v:06d}" if 0 <= v < 1_000_000 else None
    if not isinstance(v, str):
        return None
    s = norm(v).upper()
    if len(s) == 18:
        try:
            return s if uscc_check(s[:17]) == s else None
        except ValueError:
            return None
    digits, _, suffix = s.partition(".")
    if 4 <= len(digits) <= 6 and digits.isdigit() and suffix in ("", "SH", "SZ", "BJ", "HK"):
        return s
    return None


def peer(dirp: Path, db: Path, classes: set[str]) -> dict:
    def lines(name):
        with open(dirp / name, encoding="utf-8") as f:
            for ln in f:
                ln = ln.strip()
                if ln:
                    yield json.loads(ln)

    products: dict[str, int] = {}
    for r in lines("products.jsonl"):
        n = norm(r.get("name"))
        if n and len(n) <= 100 and n not in products:
            products[n] = len(products)
    supply: dict[tuple, int] = {}
    sub: dict[tuple, int] = {}
    for r in lines("product_relations.jsonl"):
        a, b = products.get(norm(r.get("from"))), products.get(norm(r.get("to")))
        rel = r.get("rel")
        if a is None or b is None or a == b or rel not in ("上游材料", "下游产品", "产品小类"):
            continue
        m, e = (supply, (b, a)) if rel == "上游材料" else (supply, (a, b)) if rel == "下游产品" else (sub, (a, b))
        m.setdefault(e, 1)
    supplies = [e for e in supply if (e[1], e[0]) not in supply]
    subs = [e for e in sub if (e[1], e[0]) not in sub]
    companies: dict[str, int] = {}
    cnames = []
    for r in lines("companies.jsonl"):
        c = company_code(r.get("code"))
        n = norm(r.get("name"))
        if c and n and c not in companies:
            companies[c] = len(companies)
            cnames.append((c, n))
    cps = {}
    for r in lines("company_products.jsonl"):
        c = companies.get(company_code(r.get("company")) or "")
        p = products.get(norm(r.get("product")))
        if c is None or p is None:
            continue
        w = r.get("weight", 1.0)
        if not isinstance(w, (int, float)) or w < 0:
            continue
        cps.setdefault((c, p), float(w))
    cis = {}
    for r in lines("company_industries.jsonl"):
        c = companies.get(company_code(r.get("company")) or "")
        code = str(r.get("industry_code", "")).strip()
        if c is not None and code in classes:
            cis.setdefault((c, code), norm(r.get("industry_name")))
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("BEGIN")
    for t in ["ref_company_industry", "ref_company_product", "ref_company", "ref_product_sub", "ref_product_supply", "ref_product"]:
        con.execute(f"DELETE FROM {t}")
    con.executemany("INSERT INTO ref_product (id, name) VALUES (?, ?)", ((i + 1, n) for n, i in products.items()))
    con.executemany("INSERT INTO ref_product_supply (up_id, down_id) VALUES (?, ?)", ((a + 1, b + 1) for a, b in supplies))
    con.executemany("INSERT INTO ref_product_sub (parent_id, child_id) VALUES (?, ?)", ((a + 1, b + 1) for a, b in subs))
    con.executemany("INSERT INTO ref_company (id, code, name) VALUES (?, ?, ?)", ((i + 1, c, n) for i, (c, n) in enumerate(cnames)))
    con.executemany(
        "INSERT INTO ref_company_product (company_id, product_id, weight) VALUES (?, ?, ?)",
        ((c + 1, p + 1, w) for (c, p), w in cps.items()),
    )
    con.executemany(
        "INSERT INTO ref_company_industry (company_id, industry_code, industry_name) VALUES (?, ?, ?)",
        ((c + 1, code, n) for (c, code), n in cis.items()),
    )
    con.execute("COMMIT")
    con.close()
    return {"products": len(products), "relations": len(supplies) + len(subs), "companies": len(cnames), "company_products": len(cps)}


def counts_in(db: Path) -> dict:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        q = lambda t: con.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]  # noqa: E731
        return {
            "products": q("ref_product"),
            "relations": q("ref_product_supply") + q("ref_product_sub"),
            "companies": q("ref_company"),
            "company_products": q("ref_company_product"),
            "proposals": q("product_mapping"),
        }
    finally:
        con.close()


def run(args: argparse.Namespace) -> int:
    binary, is_debug = bl.pick_binary(args.bin, "import")
    cleanup = bl.Cleanup(args.keep)
    try:
        print(f"binary: {bl.build_label(binary, is_debug)}   cores: {os.cpu_count()}")
        work = cleanup.mkdtemp("qianglian-pg-")
        graph = work / "graph"
        graph.mkdir()
        t0 = time.perf_counter()
        generate(args, graph)
        size = sum(p.stat().st_size for p in graph.iterdir())
        print(f"generated {graph} ({size / 2**20:.1f} MiB) in {time.perf_counter() - t0:.1f} s", flush=True)
        seed = bl.prepare_data_dir(cleanup, binary, None, "city", 1)
        walls, rss = [], []
        for i in range(args.runs):
            d = work / f"run{i}"
            shutil.copytree(seed, d)
            log = work / f"qianglian-{i}.log"
            m = bl.run_measured(cleanup, [str(binary), "import", "product-graph", str(graph), "--data-dir", str(d)], log)
            if m.rc != 0:
                raise BenchError(f"`import product-graph` exited with {m.rc}:\n{bl.tail(log)}")
            walls.append(m.wall_s)
            rss.append(m.maxrss_mib)
            print(f"  qianglian run {i + 1}: {m.wall_s * 1000:.0f} ms, peak RSS {m.maxrss_mib:.0f} MiB", flush=True)
            if i == 0:
                print("  " + log.read_text(encoding="utf-8").strip().replace("\n", "\n  "))
                ours = counts_in(d / "qianglian.db")
        classes = set()
        with open(REPO / "data/gbt4754_2017.csv", encoding="utf-8") as f:
            for r in csv.reader(f):
                if r:
                    classes.add(r[0])
        pd = work / "peer"
        shutil.copytree(seed, pd)
        t0 = time.perf_counter()
        theirs = peer(graph, pd / "qianglian.db", classes)
        t_peer = time.perf_counter() - t0
        print(f"  peer: {t_peer * 1000:.0f} ms")
    finally:
        cleanup.close()
    bad = [k for k in theirs if theirs[k] != ours[k]]
    if bad:
        raise BenchError(f"qianglian and the peer keep different numbers: {ours} vs {theirs}")
    wall = statistics.median(walls)
    print(f"\nagreement: products {ours['products']}, relations {ours['relations']}, companies {ours['companies']}, "
          f"company products {ours['company_products']} (qianglian also proposed {ours['proposals']} segment mappings)")
    print(
        f"product-graph import, {args.products} products / {args.relations} relations / {args.companies} companies: "
        f"qianglian median {wall * 1000:.0f} ms of {args.runs} (peak RSS {max(rss):.0f} MiB) | "
        f"Python peer {t_peer * 1000:.0f} ms | ratio peer/qianglian {bl.ratio(t_peer, wall):.2f}×"
    )
    if is_debug:
        print("  (debug build: rerun with target/release/qianglian)")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", help="the qianglian binary (default target/release/qianglian)")
    ap.add_argument("--products", type=int, default=100_000)
    ap.add_argument("--relations", type=int, default=110_000)
    ap.add_argument("--companies", type=int, default=5_000)
    ap.add_argument("--company-products", type=int, default=30_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    return bl.main_wrapper(run, args)


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Validate the demo industrial-chain segment files (stdlib only).

Checks data/demo/chain_segments.csv and data/demo/chain_segment_links.csv
against data/chains.csv and data/gbt4754_2017.csv.

Usage:
    python3 data/demo/check_chain_segments.py [DATA_DIR]

DATA_DIR defaults to the parent of this script's directory (i.e. data/).
Exits 0 when every rule holds, 1 on any violation (all violations are listed),
2 when an input file is missing or unreadable.
"""

import csv
import os
import re
import sys
from collections import Counter, defaultdict

SEGMENT_COLUMNS = [
    "chain_code", "code", "name", "stage", "parent_code", "sort",
    "key_products", "key_technologies", "industry_codes",
]
LINK_COLUMNS = ["chain_code", "from_code", "to_code", "product"]
STAGES = {"upstream": 0, "midstream": 1, "downstream": 2}
CODE_RE = re.compile(r"^[a-z][a-z0-9_]*$")
CLASS_RE = re.compile(r"^[0-9]{4}$")
CJK_RE = re.compile(r"[\u4e00-\u9fff]")
# Industry acronyms a planner writes as-is (PBAT, UPS, MES, 20MPa ...).
ACRONYM_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/+\-.]*$")

MIN_SEGMENTS, MAX_SEGMENTS = 12, 20
MIN_PER_STAGE = 3
MIN_CHILD_SHARE, MAX_CHILD_SHARE = 0.30, 0.50
MIN_LINKS, MAX_LINKS = 12, 30
# "Mainly upstream -> midstream -> downstream": at least this share of a
# chain's links must go to a later stage (the rest may stay within a stage).
MIN_FORWARD_SHARE = 1 / 3
PRODUCTS_RANGE = (1, 4)
TECHS_RANGE = (0, 3)
CODES_RANGE = (1, 3)

errors = []
warnings = []


def err(where, msg):
    errors.append(f"{where}: {msg}")


def warn(where, msg):
    warnings.append(f"{where}: {msg}")


def read_csv(path, expected_columns=None):
    try:
        with open(path, encoding="utf-8", newline="") as fh:
            text = fh.read()
    except OSError as exc:
        print(f"FATAL: cannot read {path}: {exc}", file=sys.stderr)
        sys.exit(2)
    if text.startswith("\ufeff"):
        err(os.path.basename(path), "file starts with a UTF-8 BOM; write plain UTF-8")
        text = text[1:]
    reader = csv.reader(text.splitlines())
    rows = list(reader)
    if not rows:
        print(f"FATAL: {path} is empty", file=sys.stderr)
        sys.exit(2)
    header, body = rows[0], rows[1:]
    name = os.path.basename(path)
    if expected_columns is not None and header != expected_columns:
        err(name, f"header is {header}, expected {expected_columns}")
        return header, []
    out = []
    for lineno, row in enumerate(body, start=2):
        if not row or all(not c.strip() for c in row):
            err(f"{name}:{lineno}", "blank line")
            continue
        if len(row) != len(header):
            err(f"{name}:{lineno}", f"has {len(row)} fields, expected {len(header)}")
            continue
        for col, val in zip(header, row):
            if val != val.strip():
                err(f"{name}:{lineno}", f"column {col} has leading/trailing whitespace")
        out.append((lineno, dict(zip(header, row))))
    return header, out


def is_text(item):
    """A product/technology item: Chinese text or a plain industry acronym."""
    return bool(CJK_RE.search(item) or ACRONYM_RE.match(item))


def split_list(value):
    """Split a ';'-separated list; return (items, problems)."""
    if value == "":
        return [], []
    items = value.split(";")
    problems = []
    if any(i.strip() == "" for i in items):
        problems.append("empty item (doubled or trailing ';')")
    if any(i != i.strip() for i in items):
        problems.append("whitespace around ';'")
    stripped = [i.strip() for i in items if i.strip()]
    dups = [i for i, n in Counter(stripped).items() if n > 1]
    if dups:
        problems.append(f"duplicate item(s) {dups}")
    return stripped, problems


def main():
    script_dir = os.path.dirname(os.path.abspath(__file__))
    data_dir = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.dirname(script_dir)
    demo_dir = os.path.join(data_dir, "demo")
    seg_path = os.path.join(demo_dir, "chain_segments.csv")
    link_path = os.path.join(demo_dir, "chain_segment_links.csv")

    # --- reference data -------------------------------------------------
    _, chain_rows = read_csv(os.path.join(data_dir, "chains.csv"))
    chain_order = [r["code"] for _, r in chain_rows]
    chains = set(chain_order)
    if not chains:
        print("FATAL: no chains in chains.csv", file=sys.stderr)
        sys.exit(2)

    _, gbt_rows = read_csv(os.path.join(data_dir, "gbt4754_2017.csv"))
    gbt_classes = {r["code"]: r["name"] for _, r in gbt_rows if r.get("level") == "class"}
    if not gbt_classes:
        print("FATAL: no level=class rows in gbt4754_2017.csv", file=sys.stderr)
        sys.exit(2)

    # --- segments -------------------------------------------------------
    _, seg_rows = read_csv(seg_path, SEGMENT_COLUMNS)
    segs = defaultdict(dict)          # chain -> code -> row
    seg_order = defaultdict(list)     # chain -> [code] in file order
    names = defaultdict(dict)         # chain -> name -> code
    sorts = defaultdict(dict)         # chain -> sort -> code
    seen_chain_blocks = []
    for lineno, r in seg_rows:
        where = f"chain_segments.csv:{lineno}"
        chain, code = r["chain_code"], r["code"]
        if chain not in chains:
            err(where, f"unknown chain_code {chain!r} (not in chains.csv)")
            continue
        if not seen_chain_blocks or seen_chain_blocks[-1] != chain:
            if chain in seen_chain_blocks:
                err(where, f"rows of chain {chain} are not contiguous")
            seen_chain_blocks.append(chain)
        where = f"{where} [{chain}.{code}]"
        if not CODE_RE.match(code):
            err(where, "code must match ^[a-z][a-z0-9_]*$")
        if code in segs[chain]:
            err(where, f"duplicate code within chain (first at line {segs[chain][code]['_line']})")
            continue
        name = r["name"]
        if not name or not CJK_RE.search(name):
            err(where, "name must be a non-empty Chinese segment name")
        elif name in names[chain]:
            err(where, f"duplicate name {name!r} within chain (also {names[chain][name]})")
        else:
            names[chain][name] = code
        if r["stage"] not in STAGES:
            err(where, f"stage {r['stage']!r} not one of {sorted(STAGES)}")
        # sort
        try:
            s = int(r["sort"])
            if str(s) != r["sort"] or s <= 0:
                raise ValueError
            if s in sorts[chain]:
                err(where, f"sort {s} already used by {sorts[chain][s]}")
            sorts[chain][s] = code
        except ValueError:
            err(where, f"sort {r['sort']!r} is not a positive integer")
        # parent
        parent = r["parent_code"]
        if parent:
            if parent == code:
                err(where, "parent_code refers to itself")
            elif parent not in segs[chain]:
                err(where, f"parent_code {parent!r} is not an earlier segment of chain {chain}")
            else:
                p = segs[chain][parent]
                if p["stage"] != r["stage"]:
                    err(where, f"parent {parent} is {p['stage']}, child is {r['stage']} (must match)")
                if p["parent_code"]:
                    err(where, f"parent {parent} is itself a child; the tree must have 2 levels")
        # lists
        prods, probs = split_list(r["key_products"])
        for pr in probs:
            err(where, f"key_products: {pr}")
        if not PRODUCTS_RANGE[0] <= len(prods) <= PRODUCTS_RANGE[1]:
            err(where, f"key_products has {len(prods)} items, expected {PRODUCTS_RANGE[0]}-{PRODUCTS_RANGE[1]}")
        for p in prods:
            if not is_text(p):
                err(where, f"key_products item {p!r} is neither Chinese text nor an acronym")
        if prods and not any(CJK_RE.search(p) for p in prods):
            err(where, "key_products has no Chinese item")
        techs, probs = split_list(r["key_technologies"])
        for pr in probs:
            err(where, f"key_technologies: {pr}")
        if not TECHS_RANGE[0] <= len(techs) <= TECHS_RANGE[1]:
            err(where, f"key_technologies has {len(techs)} items, expected {TECHS_RANGE[0]}-{TECHS_RANGE[1]}")
        for t in techs:
            if not is_text(t):
                err(where, f"key_technologies item {t!r} is neither Chinese text nor an acronym")
        codes, probs = split_list(r["industry_codes"])
        for pr in probs:
            err(where, f"industry_codes: {pr}")
        if not CODES_RANGE[0] <= len(codes) <= CODES_RANGE[1]:
            err(where, f"industry_codes has {len(codes)} items, expected {CODES_RANGE[0]}-{CODES_RANGE[1]}")
        for c in codes:
            if not CLASS_RE.match(c):
                err(where, f"industry code {c!r} is not a 4-digit class code")
            elif c not in gbt_classes:
                err(where, f"industry code {c} is not a class in gbt4754_2017.csv")
        r["_line"] = lineno
        segs[chain][code] = r
        seg_order[chain].append(code)

    if seen_chain_blocks and [c for c in chain_order if c in seen_chain_blocks] != seen_chain_blocks:
        warn("chain_segments.csv", "chains are not in chains.csv order")

    for chain in chain_order:
        where = f"chain {chain}"
        rows = segs.get(chain, {})
        n = len(rows)
        if n == 0:
            err(where, "has no segments")
            continue
        if not MIN_SEGMENTS <= n <= MAX_SEGMENTS:
            err(where, f"has {n} segments, expected {MIN_SEGMENTS}-{MAX_SEGMENTS}")
        per_stage = Counter(r["stage"] for r in rows.values())
        for st in STAGES:
            if per_stage[st] < MIN_PER_STAGE:
                err(where, f"has {per_stage[st]} {st} segments, expected >= {MIN_PER_STAGE}")
        children = sum(1 for r in rows.values() if r["parent_code"])
        share = children / n
        if not MIN_CHILD_SHARE <= share <= MAX_CHILD_SHARE:
            err(where, f"{children}/{n} = {share:.0%} of segments are children, expected "
                       f"{MIN_CHILD_SHARE:.0%}-{MAX_CHILD_SHARE:.0%}")
        # sort must follow file order
        sort_vals = [int(rows[c]["sort"]) for c in seg_order[chain] if rows[c]["sort"].isdigit()]
        if sort_vals != sorted(sort_vals):
            err(where, "sort values do not increase in file order")

    # --- links ----------------------------------------------------------
    _, link_rows = read_csv(link_path, LINK_COLUMNS)
    links = defaultdict(list)
    pairs = defaultdict(dict)
    touched = defaultdict(set)
    for lineno, r in link_rows:
        chain, a, b = r["chain_code"], r["from_code"], r["to_code"]
        where = f"chain_segment_links.csv:{lineno} [{chain}: {a} -> {b}]"
        if chain not in chains:
            err(where, f"unknown chain_code {chain!r}")
            continue
        ok = True
        for end, code in (("from_code", a), ("to_code", b)):
            if code not in segs[chain]:
                other = [c for c in segs if code in segs[c]]
                hint = f" (exists in {', '.join(sorted(other))}: cross-chain links are not allowed)" if other else ""
                err(where, f"{end} {code!r} is not a segment of chain {chain}{hint}")
                ok = False
        if a == b:
            err(where, "self-loop")
            ok = False
        if (a, b) in pairs[chain]:
            err(where, f"duplicate (from,to) pair, first at line {pairs[chain][(a, b)]}")
            ok = False
        product = r["product"]
        if not product or not (CJK_RE.search(product) or ACRONYM_RE.match(product)):
            err(where, "product must be a non-empty Chinese product name (or acronym)")
        if ";" in product:
            err(where, "product must be a single item (no ';')")
        if not ok:
            continue
        pairs[chain][(a, b)] = lineno
        sa, sb = segs[chain][a]["stage"], segs[chain][b]["stage"]
        if sa in STAGES and sb in STAGES:
            if sa == "downstream" and sb == "upstream":
                err(where, "downstream -> upstream edge is not allowed")
            elif STAGES[sa] > STAGES[sb]:
                warn(where, f"backward edge {sa} -> {sb}")
        links[chain].append((a, b, sa, sb))
        touched[chain].update((a, b))

    for chain in chain_order:
        where = f"chain {chain}"
        ls = links.get(chain, [])
        if not MIN_LINKS <= len(ls) <= MAX_LINKS:
            err(where, f"has {len(ls)} links, expected {MIN_LINKS}-{MAX_LINKS}")
        untouched = [c for c in seg_order.get(chain, []) if c not in touched[chain]]
        if untouched:
            err(where, f"segments not touched by any link: {', '.join(untouched)}")
        if ls:
            forward = sum(1 for _, _, sa, sb in ls if STAGES.get(sa, 0) < STAGES.get(sb, 0))
            if forward < MIN_FORWARD_SHARE * len(ls):
                err(where, f"only {forward}/{len(ls)} links flow to a later stage (need >= "
                           f"{MIN_FORWARD_SHARE:.0%}); links must flow mainly upstream -> "
                           "midstream -> downstream")
            kinds = {(sa, sb) for _, _, sa, sb in ls}
            if not any(sa == "upstream" and sb != "upstream" for sa, sb in kinds):
                err(where, "no link leaves the upstream stage")
            if not any(sb == "downstream" and sa != "downstream" for sa, sb in kinds):
                err(where, "no link enters the downstream stage")

    # --- report ---------------------------------------------------------
    total_segs = sum(len(v) for v in segs.values())
    total_links = sum(len(v) for v in links.values())
    for w in warnings:
        print(f"WARNING {w}")
    if errors:
        for e in errors:
            print(f"ERROR {e}")
        print(f"FAILED: {len(errors)} error(s), {len(warnings)} warning(s) "
              f"({total_segs} segments, {total_links} links checked)")
        return 1
    print(f"{'chain':<20}{'segs':>5}{'up':>4}{'mid':>4}{'down':>5}{'child':>6}{'links':>6}")
    for chain in chain_order:
        rows = segs[chain]
        st = Counter(r["stage"] for r in rows.values())
        ch = sum(1 for r in rows.values() if r["parent_code"])
        print(f"{chain:<20}{len(rows):>5}{st['upstream']:>4}{st['midstream']:>4}"
              f"{st['downstream']:>5}{ch:>6}{len(links[chain]):>6}")
    print(f"OK: {len(chain_order)} chains, {total_segs} segments, {total_links} links, "
          f"{len(warnings)} warning(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

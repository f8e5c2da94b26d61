"""Shared pieces of the province-scale benchmarks (import_speed.py, search_latency.py,
list_concurrency.py): choosing the binary, running a child process measured (wall clock and
peak RSS), seeding a demo data directory, starting and stopping `qianglian serve`, signing in,
and cleaning up on success, error, Ctrl-C and SIGTERM.

The statistics, the browser-like client and the mirrored list SQL come from
enterprise_list.py, so that there is one copy of each. Standard library only.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
if str(BENCH_DIR) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR))

import enterprise_list as el  # noqa: E402  (the sibling benchmark: one copy of the helpers)

BenchError = el.BenchError
Client = el.Client
percentile = el.percentile
stats = el.stats
fmt = el.fmt
free_port = el.free_port
tail = el.tail
server_timing_ms = el.server_timing_ms
list_queries = el.list_queries
die_with_parent = el._die_with_parent


# ---------------------------------------------------------------------------------------
# The binary
# ---------------------------------------------------------------------------------------


def _has_subcommand(binary: Path, sub: str) -> bool:
    try:
        r = subprocess.run([str(binary), sub, "--help"], capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return r.returncode == 0


def pick_binary(arg: str | None, need: str) -> tuple[Path, bool]:
    """The binary to run and whether it is a debug build. `--bin` wins; otherwise
    target/release/qianglian, falling back to target/debug/qianglian (with a note) when the
    release binary is missing or too old to have the subcommand `need`."""
    if arg:
        p = Path(arg)
        if not p.is_file():
            raise BenchError(f"--bin {p}: no such file")
        p = p.resolve()
        if not _has_subcommand(p, need):
            raise BenchError(f"--bin {p} has no `{need}` subcommand (`{p} {need} --help` fails): rebuild it")
        return p, "debug" in p.parts
    release, debug = REPO / "target/release/qianglian", REPO / "target/debug/qianglian"
    if release.is_file():
        if _has_subcommand(release, need):
            if debug.is_file() and debug.stat().st_mtime > release.stat().st_mtime + 60:
                print(f"note: {release} is older than {debug}; rebuild it if the sources changed", file=sys.stderr)
            return release, False
        print(f"note: {release} has no `{need}` subcommand (an old build); trying {debug}", file=sys.stderr)
    elif debug.is_file():
        print(f"note: {release} missing, using {debug}", file=sys.stderr)
    if debug.is_file() and _has_subcommand(debug, need):
        return debug, True
    raise BenchError(
        f"no usable target/release/qianglian nor target/debug/qianglian with `{need}`; "
        "run `cargo build --release -p qianglian`"
    )


def build_label(binary: Path, is_debug: bool) -> str:
    return f"{binary}{'  (DEBUG build: figures are not representative)' if is_debug else ''}"


# ---------------------------------------------------------------------------------------
# Cleanup: every child and temporary directory is registered here and removed in `finally`.
# ---------------------------------------------------------------------------------------


class Cleanup:
    def __init__(self, keep: bool):
        self.keep = keep
        self.procs: list[subprocess.Popen] = []
        self.dirs: list[Path] = []

    def mkdtemp(self, prefix: str) -> Path:
        d = Path(tempfile.mkdtemp(prefix=prefix))
        self.dirs.append(d)
        return d

    def close(self) -> None:
        for p in self.procs:
            stop_process(p)
        self.procs.clear()
        for d in self.dirs:
            if self.keep:
                print(f"(kept {d})")
            else:
                shutil.rmtree(d, ignore_errors=True)
        self.dirs.clear()


def stop_process(p: subprocess.Popen, grace: float = 10.0) -> None:
    """SIGINT (graceful), then SIGKILL, to the child's own process group."""
    if p.returncode is not None:
        return
    try:
        if p.poll() is not None:
            return
    except ChildProcessError:  # reaped elsewhere (os.wait4)
        return
    try:
        os.killpg(p.pid, signal.SIGINT)
    except (ProcessLookupError, PermissionError):
        p.send_signal(signal.SIGINT)
    try:
        p.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            p.kill()
        p.wait(timeout=grace)


def install_signal_handlers() -> None:
    """SIGTERM and SIGHUP unwind like Ctrl-C does, so that `finally` blocks run."""

    def on_signal(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)


def main_wrapper(run, args) -> int:
    install_signal_handlers()
    try:
        return run(args)
    except BenchError as e:
        print(f"benchmark failed: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


# ---------------------------------------------------------------------------------------
# Running a child measured: wall clock and peak RSS of that child alone (os.wait4).
# ---------------------------------------------------------------------------------------


class Measured:
    def __init__(self, rc: int, wall_s: float, maxrss_kib: int, log: Path):
        self.rc, self.wall_s, self.maxrss_kib, self.log = rc, wall_s, maxrss_kib, log

    @property
    def maxrss_mib(self) -> float:
        return self.maxrss_kib / 1024.0  # Linux ru_maxrss is in KiB

    def output(self) -> str:
        try:
            return self.log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""


# A small launcher between this script and the measured program. On Linux a child's
# ru_maxrss keeps the high-water mark of the memory it had before exec, i.e. of the forked
# copy of its parent; a direct child of this script would report this script's own RSS (the
# generated rows) whenever that is larger. The launcher is a fresh interpreter of ~10 MiB,
# so the figure it reads with wait4 is the program's own peak (never below ~10 MiB).
_LAUNCHER = r"""
import ctypes, json, os, signal, subprocess, sys, time
def pdeathsig():
    try:
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)
    except Exception:
        pass
pdeathsig()
out, cmd = sys.argv[1], sys.argv[2:]
t0 = time.perf_counter()
p = subprocess.Popen(cmd, preexec_fn=pdeathsig)
signal.signal(signal.SIGINT, signal.SIG_IGN)  # the program gets the group's SIGINT; we wait for it
while True:
    try:
        _, status, ru = os.wait4(p.pid, 0)
        break
    except InterruptedError:
        continue
wall = time.perf_counter() - t0
with open(out, "w") as f:
    json.dump({"rc": os.waitstatus_to_exitcode(status), "wall": wall, "maxrss": ru.ru_maxrss}, f)
"""


def run_measured(cleanup: Cleanup, cmd: list[str], log: Path, env: dict | None = None) -> Measured:
    """Runs `cmd` to completion with stdout+stderr to `log`, through the launcher above:
    wall time from the launcher's fork to its reap of the program, peak RSS from the
    program's own rusage."""
    e = dict(os.environ)
    e.setdefault("RUST_LOG", "warn")
    e.update(env or {})
    result = log.with_name(log.name + ".rusage.json")
    result.unlink(missing_ok=True)
    with open(log, "wb") as out:
        p = subprocess.Popen(
            [sys.executable, "-c", _LAUNCHER, str(result), *cmd],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=e,
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
        cleanup.procs.append(p)
        try:
            p.wait()
        except BaseException:
            stop_process(p)
            raise
        finally:
            if p in cleanup.procs:
                cleanup.procs.remove(p)
    try:
        r = json.loads(result.read_text())
    except (OSError, ValueError):
        raise BenchError(f"the launcher of {cmd[0]} exited with {p.returncode} and left no figures:\n{tail(log)}")
    finally:
        result.unlink(missing_ok=True)
    return Measured(r["rc"], r["wall"], r["maxrss"], log)


# ---------------------------------------------------------------------------------------
# Demo data
# ---------------------------------------------------------------------------------------


def prepare_data_dir(cleanup: Cleanup, binary: Path, data_dir_arg: str | None, scale: str, seed: int) -> Path:
    """A data directory holding the demo at `scale`. With `--data-dir DIR`: reuse DIR when it
    already holds a demo (demo-accounts.json), else seed it; DIR is kept either way. Without
    it: seed a temporary directory, removed at the end unless --keep."""
    if data_dir_arg:
        data_dir = Path(data_dir_arg).resolve()
        if (data_dir / "demo-accounts.json").is_file():
            n = enterprise_count(data_dir)
            print(f"reusing the demo in {data_dir} ({n} enterprises; --scale/--seed not applied)")
            return data_dir
        data_dir.mkdir(parents=True, exist_ok=True)
        log = data_dir.parent / f"{data_dir.name}-seed.log"
    else:
        tmp = cleanup.mkdtemp("qianglian-bench-")
        data_dir = tmp / "data"
        log = tmp / "seed.log"
    print(f"seeding: {binary.name} demo --scale {scale} --seed {seed} --data-dir {data_dir} …", flush=True)
    m = run_measured(
        cleanup,
        [str(binary), "demo", "--scale", scale, "--seed", str(seed), "--data-dir", str(data_dir)],
        log,
        env={"RUST_LOG": "info"},
    )
    if m.rc != 0:
        raise BenchError(f"`demo --scale {scale}` exited with {m.rc}:\n{tail(log)}")
    n = enterprise_count(data_dir)
    print(f"seeded {n} enterprises in {m.wall_s:.1f} s (peak RSS {m.maxrss_mib:.0f} MiB)")
    return data_dir


def enterprise_count(data_dir: Path) -> int:
    import sqlite3

    c = sqlite3.connect(f"file:{data_dir / 'qianglian.db'}?mode=ro", uri=True)
    try:
        return c.execute("SELECT COUNT(*) FROM enterprise WHERE archived = 0").fetchone()[0]
    finally:
        c.close()


def office_account(data_dir: Path) -> dict:
    accounts = json.loads((data_dir / "demo-accounts.json").read_text(encoding="utf-8"))
    office = next((a for a in accounts if a.get("role") == "office"), None)
    if office is None:
        raise BenchError(f"no office account in demo-accounts.json (roles: {[a.get('role') for a in accounts]})")
    return office


# ---------------------------------------------------------------------------------------
# The server
# ---------------------------------------------------------------------------------------


class Server:
    """`qianglian serve --data-dir DIR --bind 127.0.0.1:PORT` (no --demo: the data is seeded)."""

    def __init__(self, cleanup: Cleanup, binary: Path, data_dir: Path, port: int, log_path: Path):
        self.cleanup, self.binary, self.data_dir, self.port, self.log_path = cleanup, binary, data_dir, port, log_path
        self.proc: subprocess.Popen | None = None
        self._log = None

    def start(self) -> None:
        self._log = open(self.log_path, "wb")
        env = dict(os.environ)
        env.setdefault("RUST_LOG", "warn")
        self.proc = subprocess.Popen(
            [str(self.binary), "serve", "--data-dir", str(self.data_dir), "--bind", f"127.0.0.1:{self.port}"],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
        self.cleanup.procs.append(self.proc)

    def wait_healthy(self, timeout: float) -> float:
        t0 = time.monotonic()
        last_note = t0
        while True:
            if self.proc is not None and self.proc.poll() is not None:
                raise BenchError(
                    f"server exited with code {self.proc.returncode} before answering /healthz:\n{tail(self.log_path)}"
                )
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
            now = time.monotonic()
            if now - t0 > timeout:
                raise BenchError(f"server did not answer /healthz within {timeout:.0f} s:\n{tail(self.log_path)}")
            if now - last_note > 30:
                print(f"  … still waiting for /healthz ({now - t0:.0f} s; the search index is built at start)", flush=True)
                last_note = now
            time.sleep(0.25)

    def rss_mib(self) -> float | None:
        """Current RSS of the server (VmRSS), for the record."""
        try:
            for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
        except (OSError, AttributeError, ValueError):
            pass
        return None

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc)
            if self.proc in self.cleanup.procs:
                self.cleanup.procs.remove(self.proc)
        if self._log is not None:
            self._log.close()
            self._log = None


def api_token(port: int, username: str, password: str) -> str:
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        body = json.dumps({"username": username, "password": password}).encode()
        c.request("POST", "/api/v1/auth/token", body=body, headers={"Content-Type": "application/json"})
        r = c.getresponse()
        data = r.read()
    finally:
        c.close()
    if r.status != 200:
        raise BenchError(f"POST /api/v1/auth/token answered {r.status}: {data[:300].decode('utf-8', 'replace')!r}")
    token = json.loads(data).get("token")
    if not token:
        raise BenchError("POST /api/v1/auth/token returned no token")
    return token


def ratio(a: float, b: float) -> float:
    return a / b if b > 0 else float("inf")


def verdict(ok: bool) -> str:
    return "MEETS" if ok else "MISSES"

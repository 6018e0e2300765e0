"""`python -m devtools bench all`: every benchmark `make bench` runs, one after another, each in a process
of its own, collected into `bench/results/latest.json` (git-ignored: generated, not committed).

A benchmark is `python -m devtools bench …` with its options; what it prints on stdout is its one JSON
object, what it prints on stderr goes to `logs/<name>.log` beside latest.json. One that exits non-zero,
prints no JSON object or outlives its timeout is recorded as failed with the end of its log: the report
shows it as failed and the command exits non-zero (devtools/bench/report.py); nothing is dropped.
latest.json is rewritten after each benchmark, so a run cut short keeps what it measured.
"""

import json
import os
import platform
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from devtools import REPO_ROOT

BUDGET_SECONDS = 30 * 60  # issue 19: `make bench` runs everything in under 30 minutes
LOG_TAIL = 3000  # characters of a failed benchmark's stderr kept in latest.json

# The suite's benchmarks by name → the family a chart groups them in (devtools/bench/targets.py names them).
# The scale-out runs (issue 19 item 2) join here, and their rows in TARGETS, once their commands exist.
FAMILIES = {
    "gas": "gas",
    "index": "index",
    "index-large": "index",
    "audit": "audit",
    "api": "api",
    "public": "public",
    "write-path": "write-path",
}


@dataclass(frozen=True)
class Benchmark:
    name: str
    argv: tuple[str, ...]

    @property
    def family(self) -> str:
        return FAMILIES.get(self.name, self.name)

    @property
    def command(self) -> str:
        """The command line as a person would type it (`python -m devtools bench …`)."""
        argv = ["python", *self.argv[1:]] if self.argv[0] == sys.executable else list(self.argv)
        return shlex.join(argv)


@dataclass(frozen=True)
class Sizes:
    """The sizes `make bench` runs at; the defaults are issue 19's (index 100k and 1M, audit 1M)."""

    index_events: int = 100_000
    index_large_events: int = 1_000_000  # 0: no large index run
    audit_events: int = 1_000_000
    postgres: str = "postgresql://127.0.0.1/test"
    api_payments: int = 20_000
    write_path_confirmations: int = 15_000
    write_path_rate: float = 1_200.0


def _bench(name: str, *args: object) -> Benchmark:
    return Benchmark(name, (sys.executable, "-m", "devtools", "bench", *(str(a) for a in args)))


def default_suite(sizes: Sizes = Sizes(), only: Sequence[str] = ()) -> list[Benchmark]:
    """The benchmarks in the order they run; `only` keeps those named (an unknown name is an error)."""
    suite = [
        _bench("gas", "gas"),
        _bench("index", "index", "--events", sizes.index_events, "--postgres", sizes.postgres),
        # One interleaved run at 1M: three would not fit the half hour.
        _bench("index-large", "index", "--events", sizes.index_large_events, "--repeats", 1),
        _bench("audit", "audit", "--events", sizes.audit_events, "--repeats", 1),
        _bench("api", "api", "--payments", sizes.api_payments),
        _bench("public", "public", "--database", sizes.postgres),
        _bench(
            "write-path",
            "write-path",
            "--rate",
            f"{sizes.write_path_rate:g}",
            "--confirmations",
            sizes.write_path_confirmations,
        ),
    ]
    suite = [b for b in suite if b.name != "index-large" or sizes.index_large_events > 0]
    if unknown := set(only) - {b.name for b in suite}:
        raise ValueError(f"only: unknown benchmark {sorted(unknown)}; known: {', '.join(b.name for b in suite)}")
    return [b for b in suite if not only or b.name in only]


def run_suite(
    benchmarks: Sequence[Benchmark],
    results: Path,
    *,
    timeout: float = BUDGET_SECONDS,
    echo: Callable[[str], None] = lambda line: print(line, file=sys.stderr, flush=True),
) -> dict:
    """Run each benchmark in turn; latest.json (rewritten after each) holds the machine, the commit, the
    times and every benchmark's command, duration, exit code and JSON (or why it failed)."""
    (results / "logs").mkdir(parents=True, exist_ok=True)
    run: dict = {
        "started_at": _now(),
        "finished_at": None,
        "seconds": None,
        "budget_seconds": BUDGET_SECONDS,
        "git": git_state(),
        "machine": machine(),
        "benchmarks": [],
    }
    started = time.monotonic()
    _write(results, run)
    for i, benchmark in enumerate(benchmarks, 1):
        echo(f"[{i}/{len(benchmarks)}] {benchmark.name}: {benchmark.command}")
        record = run_one(benchmark, results / "logs" / f"{benchmark.name}.log", timeout=timeout)
        echo(f"[{i}/{len(benchmarks)}] {benchmark.name}: {record['status']} in {record['seconds']:.0f} s")
        run["benchmarks"].append(record)
        _write(results, run)
    run.update(finished_at=_now(), seconds=round(time.monotonic() - started, 1))
    run["machine"]["load_average_at_end"] = _load_average()
    _write(results, run)
    return run


def run_one(benchmark: Benchmark, log: Path, *, timeout: float) -> dict:
    """One benchmark in a process group of its own (so a timeout ends the nodes and servers it started)."""
    started_at, started = _now(), time.monotonic()
    error = None
    with log.open("w", encoding="utf-8") as stderr:
        process = subprocess.Popen(
            benchmark.argv, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=stderr, text=True, start_new_session=True
        )
        try:
            stdout, _ = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _end_group(process)
            stdout, _ = process.communicate()
            error = f"timed out after {timeout:g} s"
    seconds = round(time.monotonic() - started, 1)
    result = parse_json_object(stdout)
    if error is None and process.returncode != 0:
        error = f"exited {process.returncode}"
    if error is None and result is None:
        error = "printed no JSON object on stdout"
    record = {
        "name": benchmark.name,
        "family": benchmark.family,
        "command": benchmark.command,
        "argv": list(benchmark.argv),
        "started_at": started_at,
        "seconds": seconds,
        "exit_code": process.returncode,
        "status": "ok" if error is None else "failed",
        "result": result,
        "log": str(log),
    }
    if error is not None:
        tail = log.read_text(encoding="utf-8", errors="replace")[-LOG_TAIL:]
        record["error"] = f"{error}\n{tail}".strip()
    return record


def parse_json_object(stdout: str) -> dict | None:
    """The benchmark's JSON object: all of stdout, or failing that its last line that is one."""
    for text in [stdout, *reversed(stdout.splitlines())]:
        try:
            value = json.loads(text)
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    return None


def _end_group(process: subprocess.Popen) -> None:
    for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 15)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


def git_state() -> dict:
    def git(*args: str) -> str | None:
        done = subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else None

    status = git("status", "--porcelain", "--untracked-files=no")
    return {
        "commit": git("rev-parse", "HEAD"),
        "branch": git("rev-parse", "--abbrev-ref", "HEAD"),
        "dirty": bool(status) if status is not None else None,  # uncommitted changes to tracked files
    }


def machine() -> dict:
    """What the figures depend on: the CPU, the memory, and how busy the (shared) machine was."""
    return {
        "hostname": platform.node(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "cpu_model": _proc_field("/proc/cpuinfo", "model name"),
        "memory_mb": _memory_mb(),
        "load_average_at_start": _load_average(),
    }


def _proc_field(path: str, field: str) -> str | None:
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    return next((line.split(":", 1)[1].strip() for line in lines if line.startswith(field)), None)


def _memory_mb() -> int | None:
    total = _proc_field("/proc/meminfo", "MemTotal")  # "16384000 kB"
    return int(total.split()[0]) // 1024 if total else None


def _load_average() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _write(results: Path, run: dict) -> None:
    path = results / "latest.json"
    partial = path.with_suffix(".json.partial")
    partial.write_text(json.dumps(run, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    partial.replace(path)  # whole or not at all: a reader never sees half a file

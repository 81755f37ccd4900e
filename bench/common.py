"""Shared benchmark machinery: datasets, a gunicorn launcher, load generators and a report."""

from __future__ import annotations

import http.client
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
PYTHON = sys.executable
MARIADB_ROOT = os.environ.get("BENCH_MARIADB_URL", "mysql+pymysql://root:@127.0.0.1:3306")
MILLION = int(os.environ.get("BENCH_ROWS", "1000000"))


# A 1,000,000-certificate registry is about 1 GB in InnoDB. MariaDB's packaged defaults (128 MB buffer
# pool, 96 MB redo log, O_DIRECT) make every import and lookup wait on the disk; any production server
# is sized to its data. Both our runs and the baselines use the same server settings.
MARIADB_SETTINGS = {"innodb_buffer_pool_size": 2 * 2**30, "innodb_log_file_size": 512 * 2**20}


def tune_mariadb() -> str:
    """Raise the InnoDB settings above to at least these sizes (both are dynamic in MariaDB 10.11)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(f"{MARIADB_ROOT}/test")
    try:
        with engine.connect() as conn:
            for name, size in MARIADB_SETTINGS.items():
                if int(conn.scalar(text(f"SELECT @@{name}")) or 0) < size:
                    conn.execute(text(f"SET GLOBAL {name} = {size}"))
            version = conn.scalar(text("SELECT VERSION()"))
            pool, log = (int(conn.scalar(text(f"SELECT @@{n}")) or 0) // 2**20 for n in MARIADB_SETTINGS)
    finally:
        engine.dispose()
    return f"MariaDB {version}, innodb_buffer_pool_size {pool} MiB, innodb_log_file_size {log} MiB"


def machine() -> str:
    """One line naming the machine the figures come from."""
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB RAM, Python {platform.python_version()}"


@dataclass
class Report:
    """Markdown sections printed at the end of `make bench`."""

    sections: list[str] = field(default_factory=list)
    database: str = ""

    def add(self, title: str, rows: Sequence[Sequence[object]], header: Sequence[str], note: str = "") -> None:
        lines = [f"### {title}", "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
        if note:
            lines += ["", note]
        self.sections.append("\n".join(lines))
        print("\n" + self.sections[-1] + "\n", flush=True)

    def markdown(self) -> str:
        return f"Machine: {machine()}\n\nDatabase server: {self.database}\n\n" + "\n\n".join(self.sections) + "\n"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_config(path: Path, database_url: str, base_url: str, redis_url: str = "", extra: str = "") -> Path:
    """A TOML configuration for a benchmarked server (development secrets, dev tools off)."""
    path.write_text(
        f'[server]\nbase_url = "{base_url}"\nenv = "development"\ndev_tools = false\n'
        f'[database]\nurl = "{database_url}"\n[redis]\nurl = "{redis_url}"\n'
        f'[signing]\nkey_dir = "{OUT / "keys"}"\n{extra}'
    )
    return path


@contextmanager
def gunicorn(app_spec: str, env: dict[str, str], workers: int = 2) -> Iterator[str]:
    """Serve `app_spec` under gunicorn on a loopback port; yields the base URL."""
    port = free_port()
    cmd = [PYTHON, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{port}", "--log-level", "warning",
           "--worker-class", "gthread", "--threads", "4", app_spec]
    proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **env})
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_http(url, proc)
        yield url
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def _wait_http(url: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    parts = urlsplit(url)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=2)
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("server did not start")


@dataclass
class Request:
    method: str
    path: str
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Stats:
    count: int
    errors: int
    seconds: float
    latencies: list[float]

    @property
    def rps(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0

    def pct(self, q: float) -> float:
        """Latency percentile in milliseconds."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    def row(self, label: str) -> list[object]:
        return [label, f"{self.rps:,.0f}", f"{self.pct(0.5):.1f}", f"{self.pct(0.99):.1f}", self.errors]


# Each wrk thread has its own Lua state; without care every thread would start at the same
# "random" line and send the same messages (the webhook would then measure its retry path).
# Thread k of T sends lines k+1, k+1+T, k+1+2T, ... so no two requests in a pass are the same
# unless the list wraps.
_WRK_SCRIPT = """
local threads = 0
setup = function(thread)
  thread:set("tid", threads)
  threads = threads + 1
end
local lines = {}
local i = 0
local step = 1
init = function(args)
  for line in io.lines(args[1]) do
    local method, path, body = line:match("^(%S+)\\t(%S+)\\t(.*)$")
    table.insert(lines, {method, path, body})
  end
  step = tonumber(args[2])
  i = tid
end
request = function()
  local r = lines[i % #lines + 1]
  i = i + step
  local body = nil
  if r[3] ~= "" then body = r[3] end
  return wrk.format(r[1], r[2], {["Content-Type"] = CTYPE}, body)
end
done = function(summary, latency, requests)
  io.write(string.format("JSON{\\"requests\\":%d,\\"errors\\":%d,\\"seconds\\":%f,\\"p50\\":%f,\\"p99\\":%f}\\n",
    summary.requests, summary.errors.status + summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout, summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
"""


WRK_THREADS = 2


def closed_loop(base_url: str, requests: Sequence[Request], seconds: float = 10, connections: int = 16,
                content_type: str = "text/xml") -> tuple[float, float, float, int]:
    """Saturating load with wrk: (requests/s, p50 ms, p99 ms, errors). Bodies must be single-line."""
    with tempfile.TemporaryDirectory() as tmp:
        lines = Path(tmp) / "requests.tsv"
        lines.write_text("".join(f"{r.method}\t{r.path}\t{(r.body or b'').decode()}\n" for r in requests))
        script = Path(tmp) / "script.lua"
        script.write_text(f'CTYPE = "{content_type}"\n' + _WRK_SCRIPT)
        out = subprocess.run(["wrk", "-t", str(WRK_THREADS), "-c", str(connections), "-d", f"{int(seconds)}s",
                              "-s", str(script), base_url, "--", str(lines), str(WRK_THREADS)],
                             capture_output=True, text=True, timeout=seconds + 60)
    data = json.loads(out.stdout.split("JSON", 1)[1].splitlines()[0])
    return data["requests"] / data["seconds"], data["p50"], data["p99"], data["errors"]


def open_loop(base_url: str, requests: Sequence[Request], rate: float, seconds: float = 10) -> Stats:
    """Fixed arrival rate (not closed-loop), so latency is not hidden by coordinated omission."""
    parts = urlsplit(base_url)
    total = int(rate * seconds)
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    start = time.monotonic()
    local = threading.local()

    def fire(n: int) -> None:
        nonlocal errors
        due = start + n / rate
        time.sleep(max(0.0, due - time.monotonic()))
        req = requests[n % len(requests)]
        conn = getattr(local, "conn", None) or http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        local.conn = conn
        try:
            conn.request(req.method, req.path, body=req.body, headers=req.headers)
            ok = conn.getresponse()
            ok.read()
            failed = ok.status >= 400
        except OSError:
            local.conn, failed = None, True
        took = time.monotonic() - due  # measured from the scheduled time
        with lock:
            latencies.append(took)
            errors += failed

    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=32) as pool:
        list(pool.map(fire, range(total)))
    return Stats(total, errors, time.monotonic() - start, latencies)


def median_p99(samples: list[float]) -> tuple[float, float]:
    """Median and p99 of seconds, in milliseconds."""
    ordered = sorted(samples)
    return statistics.median(ordered) * 1000, ordered[int(0.99 * (len(ordered) - 1))] * 1000

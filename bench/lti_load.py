"""Load on the LTI tool as production runs it: gunicorn (`stopsexting serve`, 2 workers × 4 threads) on
PostgreSQL over loopback, driven by 32 concurrent clients from another process, so the figures include the HTTP
server, the database round trips and the worker processes, not a Flask test client.

Two bounded phases: full launches (GET /lti/login → POST /lti/launch with an RS256 id_token, as a platform
and a browser do it) and state saves (the runtime's POST /lti/api/state with the launch's bearer token).
Prints launches/s, saves/s, p50/p95/p99 latency per kind and the error count beside the targets of issue 5,
and the processor time the tool, PostgreSQL and the driver spent on each; it reports, it does not assert.
The p95 target is read per HTTP request (login, launch POST, save): a full launch is two requests in a row, and
with 32 clients at 300 launches/s Little's law puts its mean at 32 / 300 s = 107 ms, so a p95 under 100 ms
for it would contradict the throughput target itself. Its percentiles are printed all the same.
`--floor` adds the same saves against bench/floor.py, which does nothing but answer them: the part of a save
that gunicorn and Flask cost on this machine. Everything it creates goes away: the servers are stopped, the
database dropped.

    .venv/bin/python -m bench.lti_load [--seconds 10] [--concurrency 32] [--workers 2] [--threads 4] [--floor]
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import multiprocessing
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, replace
from html import unescape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import psycopg
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

ROOT = Path(__file__).resolve().parents[1]
ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"  # the machine's trust-auth server (issue 5)
CLIENT_ID = "bench-client"
DEPLOYMENT_ID = "1"
KID = "bench-platform-1"
MODULE = "m4_ne_vedus"
CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
SESSION_SCRIPT = re.compile(r'<script[^>]*\bid="lti-session"[^>]*>(.*?)</script>', re.S)
STATE_COOKIE = re.compile(r"(lti1p3-state-[^=;\s]+)=([^;]*)")
AUTH_URL = re.compile(r'\bdata-auth-url="([^"]*)"')  # where the login page's script sends the browser
TARGETS = {"launches/s": 300.0, "saves/s": 1000.0, "p95 ms": 100.0}
STARTUP_SECONDS = 60.0


@dataclass
class Plan:
    """What the driver process needs; plain data, because it crosses a process boundary."""

    port: int
    issuer: str
    private_pem: bytes
    seconds: float
    concurrency: int
    floor: bool = False  # saves only, against bench/floor.py instead of the tool


@dataclass
class Sample:
    """One request: its kind, when it started relative to the phase start, and how long it took."""

    kind: str
    started: float
    seconds: float
    ok: bool


@dataclass
class Phase:
    name: str
    elapsed: float = 0.0
    samples: list[Sample] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    driver_cpu: float = 0.0
    window: tuple[float, float] = (0.0, 0.0)  # time.monotonic() at start and end: the clock all processes share


# The platform side: a key set server the tool fetches over a real socket, as it would a platform's.

def key_set_server(private: rsa.RSAPrivateKey) -> ThreadingHTTPServer:
    """Serves the platform's JWKS on a free loopback port: the tool fetches it once per worker, then caches."""
    jwk = RSAAlgorithm.to_jwk(private.public_key(), as_dict=True)
    jwk.update(kid=KID, alg="RS256", use="sig")
    body = json.dumps({"keys": [jwk]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # http.server's name for it
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # the base class's signature
            """Quiet: the bench prints figures, not access lines."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def fresh_database() -> Iterator[str]:
    """A database of its own, dropped afterwards even when gunicorn still holds connections (FORCE)."""
    name = f"stopsexting_bench_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def stopsexting(*args: str) -> list[str]:
    return [sys.executable, "-m", "exporter.cli", *args]


@contextmanager
def server(command: list[str], port: int) -> Iterator[subprocess.Popen[bytes]]:
    """A gunicorn server (`stopsexting serve`, or bench/floor.py with the same settings); its errors go to a
    file shown if it fails to start."""
    with tempfile.NamedTemporaryFile(prefix="stopsexting-bench-serve-", suffix=".log", delete=False) as errors:
        log = Path(errors.name)
        process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=errors, start_new_session=True)
    try:
        wait_until_up(process, port, log)
        yield process
    finally:
        process.send_signal(signal.SIGTERM)  # gunicorn's graceful stop of the master and its workers
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.unlink(missing_ok=True)


def tool_command(database_url: str, port: int, workers: int, threads: int) -> list[str]:
    """`stopsexting serve` as an administrator runs it."""
    return stopsexting("serve", "--port", str(port), "--workers", str(workers), "--threads", str(threads),
                       "--database-url", database_url, "--lessons", str(ROOT / "lessons"))


def floor_command(port: int, workers: int, threads: int) -> list[str]:
    """bench/floor.py under gunicorn with what exporter/lti/serve.py sets."""
    return [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
            "--worker-class", "gthread", "--threads", str(threads), "bench.floor:app"]


def wait_until_up(process: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"stopsexting serve exited with {process.returncode}:\n{log.read_text()}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/lti/jwks")
            connection.getresponse()  # any answer: the server is up (the floor app has no such route)
            return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"stopsexting serve did not answer within {STARTUP_SECONDS:.0f} s:\n{log.read_text()}")


# The driver: a separate process running one asyncio loop, one keep-alive HTTP/1.1 connection per client. It
# must be as light as a client can be, because it shares the machine's two processors with what it measures:
# a thread per client with http.client cost it about twice the processor time per request (0.57 against 0.30 ms
# a save, measured with this bench).

class Connection:
    """A keep-alive HTTP/1.1 connection to the tool, reopened when the tool closes it."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def request(self, method: str, target: str, body: bytes = b"",
                      headers: dict[str, str] | None = None) -> tuple[int, dict[str, list[str]], bytes]:
        """(status, headers by lower-case name, body); any fault closes the connection and propagates."""
        if self.streams is None:
            self.streams = await asyncio.open_connection("127.0.0.1", self.port)
        reader, writer = self.streams
        lines = [f"{method} {target} HTTP/1.1", f"Host: 127.0.0.1:{self.port}", f"Content-Length: {len(body)}",
                 *(f"{name}: {value}" for name, value in (headers or {}).items())]
        try:
            writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
            status = int(head[0].split(" ", 2)[1])
            fields: dict[str, list[str]] = {}
            for line in head[1:]:
                if line:
                    name, _, value = line.partition(":")
                    fields.setdefault(name.strip().lower(), []).append(value.strip())
            if "chunked" in fields.get("transfer-encoding", [""])[0].lower():
                raise Failure(f"{method} {target}: chunked responses are not read by this driver")
            data = await reader.readexactly(int(fields.get("content-length", ["0"])[0]))
        except BaseException:
            self.close()
            raise
        if fields.get("connection", [""])[0].lower() == "close":
            self.close()
        return status, fields, data

    def close(self) -> None:
        if self.streams is not None:
            self.streams[1].close()
            self.streams = None


class Client:
    """One simulated student: logs in, launches, then saves state with the session the launch page gave."""

    def __init__(self, plan: Plan, number: int, key: rsa.RSAPrivateKey) -> None:
        self.plan, self.key = plan, key
        self.sub = f"bench-user-{number}"
        self.target = f"http://127.0.0.1:{plan.port}/modules/{MODULE}"
        self.connection = Connection(plan.port)
        self.token: str | None = None
        self.saves = 0

    async def login(self) -> tuple[dict[str, str], str]:
        """GET /lti/login as the platform's redirect makes the browser do; the auth request's parameters (from
        the URL the login page's script goes on to) and the state cookie the browser would keep."""
        query = urlencode({"iss": self.plan.issuer, "login_hint": self.sub, "target_link_uri": self.target,
                           "client_id": CLIENT_ID, "lti_deployment_id": DEPLOYMENT_ID, "lti_message_hint": "bench"})
        status, headers, data = await self.connection.request("GET", f"/lti/login?{query}")
        found = AUTH_URL.search(data.decode(errors="replace"))
        if status != 200 or found is None:
            raise Failure(f"login {status} without the auth URL: {snippet(data)}")
        auth_url = unescape(found.group(1))
        auth = {name: values[0] for name, values in parse_qs(urlsplit(auth_url).query).items()}
        cookies = [match.group(0) for value in headers.get("set-cookie", []) if (match := STATE_COOKIE.search(value))]
        if not cookies or "state" not in auth or "nonce" not in auth:
            raise Failure(f"login page without state, nonce or state cookie: {auth_url}")
        return auth, "; ".join(cookies)

    async def launch(self, auth: dict[str, str], cookie: str) -> None:
        """POST /lti/launch with a freshly signed id_token, like tests/lti/platform.py `claims()`."""
        now = int(time.time())
        claims = {
            "iss": self.plan.issuer, "aud": CLIENT_ID, "azp": CLIENT_ID, "sub": self.sub, "iat": now,
            "exp": now + 300, "nonce": auth["nonce"],
            CLAIM + "version": "1.3.0",
            CLAIM + "message_type": "LtiResourceLinkRequest",
            CLAIM + "deployment_id": DEPLOYMENT_ID,
            CLAIM + "target_link_uri": self.target,
            CLAIM + "resource_link": {"id": "rl-bench"},
            CLAIM + "roles": [LEARNER],
            CLAIM + "context": {"id": "course-bench", "title": "7-А"},
        }
        token = jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": KID})
        body = urlencode({"id_token": token, "state": auth["state"]}).encode()
        status, _, data = await self.connection.request("POST", "/lti/launch", body, {
            "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
        if status != 200:
            raise Failure(f"launch {status}: {snippet(data)}")
        found = SESSION_SCRIPT.search(data.decode())
        if found is None:
            raise Failure("launch 200 without <script id=\"lti-session\">")
        self.token = str(json.loads(unescape(found.group(1)))["token"])

    async def save(self) -> None:
        self.saves += 1
        state = json.dumps({"scene": self.saves % 12, "answers": {"q1": "b", "q2": ["a", "c"]}, "visited": 7})
        body = json.dumps({"state": state}).encode()
        status, _, data = await self.connection.request("POST", "/lti/api/state", body, {
            "Content-Type": "application/json", "Authorization": f"Bearer {self.token}"})
        if status != 200:
            raise Failure(f"save {status}: {snippet(data)}")


class Failure(Exception):
    """A response the tool must not give under load."""


def snippet(data: bytes) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", data.decode(errors="replace")).split())[-200:]


async def timed(phase: Phase, kind: str, zero: float, action: Callable[[], Awaitable[Any]]) -> tuple[bool, Any]:
    """(whether the action succeeded, its result); either way one sample."""
    started = time.perf_counter()
    result, ok = None, True
    try:
        result = await action()
    except Exception as error:  # every fault counts as an error, whatever it is
        ok = False
        phase.errors.append(f"{kind}: {type(error).__name__}: {error}")
    phase.samples.append(Sample(kind, started - zero, time.perf_counter() - started, ok))
    return ok, result


async def run_phase(name: str, clients: list[Client], seconds: float,
                    step: Callable[[Client, Phase, float], Awaitable[None]]) -> Phase:
    """Every client repeats `step` until the deadline; a request started before it is counted in full."""
    phase = Phase(name)
    cpu = time.process_time()
    zero = time.perf_counter()
    window_start = time.monotonic()
    deadline = zero + seconds

    async def loop(client: Client) -> None:
        while time.perf_counter() < deadline:
            await step(client, phase, zero)

    await asyncio.gather(*(loop(client) for client in clients))
    phase.elapsed = time.perf_counter() - zero
    phase.window = (window_start, time.monotonic())
    phase.driver_cpu = time.process_time() - cpu
    return phase


async def launch_step(client: Client, phase: Phase, zero: float) -> None:
    """A full launch: login then launch; its total time is sampled as `full launch`."""
    started = time.perf_counter()
    ok, auth = await timed(phase, "login", zero, client.login)
    if ok and (await timed(phase, "launch POST", zero, lambda: client.launch(*auth)))[0]:
        phase.samples.append(Sample("full launch", started - zero, time.perf_counter() - started, True))


async def save_step(client: Client, phase: Phase, zero: float) -> None:
    await timed(phase, "save", zero, client.save)


async def drive_async(plan: Plan) -> list[Phase]:
    """Launches, then saves by the same clients with the session of their last launch. A client whose
    launches all failed has no token; its saves count as errors (401)."""
    key = serialization.load_pem_private_key(plan.private_pem, password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    clients = [Client(plan, number, key) for number in range(plan.concurrency)]
    if plan.floor:
        for client in clients:
            client.token = "floor"
        return [await run_phase("floor", clients, plan.seconds, save_step)]
    for client in clients[:8]:  # each worker fetches and caches the platform's key set on its first launch
        with suppress(Failure, OSError, asyncio.IncompleteReadError):  # a fault here shows in the timed phase
            await client.launch(*await client.login())
    launches = await run_phase("launches", clients, plan.seconds, launch_step)
    saves = await run_phase("saves", clients, plan.seconds, save_step)
    for client in clients:
        client.connection.close()
    return [launches, saves]


def drive(plan: Plan) -> list[Phase]:
    return asyncio.run(drive_async(plan))


def run_driver(plan: Plan) -> list[Phase]:
    """The driver in a process of its own; spawn, not fork, so it starts clean, without this process's threads
    or sockets."""
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    driver = context.Process(target=driver_main, args=(plan, sender))
    driver.start()
    sender.close()
    phases: list[Phase] = receiver.recv()
    driver.join()
    return phases


def driver_main(plan: Plan, results: Any) -> None:
    results.send(drive(plan))
    results.close()


# Where the processor time goes: the tool's processes (gunicorn's session) and PostgreSQL's, read from /proc
# while the phases run, so that a figure can be traced to the tool, the database or the driver.

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(owner: Callable[[list[str]], bool]) -> float:
    """User plus system time of the live processes whose /proc/<pid>/stat fields `owner` accepts."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with suppress(OSError):
            text = stat.read_text()
            fields = [text[:text.index(" (")], text[text.index(" (") + 2:text.rindex(")")],
                      *text[text.rindex(")") + 2:].split()]
            if owner(fields):
                total += int(fields[13]) + int(fields[14])
    return total / TICKS


class CpuSampler:
    """Samples the tool's and PostgreSQL's processor time every INTERVAL seconds on time.monotonic()."""

    INTERVAL = 0.05

    def __init__(self, tool_session: int) -> None:
        self.samples: list[tuple[float, float, float]] = []
        self._tool = str(tool_session)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> CpuSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append((time.monotonic(), cpu_seconds(lambda fields: fields[5] == self._tool),
                                 cpu_seconds(lambda fields: fields[1] == "postgres")))
            self._stop.wait(self.INTERVAL)

    def used(self, window: tuple[float, float]) -> tuple[float, float]:
        """(tool, PostgreSQL) processor seconds between the last sample before the window and the first after."""
        before = max((sample for sample in self.samples if sample[0] <= window[0]), default=self.samples[0])
        after = min((sample for sample in self.samples if sample[0] >= window[1]), default=self.samples[-1])
        return after[1] - before[1], after[2] - before[2]


# The report.

def percentile(ordered: list[float], fraction: float) -> float:
    """Nearest-rank percentile; the list is sorted."""
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))]


def report(phases: list[Phase], plan: Plan, workers: int, threads: int, cpu: CpuSampler) -> None:
    print(f"LTI tool under gunicorn ({workers} workers × {threads} threads), PostgreSQL on 127.0.0.1, "
          f"{plan.concurrency} concurrent clients in a separate process, {plan.seconds:g} s a phase, "
          f"{os.cpu_count()} CPUs")
    rates = {"launches": ("full launch", "launches/s"), "saves": ("save", "saves/s")}
    worst_p95 = max(describe(phase, *rates[phase.name], cpu) for phase in phases)
    print(f"\ntargets: ≥ {TARGETS['launches/s']:.0f} launches/s, ≥ {TARGETS['saves/s']:,.0f} saves/s, p95 < "
          f"{TARGETS['p95 ms']:.0f} ms a request (worst p95 of login, launch POST and save here: {worst_p95:.1f} "
          f"ms), 0 errors (here: {sum(len(phase.errors) for phase in phases)})")


def report_floor(phase: Phase, cpu: CpuSampler) -> None:
    print("\nThe floor: the same saves against bench/floor.py, a Flask app that only answers them, under the same "
          "gunicorn settings")
    describe(phase, "save", "saves/s", cpu)


def describe(phase: Phase, kind: str, label: str, cpu: CpuSampler) -> float:
    """Prints the phase's rate (of `kind`), processor time and latencies; the worst p95 of its HTTP requests."""
    done = sum(1 for sample in phase.samples if sample.kind == kind and sample.ok)
    target = f" (target ≥ {TARGETS[label]:,.0f})" if phase.name in ("launches", "saves") else ""
    print(f"\n{phase.name}: {done} in {phase.elapsed:.2f} s = {done / phase.elapsed:,.0f} {label}{target}   "
          f"errors {len(phase.errors)}")
    server_cpu, database_cpu = cpu.used(phase.window)
    each = 1000 / max(done, 1)
    print(f"  processor time: server {server_cpu:.1f} s ({server_cpu * each:.2f} ms each), PostgreSQL "
          f"{database_cpu:.1f} s ({database_cpu * each:.2f} ms each), driver {phase.driver_cpu:.1f} s "
          f"({phase.driver_cpu * each:.2f} ms each)")
    print(f"  {'kind':<22}{'count':>7}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    request_p95s = []
    for name in dict.fromkeys(sample.kind for sample in phase.samples):
        ordered = sorted(sample.seconds * 1000 for sample in phase.samples if sample.kind == name and sample.ok)
        p95 = percentile(ordered, 0.95)
        if name != "full launch":  # two requests, not one (see the module's docstring)
            request_p95s.append(p95)
        print(f"  {name:<22}{len(ordered):>7}{percentile(ordered, 0.50):>9.1f}{p95:>9.1f}"
              f"{percentile(ordered, 0.99):>9.1f}{(ordered[-1] if ordered else float('nan')):>9.1f}")
    for line in list(dict.fromkeys(phase.errors))[:10]:  # the distinct faults, not thousands of lines
        print(f"  error: {line}")
    return max(request_p95s, default=float("nan"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each phase (default 10)")
    parser.add_argument("--concurrency", type=int, default=32, help="concurrent clients (default 32)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2, as `make serve`)")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (default 4, as `make serve`)")
    parser.add_argument("--floor", action="store_true",
                        help="then the same saves against bench/floor.py: what gunicorn and Flask alone cost")
    args = parser.parse_args()

    private = rsa.generate_private_key(65537, 2048)
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    key_sets = key_set_server(private)
    issuer = f"http://127.0.0.1:{key_sets.server_address[1]}"
    port = free_port()
    plan = Plan(port, issuer, pem, args.seconds, args.concurrency)
    try:
        with fresh_database() as database_url:
            subprocess.run(stopsexting(
                "lti", "add-platform", "--issuer", issuer, "--client-id", CLIENT_ID,
                "--auth-login-url", f"{issuer}/auth", "--auth-token-url", f"{issuer}/token",
                "--key-set-url", f"{issuer}/jwks", "--deployment-id", DEPLOYMENT_ID, "--database-url", database_url),
                cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
            with server(tool_command(database_url, port, args.workers, args.threads), port) as tool, \
                    CpuSampler(tool.pid) as cpu:
                phases = run_driver(plan)
        if args.floor:
            with server(floor_command(port, args.workers, args.threads), port) as floor, \
                    CpuSampler(floor.pid) as floor_cpu:
                floor_phases = run_driver(replace(plan, floor=True))
    finally:
        key_sets.shutdown()
    report(phases, plan, args.workers, args.threads, cpu)
    if args.floor:
        report_floor(floor_phases[0], floor_cpu)


if __name__ == "__main__":
    main()

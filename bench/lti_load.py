"""Load on the LTI tool as production runs it: gunicorn (`stopsexting serve`, 2 workers) on PostgreSQL over
loopback, driven by 32 concurrent clients from another process, so the figures include the HTTP server, the
database round trips and the worker processes, not a Flask test client.

Two bounded phases: full launches (GET /lti/login → POST /lti/launch with an RS256 id_token, as a platform
and a browser do it) and state saves (the runtime's POST /lti/api/state with the launch's bearer token).
Prints launches/s, saves/s, p50/p95/p99 latency per kind and the error count beside the targets of issue 5;
it reports, it does not assert. Everything it creates goes away: gunicorn is stopped, the database dropped.

    .venv/bin/python -m bench.lti_load [--seconds 10] [--concurrency 32] [--workers 2]
"""

from __future__ import annotations

import argparse
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
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
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
def tool_server(database_url: str, port: int, workers: int) -> Iterator[subprocess.Popen[bytes]]:
    """`stopsexting serve` as an administrator runs it; its access log (one line a request) is discarded so the
    terminal is not the bottleneck, and its errors go to a file shown if it fails to start."""
    with tempfile.NamedTemporaryFile(prefix="stopsexting-bench-serve-", suffix=".log", delete=False) as errors:
        log = Path(errors.name)
        process = subprocess.Popen(
            stopsexting("serve", "--port", str(port), "--workers", str(workers), "--database-url", database_url,
                        "--lessons", str(ROOT / "lessons")),
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=errors, start_new_session=True)
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


def wait_until_up(process: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"stopsexting serve exited with {process.returncode}:\n{log.read_text()}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/lti/jwks")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"stopsexting serve did not answer within {STARTUP_SECONDS:.0f} s:\n{log.read_text()}")


# The driver: a separate process, one keep-alive-capable connection per thread (gunicorn's sync workers close
# after each response; http.client reopens), as light as a client can be so that it measures the tool.

class Client:
    """One simulated student: logs in, launches, then saves state with the session the launch page gave."""

    def __init__(self, plan: Plan, number: int, key: rsa.RSAPrivateKey) -> None:
        self.plan, self.key = plan, key
        self.sub = f"bench-user-{number}"
        self.target = f"http://127.0.0.1:{plan.port}/modules/{MODULE}"
        self.connection = http.client.HTTPConnection("127.0.0.1", plan.port, timeout=30)
        self.token: str | None = None
        self.saves = 0

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, http.client.HTTPMessage, bytes]:
        try:
            self.connection.request(method, path, body=body, headers=headers or {})
            response = self.connection.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            self.connection.close()  # the next request opens a new connection
            raise
        if response.will_close:
            self.connection.close()
        return response.status, response.headers, data

    def login(self) -> tuple[dict[str, str], str]:
        """GET /lti/login as the platform's redirect makes the browser do; the auth request's parameters (from
        the URL the login page's script goes on to) and the state cookie the browser would keep."""
        query = urlencode({"iss": self.plan.issuer, "login_hint": self.sub, "target_link_uri": self.target,
                           "client_id": CLIENT_ID, "lti_deployment_id": DEPLOYMENT_ID, "lti_message_hint": "bench"})
        status, headers, data = self.request("GET", f"/lti/login?{query}")
        found = AUTH_URL.search(data.decode(errors="replace"))
        if status != 200 or found is None:
            raise Failure(f"login {status} without the auth URL: {snippet(data)}")
        auth_url = unescape(found.group(1))
        auth = {name: values[0] for name, values in parse_qs(urlsplit(auth_url).query).items()}
        cookies = [match.group(0) for value in headers.get_all("Set-Cookie") or []
                   if (match := STATE_COOKIE.search(value))]
        if not cookies or "state" not in auth or "nonce" not in auth:
            raise Failure(f"login page without state, nonce or state cookie: {auth_url}")
        return auth, "; ".join(cookies)

    def launch(self, auth: dict[str, str], cookie: str) -> None:
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
        status, _, data = self.request("POST", "/lti/launch", body, {
            "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
        if status != 200:
            raise Failure(f"launch {status}: {snippet(data)}")
        found = SESSION_SCRIPT.search(data.decode())
        if found is None:
            raise Failure("launch 200 without <script id=\"lti-session\">")
        self.token = str(json.loads(unescape(found.group(1)))["token"])

    def save(self) -> None:
        self.saves += 1
        state = json.dumps({"scene": self.saves % 12, "answers": {"q1": "b", "q2": ["a", "c"]}, "visited": 7})
        status, _, data = self.request("POST", "/lti/api/state", json.dumps({"state": state}).encode(), {
            "Content-Type": "application/json", "Authorization": f"Bearer {self.token}"})
        if status != 200:
            raise Failure(f"save {status}: {snippet(data)}")


class Failure(Exception):
    """A response the tool must not give under load."""


def snippet(data: bytes) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", data.decode(errors="replace")).split())[-200:]


def timed(samples: list[Sample], errors: list[str], kind: str, zero: float, action: Callable[[], None]) -> bool:
    started = time.perf_counter()
    try:
        action()
        ok = True
    except Exception as error:  # every fault counts as an error, whatever it is
        ok = False
        errors.append(f"{kind}: {type(error).__name__}: {error}")
    samples.append(Sample(kind, started - zero, time.perf_counter() - started, ok))
    return ok


def run_phase(name: str, clients: list[Client], seconds: float, step: Callable[[Client, list[Sample], list[str],
              float], None]) -> Phase:
    """Every client repeats `step` until the deadline; a request started before it is counted in full."""
    phase = Phase(name)
    cpu = time.process_time()
    zero = time.perf_counter()
    deadline = zero + seconds
    per_thread: list[tuple[list[Sample], list[str]]] = [([], []) for _ in clients]

    def loop(client: Client, samples: list[Sample], errors: list[str]) -> None:
        while time.perf_counter() < deadline:
            step(client, samples, errors, zero)

    threads = [threading.Thread(target=loop, args=(client, *lists)) for client, lists in zip(clients, per_thread,
                                                                                          strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    phase.elapsed = time.perf_counter() - zero
    phase.driver_cpu = time.process_time() - cpu
    for samples, errors in per_thread:
        phase.samples += samples
        phase.errors += errors
    return phase


def launch_step(client: Client, samples: list[Sample], errors: list[str], zero: float) -> None:
    """A full launch: login then launch; its total time is sampled as `launch (login+launch)`."""
    started = time.perf_counter()
    auth: list[tuple[dict[str, str], str]] = []
    if timed(samples, errors, "login", zero, lambda: auth.append(client.login())) and timed(
            samples, errors, "launch POST", zero, lambda: client.launch(*auth[0])):
        samples.append(Sample("full launch", started - zero, time.perf_counter() - started, True))


def save_step(client: Client, samples: list[Sample], errors: list[str], zero: float) -> None:
    timed(samples, errors, "save", zero, client.save)


def drive(plan: Plan) -> list[Phase]:
    """The driver process's work: launches, then saves by the same clients with the session of their last
    launch. A client whose launches all failed has no token; its saves count as errors (401)."""
    key = serialization.load_pem_private_key(plan.private_pem, password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    clients = [Client(plan, number, key) for number in range(plan.concurrency)]
    for client in clients[:4]:  # each worker fetches and caches the platform's key set on its first launch
        with suppress(Failure, OSError, http.client.HTTPException):  # a fault here shows in the timed phase
            client.launch(*client.login())
    launches = run_phase("launches", clients, plan.seconds, launch_step)
    saves = run_phase("saves", clients, plan.seconds, save_step)
    return [launches, saves]


def driver_main(plan: Plan, results: Any) -> None:
    results.send(drive(plan))
    results.close()


# The report.

def percentile(ordered: list[float], fraction: float) -> float:
    """Nearest-rank percentile; the list is sorted."""
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))]


def report(phases: list[Phase], plan: Plan, workers: int) -> None:
    print(f"LTI tool under gunicorn ({workers} sync workers), PostgreSQL on 127.0.0.1, {plan.concurrency} concurrent "
          f"clients in a separate process, {plan.seconds:g} s a phase, {os.cpu_count()} CPUs")
    rates = {"launches": ("full launch", "launches/s"), "saves": ("save", "saves/s")}
    total_errors = 0
    worst_p95 = 0.0
    for phase in phases:
        kind, label = rates[phase.name]
        done = sum(1 for sample in phase.samples if sample.kind == kind and sample.ok)
        rate = done / phase.elapsed
        errors = len(phase.errors)
        total_errors += errors
        print(f"\n{phase.name}: {done} in {phase.elapsed:.2f} s = {rate:,.0f} {label} (target ≥ "
              f"{TARGETS[label]:,.0f})   errors {errors} (target 0)   driver CPU {phase.driver_cpu:.1f} s")
        print(f"  {'kind':<22}{'count':>7}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}")
        for name in dict.fromkeys(sample.kind for sample in phase.samples):
            ordered = sorted(sample.seconds * 1000 for sample in phase.samples if sample.kind == name and sample.ok)
            p95 = percentile(ordered, 0.95)
            if name in ("full launch", "save"):
                worst_p95 = max(worst_p95, p95)
            print(f"  {name:<22}{len(ordered):>7}{percentile(ordered, 0.50):>9.1f}{p95:>9.1f}"
                  f"{percentile(ordered, 0.99):>9.1f}{(ordered[-1] if ordered else float('nan')):>9.1f}")
        for line in list(dict.fromkeys(phase.errors))[:10]:  # the distinct faults, not thousands of lines
            print(f"  error: {line}")
    print(f"\ntargets: ≥ {TARGETS['launches/s']:.0f} launches/s, ≥ {TARGETS['saves/s']:,.0f} saves/s, p95 < "
          f"{TARGETS['p95 ms']:.0f} ms (worst p95 of full launch and save here: {worst_p95:.1f} ms), 0 errors "
          f"(here: {total_errors})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each phase (default 10)")
    parser.add_argument("--concurrency", type=int, default=32, help="concurrent clients (default 32)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2, as `make serve`)")
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
            with tool_server(database_url, port, args.workers):
                # spawn, not fork: the driver starts clean, without this process's threads or sockets
                context = multiprocessing.get_context("spawn")
                receiver, sender = context.Pipe(duplex=False)
                driver = context.Process(target=driver_main, args=(plan, sender))
                driver.start()
                sender.close()
                phases: list[Phase] = receiver.recv()
                driver.join()
    finally:
        key_sets.shutdown()
    report(phases, plan, args.workers)


if __name__ == "__main__":
    main()

"""The fault suite against the production server, bounded in time; prints a table of figures.

Usage: ``python -m bench.soak`` from the repository root (``make soak`` installs ``wrk`` first).
Every server listens on 127.0.0.1, every load is bounded in time, every process started here is
stopped on the way out. ``SOAK_SECONDS`` (default 30) is the length of the memory run, and
``SOAK_SLOW_CLIENTS`` (default 300) the number of stalled connections; ``SOAK_COMPARE=1`` also
runs the slow-client case against gunicorn's plain gthread worker. Exits 1 if a case fails.
"""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import orjson
import requests

from bench.run import free_port, stop_process

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
SECONDS = int(os.environ.get("SOAK_SECONDS", 30))
SLOW_CLIENTS = int(os.environ.get("SOAK_SLOW_CLIENTS", 300))
COMPARE = os.environ.get("SOAK_COMPARE") == "1"
IRIS_ROW = {"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2}
PREDICT = "/api/models/iris_model/predict"
WRK_SCRIPT = ('wrk.method = "POST"\nwrk.body = \'%s\'\n'
              'wrk.headers["Content-Type"] = "application/json"\n' % orjson.dumps(IRIS_ROW).decode())

rows: list[tuple[str, str, str, bool]] = []  # case, figure, value, passed


def record(case: str, figure: str, value, passed: bool = True) -> None:
    rows.append((case, figure, str(value), passed))
    print(f"  {case}: {figure} = {value}{'' if passed else '  FAILED'}", flush=True)


class Server:
    """``model-service serve`` with the production settings, in its own session."""

    def __init__(self, directory: Path, workers: int = 2, hanging: dict | None = None,
                 **env: str) -> None:
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        models = ["  - class_path: iris_model.IrisModel"]
        if hanging is not None:
            models.append("  - class_path: fixture_models.hanging_model.HangingModel\n"
                          f"    configuration: {orjson.dumps(hanging['configuration']).decode()}\n"
                          f"    limits: {orjson.dumps(hanging['limits']).decode()}")
        path = directory / f"models-{self.port}.yaml"
        path.write_text("discover_entry_points: false\nmodels:\n" + "\n".join(models) + "\n")
        self.env = dict(os.environ, APP_SETTINGS="production", MODEL_SERVICE_CONFIG=str(path),
                        PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "tests" / "fixtures")]),
                        **env)
        self.command = [sys.executable, "-m", "model_service", "serve", "--host", HOST,
                        "--port", str(self.port), "--workers", str(workers)]
        self.log = tempfile.TemporaryFile()
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "Server":
        self.process = subprocess.Popen(self.command, env=self.env, cwd=ROOT, stdout=self.log,
                                        stderr=self.log, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("the server exited: " + self.output()[-2000:])
            try:
                if requests.get(self.url + "/readyz", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise TimeoutError("the server did not come up")

    def __exit__(self, *exc) -> None:
        stop_process(self.process)
        self.log.close()

    def output(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def workers(self) -> list[int]:
        pid = self.process.pid
        try:
            return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
        except OSError:
            return []

    def rss_mib(self) -> list[float]:
        sizes = []
        for pid in self.workers():
            try:
                text = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            sizes.append(int(re.search(r"VmRSS:\s+(\d+)", text).group(1)) / 1024)
        return sizes


def timed(call) -> tuple[object, float]:
    started = time.monotonic()
    try:
        result = call()
    except requests.RequestException as error:
        result = type(error).__name__
    return result, time.monotonic() - started


def probe(url: str, path: str) -> tuple[object, float]:
    return timed(lambda: requests.get(url + path, timeout=3).status_code)


def wrk(url: str, connections: int, seconds: int) -> dict:
    script = Path(tempfile.mkstemp(suffix=".lua")[1])
    script.write_text(WRK_SCRIPT)
    try:
        out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency",
                              "-s", str(script), url + PREDICT], capture_output=True, text=True,
                             timeout=seconds + 30).stdout
    finally:
        script.unlink()
    requests_done = int(re.search(r"(\d+) requests in", out).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), "
                              r"timeout (\d+)", out)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 1e-3, "ms": 1.0, "s": 1e3}
    return {"requests": requests_done, "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out)
                                                     .group(1)),
            "errors": (int(non_2xx.group(1)) if non_2xx else 0)
            + (sum(map(int, socket_errors.groups())) if socket_errors else 0),
            "p99_ms": float(p99.group(1)) * scale[p99.group(2)] if p99 else float("nan")}


# --------------------------------------------------------------------------- the cases


def slow_clients(directory: Path, worker_class: str | None = None) -> None:
    case = "slow clients" + (f" ({worker_class})" if worker_class else "")
    env = {"GUNICORN_WORKER_CLASS": worker_class} if worker_class else {}
    with Server(directory, **env) as server:
        body = orjson.dumps(IRIS_ROW)
        head = (f"POST {PREDICT} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode()
        stalled = []
        try:
            for index in range(SLOW_CLIENTS):
                client = socket.create_connection((HOST, server.port), timeout=5)
                if index % 3 == 0:
                    client.sendall(head[:30])  # half a request line
                elif index % 3 == 1:
                    client.sendall(head + body[:5])  # the head, then a few bytes of body
                stalled.append(client)  # and a third send nothing at all
            results = [probe(server.url, path) for _ in range(5) for path in ("/healthz", "/readyz")]
        finally:
            for client in stalled:
                client.close()
        answered = sum(1 for status, seconds in results if status == 200 and seconds < 1)
        worst = max(seconds for _, seconds in results)
        record(case, f"probes answered within 1 s ({SLOW_CLIENTS} stalled connections)",
               f"{answered}/{len(results)}", answered == len(results) or worker_class is not None)
        record(case, "slowest probe", f"{worst * 1000:.0f} ms")


def hung_model(directory: Path) -> None:
    case = "hung model"
    markers = directory / "hung"
    markers.mkdir()
    hanging = {"configuration": {"marker_dir": str(markers), "hang_s": 60},
               "limits": {"timeout_s": 2, "max_concurrency": 2, "max_queue": 8}}
    with Server(directory, hanging=hanging) as server:
        def hang(value):
            return timed(lambda: requests.post(f"{server.url}/api/models/hanging_model/predict",
                                               json={"value": value}, timeout=30).status_code)

        with ThreadPoolExecutor(40) as pool:
            held = [pool.submit(hang, value) for value in range(1, 41)]
            time.sleep(0.3)
            others = [probe(server.url, "/healthz") for _ in range(5)]
            others += [timed(lambda: requests.post(server.url + PREDICT, json=IRIS_ROW,
                                                   timeout=3).status_code) for _ in range(5)]
            outcomes = [future.result() for future in held]
        (markers / "release").touch()
        statuses = [status for status, _ in outcomes]
        counts = {code: statuses.count(code) for code in sorted(set(statuses), key=str)}
        record(case, "its 40 callers' answers", " ".join(f"{c}x{n}" for c, n in counts.items()),
               set(statuses) <= {503, 504})
        record(case, "slowest of its answers", f"{max(s for _, s in outcomes):.1f} s",
               max(s for _, s in outcomes) < 4)
        worst = max(seconds for _, seconds in others)
        record(case, "probes and iris meanwhile: slowest", f"{worst * 1000:.0f} ms",
               all(status == 200 for status, _ in others) and worst < 1)


def overload(directory: Path) -> None:
    case = "overload"
    with Server(directory) as server:
        # 2 workers x 16 threads, at most 64 requests waiting for a thread in each: 64
        # connections are all served; at 256, the excess is refused at once (503).
        for connections in (64, 256):
            result = wrk(server.url, connections, 5)
            record(case, f"iris at {connections} connections, 5 s",
                   f"{result['requests']} requests, {result['errors']} refused or failed, "
                   f"p99 {result['p99_ms']:.0f} ms",
                   result["errors"] == 0 if connections <= 64 else result["p99_ms"] < 2000)
        refused = requests.post(server.url + PREDICT, json=IRIS_ROW, timeout=5)
        record(case, "served again right after", refused.status_code, refused.status_code == 200)


HOSTILE = {
    "chunk size 'zz'": b"zz\r\n{}\r\n0\r\n\r\n",
    "negative chunk size": b"-5\r\n{}\r\n0\r\n\r\n",
    "chunk without its CRLF": b"2\r\n{}XX0\r\n\r\n",
    "chunked past the body limit": b"".join(b"10000\r\n" + b" " * 0x10000 + b"\r\n"
                                            for _ in range(170)) + b"0\r\n\r\n",
}


def hostile(directory: Path) -> None:
    case = "hostile input"
    with Server(directory, workers=1) as server:
        statuses = {}
        for name, framing in HOSTILE.items():
            head = (f"POST {PREDICT} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    "Transfer-Encoding: chunked\r\n\r\n").encode()
            with socket.create_connection((HOST, server.port), timeout=10) as client:
                try:
                    client.sendall(head + framing)
                    client.shutdown(socket.SHUT_WR)
                    statuses[name] = int(client.recv(100).split(b" ", 2)[1])
                except OSError as error:
                    statuses[name] = type(error).__name__
        deep = (b'{"sepal_length": ' + b"[" * 995 + b"1" + b"]" * 995 + b"}")
        statuses["995 levels deep"] = requests.post(
            server.url + PREDICT, data=deep, headers={"Content-Type": "application/json"},
            timeout=10).status_code
        for name, status in statuses.items():
            record(case, name, status, status in (400, 408, 413))
        body = b"[" + b"{}," * 3_400_000 + b"{}]"
        before = sum(server.rss_mib())
        peak = before
        with ThreadPoolExecutor(4) as pool:
            sent = [pool.submit(lambda: requests.post(
                server.url + "/api/models/iris_model/predict_batch", data=body,
                headers={"Content-Type": "application/json"}, timeout=60).status_code)
                for _ in range(4)]
            while not all(future.done() for future in sent):
                peak = max(peak, sum(server.rss_mib()))
                time.sleep(0.05)
        after = sum(server.rss_mib())
        record(case, "4 x 9.7 MiB [{},{},...] at once",
               ",".join(str(future.result()) for future in sent),
               all(future.result() == 413 for future in sent))
        record(case, "worker RSS before / peak / after", f"{before:.0f} / {peak:.0f} / "
               f"{after:.0f} MiB", peak - before < 150)
        record(case, "tracebacks in the log", server.output().count("Traceback"),
               "Traceback" not in server.output())


def _knock(port: int) -> str:
    try:
        client = socket.create_connection((HOST, port), timeout=5)
    except ConnectionRefusedError:
        return "refused"
    with client:
        try:
            client.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            answer = client.recv(100)
        except OSError:
            return "reset"
        return "answered" if answer.startswith(b"HTTP/1.1 ") else "reset"


def sigterm(directory: Path) -> None:
    case = "SIGTERM under load"
    markers = directory / "term"
    markers.mkdir()
    hanging = {"configuration": {"marker_dir": str(markers), "hang_s": 60},
               "limits": {"timeout_s": 30, "max_concurrency": 4, "max_queue": 8}}
    server = Server(directory, hanging=hanging)
    with server:
        threading.Thread(target=lambda: requests.post(
            f"{server.url}/api/models/hanging_model/predict", json={"value": 1}, timeout=30),
            daemon=True).start()
        while not (markers / "started-1").exists():
            time.sleep(0.01)
        outcomes: list[str] = []
        stop = time.monotonic() + 3

        def knock():
            while time.monotonic() < stop:
                outcomes.append(_knock(server.port))

        with ThreadPoolExecutor(4) as pool:
            for _ in range(4):
                pool.submit(knock)
            time.sleep(0.5)
            server.process.send_signal(signal.SIGTERM)
            time.sleep(1.5)
            (markers / "release").touch()
        status = server.process.wait(timeout=30)
        record(case, "late clients: answered / refused / reset",
               f"{outcomes.count('answered')} / {outcomes.count('refused')} / "
               f"{outcomes.count('reset')}", outcomes.count("reset") == 0)
        record(case, "exit status (a request in flight, released)", status, status == 0)


def sigkill(directory: Path) -> None:
    case = "SIGKILL a worker"
    with Server(directory) as server:
        victim = server.workers()[0]
        threading.Timer(1.0, lambda: os.kill(victim, signal.SIGKILL)).start()
        result = wrk(server.url, 16, 5)
        time.sleep(1)
        record(case, "requests, errors in 5 s (16 connections)",
               f"{result['requests']}, {result['errors']}", result["errors"] <= 32)
        record(case, "workers after", len(server.workers()), len(server.workers()) == 2)


def memory(directory: Path) -> None:
    case = "memory"
    with Server(directory) as server:
        wrk(server.url, 16, 2)
        before = server.rss_mib()
        result = wrk(server.url, 16, SECONDS)
        after = server.rss_mib()
        record(case, f"iris at 16 connections, {SECONDS} s",
               f"{result['requests']} requests, {result['errors']} errors, "
               f"{result['rps']:.0f}/s, p99 {result['p99_ms']:.0f} ms", result["errors"] == 0)
        record(case, "worker RSS before -> after", ", ".join(
            f"{b:.0f} -> {a:.0f} MiB" for b, a in zip(before, after)),
            all(a - b < 30 for b, a in zip(before, after)))


def main() -> int:
    if not subprocess.run(["which", "wrk"], capture_output=True).returncode == 0:
        print("wrk is missing (make wrk)", file=sys.stderr)
        return 2
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="soak-") as name:
        directory = Path(name)
        cases = [slow_clients, hung_model, overload, hostile, sigterm, sigkill, memory]
        for case in cases:
            print(f"{case.__name__} ...", flush=True)
            case(directory)
        if COMPARE:
            slow_clients(directory, "gthread")
    width = max(len(case) + len(figure) for case, figure, _, _ in rows) + 3
    print(f"\n{'case / figure':<{width}} value")
    for case, figure, value, passed in rows:
        print(f"{case + ': ' + figure:<{width}} {value}{'' if passed else '   <- FAILED'}")
    failed = [row for row in rows if not row[3]]
    print(f"\n{len(rows) - len(failed)} of {len(rows)} figures within bounds, "
          f"{time.monotonic() - started:.0f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

"""The outside world of the SMS fault tests and the bulk-send benchmark, and throw-away servers.

- `FakeSmsGateway`: a local HTTP server speaking the generic gateway's contract (dealer_crm/
  messaging/gateways/http.py). It records every message id it receives, in order, and can answer
  500 to the first requests, sleep past the client's timeout, hold a request until the test lets it
  go (to kill a worker while it waits for the answer), and push delivery receipts to a URL. `GET
  /stats` answers its counts as JSON and `GET /ids` every id taken, for a benchmark that runs it in
  a process of its own:

      .venv/bin/python -m tests.dealer_crm.messaging.fakes --port 8765

- `RedisServer`: a redis-server of our own on a free port (no persistence), to stop and start again.
- `CeleryWorker`: a `celery -A dealer_crm worker` process (solo pool) with its output in a file, to
  SIGKILL and start again.
- `free_port()`.
"""

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.request import Request, urlopen


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class FakeSmsGateway:
    """Answers each POST of {"messages": [...]} with {"results": [... "accepted"]}.

    fail_first: answer 500 (nothing taken) to that many requests first.
    delay: seconds to wait before answering (after recording the messages: the gateway has them).
    on_request: called with the request's number (1, 2, …) after it is recorded, before the answer;
        it may block, to hold the sender in the middle of its call.
    receipts_url: where to push [{"id", "status": "delivered"}] for each accepted request.
    """

    def __init__(self, *, fail_first: int = 0, delay: float = 0.0, on_request=None, receipts_url: str = "",
                 port: int = 0):
        self.fail_first, self.delay, self.on_request, self.receipts_url = fail_first, delay, on_request, receipts_url
        self.lock = threading.Lock()
        self.received: list[str] = []  # every message id taken, in order, repeats included
        self.phones: dict[str, str] = {}
        self.requests = 0
        self.answered_500 = 0
        self.server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self.server.daemon_threads = True
        self.thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/send"

    # --- what it saw ---
    def counts(self) -> Counter:
        with self.lock:
            return Counter(self.received)

    def duplicates(self) -> dict[str, int]:
        return {message_id: n for message_id, n in self.counts().items() if n > 1}

    def stats(self) -> dict:
        counts = self.counts()
        return {"requests": self.requests, "answered_500": self.answered_500, "messages": sum(counts.values()),
                "distinct": len(counts), "duplicates": sum(n - 1 for n in counts.values() if n > 1)}

    def reset(self) -> None:
        with self.lock:
            self.received.clear()
            self.phones.clear()
            self.requests = self.answered_500 = 0

    # --- the server ---
    def start(self) -> "FakeSmsGateway":
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> "FakeSmsGateway":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _take(self, body: bytes) -> tuple[int, int, list[str]]:
        messages = json.loads(body)["messages"]
        with self.lock:
            self.requests += 1
            number = self.requests
            if number <= self.fail_first:
                self.answered_500 += 1
                return number, 500, []
            ids = [str(message["id"]) for message in messages]
            self.received.extend(ids)
            for message in messages:
                self.phones[str(message["id"])] = message["phone"]
        return number, 200, ids

    def _push_receipts(self, ids: list[str]) -> None:
        body = json.dumps([{"id": message_id, "status": "delivered"} for message_id in ids]).encode()
        try:
            urlopen(Request(self.receipts_url, data=body, headers={"Content-Type": "application/json"}), timeout=10)
        except OSError:
            pass  # a gateway whose push fails pushes again later; the tests record what it received

    def _handler(self):
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive: the sender reuses its connection

            def do_POST(self):  # noqa: N802 - the http.server API
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                number, status, ids = gateway._take(body)
                if gateway.on_request is not None:
                    gateway.on_request(number)
                if gateway.delay:
                    time.sleep(gateway.delay)
                answer = {"results": [{"id": message_id, "status": "accepted", "ref": f"fake-{message_id}"}
                                      for message_id in ids]} if status == 200 else {"error": "try again"}
                self._answer(status, answer)
                if status == 200 and gateway.receipts_url and ids:
                    threading.Thread(target=gateway._push_receipts, args=(ids,), daemon=True).start()

            def do_GET(self):  # noqa: N802
                if self.path.startswith("/reset"):
                    gateway.reset()
                    self._answer(200, {})
                elif self.path.startswith("/ids"):  # every id taken, in order
                    with gateway.lock:
                        self._answer(200, {"ids": list(gateway.received)})
                else:
                    self._answer(200, gateway.stats())

            def _answer(self, status: int, data: dict) -> None:
                payload = json.dumps(data).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    pass  # the sender gave up (a timeout, a killed worker): it never reads the answer

            def log_message(self, *args):
                pass

        return Handler


class RedisServer:
    """redis-server on a port of its own, without persistence: a restart starts it empty, as a
    crashed broker would. Never the machine's Redis."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "RedisServer":
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed")
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--daemonize", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(16).startswith(b"+PONG"):
                        return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self.process = None


ROOT = Path(__file__).resolve().parents[3]


class CeleryWorker:
    """One worker process (the solo pool: it runs one task at a time in its own main thread, so a
    SIGKILL stops exactly the sender that was running)."""

    def __init__(self, *, env: dict, log_path: Path, name: str = "sms"):
        self.env, self.log_path, self.name = env, Path(log_path), name
        self.process: subprocess.Popen | None = None
        self.starts = 0

    def start(self, *, wait: float = 60) -> "CeleryWorker":
        self.starts += 1
        log = self.log_path.open("a", encoding="utf-8")
        log.write(f"--- start {self.starts} ---\n")
        log.flush()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "dealer_crm", "worker", "--pool=solo", "--without-mingle",
             "--without-gossip", "--without-heartbeat", "-n", f"{self.name}-{self.starts}@%h", "--loglevel=INFO"],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the worker exited at start:\n{self.output()}")
            if self.output().count(" ready.") >= self.starts:
                return self
            time.sleep(0.1)
        raise RuntimeError(f"the worker was not ready after {wait} s:\n{self.output()}")

    def kill(self) -> None:
        """SIGKILL: no clean-up, no acknowledgement, no last word."""
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()

    def output(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""


def main() -> None:
    parser = argparse.ArgumentParser(description="A fake SMS gateway (the generic HTTP contract).")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    gateway = FakeSmsGateway(port=args.port)
    print(f"fake SMS gateway on {gateway.url}", flush=True)
    try:
        gateway.server.serve_forever(poll_interval=0.05)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()

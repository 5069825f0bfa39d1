"""HTTP load generator of the `tickets` scenario: N client threads on raw keep-alive sockets, no Django.

    python bench/load_client.py CONFIG.json

CONFIG: {"port", "mode": "lifecycle" | "floor", "clients", "warmup", "seconds", "tokens": {role: key},
         "grids", "categories", "departments", "floor_pool": [first, last], "seed"}

lifecycle: every client drives complete ticket lifecycles through the real API, one request after another:
    report (POST /api/v1/tickets/, the reporter) → register → dispatch → accept → resolve → verify
    (POST /api/v1/tickets/<id>/<action>/, command center and department handler).
floor: every client posts to the framework-floor endpoint /bench/floor/accept/<id>/ (the handler's token)
    for random tickets of the floor pool.

The client is deliberately lean, because it shares the CPUs with the server and the database: one thread
per client, requests written as bytes, responses parsed just enough (status line, Content-Length or chunked
framing, Connection: close); only the report's response body is decoded (for the ticket id). A connection
is kept open when the server allows it (gunicorn's sync workers close it after every response, so then each
request includes its TCP connect, as it would for any client of that server).

Requests that complete during the measuring window (after `warmup` seconds, for `seconds` seconds) are
counted; the result, printed as one JSON line, has requests/s, p50/p99/mean latency (ms) over all of them
and per action, error counts with the first few bodies, and the client's own CPU time in the window.
"""

import json
import os
import random
import socket
import sys
import threading
import time

LIFECYCLE = ["report", "register", "dispatch", "accept", "resolve", "verify"]
ROLE_OF = {"report": "reporter", "register": "command", "dispatch": "command", "accept": "handler",
           "resolve": "handler", "verify": "command", "floor": "handler"}  # fmt: skip


class ConnectionLost(Exception):
    pass


class Connection:
    """One HTTP/1.1 connection to 127.0.0.1:port, reopened when the server closed it."""

    def __init__(self, port: int):
        self.port = port
        self.sock = None
        self.buffer = b""
        self.connects = 0

    def _open(self):
        self.sock = socket.create_connection(("127.0.0.1", self.port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""
        self.connects += 1

    def close(self):
        if self.sock is not None:
            try:
                self.sock.close()
            finally:
                self.sock = None

    def request(self, raw: bytes) -> tuple[int, bytes]:
        reused = self.sock is not None
        if not reused:
            self._open()
        try:
            self.sock.sendall(raw)
            return self._response()
        except (ConnectionLost, ConnectionResetError, BrokenPipeError):
            self.close()
            if not reused:
                raise
            self._open()  # the server closed an idle keep-alive connection: retry once on a new one
            self.sock.sendall(raw)
            return self._response()

    def _recv(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionLost()
        self.buffer += chunk

    def _response(self) -> tuple[int, bytes]:
        while (end := self.buffer.find(b"\r\n\r\n")) < 0:
            self._recv()
        head, self.buffer = self.buffer[:end], self.buffer[end + 4 :]
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        length, chunked, close = None, False, False
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
            elif name == b"connection" and value.strip().lower() == b"close":
                close = True
        if chunked:
            body = self._chunked()
        elif length is not None:
            while len(self.buffer) < length:
                self._recv()
            body, self.buffer = self.buffer[:length], self.buffer[length:]
        else:  # no framing: the body runs to the end of the connection
            try:
                while True:
                    self._recv()
            except ConnectionLost:
                pass
            body, self.buffer, close = self.buffer, b"", True
        if close:
            self.close()
        return status, body

    def _chunked(self) -> bytes:
        body = b""
        while True:
            while (end := self.buffer.find(b"\r\n")) < 0:
                self._recv()
            size = int(self.buffer[:end].split(b";")[0], 16)
            self.buffer = self.buffer[end + 2 :]
            while len(self.buffer) < size + 2:
                self._recv()
            body += self.buffer[:size]
            self.buffer = self.buffer[size + 2 :]
            if size == 0:
                return body


def build_request(port: int, token: str, path: str, payload: dict) -> bytes:
    body = json.dumps(payload, ensure_ascii=False).encode()
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Token {token}\r\n"
        f"Content-Type: application/json\r\nAccept: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body


class Client(threading.Thread):
    def __init__(self, n: int, config: dict, stop_at: float):
        super().__init__(daemon=True)
        self.n, self.config, self.stop_at = n, config, stop_at
        self.port, self.tokens = config["port"], config["tokens"]
        self.rng = random.Random(config.get("seed", 1) * 1000 + n)
        self.conn = Connection(self.port)
        self.samples: list[tuple[str, float, float]] = []  # (action, started, finished), successes only
        self.errors: list[tuple[str, float, int, str]] = []  # (action, finished, status, body head)
        self.lifecycles: list[float] = []  # finish times of completed lifecycles

    def call(self, action: str, path: str, payload: dict, expect: int) -> bytes | None:
        raw = build_request(self.port, self.tokens[ROLE_OF[action]], path, payload)
        started = time.perf_counter()
        try:
            status, body = self.conn.request(raw)
        except OSError as exc:
            self.conn.close()
            self.errors.append((action, time.perf_counter(), 0, repr(exc)[:200]))
            return None
        finished = time.perf_counter()
        if status != expect:
            self.errors.append((action, finished, status, body[:300].decode(errors="replace")))
            return None
        self.samples.append((action, started, finished))
        return body

    def run(self):
        try:
            if self.config["mode"] == "floor":
                self.run_floor()
            else:
                self.run_lifecycles()
        finally:
            self.conn.close()

    def run_floor(self):
        first, last = self.config["floor_pool"]
        while time.perf_counter() < self.stop_at:
            self.call("floor", f"/bench/floor/accept/{self.rng.randint(first, last)}/", {}, 200)

    def run_lifecycles(self):
        c, rng = self.config, self.rng
        n = 0
        while time.perf_counter() < self.stop_at:
            n += 1
            body = self.call("report", "/api/v1/tickets/", {
                "title": "路边垃圾未清运", "description": f"基准测试：客户端{self.n}第{n}件，路口东侧垃圾堆放。",
                "category": rng.choice(c["categories"]), "grid": rng.choice(c["grids"]), "source": "grid_worker",
                "address": "东风村村委会东200米",
            }, 201)  # fmt: skip
            if body is None:
                continue
            ticket = json.loads(body)["id"]
            steps = [
                ("register", {}),
                ("dispatch", {"department": rng.choice(c["departments"]), "role": "lead"}),
                ("accept", {}),
                ("resolve", {"result": "已组织人员清运，现场已清理干净。"}),
                ("verify", {"passed": True, "note": "现场核查通过"}),
            ]
            for action, payload in steps:
                if self.call(action, f"/api/v1/tickets/{ticket}/{action}/", payload, 200) is None:
                    break
            else:
                self.lifecycles.append(time.perf_counter())


def percentile(values: list[float], fraction: float) -> float | None:
    if not values:
        return None
    rank = max(1, min(len(values), -(-len(values) * fraction // 1)))
    return values[int(rank) - 1]


def summarize(latencies_ms: list[float], seconds: float) -> dict:
    latencies_ms.sort()
    return {
        "count": len(latencies_ms),
        "per_s": round(len(latencies_ms) / seconds, 1),
        "p50_ms": round(percentile(latencies_ms, 0.50) or 0, 2),
        "p90_ms": round(percentile(latencies_ms, 0.90) or 0, 2),
        "p99_ms": round(percentile(latencies_ms, 0.99) or 0, 2),
        "max_ms": round(latencies_ms[-1], 2) if latencies_ms else None,
        "mean_ms": round(sum(latencies_ms) / len(latencies_ms), 2) if latencies_ms else None,
    }


def main(path: str) -> None:
    config = json.loads(open(path).read())
    warmup, seconds = config["warmup"], config["seconds"]
    start = time.perf_counter()
    window = (start + warmup, start + warmup + seconds)
    clients = [Client(n, config, window[1]) for n in range(config["clients"])]
    for client in clients:
        client.start()
    print("START", flush=True)  # the parent samples process CPU times from here on
    time.sleep(max(0.0, window[0] - time.perf_counter()))
    cpu0 = os.times()
    time.sleep(max(0.0, window[1] - time.perf_counter()))
    cpu1 = os.times()
    for client in clients:
        client.join(timeout=60)

    inside = lambda t: window[0] <= t <= window[1]  # noqa: E731
    per_action: dict[str, list[float]] = {}
    everything: list[float] = []
    errors: dict[str, int] = {}
    error_samples: list[str] = []
    lifecycles = 0
    connects = sum(c.conn.connects for c in clients)
    for client in clients:
        for action, started, finished in client.samples:
            if inside(finished):
                ms = (finished - started) * 1000
                per_action.setdefault(action, []).append(ms)
                everything.append(ms)
        for action, finished, status, head in client.errors:
            if inside(finished):
                errors[f"{action} {status}"] = errors.get(f"{action} {status}", 0) + 1
                if len(error_samples) < 5:
                    error_samples.append(f"{action} {status}: {head}")
        lifecycles += sum(1 for t in client.lifecycles if inside(t))
    cpu = (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)
    total = summarize(everything, seconds)
    result = {
        "mode": config["mode"], "clients": config["clients"], "seconds": seconds, "warmup": warmup,
        **total,
        "lifecycles": lifecycles, "lifecycles_per_s": round(lifecycles / seconds, 1),
        "actions": {a: summarize(v, seconds) for a, v in sorted(per_action.items(), key=lambda kv: LIFECYCLE.index(kv[0])
                                                               if kv[0] in LIFECYCLE else 99)},
        "errors": errors, "error_count": sum(errors.values()), "error_samples": error_samples,
        "client_cpu_seconds": round(cpu, 3),
        "client_cpu_us_per_request": round(cpu / total["count"] * 1e6, 1) if total["count"] else None,
        "connections_opened": connects,
    }  # fmt: skip
    sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])

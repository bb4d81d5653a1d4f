"""A small HTTP/1.1 load generator, used by bench/api.py when wrk is not available.

Runs in its own process: one asyncio event loop (uvloop when installed) holding N keep-alive
connections, each sending its next request as soon as the previous response has been read.
It sends the same requests as bench/api_load.lua and prints one line in the same format:

    BENCH_RESULT requests=... duration_us=... p50_us=... p99_us=... non2xx=... ...

Being Python, it is slower than wrk: on a small machine it can be the bottleneck for a trivial
endpoint (bench/api.py prints the CPU time of the load generator next to the server's, so this
is visible in the output).

    python bench/api_loadgen.py --url http://127.0.0.1:8765/bare --connections 16 --duration 10
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from urllib.parse import urlsplit

KINDS = ("bug", "suggestion", "question", "complaint", "praise")
DEVICES = ("FL-200", "FL-300 Pro", "FL Mini")


class Requests:
    """Builds the raw bytes of each request: a fixed GET, or a new post each time."""

    def __init__(
        self, mode: str, host: str, path: str, tokens: list[str], boards: list[str], tags: list[str]
    ):
        self.mode, self.host, self.path = mode, host, path
        self.tokens, self.boards, self.tags = tokens, boards, tags
        self.counter = 0
        self.fixed = f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()

    def next(self) -> bytes:
        if self.mode != "post":
            return self.fixed
        self.counter += 1
        n = self.counter
        kind = KINDS[n % len(KINDS)]
        data = {
            "board": self.boards[n % len(self.boards)],
            "kind": kind,
            "title": f"Sync stops after update 4.{n % 9} (report 1-{n})",
            "body": "Since the update the **sync** stops after a few minutes.\n\n"
            "- restarting the app helps for a while\n- it happens on Wi-Fi and on mobile data\n\n"
            f"Report {n} from thread 1; anyone else seeing this?",
            "tags": [self.tags[n % len(self.tags)]] if self.tags and n % 3 == 0 else [],
        }
        if kind == "bug":
            data["device_model"] = DEVICES[n % len(DEVICES)]
            data["os_version"] = f"4.2.{n % 9}"
        body = json.dumps(data, separators=(",", ":")).encode()
        head = (
            f"POST {self.path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Type: application/json\r\n"
            f"Authorization: Bearer {self.tokens[n % len(self.tokens)]}\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        return head.encode() + body


async def _connection(host: str, port: int, requests: Requests, deadline: float, stats: dict) -> None:
    try:
        reader, writer = await asyncio.open_connection(host, port)
    except OSError:
        stats["connect_errors"] += 1
        return
    latencies = stats["latencies"]
    try:
        while time.perf_counter() < deadline:
            payload = requests.next()
            sent = time.perf_counter()
            writer.write(payload)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            chunked = False
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value)
                elif name == b"transfer-encoding" and b"chunked" in value.lower():
                    chunked = True
            if chunked:
                while True:
                    size = int((await reader.readuntil(b"\r\n")).strip(), 16)
                    await reader.readexactly(size + 2)
                    if size == 0:
                        break
            elif length:
                await reader.readexactly(length)
            latencies.append(time.perf_counter() - sent)
            if not 200 <= status <= 299:
                stats["non2xx"] += 1
    except (OSError, asyncio.IncompleteReadError, ValueError):
        stats["read_errors"] += 1
    finally:
        writer.close()


async def run(url: str, connections: int, duration: float, requests: Requests) -> dict:
    parts = urlsplit(url)
    stats = {"latencies": [], "non2xx": 0, "connect_errors": 0, "read_errors": 0}
    started = time.perf_counter()
    deadline = started + duration
    await asyncio.gather(
        *(
            _connection(parts.hostname, parts.port or 80, requests, deadline, stats)
            for _ in range(connections)
        )
    )
    stats["duration"] = time.perf_counter() - started
    return stats


def _percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, round(p / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[index]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--mode", choices=("get", "post"), default="get")
    parser.add_argument("--tokens", default="")
    parser.add_argument("--boards", default="")
    parser.add_argument("--tags", default="")
    args = parser.parse_args()
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    parts = urlsplit(args.url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    split = lambda text: [item for item in text.split(",") if item]  # noqa: E731
    requests = Requests(
        args.mode, parts.netloc, path, split(args.tokens), split(args.boards), split(args.tags)
    )
    stats = asyncio.run(run(args.url, args.connections, args.duration, requests))
    latencies = sorted(stats["latencies"])
    us = lambda seconds: int(seconds * 1_000_000)  # noqa: E731
    print(
        f"BENCH_RESULT requests={len(latencies)} responses={len(latencies)} duration_us={us(stats['duration'])} "
        f"p50_us={us(_percentile(latencies, 50))} p90_us={us(_percentile(latencies, 90))} "
        f"p99_us={us(_percentile(latencies, 99))} max_us={us(latencies[-1] if latencies else 0)} "
        f"non2xx={stats['non2xx']} connect_errors={stats['connect_errors']} "
        f"read_errors={stats['read_errors']} write_errors=0 timeouts=0",
        flush=True,
    )


if __name__ == "__main__":
    main()

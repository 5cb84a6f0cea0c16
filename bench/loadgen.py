"""A cheap HTTP/1.1 load generator for the benchmarks: pre-built requests, keep-alive, one asyncio loop.

The server and the client share the machine's cores, so every microsecond the client spends is taken from
the server: requests are built (and signed) before the clock starts, sent as raw bytes over persistent
connections, and answers are read by Content-Length. `cpu_seconds` is what the client itself used while
measuring, so a reader can tell how much of the machine the measurement took.
"""
from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass


@dataclass
class Run:
    latencies: list[float]  # seconds, one per answered request
    seconds: float  # wall time of the whole run
    failures: int  # answers other than 200, and requests that got no answer
    cpu_seconds: float  # the client's own CPU time (user + system) during the run


def raw_request(method: str, path_and_query: str, host: str, headers: dict) -> bytes:
    lines = [f"{method} {path_and_query} HTTP/1.1", f"Host: {host}", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def _connection(host: str, port: int, requests: list[bytes], cursor, latencies: list[float],
                      failures: list[int], due=None) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        for index in cursor:
            started = time.perf_counter()
            if due is not None:  # open loop: latency counts from when the request was due (no coordinated omission)
                started = due(index)
                await asyncio.sleep(max(0.0, started - time.perf_counter()))
            writer.write(requests[index])
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            failures[0] += head[9:12] != b"200"
    except (OSError, asyncio.IncompleteReadError):
        pass  # the request in flight counts as a failure (unanswered); the others go to the other connections
    finally:
        writer.close()


def run(host: str, port: int, requests: list[bytes], connections: int, rate: float = 0) -> Run:
    """Send every request once over `connections` keep-alive connections: closed loop (each connection sends
    its next request when the last is answered), or with `rate` an open loop at that many requests/s."""
    latencies: list[float] = []
    failures = [0]

    async def main() -> float:
        cursor = iter(range(len(requests)))  # shared: a connection takes the next request when it is free
        began = time.perf_counter()
        due = (lambda index: began + index / rate) if rate else None
        await asyncio.gather(*(_connection(host, port, requests, cursor, latencies, failures, due)
                               for _ in range(connections)))
        return time.perf_counter() - began

    cpu = os.times()
    seconds = asyncio.run(main())
    after = os.times()
    unanswered = len(requests) - len(latencies)
    return Run(latencies, seconds, failures[0] + unanswered, (after.user - cpu.user) + (after.system - cpu.system))

"""HTTP load generator: N concurrent keep-alive clients on loopback, for a fixed time, one endpoint at a time.

    python bench/http_load.py SPEC.json

SPEC: {"host", "port", "concurrency", "warmup", "duration", "requests": [{"method", "path", "headers",
"body", "expect"}]}. Each client sends the requests in turn (a different case each time, say), waits for
the whole answer, and sends the next: a closed loop, as a browser does. Answers during the warm-up are not
counted.

Prints one JSON line: requests, requests per second, p50/p99 latency in ms, errors by status (any status
other than 2xx/3xx, or other than the request's "expect"; broken connections count as status 0), and this
process's own CPU time, to show the generator is not what limits the figures. Deliberately plain asyncio
over raw sockets (no HTTP library): parsing only the status line and the framing keeps the generator's CPU
per request small on a 2-core machine.
"""

import asyncio
import json
import resource
import sys
import time


def encode(host: str, port: int, spec: dict) -> bytes:
    body = spec.get("body", "").encode()
    lines = [f"{spec.get('method', 'GET')} {spec['path']} HTTP/1.1", f"Host: {host}:{port}", "Connection: keep-alive"]
    lines += [f"{name}: {value}" for name, value in spec.get("headers", {}).items()]
    if body:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read one whole answer; its status and whether the server closes the connection after it."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length, chunked, close = 0, False, lines[0].startswith(b"HTTP/1.0")
    for line in lines[1:]:
        name, _colon, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
        elif name == b"connection":
            close = value.strip().lower() == b"close"
    if chunked:
        while True:
            size = int((await reader.readline()).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length:
        await reader.readexactly(length)
    return status, close


async def client(
    host: str, port: int, payloads: list[bytes], expected: list, offset: int, times: dict, stats: dict
) -> None:
    reader = writer = None
    n = offset
    while True:
        now = time.perf_counter()
        if now >= times["end"]:
            break
        if writer is None:
            reader, writer = await asyncio.open_connection(host, port)
            stats["connections"] += 1
        payload, expect = payloads[n % len(payloads)], expected[n % len(payloads)]
        n += 1
        started = time.perf_counter()
        try:
            writer.write(payload)
            status, close = await read_response(reader)
        except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
            status, close = 0, True  # a broken connection is an error too
        finished = time.perf_counter()
        # Throughput is what completes inside the window, whenever it started: counting only requests that
        # start and end inside it would under-count a slow endpoint by its latency over the window.
        if times["start"] <= finished <= times["end"]:
            stats["latencies"].append(finished - started)
            if status not in expect:
                stats["errors"][str(status)] = stats["errors"].get(str(status), 0) + 1
        if close:
            writer.close()
            reader = writer = None
    if writer is not None:
        writer.close()


async def run(spec: dict) -> dict:
    host, port = spec["host"], spec["port"]
    payloads = [encode(host, port, r) for r in spec["requests"]]
    # A request may name the statuses that mean success (a form post: only its redirect); otherwise 2xx/3xx.
    expected = [frozenset(r.get("expect") or range(200, 400)) for r in spec["requests"]]
    now = time.perf_counter()
    times = {"start": now + spec.get("warmup", 2), "end": now + spec.get("warmup", 2) + spec.get("duration", 10)}
    stats: dict = {"latencies": [], "errors": {}, "connections": 0}
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    step = max(1, len(payloads) // spec["concurrency"])
    await asyncio.gather(
        *(client(host, port, payloads, expected, i * step, times, stats) for i in range(spec["concurrency"]))
    )
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    latencies = sorted(stats["latencies"])
    count = len(latencies)
    seconds = times["end"] - times["start"]

    def percentile(p: float) -> float:
        return latencies[min(count - 1, int(p * count))] * 1000 if count else 0.0

    return {
        "requests": count,
        "rps": count / seconds,
        "p50_ms": percentile(0.50),
        "p99_ms": percentile(0.99),
        "errors": stats["errors"],
        "error_count": sum(stats["errors"].values()),
        "connections": stats["connections"],
        "generator_cpu_share": cpu / (times["end"] - now),
        "seconds": seconds,
    }


def main() -> None:
    with open(sys.argv[1]) as handle:
        spec = json.load(handle)
    print(json.dumps(asyncio.run(run(spec))))


if __name__ == "__main__":
    main()

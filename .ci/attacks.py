#!/usr/bin/env python3
"""Two things a hostile caller could do, against a running server; neither may
leave it working or growing without bound, or starve a well-behaved caller:

1. 30 CheckText calls of a 150-sentence text, each with a 50 ms deadline:
   all answered DEADLINE_EXCEEDED (or RESOURCE_EXHAUSTED), and the server's
   CPU back to idle within 2 s of the last answer.
2. 3,000 calls to invented method paths (UNIMPLEMENTED): `/metrics` stays
   under 64 KB.

During both, a well-behaved caller's VerifyClaim p99 stays under 2x its
quiet value (and under a floor of 100 ms, below which a 2x rule measures
scheduler noise, not the server).

    python3 .ci/attacks.py --addr HOST:PORT --metrics HOST:PORT --pid SERVER_PID
"""
import argparse
import os
import random
import sys
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import grpc

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples", "python"))
from verify import stubs  # noqa: E402

pb, pb_grpc = stubs()
CLAIM = "Italy holds the G7 presidency this year."
FLOOR_S = 0.100


def cpu_seconds(pid):
    """User plus system CPU time of the process so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def p99(latencies):
    latencies = sorted(latencies)
    return latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]


class Caller(threading.Thread):
    """A well-behaved caller: one VerifyClaim at a time until stopped."""

    def __init__(self, stub):
        super().__init__(daemon=True)
        self.stub, self.latencies, self.stop = stub, [], threading.Event()

    def run(self):
        while not self.stop.is_set():
            started = time.perf_counter()
            self.stub.VerifyClaim(pb.VerifyClaimRequest(claim=CLAIM), timeout=10)
            self.latencies.append(time.perf_counter() - started)


def text(sentences):
    rng = random.Random(7)
    places = ["Harrowfield", "Lumen Bay", "Calder", "Northwind", "Ostrava", "Millbrook"]
    return " ".join(
        f"The council of {rng.choice(places)} approved {rng.randint(10, 900)} new homes in {rng.randint(1990, 2025)} "
        f"after a vote of {rng.randint(5, 9)} to {rng.randint(1, 4)}."
        for _ in range(sentences)
    )


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--addr", required=True)
    ap.add_argument("--metrics", required=True, help="the metrics listener, HOST:PORT")
    ap.add_argument("--pid", type=int, required=True, help="the server's process id (its CPU time is read)")
    args = ap.parse_args()
    channel = grpc.insecure_channel(args.addr)
    stub = pb_grpc.FactCheckServiceStub(channel)
    failures = []

    quiet = []
    for _ in range(40):
        started = time.perf_counter()
        stub.VerifyClaim(pb.VerifyClaimRequest(claim=CLAIM), timeout=10)
        quiet.append(time.perf_counter() - started)
    bar = max(2 * p99(quiet), FLOOR_S)
    print(f"quiet VerifyClaim p99 {p99(quiet) * 1000:.0f} ms; the bar under attack {bar * 1000:.0f} ms")

    # 1. Expired CheckText calls.
    caller = Caller(stub)
    caller.start()
    long_text = text(150)

    def expire(_):
        try:
            stub.CheckText(pb.CheckTextRequest(text=long_text), timeout=0.05)
            return "OK"
        except grpc.RpcError as e:
            return e.code().name

    with ThreadPoolExecutor(30) as pool:
        codes = list(pool.map(expire, range(30)))
    answered = time.monotonic()
    unexpected = [c for c in codes if c not in ("DEADLINE_EXCEEDED", "RESOURCE_EXHAUSTED")]
    print(f"30 CheckText calls with a 50 ms deadline: {sorted(set(codes))}")
    if unexpected:
        failures.append(f"expired CheckText calls answered {unexpected}")
    caller.stop.set()
    caller.join()
    time.sleep(max(0.0, answered + 2 - time.monotonic()))
    before = cpu_seconds(args.pid)
    time.sleep(1)
    busy = cpu_seconds(args.pid) - before
    print(f"server CPU from 2 s to 3 s after the last answer: {busy:.2f} s; caller p99 {p99(caller.latencies) * 1000:.0f} ms")
    if busy > 0.1:
        failures.append(f"the server still worked {busy:.2f} CPU-seconds a second, 2 s after the expired calls")
    if p99(caller.latencies) > bar:
        failures.append(f"a well-behaved caller's p99 rose to {p99(caller.latencies) * 1000:.0f} ms during the expired calls")

    # 2. Invented method paths.
    caller = Caller(stub)
    caller.start()
    rng = random.Random(11)

    def invent(_):
        path = f"/factcheck.v1.FactCheckService/{rng.getrandbits(64):x}"
        try:
            channel.unary_unary(path)(b"", timeout=5)
        except grpc.RpcError as e:
            return e.code().name
        return "OK"

    with ThreadPoolExecutor(8) as pool:
        codes = set(pool.map(invent, range(3000)))
    caller.stop.set()
    caller.join()
    size = len(urllib.request.urlopen(f"http://{args.metrics}/metrics").read())
    print(f"3,000 invented paths: {sorted(codes)}; /metrics {size / 1024:.1f} KB; caller p99 {p99(caller.latencies) * 1000:.0f} ms")
    if codes != {"UNIMPLEMENTED"}:
        failures.append(f"invented paths answered {sorted(codes)}")
    if size > 64 * 1024:
        failures.append(f"/metrics grew to {size} bytes")
    if p99(caller.latencies) > bar:
        failures.append(f"a well-behaved caller's p99 rose to {p99(caller.latencies) * 1000:.0f} ms during the invented paths")

    for f in failures:
        print(f"FAIL: {f}", file=sys.stderr)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()

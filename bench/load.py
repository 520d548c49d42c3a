#!/usr/bin/env python3
"""Mixed traffic on a running withcache-server, for bench/load.sh.

usage: load.py --port P --pid PID --db CACHE_DB --manifest FILE --origin http://127.0.0.1:O --md OUT.md
               [--duration 60] [--warmup 5] [--conns 24] [--procs 2] [--settle 30]
               [--mix probe=40,get=25,range=20,miss=10,ui=5]

Every connection is a keep-alive HTTP/1.1 connection that sends its next request as soon as the last one is
answered (closed loop, so the rate is what the server holds), each request's kind drawn from --mix:
  probe  HEAD of a cached fetch URL: 200, X-WithCache: hit, the right Content-Length
  get    GET of a cached artifact: 200, body's sha-256 = the known one
  range  GET with Range (a-b, a- or -n): 206, the right Content-Range, body = that slice of the known bytes
  miss   GET of a fetch URL never asked before: 404 with X-WithCache: miss (half name an origin file that exists,
         so their fills succeed; half one the origin 404s, so their fills fail for good)
  ui     GET of an operator UI page: 200
The connections are split over --procs processes (one asyncio loop each). Phases: warm-up, a quiet wait until no
download job is queued or running, the baseline RSS, the load (RSS sampled every 0.25 s), the settle window
(RSS sampled every second), and a check that a sample of the load's successful fills serve the origin's bytes.
The manifest is TSV: `artifact PATH SIZE SHA256 FILE`, `seeded PATH SIZE SHA256`, `ui PATH`.
Writes the markdown report to --md and prints one line of shell assignments for load.sh.
"""
import argparse
import asyncio
import base64
import collections
import hashlib
import multiprocessing
import os
import random
import sqlite3
import statistics
import threading
import time

KINDS = ("probe", "get", "range", "miss", "ui")
TIMEOUT = 30.0
EXAMPLES = 5


def parse_args():
    p = argparse.ArgumentParser()
    for name in ("port", "pid"):
        p.add_argument("--" + name, type=int, required=True)
    for name in ("db", "manifest", "origin", "md"):
        p.add_argument("--" + name, required=True)
    p.add_argument("--duration", type=float, default=60)
    p.add_argument("--warmup", type=float, default=5)
    p.add_argument("--conns", type=int, default=24)
    p.add_argument("--procs", type=int, default=2)
    p.add_argument("--settle", type=float, default=30)
    p.add_argument("--mix", default="probe=40,get=25,range=20,miss=10,ui=5")
    a = p.parse_args()
    a.mix = {k: float(v) for k, v in (part.split("=") for part in a.mix.split(","))}
    unknown = set(a.mix) - set(KINDS)
    if unknown:
        p.error(f"unknown kinds in --mix: {sorted(unknown)}")
    return a


def load_manifest(path):
    artifacts, probes, pages = [], [], []
    for line in open(path):
        f = line.rstrip("\n").split("\t")
        if f[0] == "artifact":
            artifacts.append((f[1], int(f[2]), f[3], open(f[4], "rb").read()))
            probes.append((f[1], int(f[2])))
        elif f[0] == "seeded":
            probes.append((f[1], int(f[2])))
        elif f[0] == "ui":
            pages.append(f[1])
    return artifacts, probes, pages


def fetch_path(origin):
    token = base64.urlsafe_b64encode(origin.encode()).decode().rstrip("=")
    return f"/b/{token}/{origin.rsplit('/', 1)[1]}"


class Conn:
    """One keep-alive HTTP/1.1 connection; bodies by Content-Length or chunked."""

    def __init__(self, port):
        self.port, self.reader, self.writer, self.cookie = port, None, None, None

    async def request(self, method, path, extra=""):
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port, limit=1 << 20)
        cookie = f"Cookie: {self.cookie}\r\n" if self.cookie and path.startswith("/admin") else ""
        self.writer.write(f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n{cookie}{extra}\r\n".encode())
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        if "set-cookie" in headers:
            self.cookie = headers["set-cookie"].split(";", 1)[0]
        body = b""
        if method != "HEAD" and status not in (204, 304):
            if headers.get("transfer-encoding", "").lower() == "chunked":
                parts = []
                while True:
                    size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                    if size == 0:
                        await self.reader.readuntil(b"\r\n")
                        break
                    parts.append(await self.reader.readexactly(size + 2))
                    parts[-1] = parts[-1][:-2]
                body = b"".join(parts)
            elif "content-length" in headers:
                body = await self.reader.readexactly(int(headers["content-length"]))
            else:
                body = await self.reader.read()
                self.close()
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, headers, body

    def close(self):
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


def new_stats():
    return {k: {"n": 0, "lat": [], "status": collections.Counter(), "5xx": 0, "checksum": 0, "unexpected": 0,
                "conn_errors": 0, "bytes": 0, "examples": [], "pages": collections.defaultdict(list)} for k in KINDS}


class Client:
    def __init__(self, args, artifacts, probes, pages, tag, proc):
        self.args, self.artifacts, self.probes, self.pages = args, artifacts, probes, pages
        self.tag, self.proc = tag, proc
        self.stats = new_stats()
        self.filled = []  # origins of misses whose fill should succeed
        self.kinds = [k for k in KINDS if args.mix.get(k, 0) > 0]
        self.weights = [args.mix[k] for k in self.kinds]

    def plan(self, kind, rng, worker, n):
        """(method, path, extra headers, check) for one request; check(status, headers, body) -> None or why bad."""
        if kind == "probe":
            path, size = rng.choice(self.probes)
            return "HEAD", path, "", lambda s, h, b: None if s == 200 and h.get("x-withcache") == "hit" and h.get("content-length") == str(size) \
                else f"want 200 hit Content-Length {size}"
        if kind == "get":
            path, size, sha, _ = rng.choice(self.artifacts)
            return "GET", path, "", lambda s, h, b: (f"want 200" if s != 200 else None if hashlib.sha256(b).hexdigest() == sha
                                                     else f"checksum: {len(b)} bytes, sha-256 {hashlib.sha256(b).hexdigest()}")
        if kind == "range":
            path, size, _, data = rng.choice(self.artifacts)
            form = rng.randrange(3)
            if form == 0:
                a = rng.randrange(size); b = rng.randrange(a, size); spec = f"{a}-{b}"
            elif form == 1:
                a = rng.randrange(size); b = size - 1; spec = f"{a}-"
            else:
                k = rng.randrange(1, size + 1); a, b = size - k, size - 1; spec = f"-{k}"
            want = f"bytes {a}-{b}/{size}"
            return "GET", path, f"Range: bytes={spec}\r\n", lambda s, h, body: (
                f"want 206 {want}" if s != 206 or h.get("content-range") != want else None if body == data[a:b + 1]
                else f"checksum: range {spec} gave {len(body)} bytes, not the slice")
        if kind == "miss":
            fills = n % 2 == 0
            origin = f"{self.args.origin}/{'gen' if fills else 'none'}/{self.tag}-{self.proc}-{worker}-{n}/f{n}.bin"
            if fills:
                self.filled.append(origin)
            return "GET", fetch_path(origin), "", lambda s, h, b: None if s == 404 and h.get("x-withcache") == "miss" else "want 404 miss"
        path = rng.choice(self.pages)
        return "GET", path, "", lambda s, h, b: None if s == 200 else "want 200"

    async def worker(self, k, deadline):
        rng = random.Random(f"{self.tag}-{self.proc}-{k}")
        conn, n = Conn(self.args.port), 0
        while time.perf_counter() < deadline:
            kind = rng.choices(self.kinds, self.weights)[0]
            method, path, extra, check = self.plan(kind, rng, k, n)
            n += 1
            st = self.stats[kind]
            start = time.perf_counter()
            try:
                async with asyncio.timeout(TIMEOUT):
                    status, headers, body = await conn.request(method, path, extra)
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError, TimeoutError) as e:
                st["conn_errors"] += 1
                self.example(st, method, path, extra, f"connection error {type(e).__name__}: {e}")
                conn.close()
                continue
            st["n"] += 1
            st["lat"].append(time.perf_counter() - start)
            if kind == "ui":
                st["pages"][path].append(st["lat"][-1])
            st["status"][status] += 1
            st["bytes"] += len(body)
            why = check(status, headers, body)
            if why is None:
                continue
            if 500 <= status <= 599:
                st["5xx"] += 1
            elif why.startswith("checksum"):
                st["checksum"] += 1
            else:
                st["unexpected"] += 1
            shown = {h: headers[h] for h in ("x-withcache", "content-length", "content-range", "transfer-encoding") if h in headers}
            self.example(st, method, path, extra, f"{status} ({why}); headers {shown}; body {body[:40]!r}")
        conn.close()

    @staticmethod
    def example(st, method, path, extra, what):
        if len(st["examples"]) < EXAMPLES:
            st["examples"].append(f"{method} {path} {extra.strip()} -> {what}")

    async def run(self, seconds, conns):
        deadline = time.perf_counter() + seconds
        await asyncio.gather(*(self.worker(k, deadline) for k in range(conns)))


def child(args, tag, proc, conns, seconds, out):
    artifacts, probes, pages = load_manifest(args.manifest)
    client = Client(args, artifacts, probes, pages, tag, proc)
    asyncio.run(client.run(seconds, conns))
    rng = random.Random(proc)
    out.put((client.stats, rng.sample(client.filled, min(len(client.filled), 100))))


def run_phase(args, tag, seconds, on_tick=None):
    """Runs the mix for SECONDS over --conns connections in --procs processes; merged stats, took, filled sample."""
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    shares = [args.conns // args.procs + (1 if i < args.conns % args.procs else 0) for i in range(args.procs)]
    procs = [ctx.Process(target=child, args=(args, tag, i, c, seconds, out)) for i, c in enumerate(shares) if c > 0]
    start = time.perf_counter()
    for p in procs:
        p.start()
    results = []
    while len(results) < len(procs):
        if on_tick:
            on_tick()
        try:
            results.append(out.get(timeout=0.25))
        except Exception:  # queue.Empty
            if not any(p.is_alive() for p in procs) and out.empty():
                raise SystemExit("a load process died")
    took = time.perf_counter() - start
    for p in procs:
        p.join()
    stats, filled = new_stats(), []
    for s, f in results:
        filled += f
        for k in KINDS:
            for field, v in s[k].items():
                if field == "pages":
                    for page, lat in v.items():
                        stats[k][field][page] += lat
                else:
                    stats[k][field] += v
    return stats, took, filled


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        values = dict(line.split(":", 1) for line in f)
    return int(values["VmRSS"].split()[0]) / 1024, int(values["VmHWM"].split()[0]) / 1024


def active_jobs(db):
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        return con.execute("SELECT count(*) FROM jobs WHERE state IN ('queued', 'running')").fetchone()[0]
    finally:
        con.close()


def job_states(db):
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        return dict(con.execute("SELECT state, count(*) FROM jobs GROUP BY state ORDER BY state").fetchall())
    finally:
        con.close()


def wait_quiet(args, limit):
    """Waits until no job is queued or running (at most LIMIT s); seconds waited, or None if it never got quiet."""
    start = time.perf_counter()
    while time.perf_counter() - start < limit:
        if active_jobs(args.db) == 0:
            return time.perf_counter() - start
        time.sleep(0.5)
    return None


async def verify_fills(args, origins):
    """GETs the fetch URL of each origin whose fill should have succeeded: (served right, not filled, wrong)."""
    conn, right, missing, wrong = Conn(args.port), 0, 0, []
    for origin in origins:
        status, headers, body = await conn.request("GET", fetch_path(origin))
        want = origin[len(args.origin):].encode()
        if status == 200 and body == want:
            right += 1
        elif status == 404 and headers.get("x-withcache") == "miss":
            missing += 1
        else:
            wrong.append(f"GET {fetch_path(origin)} ({origin}) -> {status}, body {body[:100]!r}, want {want!r}")
    conn.close()
    return right, missing, wrong


def q(values, p):
    return values[min(len(values) - 1, int(p * len(values)))] * 1000 if values else float("nan")


def main():
    args = parse_args()
    artifacts, probes, pages = load_manifest(args.manifest)
    warm, _, _ = run_phase(args, "w", args.warmup)
    quiet_before = wait_quiet(args, 60)
    time.sleep(3)
    baseline, _ = rss_mib(args.pid)

    samples = []
    sampler_next = [0.0]

    def tick():
        now = time.perf_counter()
        if now >= sampler_next[0]:
            samples.append(rss_mib(args.pid)[0])
            sampler_next[0] = now + 0.25

    stats, took, filled = run_phase(args, "L", args.duration, tick)
    peak = max(samples) if samples else float("nan")
    _, hwm = rss_mib(args.pid)

    settle, quiet_after = [], None
    start = time.perf_counter()
    while time.perf_counter() - start < args.settle:
        time.sleep(1)
        settle.append(rss_mib(args.pid)[0])
        if quiet_after is None and active_jobs(args.db) == 0:
            quiet_after = time.perf_counter() - start
    after = settle[-1] if settle else rss_mib(args.pid)[0]
    tolerance = max(0.25 * baseline, 32.0)
    right, missing, wrong = asyncio.run(verify_fills(args, filled))
    states = job_states(args.db)

    total = {f: sum(stats[k][f] for k in KINDS) + sum(warm[k][f] for k in KINDS) for f in ("5xx", "checksum", "unexpected", "conn_errors")}
    total["checksum"] += len(wrong)
    requests = sum(stats[k]["n"] for k in KINDS)
    rate = requests / took

    with open(args.md, "w") as md:
        w = lambda s="": md.write(s + "\n")
        w("# Mixed load (bench/load.sh)")
        w()
        w(f"Machine: {os.cpu_count()} cores. {args.duration:.0f} s of mixed traffic (after a {args.warmup:.0f} s warm-up of the same mix), "
          f"{args.conns} keep-alive connections in {args.procs} asyncio processes, each sending its next request as soon as "
          f"the last is answered; kinds drawn by weight ({', '.join(f'{k} {v:g}' for k, v in args.mix.items())}). "
          f"{len(artifacts)} filled artifacts ({min(a[1] for a in artifacts)} B to {max(a[1] for a in artifacts) // 1024} KiB) "
          f"and {len(probes) - len(artifacts)} of the seeded catalog's keys; every body checked.")
        w()
        w("| kind | requests | req/s | p50 | p99 | max | MiB/s | 5xx | checksum failures | other unexpected | connection errors | statuses |")
        w("|---|---|---|---|---|---|---|---|---|---|---|---|")
        for k in KINDS:
            s = stats[k]
            lat = sorted(s["lat"])
            w(f"| {k} | {s['n']} | {s['n'] / took:.0f} | {q(lat, 0.5):.2f} ms | {q(lat, 0.99):.2f} ms | {q(lat, 1.0):.2f} ms | "
              f"{s['bytes'] / took / 1048576:.1f} | {s['5xx']} | {s['checksum']} | {s['unexpected']} | {s['conn_errors']} | "
              f"{' '.join(f'{c}: {n}' for c, n in sorted(s['status'].items()))} |")
        w(f"| **all** | {requests} | **{rate:.0f}** | | | | {sum(stats[k]['bytes'] for k in KINDS) / took / 1048576:.1f} | "
          f"{sum(stats[k]['5xx'] for k in KINDS)} | {sum(stats[k]['checksum'] for k in KINDS)} | "
          f"{sum(stats[k]['unexpected'] for k in KINDS)} | {sum(stats[k]['conn_errors'] for k in KINDS)} | |")
        w()
        w("UI pages: " + ", ".join(f"`{page}` {len(lat)} at p50 {q(sorted(lat), 0.5):.0f} ms, p99 {q(sorted(lat), 0.99):.0f} ms"
                                   for page, lat in sorted(stats["ui"]["pages"].items())) + ".")
        w()
        warm_bad = {f: sum(warm[k][f] for k in KINDS) for f in ("5xx", "checksum", "unexpected", "conn_errors")}
        w(f"Warm-up: {sum(warm[k]['n'] for k in KINDS)} requests; 5xx {warm_bad['5xx']}, checksum failures {warm_bad['checksum']}, "
          f"other unexpected {warm_bad['unexpected']}, connection errors {warm_bad['conn_errors']} (counted in the totals below).")
        w(f"Fills of the load's misses: a sample of {len(filled)} whose origin file exists, fetched after the settle window: "
          f"{right} served the origin's bytes, {missing} still a miss, {len(wrong)} wrong. Job states at the end: "
          f"{', '.join(f'{k} {v}' for k, v in states.items())}. No job queued or running: "
          f"{'after %.0f s of the settle window' % quiet_after if quiet_after is not None else 'not within the settle window'}.")
        w()
        w(f"Server RSS (VmRSS): baseline **{baseline:.0f} MiB** (after the warm-up, "
          f"{'once no job was queued or running (%.0f s)' % quiet_before if quiet_before is not None else 'with jobs still queued or running after 60 s'}, +3 s), "
          f"peak during the load **{peak:.0f} MiB** (sampled every 0.25 s; VmHWM {hwm:.0f} MiB), after {args.settle:.0f} s of "
          f"settling **{after:.0f} MiB** (lowest in the window {min(settle) if settle else after:.0f} MiB). Tolerance: baseline + "
          f"max(25 %, 32 MiB) = {baseline + tolerance:.0f} MiB: the .NET GC keeps part of a heap it grew under load, and "
          f"thread-pool threads and SQLite page caches stay; a leak grows with the requests served ({requests} here), "
          f"which 32 MiB does not hide.")
        bad = [(k, e) for k in KINDS for e in (stats[k]["examples"] + warm[k]["examples"])[:EXAMPLES]] + [("fill", e) for e in wrong[:EXAMPLES]]
        if bad:
            w()
            w("Bad responses (first few of each kind):")
            w()
            for k, e in bad:
                w(f"- {k}: `{e}`")
    print(f"rate={rate:.0f} " + " ".join(f"rate_{k}={stats[k]['n'] / took:.0f}" for k in KINDS)
          + f" requests={requests} n5xx={total['5xx']} checksum={total['checksum']} unexpected={total['unexpected']}"
          f" conn_errors={total['conn_errors']} baseline={baseline:.0f} peak={peak:.0f} after={after:.0f}"
          f" limit={baseline + tolerance:.0f} quiet_before={'yes' if quiet_before is not None else 'no'}")


if __name__ == "__main__":
    main()

"""Hostile-host memory benchmark (issue #14, acceptance 1).

300 hosts serve an Ollama banner and a ~249 kB ``/api/tags`` of 85,000 empty objects (the audit's
memory bomb: about 90 MB of scanner memory per host before the fix); 40 benign Ollama hosts are
scanned beside them in the same sweep. The scanner is the real ``llmcensus scan`` in a child process
(its peak RSS is read from the kernel when it exits), the hosts are served by another child process.
Prints the scanner's peak RSS and the benign hosts' statuses. Goals: peak < 500 MB, no false timeout
(every benign host ``success`` with its models).

    .venv/bin/python bench/hostile.py [--quick] [--hostile N] [--benign N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from llmcensus.observations.reader import read_observations  # noqa: E402

BOMB = b'{"models":[' + b",".join([b"{}"] * 85_000) + b"]}"
BENIGN_TAGS = json.dumps({"models": [
    {"name": f"llama3.2:{i}b", "model": f"llama3.2:{i}b", "modified_at": "2026-10-01T10:00:00.123456789Z",
     "size": 2_000_000_000 + i, "digest": f"{i:064x}",
     "details": {"parent_model": "", "format": "gguf", "family": "llama", "families": ["llama"],
                 "parameter_size": "3.2B", "quantization_level": "Q4_K_M"}} for i in range(1, 4)]}).encode()


def _serve(ports: list[int], hostile: int, ready: multiprocessing.synchronize.Event) -> None:
    from aiohttp import web

    async def main() -> None:
        runners = []
        for i, port in enumerate(ports):
            tags = BOMB if i < hostile else BENIGN_TAGS

            async def handle(request: web.Request, tags: bytes = tags) -> web.Response:
                path = request.path
                if path == "/api/tags":
                    body = tags
                elif path == "/api/version":
                    body = b'{"version":"0.12.6"}'
                elif path == "/api/ps":
                    body = b'{"models":[]}'
                elif path == "/api/show":
                    body = b'{"template":"{{ .Prompt }}","capabilities":["completion"],"model_info":{}}'
                elif path == "/":
                    return web.Response(text="Ollama is running", headers={"Server": ""})
                else:
                    return web.Response(status=404, text="404 page not found", headers={"Server": ""})
                return web.Response(body=body, content_type="application/json", headers={"Server": ""})

            app = web.Application()
            app.router.add_route("*", "/{tail:.*}", handle)
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", port, backlog=512).start()
            runners.append(runner)
        ready.set()
        await asyncio.sleep(3600)

    asyncio.run(main())


def _free_ports(n: int) -> list[int]:
    import socket

    socks, ports = [], []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
        ports.append(s.getsockname()[1])
    for s in socks:
        s.close()
    return ports


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hostile", type=int, default=300)
    ap.add_argument("--benign", type=int, default=40)
    ap.add_argument("--quick", action="store_true", help="60 hostile and 10 benign hosts")
    args = ap.parse_args()
    if args.quick:
        args.hostile, args.benign = 60, 10
    n = args.hostile + args.benign
    ports = _free_ports(n)
    ready = multiprocessing.get_context("fork").Event()
    server = multiprocessing.get_context("fork").Process(target=_serve, args=(ports, args.hostile, ready),
                                                         daemon=True)
    server.start()
    if not ready.wait(60):
        print("fleet did not start", file=sys.stderr)
        return 1
    work = Path(tempfile.mkdtemp(prefix="hostile-bench-"))
    # public identities in TEST-NET-3, hostile first then benign, interleaved in the target file
    ips = [f"203.0.113.{i + 1}" if i < 250 else f"198.51.100.{i - 249}" for i in range(n)]
    (work / "map.csv").write_text("public_ip,port,dial_ip,dial_port\n" + "".join(
        f"{ip},11434,127.0.0.1,{port}\n" for ip, port in zip(ips, ports, strict=True)))
    order = [ips[i // 2] if i % 2 == 0 else ips[args.hostile + i // 2] for i in range(2 * args.benign)]
    order += ips[args.benign:args.hostile]
    (work / "targets.txt").write_text("".join(f"{ip}:11434\n" for ip in order))
    exe = str(Path(sys.executable).with_name("llmcensus"))
    cmd = [exe, "scan", str(work / "targets.txt"), "--data", str(work / "data"), "--dial-map",
           str(work / "map.csv"), "--sweep-id", "bench", "--no-progress", "--set", "loopback_only=true",
           "--set", "per_ip_rate=0", "--set", "read_timeout=8", "--set", "connect_timeout=5"]
    started = time.perf_counter()
    pid = os.posix_spawn(exe, cmd, os.environ)
    _, status, usage = os.wait4(pid, 0)
    elapsed = time.perf_counter() - started
    server.kill()
    peak_mb = usage.ru_maxrss / 1024
    table = read_observations(work / "data", columns=["ip", "status", "model_count"])
    rows = table.to_pylist()
    benign_ips = set(ips[args.hostile:])
    benign = [r for r in rows if r["ip"] in benign_ips]
    hostile = [r for r in rows if r["ip"] not in benign_ips]
    false = [r for r in benign if r["status"] != "success" or r["model_count"] != 3]
    print(f"scan exit {os.waitstatus_to_exitcode(status)} in {elapsed:.1f} s; {len(rows)} observations of {n}")
    print(f"hostile hosts ({len(hostile)}): {dict(Counter(r['status'] for r in hostile))}")
    print(f"benign hosts ({len(benign)}): {dict(Counter(r['status'] for r in benign))}")
    print(f"peak scanner RSS: {peak_mb:.0f} MB (goal < 500 MB)")
    print(f"false timeouts / failures on benign hosts: {len(false)} (goal 0)")
    ok = peak_mb < 500 and not false and len(rows) == n
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

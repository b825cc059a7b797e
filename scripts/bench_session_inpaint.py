#!/usr/bin/env python3
"""Session inpaint benchmark: alternating rounds of two maskgit-rpc binaries on the default model.

    .venv/bin/python scripts/bench_session_inpaint.py REPO BEFORE_BINARY AFTER_BINARY [ROUNDS [K]]

(copy each binary with its maskgit-rpc_RPCServer.resources folder somewhere first.)

Each round starts one server per binary (in alternating order), opens a session on
Examples/images/scene.png and runs K inpaints (fixed seed, output none, undo after each), and
records the per-request server totalMs. Prints medians per round and overall, and the ratio.
"""
import json, statistics, subprocess, sys, time, pathlib

REPO = pathlib.Path(sys.argv[1])
binaries = {"base": sys.argv[2], "new": sys.argv[3]}  # before, after
rounds = int(sys.argv[4]) if len(sys.argv) > 4 else 5
K = int(sys.argv[5]) if len(sys.argv) > 5 else 5

def run(binary):
    p = subprocess.Popen([binary, "--quiet", "--threads", "2", "--allow-root", str(REPO / "Examples/images")], cwd=REPO,
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    n = [0]
    def call(method, params):
        n[0] += 1
        p.stdin.write(json.dumps({"jsonrpc": "2.0", "id": n[0], "method": method, "params": params}) + "\n"); p.stdin.flush()
        while True:
            m = json.loads(p.stdout.readline())
            if m.get("id") == n[0]:
                if "error" in m: raise RuntimeError(m["error"])
                return m["result"]
    s = call("session.open", {"image": {"path": "Examples/images/scene.png"}})["id"]
    times = []
    call("inpaint", {"session": s, "mask": {"rects": [{"x": 40, "y": 20, "width": 48, "height": 40}]}, "seed": 1,
                     "output": {"transport": "none"}})  # warm-up (encodes the window once)
    call("session.undo", {"session": s, "output": {"transport": "none"}})
    for i in range(K):
        t0 = time.perf_counter()
        r = call("inpaint", {"session": s, "mask": {"rects": [{"x": 40, "y": 20, "width": 48, "height": 40}]}, "seed": 1 + i,
                             "output": {"transport": "none"}})
        wall = (time.perf_counter() - t0) * 1000
        times.append((r["timings"]["totalMs"], wall))
        call("session.undo", {"session": s, "output": {"transport": "none"}})
    p.stdin.close(); p.wait()
    return times

allt = {k: [] for k in binaries}
per_round = []
for r in range(rounds):
    order = list(binaries) if r % 2 == 0 else list(reversed(list(binaries)))
    line = []
    for k in order:
        t = run(binaries[k]); allt[k] += t
        line.append(f"{k} median totalMs {statistics.median(x[0] for x in t):.1f} (wall {statistics.median(x[1] for x in t):.1f})")
    print(f"round {r + 1} (load {open('/proc/loadavg').read().split()[0]}): " + "; ".join(line), flush=True)
    per_round.append(statistics.median(x[0] for x in allt["new"][-K:]) / statistics.median(x[0] for x in allt["base"][-K:]))
mb = statistics.median(x[0] for x in allt["base"]); mn = statistics.median(x[0] for x in allt["new"])
print(f"median of per-round ratios new/base {statistics.median(per_round):.3f}; min totalMs base {min(x[0] for x in allt['base']):.1f}, new {min(x[0] for x in allt['new']):.1f}")
print(f"overall median totalMs: base {mb:.1f}, new {mn:.1f}, new/base {mn / mb:.3f} ({len(allt['base'])} requests each)")

#!/usr/bin/env python3
"""Plays a maskgit-rpc from before session.fork and session.open reuseTokens, in front of the real
one (argv[1], the rest its flags): session.open with reuseTokens gets the -32602 such a server
answers, session.fork the -32601; everything else passes through."""
import json
import subprocess
import sys
import threading

child = subprocess.Popen(sys.argv[1:], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
lock = threading.Lock()


def write(line):
    with lock:
        sys.stdout.buffer.write(line)
        sys.stdout.buffer.flush()


def pump():
    for line in child.stdout:
        write(line)


def refuse(request, code, message, data=None):
    error = {"code": code, "message": message}
    if data:
        error["data"] = data
    write(json.dumps({"jsonrpc": "2.0", "id": request["id"], "error": error}).encode() + b"\n")


reader = threading.Thread(target=pump)
reader.start()
for line in sys.stdin.buffer:
    try:
        request = json.loads(line)
    except ValueError:
        request = None
    if isinstance(request, dict) and "id" in request:
        params = request.get("params") or {}
        if request.get("method") == "session.open" and "reuseTokens" in params:
            refuse(request, -32602, "Invalid params: reuseTokens must be a known parameter (known: image, model)",
                   {"reason": "invalid_params", "field": "reuseTokens", "expected": "a known parameter"})
            continue
        if request.get("method") == "session.fork":
            refuse(request, -32601, "Method not found: session.fork", {"reason": "method_not_found"})
            continue
    child.stdin.write(line)
    child.stdin.flush()
child.stdin.close()
reader.join()
sys.exit(child.wait())

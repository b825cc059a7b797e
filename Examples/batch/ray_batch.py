#!/usr/bin/env python3
"""Runs `maskgit-cli batch` over a Ray cluster: one shard per Ray task, each task one
maskgit-cli process, so the model loads once per worker. Arguments after the driver's own are
passed to `maskgit-cli batch`; paths must be visible to every node (a shared filesystem).

    python Examples/batch/ray_batch.py --shards 4 -- --manifest M.jsonl --output OUT [--params ...]

--address connects to a running cluster (default: $RAY_ADDRESS, else a local one). A shard whose
process fails (killed, out of memory) raises, Ray retries the task, and the rerun resumes where
the shard's results file stops. Prints one JSON summary per shard; exits 1 if any shard failed."""
import argparse
import json
import os
import pathlib
import subprocess
import sys

import ray

DEFAULT_CLI = pathlib.Path(__file__).resolve().parents[2] / ".build" / "release" / "maskgit-cli"
PATH_FLAGS = {"--manifest", "--images", "--masks", "--output", "--root", "--results", "--model"}


def absolute_paths(batch_args):
    """The batch flags with their paths made absolute (Ray workers do not share the driver's directory)."""
    out, take = [], False
    for arg in batch_args:
        flag, eq, value = arg.partition("=")
        if take:
            out.append(os.path.abspath(arg))
        elif eq and flag in PATH_FLAGS:
            out.append(f"{flag}={os.path.abspath(value)}")
        else:
            out.append(arg)
        take = not take and arg in PATH_FLAGS
    return out


@ray.remote(num_cpus=1, max_retries=2, retry_exceptions=True)
def run_shard(cli, batch_args, index, count):
    done = subprocess.run([cli, "batch", *batch_args, "--shard", f"{index}/{count}", "--quiet"],
                          capture_output=True, text=True)
    if done.returncode not in (0, 3):  # 3: finished, some items failed (--strict)
        raise RuntimeError(f"shard {index}/{count} exited {done.returncode}: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])  # the summary line


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shards", type=int, required=True, help="number of shards (Ray tasks)")
    parser.add_argument("--address", default=os.environ.get("RAY_ADDRESS"), help="a Ray cluster (default: start a local one)")
    parser.add_argument("--num-cpus", type=int, default=None, help="CPUs of the local cluster (default: all)")
    parser.add_argument("--cli", default=os.environ.get("MASKGIT_CLI", str(DEFAULT_CLI)), help="the maskgit-cli binary")
    parser.add_argument("batch_args", nargs=argparse.REMAINDER, help="-- then the maskgit-cli batch flags")
    args = parser.parse_args(argv)
    batch_args = absolute_paths(args.batch_args[1:] if args.batch_args[:1] == ["--"] else args.batch_args)
    ray.init(address=args.address, num_cpus=None if args.address else args.num_cpus,
             include_dashboard=False, log_to_driver=False)
    try:
        summaries = ray.get([run_shard.remote(args.cli, batch_args, i, args.shards) for i in range(args.shards)])
    finally:
        ray.shutdown()
    for summary in summaries:
        print(json.dumps(summary))
    return 0 if all(s["errors"] == 0 and s["skippedErrors"] == 0 for s in summaries) else 1


if __name__ == "__main__":
    sys.exit(main())

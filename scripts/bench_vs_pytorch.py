#!/usr/bin/env python3
"""The engine against PyTorch CPU on the same weight files: 8-step 256 px generation, per phase.

    python3 -m venv runs/bench-venv && runs/bench-venv/bin/pip install -r Docs/bench-requirements.txt
    swift build -c release --product maskgit-bench
    runs/bench-venv/bin/python scripts/bench_vs_pytorch.py --weights runs/fullsize --threads 1 --rounds 8 [--pin] [--spin-peers]

Not a test (nothing gates on time). What it does, in one run:
  1. loads the official-shaped msgpack pair (`make_fixtures.py --full-size`) into a PyTorch
     re-implementation of the official networks (below; the architecture of
     Training/maskgit_reference/numpy_ref.py: post-LN transformer with GELU-tanh MLP and the tied
     MLM head, the VQGAN decoder with GroupNorm + swish, the ResBlock shortcut quirk, nearest
     upsampling), in fp32 and in bf16 (weights and activations bf16 everywhere, sampler fp32);
  2. starts `maskgit-bench --serve-generation` (Sources/maskgit-bench/Generate.swift) once per
     engine precision (fp32, bf16), each loading the same files;
  3. checks agreement before timing: greedy tokens and decoded pixels of every peer against
     PyTorch fp32 (token agreement, PSNR);
  4. times `--rounds` rounds; in each round every peer runs one generation, the order rotating
     from round to round; per phase (transformer pass, sampler, decoder) wall and process CPU time;
  5. prints medians, engine / PyTorch ratios and the GEMM floor (the generation's FLOPs over the
     machine's measured peak of a large fp32 / bf16 GEMM: a 2048^3 product timed in CPU seconds
     through PyTorch and through the engine, the faster of the two), both at the run's best peak
     and per round (each round's generations over that round's own peak, measured right after
     them; the median of those ratios is the figure that a shared, noisy machine moves least).

The generation is MaskGIT's iterative decode with top-1 (greedy) choices on both sides, so the
two implementations can be compared token by token: per step one transformer pass on the class
token + current tokens, every masked position takes its argmax code, the most confident (softmax
max) are revealed as the cosine schedule says; then the decoder makes pixels from the 256 tokens.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import msgpack
import numpy as np

REPO = Path(__file__).resolve().parents[1]


# MARK: weights (the Flax msgpack format, read without flax: ndarrays are msgpack ext type 1)


def load_flax_msgpack(path: Path) -> dict:
    def ext_hook(code, data):
        if code == 1:  # flax serialization._MsgpackExtType.ndarray: (shape, dtype name, bytes)
            shape, dtype, buffer = msgpack.unpackb(data, raw=True)
            return np.frombuffer(buffer, dtype=np.dtype(dtype.decode())).reshape(shape)
        raise ValueError(f"unsupported msgpack ext type {code} in {path}")

    state = msgpack.unpackb(Path(path).read_bytes(), ext_hook=ext_hook, raw=False, strict_map_key=False)
    return state["params"] if "params" in state else state


# MARK: the PyTorch model (faithful to the official networks; see numpy_ref.py)


def build_torch(torch, tok_params: dict, trf_params: dict, dtype):
    F = torch.nn.functional

    def t(a):
        return torch.from_numpy(np.array(a, dtype=np.float32)).to(dtype)

    class Transformer:
        def __init__(self, p):
            emb = p["Embed_0"]
            self.word = t(emb["word_embeddings"]["embedding"])                   # [V, D]
            self.pos = t(emb["position_embeddings"]["embedding"])                # [L, D]
            self.emb_ln = (t(emb["embeddings_ln"]["scale"]), t(emb["embeddings_ln"]["bias"]))
            v, d = self.word.shape
            q = p["TransformerLayer_0"]["Attention_0"]["self_attention"]["query"]["kernel"]
            self.heads, self.hd = q.shape[1], q.shape[2]
            self.layers = []
            for i in range(len([k for k in p if k.startswith("TransformerLayer_")])):
                pl = p[f"TransformerLayer_{i}"]
                sa = pl["Attention_0"]["self_attention"]

                def proj(name):  # DenseGeneral (D, N, Hd) -> F.linear weight [N*Hd, D]
                    return (t(np.asarray(sa[name]["kernel"]).reshape(d, -1).T), t(np.asarray(sa[name]["bias"]).reshape(-1)))

                mlp = pl["Mlp_0"]
                self.layers.append({
                    "q": proj("query"), "k": proj("key"), "v": proj("value"),
                    "out": (t(np.asarray(sa["out"]["kernel"]).reshape(-1, d).T), t(sa["out"]["bias"])),
                    "ln1": (t(pl["Attention_0"]["attention_output_ln"]["scale"]), t(pl["Attention_0"]["attention_output_ln"]["bias"])),
                    "fc1": (t(np.asarray(mlp["intermediate_output"]["kernel"]).T), t(mlp["intermediate_output"]["bias"])),
                    "fc2": (t(np.asarray(mlp["layer_output"]["kernel"]).T), t(mlp["layer_output"]["bias"])),
                    "ln2": (t(mlp["layer_output_ln"]["scale"]), t(mlp["layer_output_ln"]["bias"])),
                })
            mlm = p["MlmLayer_0"]
            self.mlm_dense = (t(np.asarray(mlm["mlm_dense"]["kernel"]).T), t(mlm["mlm_dense"]["bias"]))
            self.mlm_ln = (t(mlm["mlm_ln"]["scale"]), t(mlm["mlm_ln"]["bias"]))
            self.mlm_bias = t(mlm["mlm_bias"]["bias"])
            self.d = d

        def code_logits(self, tokens, k):
            """tokens [L] (class first) -> fp32 logits [L-1, K] (image rows, code columns)."""
            length = tokens.shape[0]
            x = self.word[tokens] + self.pos[:length]
            x = F.layer_norm(x, (self.d,), *self.emb_ln, eps=1e-12)
            for layer in self.layers:
                q = F.linear(x, *layer["q"]).view(length, self.heads, self.hd).transpose(0, 1)
                kk = F.linear(x, *layer["k"]).view(length, self.heads, self.hd).transpose(0, 1)
                v = F.linear(x, *layer["v"]).view(length, self.heads, self.hd).transpose(0, 1)
                a = F.scaled_dot_product_attention(q[None], kk[None], v[None])[0]      # [N, L, Hd]
                a = F.linear(a.transpose(0, 1).reshape(length, -1), *layer["out"])
                h = F.layer_norm(a + x, (self.d,), *layer["ln1"], eps=1e-12)
                m = F.linear(F.gelu(F.linear(h, *layer["fc1"]), approximate="tanh"), *layer["fc2"])
                x = F.layer_norm(m + h, (self.d,), *layer["ln2"], eps=1e-12)
            h = F.gelu(F.linear(x, *self.mlm_dense), approximate="tanh")
            h = F.layer_norm(h, (self.d,), *self.mlm_ln, eps=1e-12)
            logits = h @ self.word.T + self.mlm_bias                                   # [L, V], as the official head
            return logits[1:, :k].float()

    class Decoder:
        def __init__(self, p, codebook, groups=32):
            self.p = p
            self.codebook = t(codebook)
            self.groups = groups
            self.convs = {}
            self.blocks = len([k for k in p if k.startswith("ResBlock_")])
            self.levels = len([k for k in p if k.startswith("Conv_")]) - 1

        def conv(self, path, x):
            if path not in self.convs:
                node = self.p
                for part in path.split("/"):
                    node = node[part]
                w = torch.from_numpy(np.array(node["kernel"], dtype=np.float32)).permute(3, 2, 0, 1).contiguous()
                w = w.to(dtype).contiguous(memory_format=torch.channels_last)
                b = t(node["bias"]) if "bias" in node else None
                self.convs[path] = (w, b, w.shape[-1] // 2)
            w, b, pad = self.convs[path]
            return F.conv2d(x, w, b, padding=pad)  # odd kernels: 'SAME' at stride 1 is symmetric

        def norm_swish(self, path, x):
            node = self.p
            for part in path.split("/"):
                node = node[part]
            return F.silu(F.group_norm(x, self.groups, t(node["scale"]), t(node["bias"]), eps=1e-6))

        def res_block(self, i, x):
            c_in = x.shape[1]
            h = self.conv(f"ResBlock_{i}/Conv_0", self.norm_swish(f"ResBlock_{i}/GroupNorm_0", x))
            h = self.conv(f"ResBlock_{i}/Conv_1", self.norm_swish(f"ResBlock_{i}/GroupNorm_1", h))
            if c_in != h.shape[1]:
                return h + self.conv(f"ResBlock_{i}/Conv_2", h)  # the official shortcut quirk
            return h + x

        def __call__(self, ids, grid):
            z = self.codebook[ids].view(1, grid, grid, -1).permute(0, 3, 1, 2).contiguous(memory_format=torch.channels_last)
            x = self.conv("Conv_0", z)
            per_level = self.blocks // (self.levels + 1)
            block = 0
            for _ in range(per_level):
                x = self.res_block(block, x)
                block += 1
            conv = 1
            for level in reversed(range(self.levels)):
                for _ in range(per_level):
                    x = self.res_block(block, x)
                    block += 1
                if level > 0:
                    x = F.interpolate(x, scale_factor=2, mode="nearest")
                    x = self.conv(f"Conv_{conv}", x)
                    conv += 1
            x = self.norm_swish("GroupNorm_0", x)
            x = self.conv(f"Conv_{conv}", x)
            return x.float().permute(0, 2, 3, 1)[0].contiguous()                     # [H, W, 3]

    return Transformer(trf_params), Decoder(tok_params["decoder"], tok_params["quantizer"]["codebook"])


def torch_generation(torch, model, label: int, codebook: int, steps: int, timings: dict | None = None):
    transformer, decoder = model
    mask = transformer.word.shape[0] - 1
    n = transformer.pos.shape[0] - 1
    grid = int(math.isqrt(n))
    tokens = torch.full((n + 1,), mask, dtype=torch.long)
    tokens[0] = codebook + label
    forward, forward_cpu, sampler = [], [], 0.0
    with torch.inference_mode():
        for step in range(steps):
            w0, c0 = time.perf_counter(), time.process_time()
            logits = transformer.code_logits(tokens, codebook)                         # [N, K] fp32
            forward.append(time.perf_counter() - w0)
            forward_cpu.append(time.process_time() - c0)
            s0 = time.perf_counter()
            masked = (tokens[1:] == mask).nonzero().flatten()
            rows = logits[masked]
            codes = rows.argmax(dim=1)
            confidence = torch.softmax(rows, dim=1).max(dim=1).values
            still = 0 if step == steps - 1 else math.ceil(n * math.cos(math.pi / 2 * (step + 1) / steps))
            reveal = max(1, masked.numel() - still)
            order = sorted(range(masked.numel()), key=lambda i: (-float(confidence[i]), int(masked[i])))[:reveal]
            for i in order:
                tokens[int(masked[i]) + 1] = int(codes[i])
            sampler += time.perf_counter() - s0
        ids = tokens[1:].clone()
        d0, dc0 = time.perf_counter(), time.process_time()
        pixels = decoder(ids, grid)
        decode, decode_cpu = time.perf_counter() - d0, time.process_time() - dc0
    return {"forward_s": forward, "forward_cpu_s": forward_cpu, "sampler_s": sampler, "decode_s": decode,
            "decode_cpu_s": decode_cpu, "tokens": ids.tolist()}, pixels.numpy()


# MARK: the engine side


class Engine:
    def __init__(self, binary: Path, weights: Path, precision: str, threads: int, label: int, steps: int,
                 spin: bool = False, tag: str = ""):
        env = dict(os.environ)
        if spin:
            # libgomp's own default when no variable is set (spin 300,000 iterations, then sleep),
            # which the engine otherwise replaces by a passive wait (DNNLKernels/omp_policy.c).
            env["MASKGIT_OMP_WAIT"] = "default"
        self.proc = subprocess.Popen(
            [str(binary), "--serve-generation", "--full-size", str(weights), "--precision", precision,
             "--threads", str(threads), "--label", str(label), "--steps", str(steps)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=REPO, env=env)
        self.info = json.loads(self.proc.stdout.readline())
        self.name = f"engine {self.info['precision']}" + (" (spin)" if spin else "") + (f" ({tag})" if tag else "")

    def peak(self, n: int = 2048) -> float:
        """The engine's own GEMM rate (GFLOP per CPU-second, best of 5) for n x n x n."""
        self.proc.stdin.write(f"peak {n}\n")
        self.proc.stdin.flush()
        return float(json.loads(self.proc.stdout.readline())["gflops_per_cpu_s"])

    def round(self, dump: Path | None = None):
        self.proc.stdin.write(f"dump {dump}\n" if dump else "go\n")
        self.proc.stdin.flush()
        result = json.loads(self.proc.stdout.readline())
        pixels = np.fromfile(dump, dtype="<f4") if dump else None
        return result, pixels

    def close(self):
        self.proc.stdin.write("quit\n")
        self.proc.stdin.flush()
        self.proc.wait(timeout=60)


# MARK: figures


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    a, b = np.clip(a.reshape(-1), 0, 1).astype(np.float64), np.clip(b.reshape(-1), 0, 1).astype(np.float64)
    mse = float(np.mean((a - b) ** 2))
    return float("inf") if mse == 0 else 10 * math.log10(1 / mse)


def generation_gflop(trf: dict, tok_cfg_convs: float, steps: int, codebook: int) -> tuple[float, float]:
    """(transformer GFLOP per generation, decoder GFLOP) for the engine's products."""
    v, d = np.asarray(trf["Embed_0"]["word_embeddings"]["embedding"]).shape
    length = np.asarray(trf["Embed_0"]["position_embeddings"]["embedding"]).shape[0]
    layers = len([k for k in trf if k.startswith("TransformerLayer_")])
    inter = np.asarray(trf["TransformerLayer_0"]["Mlp_0"]["intermediate_output"]["kernel"]).shape[1]
    per_layer = 2 * length * (4 * d * d + 2 * d * inter) + 2 * 2 * length * length * d
    per_pass = layers * per_layer + 2 * length * d * d + 2 * (length - 1) * d * codebook
    return steps * per_pass / 1e9, tok_cfg_convs


def decoder_gflop(dec: dict, grid: int) -> float:
    """Conv FLOPs of the decoder, walking its convolutions at their map sizes."""
    total = 0.0
    size = grid
    blocks = len([k for k in dec if k.startswith("ResBlock_")])
    levels = len([k for k in dec if k.startswith("Conv_")]) - 1
    per_level = blocks // (levels + 1)

    def conv(node, s):
        kh, kw, ci, co = np.asarray(node["kernel"]).shape
        return 2.0 * s * s * kh * kw * ci * co

    total += conv(dec["Conv_0"], size)
    block = 0
    for _ in range(per_level):
        total += sum(conv(dec[f"ResBlock_{block}"][c], size) for c in dec[f"ResBlock_{block}"] if c.startswith("Conv_"))
        block += 1
    up = 1
    for level in reversed(range(levels)):
        for _ in range(per_level):
            total += sum(conv(dec[f"ResBlock_{block}"][c], size) for c in dec[f"ResBlock_{block}"] if c.startswith("Conv_"))
            block += 1
        if level > 0:
            size *= 2
            total += conv(dec[f"Conv_{up}"], size)
            up += 1
    total += conv(dec[f"Conv_{up}"], size)
    return total / 1e9


def gemm_peak(torch, dtype, threads: int, n: int = 2048, repeats: int = 5) -> float:
    """GFLOP per CPU-second of an n x n x n GEMM in PyTorch with `threads` threads (best of
    `repeats`), measured in CPU time because the machine is shared."""
    a = torch.randn(n, n).to(dtype)
    b = torch.randn(n, n).to(dtype)
    torch.mm(a, b)
    rates = []
    for _ in range(repeats):
        c0 = time.process_time()
        torch.mm(a, b)
        rates.append(2 * n ** 3 / (time.process_time() - c0) / 1e9)
    return max(rates)  # the peak: the least disturbed repeat


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--weights", type=Path, default=REPO / "runs/fullsize", help="make_fixtures.py --full-size directory")
    ap.add_argument("--binary", type=Path, default=REPO / ".build/release/maskgit-bench")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=8)
    ap.add_argument("--steps", type=int, default=8)
    ap.add_argument("--label", type=int, default=1)
    ap.add_argument("--pin", action="store_true", help="pin this process and the engines to the first --threads CPUs")
    ap.add_argument("--peers", default="engine-fp32,engine-bf16,torch-fp32,torch-bf16")
    ap.add_argument("--skip-check", action="store_true", help="skip the agreement check (it costs about one round)")
    ap.add_argument("--baseline-binary", type=Path,
                    help="another maskgit-bench build (e.g. of an earlier commit) run as an extra fp32 peer, "
                         "\"engine fp32 (baseline)\", for a before/after in one run")
    ap.add_argument("--spin-peers", action="store_true",
                    help="also run each engine with libgomp's default spinning wait (MASKGIT_OMP_WAIT=default), "
                         "to measure what the engine's passive wait costs")
    args = ap.parse_args()
    load_before = os.getloadavg()

    if args.pin and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, set(sorted(os.sched_getaffinity(0))[:args.threads]))
    import torch
    torch.set_num_threads(args.threads)

    tok = load_flax_msgpack(args.weights / "tokenizer.msgpack")
    trf = load_flax_msgpack(args.weights / "transformer.msgpack")
    codebook = np.asarray(tok["quantizer"]["codebook"]).shape[0]
    grid = int(math.isqrt(np.asarray(trf["Embed_0"]["position_embeddings"]["embedding"]).shape[0] - 1))
    peers: dict[str, object] = {}
    wanted = args.peers.split(",")
    for precision in ("fp32", "bf16"):
        if f"torch-{precision}" in wanted:
            peers[f"torch {precision}"] = build_torch(torch, tok, trf, torch.float32 if precision == "fp32" else torch.bfloat16)
    for precision in ("fp32", "bf16"):
        if f"engine-{precision}" in wanted:
            for spin in ((False, True) if args.spin_peers else (False,)):
                engine = Engine(args.binary, args.weights, precision, args.threads, args.label, args.steps, spin)
                peers[engine.name] = engine
                print(f"# {engine.name}: {engine.info}", file=sys.stderr)
    if args.baseline_binary:
        engine = Engine(args.baseline_binary, args.weights, "fp32", args.threads, args.label, args.steps, tag="baseline")
        peers[engine.name] = engine
        print(f"# {engine.name}: {engine.info}", file=sys.stderr)

    def run(name, dump=None):
        peer = peers[name]
        if isinstance(peer, Engine):
            return peer.round(dump)
        return torch_generation(torch, peer, args.label, codebook, args.steps)

    # Agreement before timing, against PyTorch fp32. Greedy decodes of random-weight networks are
    # chaotic (their confidences are near ties), so the networks are compared on equal inputs:
    # the first step's code logits (class token + all masks), and each decoder on the tokens of
    # that peer's own generation, decoded by PyTorch fp32.
    reference = peers.get("torch fp32")
    if reference is not None and not args.skip_check:
        mask = reference[0].word.shape[0] - 1
        first = torch.full((grid * grid + 1,), mask, dtype=torch.long)
        first[0] = codebook + args.label
        with torch.inference_mode():
            ref_logits = reference[0].code_logits(first, codebook).numpy()
        print(f"agreement with torch fp32 on equal inputs (first-step code logits {ref_logits.shape}; decoder from each peer's tokens):")
        with tempfile.TemporaryDirectory() as tmp:
            for name, peer in peers.items():
                if isinstance(peer, Engine):
                    path = Path(tmp) / "logits.f32"
                    peer.proc.stdin.write(f"logits {path}\n")
                    peer.proc.stdin.flush()
                    json.loads(peer.proc.stdout.readline())
                    logits = np.fromfile(path, dtype="<f4").reshape(ref_logits.shape)
                else:
                    with torch.inference_mode():
                        logits = peer[0].code_logits(first, codebook).numpy()
                result, pixels = run(name, Path(tmp) / "pixels.f32")
                with torch.inference_mode():
                    ref_pixels = reference[1](torch.tensor(result["tokens"], dtype=torch.long), grid).numpy()
                diff = np.abs(logits - ref_logits)
                agree = np.mean(logits.argmax(1) == ref_logits.argmax(1))
                off = np.mean(np.abs(np.round(np.clip(pixels.reshape(-1), 0, 1) * 255) - np.round(np.clip(ref_pixels.reshape(-1), 0, 1) * 255)) > 1)
                print(f"  {name:12s} logits max abs {diff.max():.4g}, rms {np.sqrt(np.mean(diff ** 2)):.4g}, argmax {100 * agree:6.2f} % equal; "
                      f"decoder PSNR {psnr(ref_pixels, pixels):6.1f} dB, {100 * off:.2f} % of bytes off by > 1")

    # Timed rounds, rotating the order.
    names = list(peers)
    records: dict[str, list[dict]] = {name: [] for name in names}
    round_peaks: list[dict[str, float]] = []
    for r in range(args.rounds):
        order = names[r % len(names):] + names[:r % len(names)]
        for name in order:
            records[name].append(run(name)[0])
            x = records[name][-1]
            print(f"# round {r + 1} {name}: transformer {sum(x['forward_cpu_s']):.2f} cpu-s, decoder {x['decode_cpu_s']:.2f} cpu-s, "
                  f"total wall {sum(x['forward_s']) + x['decode_s'] + x['sampler_s']:.2f} s", file=sys.stderr, flush=True)
        # This round's peaks, right after its generations, so that a round slowed by the shared
        # machine is compared with a GEMM slowed the same way (the per-round floor ratios below).
        peaks = {"fp32": gemm_peak(torch, torch.float32, args.threads, repeats=3) if "torch fp32" in peers else 0.0,
                 "bf16": gemm_peak(torch, torch.bfloat16, args.threads, repeats=3) if "torch bf16" in peers else 0.0}
        for peer in peers.values():
            if isinstance(peer, Engine):
                p = peer.info["precision"]
                peaks[p] = max(peaks[p], peer.peak(2048))
        round_peaks.append(peaks)
        print(f"# round {r + 1}/{args.rounds} done; peaks fp32 {peaks['fp32']:.0f}, bf16 {peaks['bf16']:.0f} GFLOP/cpu-s", file=sys.stderr)
    load_after = os.getloadavg()
    engine_peak = {"fp32": 0.0, "bf16": 0.0}
    for peer in peers.values():
        if isinstance(peer, Engine):
            p = peer.info["precision"]
            engine_peak[p] = max(engine_peak[p], peer.peak(2048))
            peer.close()

    def med(name, key):
        values = [sum(x[key]) if isinstance(x[key], list) else x[key] for x in records[name]]
        return statistics.median(values)

    trf_gflop, _ = generation_gflop(trf, 0, args.steps, codebook)
    dec_gflop = decoder_gflop(tok["decoder"], grid)
    peak32 = gemm_peak(torch, torch.float32, args.threads)
    peak16 = gemm_peak(torch, torch.bfloat16, args.threads)
    print(f"\nthreads {args.threads}{' (pinned)' if args.pin else ''}, {args.rounds} rounds, {args.steps} steps, "
          f"{grid * 16} px; load average (1, 5, 15 min) before {' '.join(f'{x:.1f}' for x in load_before)}, "
          f"after {' '.join(f'{x:.1f}' for x in load_after)}; {os.cpu_count()} CPUs; torch {torch.__version__}")
    print(f"GEMM work: transformer {trf_gflop:.1f} GFLOP per generation, decoder {dec_gflop:.1f} GFLOP")
    print(f"peak of a 2048^3 GEMM, GFLOP per CPU-second (best of 5): PyTorch fp32 {peak32:.0f}, bf16 {peak16:.0f}; "
          f"engine fp32 {engine_peak['fp32']:.0f}, bf16 {engine_peak['bf16']:.0f}")
    # The machine's peak: the faster of the two libraries' large GEMM.
    peak32, peak16 = max(peak32, engine_peak["fp32"]), max(peak16, engine_peak["bf16"])
    floor32 = (trf_gflop + dec_gflop) / peak32
    floor16 = (trf_gflop + dec_gflop) / peak16
    print(f"GEMM floor of a generation: fp32 {floor32:.2f} CPU-s, bf16 {floor16:.2f} CPU-s (its FLOPs at the faster peak)\n")
    for p in ("fp32", "bf16"):
        values = [x[p] for x in round_peaks if x[p] > 0]
        if values:
            print(f"per-round peaks {p} (best of the round's 2048^3 GEMMs, both libraries): median {statistics.median(values):.0f}, "
                  f"range {min(values):.0f}-{max(values):.0f} GFLOP per CPU-second")
    print("\n\"/ GEMM floor\": the median total over the floor at the run's best peak; \"per round\": the median of each "
          "round's total over the floor at that round's own peak.\n")
    print("| peer | transformer (8 passes) s | cpu s | decoder s | cpu s | sampler s | total s | total cpu s | / torch fp32 (cpu) | / torch bf16 (cpu) | / torch fp32 (wall) | / torch bf16 (wall) | / GEMM floor (cpu) | / GEMM floor per round (cpu) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    totals = {}
    for name in names:
        fw, fc = med(name, "forward_s"), med(name, "forward_cpu_s")
        dw, dc = med(name, "decode_s"), med(name, "decode_cpu_s")
        sw = med(name, "sampler_s")
        tw = statistics.median([sum(x["forward_s"]) + x["decode_s"] + x["sampler_s"] for x in records[name]])
        tc = statistics.median([sum(x["forward_cpu_s"]) + x["decode_cpu_s"] for x in records[name]])
        totals[name] = (tw, tc, fw, dw)
    for name in names:
        tw, tc, _, _ = totals[name]
        fw, fc = med(name, "forward_s"), med(name, "forward_cpu_s")
        dw, dc = med(name, "decode_s"), med(name, "decode_cpu_s")
        r32 = f"{tc / totals['torch fp32'][1]:.2f}" if "torch fp32" in totals else "–"
        r16 = f"{tc / totals['torch bf16'][1]:.2f}" if "torch bf16" in totals else "–"
        w32 = f"{tw / totals['torch fp32'][0]:.2f}" if "torch fp32" in totals else "–"
        w16 = f"{tw / totals['torch bf16'][0]:.2f}" if "torch bf16" in totals else "–"
        floor = floor16 if "bf16" in name else floor32
        p = "bf16" if "bf16" in name else "fp32"
        per_round = [(sum(x["forward_cpu_s"]) + x["decode_cpu_s"]) / ((trf_gflop + dec_gflop) / pk[p])
                     for x, pk in zip(records[name], round_peaks) if pk[p] > 0]
        pr = f"{statistics.median(per_round):.2f}" if per_round else "–"
        print(f"| {name} | {fw:.2f} | {fc:.2f} | {dw:.2f} | {dc:.2f} | {med(name, 'sampler_s'):.3f} | {tw:.2f} | {tc:.2f} | {r32} | {r16} | {w32} | {w16} | {tc / floor:.2f} | {pr} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""CLI: python -m maskgit_training <command> [options]  (run from Training/ or with PYTHONPATH=Training)."""
import argparse
import os
import sys

from . import DATA_DIR, REPO_ROOT, RUNS_DIR


def add_tokenizer_args(a, channel_multipliers, num_groups):
    """The `TokenizerConfig` flags (train-tokenizer and bench-tokenizer differ in two defaults)."""
    a.add_argument("--filters", type=int, default=32)
    a.add_argument("--channel-multipliers", default=channel_multipliers)
    a.add_argument("--num-res-blocks", type=int, default=1)
    a.add_argument("--embedding-dim", type=int, default=64)
    a.add_argument("--codebook-size", type=int, default=1024)
    a.add_argument("--num-groups", type=int, default=num_groups)
    a.add_argument("--image-size", type=int, default=64)


def tokenizer_config(args):
    from maskgit_flax.config import TokenizerConfig
    return TokenizerConfig(filters=args.filters,
                           channel_multipliers=tuple(int(v) for v in args.channel_multipliers.split(",")),
                           num_res_blocks=args.num_res_blocks, embedding_dim=args.embedding_dim,
                           codebook_size=args.codebook_size, num_groups=args.num_groups,
                           image_size=args.image_size)


def main(argv=None):
    p = argparse.ArgumentParser(prog="maskgit_training")
    sub = p.add_subparsers(dest="cmd", required=True)

    a = sub.add_parser("prepare", help="build the emoji dataset npz")
    a.add_argument("--out", default=os.path.join(DATA_DIR, "emoji64.npz"))
    a.add_argument("--size", type=int, default=64)
    a.add_argument("--margin", type=int, default=3)
    a.add_argument("--limit", type=int, default=None, help="only this many emoji sequences (tests)")
    a.add_argument("--skin-tone-keep", type=float, default=0.1)
    a.add_argument("--seed", type=int, default=0)

    a = sub.add_parser("train-tokenizer", help="train the VQGAN tokenizer (resumes from the run dir)")
    a.add_argument("--data", default=os.path.join(DATA_DIR, "emoji64.npz"))
    a.add_argument("--run-dir", default=os.path.join(RUNS_DIR, "tokenizer"))
    add_tokenizer_args(a, channel_multipliers="1,2,2,4", num_groups=32)
    a.add_argument("--steps", type=int, default=2500)
    a.add_argument("--batch-size", type=int, default=32)
    a.add_argument("--lr", type=float, default=1e-3)
    a.add_argument("--warmup", type=int, default=100)
    a.add_argument("--beta", type=float, default=0.25)
    a.add_argument("--seed", type=int, default=0)
    a.add_argument("--ckpt-every", type=int, default=100)
    a.add_argument("--eval-every", type=int, default=500)
    a.add_argument("--log-every", type=int, default=10)
    a.add_argument("--restart-every", type=int, default=100)
    a.add_argument("--max-shift", type=int, default=2)
    a.add_argument("--precision", choices=("auto", "fp32", "bf16"), default="auto",
                   help="compute precision of the encoder/decoder convs (float32 master weights); auto: "
                        "bf16 on a GPU/TPU, fp32 on CPU (bf16 was not faster on the project's CPU, see README)")
    a.add_argument("--l1-weight", type=float, default=0.5)
    a.add_argument("--edge-weight", type=float, default=0.1, help="L1 on image gradients (edges)")
    a.add_argument("--num-heldout-eval", type=int, default=256, help="held-out images per eval (0: all)")

    a = sub.add_parser("bench-tokenizer", help="time tokenizer training steps in fp32 and bf16 (JSON)")
    add_tokenizer_args(a, channel_multipliers="1,2,4", num_groups=8)
    a.add_argument("--batch-size", type=int, default=32)
    a.add_argument("--steps", type=int, default=5)
    a.add_argument("--precisions", default="fp32,bf16")
    a.add_argument("--data", default=os.path.join(DATA_DIR, "emoji64.npz"), help="real batches when present")
    a.add_argument("--out", default=None, help="also write the JSON here")

    a = sub.add_parser("eval-tokenizer", help="held-out PSNR and code usage of one tokenizer (JSON)")
    a.add_argument("--data", default=os.path.join(DATA_DIR, "emoji64.npz"))
    a.add_argument("--tokenizer", default=None, help="checkpoint or tokenizer.safetensors (default: latest in runs/tokenizer)")
    a.add_argument("--out", default=None)

    a = sub.add_parser("tokenize", help="encode the dataset (and shifted copies) to token grids")
    a.add_argument("--data", default=os.path.join(DATA_DIR, "emoji64.npz"))
    a.add_argument("--tokenizer", default=None, help="checkpoint (default: latest in runs/tokenizer)")
    a.add_argument("--out", default=os.path.join(DATA_DIR, "tokens.npz"))
    a.add_argument("--no-shifts", action="store_true", help="only the unshifted images")

    a = sub.add_parser("train-transformer", help="train the MaskGIT transformer (resumes from the run dir)")
    a.add_argument("--tokens", default=os.path.join(DATA_DIR, "tokens.npz"))
    a.add_argument("--run-dir", default=os.path.join(RUNS_DIR, "transformer"))
    a.add_argument("--hidden-size", type=int, default=256)
    a.add_argument("--num-layers", type=int, default=6)
    a.add_argument("--num-heads", type=int, default=8)
    a.add_argument("--intermediate-size", type=int, default=1024)
    a.add_argument("--dropout", type=float, default=0.1)
    a.add_argument("--steps", type=int, default=2000)
    a.add_argument("--batch-size", type=int, default=64)
    a.add_argument("--lr", type=float, default=4e-4)
    a.add_argument("--warmup", type=int, default=200)
    a.add_argument("--weight-decay", type=float, default=0.045)
    a.add_argument("--class-dropout", type=float, default=0.1)
    a.add_argument("--label-smoothing", type=float, default=0.1)
    a.add_argument("--seed", type=int, default=0)
    a.add_argument("--ckpt-every", type=int, default=100)
    a.add_argument("--eval-every", type=int, default=250)
    a.add_argument("--precision", choices=("auto", "fp32", "bf16"), default="auto",
                   help="compute precision (float32 master weights); auto: bf16 on a GPU/TPU, fp32 on CPU")
    a.add_argument("--log-every", type=int, default=10)

    a = sub.add_parser("train-classifier", help="train the emoji-group classifier used by evaluate")
    a.add_argument("--data", default=os.path.join(DATA_DIR, "emoji64.npz"))
    a.add_argument("--run-dir", default=os.path.join(RUNS_DIR, "classifier"))
    a.add_argument("--steps", type=int, default=800)
    a.add_argument("--batch-size", type=int, default=64)
    a.add_argument("--arch", choices=("v1", "judge"), default="v1")
    a.add_argument("--augment", choices=("translate", "strong"), default="translate")
    a.add_argument("--lr", type=float, default=2e-3)
    a.add_argument("--label-smoothing", type=float, default=0.0)
    a.add_argument("--weight-decay", type=float, default=1e-4)
    a.add_argument("--style-weight", type=float, default=0.3, help="weight of the style head loss (judge)")
    a.add_argument("--eval-every", type=int, default=0, help="held-out accuracy every N steps (0: at the end)")
    a.add_argument("--subgroup-weight", type=float, default=0.0,
                   help="weight of an auxiliary head on the 99 Unicode subgroups (0: none)")

    for name in ("sample", "evaluate"):
        a = sub.add_parser(name, help="sample sheets" if name == "sample" else "quality metrics (JSON)")
        a.add_argument("--data", default=os.path.join(DATA_DIR, "emoji64.npz"))
        a.add_argument("--tokenizer", default=None)
        a.add_argument("--transformer", default=None)
        a.add_argument("--num-iter", type=int, default=12)
        a.add_argument("--temperature", type=float, default=4.5, help="choice temperature")
        a.add_argument("--guidance", type=float, default=0.0, help="classifier-free guidance scale w")
        a.add_argument("--seed", type=int, default=0)
        if name == "sample":
            a.add_argument("--out-dir", default=os.path.join(RUNS_DIR, "samples"))
            a.add_argument("--per-class", type=int, default=10)
        else:
            a.add_argument("--classifier", default=os.path.join(RUNS_DIR, "classifier"))
            a.add_argument("--out", default=os.path.join(RUNS_DIR, "eval", "metrics.json"))
            a.add_argument("--per-class", type=int, default=50)
            a.add_argument("--tta", action="store_true",
                           help="classifier logits averaged over 5 shifted copies (features unchanged)")

    a = sub.add_parser("export", help="write Models/default safetensors (+ msgpack, parity fixture)")
    a.add_argument("--tokenizer", default=None)
    a.add_argument("--transformer", default=None)
    a.add_argument("--out-dir", default=os.path.join(REPO_ROOT, "Models", "default"))
    a.add_argument("--msgpack-dir", default=os.path.join(RUNS_DIR, "export"))
    a.add_argument("--fixture-dir", default=os.path.join(REPO_ROOT, "Tests", "EngineTests", "Fixtures",
                                                         "default-model"))

    args, rest = p.parse_known_args(argv)
    if rest:
        p.error("unrecognized arguments: " + " ".join(rest))
    from . import common
    def ckpt(path, run):
        if path:
            return path
        found = common.latest_checkpoint(os.path.join(RUNS_DIR, run))
        if not found:
            p.error(f"no checkpoint in runs/{run}; pass one explicitly")
        return found
    if args.cmd == "prepare":
        from . import data
        data.prepare(args.out, size=args.size, margin=args.margin, limit=args.limit,
                     skin_tone_keep=args.skin_tone_keep, seed=args.seed)
    elif args.cmd == "train-tokenizer":
        from . import train_tokenizer
        cfg = tokenizer_config(args)
        train_tokenizer.train(args.data, args.run_dir, cfg, args.steps, batch_size=args.batch_size,
                              lr=args.lr, warmup=args.warmup, beta=args.beta, seed=args.seed,
                              ckpt_every=args.ckpt_every, eval_every=args.eval_every,
                              log_every=args.log_every, restart_every=args.restart_every,
                              max_shift=args.max_shift,
                              precision=train_tokenizer.resolve_precision(args.precision),
                              l1_weight=args.l1_weight, edge_weight=args.edge_weight,
                              num_heldout_eval=args.num_heldout_eval)
    elif args.cmd == "bench-tokenizer":
        import json
        from . import train_tokenizer
        cfg = tokenizer_config(args)
        import numpy as np
        images = None
        if os.path.exists(args.data):
            d = np.load(args.data)
            images = d["images"][~d["heldout"]]
        res = train_tokenizer.bench(cfg, tuple(args.precisions.split(",")), batch_size=args.batch_size,
                                    steps=args.steps, images=images)
        out = {"config": cfg.to_dict(), "cpu_threads": os.cpu_count(), "results": res}
        print(json.dumps(out), flush=True)
        if args.out:
            os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
            with open(args.out, "w") as f:
                json.dump(out, f, indent=2)
    elif args.cmd == "eval-tokenizer":
        import json
        import jax
        import jax.numpy as jnp
        import numpy as np
        from . import train_tokenizer
        from .export import load_run
        from maskgit_flax.config import TokenizerConfig
        path = ckpt(args.tokenizer, "tokenizer")
        params, run = load_run(path)
        params = jax.tree_util.tree_map(jnp.asarray, params)
        cfg = TokenizerConfig.from_dict(run["config"])
        d = np.load(args.data)
        res = {"tokenizer": path, "config": cfg.to_dict(), "num_heldout": int(d["heldout"].sum()),
               "step": int(common.load_params_from_checkpoint(path)["step"]) if path.endswith(".msgpack") else None,
               **train_tokenizer.evaluate(params, cfg, d["images"][d["heldout"]])}
        print(json.dumps(res), flush=True)
        if args.out:
            with open(args.out, "w") as f:
                json.dump(res, f, indent=2)
    elif args.cmd == "tokenize":
        from . import train_transformer
        shifts = ((0, 0),) if args.no_shifts else train_transformer.DEFAULT_SHIFTS
        train_transformer.tokenize(args.data, ckpt(args.tokenizer, "tokenizer"), args.out, shifts=shifts)
    elif args.cmd == "train-transformer":
        import numpy as np
        from . import train_tokenizer, train_transformer
        from maskgit_flax.config import TransformerConfig, Vocabulary
        d = np.load(args.tokens)
        vocab = Vocabulary(int(d["codebook_size"]), len(d["class_names"]))
        gh, gw = d["tokens"].shape[-2:]
        cfg = TransformerConfig(vocab_size=vocab.vocab_size, hidden_size=args.hidden_size,
                                num_layers=args.num_layers, num_heads=args.num_heads,
                                intermediate_size=args.intermediate_size,
                                max_position_embeddings=int(gh * gw + 1), grid_height=int(gh),
                                grid_width=int(gw), dropout_rate=args.dropout)
        train_transformer.train(args.tokens, args.run_dir, cfg, args.steps, batch_size=args.batch_size,
                                lr=args.lr, warmup=args.warmup, weight_decay=args.weight_decay,
                                class_dropout=args.class_dropout, label_smoothing=args.label_smoothing,
                                seed=args.seed, ckpt_every=args.ckpt_every, eval_every=args.eval_every,
                                log_every=args.log_every,
                                precision=train_tokenizer.resolve_precision(args.precision))
    elif args.cmd == "train-classifier":
        from . import classifier
        classifier.train(args.data, args.run_dir, steps=args.steps, batch_size=args.batch_size, lr=args.lr,
                         arch=args.arch, augment=args.augment, style_weight=args.style_weight,
                         label_smoothing=args.label_smoothing, weight_decay=args.weight_decay,
                         eval_every=args.eval_every, subgroup_weight=args.subgroup_weight)
    elif args.cmd == "sample":
        from . import evaluate
        evaluate.sample_sheets(ckpt(args.tokenizer, "tokenizer"), ckpt(args.transformer, "transformer"),
                               args.data, args.out_dir, per_class=args.per_class, num_iter=args.num_iter,
                               temperature=args.temperature, guidance=args.guidance, seed=args.seed)
    elif args.cmd == "evaluate":
        from . import evaluate
        evaluate.evaluate(ckpt(args.tokenizer, "tokenizer"), ckpt(args.transformer, "transformer"),
                          args.data, args.classifier, args.out, per_class=args.per_class,
                          num_iter=args.num_iter, temperature=args.temperature, guidance=args.guidance,
                          seed=args.seed, tta=args.tta)
    elif args.cmd == "export":
        from . import export
        export.export(ckpt(args.tokenizer, "tokenizer"), ckpt(args.transformer, "transformer"), args.out_dir,
                      msgpack_dir=args.msgpack_dir, fixture_dir=args.fixture_dir,
                      description="maskgit-rpc default model: 64x64 emoji, 9 Unicode emoji groups",
                      license="Weights trained on Noto Color Emoji (OFL-1.1) and Twemoji (CC-BY-4.0); see NOTICE.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())

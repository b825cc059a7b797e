"""CLI: python -m maskgit_training <command> [options]  (run from Training/ or with PYTHONPATH=Training)."""
import argparse
import os
import sys

from . import DATA_DIR, RUNS_DIR


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
    a.add_argument("--filters", type=int, default=32)
    a.add_argument("--channel-multipliers", default="1,2,2,4")
    a.add_argument("--num-res-blocks", type=int, default=1)
    a.add_argument("--embedding-dim", type=int, default=64)
    a.add_argument("--codebook-size", type=int, default=1024)
    a.add_argument("--num-groups", type=int, default=32)
    a.add_argument("--image-size", type=int, default=64)
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

    args, rest = p.parse_known_args(argv)
    if args.cmd == "prepare":
        from . import data
        data.prepare(args.out, size=args.size, margin=args.margin, limit=args.limit,
                     skin_tone_keep=args.skin_tone_keep, seed=args.seed)
    elif args.cmd == "train-tokenizer":
        from . import train_tokenizer
        from .vqgan import VQGANConfig
        cfg = VQGANConfig(filters=args.filters,
                          channel_multipliers=tuple(int(v) for v in args.channel_multipliers.split(",")),
                          num_res_blocks=args.num_res_blocks, embedding_dim=args.embedding_dim,
                          codebook_size=args.codebook_size, num_groups=args.num_groups,
                          image_size=args.image_size)
        train_tokenizer.train(args.data, args.run_dir, cfg, args.steps, batch_size=args.batch_size,
                              lr=args.lr, warmup=args.warmup, beta=args.beta, seed=args.seed,
                              ckpt_every=args.ckpt_every, eval_every=args.eval_every,
                              log_every=args.log_every, restart_every=args.restart_every,
                              max_shift=args.max_shift)
    return 0


if __name__ == "__main__":
    sys.exit(main())

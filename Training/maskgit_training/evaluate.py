"""`sample` and `evaluate`: sample sheets, editing sheet and the quality metrics of the model card."""
import json
import os
import time

import jax
import jax.numpy as jnp
import numpy as np
from PIL import Image, ImageDraw

from maskgit_flax.config import TokenizerConfig, TransformerConfig, Vocabulary

from . import classifier, common, sampling, train_tokenizer
from .export import load_run


def load_models(tokenizer_ckpt, transformer_ckpt):
    tok_params, tok_run = load_run(tokenizer_ckpt)
    tr_params, tr_run = load_run(transformer_ckpt)
    tok_params = jax.tree_util.tree_map(jnp.asarray, tok_params)
    tr_params = jax.tree_util.tree_map(jnp.asarray, tr_params)
    vq_cfg = TokenizerConfig.from_dict(tok_run["config"])
    tr_cfg = TransformerConfig.from_dict(tr_run["config"])
    v = tr_run["vocabulary"]
    vocab = Vocabulary(v["codebook_size"], v["num_classes"])
    return tok_params, vq_cfg, tr_params, tr_cfg, vocab, tr_run["class_names"]


def grid_image(images, rows, cols, pad=2, row_labels=None, label_width=0):
    """images: (rows*cols, H, W, 3) float [0,1] or uint8 -> PIL image."""
    imgs = np.asarray(images)
    if imgs.dtype != np.uint8:
        imgs = (np.clip(imgs, 0, 1) * 255 + 0.5).astype(np.uint8)
    h, w = imgs.shape[1:3]
    sheet = Image.new("RGB", (label_width + cols * (w + pad) + pad, rows * (h + pad) + pad), (200, 200, 200))
    draw = ImageDraw.Draw(sheet)
    for i, im in enumerate(imgs[:rows * cols]):
        r, c = divmod(i, cols)
        sheet.paste(Image.fromarray(im), (label_width + pad + c * (w + pad), pad + r * (h + pad)))
    if row_labels:
        for r, text in enumerate(row_labels):
            draw.text((4, pad + r * (h + pad) + h // 2 - 6), text, fill=(0, 0, 0))
    return sheet


def generate_images(tok_params, vq_cfg, tr_params, tr_cfg, vocab, labels, seed, num_iter, temperature,
                    guidance, batch=64):
    out = []
    for i in range(0, len(labels), batch):
        toks = sampling.generate(tr_params, tr_cfg, vocab, labels[i:i + batch], jax.random.PRNGKey(seed + i),
                                 num_iter=num_iter, choice_temperature=temperature, guidance=guidance)
        out.append(train_tokenizer.decode_tokens(tok_params, vq_cfg, toks))
    return np.concatenate(out)


def centre_mask(g, frac=0.5):
    m = np.zeros((g, g), bool)
    k = int(round(g * frac))
    s = (g - k) // 2
    m[s:s + k, s:s + k] = True
    return m


def composite(original, generated, token_mask, factor):
    """Hard pixel composite: generated pixels inside the (upsampled) token mask, original outside."""
    m = np.repeat(np.repeat(token_mask, factor, axis=-2), factor, axis=-1)[..., None]
    return np.where(m, generated, original)


def edit_images(tok_params, vq_cfg, tr_params, tr_cfg, vocab, images_u8, labels, token_mask, seed,
                num_iter=12, start_iter=0, temperature=4.5, guidance=0.0, batch=64):
    toks = train_tokenizer.encode_dataset(tok_params, vq_cfg, images_u8)
    out = []
    for i in range(0, len(toks), batch):
        t = toks[i:i + batch]
        m = np.broadcast_to(token_mask, t.shape)
        e = sampling.edit(tr_params, tr_cfg, vocab, t, m, labels[i:i + batch], jax.random.PRNGKey(seed + i),
                          num_iter=num_iter, start_iter=start_iter, choice_temperature=temperature,
                          guidance=guidance)
        out.append(train_tokenizer.decode_tokens(tok_params, vq_cfg, e))
    return np.concatenate(out)


def sample_sheets(tokenizer_ckpt, transformer_ckpt, data_path, out_dir, per_class=10, num_iter=12,
                  temperature=4.5, guidance=0.0, seed=0, log=print):
    tok_params, vq_cfg, tr_params, tr_cfg, vocab, names = load_models(tokenizer_ckpt, transformer_ckpt)
    os.makedirs(out_dir, exist_ok=True)
    C = len(names)
    labels = np.repeat(np.arange(C), per_class)
    imgs = generate_images(tok_params, vq_cfg, tr_params, tr_cfg, vocab, labels, seed, num_iter, temperature,
                           guidance)
    grid_image(imgs, C, per_class, row_labels=[n[:18] for n in names], label_width=110).save(
        os.path.join(out_dir, "samples_per_class.png"))
    # Editing sheet on held-out images: original | recon | inpaint centre | outpaint border | class edit.
    d = np.load(data_path)
    held = np.where(d["heldout"])[0]
    rs = np.random.RandomState(seed)
    pick = []
    for c in range(C):
        cand = held[d["labels"][held] == c]
        pick.append(rs.choice(cand))
    pick = np.array(pick)
    orig = d["images"][pick]
    lab = d["labels"][pick].astype(np.int32)
    g = vq_cfg.grid_size
    f = vq_cfg.downsample_factor
    cm = centre_mask(g)
    recon = train_tokenizer.reconstruct(tok_params, vq_cfg, orig)
    inp = edit_images(tok_params, vq_cfg, tr_params, tr_cfg, vocab, orig, lab, cm, seed + 1,
                      num_iter=num_iter, temperature=temperature, guidance=guidance)
    inp = composite(common.to_float(orig), inp, cm, f)
    masked = composite(common.to_float(orig), np.full_like(common.to_float(orig), 0.5), cm, f)
    outp = edit_images(tok_params, vq_cfg, tr_params, tr_cfg, vocab, orig, lab, ~cm, seed + 2,
                       num_iter=num_iter, temperature=temperature, guidance=guidance)
    # Class edit (official recipe: start_iter=2 of 12) of the centre region to the next class.
    target = (lab + 1) % C
    ced = edit_images(tok_params, vq_cfg, tr_params, tr_cfg, vocab, orig, target, cm, seed + 3,
                      num_iter=12, start_iter=2, temperature=temperature, guidance=guidance)
    cols = [common.to_float(orig), recon, masked, inp, outp, ced]
    stack = np.stack(cols, axis=1).reshape(-1, *orig.shape[1:])
    grid_image(stack, C, len(cols)).save(os.path.join(out_dir, "editing.png"))
    with open(os.path.join(out_dir, "editing.txt"), "w") as fh:
        fh.write("columns: original | tokenizer reconstruction | centre masked | inpainted (true class) | "
                 "outpainted border (true class) | centre re-generated as the next class "
                 "(start_iter=2 of 12)\n")
        for i, c in enumerate(lab):
            fh.write(f"row {i}: {names[c]} -> class edit target {names[target[i]]}\n")
    log(f"sample: wrote {out_dir}/samples_per_class.png and editing.png")


def evaluate(tokenizer_ckpt, transformer_ckpt, data_path, classifier_dir, out_path, per_class=50,
             num_iter=12, temperature=4.5, guidance=0.0, seed=0, log=print, tta=False):
    t0 = time.time()
    tok_params, vq_cfg, tr_params, tr_cfg, vocab, names = load_models(tokenizer_ckpt, transformer_ckpt)
    cls_params, num_classes, cls_arch = classifier.load(classifier_dir)
    d = np.load(data_path)
    held = d["heldout"]
    h_img, h_lab = d["images"][held], d["labels"][held].astype(np.int32)
    res = {"num_heldout": int(held.sum()), "sampling": {"num_iter": num_iter, "choice_temperature": temperature,
                                                        "guidance": guidance, "per_class": per_class}}
    # Tokenizer.
    rec = train_tokenizer.reconstruct(tok_params, vq_cfg, h_img)
    ps = common.psnr(common.to_float(h_img), rec)
    all_ids = train_tokenizer.encode_dataset(tok_params, vq_cfg, d["images"])
    counts = np.bincount(all_ids.ravel(), minlength=vq_cfg.codebook_size)
    p = counts / counts.sum()
    res["tokenizer"] = {"heldout_psnr_mean": float(ps.mean()), "heldout_psnr_median": float(np.median(ps)),
                        "codes_used_all_images": int((counts > 0).sum()), "codebook_size": vq_cfg.codebook_size,
                        "perplexity_all_images": float(np.exp(-(p[p > 0] * np.log(p[p > 0])).sum()))}
    log(json.dumps(res["tokenizer"]))
    # Classifier ceiling and features.
    logits, f_real = classifier.predict(cls_params, num_classes, h_img, cls_arch, tta=tta)
    ceiling = float((logits.argmax(-1) == h_lab).mean())
    res["classifier_heldout_accuracy"] = ceiling
    # Class-conditional samples.
    labels = np.repeat(np.arange(len(names)), per_class).astype(np.int32)
    gen = generate_images(tok_params, vq_cfg, tr_params, tr_cfg, vocab, labels, seed, num_iter, temperature,
                          guidance)
    g_logits, f_gen = classifier.predict(cls_params, num_classes, gen, cls_arch, tta=tta)
    acc = float((g_logits.argmax(-1) == labels).mean())
    per_class_acc = {names[c]: float((g_logits.argmax(-1)[labels == c] == c).mean()) for c in range(len(names))}
    res["samples"] = {"num": int(len(labels)), "classifier_accuracy": acc, "accuracy_vs_ceiling": acc / ceiling,
                      "per_class_accuracy": per_class_acc}
    _, f_rec = classifier.predict(cls_params, num_classes, rec, cls_arch, tta=tta)
    rnd = np.random.RandomState(seed).randint(0, vq_cfg.codebook_size,
                                              size=(len(h_img), vq_cfg.grid_size, vq_cfg.grid_size))
    _, f_rnd = classifier.predict(cls_params, num_classes, train_tokenizer.decode_tokens(tok_params, vq_cfg, rnd), cls_arch, tta=tta)
    # Inpainting: centre square of the token grid (half the side) re-generated with the true class.
    cm = centre_mask(vq_cfg.grid_size)
    inp = edit_images(tok_params, vq_cfg, tr_params, tr_cfg, vocab, h_img, h_lab, cm, seed + 7,
                      num_iter=num_iter, temperature=temperature, guidance=guidance)
    inp_c = composite(common.to_float(h_img), inp, cm, vq_cfg.downsample_factor)
    _, f_inp = classifier.predict(cls_params, num_classes, inp_c, cls_arch, tta=tta)
    i_logits, _ = classifier.predict(cls_params, num_classes, inp_c, cls_arch, tta=tta)
    res["frechet_distance_vs_heldout"] = {
        "generated": classifier.frechet_distance(f_gen, f_real),
        "baseline_tokenizer_reconstruction": classifier.frechet_distance(f_rec, f_real),
        "baseline_random_tokens": classifier.frechet_distance(f_rnd, f_real),
        "inpainted_centre_composited": classifier.frechet_distance(f_inp, f_real)}
    res["inpainting"] = {"classifier_accuracy": float((i_logits.argmax(-1) == h_lab).mean()),
                         "mask": f"centre {int(cm.sum() ** 0.5)}x{int(cm.sum() ** 0.5)} of {vq_cfg.grid_size}x{vq_cfg.grid_size} "
                                 f"tokens ({int(cm.sum() ** 0.5) * vq_cfg.downsample_factor} px square), pixels "
                                 "outside composited from the original"}
    res["classifier"] = {"dir": classifier_dir, "arch": cls_arch, "tta": tta}
    res["seconds"] = round(time.time() - t0, 1)
    os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
    with open(out_path, "w") as f:
        json.dump(res, f, indent=2)
    log(json.dumps(res, indent=2))
    return res

"""Writes Sources/Transformer/ImageNetClasses.swift: the 1000 ImageNet-1k class names in the
standard label order (the sorted WordNet ids, as TFDS `imagenet2012` and hence the official
MaskGIT checkpoints use), each the WordNet lemmas of its synset joined by ", ".

The list is taken from timm (Apache-2.0), which carries `imagenet_synsets.txt` (the 1000 ids in
label order) and `imagenet_synset_to_lemma.txt`. timm is installed without its dependencies
only to read those two files (it is not imported):

    .venv/bin/pip install --no-deps --target /tmp/timm-pkg timm==1.0.31
    .venv/bin/python Training/scripts/imagenet_classes.py --timm /tmp/timm-pkg/timm
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "Sources" / "Transformer" / "ImageNetClasses.swift"


def class_names(timm_dir: Path) -> tuple[list[str], list[str]]:
    info = timm_dir / "data" / "_info"
    synsets = (info / "imagenet_synsets.txt").read_text(encoding="utf-8").split()
    lemmas = {}
    for line in (info / "imagenet_synset_to_lemma.txt").read_text(encoding="utf-8").splitlines():
        wnid, names = line.split("\t", 1)
        lemmas[wnid] = names.strip()
    assert len(synsets) == 1000 and synsets == sorted(synsets), "expected the 1000 sorted ImageNet-1k ids"
    return synsets, [lemmas[s] for s in synsets]


def swift_source(synsets: list[str], names: list[str], version: str) -> str:
    for n in names:
        assert n.isascii() and "\n" not in n and '"""' not in n, n
    lines = "\n".join(f"{w}\t{n}" for w, n in zip(synsets, names))
    return f'''// ImageNetClasses: the 1000 ImageNet-1k class names in label order, served for the official
// MaskGIT checkpoints (whose files carry no names). GENERATED — do not edit; regenerate with
//     .venv/bin/pip install --no-deps --target /tmp/timm-pkg timm=={version}
//     .venv/bin/python Training/scripts/imagenet_classes.py --timm /tmp/timm-pkg/timm
// Source: timm {version} (Apache-2.0), timm/data/_info/imagenet_synsets.txt (the WordNet ids in
// label order, i.e. sorted) and imagenet_synset_to_lemma.txt (their lemmas); see NOTICE.md.

/// The ImageNet-1k label set of the official MaskGIT checkpoints.
public enum ImageNetClasses {{
    /// Class names in label order: the synset's lemmas joined by ", " ("tabby, tabby cat").
    public static let names: [String] = table.split(separator: "\\n").map {{ String($0.split(separator: "\\t")[1]) }}
    /// WordNet ids in label order ("n02123045").
    public static let wordNetIDs: [String] = table.split(separator: "\\n").map {{ String($0.split(separator: "\\t")[0]) }}

    private static let table = #"""
{lines}
"""#
}}
'''


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--timm", type=Path, required=True, help="the installed timm package directory")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    version = "unknown"
    for dist in args.timm.parent.glob("timm-*.dist-info"):
        version = dist.name[len("timm-"):-len(".dist-info")]
    synsets, names = class_names(args.timm)
    args.out.write_text(swift_source(synsets, names, version), encoding="utf-8")
    print(f"{args.out}: {len(names)} classes from timm {version}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

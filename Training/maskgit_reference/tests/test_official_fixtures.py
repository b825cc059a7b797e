"""The official-layer fixtures reproduce (the cheap ones), and the reference's editing pieces
follow inference.py on the issue's examples."""

import json

import numpy as np
from PIL import Image

from maskgit_reference import make_official_fixtures as mof
from maskgit_reference import official_decode as od


def test_random_fixture_reproduces():
    committed = json.loads((mof.EDITING_FIXTURES / "jax-random.json").read_text())
    fresh = json.loads(json.dumps(mof.random_fixture()))
    assert fresh["partitionable"] == committed["partitionable"]
    assert fresh["legacy"] == committed["legacy"]


def test_latent_mask_of_the_issue_example():
    # A box at (15, 15) of 18x18 at 256: rows/columns max(0, 0 - 1) .. min(16, 1 + 0 + 1) = 0..2.
    m = od.edit_token_mask(15, 15, 18, 18, image_size=256)
    assert m.sum() == 4 and m[:2, :2].all()


def test_composite_weights_reproduce():
    for size, box in mof.COMPOSITE_CASES:
        w = od.composite_weight(od.edit_token_mask(*box, image_size=size), size)
        name = f"weight-{size}-{'-'.join(map(str, box))}.png"
        stored = np.asarray(Image.open(mof.EDITING_FIXTURES / "official-composite" / name))
        assert np.array_equal(np.uint8(np.rint(w * 255)), stored), name


def test_schedule_fixture_has_the_exp_n64_case():
    data = json.loads((mof.EDITING_FIXTURES / "official-schedule.json").read_text())
    case = next(c for c in data["cases"] if c["method"] == "exp" and c["N"] == 64 and c["T"] == 12 and c["start"] == 0)
    assert case["maskLen"][9] == 32

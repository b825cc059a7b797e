"""Helpers shared by the pipeline tests (importable: pytest puts Training/tests on sys.path)."""
import numpy as np


def blob_images(n=16, size=16, seed=0):
    """White uint8 images, each with one random-colour square of half the side."""
    rs = np.random.RandomState(seed)
    imgs = np.full((n, size, size, 3), 255, np.uint8)
    for i in range(n):
        y, x = rs.randint(0, size // 2, 2)
        imgs[i, y:y + size // 2, x:x + size // 2] = rs.randint(0, 255, 3)
    return imgs

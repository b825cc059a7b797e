import jax
import numpy as np


def flatten(tree, prefix=""):
    """Flax param tree -> {'a/b/c': array} (path below `params` joined with '/')."""
    out = {}
    for k, v in tree.items():
        path = f"{prefix}/{k}" if prefix else str(k)
        if isinstance(v, dict) or hasattr(v, "items"):
            out.update(flatten(v, path))
        else:
            out[path] = v
    return out


def unflatten(flat):
    tree = {}
    for path, v in flat.items():
        node = tree
        parts = path.split("/")
        for p in parts[:-1]:
            node = node.setdefault(p, {})
        node[parts[-1]] = v
    return tree


def count_params(tree):
    return int(sum(np.prod(np.shape(v)) for v in jax.tree_util.tree_leaves(tree)))

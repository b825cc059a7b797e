"""Finding the maskgit-rpc executable."""
from __future__ import annotations

import os
import pathlib
import shutil

#: The release binary `swift build -c release --product maskgit-rpc` makes in the checkout this
#: package lies in (Clients/python/maskgit_rpc/); meaningless once installed elsewhere.
_HERE = pathlib.Path(__file__).resolve()
REPO_BINARY = (_HERE.parents[3] if len(_HERE.parents) > 3 else _HERE.parent) / ".build" / "release" / "maskgit-rpc"


def find_binary(binary: str | os.PathLike | None = None) -> str:
    """`binary`, else `$MASKGIT_RPC_BIN` (either must exist), else `maskgit-rpc` on PATH, else the checkout's
    `.build/release/maskgit-rpc`. Raises FileNotFoundError naming what was tried."""
    tried = []
    for source, candidate in (("binary", binary), ("$MASKGIT_RPC_BIN", os.environ.get("MASKGIT_RPC_BIN"))):
        if candidate:
            # An explicit choice is not second-guessed: a wrong one is an error, not a fallback.
            if os.access(candidate, os.X_OK):
                return os.fspath(candidate)
            raise FileNotFoundError(f"maskgit-rpc not found: {source} is {os.fspath(candidate)!r}, not an executable")
    on_path = shutil.which("maskgit-rpc")
    if on_path:
        return on_path
    tried.append("maskgit-rpc on PATH")
    if os.access(REPO_BINARY, os.X_OK):
        return str(REPO_BINARY)
    tried.append(str(REPO_BINARY))
    raise FileNotFoundError("maskgit-rpc not found (build it: swift build -c release --product maskgit-rpc); tried: "
                            + ", ".join(tried))

"""Finding the maskgit-rpc executable."""
from __future__ import annotations

import os
import pathlib
import shutil
from typing import Optional, Union

#: The environment variable naming the executable (the GIMP plug-in reads the same one).
ENV_VAR = "MASKGIT_RPC"
#: The older name of `ENV_VAR`, still read after it.
LEGACY_ENV_VAR = "MASKGIT_RPC_BIN"

_HERE = pathlib.Path(__file__).resolve()
_CHECKOUT = _HERE.parents[3] if len(_HERE.parents) > 3 else None
#: The release binary `swift build -c release --product maskgit-rpc` makes in the maskgit-rpc
#: checkout this package lies in (an editable install, or the source tree on sys.path); None
#: when the package is installed (site-packages is no checkout).
REPO_BINARY: Optional[pathlib.Path] = (
    _CHECKOUT / ".build" / "release" / "maskgit-rpc"
    if _CHECKOUT is not None and (_CHECKOUT / "Package.swift").is_file()
    and (_CHECKOUT / "Clients" / "python" / "maskgit_rpc").is_dir() else None
)


def find_binary(binary: Union[str, "os.PathLike[str]", None] = None) -> str:
    """The maskgit-rpc executable: `binary` if given, else `$MASKGIT_RPC` (or the older
    `$MASKGIT_RPC_BIN`), else `maskgit-rpc` on `PATH`, else (only when this package lies in a
    maskgit-rpc checkout) the checkout's `.build/release/maskgit-rpc`.

    An explicit choice (the argument or the variable) is not second-guessed: when it is not an
    executable that is the error. Raises FileNotFoundError saying what was tried."""
    explicit = [("the binary argument", binary), (f"${ENV_VAR}", os.environ.get(ENV_VAR)),
                (f"${LEGACY_ENV_VAR}", os.environ.get(LEGACY_ENV_VAR))]
    for source, candidate in explicit:
        if candidate:
            path = os.fspath(candidate)
            if os.sep not in path and not os.path.exists(path):
                path = shutil.which(path) or path  # a bare name: looked up on PATH
            if os.path.isfile(path) and os.access(path, os.X_OK):
                return path
            raise FileNotFoundError(f"maskgit-rpc not found: {source} is {os.fspath(candidate)!r}, "
                                    "which is not an executable file")
    tried = ["the binary argument (not given)", f"${ENV_VAR} (not set)"]
    on_path = shutil.which("maskgit-rpc")
    if on_path:
        return on_path
    tried.append(f"maskgit-rpc on PATH ({os.environ.get('PATH', '')})")
    if REPO_BINARY is not None:
        if os.access(REPO_BINARY, os.X_OK):
            return str(REPO_BINARY)
        tried.append(f"the checkout's build {REPO_BINARY} (absent)")
    raise FileNotFoundError(
        "maskgit-rpc not found; tried " + "; ".join(tried) + ". Build it in a maskgit-rpc checkout with "
        "`swift build -c release --product maskgit-rpc` and pass Client(binary=...), set "
        f"{ENV_VAR}=/path/to/.build/release/maskgit-rpc, or put that directory on PATH")

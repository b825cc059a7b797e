"""Writes Protocol/openrpc.json: the protocol's methods and schemas (written here, by hand) and
their examples, whose results are real answers of the server on the tiny random model.

    swift build -c release --product maskgit-rpc
    .venv/bin/python Protocol/tools/generate_openrpc.py            # rewrite the document
    .venv/bin/python Protocol/tools/generate_openrpc.py --check    # exit 1 if it would change

The closed vocabularies (schedules, samplers, rng, guidance ramps, mask policies, composites,
image formats and transports) are not written here: they are read from the server's own
`initialize` answer (whose lists come from the enums in Sources/Sessions/Vocabularies.swift),
so the document's enums and the server cannot disagree.

The examples run in order (`x-step`) on one fresh server started as
`maskgit-rpc --model Tests/EngineTests/Fixtures/tiny --allow-root DIR` where DIR holds copies of
Examples/images/*.png, in DIR as its working directory (relative paths in the examples are
relative to it). Timings are rounded
to 0 so that regenerating gives the same file. The document is bundled with the server
(Sources/RPCServer/Resources/openrpc.json; Protocol/openrpc.json links to it) and served by
`rpc.discover`: rebuild the server after regenerating.
"""
from __future__ import annotations

import argparse
import base64
import copy
import json
import pathlib
import shutil
import sys
import tempfile

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "Clients" / "python"))

from maskgit_rpc import Client, RPCError  # noqa: E402

DOCUMENT = REPO / "Sources" / "RPCServer" / "Resources" / "openrpc.json"
TINY_MODEL = REPO / "Tests" / "EngineTests" / "Fixtures" / "tiny"
IMAGES = REPO / "Examples" / "images"
#: The allowed root the examples were recorded with (shown in `initialize`'s answer).
EXAMPLE_ROOT = "/tmp/maskgit-rpc-examples"
PROTOCOL_VERSION = "2026-11-29"

IMG = base64.b64encode((IMAGES / "tiny16.png").read_bytes()).decode()
MASK = base64.b64encode((IMAGES / "tiny16-mask.png").read_bytes()).decode()


def ref(kind: str, name: str) -> dict:
    return {"$ref": f"#/components/{kind}/{name}"}


def S(name: str) -> dict:
    return ref("schemas", name)


def obj(properties: dict, required: list[str] = (), description: str | None = None, closed: bool = True) -> dict:
    schema: dict = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    if closed:
        schema["additionalProperties"] = False
    if description:
        schema["description"] = description
    return schema


INT = {"type": "integer"}
NONNEG = {"type": "integer", "minimum": 0}
STR = {"type": "string"}
BOOL = {"type": "boolean"}
NUM = {"type": "number"}
GRID = obj({"height": NONNEG, "width": NONNEG}, ["height", "width"], "A token grid's shape (rows, columns).")

# MARK: Schemas

SESSION_SUMMARY_PROPS = {
    "id": {"type": "string", "description": "The session id (\"s1\", \"s2\", ...)."},
    "model": {"type": "string", "description": "The model the session is bound to."},
    "revision": {"type": "integer", "minimum": 0,
                 "description": "The current revision: 0 after session.open, +1 per edit; undo and redo move it."},
    "width": NONNEG, "height": NONNEG,
    "channels": {"type": "integer", "enum": [3, 4], "description": "3 (RGB) or 4 (RGBA: the alpha channel is kept)."},
    "operation": {"type": "string", "enum": ["open", "generate", "inpaint", "outpaint", "classEdit"],
                  "description": "What made the current revision."},
    "canUndo": BOOL, "canRedo": BOOL,
    "revisions": {"type": "integer", "minimum": 1, "description": "Revisions kept (undo history plus redo future)."},
    "tokens": obj({"height": NONNEG, "width": NONNEG, "known": NONNEG}, ["height", "width", "known"],
                  "The cached token grid (⌈h/S⌉ × ⌈w/S⌉ for stride S) and how many of its tokens are known."),
    "bytes": {"type": "integer", "minimum": 0, "description": "Memory the session holds (all revisions), counted against the budget."},
}
SESSION_SUMMARY_REQUIRED = list(SESSION_SUMMARY_PROPS)
EVICTED = {"type": "array", "items": STR,
           "description": "Sessions evicted (least recently used) to stay within maxSessions and the memory budget; present only when not empty."}

SCHEMAS: dict = {
    "ImageRef": {
        "description": "An input image, PNG, WebP or JPEG (the format is sniffed from the bytes; PNG: 8- and 16-bit, grey, RGB, RGBA, "
                       "palette, 16-bit reduced to 8; JPEG: baseline or progressive, grey, YCbCr, CMYK/YCCK, EXIF orientation applied). A string is base64, optionally as a data URL "
                       "(\"data:image/png;base64,...\"); {\"data\"} is the same; {\"path\"} names a file the server reads, "
                       "absolute or relative to the server's working directory, inside an --allow-root directory (-32009 otherwise; "
                       "no symbolic link below a root is followed; at most maxFileBytes, -32007).",
        "oneOf": [
            {"type": "string", "minLength": 1, "description": "Base64 (or a base64 data URL) of the file's bytes."},
            obj({"data": {"type": "string", "minLength": 1}, "mediaType": {"type": "string", "description": "Ignored: the format is sniffed."}},
                ["data"], closed=False),
            obj({"path": {"type": "string", "minLength": 1}}, ["path"], closed=False),
        ],
    },
    "ImageOutput": obj({
        "transport": {"type": "string", "default": "base64",
                      "description": "base64: the image inline in the answer; path: written to `path` (atomically: a temporary "
                                     "file in the same directory, then rename); none: no pixels (metadata only)."},
        "format": {"type": "string",
                   "description": "Absent: the format `path`'s extension names (.png, .webp, .jpg/.jpeg/.jpe/.jfif), else png. "
                                  "A format that contradicts the extension, or a path with no such extension and no format, "
                                  "is -32602 (field output.format / output.path): the server never picks a format silently. "
                                  "jpeg cannot hold transparency: an image with any alpha below 255 is -32602."},
        "quality": {"type": "number", "minimum": 0, "maximum": 100,
                    "description": "WebP: lossy quality (absent = lossless WebP). JPEG: quality 1...100 (absent = 90). "
                                   "PNG is always lossless."},
        "path": {"type": "string", "minLength": 1,
                 "description": "Where the server writes the image (absolute, or relative to the server's working directory; inside "
                                "an allowed root, no symbolic link below it followed). Giving a path implies transport \"path\". "
                                "The directory must exist (-32014)."},
    }, description="How the result image comes back. Absent: base64 PNG."),
    "ImageResult": obj({
        "mediaType": {"type": "string", "enum": ["image/png", "image/webp", "image/jpeg"]},
        "width": NONNEG, "height": NONNEG,
        "channels": {"type": "integer", "enum": [3, 4]},
        "bytes": {"type": "integer", "minimum": 0, "description": "Size of the encoded file."},
        "data": {"type": "string", "description": "Base64 of the encoded file (transport base64)."},
        "path": {"type": "string", "description": "The absolute path written (transport path)."},
    }, ["mediaType", "width", "height", "channels", "bytes"], "A result image: its encoded file inline (`data`), on disk (`path`), or neither (transport none)."),
    "Rect": obj({"x": INT, "y": INT, "width": {"type": "integer", "minimum": 1}, "height": {"type": "integer", "minimum": 1}},
                ["x", "y", "width", "height"], "A pixel rectangle; it is clipped to the image and must overlap it."),
    "Mask": {**obj({
        "image": {**S("ImageRef"), "description": "A mask image of exactly the image's size (-32004 otherwise)."},
        "channel": {"type": "string", "enum": ["luminance", "alpha"], "default": "luminance",
                    "description": "luminance: bright pixels are edited; alpha: opaque pixels are edited (a mask image without alpha → -32602)."},
        "threshold": {"type": "integer", "minimum": 0, "maximum": 255, "default": 128,
                      "description": "A pixel is selected when its channel value is >= threshold (threshold 0: > 0)."},
        "invert": {"type": "boolean", "default": False, "description": "Swap selected and kept pixels (after image and rects are combined)."},
        "rects": {"type": "array", "items": S("Rect"), "description": "Rectangles to select, combined with the image (union)."},
    }, description="Which pixels to regenerate: an image and/or rectangles (union), then `invert`. It must select at least one pixel. "
                   "Tokens are chosen from the pixels by `maskPolicy`; the answer's `windows[].tokenMask` shows the tokens regenerated."),
        "anyOf": [{"required": ["image"]}, {"required": ["rects"]}]},
    "Class": {"description": "A class: its label (0 ... numClasses−1), or its name from models.list or any one of the name's "
                             "comma-separated synonyms (\"tabby cat\" for \"tabby, tabby cat\"), ignoring case and repeated blanks; "
                             "a name of several classes (ImageNet's \"crane\") is refused with their labels, an unknown one with the nearest "
                             "names. The official ImageNet checkpoints are served with the 1000 ImageNet-1k names.",
              "oneOf": [{"type": "integer", "minimum": 0}, {"type": "string", "minLength": 1}]},
    "DecodingParams": obj({
        "seed": {"type": "integer", "minimum": 0, "maximum": 9007199254740991,
                 "description": "Random seed (0 ... 2^53−1). Absent: a random seed, echoed in the answer. Same seed, model, parameters and "
                                "build → same tokens."},
        "steps": {"type": "integer", "minimum": 1, "maximum": 64,
                  "description": "Decoding iterations T. Default: the model's (models.list defaults): official checkpoints 16 for "
                                 "generate (inference.py generate_samples) and 12 for the edits; the project's models 12."},
        "startStep": {"type": "integer", "minimum": 0, "maximum": 63,
                      "description": "First iteration run (< steps); default 0, classEdit 2 (the official editing run)."},
        "schedule": {"type": "string", "default": "cosine"},
        "sampler": {"type": "string", "default": "confidence",
                    "description": "confidence: the official MaskGIT choice; halton: a fixed Halton reveal order."},
        "choiceTemperature": {"type": "number", "minimum": 0, "maximum": 100, "default": 4.5,
                              "description": "Confidence sampler only: the annealed choice temperature."},
        "temperature": {"type": "number", "minimum": 0.01, "maximum": 10, "default": 1, "description": "Token sampling temperature."},
        "topK": {"type": "integer", "minimum": 1, "maximum": 1000000, "description": "Sample among the k most likely codes only."},
        "guidance": {"type": "number", "minimum": 0, "maximum": 50,
                     "description": "Classifier-free guidance weight w: logits = (1+w)·cond − w·uncond. Default 2 for models with a null "
                                    "class (the default model's card recommends it), 0 for the others; > 0 needs a model with a null "
                                    "class (capabilities.classifierFreeGuidance; -32012 otherwise); 0 turns it off."},
        "guidanceRamp": {"type": "string", "default": "constant"},
        "adaptiveSteps": {"type": "boolean", "default": False,
                          "description": "Fewer steps where few tokens are unknown: a window with u of N tokens to fill runs "
                                         "max(min(T, 4), ⌈T·√(u/N)⌉) steps (T = steps; at most T; only with startStep 0), e.g. "
                                         "4 of 12 for a 10 % mask. windows[].steps reports what ran. Off by default (the official "
                                         "sampler runs T). Measured quality: Docs/Benchmarks.md, \"Decoding steps and mask area\"."},
        "rng": {"type": "string",
                "description": "The random numbers. project: the project's SplitMix64 streams (default for the project's models). "
                               "jax (default for official checkpoints): JAX's threefry-2x32 as JAX 0.10 computes it "
                               "(jax_threefry_partitionable=True), consumed as the official decode loop does: the seed is "
                               "jax.random.PRNGKey(seed) = [0, seed mod 2^32], the key passed to parallel_decode.decode; same seed, "
                               "weights and options → the official code's tokens (batch row 0). jaxLegacy: the same with "
                               "jax_threefry_partitionable=False (JAX before 0.5), batch 1."},
    }, description="The decoding options every edit takes as top-level params (listed here together for clients)."),
    "Window": obj({
        "x": INT, "y": INT, "width": NONNEG, "height": NONNEG,
        "scale": {"type": "number", "description": "Pixels of the image per pixel of the model's native input in this window (1 = native)."},
        "grid": GRID,
        "tokenMask": obj({
            "regenerated": NONNEG, "total": NONNEG,
            "rows": {"type": "array", "items": {"type": "string", "pattern": "^[01]*$"},
                     "description": "One string per token row, \"1\" = regenerated."},
        }, ["regenerated", "total", "rows"]),
        "steps": {"type": "integer", "minimum": 0, "description": "Decoding steps this window ran (inpaint and classEdit)."},
    }, ["x", "y", "width", "height", "scale", "grid", "tokenMask"],
        "One decoded window of the edit (image pixels) and its effective token mask."),
    "SessionSummary": obj(SESSION_SUMMARY_PROPS, SESSION_SUMMARY_REQUIRED, "A session's current state."),
    "SessionState": obj({**SESSION_SUMMARY_PROPS, "image": S("ImageResult"), "evictedSessions": EVICTED,
                         "tokensFrom": obj({"session": STR, "revision": NONNEG, "known": NONNEG}, ["session", "revision", "known"],
                                           "session.open with reuseTokens: the open session revision with the same RGB samples whose "
                                           "token grid the new session starts from, and how many known tokens it gave (absent: none matched)."),
                         "forkedFrom": obj({"session": STR, "revision": NONNEG}, ["session", "revision"],
                                           "session.fork: the session and revision the new session copies.")},
                        SESSION_SUMMARY_REQUIRED,
                        "A SessionSummary, with the current image (unless output.transport is \"none\"; session.export always "
                        "has it) and, after session.open, the sessions evicted to make room."),
    "EditResult": obj({
        "model": STR,
        "seed": {"type": "integer", "minimum": 0,
                 "description": "The seed used; a random seed (none given) is drawn below 2^53, so it can be sent back as it is."},
        "width": NONNEG, "height": NONNEG,
        "featherRadius": {"type": "number", "minimum": 0, "description": "The Gaussian radius σ (image pixels) used to blend the edit into kept pixels."},
        "band": {"type": "integer", "minimum": 0,
                 "description": "⌈3 · featherRadius⌉, the reach of the truncated Gaussian: every pixel whose Chebyshev distance "
                                "(max(|dx|, |dy|)) to the composite region (the pixel mask for composite \"mask\", the regenerated "
                                "token cells for \"tokens\") is greater keeps its input bytes exactly. 0 for outpaint and generate."},
        "windows": {"type": "array", "items": S("Window")},
        "session": {**S("SessionSummary"), "description": "On a session (or generate with openSession): the new revision."},
        "evictedSessions": EVICTED,
        "image": S("ImageResult"),
        "timings": obj({"totalMs": {"type": "number", "minimum": 0}}, ["totalMs"]),
    }, ["model", "seed", "width", "height", "featherRadius", "band", "windows", "timings"], "The answer of generate, inpaint, outpaint and classEdit."),
    "Model": obj({
        "name": STR,
        "default": {"type": "boolean", "description": "The model used when a request names none."},
        "nativeSize": {"type": "integer", "minimum": 1, "description": "Side of the model's square input, in pixels."},
        "tokenStride": {"type": "integer", "minimum": 1, "description": "Pixels per token side (S)."},
        "grid": GRID,
        "codebookSize": {"type": "integer", "minimum": 1},
        "numClasses": {"type": "integer", "minimum": 1},
        "capabilities": obj({
            "generate": BOOL, "inpaint": BOOL, "outpaint": BOOL, "classEdit": BOOL,
            "classifierFreeGuidance": BOOL,
            "unconditional": {"type": "boolean", "description": "Edits may omit `class` (the model has a null class)."},
            "samplers": {"type": "array", "items": STR},
            "schedules": {"type": "array", "items": STR},
            "maskPolicies": {"type": "array", "items": STR},
            "composites": {"type": "array", "items": STR},
            "rng": {"type": "array", "items": STR},
            "guidanceRamps": {"type": "array", "items": STR},
        }, ["generate", "inpaint", "outpaint", "classEdit", "classifierFreeGuidance", "unconditional", "samplers", "schedules",
            "maskPolicies", "composites", "rng", "guidanceRamps"],
            "The model's vocabularies: the values the edit params of those names accept (clients build their menus from them)."),
        "defaults": obj({
            "profile": {"type": "string", "enum": ["official", "project"],
                        "description": "official: an official Flax msgpack checkpoint (no null class), served the official code's "
                                       "defaults; project: the project's own models and choices (maskgit-rpc --defaults overrides)."},
            "generate": S("ModelDefaultsEntry"), "inpaint": S("ModelDefaultsEntry"), "outpaint": S("ModelDefaultsEntry"),
            "classEdit": S("ModelDefaultsEntry"),
        }, ["profile", "generate", "inpaint", "outpaint", "classEdit"],
            "The values a request gets for the options it does not set."),
        "classes": {"type": "array", "items": STR, "description": "Class names by label (absent with models.list {classes: false})."},
    }, ["name", "default", "nativeSize", "tokenStride", "grid", "codebookSize", "numClasses", "capabilities", "defaults"], "A loaded model."),
    "ModelDefaultsEntry": obj({
        "steps": NONNEG, "startStep": NONNEG, "schedule": STR, "choiceTemperature": {"type": "number"},
        "rng": {"type": "string"}, "guidance": {"type": "number"},
        "composite": {"type": "string", "description": "inpaint and classEdit only."},
        "maskPolicy": {"type": "string", "description": "inpaint and classEdit only."},
    }, ["steps", "startStep", "schedule", "choiceTemperature", "rng", "guidance"], "One method's defaults."),
    "Limits": obj({
        "maxLineBytes": {"type": "integer", "description": "Longest accepted message line (--max-line-bytes); longer → -32007 with id null."},
        "maxPixels": {"type": "integer", "description": "Largest image, input or outpainted (--max-pixels)."},
        "maxQueuedRequests": {"type": "integer", "description": "Requests that may wait behind the running one (--max-queue); a batch counts as "
                                                               "its size and is admitted whole or answered -32006 for each request."},
        "maxBatchRequests": {"type": "integer", "description": "Requests in one batch (--max-batch); more → one -32007 with id null."},
        "maxJSONValues": {"type": "integer", "description": "JSON values in one line, nested ones included; more → one -32007 with id null."},
        "maxJSONDepth": {"type": "integer", "description": "Nesting of arrays and objects in one line; deeper → one -32007 with id null."},
        "maxFileBytes": {"type": "integer", "description": "Largest image file read from a path (--max-file-bytes), checked before reading; more → -32007."},
        "maxMaskRects": {"type": "integer", "description": "Rectangles in one mask (--max-rects); more → -32007."},
        "maxOutpaintWindows": {"type": "integer", "description": "Context windows one outpaint may plan (--max-windows); more → -32007."},
        "maxSteps": {"type": "integer", "description": "Decoding steps per window (steps ≤ this)."},
        "maxSessions": {"type": "integer", "description": "Open sessions before the least recently used is evicted (--max-sessions)."},
        "sessionMemoryBudgetBytes": {"type": "integer", "description": "Memory of all sessions before LRU eviction (--session-memory MiB)."},
        "maxUndo": {"type": "integer", "description": "Undo depth per session (--max-undo); older revisions are dropped."},
        "allowedRoots": {"type": "array", "items": STR,
                         "description": "Directories image paths may name (--allow-root; default: the working directory and the system temporary directory)."},
    }, ["maxLineBytes", "maxPixels", "maxQueuedRequests", "maxBatchRequests", "maxJSONValues", "maxJSONDepth", "maxFileBytes",
        "maxMaskRects", "maxOutpaintWindows", "maxSteps", "maxSessions", "sessionMemoryBudgetBytes", "maxUndo", "allowedRoots"]),
    "ProgressToken": {"description": "Chosen by the client, unique among its requests in flight.", "oneOf": [STR, INT]},
    "RequestId": {"description": "A JSON-RPC request id.", "oneOf": [STR, NUM]},
    "ErrorData": obj({
        "reason": {"type": "string", "description": "A stable machine-readable name; see components.errors and Protocol/README.md."},
        "field": {"type": "string", "description": "The parameter at fault, as a path (\"mask.rects[0]\", \"output.path\")."},
        "expected": STR, "got": STR, "detail": STR,
    }, ["reason"], "The `data` of every error the server sends (more keys per reason: limit, session, stage, ...).", closed=False),
}

# MARK: Content descriptors

def cd(name: str, schema: dict, description: str, required: bool = False) -> dict:
    d = {"name": name, "description": description, "schema": schema}
    if required:
        d["required"] = True
    return d


DECODING_NAMES = ["seed", "steps", "startStep", "schedule", "sampler", "choiceTemperature", "temperature", "topK", "guidance", "guidanceRamp",
                  "rng", "adaptiveSteps"]
DESCRIPTORS: dict = {
    name: cd(name, {"$ref": f"#/components/schemas/DecodingParams/properties/{name}"}, SCHEMAS["DecodingParams"]["properties"][name].get("description", name))
    for name in DECODING_NAMES
}
DESCRIPTORS.update({
    "model": cd("model", STR, "A model name from models.list; absent: the default model. On a session: must be the session's model, if given."),
    "output": cd("output", S("ImageOutput"), "How the result image comes back (default base64 PNG)."),
    "session": cd("session", STR, "A session id from session.open (or generate with openSession).", required=True),
    "meta": cd("_meta", obj({"progressToken": S("ProgressToken")}, closed=False),
               "Request metadata. `progressToken`: ask for notifications/progress for this request."),
    "image": cd("image", S("ImageRef"), "The image to edit (one-shot). Give `image` or `session`, not both."),
    "editSession": cd("session", STR, "Edit this session's current image instead of `image`: its cached tokens are reused and the "
                                      "result becomes the session's next revision (undo returns)."),
    "class": cd("class", S("Class"), "The class to condition on. Optional only for models with a null class (capabilities.unconditional); "
                                     "required by the tiny test model."),
    "maskPolicy": cd("maskPolicy", {"type": "string"},
                     "How pixels become tokens: anyOverlap (inpaint default): every token touching a masked pixel; officialBoundingBox "
                     "(classEdit default of the project's models): the official box rule on the mask's bounding box plus every token "
                     "the mask touches; official (classEdit default with composite official): exactly the official latent mask of "
                     "inference.py (rows max(0, top/S−1) ..< min(G, h/S + top/S + 1), columns likewise; a box at (15,15) of 18x18 "
                     "gives 2x2 tokens at S=16), which can leave masked pixels outside it; coverage: tokens at least `coverage` covered."),
    "coverage": cd("coverage", {"type": "number", "minimum": 0.001, "maximum": 1, "default": 0.5}, "The fraction for maskPolicy coverage."),
    "feather": cd("feather", {"type": "number", "minimum": 0, "maximum": 256},
                  "Gaussian radius in pixels for blending regenerated pixels into kept ones; default S/16 − 1 at native scale (0 for "
                  "the tiny model; S // 16 − 1 with composite official)."),
    "composite": cd("composite", {"type": "string"},
                    "How the result is blended into the image. mask (inpaint default): feathered from the pixel mask, so only the "
                    "mask and a band of about 3·feather pixels around it change; tokens (classEdit default of the project's models): "
                    "feathered from the regenerated token cells; both give weight 1 on every masked pixel, a truncated Gaussian and "
                    "the input bytes unchanged outside the band (byte-exact). official (classEdit default of official checkpoints): "
                    "the official composite_outputs exactly: the token mask resized with Pillow's bicubic filter, Pillow's "
                    "GaussianBlur(S // 16 − 1) with edge pixels extended, the decoder's unclipped output blended in float32, "
                    "clipped at the end (matches Pillow + numpy within 1/255). Cells left part generated, part kept become unknown "
                    "in the session's token cache and are encoded again when a later edit needs them."),
    "tokenizerContext": cd("tokenizerContext", {"type": "integer", "minimum": 0, "maximum": 4096},
                         "Absent (default): the tokenizer encodes and decodes whole windows, as the official code does. A number k: "
                         "the encoder runs only on the cells the session's token cache lacks (those an earlier edit left blended) "
                         "grown by k tokens, and the decoder only on the edited cells' bounding box grown by max(k, the composite band), "
                         "so the cost follows the edited area; tokens and pixels can differ slightly from whole-window passes "
                         "(padding and GroupNorm statistics see the smaller grid; Docs/Benchmarks.md measures it). The decoder crop is "
                         "not used with composite official."),

})

# MARK: Errors

ERRORS = {
    "ParseError": (-32700, "Parse error", "parse_error", "The line is not JSON (answered with id null)."),
    "InvalidRequest": (-32600, "Invalid Request", "invalid_request", "Not a JSON-RPC 2.0 request; reason empty_batch for `[]`."),
    "ShuttingDown": (-32600, "Server is shutting down", "shutting_down", "A request after shutdown (LSP: InvalidRequest)."),
    "MethodNotFound": (-32601, "Method not found", "method_not_found", "No such method (also unknown `$/` requests)."),
    "InvalidParams": (-32602, "Invalid params", "invalid_params",
                      "A parameter is missing, unknown, of the wrong type or out of range; data: field, expected, got, detail. Params by position → field \"params\"."),
    "InternalError": (-32603, "Internal error", "internal", "A bug; data.stage says where."),
    "SessionNotFound": (-32001, "No session", "session_not_found", "No such session (never opened, or closed). Reason session_evicted: evicted by the LRU limits."),
    "NotInitialized": (-32002, "Server not initialized", "not_initialized", "--strict only: a request other than initialize or ping before initialize."),
    "ImageDecodeFailed": (-32003, "Cannot decode image", "image_decode_failed", "Not base64, or not a readable PNG/WebP/JPEG; data.field, data.detail."),
    "MaskSizeMismatch": (-32004, "Mask size mismatch", "mask_size_mismatch", "The mask image's size differs from the image's; data.expected, data.got (\"WxH\")."),
    "ModelNotFound": (-32005, "No model", "model_not_found", "No model of that name; data.available."),
    "QueueFull": (-32006, "Too many queued requests", "queue_full", "More than limits.maxQueuedRequests waiting; data.limit."),
    "LimitExceeded": (-32007, "Limit exceeded", "limit_exceeded", "Line, pixel or session memory limit; data.limit, data.got."),
    "PathNotAllowed": (-32009, "Path not allowed", "path_not_allowed", "A path outside the allowed roots; data.path, data.allowedRoots."),
    "StaleRevision": (-32010, "Stale revision", "stale_revision",
                      "The session moved during the edit (cannot happen while edits and undo/redo run one at a time, as now)."),
    "NoRevision": (-32011, "Nothing to undo", "no_revision", "Undo at the oldest kept revision or redo at the newest."),
    "Unsupported": (-32012, "Unsupported", "unsupported", "The model cannot do it (e.g. guidance without a null class)."),
    "IOFailed": (-32014, "I/O failed", "io_failed", "Reading or writing a file failed (e.g. the output directory does not exist)."),
    "RequestCancelled": (-32800, "Request cancelled", "cancelled",
                         "Cancelled by $/cancelRequest or notifications/cancelled; data.stage (queued, decoding, tokenizing, encoding), data.completedSteps when queued."),
}


def error_object(name: str) -> dict:
    code, message, reason, meaning = ERRORS[name]
    return {"code": code, "message": f"{message}: {meaning}", "data": {"reason": reason}}


def errs(*names: str) -> list:
    return [ref("errors", n) for n in names]


COMMON = ("InvalidParams", "NotInitialized", "ShuttingDown")
EDIT_ERRORS = errs("InvalidParams", "SessionNotFound", "ImageDecodeFailed", "ModelNotFound", "LimitExceeded", "PathNotAllowed",
                   "IOFailed", "Unsupported", "StaleRevision", "QueueFull", "RequestCancelled", "NotInitialized", "ShuttingDown", "InternalError")

# MARK: Methods


def method(name: str, summary: str, params: list, result: dict | None, errors: list, *, description: str = "",
           answered: str = "in order", notification: bool = False, tags=(), direction: str | None = None) -> dict:
    m: dict = {"name": name, "summary": summary}
    if description:
        m["description"] = description
    if tags:
        m["tags"] = [{"name": t} for t in tags]
    m["paramStructure"] = "by-name"
    m["params"] = params
    if result is not None:
        m["result"] = result
    if errors:
        m["errors"] = errors
    if notification:
        m["x-notification"] = True
    if direction:
        m["x-direction"] = direction
    else:
        m["x-answered"] = answered
    m["examples"] = []
    return m


def P(name: str, required: bool = False) -> dict:
    d = ref("contentDescriptors", name)
    if required and not DESCRIPTORS[name].get("required"):
        d = {**DESCRIPTORS[name], "required": True}
    return d


def decoding() -> list:
    return [P(n) for n in DECODING_NAMES]


def result(name: str, schema: dict, description: str = "") -> dict:
    r = {"name": name, "schema": schema}
    if description:
        r["description"] = description
    return r


EDIT_TAIL = [P("model"), P("output"), P("meta")]

METHODS = [
    method("initialize", "Starts the conversation: protocol version, capabilities, limits and models.",
           [cd("protocolVersion", STR, "The newest protocol version the client speaks. The server answers with the one it speaks "
                                       "(it speaks one); the client decides whether it can use it."),
            cd("clientInfo", obj({"name": STR, "version": STR}, closed=False), "Who the client is (logged, not interpreted)."),
            cd("capabilities", {"type": "object"}, "The client's capabilities (accepted, not interpreted yet).")],
           result("InitializeResult", obj({
               "protocolVersion": {"type": "string", "const": PROTOCOL_VERSION},
               "serverInfo": obj({"name": STR, "version": STR,
                                  "compute": obj({
                                      "backend": {"type": "string", "enum": ["oneDNN", "openBLAS"],
                                                  "description": "The library computing the GEMMs and convolutions "
                                                                 "(oneDNN where it starts, chosen by CPU features)."},
                                      "isa": {"type": "string", "description": "oneDNN's name for the CPU's instruction set, "
                                                                               "e.g. avx2, avx512_core_bf16, avx512_core_amx."},
                                      "precision": {"type": "string", "enum": ["fp32", "bf16"],
                                                    "description": "Arithmetic of the weight GEMMs (--precision; auto resolved)."},
                                      "nativeBF16": {"type": "boolean", "description": "The CPU has AVX512-BF16 or AMX-BF16."},
                                      "threads": {"type": "integer", "minimum": 1, "description": "Kernel threads (--threads)."},
                                  }, ["backend", "isa", "precision", "nativeBF16", "threads"])},
                                 ["name", "version", "compute"]),
               "capabilities": obj({
                   "methods": {"type": "array", "items": STR, "description": "Every method the server answers."},
                   "batches": BOOL,
                   "progress": obj({"notification": STR, "param": STR}, ["notification", "param"]),
                   "cancellation": {"type": "array", "items": STR},
                   "imageFormats": obj({"input": {"type": "array", "items": STR}, "output": {"type": "array", "items": STR}}, ["input", "output"]),
                   "imageTransports": {"type": "array", "items": STR},
                   "sessions": BOOL,
               }, ["methods", "batches", "progress", "cancellation", "imageFormats", "imageTransports", "sessions"]),
               "limits": S("Limits"),
               "models": {"type": "array", "items": S("Model")},
           }, ["protocolVersion", "serverInfo", "capabilities", "limits", "models"])),
           errs(*COMMON[:1], "ShuttingDown"), answered="on arrival", tags=["lifecycle"],
           description="Optional unless the server runs with --strict: the first other request initializes implicitly "
                       "(so `echo '{...}' | maskgit-rpc` works). May be sent again; it changes nothing."),
    method("initialized", "Notification after initialize's answer (LSP, MCP). Accepted and ignored.", [], None, [],
           notification=True, answered="never as a notification; null when sent with an id", tags=["lifecycle"]),
    method("ping", "Liveness check, answered at once even while an edit runs.", [],
           result("Empty", {"type": "object", "maxProperties": 0}), errs("NotInitialized", "ShuttingDown"),
           answered="on arrival", tags=["lifecycle"], description="Allowed before initialize, also with --strict (and it does not initialize)."),
    method("rpc.discover", "This OpenRPC document.", [],
           result("OpenRPCDocument", {"type": "object", "required": ["openrpc", "info", "methods"],
                                      "description": "Protocol/openrpc.json, as bundled in the server."}),
           errs(*COMMON), answered="on arrival", tags=["discovery"]),
    method("models.list", "The loaded models, their capabilities, their defaults and class names.",
           [cd("classes", {"type": "boolean", "default": True}, "Include each model's class names.")],
           result("ModelsList", obj({"models": {"type": "array", "items": S("Model")}}, ["models"])),
           errs(*COMMON), answered="on arrival", tags=["discovery"]),
    method("generate", "A new image of a class (at the model's native size).",
           [P("class"), cd("openSession", {"type": "boolean", "default": False},
                           "Also open a session on the result (answer.session), for further edits.")] + decoding() + EDIT_TAIL,
           result("EditResult", S("EditResult")), EDIT_ERRORS, tags=["edits"]),
    method("inpaint", "Regenerates the masked pixels of an image or of a session's current image.",
           [P("image"), P("editSession"), cd("mask", S("Mask"), "The pixels to regenerate.", required=True), P("class"),
            P("maskPolicy"), P("coverage"), P("feather"), P("composite"), P("tokenizerContext")] + decoding() + EDIT_TAIL,
           result("EditResult", S("EditResult")), EDIT_ERRORS[:3] + errs("MaskSizeMismatch") + EDIT_ERRORS[3:], tags=["edits"],
           description="Images larger than the model's native size are edited in native-size windows around the mask "
                       "(answer.windows). Kept pixels are copied bit-exact except within the feather radius of the mask."),
    method("outpaint", "Extends an image (or a session's image) by margins and fills them in.",
           [P("image"), P("editSession"),
            cd("left", {"type": "integer", "minimum": 0, "maximum": 65536, "default": 0}, "Pixels added on the left."),
            cd("top", {"type": "integer", "minimum": 0, "maximum": 65536, "default": 0}, "Pixels added on top."),
            cd("right", {"type": "integer", "minimum": 0, "maximum": 65536, "default": 0}, "Pixels added on the right."),
            cd("bottom", {"type": "integer", "minimum": 0, "maximum": 65536, "default": 0}, "Pixels added at the bottom."),
            cd("windowStride", {"type": "integer", "minimum": 1, "maximum": 4096},
               "Tokens between successive windows along the new margin; default half the token grid.")
            , P("class")] + decoding() + EDIT_TAIL,
           result("EditResult", S("EditResult")), EDIT_ERRORS, tags=["edits"],
           description="At least one margin must be above 0. Margins are filled window by window (answer.windows); progress "
                       "counts every decoding step of every window, so a wide outpaint is a long request worth cancelling."),
    method("classEdit", "Regenerates a region as another class (the official class-conditional edit: startStep 2 of 12).",
           [P("image"), P("editSession"), cd("rect", S("Rect"), "The region, as a rectangle (or give `mask`)."),
            cd("mask", S("Mask"), "The region, as a mask (when `rect` is absent)."),
            P("class", required=True), P("maskPolicy"), P("coverage"), P("feather"), P("composite"), P("tokenizerContext")] + decoding() + EDIT_TAIL,
           result("EditResult", S("EditResult")), EDIT_ERRORS[:3] + errs("MaskSizeMismatch") + EDIT_ERRORS[3:], tags=["edits"]),
    method("session.open", "Opens a session on an image for iterative edits with undo: decodes it and encodes nothing (edits encode the windows they need, once).",
           [cd("image", S("ImageRef"), "The image.", required=True), P("model"),
            cd("reuseTokens", {"type": "boolean", "default": False},
               "Start from the token grid of an open session revision with the same size and RGB samples (alpha ignored), e.g. a "
               "result the caller reopens: nothing it covers is encoded again, and edits compute what they would continuing from "
               "that revision (answer.tokensFrom). Default false: the grid starts empty and edits match one-shot edits."),
            P("meta")],
           result("SessionState", S("SessionState")),
           errs("InvalidParams", "ImageDecodeFailed", "ModelNotFound", "LimitExceeded", "PathNotAllowed", "IOFailed", "QueueFull",
                "RequestCancelled", "NotInitialized", "ShuttingDown", "InternalError"), tags=["sessions"],
           description="No progress notifications (nothing is encoded: tokens.known is 0, unless reuseTokens found the same image). "
                       "Opening past maxSessions or the memory budget evicts the least recently used sessions (answer.evictedSessions)."),
    method("session.fork", "Opens a new session holding one revision of an open session (image and token grid): a branch that "
                           "re-encodes nothing, edited independently of the original.",
           [P("session", required=True),
            cd("revision", {"type": "integer", "minimum": 0}, "The revision to copy (default: the current one); -32011 if it is not kept.")],
           result("SessionState", S("SessionState")), errs("SessionNotFound", "NoRevision", "LimitExceeded", "QueueFull", *COMMON),
           tags=["sessions"],
           description="The new session's only revision is 0 (no undo history); answer.forkedFrom names the source. An editor that keeps "
                       "each result as a layer forks the result, so a later edit of that layer costs what an edit of the source costs."),
    method("session.info", "A session's state, answered at once even while an edit runs.", [P("session")],
           result("SessionSummary", S("SessionSummary")), errs("SessionNotFound", *COMMON), answered="on arrival", tags=["sessions"],
           description="Marks the session used (LRU). Answered on arrival, so in a pipe it can overtake an earlier queued edit."),
    method("session.undo", "Moves a session back one revision.", [P("session"), P("output")],
           result("SessionState", S("SessionState")), errs("SessionNotFound", "NoRevision", "PathNotAllowed", "IOFailed", "QueueFull", *COMMON),
           tags=["sessions"], description="The answer carries the now current image unless output.transport is \"none\". A new edit "
                                          "after undo drops the redo future."),
    method("session.redo", "Moves a session forward one revision (after undo).", [P("session"), P("output")],
           result("SessionState", S("SessionState")), errs("SessionNotFound", "NoRevision", "PathNotAllowed", "IOFailed", "QueueFull", *COMMON),
           tags=["sessions"]),
    method("session.export", "A session's current image.", [P("session"), P("output")],
           result("SessionState", S("SessionState")), errs("SessionNotFound", "PathNotAllowed", "IOFailed", "QueueFull", *COMMON),
           tags=["sessions"]),
    method("session.close", "Closes a session and frees its memory.", [P("session")],
           result("Closed", obj({"closed": {"type": "string", "description": "The session id."}}, ["closed"])),
           errs("SessionNotFound", "QueueFull", *COMMON), tags=["sessions"]),
    method("session.list", "Every open session, most recently used first.", [],
           result("SessionList", obj({
               "sessions": {"type": "array", "items": S("SessionSummary")},
               "bytes": {"type": "integer", "minimum": 0},
               "limits": obj({"maxSessions": INT, "memoryBudgetBytes": INT}, ["maxSessions", "memoryBudgetBytes"]),
           }, ["sessions", "bytes", "limits"])), errs(*COMMON), answered="on arrival", tags=["sessions"]),
    method("shutdown", "Stops accepting requests (LSP); answered null once the requests queued before it are done. Send exit next.", [],
           result("Null", {"type": "null"}), [], answered="after the requests queued before it", tags=["lifecycle"],
           description="From its arrival every new request gets -32600 reason shutting_down; the requests already queued still run, "
                       "and the null answer comes after theirs."),
    method("exit", "Ends the process: status 0 after shutdown, 1 without.", [], None, [], notification=True,
           answered="never as a notification; null when sent with an id",
           tags=["lifecycle"], description="Requests queued before it finish first (a pipe that sends everything at once gets every "
                                           "answer); SIGTERM or SIGINT instead cancels the running request and answers every queued one -32800 "
                                           "(stage \"queued\") before the process ends."),
    method("$/cancelRequest", "Cancels a request by id (LSP).",
           [cd("id", S("RequestId"), "The id of the request to cancel.", required=True)], None, [], notification=True,
           answered="on arrival, only if sent with an id (then: null)", tags=["cancellation"],
           description="A queued request is removed and answered -32800 (stage \"queued\") at once; a running one stops at its next "
                       "decoding step and is answered -32800 (stage \"decoding\" or \"tokenizing\"). The cancelled request is always "
                       "answered. Unknown or finished ids are ignored. Items of a batch are cancelled in place; the batch answer still comes. "
                       "Both cancel methods accept the id as `id` or `requestId`."),
    method("notifications/cancelled", "Cancels a request by id (MCP alias of $/cancelRequest).",
           [cd("requestId", S("RequestId"), "The id of the request to cancel.", required=True),
            cd("reason", STR, "Why (ignored).")], None, [], notification=True,
           answered="on arrival, only if sent with an id (then: null)", tags=["cancellation"],
           description="Unlike MCP, the cancelled request is still answered (-32800); an MCP adapter may drop that answer."),
    method("notifications/progress", "Server → client: progress of a request that carried `_meta.progressToken`.",
           [cd("progressToken", S("ProgressToken"), "The request's token.", required=True),
            cd("progress", {"type": "number", "minimum": 0}, "Steps done; strictly increasing.", required=True),
            cd("total", {"type": "number", "minimum": 0}, "Steps planned: windows × decoding steps (session.open: tiles)."),
            cd("message", STR, "E.g. \"window 1/3, step 4/12\".")], None, [], notification=True,
           direction="server-to-client", tags=["progress"],
           description="Sent at most once per decoding step, never after the request's answer (they are written by the same "
                       "thread, in order). Notifications are never answered."),
]

# MARK: Examples (run in this order on one fresh server)

RECT_TR = {"x": 8, "y": 0, "width": 8, "height": 8}
NONE = {"transport": "none"}
STEPS = [
    ("initialize", "initialize", {"protocolVersion": PROTOCOL_VERSION, "clientInfo": {"name": "example", "version": "1.0"}}),
    ("ping", "ping", {}),
    ("models.list", "models and class names", {"classes": True}),
    ("generate", "a goldfish, no pixels back", {"class": "goldfish", "seed": 7, "output": NONE}),
    ("generate", "decoding options", {"class": 3, "seed": 8, "steps": 8, "sampler": "halton", "schedule": "arccos", "output": NONE}),
    ("session.open", "open a session on a base64 image", {"image": IMG}),
    ("session.info", "session state", {"session": "s1"}),
    ("inpaint", "inpaint a session's top-right quarter, with progress",
     {"session": "s1", "mask": {"rects": [RECT_TR]}, "class": 1, "seed": 3, "output": NONE, "_meta": {"progressToken": "p8"}}),
    ("classEdit", "class edit of a session's top-left quarter", {"session": "s1", "rect": {"x": 0, "y": 0, "width": 8, "height": 8}, "class": "hen", "seed": 5, "output": NONE}),
    ("session.undo", "undo the class edit", {"session": "s1", "output": NONE}),
    ("session.redo", "redo it", {"session": "s1", "output": NONE}),
    ("outpaint", "outpaint a session by 8 px on the right", {"session": "s1", "right": 8, "class": 1, "seed": 11, "output": NONE}),
    ("session.export", "export a session to a file", {"session": "s1", "output": {"path": "s1.png"}}),
    ("session.list", "open sessions", {}),
    ("session.close", "close a session", {"session": "s1"}),
    ("inpaint", "one-shot inpaint, base64 in and out", {"image": IMG, "mask": {"image": MASK}, "class": 1, "seed": 1}),
    ("inpaint", "one-shot inpaint, files in and out", {"image": {"path": "tiny16.png"}, "mask": {"image": {"path": "tiny16-mask.png"}, "invert": True},
                                                       "class": "tench", "seed": 2, "output": {"path": "inpainted.png"}}),
    ("outpaint", "one-shot outpaint to WebP", {"image": {"path": "tiny16.png"}, "left": 4, "right": 4, "class": 2, "seed": 4,
                                              "output": {"path": "wide.webp", "format": "webp"}}),
    ("classEdit", "one-shot class edit with a mask", {"image": {"path": "tiny16.png"}, "mask": {"rects": [RECT_TR]}, "class": 0, "seed": 6,
                                                      "maskPolicy": "anyOverlap", "output": NONE}),
    ("classEdit", "the official recipe: its latent mask and composite, JAX's random numbers",
     {"image": {"path": "tiny16.png"}, "rect": {"x": 4, "y": 4, "width": 8, "height": 8}, "class": 3, "seed": 42,
      "composite": "official", "rng": "jax", "output": NONE}),
    ("generate", "generate into a new session", {"class": 9, "seed": 9, "openSession": True, "output": NONE}),
    ("session.undo", "error: nothing to undo", {"session": "s2"}),
    ("session.fork", "branch the generated session (nothing is encoded again)", {"session": "s2"}),
    ("session.close", "close it", {"session": "s2"}),
    ("session.info", "error: closed session", {"session": "s1"}),
    ("generate", "error: steps out of range", {"class": 1, "steps": 0}),
    ("generate", "error: unknown parameter", {"clas": 1}),
    ("generate", "error: no such model", {"model": "imagenet256", "class": 1}),
    ("generate", "error: guidance without a null class", {"class": 1, "guidance": 3}),
    ("generate", "error: path outside the allowed roots", {"class": 1, "output": {"path": "/etc/x.png"}}),
    ("session.open", "error: not an image", {"image": "bm90IGFuIGltYWdl"}),
    ("inpaint", "error: mask size mismatch", {"image": IMG, "mask": {"image": {"path": "cat.png"}}, "class": 1}),
    ("shutdown", "shutdown", None),
]


def record(client: Client) -> None:
    by_name = {m["name"]: m for m in METHODS}
    for step, (name, title, params) in enumerate(STEPS, start=1):
        pairing: dict = {"name": title, "x-step": step,
                         "params": [{"name": k, "value": v} for k, v in (params or {}).items()]}
        events = []
        try:
            value = client.request(name, params, progress=events.append if "_meta" in (params or {}) else None)
            if isinstance(value, dict) and "timings" in value:
                value["timings"] = {k: 0 for k in value["timings"]}
            pairing["result"] = {"name": "result", "value": value}
        except RPCError as error:
            pairing["x-error"] = {"code": error.code, "message": error.message, "data": error.data}
        by_name[name]["examples"].append(pairing)
        if events:  # the notifications this request got: its last one is the progress example
            token = params["_meta"]["progressToken"]
            last = events[-1]
            by_name["notifications/progress"]["examples"].append({
                "name": f"the last of the {len(events)} progress notifications of example {step} ({name})",
                "params": [{"name": "progressToken", "value": token}, {"name": "progress", "value": last.progress},
                           {"name": "total", "value": last.total}, {"name": "message", "value": last.message}]})
    for m in METHODS:
        if not m["examples"]:
            del m["examples"]


# MARK: The document

DESIGN_CHOICES = [
    "Framing: one compact JSON message per line (\\n; \\r\\n accepted; empty lines skipped). No LSP Content-Length framing.",
    "End of stdin completes every queued request, writes their answers, then exits 0, so `echo '{...}' | maskgit-rpc` prints its "
    "answer (where many stdio servers drop queued work at EOF). SIGTERM and SIGINT cancel: the running request stops at its next "
    "step and is answered -32800, every queued one is answered -32800 (stage queued), status 0. A closed stdout ends the process quietly.",
    "Requests before initialize initialize implicitly (shell one-liners); --strict restores LSP behaviour (-32002 for everything "
    "but initialize and ping).",
    "Cancelled requests are always answered -32800 with data.reason \"cancelled\" and data.stage (LSP), also for the MCP "
    "notifications/cancelled alias (MCP says not to answer; an MCP adapter can drop it).",
    "A batch runs as one queued job, its items in order; its array answer comes when every item is done, so send long edits "
    "as separate requests. Cheap methods inside a batch wait with it.",
    "Cheap methods (initialize, ping, rpc.discover, models.list, session.info, session.list, shutdown, the cancels) are answered "
    "on arrival, even while an edit runs; all other requests run one at a time in arrival order. In a pipe a cheap request can "
    "therefore overtake earlier queued ones: wait for an answer before a request that depends on it.",
    "Results return the whole image (no `patch` of the changed region yet); `output.transport: none` returns none and "
    "session.export fetches it later. ImageRef {session, revision} is not supported: edit a session with the `session` param.",
    "Progress is reported per decoding step of every window; `total` counts decoding steps only (no fixed pre/post phases). "
    "No previews.",
    "Unknown parameters are refused (-32602 naming the field), so typos do not pass silently.",
    "After shutdown requests get -32600 with data.reason shutting_down (LSP); the code -32013 is reserved for it and unused.",
]

KNOWN_ISSUES = [
    "-32010 stale_revision cannot occur today: edits and undo/redo run one at a time in arrival order, so a session never "
    "moves during an edit. It is reserved for clients that will send baseRevision.",
]


#: Where each vocabulary of the server's `initialize` answer goes in the document (a schema's
#: `enum`). Aliases the server also accepts are added after the vocabulary's own names.
VOCABULARY_TARGETS = {
    "schedules": [SCHEMAS["DecodingParams"]["properties"]["schedule"]],
    "samplers": [SCHEMAS["DecodingParams"]["properties"]["sampler"]],
    "guidanceRamps": [SCHEMAS["DecodingParams"]["properties"]["guidanceRamp"]],
    "rng": [SCHEMAS["DecodingParams"]["properties"]["rng"], SCHEMAS["ModelDefaultsEntry"]["properties"]["rng"]],
    "maskPolicies": [DESCRIPTORS["maskPolicy"]["schema"]],
    "composites": [DESCRIPTORS["composite"]["schema"], SCHEMAS["ModelDefaultsEntry"]["properties"]["composite"]],
    "imageFormats": [SCHEMAS["ImageOutput"]["properties"]["format"]],
    "imageTransports": [SCHEMAS["ImageOutput"]["properties"]["transport"]],
}
FORMAT_ALIASES = ["jpg"]


def vocabularies(binary: str | None) -> dict:
    """The closed vocabularies as the server lists them (initialize: the models' capabilities and
    the server's image formats and transports)."""
    with Client(binary, model_dir=TINY_MODEL, args=["--quiet"], initialize=False) as client:
        answer = client.request("initialize", {})
    capabilities = answer["models"][0]["capabilities"]
    found = {name: capabilities[name] for name in VOCABULARY_TARGETS if name in capabilities}
    found["imageFormats"] = answer["capabilities"]["imageFormats"]["output"] + FORMAT_ALIASES
    found["imageTransports"] = answer["capabilities"]["imageTransports"]
    missing = set(VOCABULARY_TARGETS) - set(found)
    if missing:
        raise SystemExit(f"the server does not list the vocabularies {sorted(missing)}")
    return found


def apply_vocabularies(found: dict) -> None:
    for name, schemas in VOCABULARY_TARGETS.items():
        for schema in schemas:
            rest = {k: v for k, v in schema.items() if k != "type"}
            schema.clear()
            schema.update({"type": "string", "enum": list(found[name]), **rest})


def build(client: Client) -> dict:
    record(client)
    components = {
        "schemas": SCHEMAS,
        "contentDescriptors": DESCRIPTORS,
        "errors": {name: error_object(name) for name in ERRORS},
    }
    return {
        "openrpc": "1.3.2",
        "info": {
            "title": "maskgit-rpc",
            "version": PROTOCOL_VERSION,
            "description": "MaskGIT image editing (generate, inpaint, outpaint, class edit) with sessions and undo, served by a "
                           "long-running process speaking JSON-RPC 2.0 over stdin/stdout, one message per line. Params are by name. "
                           "Protocol/README.md explains framing, lifecycle, progress, cancellation, images, masks, errors and "
                           "sessions; Protocol/CHANGELOG.md the versions. Examples are real answers of the server on the tiny "
                           "random test model (Tests/EngineTests/Fixtures/tiny) started with --allow-root " + EXAMPLE_ROOT + ".",
        },
        "servers": [{"name": "stdio", "url": "stdio:maskgit-rpc",
                     "summary": "A subprocess: requests on its stdin, answers and notifications on its stdout, logs on stderr."}],
        "x-transport": {"kind": "stdio", "framing": "line-delimited JSON (one message per line, UTF-8, \\n)",
                        "command": "maskgit-rpc [--model DIR]... [--allow-root DIR]... [--strict] [--max-pixels N] [--max-line-bytes N] "
                                   "[--max-sessions N] [--session-memory MiB] [--max-undo N] [--max-queue N] [--threads N] [--precision fp32|bf16|auto] [--quiet]"},
        "x-design-choices": DESIGN_CHOICES,
        "x-known-issues": KNOWN_ISSUES,
        "x-error-data": {"$ref": "#/components/schemas/ErrorData"},
        "x-protocol-errors": {
            "description": "Errors about a message rather than a method: a line that is not JSON, not a request, too long "
                           "(answered with id null when the id cannot be read), an unknown method, or a full queue.",
            "errors": errs("ParseError", "InvalidRequest", "MethodNotFound", "LimitExceeded", "QueueFull", "NotInitialized", "ShuttingDown"),
        },
        "x-example-setup": {"command": "maskgit-rpc --model Tests/EngineTests/Fixtures/tiny --allow-root " + EXAMPLE_ROOT,
                            "files": "copies of Examples/images/*.png in " + EXAMPLE_ROOT,
                            "order": "examples with x-step run in that order on one fresh server; timings are shown as 0"},
        "methods": METHODS,
        "components": components,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the document would change")
    parser.add_argument("--binary", help="the maskgit-rpc executable (default: $MASKGIT_RPC_BIN, PATH, .build/release)")
    args = parser.parse_args()
    root = pathlib.Path(EXAMPLE_ROOT)
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    for png in IMAGES.glob("*.png"):
        shutil.copy(png, root / png.name)
    apply_vocabularies(vocabularies(args.binary))
    try:
        with Client(args.binary, model_dir=TINY_MODEL, args=["--allow-root", str(root), "--quiet"], initialize=False,
                    cwd=root) as client:
            document = build(client)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    text = json.dumps(document, indent=1, ensure_ascii=False) + "\n"
    if args.check:
        current = DOCUMENT.read_text() if DOCUMENT.exists() else ""
        if current != text:
            print(f"{DOCUMENT} is out of date: run {pathlib.Path(__file__).relative_to(REPO)}", file=sys.stderr)
            return 1
        return 0
    DOCUMENT.write_text(text)
    print(f"wrote {DOCUMENT.relative_to(REPO)} ({len(METHODS)} methods, {len(STEPS)} examples)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

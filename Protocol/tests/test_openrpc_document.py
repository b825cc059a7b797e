"""Protocol/openrpc.json: valid against the vendored OpenRPC meta-schema, its schemas valid JSON
Schema (draft-07), every example consistent with its method's schemas, and every example
replayed against the real server (the release build) with results valid against the result
schemas and of the example's shape. The method set is checked against the server in Swift
(Tests/RPCServerTests/OpenRPCDocumentTests.swift) and here through initialize.
"""
from __future__ import annotations

import json
import os
import pathlib
import shutil
import sys

import jsonschema
import pytest
import referencing
from jsonschema_specifications import REGISTRY as SPECIFICATIONS

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "Clients" / "python"))

from maskgit_rpc import Client, RPCError  # noqa: E402

DOCUMENT_PATH = REPO / "Protocol" / "openrpc.json"
META_SCHEMA_PATH = REPO / "Protocol" / "schema" / "openrpc-meta-schema.json"
TINY_MODEL = REPO / "Tests" / "EngineTests" / "Fixtures" / "tiny"
BINARY = pathlib.Path(os.environ.get("MASKGIT_RPC_BIN") or REPO / ".build" / "release" / "maskgit-rpc")
#: The OpenRPC specification releases the released meta-schema lists (its build fills the enum).
OPENRPC_VERSIONS = ["1.3.2", "1.3.1", "1.3.0", "1.2.6", "1.2.5", "1.2.4", "1.2.3", "1.2.2", "1.2.1", "1.2.0"]
DOCUMENT_URI = "urn:maskgit-rpc:openrpc"

DOCUMENT = json.loads(DOCUMENT_PATH.read_text())
METHODS = {m["name"]: m for m in DOCUMENT["methods"]}
EXAMPLES = sorted(((e["x-step"], name, e) for name, m in METHODS.items() for e in m.get("examples", []) if "x-step" in e),
                  key=lambda t: t[0])


def meta_validator() -> jsonschema.Draft7Validator:
    meta = json.loads(META_SCHEMA_PATH.read_text())
    meta["properties"]["openrpc"]["enum"] = OPENRPC_VERSIONS
    # meta.json-schema.tools is draft-07 with the root also under definitions.JSONSchemaObject.
    draft7 = dict(SPECIFICATIONS.contents("http://json-schema.org/draft-07/schema#"))
    draft7.pop("$id")
    draft7["definitions"] = {**draft7["definitions"], "JSONSchemaObject": {"type": "object", "properties": draft7["properties"]}}
    registry = referencing.Registry().with_resources([
        (uri, referencing.Resource.from_contents(draft7, default_specification=referencing.jsonschema.DRAFT7))
        for uri in ("https://meta.json-schema.tools", "https://meta.json-schema.tools/")
    ])
    return jsonschema.Draft7Validator(meta, registry=registry)


DOC_REGISTRY = referencing.Registry().with_resource(
    DOCUMENT_URI, referencing.Resource.from_contents(DOCUMENT, default_specification=referencing.jsonschema.DRAFT7))


def validator_at(pointer: str) -> jsonschema.Draft7Validator:
    """A validator for the schema at `pointer` inside the document (its $refs resolve there)."""
    return jsonschema.Draft7Validator({"$ref": f"{DOCUMENT_URI}#{pointer}"}, registry=DOC_REGISTRY)


def descriptor(param: dict) -> dict:
    if "$ref" in param:
        name = param["$ref"].rsplit("/", 1)[1]
        return DOCUMENT["components"]["contentDescriptors"][name]
    return param


def result_validator(method: str) -> jsonschema.Draft7Validator:
    index = DOCUMENT["methods"].index(METHODS[method])
    return validator_at(f"/methods/{index}/result/schema")


def shape_differences(actual, expected, path="result") -> list[str]:
    """Same keys and value kinds, recursively (values are not compared)."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{path}: {type(actual).__name__} instead of an object"]
        problems = []
        if set(actual) != set(expected):
            problems.append(f"{path}: keys {sorted(actual)} instead of {sorted(expected)}")
        for key in expected.keys() & actual.keys():
            problems += shape_differences(actual[key], expected[key], f"{path}.{key}")
        return problems
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return [f"{path}: {type(actual).__name__} instead of an array"]
        return [p for i, item in enumerate(actual) if expected
                for p in shape_differences(item, expected[min(i, len(expected) - 1)], f"{path}[{i}]")]
    kind = lambda v: "number" if isinstance(v, (int, float)) and not isinstance(v, bool) else type(v).__name__  # noqa: E731
    return [] if kind(actual) == kind(expected) else [f"{path}: {kind(actual)} instead of {kind(expected)}"]


def test_document_is_valid_openrpc():
    errors = sorted(meta_validator().iter_errors(DOCUMENT), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message[:300]}" for e in errors[:10])


def test_vendored_meta_schema_is_unmodified_1_14_9_tree():
    meta = json.loads(META_SCHEMA_PATH.read_text())
    assert meta["$id"] == "https://meta.open-rpc.org/"
    assert "GENERATED FIELD" in meta["properties"]["openrpc"]["enum"][0]


def test_document_version_and_bundled_copy():
    assert DOCUMENT["info"]["version"] == "2026-11-29"
    bundled = REPO / "Sources" / "RPCServer" / "Resources" / "openrpc.json"
    assert DOCUMENT_PATH.resolve() == bundled.resolve(), "Protocol/openrpc.json must link to the bundled resource"
    assert "2026-11-29" in (REPO / "Protocol" / "CHANGELOG.md").read_text()


def test_every_schema_is_valid_draft7():
    for name, schema in DOCUMENT["components"]["schemas"].items():
        jsonschema.Draft7Validator.check_schema(schema)
    for method in DOCUMENT["methods"]:
        assert method["paramStructure"] == "by-name", method["name"]
        for param in method["params"]:
            jsonschema.Draft7Validator.check_schema(descriptor(param)["schema"])
        if "result" in method:
            jsonschema.Draft7Validator.check_schema(method["result"]["schema"])
        assert ("result" in method) != method.get("x-notification", False), method["name"]


def test_refs_resolve_and_components_are_used():
    text = json.dumps(DOCUMENT)
    for kind, items in DOCUMENT["components"].items():
        for name in items:
            assert f'"#/components/{kind}/{name}' in text, f"unused component {kind}/{name}"
    for index, method in enumerate(DOCUMENT["methods"]):
        for error in method.get("errors", []):
            name = error["$ref"].rsplit("/", 1)[1]
            assert name in DOCUMENT["components"]["errors"], (method["name"], name)
        if "result" in method:  # resolves every $ref of the result schema on the way
            result_validator(method["name"]).is_valid({})


ALL_EXAMPLES = [(e.get("x-step", 0), name, e) for name, m in METHODS.items() for e in m.get("examples", [])]


@pytest.mark.parametrize("step,method,example", ALL_EXAMPLES, ids=[f"{s}-{m}" for s, m, _ in ALL_EXAMPLES])
def test_example_matches_its_schemas(step, method, example):
    m = METHODS[method]
    if "x-error" in example:
        error = example["x-error"]
        assert isinstance(error["code"], int) and error["data"]["reason"]
        codes = {DOCUMENT["components"]["errors"][e["$ref"].rsplit("/", 1)[1]]["code"] for e in m.get("errors", [])}
        assert error["code"] in codes, f"{method} example error {error['code']} is not in the method's errors"
        return
    given = {p["name"]: p["value"] for p in example["params"]}
    params = {descriptor(p)["name"]: descriptor(p) for p in m["params"]}
    for name, value in given.items():
        assert name in params, f"{method}: example param {name} is not documented"
        index = m["params"].index(next(p for p in m["params"] if descriptor(p)["name"] == name))
        pointer = f"/methods/{DOCUMENT['methods'].index(m)}/params/{index}"
        if "$ref" in m["params"][index]:
            pointer = "/components/contentDescriptors/" + m["params"][index]["$ref"].rsplit("/", 1)[1]
        validator_at(pointer + "/schema").validate(value)
    for name, d in params.items():
        if d.get("required"):
            assert name in given, f"{method}: example lacks required param {name}"
    if "result" in m:
        result_validator(method).validate(example["result"]["value"])
    else:
        assert "result" not in example, f"{method} is a notification"


@pytest.fixture(scope="module")
def example_server(tmp_path_factory):
    if not os.access(BINARY, os.X_OK):
        pytest.skip(f"{BINARY} not built (swift build -c release --product maskgit-rpc; scripts/test builds it)")
    root = tmp_path_factory.mktemp("examples")
    for png in (REPO / "Examples" / "images").glob("*.png"):
        shutil.copy(png, root / png.name)
    client = Client(BINARY, model_dir=TINY_MODEL, args=["--allow-root", str(root), "--quiet"], initialize=False, cwd=root)
    yield client
    client.close()


def test_examples_replay_against_the_server(example_server):
    """Every example in x-step order on one fresh server: documented errors come back with the
    same code and reason; results validate against the result schema and have the example's shape."""
    assert len(EXAMPLES) >= 20
    problems = []
    for step, method, example in EXAMPLES:
        params = {p["name"]: p["value"] for p in example["params"]} if method != "shutdown" else None
        try:
            value = example_server.request(method, params, timeout=60)
        except RPCError as error:
            if "x-error" not in example or (error.code, error.reason) != (example["x-error"]["code"], example["x-error"]["data"]["reason"]):
                problems.append(f"step {step} {method}: unexpected error {error.code} {error.reason}: {error.message}")
            continue
        if "x-error" in example:
            problems.append(f"step {step} {method}: expected error {example['x-error']['code']}, got a result")
            continue
        for error in result_validator(method).iter_errors(value):
            problems.append(f"step {step} {method}: {list(error.absolute_path)}: {error.message[:200]}")
        problems += [f"step {step} {method}: {p}" for p in shape_differences(value, example["result"]["value"])]
        if method == "initialize":
            names = {m["name"] for m in DOCUMENT["methods"] if m.get("x-direction") != "server-to-client"}
            if set(value["capabilities"]["methods"]) != names:
                problems.append(f"methods differ: {sorted(set(value['capabilities']['methods']) ^ names)}")
    assert not problems, "\n".join(problems)


def test_rpc_discover_serves_this_document():
    """The binary bundles this very file (rebuild the server after regenerating the document)."""
    if not os.access(BINARY, os.X_OK):
        pytest.skip(f"{BINARY} not built")
    with Client(BINARY, model_dir=TINY_MODEL, args=["--quiet"]) as client:
        assert client.discover() == DOCUMENT, "the built server serves an older openrpc.json: rebuild it"

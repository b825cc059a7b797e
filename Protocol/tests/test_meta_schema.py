"""The offline OpenRPC meta-schema (Protocol/schema/openrpc-meta-schema.offline.json) is
self-contained, up to date with its generator, and validates Protocol/openrpc.json with two
independent JSON Schema implementations and no network: `jsonschema` (what the other tests use)
and `fastjsonschema` (a separate implementation that compiles schemas to Python; pinned in
Training/requirements.txt). Both also refuse broken documents."""
import copy
import json
import pathlib
import re
import subprocess
import sys

import fastjsonschema
import jsonschema
import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
OFFLINE = REPO / "Protocol" / "schema" / "openrpc-meta-schema.offline.json"
DOCUMENT = json.loads((REPO / "Protocol" / "openrpc.json").read_text())
META = json.loads(OFFLINE.read_text())


def test_the_offline_meta_schema_is_up_to_date():
    done = subprocess.run([sys.executable, str(REPO / "Protocol" / "tools" / "make_offline_meta_schema.py"), "--check"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_it_refers_to_nothing_outside_itself():
    refs = set(re.findall(r'"\$ref": "([^"]*)"', OFFLINE.read_text()))
    assert refs and all(r.startswith("#") for r in refs), sorted(r for r in refs if not r.startswith("#"))
    assert "GENERATED FIELD" not in OFFLINE.read_text()
    jsonschema.Draft7Validator.check_schema(META)


def jsonschema_errors(document):
    # A plain validator: no registry, no retrieval (a remote $ref would raise here).
    return [e.message for e in jsonschema.Draft7Validator(META).iter_errors(document)]


COMPILED = fastjsonschema.compile(META)


def fastjsonschema_error(document):
    try:
        COMPILED(document)
    except fastjsonschema.JsonSchemaException as error:
        return error.message
    return None


def test_both_validators_accept_the_document():
    assert jsonschema_errors(DOCUMENT) == []
    assert fastjsonschema_error(DOCUMENT) is None


def broken_documents():
    wrong_version = copy.deepcopy(DOCUMENT)
    wrong_version["openrpc"] = "9.9.9"
    nameless_method = copy.deepcopy(DOCUMENT)
    del nameless_method["methods"][0]["name"]
    bad_schema = copy.deepcopy(DOCUMENT)
    method = next(m for m in bad_schema["methods"] if m["params"] and "schema" in m["params"][0])
    method["params"][0]["schema"] = {"type": "a type that does not exist"}
    no_info = copy.deepcopy(DOCUMENT)
    del no_info["info"]
    return [pytest.param(d, id=i) for d, i in [(wrong_version, "openrpc-version"), (nameless_method, "method-name"),
                                                 (bad_schema, "json-schema-type"), (no_info, "info")]]


@pytest.mark.parametrize("document", broken_documents())
def test_both_validators_refuse_a_broken_document(document):
    assert jsonschema_errors(document)
    assert fastjsonschema_error(document)

"""The OpenAPI file documents every URL of the dashboard, and nothing else."""

from __future__ import annotations

import dataclasses
import json
import re
from importlib import resources
from typing import Any

import pytest

from dashboard import create_app
from dashboard.access.gate import is_public
from dashboard.access.testing import LOCAL_TEST_CONFIG
from insole.settings import EXERCISES, FOOT_SIDES, RANGES, Settings

IGNORED_METHODS = {"HEAD", "OPTIONS"}
HTTP_METHODS = {"get", "put", "post", "delete", "patch"}


def load_spec() -> dict[str, Any]:
    text = (resources.files("dashboard") / "openapi.json").read_text(encoding="utf-8")
    spec: dict[str, Any] = json.loads(text)
    return spec


def app_operations() -> set[tuple[str, str]]:
    """(OpenAPI path, method) for every rule the app routes, static files aside."""
    app = create_app({"TESTING": True, **LOCAL_TEST_CONFIG})
    operations = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        for method in (rule.methods or set()) - IGNORED_METHODS:
            operations.add((path, method.lower()))
    return operations


def spec_operations(spec: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (path, method)
        for path, item in spec["paths"].items()
        for method in item
        if method in HTTP_METHODS
    }


def test_the_file_is_an_openapi_3_1_document() -> None:
    spec = load_spec()
    assert spec["openapi"].startswith("3.1")
    assert spec["info"]["title"]
    assert spec["paths"]


def test_every_route_of_the_app_is_documented() -> None:
    missing = sorted(app_operations() - spec_operations(load_spec()))
    assert missing == [], f"routes missing from openapi.json: {missing}"


def test_every_documented_operation_exists_in_the_app() -> None:
    stale = sorted(spec_operations(load_spec()) - app_operations())
    assert stale == [], f"openapi.json documents routes the app does not have: {stale}"


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for value in node.values() for r in _refs(value)]
    if isinstance(node, list):
        return [r for value in node for r in _refs(value)]
    return []


def test_every_reference_resolves() -> None:
    spec = load_spec()
    refs = _refs(spec)
    assert refs
    for ref in refs:
        match = re.fullmatch(r"#/components/(schemas|responses)/(\w+)", ref)
        assert match, ref
        assert match[2] in spec["components"][match[1]], ref


def test_the_settings_schema_states_the_fields_and_ranges_of_insole_settings() -> None:
    """PUT /api/settings answers 400 outside these ranges: the description must say so."""
    properties = load_spec()["components"]["schemas"]["Settings"]["properties"]
    assert set(properties) == {f.name for f in dataclasses.fields(Settings)}
    for name, allowed in RANGES.items():
        assert properties[name]["type"] == ("integer" if allowed.integer else "number"), name
        assert (properties[name]["minimum"], properties[name]["maximum"]) == (
            allowed.low,
            allowed.high,
        ), name
    assert properties["exercise"]["enum"] == list(EXERCISES)
    assert properties["foot"]["enum"] == list(FOOT_SIDES)


def test_the_public_operations_are_the_ones_the_gate_lets_through() -> None:
    """``security: []`` marks what a browser can use before pairing; the rest need a token."""
    spec = load_spec()
    assert spec["security"] == [{"pairedDevice": []}]
    app = create_app({"TESTING": True})
    public_rules = {
        re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static" and is_public(rule.endpoint, app.config)
    }
    documented = {
        path
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS and operation.get("security") == []
    }
    assert documented == public_rules


@pytest.mark.parametrize(("path", "method"), sorted(spec_operations(load_spec())), ids=str)
def test_every_operation_has_a_summary_and_responses(path: str, method: str) -> None:
    operation = load_spec()["paths"][path][method]
    assert operation.get("summary"), (path, method)
    assert operation["responses"], (path, method)
    for status in operation["responses"]:
        assert re.fullmatch(r"[1-5]\d\d", status), (path, method, status)
    for name in re.findall(r"{([^}]+)}", path):
        declared = [p["name"] for p in operation.get("parameters", []) if p["in"] == "path"]
        assert name in declared, (path, method, name)

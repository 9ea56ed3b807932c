"""docs/openapi.yaml is sound OpenAPI 3.1, agrees with the core, lists every route."""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import openapi_spec_validator
import pytest
import yaml
from aiohttp import web
from jsonschema import (
    Draft202012Validator,
    FormatChecker,
)
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from counseling.cases import CaseStatus, EndReason, EventKind, Party
from counseling.services import LANGUAGES_BY_SERVICE, Language, Service, Skill
from counseling.staff import StaffRole
from signaling.auth import COOKIE_NAME, BadCredentials, TooManyAttempts

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT_PATH = ROOT / "docs" / "openapi.yaml"
DOCUMENT_URI = "urn:dasan:openapi"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(DOCUMENT_PATH.read_text("utf-8"))
    return loaded


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def resolve(document: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), f"only local references are used: {ref}"
    node: Any = document
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def deref(document: dict[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node and len(node) == 1:
        node = resolve(document, node["$ref"])
    return node


def refs(node: object, path: str = "") -> list[tuple[str, str]]:
    """Every ``$ref`` in ``node`` with the path it sits at."""
    found: list[tuple[str, str]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                found.append((path, value))
            else:
                found += refs(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, item in enumerate(node):
            found += refs(item, f"{path}/{index}")
    return found


def schemas(document: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Every schema the document holds: components, parameters, headers, bodies."""
    found = [
        (f"components/schemas/{name}", schema)
        for name, schema in document["components"]["schemas"].items()
    ]

    def media(where: str, content: dict[str, Any]) -> None:
        for kind, item in content.items():
            if "schema" in item:
                found.append((f"{where} {kind}", item["schema"]))

    def response(where: str, node: dict[str, Any]) -> None:
        node = deref(document, node)
        media(where, node.get("content", {}))
        for name, header in node.get("headers", {}).items():
            found.append((f"{where} header {name}", header["schema"]))

    for name, node in document["components"]["responses"].items():
        response(f"components/responses/{name}", node)
    for method, path, operation in operations(document):
        where = f"{method} {path}"
        for parameter in operation.get("parameters", []):
            found.append((f"{where} ?{parameter['name']}", parameter["schema"]))
        if "requestBody" in operation:
            media(f"{where} body", operation["requestBody"]["content"])
        for status, node in operation["responses"].items():
            response(f"{where} {status}", node)
    return found


FORMATS = FormatChecker()


def is_date_time(value: object) -> bool:
    """RFC 3339: a full date and time with an offset (jsonschema's needs a package)."""
    if not isinstance(value, str):
        return True
    if datetime.fromisoformat(value).tzinfo is None:
        raise ValueError(f"{value} has no UTC offset")
    return "T" in value.upper()


FORMATS.checks("date-time", raises=ValueError)(is_date_time)


def validator(document: dict[str, Any], pointer: str) -> Any:
    """A validator for the schema at ``pointer`` in the document, references and all."""
    resource = Resource.from_contents(document, default_specification=DRAFT202012)
    registry: Registry[Any] = Registry().with_resource(DOCUMENT_URI, resource)
    return Draft202012Validator(
        {"$ref": f"{DOCUMENT_URI}#{pointer}"},
        registry=registry,
        format_checker=FORMATS,
    )


def component(document: dict[str, Any], name: str) -> Any:
    return validator(document, f"/components/schemas/{name}")


# -- the document is sound ---------------------------------------------------


def test_document_is_openapi_3_1(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.1.")
    assert document["info"]["title"]
    assert document["info"]["version"]
    assert document["paths"]


def test_openapi_spec_validator_accepts_it(document: dict[str, Any]) -> None:
    openapi_spec_validator.validate(document)


def test_every_reference_resolves(document: dict[str, Any]) -> None:
    broken = []
    for path, ref in refs(document):
        try:
            resolve(document, ref)
        except (KeyError, IndexError, TypeError):
            broken.append(f"{path}: {ref}")
    assert not broken


def test_every_schema_is_valid_json_schema(document: dict[str, Any]) -> None:
    found = schemas(document)
    assert len(found) > len(document["components"]["schemas"])
    for _, schema in found:
        Draft202012Validator.check_schema(schema)


def test_operations_are_named_and_answered(document: dict[str, Any]) -> None:
    ids = [op["operationId"] for _, _, op in operations(document)]
    assert len(ids) == len(set(ids)), "operationIds are unique"
    for method, path, operation in operations(document):
        assert operation.get("summary"), f"{method} {path} has no summary"
        assert operation["responses"], f"{method} {path} has no responses"


def test_path_parameters_are_declared(document: dict[str, Any]) -> None:
    for method, path, operation in operations(document):
        in_path = set(re.findall(r"\{([^}]+)\}", path))
        declared = {
            p["name"]: p for p in operation.get("parameters", []) if p["in"] == "path"
        }
        assert set(declared) == in_path, f"{method} {path}"
        assert all(p["required"] is True for p in declared.values())


def test_json_errors_use_the_error_body(document: dict[str, Any]) -> None:
    error = {"$ref": "#/components/schemas/Error"}
    for method, path, operation in operations(document):
        for status, node in operation["responses"].items():
            content = deref(document, node).get("content", {})
            if status.startswith(("4", "5")) and "application/json" in content:
                assert content["application/json"]["schema"] == error, (
                    f"{method} {path} {status}"
                )


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def media_with_examples(document: dict[str, Any]) -> list[tuple[str, Any]]:
    """The JSON pointer of every object with a ``schema`` and an ``example``."""
    found: list[tuple[str, Any]] = []

    def scan(pointer: str, node: object) -> None:
        if isinstance(node, dict):
            if "schema" in node and "example" in node:
                found.append((pointer, node["example"]))
            for key, value in node.items():
                scan(f"{pointer}/{_escape(key)}", value)
        elif isinstance(node, list):
            for index, item in enumerate(node):
                scan(f"{pointer}/{index}", item)

    scan("", document)
    return found


def test_examples_match_their_schemas(document: dict[str, Any]) -> None:
    examples = media_with_examples(document)
    assert len(examples) >= 10
    for pointer, example in examples:
        errors = list(validator(document, f"{pointer}/schema").iter_errors(example))
        assert not errors, f"{pointer}: {[e.message for e in errors]}"


def test_date_time_format_is_checked(document: dict[str, Any]) -> None:
    check = component(document, "Timestamp")
    assert check.is_valid("2025-11-26T09:00:00+09:00")
    assert check.is_valid("2025-11-26T00:00:00Z")
    assert not check.is_valid("2025-11-26T09:00:00")
    assert not check.is_valid("2025-11-26")
    assert not check.is_valid("yesterday")


# -- the document says what the server does ----------------------------------

ID = "0123456789abcdef0123456789abcdef"
SUMMARY: dict[str, Any] = {
    "id": ID,
    "service": "foreign_language",
    "language": "mn",
    "channel": "video",
    "status": "in_session",
    "requested_at": "2025-11-26T09:00:00+00:00",
    "offered_at": "2025-11-26T09:00:02+00:00",
    "answered_at": "2025-11-26T09:00:05+00:00",
    "ended_at": None,
    "interpreter_id": "fedcba9876543210fedcba9876543210",
    "end_reason": None,
    "ended_by": None,
    "wait_seconds": 5.0,
    "handle_seconds": None,
}


@pytest.mark.parametrize(
    ("name", "value", "valid"),
    [
        ("LoginRequest", {"username": "kim", "password": "pw"}, True),
        ("LoginRequest", {"username": "k", "password": "pw"}, False),
        ("LoginRequest", {"username": "k" * 41, "password": "pw"}, False),
        ("LoginRequest", {"username": "kim", "password": ""}, False),
        ("LoginRequest", {"username": "kim", "password": "p" * 201}, False),
        ("LoginRequest", {"username": "kim", "password": "pw", "role": "x"}, False),
        ("Id", ID, True),
        ("Id", ID.upper(), False),
        ("Id", ID[:-1], False),
        ("CaseSummary", SUMMARY, True),
        ("CaseSummary", SUMMARY | {"ended_at": "yesterday"}, False),
        ("CaseSummary", SUMMARY | {"end_reason": "bored"}, False),
        ("CaseSummary", {k: v for k, v in SUMMARY.items() if k != "ended_at"}, False),
        ("CaseDetail", SUMMARY | {"events": [], "transcript": []}, True),
        ("CaseDetail", SUMMARY | {"events": []}, False),
        ("CaseDetail", SUMMARY, False),
        ("Error", {"error": {"code": "forbidden", "message": "no"}}, True),
        ("Error", {"error": {"code": "forbidden"}}, False),
        (
            "StaffProfile",
            {
                "id": ID,
                "username": "kim",
                "display_name": "Kim",
                "role": "supervisor",
                "skills": [],
            },
            True,
        ),
        (
            "StaffProfile",
            {
                "id": ID,
                "username": "kim",
                "display_name": "Kim",
                "role": "interpreter",
                "skills": ["sign_language/en"],
            },
            False,
        ),
    ],
)
def test_schemas_accept_and_refuse(
    document: dict[str, Any], name: str, value: object, valid: bool
) -> None:
    errors = list(component(document, name).iter_errors(value))
    assert (not errors) is valid, [e.message for e in errors]


@pytest.mark.parametrize(
    ("name", "enum"),
    [
        ("Service", Service),
        ("Language", Language),
        ("StaffRole", StaffRole),
        ("CaseStatus", CaseStatus),
        ("EndReason", EndReason),
        ("Party", Party),
        ("EventKind", EventKind),
    ],
)
def test_enums_match_the_core(
    document: dict[str, Any], name: str, enum: type[StrEnum]
) -> None:
    assert document["components"]["schemas"][name]["enum"] == [m.value for m in enum]


def test_skill_pattern_matches_exactly_the_offered_skills(
    document: dict[str, Any],
) -> None:
    check = component(document, "Skill")
    offered = {
        str(Skill(service, language))
        for service, languages in LANGUAGES_BY_SERVICE.items()
        for language in languages
    }
    for service in Service:
        for language in Language:
            text = f"{service.value}/{language.value}"
            assert check.is_valid(text) is (text in offered), text


def test_cookie_and_error_codes_match_the_server(document: dict[str, Any]) -> None:
    assert document["components"]["securitySchemes"]["staffSession"]["name"] == (
        COOKIE_NAME
    )
    login = document["paths"]["/api/login"]["post"]["responses"]
    for status, error in (("401", BadCredentials), ("429", TooManyAttempts)):
        example = login[status]["content"]["application/json"]["example"]
        assert example["error"]["code"] == error.code
        assert error.status == int(status)


# -- the app serves exactly the documented routes ----------------------------


def _shape(path: str) -> str:
    """A path with its parameter names and patterns dropped: /a/{x:\\d+} -> /a/{}."""
    return re.sub(r"\{[^}]*\}", "{}", path)


def served(app: web.Application) -> tuple[set[tuple[str, str]], set[str]]:
    """The (method, path shape) pairs the app routes, and its static prefixes."""
    routes: set[tuple[str, str]] = set()
    static: set[str] = set()
    for route in app.router.routes():
        resource = route.resource
        if resource is None or route.method == "HEAD":
            continue
        if isinstance(resource, web.StaticResource):
            static.add(resource.canonical.rstrip("/"))
        elif not resource.canonical.startswith("/socket.io/"):
            routes.add((route.method, _shape(resource.canonical)))
    return routes, static


async def test_routes_match_openapi(document: dict[str, Any], tmp_path: Path) -> None:
    from dasan.app import create_app
    from dasan.settings import Settings

    app = create_app(Settings(data_dir=tmp_path))
    routes, static = served(app)
    documented = {(method, _shape(path)) for method, path, _ in operations(document)}

    def under_static(method: str, path: str) -> bool:
        return method == "GET" and any(path.startswith(p + "/") for p in static)

    assert routes - documented == set(), (
        "routes the app serves but docs/openapi.yaml omits"
    )
    unserved = {r for r in documented - routes if not under_static(*r)}
    assert unserved == set(), (
        "routes docs/openapi.yaml lists but the app does not serve"
    )
    for prefix in static:
        assert any(under_static(m, p) for m, p in documented), (
            f"static files under {prefix}/ are not in docs/openapi.yaml"
        )

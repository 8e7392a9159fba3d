"""The OpenAPI document is complete: every route declares the errors it can answer, in the error shape,
with examples, and every request body has an example. (schemathesis then checks the app keeps to it.)"""

from __future__ import annotations

from typing import Any

import pytest

from api.config import Settings
from api.main import create_app

DOCUMENT = create_app(Settings(app_env="test", _env_file=None)).openapi()
SCHEMAS = DOCUMENT["components"]["schemas"]
ERROR_BODY = "#/components/schemas/ErrorBody"
OPERATIONS = [
    (method.upper(), path, operation)
    for path, operations in DOCUMENT["paths"].items()
    for method, operation in operations.items()
]


def ids(value: object) -> str:
    return f"{value[0]} {value[1]}" if isinstance(value, tuple) else ""


def error_statuses(operation: dict[str, Any]) -> set[str]:
    return {status for status in operation["responses"] if status[0] in "45"}


def has_example(content: dict[str, Any]) -> bool:
    schema = content.get("schema", {})
    ref = schema.get("$ref", "")
    named = SCHEMAS.get(ref.rsplit("/", 1)[-1], {}) if ref else {}
    return bool(
        content.get("example") or content.get("examples") or schema.get("examples") or named.get("examples")
    )


@pytest.mark.parametrize("operation", OPERATIONS, ids=ids)
class TestEveryOperation:
    def test_a_route_that_needs_a_token_declares_401_and_403(self, operation: tuple[str, str, Any]) -> None:
        _, _, spec = operation
        if spec.get("security"):
            assert {"401", "403"} <= error_statuses(spec)
        else:
            assert "401" not in error_statuses(spec)

    def test_a_route_that_takes_input_declares_422(self, operation: tuple[str, str, Any]) -> None:
        _, _, spec = operation
        if spec.get("parameters") or spec.get("requestBody"):
            assert "422" in error_statuses(spec)

    def test_errors_are_the_error_shape_with_examples(self, operation: tuple[str, str, Any]) -> None:
        method, path, spec = operation
        for status in error_statuses(spec):
            if (method, path, status) == ("GET", "/readyz", "503"):
                continue  # readiness answers with its checks, by design
            content = spec["responses"][status]["content"]["application/json"]
            assert content["schema"] == {"$ref": ERROR_BODY}, status
            examples = content.get("examples", {})
            assert examples, status
            for example in examples.values():
                value = example["value"]
                assert set(value) == {"error", "code", "detail"}
                assert value["code"] == int(status)
                assert value["detail"] and not str(value["detail"]).startswith("error."), "untranslated"

    def test_a_request_body_has_an_example(self, operation: tuple[str, str, Any]) -> None:
        _, _, spec = operation
        for content in spec.get("requestBody", {}).get("content", {}).values():
            assert has_example(content)

    def test_success_is_declared_with_its_shape(self, operation: tuple[str, str, Any]) -> None:
        _, _, spec = operation
        successes = {s: r for s, r in spec["responses"].items() if s.startswith("2")}
        assert successes
        for status, response in successes.items():
            if status != "204":
                assert response.get("content"), status


class TestDocument:
    def test_bearer_tokens_are_declared(self) -> None:
        assert DOCUMENT["components"]["securitySchemes"]["HTTPBearer"] == {
            "type": "http",
            "description": "A principal's token, or the bot service's token (see README).",
            "scheme": "bearer",
        }

    def test_fastapis_own_validation_error_shape_is_gone(self) -> None:
        assert "HTTPValidationError" not in SCHEMAS

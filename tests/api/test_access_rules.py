"""Deny by default: every route of the app names who may call it, or says why the public may.

See api/auth.py: a route has a caller parameter made by `allow(...)`, or `dependencies=[public("why")]`.
A route with neither fails here, so a forgotten access rule never ships open.
"""

from __future__ import annotations

import pytest
from fastapi import APIRouter, FastAPI

from api.agency_form.sessions import AgencyUser
from api.auth import AdminCaller, allow, public
from api.config import Settings
from api.main import create_app
from api.principal.models import PrincipalKind
from tests.api.routes import Endpoint, allowed_kinds, endpoints, framework_routes, public_reason

APP = create_app(Settings(app_env="test", _env_file=None))


def documentation_paths(app: FastAPI) -> set[str]:
    """FastAPI's own routes: the OpenAPI document and the pages that render it. Public by design."""
    paths = {app.openapi_url, app.docs_url, app.redoc_url}
    if app.docs_url and app.swagger_ui_oauth2_redirect_url:
        paths.add(app.swagger_ui_oauth2_redirect_url)
    return {p for p in paths if p}


class TestEveryRouteHasARule:
    @pytest.mark.parametrize("endpoint", endpoints(APP), ids=lambda e: f"{e.method} {e.path}")
    def test_allow_or_public(self, endpoint: Endpoint) -> None:
        kinds, reason = allowed_kinds(endpoint), public_reason(endpoint)
        assert kinds is not None or reason is not None, (
            f"{endpoint.method} {endpoint.path} ({endpoint.module}) has no access rule: give it a caller "
            "parameter made by api.auth.allow(...) (e.g. `caller: ProviderCaller`), or, if the public must "
            'reach it without a token, `dependencies=[public("why")]` (see api/auth.py)'
        )
        assert not (kinds is not None and reason is not None), "a route is either public or it is not"
        assert kinds is None or kinds, f"{endpoint.method} {endpoint.path}: allow() admits nobody"

    def test_the_only_other_routes_are_the_documentation(self) -> None:
        others = {route.path for route in framework_routes(APP)}
        assert others <= documentation_paths(APP), (
            f"routes outside the access rules: {sorted(others - documentation_paths(APP))}"
        )

    def test_the_walk_sees_every_documented_operation(self) -> None:
        walked = {e.key for e in endpoints(APP)}
        documented = {
            (method.upper(), path)
            for path, operations in APP.openapi()["paths"].items()
            for method in operations
        }
        assert documented <= walked
        assert documented, "no routes found: the walk is broken"

    def test_public_routes_are_few_and_named(self) -> None:
        public = sorted(e.key for e in endpoints(APP) if public_reason(e) is not None)
        assert public == [
            ("DELETE", "/v1/chat/conversations/{conversation_id}"),
            ("GET", "/chat"),
            ("GET", "/chat/static/{name}"),
            ("GET", "/console/sign-in"),
            ("GET", "/console/static/{name}"),
            ("GET", "/healthz"),
            ("GET", "/readyz"),
            ("GET", "/refer/sign-in"),
            ("GET", "/refer/static/{name}"),
            ("GET", "/v1/service/hours"),
            ("POST", "/console/sign-in"),
            ("POST", "/refer/sign-in"),
            ("POST", "/v1/channels/sms/inbound"),
            ("POST", "/v1/channels/sms/status"),
            ("POST", "/v1/chat/conversations"),
            ("POST", "/v1/chat/conversations/{conversation_id}/messages"),
        ]


class TestTheCheckItself:
    """The rule test must catch what it is there to catch, wherever the route is included."""

    def build(self, router: APIRouter, *, prefix: str = "") -> FastAPI:
        app = FastAPI()
        outer = APIRouter(prefix="/outer")
        outer.include_router(router, prefix=prefix)
        app.include_router(outer)
        return app

    def test_a_route_without_a_rule_is_found_in_a_nested_router(self) -> None:
        router = APIRouter()

        @router.get("/open")
        async def forgotten() -> None:
            return None

        [endpoint] = endpoints(self.build(router, prefix="/inner"))
        assert endpoint.path == "/outer/inner/open"
        assert allowed_kinds(endpoint) is None and public_reason(endpoint) is None

    def test_a_caller_parameter_is_a_rule(self) -> None:
        router = APIRouter()

        @router.get("/admin")
        async def admin_only(_caller: AdminCaller) -> None:
            return None

        [endpoint] = endpoints(self.build(router))
        assert allowed_kinds(endpoint) == {"admin"}

    def test_a_rule_given_at_include_time_counts(self) -> None:
        router = APIRouter()

        @router.get("/x")
        async def guarded() -> None:
            return None

        app = FastAPI()
        app.include_router(router, dependencies=[allow(PrincipalKind.agency)])
        [endpoint] = endpoints(app)
        assert allowed_kinds(endpoint) == {"agency"}

    def test_a_form_session_rule_counts(self) -> None:
        # The agency form's pages admit a signed-in form session of the named kinds (api/agency_form).
        router = APIRouter()

        @router.get("/page")
        async def page(_user: AgencyUser) -> None:
            return None

        [endpoint] = endpoints(self.build(router))
        assert allowed_kinds(endpoint) == {"agency"}

    def test_public_needs_a_reason(self) -> None:
        with pytest.raises(ValueError, match="reason"):
            public(" ")

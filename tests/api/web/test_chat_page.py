"""The web chat page: served with strict security headers, in the chosen language and direction, with every
word from locales/web.<lang>.yml, no inline script or style, and a quick exit pointing at the setting."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import httpx
import pytest
from fastapi import FastAPI

from api.web.page import language_name
from api.web.security import CONTENT_SECURITY_POLICY


class Page(HTMLParser):
    """The parts of a page the tests look at: tags with their attributes, and inline code."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.inline_scripts = 0
        self._in_script = False
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline_scripts += 1

    def find(self, tag: str, **attrs: str) -> list[dict[str, str | None]]:
        return [a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in attrs.items())]

    def one(self, tag: str, **attrs: str) -> dict[str, str | None]:
        [found] = self.find(tag, **attrs)
        return found


class TestHeaders:
    async def test_the_page_has_a_strict_policy_and_is_never_stored(self, client: httpx.AsyncClient) -> None:
        reply = await client.get("/chat")
        assert reply.status_code == 200
        assert reply.headers["content-type"].startswith("text/html")
        assert reply.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert "script-src 'self';" in CONTENT_SECURITY_POLICY
        assert "unsafe-inline" not in CONTENT_SECURITY_POLICY
        assert reply.headers["cache-control"] == "no-store"
        assert reply.headers["referrer-policy"] == "no-referrer"
        assert reply.headers["x-content-type-options"] == "nosniff"
        assert reply.headers["x-frame-options"] == "DENY"
        assert "camera=()" in reply.headers["permissions-policy"]
        assert "set-cookie" not in reply.headers

    @pytest.mark.parametrize(
        ("name", "media_type"), [("chat.js", "text/javascript"), ("chat.css", "text/css")]
    )
    async def test_static_files(self, client: httpx.AsyncClient, name: str, media_type: str) -> None:
        reply = await client.get(f"/chat/static/{name}")
        assert reply.status_code == 200
        assert reply.headers["content-type"].startswith(media_type)
        assert reply.headers["x-content-type-options"] == "nosniff"
        assert reply.headers["content-security-policy"] == CONTENT_SECURITY_POLICY

    @pytest.mark.parametrize("name", ["secrets.env", "..%2Fendpoints.py", "chat.html"])
    async def test_nothing_else_is_served_as_a_static_file(
        self, client: httpx.AsyncClient, name: str
    ) -> None:
        reply = await client.get(f"/chat/static/{name}")
        assert reply.status_code == 404
        assert set(reply.json()) == {"error", "code", "detail"}


class TestPage:
    async def test_no_inline_script_or_style(self, client: httpx.AsyncClient) -> None:
        page = Page((await client.get("/chat")).text)
        assert page.inline_scripts == 0
        assert not page.find("style")
        assert all("style" not in attrs for _, attrs in page.tags)
        assert all(not any(k.startswith("on") for k in attrs) for _, attrs in page.tags)
        [script] = page.find("script")
        assert (script["src"] or "").startswith("/chat/static/chat.js?v=")

    async def test_english_by_default(self, client: httpx.AsyncClient) -> None:
        reply = await client.get("/chat")
        page = Page(reply.text)
        assert page.one("html") == {"lang": "en", "dir": "ltr"}
        assert "Exit this page" in reply.text

    @pytest.mark.parametrize(
        ("lang", "direction"), [("ur", "rtl"), ("ar", "rtl"), ("pl", "ltr"), ("bn", "ltr")]
    )
    async def test_the_chosen_language_and_its_direction(
        self, app: FastAPI, client: httpx.AsyncClient, lang: str, direction: str
    ) -> None:
        reply = await client.get(f"/chat?lang={lang}")
        page = Page(reply.text)
        assert page.one("html") == {"lang": lang, "dir": direction}
        exit_text = app.state.translator.t("web.exit.button", lang)
        assert f">{exit_text}</a>" in reply.text
        assert "selected" in page.one("option", value=lang)

    async def test_the_browsers_language_when_none_is_chosen(self, client: httpx.AsyncClient) -> None:
        reply = await client.get("/chat", headers={"Accept-Language": "uk-UA, en;q=0.5"})
        assert Page(reply.text).one("html")["lang"] == "uk"

    async def test_an_unknown_language_is_english_and_never_echoed(self, client: httpx.AsyncClient) -> None:
        reply = await client.get('/chat?lang="><script>x')
        assert reply.status_code == 200
        assert Page(reply.text).one("html")["lang"] == "en"
        assert "<script>x" not in reply.text

    async def test_every_language_is_offered_in_its_own_words(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        page = Page((await client.get("/chat?lang=ro")).text)
        options = page.find("option")
        assert options[0]["value"] == "en"
        assert {o["value"] for o in options} == set(app.state.translator.locales)
        for option in options:
            assert option["lang"] == option["value"]
        assert language_name("pl") == "Polski"
        assert language_name("ur") == "اردو"

    async def test_quick_exit_and_accessible_controls(self, client: httpx.AsyncClient) -> None:
        page = Page((await client.get("/chat")).text)
        exit_link = page.one("a", id="exit-this-page")
        assert exit_link["href"] == "https://www.bbc.co.uk/weather"
        assert exit_link["rel"] == "noreferrer"
        # The exit is the first thing a keyboard reaches.
        focusable = [a.get("id") for t, a in page.tags if t in ("a", "select", "textarea", "button")]
        assert focusable[0] == "exit-this-page"
        log = page.one("div", id="log")
        assert (log["role"], log["aria-live"]) == ("log", "polite")
        for control in ("language", "message"):
            assert page.find("label", **{"for": control})
        assert page.one("p", id="typing")["role"] == "status"

    async def test_the_quick_exit_address_is_a_setting(self, client: httpx.AsyncClient, app: FastAPI) -> None:
        app.state.settings.quick_exit_url = "http://127.0.0.1:9/weather"
        page = Page((await client.get("/chat")).text)
        assert page.one("a", id="exit-this-page")["href"] == "http://127.0.0.1:9/weather"


class TestScript:
    """The page keeps nothing in the browser (the browser tests prove it in Chromium; this keeps it so)."""

    def script(self) -> str:
        from api.web.page import STATIC_DIR

        return (STATIC_DIR / "chat.js").read_text()

    def test_no_storage_no_cookies_no_markup_from_data(self) -> None:
        code = self.script()
        for forbidden in ("localStorage", "sessionStorage", "document.cookie", "indexedDB", "innerHTML"):
            assert forbidden not in code
        assert "location.replace(" in code
        assert re.search(r"keepalive:\s*true", code)

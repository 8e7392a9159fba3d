"""Driving the chat page as a person would, and looking at what the server kept."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable

import httpx
from playwright.sync_api import Page, Response

from tools.stack import Stack

BOT_ANSWERED = """n => document.querySelectorAll('#log .msg--service').length > n
    && document.getElementById('log').getAttribute('aria-busy') === 'false'"""


def _is_start(response: Response) -> bool:
    return response.request.method == "POST" and response.url.endswith("/v1/chat/conversations")


class Chat:
    def __init__(self, page: Page, stack: Stack) -> None:
        self.page = page
        self.stack = stack
        self.conversation_id = ""

    def open(self, language: str) -> str:
        """Open the page in a language; returns the bot's first words. The test reads the conversation id
        from the network, as the page keeps it only in a variable."""
        with self.page.expect_response(_is_start) as started:
            self.page.goto(f"{self.stack.api_url}/chat?lang={language}")
        self.conversation_id = started.value.json()["id"]
        return self.wait_for_bot(0)

    def service_texts(self) -> list[str]:
        return self.page.locator("#log .msg--service .msg__text").all_inner_texts()

    def wait_for_bot(self, before: int) -> str:
        self.page.wait_for_function(BOT_ANSWERED, arg=before, timeout=60_000)
        return "\n".join(self.service_texts()[before:])

    def say(self, text: str) -> str:
        """Type a message and press Enter; returns what the bot said back."""
        before = len(self.service_texts())
        self.page.locator("#message").fill(text)
        self.page.locator("#message").press("Enter")
        return self.wait_for_bot(before)

    def tap(self, payload: str) -> str:
        """Tap the choice whose intent this is (a yes/no button also names its question:
        `/affirm{"asked":"safe_to_talk"}`); returns what the bot said back."""
        before = len(self.service_texts())
        selector = f"#choices button[data-payload='{payload}'], #choices button[data-payload^='{payload}{{']"
        self.page.locator(selector).first.click()
        return self.wait_for_bot(before)

    def choices(self) -> list[str]:
        """The intents of the choices shown (without the question a yes/no button names)."""
        return [
            intent(b.get_attribute("data-payload") or "") for b in self.page.locator("#choices button").all()
        ]


def intent(payload: str) -> str:
    return payload.split("{", 1)[0]


def tracker_rows(stack: Stack, conversation_id: str) -> int:
    with sqlite3.connect(stack.data_dir / "rasa-tracker.db") as db:
        (count,) = db.execute(
            "SELECT count(*) FROM events WHERE sender_id = ?", (conversation_id,)
        ).fetchone()
        return int(count)


def message_status(stack: Stack, conversation_id: str) -> int:
    """What the api answers a message to this conversation now."""
    reply = httpx.post(
        f"{stack.api_url}/v1/chat/conversations/{conversation_id}/messages",
        json={"text": "hello"},
        timeout=60,
    )
    return reply.status_code


def eventually(check: Callable[[], bool], timeout: float = 20.0) -> bool:
    """The page ends the conversation with a keepalive request as it leaves: give it a moment."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.25)
    return check()

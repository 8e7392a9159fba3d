"""The web chat in a real browser (Debian's Chromium through Playwright) against the real stack: a whole
hate crime self-referral in English and in Urdu (right to left), quick exit by the button and by Shift
pressed three times, and the chat used with the keyboard alone. Synthetic data only."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page

from flowkit.choices import choice_payload
from tests.browser.chat import Chat, eventually, message_status, tracker_rows
from tests.browser.conftest import DESKTOP, MOBILE
from tools.stack import Stack

pytestmark = pytest.mark.e2e

NewContext = Callable[[dict[str, int]], BrowserContext]
Shoot = Callable[[Page, str], Path]
REFERENCE = re.compile(r"SR-[0-9A-Z]{4}-[0-9A-Z]{4}")
ARABIC_SCRIPT = re.compile(r"[\u0600-\u06FF]")
RACE = choice_payload("race", "hate_strand")
EMPTIED_REPORTER = """() => new MutationObserver(() => console.log('emptied ' + JSON.stringify(
        [location.pathname, document.body.childElementCount, document.title])))
    .observe(document.body, {childList: true})"""
EMPTIED = 'emptied ["/chat",0,""]'
# Whether the person's message with this text shows its first character left of its last one.
DIGITS_IN_ORDER = """text => {
    const node = [...document.querySelectorAll('#log .msg--you .msg__text')]
        .find(e => e.textContent === text).firstChild;
    const x = (i) => { const r = document.createRange(); r.setStart(node, i); r.setEnd(node, i + 1);
                       return r.getBoundingClientRect().x; };
    return x(0) < x(text.length - 1);
}"""


def assert_nothing_kept_in_the_tab(page: Page) -> None:
    kept = page.evaluate("() => [document.cookie, localStorage.length, sessionStorage.length]")
    assert kept == ["", 0, 0]


class TestSelfReferral:
    def test_english_hate_crime_self_referral(
        self, stack: Stack, new_context: NewContext, shoot: Shoot
    ) -> None:
        page = new_context(MOBILE).new_page()
        chat = Chat(page, stack)
        first = chat.open("en")
        assert "are you safe to talk right now?" in first
        assert page.locator("html").get_attribute("dir") == "ltr"
        assert chat.choices() == ["/affirm", "/deny"]
        shoot(page, "start")

        assert "What would you like help with?" in chat.tap("/affirm")
        assert "postcode" in chat.tap("/report_hate_crime")
        assert "may we keep what you tell us" in chat.say("ST4 1AA")
        assert "May we share your details" in chat.tap("/affirm")
        assert "what happened?" in chat.tap("/affirm")
        assert "When did it happen?" in chat.say(
            "Synthetic test: two men on the bus shouted about my skin colour"
        )
        assert "targeted because of any of these" in chat.say("yesterday evening")
        shoot(page, "choices")
        assert "more than once?" in chat.tap(RACE)
        assert "How old are you?" in chat.tap("/deny")
        assert "anything else we should know about" in chat.say("34")
        assert "What phone number" in chat.tap("/skip_question")
        assert "safe for us to send text messages" in chat.say("07700 900 456")
        last = chat.tap("/affirm")

        assert REFERENCE.search(last), last
        assert REFERENCE.search(page.locator("#log").inner_text())
        # What the person chose shows as their words, never as the payload sent.
        mine = page.locator("#log .msg--you .msg__text").all_inner_texts()
        assert "Yes, I agree" in mine and "Race or ethnicity" in mine
        assert not any(text.startswith("/") for text in mine)
        assert_nothing_kept_in_the_tab(page)
        shoot(page, "")

    def test_urdu_hate_crime_self_referral_right_to_left(
        self, stack: Stack, new_context: NewContext, shoot: Shoot
    ) -> None:
        page = new_context(MOBILE).new_page()
        chat = Chat(page, stack)
        chat.open("en")
        entries = page.evaluate("history.length")
        # The person picks Urdu from the language picker: the page reloads in Urdu, right to left.
        page.locator("#language").select_option("ur")
        with page.expect_response(
            lambda r: r.request.method == "POST" and r.url.endswith("/conversations")
        ) as new:
            page.locator("#language-form button[type=submit]").click()
        chat.conversation_id = new.value.json()["id"]
        first = chat.wait_for_bot(0)
        assert page.url.endswith("/chat?lang=ur")
        assert page.locator("html").get_attribute("lang") == "ur"
        assert page.locator("html").get_attribute("dir") == "rtl"
        assert page.evaluate("history.length") == entries, "the language change replaces the page in history"
        assert ARABIC_SCRIPT.search(page.locator("#exit-this-page").inner_text())
        assert ARABIC_SCRIPT.search(first), f"the bot did not greet in Urdu: {first!r}"
        shoot(page, "start")

        yesterday = (date.today() - timedelta(days=1)).strftime("%d/%m/%Y")
        replies = [
            chat.tap("/affirm"),  # safe to talk
            chat.tap("/report_hate_crime"),
            chat.say("ST4 1AA"),
            chat.tap("/affirm"),  # may we keep it
            chat.tap("/affirm"),  # may we share it
            chat.say("مصنوعی مثال: بس میں دو آدمیوں نے میری رنگت کی وجہ سے مجھ پر آوازیں کسیں"),
            chat.say(yesterday),
            chat.tap(RACE),
            chat.tap("/deny"),
            chat.say("34"),
            chat.tap("/skip_question"),
            chat.say("07700 900 456"),
            chat.tap("/affirm"),  # texts are safe
        ]
        for reply in replies:
            assert ARABIC_SCRIPT.search(reply), f"a reply not in Urdu: {reply!r}"
        assert REFERENCE.search(replies[-1]), replies[-1]
        # A number the person typed reads left to right on the right-to-left page.
        assert page.evaluate(DIGITS_IN_ORDER, "07700 900 456")

        # Right to left: the service's messages sit on the right, the person's on the left.
        service = page.locator("#log .msg--service").first.bounding_box()
        mine = page.locator("#log .msg--you").first.bounding_box()
        assert service is not None and mine is not None
        assert service["x"] + service["width"] > mine["x"] + mine["width"]
        assert mine["x"] < service["x"]
        assert_nothing_kept_in_the_tab(page)
        shoot(page, "")


class TestQuickExit:
    def start_and_answer(self, chat: Chat) -> int:
        """Start a conversation and answer two questions; the tab's history length then."""
        chat.open("en")
        chat.tap("/affirm")
        chat.tap("/report_hate_crime")
        assert tracker_rows(chat.stack, chat.conversation_id) > 0, "the tracker should hold the conversation"
        assert_nothing_kept_in_the_tab(chat.page)
        return int(chat.page.evaluate("history.length"))

    def watch_the_page(self, page: Page) -> list[str]:
        """What the page looks like the moment the exit empties it, still on the chat's address (so before
        the neutral site has even answered): reported through the console, as the page is about to go."""
        seen: list[str] = []
        page.on("console", lambda message: seen.append(message.text))
        page.evaluate(EMPTIED_REPORTER)
        return seen

    def assert_gone(
        self, context: BrowserContext, page: Page, chat: Chat, neutral_site: str, entries: int
    ) -> None:
        page.wait_for_url(neutral_site)
        assert page.title() == "Weather forecast"
        assert page.locator("#log").count() == 0
        assert "hate crime" not in page.content().lower()
        # Not in history: the chat's entry became the neutral site (no entry added), and Back goes to what
        # came before the chat (here the new tab's blank page), never to the chat.
        assert page.evaluate("history.length") == entries
        page.go_back()
        assert page.url == "about:blank"
        assert page.locator("#log").count() == 0
        page.go_forward()
        assert page.url == neutral_site
        assert context.cookies() == []
        assert context.storage_state()["origins"] == []
        # The server ended the conversation and forgot it.
        assert eventually(lambda: tracker_rows(chat.stack, chat.conversation_id) == 0)
        assert message_status(chat.stack, chat.conversation_id) == 410

    def test_quick_exit_by_button(
        self, stack: Stack, new_context: NewContext, shoot: Shoot, neutral_site: str
    ) -> None:
        context = new_context(MOBILE)
        page = context.new_page()
        chat = Chat(page, stack)
        entries = self.start_and_answer(chat)
        shoot(page, "before")
        seen = self.watch_the_page(page)
        page.locator("#exit-this-page").click()
        self.assert_gone(context, page, chat, neutral_site, entries)
        assert EMPTIED in seen, seen
        shoot(page, "after")

    def test_quick_exit_by_shift_three_times(
        self, stack: Stack, new_context: NewContext, shoot: Shoot, neutral_site: str
    ) -> None:
        context = new_context(DESKTOP)
        page = context.new_page()
        chat = Chat(page, stack)
        entries = self.start_and_answer(chat)
        page.locator("#message").focus()
        # Shift with another key (a capital letter) never counts, nor two presses then a pause.
        for _ in range(3):
            page.keyboard.down("Shift")
            page.keyboard.press("KeyA")
            page.keyboard.up("Shift")
        page.keyboard.press("Shift")
        page.keyboard.press("Shift")
        page.wait_for_timeout(1200)
        page.keyboard.press("Shift")
        page.wait_for_timeout(300)
        assert page.url.startswith(f"{stack.api_url}/chat"), "quick exit went off without three quick presses"
        assert page.locator("#message").input_value() == "AAA"
        shoot(page, "before")

        seen = self.watch_the_page(page)
        for _ in range(3):
            page.keyboard.press("Shift")
        self.assert_gone(context, page, chat, neutral_site, entries)
        assert EMPTIED in seen, seen
        shoot(page, "after")


class TestKeyboardOnly:
    def active(self, page: Page) -> str:
        return str(
            page.evaluate(
                "() => { const e = document.activeElement;"
                " const p = e.dataset.payload;"
                " return p ? 'choice:' + p.split('{')[0] : (e.id || e.tagName); }"
            )
        )

    def test_keyboard_only(self, stack: Stack, new_context: NewContext, shoot: Shoot) -> None:
        page = new_context(DESKTOP).new_page()
        chat = Chat(page, stack)
        chat.open("en")

        order = []
        for _ in range(12):
            page.keyboard.press("Tab")
            order.append(self.active(page))
            if order[-1] == "send":
                break
        assert order[0] == "exit-this-page", order
        assert order.index("choice:/affirm") < order.index("message") < order.index("send"), order
        assert "language" in order and "log" in order, order
        shoot(page, "focus")

        # Back to the "Yes" choice (Shift+Tab never sets off the quick exit), and Enter chooses it.
        while self.active(page) != "choice:/affirm":
            page.keyboard.press("Shift+Tab")
        before = len(chat.service_texts())
        page.keyboard.press("Enter")
        assert "What would you like help with?" in chat.wait_for_bot(before)
        assert self.active(page) == "message", "after a choice, focus goes to the message box"

        # The choices are reached from the message box; Space chooses one too.
        for _ in range(12):
            if self.active(page) == "choice:/report_hate_crime":
                break
            page.keyboard.press("Shift+Tab")
        before = len(chat.service_texts())
        page.keyboard.press("Space")
        assert "postcode" in chat.wait_for_bot(before)

        # Typing and Enter sends.
        assert self.active(page) == "message"
        page.keyboard.type("ST4 1AA")
        before = len(chat.service_texts())
        page.keyboard.press("Enter")
        assert "may we keep what you tell us" in chat.wait_for_bot(before)
        assert page.locator("#log .msg--you .msg__text").last.inner_text() == "ST4 1AA"
        assert page.locator("#message").input_value() == ""
        assert page.url.startswith(f"{stack.api_url}/chat")
        shoot(page, "")

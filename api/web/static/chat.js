/*
 * The web chat. It talks to this origin's JSON API only, and keeps the conversation's id in a variable:
 * nothing is written to cookies or to any of the browser's storage, and the id never appears in the address.
 * The conversation ends when the tab goes (pagehide) or on quick exit.
 *
 * Quick exit (the GOV.UK "Exit this page" pattern): the button at the top, or the Shift key pressed three
 * times within a second (Shift held with any other key does not count). It empties the page first, ends the
 * conversation on the server (a keepalive request outlives the page), then replaces this page with a neutral
 * site in the same tab, so Back does not return to the chat.
 */
(function () {
  "use strict";

  var API = "/v1/chat/conversations";
  var SHIFT_WINDOW_MS = 1000;
  var SHIFT_PRESSES = 3;

  var conversationId = null;
  var busy = false;
  var leaving = false;
  var exitUrl = null;
  var language = document.documentElement.lang || "en";
  var bodyLanguage = null; // the language of the bot's last reply, when the api names it
  var el = {};
  var words = {};

  // ---- quick exit -------------------------------------------------------------------------------------

  function endConversation(id) {
    if (!id) return;
    try {
      fetch(API + "/" + encodeURIComponent(id), {
        method: "DELETE",
        keepalive: true,
        credentials: "omit",
        cache: "no-store",
      }).catch(function () {});
    } catch (ignored) {
      // The page is going anyway; the server ends idle conversations in time.
    }
  }

  function quickExit(event) {
    if (event) event.preventDefault();
    if (leaving) return;
    leaving = true;
    var id = conversationId;
    conversationId = null;
    // First the page: nothing of the chat may stay on screen, even for a moment.
    document.title = "";
    document.body.replaceChildren();
    endConversation(id);
    // replace(), not assign(): the chat's history entry becomes the neutral site.
    window.location.replace(exitUrl || "about:blank");
  }

  var shiftTimes = [];
  var shiftWithOtherKey = false;

  function onKeyDown(event) {
    if (event.key === "Shift") {
      if (!event.repeat) shiftWithOtherKey = false;
      return;
    }
    // Any other key breaks the sequence; Shift held with it (a capital letter) never counts.
    shiftTimes = [];
    if (event.shiftKey) shiftWithOtherKey = true;
  }

  function onKeyUp(event) {
    if (event.key !== "Shift") return;
    if (shiftWithOtherKey) {
      shiftWithOtherKey = false;
      shiftTimes = [];
      return;
    }
    var now = Date.now();
    shiftTimes = shiftTimes.filter(function (t) {
      return now - t < SHIFT_WINDOW_MS;
    });
    shiftTimes.push(now);
    if (shiftTimes.length >= SHIFT_PRESSES) quickExit();
  }

  // ---- talking to the API -----------------------------------------------------------------------------

  function request(method, path, body) {
    return fetch(path, {
      method: method,
      headers: { "Content-Type": "application/json", "Accept-Language": language },
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "omit",
      cache: "no-store",
    });
  }

  function setBusy(value) {
    busy = value;
    el.typing.hidden = !value;
    el.log.setAttribute("aria-busy", value ? "true" : "false");
    el.send.disabled = value || !conversationId;
    Array.prototype.forEach.call(el.choices.querySelectorAll("button"), function (button) {
      button.disabled = value;
    });
  }

  function showError(text) {
    el.error.textContent = text || words.error;
    el.error.hidden = false;
  }

  function hideError() {
    el.error.hidden = true;
    el.error.textContent = "";
  }

  function addMessage(who, text) {
    var item = document.createElement("div");
    item.className = "msg msg--" + who;
    var label = document.createElement("span");
    label.className = "visually-hidden";
    label.textContent = (who === "you" ? words.you : words.service) + ": ";
    var body = document.createElement("p");
    body.className = "msg__text";
    body.textContent = text;
    // What the person wrote takes its direction from its own first letters: "07700 900 456" stays in
    // order on a right-to-left page.
    if (who === "you") body.dir = "auto";
    item.appendChild(label);
    item.appendChild(body);
    if (who === "service" && bodyLanguage) {
      // The bot may carry on in another language than the page's (the person asked it to).
      item.lang = bodyLanguage.lang;
      item.dir = bodyLanguage.dir;
    }
    el.log.appendChild(item);
    el.log.scrollTop = el.log.scrollHeight;
    return item;
  }

  function clearChoices() {
    el.choices.replaceChildren();
    el.choices.hidden = true;
  }

  function showChoices(buttons) {
    clearChoices();
    if (!buttons || !buttons.length) return;
    buttons.forEach(function (choice) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "choice";
      button.textContent = choice.title;
      button.dataset.payload = choice.payload;
      button.addEventListener("click", function () {
        // The payload goes to the bot ("/affirm" is an intent); the person sees the words they chose.
        say(choice.payload, choice.title, true);
      });
      el.choices.appendChild(button);
    });
    el.choices.hidden = false;
  }

  function conversationOver() {
    conversationId = null;
    clearChoices();
    el.input.disabled = true;
    el.send.disabled = true;
    showError(words.ended);
    el.restart.hidden = false;
  }

  async function say(text, shownAs, fromChoice) {
    if (!conversationId || busy) return false;
    hideError();
    clearChoices();
    if (shownAs) addMessage("you", shownAs);
    if (fromChoice) el.input.focus();
    setBusy(true);
    try {
      var reply = await request("POST", API + "/" + encodeURIComponent(conversationId) + "/messages", {
        text: text,
      });
      if (reply.status === 404 || reply.status === 410) {
        conversationOver();
        return true;
      }
      if (!reply.ok) throw new Error(String(reply.status));
      var body = await reply.json();
      bodyLanguage = body.language ? { lang: body.language, dir: body.direction || "auto" } : null;
      var last = null;
      var firstNew = null;
      body.messages.forEach(function (message) {
        var item = addMessage("service", message.text);
        firstNew = firstNew || item;
        last = message;
      });
      showChoices(last ? last.buttons : []);
      // On a phone the page scrolls: bring the start of the reply into view, below the exit bar.
      if (firstNew && window.matchMedia("(max-width: 40rem)").matches) {
        firstNew.scrollIntoView({ block: "start" });
      }
      return true;
    } catch (failure) {
      showError();
      return false;
    } finally {
      setBusy(false);
    }
  }

  async function start() {
    setBusy(true);
    try {
      var reply = await request("POST", API, { language: language });
      if (!reply.ok) throw new Error(String(reply.status));
      conversationId = (await reply.json()).id;
    } catch (failure) {
      setBusy(false);
      showError();
      el.restart.hidden = false;
      return;
    }
    setBusy(false);
    el.input.disabled = false;
    el.send.disabled = false;
    // The bot speaks first: its greeting and its first question.
    await say("/greet", null, false);
  }

  // ---- the page -----------------------------------------------------------------------------------------

  async function onSubmit(event) {
    event.preventDefault();
    var text = el.input.value.trim();
    if (!text || busy || !conversationId) return;
    el.input.value = "";
    var delivered = await say(text, text, false);
    if (!delivered && !el.input.value) el.input.value = text; // never lose what the person wrote
  }

  function onInputKey(event) {
    // Enter sends; Shift+Enter makes a new line; an input method still composing keeps its Enter.
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      el.composer.requestSubmit();
    }
  }

  function reloadIn(code) {
    // replace(): one history entry for the chat, whatever the language, so quick exit removes it all.
    window.location.replace("/chat?lang=" + encodeURIComponent(code));
  }

  function init() {
    el.exit = document.getElementById("exit-this-page");
    el.main = document.getElementById("chat");
    el.log = document.getElementById("log");
    el.typing = document.getElementById("typing");
    el.error = document.getElementById("error");
    el.choices = document.getElementById("choices");
    el.composer = document.getElementById("composer");
    el.input = document.getElementById("message");
    el.send = document.getElementById("send");
    el.restart = document.getElementById("restart");
    el.languageForm = document.getElementById("language-form");
    el.language = document.getElementById("language");
    exitUrl = el.exit.href;
    words = {
      you: el.main.dataset.you,
      service: el.main.dataset.service,
      error: el.main.dataset.error,
      ended: el.main.dataset.ended,
    };

    el.exit.addEventListener("click", quickExit);
    document.addEventListener("keydown", onKeyDown, true);
    document.addEventListener("keyup", onKeyUp, true);
    el.composer.addEventListener("submit", onSubmit);
    el.input.addEventListener("keydown", onInputKey);
    el.languageForm.addEventListener("submit", function (event) {
      event.preventDefault();
      reloadIn(el.language.value);
    });
    el.restart.addEventListener("click", function () {
      reloadIn(language);
    });
    window.addEventListener("pagehide", function () {
      var id = conversationId;
      conversationId = null;
      endConversation(id);
    });
    window.addEventListener("pageshow", function (event) {
      // Back to a page the browser kept in memory: its conversation has ended, so start afresh.
      if (event.persisted) reloadIn(language);
    });
    start();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();

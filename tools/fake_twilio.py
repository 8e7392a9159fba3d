"""A local fake of Twilio's Messages REST API, for `make run` and the tests: nothing ever calls Twilio.

    python -m tools.fake_twilio --port 8099      # credentials from TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN

- `POST /2010-04-01/Accounts/{AccountSid}/Messages.json`: HTTP Basic auth with the account SID and auth
  token (a wrong one is 401, Twilio's error 20003); form fields `To`, `From`, `Body`, `StatusCallback`.
  Answers 201 with Twilio's message JSON (`sid` "SM" + 32 hex, `status` "queued", …), or Twilio's error
  JSON: 21211 (400) for a `To` that is not E.164, 21602 for no body, 21617 over 1,600 characters, 21610
  for a number that texted STOP, 20429 (429) when told to throttle.
- `GET /2010-04-01/Accounts/{AccountSid}/Messages.json` lists messages newest first, filtered by `To`,
  `From` and `DateSent` (YYYY-MM-DD; `DateSent<` / `DateSent>` on or before / after), `PageSize` (default
  50, at most 1,000), in Twilio's page shape (`messages`, `page`, `page_size`, `next_page_uri`…);
  `GET …/Messages/{Sid}.json` fetches one (20404 when unknown). Both need the same Basic auth.
- Then it calls the `StatusCallback` with `sent` and `delivered` (Twilio's form fields), each signed with
  the auth token by the twilio library (`X-Twilio-Signature`), in order or, when told, reversed.
- Test controls, not Twilio's: `GET /_fake/messages` (what was sent, with each callback's answer),
  `POST /_fake/config` (JSON: `throttle_next` how many sends answer 429, `reverse_callbacks`,
  `callback_delay` seconds, `statuses` to report, `opted_out` numbers, `drop_answer_next` how many
  sends are accepted but answered by closing the connection: the message exists, the sender never
  hears; `trial` to store every body behind a trial account's prefix, as Twilio does),
  `POST /_fake/reset`, `GET /healthz`.
- `python -m tools.fake_twilio --text "hello" [--api URL --from +447700900123]` texts the helpline the way
  Twilio would deliver it (a signed inbound webhook), for trying `make run` by hand.

Standard library HTTP server plus the twilio library's signer; loopback only; keeps everything in memory.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hmac
import json
import os
import re
import secrets
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from twilio.request_validator import RequestValidator

E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
MESSAGES_PATH = re.compile(r"^/2010-04-01/Accounts/(?P<account>AC[0-9A-Za-z]{1,34}|[^/]+)/Messages\.json$")
MESSAGE_PATH = re.compile(
    r"^/2010-04-01/Accounts/(?P<account>AC[0-9A-Za-z]{1,34}|[^/]+)/Messages/(?P<sid>SM[0-9a-f]{32})\.json$"
)
PUBLIC_FIELDS = (
    "account_sid", "api_version", "body", "date_created", "date_sent", "date_updated", "direction",
    "error_code", "error_message", "from", "messaging_service_sid", "num_media", "num_segments", "price",
    "price_unit", "sid", "status", "subresource_uris", "to", "uri",
)  # fmt: skip
MAX_BODY = 1600
TRIAL_PREFIX = "Sent from your Twilio trial account - "  # what a trial account puts before every body
DOCS = "https://www.twilio.com/docs/errors/"


def _error(code: int, message: str, status: int) -> tuple[int, dict[str, Any]]:
    return status, {"code": code, "message": message, "more_info": f"{DOCS}{code}", "status": status}


def _on_days(day: str, days: dict[str, str | None]) -> bool:
    """DateSent (that day), DateSent< (on or before) and DateSent> (on or after), as Twilio reads them."""
    exact, before, after = days[""], days["<"], days[">"]
    return not ((exact and day != exact) or (before and day > before) or (after and day < after))


def _segments(body: str) -> int:
    try:
        from api.sms.segments import segments

        return max(segments(body), 1)
    except ImportError:  # pragma: no cover — the fake also runs without the api on the path
        return 1


class FakeTwilio:
    """The fake's state: credentials, what was sent, and the test controls."""

    def __init__(self, account_sid: str, auth_token: str) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.lock = threading.Lock()
        self.messages: list[dict[str, Any]] = []
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.messages.clear()
            self.throttle_next = 0
            self.reverse_callbacks = False
            self.callback_delay = 0.05
            self.statuses = ["sent", "delivered"]
            self.opted_out: set[str] = set()
            self.attempts = 0
            self.drop_answer_next = 0
            self.trial = False

    def configure(self, config: dict[str, Any]) -> None:
        with self.lock:
            self.throttle_next = int(config.get("throttle_next", self.throttle_next))
            self.reverse_callbacks = bool(config.get("reverse_callbacks", self.reverse_callbacks))
            self.callback_delay = float(config.get("callback_delay", self.callback_delay))
            self.statuses = [str(s) for s in config.get("statuses", self.statuses)]
            self.opted_out = {str(n) for n in config.get("opted_out", self.opted_out)}
            self.drop_answer_next = int(config.get("drop_answer_next", self.drop_answer_next))
            # A trial account: Twilio stores (and sends) every body with its trial prefix before it.
            self.trial = bool(config.get("trial", self.trial))

    def take_drop(self) -> bool:
        """Whether this send's answer is to be lost (a test control)."""
        with self.lock:
            if self.drop_answer_next > 0:
                self.drop_answer_next -= 1
                return True
            return False

    def _public(self, record: dict[str, Any]) -> dict[str, Any]:
        message = {k: record.get(k) for k in PUBLIC_FIELDS}
        message["status"] = record["callbacks"][-1]["status"] if record.get("callbacks") else record["status"]
        return message

    def list_messages(self, query: dict[str, str]) -> tuple[int, dict[str, Any]]:
        """Twilio's Message list: newest first, filtered by To, From and DateSent, one page."""
        try:
            size = min(max(int(query.get("PageSize") or 50), 1), 1000)
        except ValueError:
            return _error(20001, "Invalid PageSize", 400)
        days = {op: query.get(f"DateSent{op}") for op in ("", "<", ">")}
        with self.lock:
            records = list(reversed(self.messages))
        selected = []
        for record in records:
            if query.get("To") and record["to"] != query["To"]:
                continue
            if query.get("From") and record["from"] != query["From"]:
                continue
            day = time.strftime("%Y-%m-%d", time.gmtime(record["received_at"]))
            if not _on_days(day, days):
                continue
            selected.append(self._public(record))
        page = selected[:size]
        uri = f"/2010-04-01/Accounts/{self.account_sid}/Messages.json?PageSize={size}"
        return 200, {
            "messages": page,
            "page": 0,
            "page_size": size,
            "start": 0,
            "end": max(len(page) - 1, 0),
            "first_page_uri": uri + "&Page=0",
            "previous_page_uri": None,
            "next_page_uri": None,  # the fake keeps few messages: one page
            "uri": uri + "&Page=0",
        }

    def fetch_message(self, sid: str) -> tuple[int, dict[str, Any]]:
        with self.lock:
            found = [r for r in self.messages if r["sid"] == sid]
        if not found:
            return _error(20404, f"The requested resource {sid} was not found", 404)
        return 200, self._public(found[0])

    def authorised(self, header: str | None, account: str) -> bool:
        if not header or not header.startswith("Basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        return (
            hmac.compare_digest(user, self.account_sid)
            and hmac.compare_digest(password, self.auth_token)
            and account == self.account_sid
        )

    def create_message(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        with self.lock:
            self.attempts += 1
            if self.throttle_next > 0:
                self.throttle_next -= 1
                return _error(20429, "Too Many Requests", 429)
            opted_out = set(self.opted_out)
            trial = self.trial
        to, sender, body = form.get("To", ""), form.get("From", ""), form.get("Body", "")
        if not E164.match(to):
            return _error(21211, f"The 'To' number {to} is not a valid phone number.", 400)
        if not E164.match(sender):
            return _error(21212, f"The 'From' number {sender} is not a valid phone number.", 400)
        if not body:
            return _error(21602, "Message body is required.", 400)
        if len(body) > MAX_BODY:
            return _error(21617, "The concatenated message body exceeds the 1600 character limit.", 400)
        if to in opted_out:
            return _error(21610, "Attempt to send to unsubscribed recipient", 400)
        if trial:
            body = TRIAL_PREFIX + body
        sid = "SM" + secrets.token_hex(16)
        now = formatdate(usegmt=True)
        message = {
            "account_sid": self.account_sid,
            "api_version": "2010-04-01",
            "body": body,
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": sender,
            "messaging_service_sid": None,
            "num_media": "0",
            "num_segments": str(_segments(body)),
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            "status": "queued",
            "subresource_uris": {
                "media": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}/Media.json"
            },
            "to": to,
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}.json",
        }
        record = {
            **message,
            "status_callback": form.get("StatusCallback"),
            "callbacks": [],
            "received_at": time.time(),  # the fake's own: lets tests measure pacing
        }
        with self.lock:
            self.messages.append(record)
            statuses = list(self.statuses)
            if self.reverse_callbacks:
                statuses.reverse()
            delay = self.callback_delay
        callback = form.get("StatusCallback")
        if callback:
            threading.Thread(
                target=self._call_back, args=(record, callback, statuses, delay), daemon=True
            ).start()
        return 201, message

    def _call_back(self, record: dict[str, Any], url: str, statuses: list[str], delay: float) -> None:
        validator = RequestValidator(self.auth_token)
        for status in statuses:
            time.sleep(delay)
            params = {
                "AccountSid": self.account_sid,
                "ApiVersion": "2010-04-01",
                "From": record["from"],
                "MessageSid": record["sid"],
                "MessageStatus": status,
                "SmsSid": record["sid"],
                "SmsStatus": status,
                "To": record["to"],
            }
            if status in ("undelivered", "failed"):
                params["ErrorCode"] = "30003"
            data = urllib.parse.urlencode(params).encode()
            request = urllib.request.Request(  # noqa: S310 — the api's own callback URL, on loopback
                url,
                data=data,
                headers={
                    "Content-Type": "application/x-www-form-urlencoded",
                    "X-Twilio-Signature": validator.compute_signature(url, params),
                    "User-Agent": "TwilioProxy/1.1 (fake)",
                },
            )
            try:
                with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                    answer = response.status
            except urllib.error.HTTPError as exc:
                answer = exc.code
            except (urllib.error.URLError, OSError):
                answer = 0
            with self.lock:
                record["callbacks"].append({"status": status, "http_status": answer})

    def sent(self) -> list[dict[str, Any]]:
        with self.lock:
            return json.loads(json.dumps(self.messages))


def make_handler(fake: FakeTwilio) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "FakeTwilio/1.0"

        def log_message(self, format: str, *args: Any) -> None:
            pass  # bodies and numbers are not logged, even fake ones

        def _json(self, status: int, payload: Any) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            if status == 401:
                self.send_header("WWW-Authenticate", 'Basic realm="Twilio API"')
            self.end_headers()
            self.wfile.write(data)

        def _body(self) -> bytes:
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def do_GET(self) -> None:
            path, _, query = self.path.partition("?")
            listing, one = MESSAGES_PATH.match(path), MESSAGE_PATH.match(path)
            if path == "/healthz":
                self._json(200, {"status": "ok"})
            elif path == "/_fake/messages":
                self._json(200, {"messages": fake.sent(), "attempts": fake.attempts})
            elif listing or one:
                match = listing or one
                assert match is not None
                if not fake.authorised(self.headers.get("Authorization"), match["account"]):
                    self._json(*_error(20003, "Authenticate", 401))
                elif one is not None:
                    self._json(*fake.fetch_message(one["sid"]))
                else:
                    self._json(*fake.list_messages(dict(urllib.parse.parse_qsl(query))))
            else:
                self._json(*_error(20404, "The requested resource was not found", 404))

        def do_POST(self) -> None:
            body = self._body()
            if self.path == "/_fake/reset":
                fake.reset()
                self._json(200, {"status": "reset"})
                return
            if self.path == "/_fake/config":
                fake.configure(json.loads(body or b"{}"))
                self._json(200, {"status": "configured"})
                return
            match = MESSAGES_PATH.match(self.path)
            if match is None:
                self._json(*_error(20404, "The requested resource was not found", 404))
                return
            if not fake.authorised(self.headers.get("Authorization"), match["account"]):
                self._json(*_error(20003, "Authenticate", 401))
                return
            form = dict(urllib.parse.parse_qsl(body.decode("utf-8"), keep_blank_values=True))
            answer = fake.create_message(form)
            if answer[0] == 201 and fake.take_drop():
                self.close_connection = True  # accepted, and the sender never hears: a lost answer
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            self._json(*answer)

    return Handler


class FakeTwilioServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int, fake: FakeTwilio) -> None:
        super().__init__(("127.0.0.1", port), make_handler(fake))
        self.fake = fake


def serve(port: int, account_sid: str, auth_token: str) -> FakeTwilioServer:
    """The fake, bound to 127.0.0.1:`port` (0: any free port), not yet serving."""
    return FakeTwilioServer(port, FakeTwilio(account_sid, auth_token))


def text(api: str, body: str, sender: str, to: str, account_sid: str, auth_token: str) -> int:
    """Text the helpline as Twilio would deliver it: a signed inbound webhook to the api. The HTTP status."""
    url = api.rstrip("/") + "/v1/channels/sms/inbound"
    sid = "SM" + secrets.token_hex(16)
    params = {"MessageSid": sid, "SmsMessageSid": sid, "AccountSid": account_sid, "From": sender, "To": to,
              "Body": body, "NumMedia": "0", "ApiVersion": "2010-04-01"}  # fmt: skip
    request = urllib.request.Request(  # noqa: S310 — the local api
        url,
        data=urllib.parse.urlencode(params).encode(),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": RequestValidator(auth_token).compute_signature(url, params),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="A local fake of Twilio's Messages REST API.")
    parser.add_argument("--port", type=int, default=8099)
    parser.add_argument("--text", metavar="BODY", help="instead of serving: text BODY to the api, signed")
    parser.add_argument("--api", default="http://127.0.0.1:8000", help="with --text: the api's public URL")
    parser.add_argument("--from", dest="sender", default="+447700900123", help="with --text: who texts")
    parser.add_argument("--to", default="+447700900000", help="with --text: the helpline number")
    args = parser.parse_args(argv)
    account_sid = os.environ.get("TWILIO_ACCOUNT_SID", "AC" + "0" * 32)
    auth_token = os.environ.get("TWILIO_AUTH_TOKEN", "fake-auth-token")
    if args.text is not None:
        print(text(args.api, args.text, args.sender, args.to, account_sid, auth_token))
        return
    server = serve(args.port, account_sid, auth_token)
    print(f"fake Twilio on http://127.0.0.1:{args.port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()

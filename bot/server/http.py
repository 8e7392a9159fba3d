"""Rasa's HTTP calls (to the action server, to the api's NLG endpoint) over kept-alive connections.

Rasa 3.6's `EndpointConfig.request` opens a new `aiohttp.ClientSession`, so a new TCP connection, for every
request and closes it afterwards: two to four new connections a chat turn (issue 16). `pooled_request` is the
same request (same headers, query, auth, compression, TLS context, errors and answer) through one session
per event loop, whose connections stay open between requests. `install()` makes every `EndpointConfig.request`
use it; the bot's NLG generator (bot/server/nlg.py), which Rasa makes at start from bot/endpoints.yml, calls
it unless its endpoint says `keep_alive: false`.

The session writes request bodies with ujson (already in the environment with Rasa) instead of the standard
library's encoder: the action server is sent the whole tracker with each call, and encoding it was ~7 % of
Rasa's event loop under load (py-spy, 20 people); ujson writes the same JSON ~2.5 times as fast
(tests/bot/nlg_checks.py: the bodies parse to the same values).
"""

from __future__ import annotations

import asyncio
import functools
import ssl
from typing import Any

import aiohttp
import ujson
from aiohttp import ContentTypeError
from rasa.core.constants import DEFAULT_REQUEST_TIMEOUT
from rasa.shared.exceptions import FileNotFoundException
from rasa.utils.endpoints import ClientResponseError, EndpointConfig, concat_url

# Connections kept per host: the action server and the api, both on 127.0.0.1.
CONNECTIONS_PER_HOST = 64
# Well under the servers' own idle limit (uvicorn's and Sanic's 5 s): a connection the server is closing is
# never reused ("Cannot write to closing transport", seen at 10 people with 30 s here).
KEEPALIVE_SECONDS = 2.0

_sessions: dict[asyncio.AbstractEventLoop, aiohttp.ClientSession] = {}

# A request's JSON body: UTF-8 as it is, "/" unescaped (both as valid as the standard library's escapes).
json_dumps = functools.partial(ujson.dumps, ensure_ascii=False, escape_forward_slashes=False)


def shared_session() -> aiohttp.ClientSession:
    """The running loop's session (made on first use; a session belongs to the loop it was made on)."""
    loop = asyncio.get_running_loop()
    session = _sessions.get(loop)
    if session is None or session.closed:
        for other in [lp for lp in _sessions if lp.is_closed()]:
            del _sessions[other]  # loops that ended (tests run several); their sessions went with them
        connector = aiohttp.TCPConnector(
            limit_per_host=CONNECTIONS_PER_HOST, keepalive_timeout=KEEPALIVE_SECONDS
        )
        session = aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
            json_serialize=json_dumps,
        )
        _sessions[loop] = session
    return session


async def close_sessions() -> None:
    """Close the running loop's session (at shutdown)."""
    session = _sessions.pop(asyncio.get_running_loop(), None)
    if session is not None:
        await session.close()


async def pooled_request(
    self: EndpointConfig,
    method: str = "post",
    subpath: str | None = None,
    content_type: str | None = "application/json",
    compress: bool = False,
    **kwargs: Any,
) -> Any | None:
    """`EndpointConfig.request` (Rasa 3.6.21) with the session kept instead of made and closed each time."""
    headers: dict[str, Any] = {}
    if content_type:
        headers["Content-Type"] = content_type
    if "headers" in kwargs:
        headers.update(kwargs.pop("headers"))
    if self.headers:
        headers.update(self.headers)
    url = concat_url(self.url, subpath)
    sslcontext = None
    if self.cafile:
        try:
            sslcontext = ssl.create_default_context(cafile=self.cafile)
        except FileNotFoundError as e:
            raise FileNotFoundException(
                f"Failed to find certificate file, '{self.cafile}' does not exist."
            ) from e
    auth = (
        aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"])
        if self.basic_auth
        else None
    )
    async with shared_session().request(
        method,
        url,
        headers=headers,
        params=self.combine_parameters(kwargs),
        compress=compress,
        ssl=sslcontext,
        auth=auth,
        **kwargs,
    ) as response:
        if response.status >= 400:
            raise ClientResponseError(response.status, response.reason or "", await response.content.read())
        try:
            return await response.json()
        except ContentTypeError:
            return None


def install() -> None:
    EndpointConfig.request = pooled_request

"""A byte meter for benchmarks (not a test): a TCP relay, in its own process, between Rasa and the action
server, that counts the action calls (each `POST /webhook` request line) and the bytes each way.

    meter = ByteMeter(upstream_port=5055)   # listens on a free port of 127.0.0.1
    meter.start()                            # point Rasa's action endpoint at http://127.0.0.1:{meter.port}
    ...
    traffic = meter.traffic()                # calls, bytes sent (Rasa -> actions), bytes received
    meter.stop()

It reads nothing of what it relays beyond the request line it counts (the bodies hold synthetic
conversations in the benchmarks; it keeps none of them).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import socket
from dataclasses import dataclass
from multiprocessing.sharedctypes import SynchronizedArray
from typing import Any

REQUEST_LINE = b"POST /webhook"
CALLS, SENT, RECEIVED = 0, 1, 2


@dataclass(frozen=True)
class Traffic:
    calls: int
    sent: int
    received: int

    def sent_per_call(self) -> float:
        return self.sent / self.calls if self.calls else 0.0

    def received_per_call(self) -> float:
        return self.received / self.calls if self.calls else 0.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _pump(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, counts: Any, index: int, count_calls: bool
) -> None:
    tail = b""
    try:
        while chunk := await reader.read(65536):
            counts[index] += len(chunk)
            if count_calls:
                seen = tail + chunk
                counts[CALLS] += seen.count(REQUEST_LINE)
                tail = seen[-(len(REQUEST_LINE) - 1) :]
            writer.write(chunk)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        writer.close()


async def _relay(port: int, upstream_port: int, counts: Any) -> None:
    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", upstream_port)
        except OSError:
            writer.close()
            return
        await asyncio.gather(
            _pump(reader, up_writer, counts, SENT, True),
            _pump(up_reader, writer, counts, RECEIVED, False),
        )

    server = await asyncio.start_server(connection, "127.0.0.1", port)
    async with server:
        await server.serve_forever()


def _serve(port: int, upstream_port: int, counts: Any) -> None:
    asyncio.run(_relay(port, upstream_port, counts))


class ByteMeter:
    def __init__(self, upstream_port: int) -> None:
        self.port = _free_port()
        self.upstream_port = upstream_port
        self._counts: SynchronizedArray[int] = multiprocessing.Array("q", 3)
        self._process: multiprocessing.Process | None = None

    def start(self) -> None:
        self._process = multiprocessing.Process(
            target=_serve, args=(self.port, self.upstream_port, self._counts), daemon=True
        )
        self._process.start()

    def traffic(self) -> Traffic:
        with self._counts.get_lock():
            calls, sent, received = (int(self._counts[i]) for i in (CALLS, SENT, RECEIVED))
        return Traffic(calls=calls, sent=sent, received=received)

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.join(timeout=5)
            self._process = None

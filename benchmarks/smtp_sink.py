"""A fast SMTP sink for the sending benchmark: accepts and counts, keeps nothing.

aiosmtpd (what the tests use) reads a message line by line and would be the bottleneck; this
sink reads each message to its final `.` in one call, so the figure is the sender's. It speaks
just enough SMTP for any client: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT, and takes
commands pipelined (RFC 2920), as Postfix and the email services do.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection

LIMIT = 64 * 1024 * 1024  # the largest message it reads


@dataclass
class SinkStats:
    messages: int = 0
    bytes: int = 0
    first: float = 0.0  # time.monotonic() of the first and last accepted message
    last: float = 0.0

    @property
    def rate(self) -> float:
        """Messages per second between the first and the last one."""
        span = self.last - self.first
        return (self.messages - 1) / span if self.messages > 1 and span > 0 else 0.0


async def _session(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, stats: SinkStats) -> None:
    writer.write(b"220 sink ESMTP\r\n")
    try:
        while line := await reader.readline():
            verb = line[:4].upper()
            if verb == b"EHLO":
                writer.write(b"250-sink\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")
            elif verb in (b"HELO", b"MAIL", b"RCPT", b"RSET", b"NOOP"):
                writer.write(b"250 OK\r\n")
            elif verb == b"DATA":
                writer.write(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                await writer.drain()
                data = await reader.readuntil(b"\r\n.\r\n")
                now = time.monotonic()
                stats.messages += 1
                stats.bytes += len(data)
                stats.first = stats.first or now
                stats.last = now
                writer.write(b"250 2.0.0 queued\r\n")
            elif verb == b"QUIT":
                writer.write(b"221 bye\r\n")
                break
            else:
                writer.write(b"500 unknown command\r\n")
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


def _serve(control: Connection) -> None:
    stats = SinkStats()

    async def main() -> None:
        server = await asyncio.start_server(lambda r, w: _session(r, w, stats), "127.0.0.1", 0, limit=LIMIT)
        control.send(server.sockets[0].getsockname()[1])
        loop = asyncio.get_running_loop()
        while True:
            ready = await loop.run_in_executor(None, control.poll, 0.2)
            if ready:
                command = control.recv()
                if command == "reset":
                    stats.__dict__.update(SinkStats().__dict__)
                control.send(SinkStats(**stats.__dict__))
                if command == "stop":
                    server.close()
                    return

    asyncio.run(main())


class Sink:
    """The sink in its own process (so it does not share the sender's CPU time slice or GIL)."""

    def __init__(self) -> None:
        self._control, child = multiprocessing.Pipe()
        self._process = multiprocessing.Process(target=_serve, args=(child,), daemon=True)
        self._process.start()
        self.port: int = self._control.recv()

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}?starttls=off"

    def stats(self, reset: bool = False) -> SinkStats:
        self._control.send("reset" if reset else "stats")
        return self._control.recv()

    def stop(self) -> SinkStats:
        self._control.send("stop")
        stats = self._control.recv()
        self._process.join(5)
        return stats

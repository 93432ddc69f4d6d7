"""aiosipua's UDP transport with a datagram protocol of our own.

aiosipua's protocol asserts that the loop's transport is an `asyncio.DatagramTransport`,
which selector transports only are from Python 3.12; on 3.11 every start printed an
AssertionError traceback. Parsing and dispatch stay aiosipua's.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiosipua import UdpSipTransport

logger = logging.getLogger(__name__)


class _Datagrams(asyncio.DatagramProtocol):
    def __init__(self, owner: UdpTransport) -> None:
        self._owner = owner

    def datagram_received(self, data: bytes, addr: tuple[str, int] | Any) -> None:
        self._owner._dispatch(data, (str(addr[0]), int(addr[1])))

    def error_received(self, exc: Exception) -> None:
        logger.warning("SIP UDP error: %s", exc)


class UdpTransport(UdpSipTransport):
    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: _Datagrams(self), local_addr=self.local_addr
        )
        self._udp_transport = transport

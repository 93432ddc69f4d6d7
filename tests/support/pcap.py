"""Reading RTP out of a tcpdump capture on loopback (pcap, Ethernet or Linux cooked framing)."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

ETHERNET = 1
LINUX_SLL = 113


@dataclass(frozen=True)
class RtpPacket:
    time: float
    source_port: int
    dest_port: int
    payload_type: int
    marker: bool
    sequence: int
    timestamp: int
    payload: bytes


def _ip_payload(frame: bytes, linktype: int) -> bytes | None:
    offset = {ETHERNET: 14, LINUX_SLL: 16}.get(linktype)
    if offset is None:
        raise ValueError(f"unsupported pcap link type {linktype}")
    ethertype = struct.unpack("!H", frame[offset - 2 : offset])[0]
    return frame[offset:] if ethertype == 0x0800 else None


def rtp_packets(path: Path) -> list[RtpPacket]:
    """Every UDP datagram of the capture that parses as RTP version 2."""
    data = path.read_bytes()
    if len(data) < 24:
        return []
    magic = data[:4]
    endian = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    packets: list[RtpPacket] = []
    pos = 24
    while pos + 16 <= len(data):
        seconds, fraction, captured, _ = struct.unpack(endian + "IIII", data[pos : pos + 16])
        frame = data[pos + 16 : pos + 16 + captured]
        pos += 16 + captured
        ip = _ip_payload(frame, linktype)
        if ip is None or ip[9] != 17:  # IPv4 UDP only
            continue
        udp = ip[(ip[0] & 0x0F) * 4 :]
        source, dest = struct.unpack("!HH", udp[:4])
        rtp = udp[8:]
        if len(rtp) < 12 or rtp[0] >> 6 != 2:
            continue
        header_len = 12 + 4 * (rtp[0] & 0x0F)
        packets.append(
            RtpPacket(
                time=seconds + fraction / (1e9 if nano else 1e6),
                source_port=source,
                dest_port=dest,
                payload_type=rtp[1] & 0x7F,
                marker=bool(rtp[1] & 0x80),
                sequence=struct.unpack("!H", rtp[2:4])[0],
                timestamp=struct.unpack("!I", rtp[4:8])[0],
                payload=rtp[header_len:],
            )
        )
    return packets

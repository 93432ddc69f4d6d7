"""SIP torture messages after RFC 4475's categories (and the RFC 3261 rules behind them), each
with the final status the RFCs call for, and a seeded mutator for fuzzing.

Messages are templates: `$bot` is the bot's SIP port, `$peer` the sender's, `$id` a fresh
Call-ID (the Via branch starts with it, so `RawSipPeer` finds the answers); Content-Length is
filled in unless a message sets its own.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass

from tests.support.sip_peers import OFFER

VIA = "Via: SIP/2.0/UDP 127.0.0.1:$peer;branch=z9hG4bK$id"
SDP = OFFER.replace("\n", "\r\n")


def start(method: str, uri: str = "sip:12345@127.0.0.1:$bot", version: str = "SIP/2.0") -> str:
    return f"{method} {uri} {version}"


def headers(method: str) -> list[str]:
    """A well-formed request's headers."""
    return [
        VIA,
        "From: <sip:13900000001@127.0.0.1>;tag=$id",
        "To: <sip:12345@127.0.0.1:$bot>",
        "Call-ID: $id",
        f"CSeq: 1 {method}",
        "Contact: <sip:13900000001@127.0.0.1:$peer>",
        "Max-Forwards: 70",
    ]


def changed(lines: list[str], name: str, *new: str) -> list[str]:
    """`lines` with the header `name` replaced by `new` (removed when `new` is empty)."""
    at = next(n for n, line in enumerate(lines) if line.lower().startswith(name.lower() + ":"))
    return [*lines[:at], *new, *lines[at + 1 :]]


def build(first: str, lines: list[str], body: str = "") -> str:
    names = {line.partition(":")[0].strip().lower() for line in lines}
    if body and not names & {"content-type", "c"}:
        lines = [*lines, "Content-Type: application/sdp"]
    if not names & {"content-length", "l"}:
        lines = [*lines, "Content-Length: $length"]
    return "\r\n".join([first, *lines]) + "\r\n\r\n" + body


@dataclass(frozen=True)
class Torture:
    name: str
    category: str
    expect: int | None  # the final status; None: dropped without an answer
    text: str

    @property
    def method(self) -> str:
        return self.text.split(" ", 1)[0]

    def wire(self, bot: int, peer: int, ident: str) -> bytes:
        text = string.Template(self.text).safe_substitute(bot=bot, peer=peer, id=ident)
        body = text.partition("\r\n\r\n")[2]
        return text.replace("$length", str(len(body.encode()))).encode("utf-8", "surrogateescape")


def options(*lines: str, **change: str) -> str:
    """An OPTIONS with `lines` added and headers changed (`Call_ID="Call-ID: x"`)."""
    base = headers("OPTIONS")
    for name, line in change.items():
        base = changed(base, name.replace("_", "-"), *([line] if line else []))
    return build(start("OPTIONS"), [*base, *lines])


def invite(*lines: str, body: str = SDP, **change: str) -> str:
    base = headers("INVITE")
    for name, line in change.items():
        base = changed(base, name.replace("_", "-"), *([line] if line else []))
    return build(start("INVITE"), [*base, *lines], body)


def sdp(old: str, new: str) -> str:
    return SDP.replace(old, new)


T = Torture
MESSAGES: list[Torture] = [
    # --- valid, if unusual (RFC 4475 §3.1.1): each is served ---------------------------
    T(
        "compact headers",
        "valid",
        200,
        build(
            start("INVITE"),
            [
                "v: SIP/2.0/UDP 127.0.0.1:$peer;branch=z9hG4bK$id",
                "f: <sip:13900000001@127.0.0.1>;tag=$id",
                "t: <sip:12345@127.0.0.1:$bot>",
                "i: $id",
                "CSeq: 1 INVITE",
                "m: <sip:13900000001@127.0.0.1:$peer>",
                "Max-Forwards: 70",
                "c: application/sdp",
                "l: $length",
            ],
            SDP,
        ),
    ),
    T(
        "folded headers",
        "valid",
        200,
        invite(
            "Subject: I know you're there,\r\n   pick up the phone\r\n\tand talk to me!",
            From='From: "citizen"\r\n <sip:13900000001@127.0.0.1>\r\n  ;tag=$id',
        ),
    ),
    T(
        "whitespace around colons and in CSeq",
        "valid",
        200,
        options(To="To    :   <sip:12345@127.0.0.1:$bot>", CSeq="CSeq:1\t  OPTIONS"),
    ),
    T(
        "escaped Request-URI and quoted display name",
        "valid",
        200,
        build(
            start("OPTIONS", "sip:%31%32%33%34%35@127.0.0.1:$bot;unknownparam;transport=udp"),
            changed(
                headers("OPTIONS"),
                "From",
                'From: "J\\"o\\\\hn \\"Q\\" Citizen" <sip:1390%30000001@127.0.0.1>;tag=$id',
            ),
        ),
    ),
    T(
        "unknown headers and parameters",
        "valid",
        200,
        options(
            "NewFangledHeader:   newfangled value\r\n continued newfangled value",
            "X-Unknown;param=x: y",
            "UnknownHeaderWithUnusualValue: ;;,,;;,;",
            To="To: <sip:12345@127.0.0.1:$bot;unknown=x>;newparam=newvalue",
        ),
    ),
    T(
        "header names in mixed case",
        "valid",
        200,
        build(
            start("OPTIONS"),
            [
                VIA.replace("Via", "vIA"),
                "fROM: <sip:13900000001@127.0.0.1>;tag=$id",
                "tO: <sip:12345@127.0.0.1:$bot>",
                "cAll-iD: $id",
                "cseq: 1 OPTIONS",
                "max-FORWARDS: 70",
            ],
        ),
    ),
    T(
        "lower-case SIP version",
        "valid",
        200,
        build(start("OPTIONS", version="sip/2.0"), headers("OPTIONS")),
    ),
    T(
        "tel Request-URI",
        "valid",
        200,
        build(start("OPTIONS", "tel:12345;phone-context=+86"), headers("OPTIONS")),
    ),
    T(
        "no Content-Length over UDP",
        "valid",
        200,
        "\r\n".join([start("OPTIONS"), *headers("OPTIONS")]) + "\r\n\r\n",
    ),
    T(
        "many Via headers and a long value",
        "valid",
        200,
        options(
            "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKa, SIP/2.0/UDP 192.0.2.2;branch=z9hG4bKb",
            "Subject: " + "长" * 600,
        ),
    ),
    T(
        "port count in the SDP m= line",
        "valid",
        200,
        invite(body=sdp("m=audio 49170 RTP/AVP", "m=audio 49170/2 RTP/AVP")),
    ),
    T("unknown method", "method", 501, build(start("NEWMETHOD"), headers("NEWMETHOD"))),
    T("lower-case method", "method", 501, build(start("invite"), headers("invite"))),
    T("known method not served", "method", 405, build(start("REGISTER"), headers("REGISTER"))),
    # --- invalid (RFC 4475 §3.1.2, RFC 3261 §8.2, §18.3) -----------------------------------
    T("CSeq number not numeric", "CSeq", 400, invite(CSeq="CSeq: abc INVITE")),
    T("CSeq number negative", "CSeq", 400, options(CSeq="CSeq: -5 OPTIONS")),
    T("CSeq number above 2**31-1", "CSeq", 400, invite(CSeq="CSeq: 2147483648 INVITE")),
    T("CSeq method not the request's", "CSeq", 400, invite(CSeq="CSeq: 1 ACK")),
    T("CSeq without a method", "CSeq", 400, options(CSeq="CSeq: 1")),
    T("Content-Length negative", "Content-Length", 400, options("Content-Length: -999")),
    T("Content-Length not numeric", "Content-Length", 400, options("Content-Length: x10")),
    T(
        "Content-Length oversized",
        "Content-Length",
        400,
        invite("Content-Length: 99999999999999999999"),
    ),
    T("Content-Length beyond the datagram", "Content-Length", 400, invite("Content-Length: 9999")),
    T(
        "unterminated quote in From",
        "From/To",
        400,
        options(From='From: "Bob <sip:13900000001@127.0.0.1>;tag=$id'),
    ),
    T(
        "unterminated quote in To",
        "From/To",
        400,
        invite(To='To: "12345 <sip:12345@127.0.0.1:$bot>'),
    ),
    T("unbalanced <> in To", "From/To", 400, options(To="To: <sip:12345@127.0.0.1:$bot")),
    T("two Call-ID headers", "duplicates", 400, invite("Call-ID: other-$id")),
    T("two CSeq headers", "duplicates", 400, invite("CSeq: 2 INVITE")),
    T("two From headers", "duplicates", 400, options("From: <sip:evil@127.0.0.1>;tag=x")),
    T(
        "SIP version 7.0",
        "version",
        505,
        build(start("OPTIONS", version="SIP/7.0"), headers("OPTIONS")),
    ),
    T(
        "SIP version 2.0 spelt wrong",
        "version",
        400,
        build(start("INVITE", version="SIP/2"), headers("INVITE"), SDP),
    ),
    T(
        "unknown Request-URI scheme",
        "URI",
        416,
        build(start("INVITE", "name:John_Doe"), headers("INVITE"), SDP),
    ),
    T(
        "http Request-URI",
        "URI",
        416,
        build(start("OPTIONS", "http://127.0.0.1/"), headers("OPTIONS")),
    ),
    T(
        "Request-URI in <>",
        "URI",
        400,
        build(start("OPTIONS", "<sip:12345@127.0.0.1>"), headers("OPTIONS")),
    ),
    T(
        "extra token in the Request-Line",
        "URI",
        400,
        build("OPTIONS sip:12345@127.0.0.1 SIP/2.0 extra", headers("OPTIONS")),
    ),
    T("Max-Forwards above 255", "other headers", 400, options(Max_Forwards="Max-Forwards: 300")),
    T("no Call-ID", "other headers", 400, options(Call_ID="")),
    T("no CSeq", "other headers", 400, invite(CSeq="")),
    T("no From", "other headers", 400, options(From="")),
    # --- SDP the bot cannot use: 100 Trying, then 488 --------------------------------------
    T("SDP port not numeric", "SDP", 488, invite(body=sdp("49170", "4917a"))),
    T("SDP payload type not numeric", "SDP", 488, invite(body=sdp("RTP/AVP 0 101", "RTP/AVP x"))),
    T("SDP rtpmap malformed", "SDP", 488, invite(body=sdp("a=rtpmap:0 PCMU/8000", "a=rtpmap:0"))),
    T(
        "SDP rtpmap payload type not numeric",
        "SDP",
        488,
        invite(body=sdp("a=rtpmap:0 PCMU", "a=rtpmap:zero PCMU")),
    ),
    T("SDP bandwidth malformed", "SDP", 488, invite(body=sdp("t=0 0", "b=AS:lots\r\nt=0 0"))),
    T(
        "SDP address a host name",
        "SDP",
        488,
        invite(body=sdp("c=IN IP4 127.0.0.1", "c=IN IP4 phone.invalid")),
    ),
    T("SDP without G.711", "SDP", 488, invite(body=sdp("RTP/AVP 0 101", "RTP/AVP 18"))),
    T("INVITE without SDP", "SDP", 488, invite(body="")),
    # --- not a request the bot can answer: dropped, logged --------------------------------
    T("binary garbage", "garbage", None, "\x00\x01\x02\x03\xfe\xff$id"),
    T("text garbage", "garbage", None, "hello, is this the hotline? $id\r\n\r\n"),
    T("keep-alive CRLF", "garbage", None, "\r\n\r\n"),
    T("request without Via", "garbage", None, options(Via="")),
    T(
        "response with a garbage CSeq",
        "garbage",
        None,
        "SIP/2.0 200 OK\r\n" + VIA + "\r\nCall-ID: $id\r\nCSeq: nonsense\r\n\r\n",
    ),
    T(
        "Via port out of range",
        "garbage",
        None,
        options(Via="Via: SIP/2.0/UDP 127.0.0.1:70000;branch=z9hG4bK$id"),
    ),
]


NASTY = [
    "",
    "-1",
    "99999999999999999999",
    '"',
    "<",
    ">",
    "%",
    "\x00",
    "\xff",
    ";;;",
    "a" * 3000,
    "1 INVITE",
    "SIP/2.0/UDP",
    "sip:",
    "0",
    "\t",
    "@@",
    "m=audio x RTP/AVP y",
]


def mutate(message: bytes, rng: random.Random, keep_via: bool) -> bytes:
    """One random mutation of `message`; with `keep_via` its Via line (the second) stays
    whole, so whatever the endpoint answers comes back to the sender."""
    lines = message.split(b"\r\n")
    at = rng.choice([n for n in range(len(lines)) if not (keep_via and n == 1)])
    kind = rng.randrange(6)
    if kind == 0:  # a byte replaced
        line = bytearray(lines[at] or b" ")
        line[rng.randrange(len(line))] = rng.randrange(256)
        lines[at] = bytes(line)
    elif kind == 1:  # a line dropped
        del lines[at]
    elif kind == 2:  # a line repeated
        lines.insert(at, lines[at])
    elif kind == 3:  # a header value replaced
        name = lines[at].partition(b":")[0]
        lines[at] = name + b": " + rng.choice(NASTY).encode("utf-8", "surrogateescape")
    elif kind == 4:  # junk inserted
        lines.insert(at, bytes(rng.randrange(256) for _ in range(rng.randrange(1, 40))))
    else:  # cut short (after the Via)
        data = b"\r\n".join(lines)
        return data[: rng.randrange(len(b"\r\n".join(lines[:2])), len(data))]
    return b"\r\n".join(lines)

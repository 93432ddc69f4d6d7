"""Is a SIP message off the wire well-formed enough to act on (RFC 3261 §7, §18.3, §20)?

aiosipua's parser is lenient: it keeps the first of duplicated headers, reads CSeq numbers
with `int()` only when asked (and raises then), ignores the SIP version and trusts quotes.
A request it would misread must get 400 (505 for another SIP version) before any dialog is
made of it (RFC 4475 §3.1.2), and a response it would misread is dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from aiosipua import SipRequest, SipResponse, parse_address, parse_via

MAX_CSEQ = 2**31 - 1  # RFC 3261 §8.1.1.5
MAX_FORWARDS = 255
SINGLE_HEADERS = ("call-id", "cseq", "from", "to", "content-length", "max-forwards")
_TOKEN = r"[A-Za-z0-9.!%*_+`'~-]+"
_REQUEST_LINE = re.compile(rf"({_TOKEN}) (\S+) (\S+)")
_VERSION = re.compile(r"SIP/([0-9]+)\.([0-9]+)", re.IGNORECASE)
_NUMBER = re.compile(r"\s*[0-9]+\s*")
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"]+")
_CSEQ = re.compile(rf"([0-9]{{1,10}})\s+({_TOKEN})")
_VIA = re.compile(r"SIP\s*/\s*2\.0\s*/\s*[A-Za-z]+\s+\S", re.IGNORECASE)


@dataclass(frozen=True)
class Fault:
    """Why a message is refused: the status for a request, and the detail for logs and the
    Warning header."""

    status: int
    reason: str
    detail: str


def warning(text: str) -> str:
    """A Warning header value saying why (RFC 3261 §20.43, code 399: miscellaneous)."""
    printable = "".join(c for c in text if c.isprintable() and c != '"')
    return f'399 hotline "{printable}"'


def cseq(message: SipRequest | SipResponse) -> tuple[int, str] | None:
    """The CSeq's number and method, None when it has none or a malformed one."""
    value = message.headers.get_first("cseq")
    match = _CSEQ.fullmatch(value.strip()) if value is not None else None
    if match is None or int(match[1]) > MAX_CSEQ:
        return None
    return int(match[1]), match[2]


def _bad(detail: str) -> Fault:
    return Fault(400, "Bad Request", detail)


def _body_length(data: bytes) -> int:
    """Bytes after the header section, split where aiosipua splits it."""
    for separator in (b"\r\n\r\n", b"\n\n"):
        if separator in data:
            return len(data.partition(separator)[2])
    return 0


def _address_fault(name: str, value: str) -> Fault | None:
    if value.replace('\\"', "").count('"') % 2:
        return _bad(f"unterminated quoted string in {name}")
    if value.count("<") != value.count(">"):
        return _bad(f"unbalanced <> in {name}")
    try:
        parse_address(value)
    except (ValueError, IndexError):
        return _bad(f"unreadable {name}")
    return None


def _header_fault(message: SipRequest | SipResponse, data: bytes) -> Fault | None:
    """Faults requests and responses share: duplicates, CSeq, Via, Content-Length."""
    headers = message.headers
    for name in SINGLE_HEADERS:
        if len(headers.get(name)) > 1:
            return _bad(f"more than one {name} header")
    call_id = headers.get_first("call-id")
    if call_id is not None and (not call_id or any(c.isspace() for c in call_id)):
        return _bad("Call-ID is empty or has whitespace")
    if headers.get_first("cseq") is not None and cseq(message) is None:
        return _bad(
            f"CSeq {headers.get_first('cseq')!r} is not a number up to 2**31-1 and a method"
        )
    vias = headers.get("via")
    if vias:
        via = parse_via(vias[0])
        if not _VIA.match(vias[0]) or not via.host or not 0 < (via.port or 5060) < 65536:
            return _bad("unreadable top Via")
    length = headers.get_first("content-length")
    if length is not None:
        if not _NUMBER.fullmatch(length):
            return _bad(f"Content-Length {length!r} is not a number")
        if int(length) > _body_length(data):
            return _bad(f"Content-Length {length} is more than the body received")
    return None


def fault(data: bytes, message: SipRequest | SipResponse) -> Fault | None:
    """What makes `message` (parsed from `data`) unfit to act on, or None."""
    found = _header_fault(message, data)
    if found is not None or isinstance(message, SipResponse):
        return found
    line = data.split(b"\n", 1)[0].rstrip(b"\r").decode("utf-8", errors="replace")
    request_line = _REQUEST_LINE.fullmatch(line)
    if request_line is None:
        return _bad("malformed Request-Line")
    version = _VERSION.fullmatch(request_line[3])
    if version is None:
        return _bad(f"malformed SIP version {request_line[3]!r}")
    if (version[1], version[2]) != ("2", "0"):
        return Fault(505, "Version Not Supported", f"SIP version {request_line[3]}")
    if not _URI.fullmatch(message.uri):
        return _bad(f"malformed Request-URI {message.uri!r}")
    number_method = cseq(message)
    if number_method is not None and number_method[1] != message.method:
        return _bad(f"CSeq method {number_method[1]!r} is not the request's {message.method!r}")
    for name in ("from", "to", "contact"):
        for value in message.headers.get(name):
            found = _address_fault(name, value)
            if found is not None:
                return found
    forwards = message.headers.get_first("max-forwards")
    if forwards is not None and not (_NUMBER.fullmatch(forwards) and int(forwards) <= MAX_FORWARDS):
        return _bad(f"Max-Forwards {forwards!r} is not a number up to 255")
    return None

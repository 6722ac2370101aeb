"""The ingest API handler: the endpoint phones POST scans to, as a function
of the request, for any Python HTTP server (docs/ingest.md)."""

from __future__ import annotations

import dataclasses
from typing import Iterable, List, Mapping, Optional, Tuple, Union

from . import capi
from ._handle import Closing, Guard
from .conf import Conf, _as_conf  # noqa: F401 (Conf: the hints' ConfLike)
from .errors import WakeupError
from ._types import Buffer, ConfLike

# Request headers: header text, a mapping (an http.client.HTTPMessage too),
# or (name, value) pairs.
RequestHeaders = Union[str, Mapping[str, str], Iterable[Tuple[str, str]], None]

__all__ = ["Ingest", "IngestResponse", "IngestStats"]


@dataclasses.dataclass(frozen=True)
class IngestResponse:
    """What to answer: status, [(name, value)] headers, body bytes."""
    status: int
    headers: List[Tuple[str, str]]
    body: bytes


@dataclasses.dataclass(frozen=True)
class IngestStats:
    requests: int
    accepted: int
    duplicates: int
    refused: int
    unavailable: int
    delivered: int
    delivery_failed: int
    tokens: int
    status_2xx: int
    status_4xx: int
    status_5xx: int
    spooled: int
    replayed: int
    spool_bytes: int
    spool_records: int


def _header_text(headers):
    """HTTP header text from a mapping, (name, value) pairs, an
    http.client.HTTPMessage, or text as is."""
    if headers is None:
        return ""
    if isinstance(headers, str):
        return headers
    items = headers.items() if hasattr(headers, "items") else headers
    return "".join(f"{name}: {value}\r\n" for name, value in items)


def _response(h):
    """An IngestResponse copied out of a C response, which is freed."""
    if h is None:
        return None
    try:
        headers = [tuple(capi.qp_ingest_response_header_at(h, i))
                   for i in range(capi.qp_ingest_response_header_count(h))]
        return IngestResponse(capi.qp_ingest_response_status(h), headers,
                              capi.qp_ingest_response_body(h).encode())
    finally:
        h.close()


class Ingest(Closing):
    """``Ingest(conf)``: the handler, with its own producer; it takes the
    Conf over (a mapping is turned into one; qp.ingest.* keys, topics,
    librdkafka keys). handle() and
    check() may be called from many threads at once (they release the
    GIL); poll() must be called regularly from one thread (delivery reports
    and the Kafka probe); close() flushes and frees."""

    __slots__ = ("_g", "__weakref__")

    def __init__(self, conf: ConfLike) -> None:
        conf = _as_conf(conf)
        self._g = Guard(self, capi.qp_ingest_new(conf._h), "ingest", exclusive=False,
                        keep=dict(conf._hooks))

    def handle(self, method: str, path: str, headers: RequestHeaders,
               body: Buffer = b"") -> IngestResponse:
        """The IngestResponse to a whole request."""
        return _response(self._g.call(capi.qp_ingest_handle, method, path,
                                      _header_text(headers), body, nested=True))

    def check(self, method: str, path: str, headers: RequestHeaders,
              content_length: int = -1) -> Optional[IngestResponse]:
        """The final IngestResponse decided from the head alone (401, 413,
        415, ...), or None when the body should be read and handle() called."""
        return _response(self._g.call(capi.qp_ingest_check, method, path,
                                      _header_text(headers), content_length, nested=True))

    def poll(self, timeout_ms: int = 0) -> None:
        """Serves delivery reports, probes Kafka when due; WakeupError when
        wakeup() ended the wait."""
        self._g.call(capi.qp_ingest_poll, timeout_ms, nested=True)

    def flush(self, timeout_ms: int = -1) -> None:
        """Waits until every queued event has a delivery report."""
        self._g.call(capi.qp_ingest_flush, timeout_ms, nested=True)

    def wakeup(self) -> None:
        """Makes a poll or flush on another thread return (WakeupError)."""
        self._g.wakeup(capi.qp_ingest_wakeup)

    def stats(self) -> IngestStats:
        """The counters, as an IngestStats."""
        out = capi.qp_ingest_stats_t()
        self._g.call(capi.qp_ingest_stats, out, nested=True)
        return IngestStats(*(getattr(out, f.name) for f in dataclasses.fields(IngestStats)))

    def close(self) -> None:
        """Flushes (qp.producer.close.timeout.ms) and frees the handler."""
        def finish(h):
            try:
                capi.qp_ingest_poll(h, 0)  # spends a pending wakeup
            except WakeupError:
                pass
        self._g.close(capi.qp_ingest_wakeup, finish)

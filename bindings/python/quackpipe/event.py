"""Scan events: decode, read, encode (qp_scan_event_t and its codec).

An Event wraps the library's decoded event. Its top-level fields read
straight from the C struct; gps, wifi, cell, ble and enrichment are copied
out into the small frozen dataclasses below the first time they are read, so
they stay valid after the event is closed or collected.

Nullable fields are tri-state, as in the JSON: the value, None for an explicit
``null``, or ABSENT when the field was not sent.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from . import capi
from ._handle import Closing, _swig_closed
from ._types import Buffer

__all__ = [
    "ABSENT", "Event", "Gps", "Wifi", "Cell", "Ble", "Enrichment",
    "decode", "decode_enriched", "encode_enriched", "SCHEMA_VERSION",
]

SCHEMA_VERSION = capi.QP_EVENT_SCHEMA_VERSION


class _Absent:
    """A nullable field that the event did not carry at all."""

    __slots__ = ()

    def __repr__(self):
        return "ABSENT"

    def __bool__(self):
        return False

    def __reduce__(self):
        return "ABSENT"


ABSENT = _Absent()


def _opt(opt):
    if opt.presence == capi.QP_PRESENT:
        return opt.value
    return None if opt.presence == capi.QP_NULL else ABSENT


_frozen = dataclasses.dataclass(frozen=True, slots=True)


@_frozen
class Gps:
    lat: float
    lon: float
    accuracy_m: float
    altitude_m: object  # float, None or ABSENT
    speed_mps: object   # float, None or ABSENT
    unknown_json: str   # members the schema does not know, as JSON text


@_frozen
class Wifi:
    bssid: str
    ssid: object        # str, None or ABSENT
    rssi_dbm: int
    freq_mhz: int
    unknown_json: str


@_frozen
class Cell:
    radio: str          # "gsm", "wcdma", "lte", "nr" or "cdma"
    mcc: int
    mnc: int
    area: int
    cid: int
    dbm: object         # int, None or ABSENT
    serving: bool
    unknown_json: str


@_frozen
class Ble:
    addr: str
    rssi_dbm: int
    tx_power: object         # int, None or ABSENT
    signal_strength: object  # float, None or ABSENT
    unknown_json: str


@_frozen
class Enrichment:
    """What the fraud stage adds; also the input of encode_enriched()."""

    received_ms: int
    fraud_flags: tuple
    quality_score: float
    location_cluster: str
    enriched_by: str


def _copy(cls, view, **special):
    """cls's fields read from a borrowed C view, nullable ones made tri-state."""
    values = {}
    for field in dataclasses.fields(cls):
        if field.name in special:
            values[field.name] = special[field.name]
            continue
        value = getattr(view, field.name)
        if isinstance(value, (capi.qp_opt_double_t, capi.qp_opt_int_t)):
            value = _opt(value)
        values[field.name] = value
    return cls(**values)


def _wifi(w):
    ssid = w.ssid if w.ssid_presence == capi.QP_PRESENT else (
        None if w.ssid_presence == capi.QP_NULL else ABSENT)
    return _copy(Wifi, w, ssid=ssid)


def _list(ev, at, count, convert):
    return tuple(convert(at(ev, i)) for i in range(count))




class Event(Closing):
    """A decoded, validated scan event. Read-only; close() frees it early."""

    __slots__ = ("_h", "_copies")

    # The top-level fields, read through from the C struct on each access
    # (__getattr__); declared here for editors and type checkers.
    schema_version: int
    scan_id: str
    device_id: str
    ts_ms: int
    reward: float
    app_version: str
    platform: str
    enriched: bool
    unknown_json: str  # members the schema does not know, as JSON text

    def __init__(self, handle: Any) -> None:
        self._h = handle
        self._copies = {}

    def __getattr__(self, name: str) -> Any:
        if name in _SCALARS:
            return getattr(self._h, name)
        raise AttributeError(name)

    def __dir__(self) -> list[str]:
        # The scalar fields come from the C struct through __getattr__:
        # list them for dir(), help() and editors' completion.
        return sorted(set(super().__dir__()) | _SCALARS)

    @property
    def closed(self) -> bool:
        """True once close() freed the event."""
        return _swig_closed(self._h)

    def _copied(self, name, make):
        if name not in self._copies:
            self._h.schema_version  # raises ClosedError after close()
            self._copies[name] = make(self._h)
        return self._copies[name]

    @property
    def gps(self) -> Gps:
        return self._copied("gps", lambda ev: _copy(Gps, ev.gps))

    @property
    def wifi(self) -> list[Wifi]:
        return list(self._copied("wifi", lambda ev: _list(
            ev, capi.qp_event_wifi_at, ev.wifi_count, _wifi)))

    @property
    def cell(self) -> list[Cell]:
        return list(self._copied("cell", lambda ev: _list(
            ev, capi.qp_event_cell_at, ev.cell_count,
            lambda c: _copy(Cell, c, radio=capi.qp_radio_name(c.radio)))))

    @property
    def ble(self) -> list[Ble]:
        return list(self._copied("ble", lambda ev: _list(
            ev, capi.qp_event_ble_at, ev.ble_count, lambda b: _copy(Ble, b))))

    @property
    def enrichment(self) -> Enrichment | None:
        """The Enrichment of an enriched event, else None."""
        def make(ev):
            if not ev.enriched:
                return None
            flags = _list(ev, capi.qp_event_flag_at,
                          ev.enrichment.fraud_flag_count, str)
            return _copy(Enrichment, ev.enrichment, fraud_flags=flags)
        return self._copied("enrichment", make)

    @property
    def unknown(self) -> dict[str, Any]:
        """The fields the schema does not know, as a dict."""
        return json.loads("{" + self.unknown_json + "}")

    def encode(self) -> bytes:
        """One line of compact JSON (bytes, no newline), unknown fields kept."""
        return capi.qp_event_encode(self._h)

    def encode_row(self) -> bytes:
        """One ClickHouse JSONEachRow line (bytes, newline included)."""
        return capi.qp_event_encode_row(self._h)

    def close(self) -> None:
        """Frees the C event now; later reads raise ClosedError."""
        self._h.close()
        self._copies.clear()

    def __repr__(self):
        try:
            return f"<quackpipe.Event scan_id={self.scan_id} device_id={self.device_id!r}>"
        except Exception:  # closed
            return "<quackpipe.Event (closed)>"


# The fields __getattr__ reads from the C struct: those declared above.
_SCALARS = frozenset(Event.__annotations__)


def decode(data: Buffer) -> Event:
    """Decodes and validates a raw event (bytes-like or str) into an Event.

    Raises ValidationError, whose ``path`` names the failing field.
    """
    return Event(capi.qp_event_decode(data))


def decode_enriched(data: Buffer) -> Event:
    """Decodes an enriched event (as read from scan-enriched)."""
    return Event(capi.qp_event_decode_enriched(data))


def encode_enriched(raw: Buffer, enrichment: Enrichment) -> bytes:
    """The raw event's bytes with the enrichment inserted, not re-encoded."""
    flags = "\0".join(enrichment.fraud_flags).encode("utf-8")
    built = capi.qpb_enrichment_new(enrichment.received_ms, flags,
                                    enrichment.quality_score,
                                    enrichment.location_cluster,
                                    enrichment.enriched_by)
    try:
        return capi.qp_event_encode_enriched(raw, built)
    finally:
        built.close()

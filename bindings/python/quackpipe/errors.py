"""Exceptions raised by libquackpipe calls.

Every failing call raises a subclass of Error carrying the C error code
(``code``), its name (``name``, e.g. ``"QP_ERR_FIELD_RANGE"``) and the
library's detail message (``detail``, e.g. ``"gps.lat: 123.4 is outside
[-90, 90]"``). The subclass is the code's family; which codes belong to which
family is decided once, in bindings/swig/typemaps/errors.i, for Python and Go.
"""

import builtins
import re

__all__ = [
    "Error", "ConfigError", "ValidationError", "KafkaError", "QueueFullError",
    "TimeoutError", "NoEventError", "WakeupError", "ClosedError", "StateError",
    "ClickHouseError", "InvalidArgumentError", "OutOfMemoryError",
    "InputOutputError", "NotAvailableError", "NotFoundError", "RetriesExhaustedError",
    "CallbackAbort",
]


class Error(Exception):
    """A libquackpipe call failed: ``code``, ``name`` and ``detail`` say how."""

    def __init__(self, code, name, detail):
        super().__init__(detail)
        self.code = code
        self.name = name
        self.detail = detail

    def __str__(self):
        return f"{self.detail} [{self.name}]"


class ConfigError(Error):
    """An unknown ``qp.*`` property or a value outside its type or range."""


# A field path as the decoder writes it: gps.lat, wifi[2].rssi_dbm, ble[0]
_PATH = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\[\d+\])?(\.[A-Za-z_][A-Za-z0-9_]*(\[\d+\])?)*")


class ValidationError(Error):
    """The event was refused: bad JSON, a limit exceeded or a bad field.

    ``path`` is the failing field's path (``"wifi[2].rssi_dbm"``) when the
    detail names one, else None.
    """

    def __init__(self, code, name, detail):
        super().__init__(code, name, detail)
        head, sep, _ = detail.partition(": ")
        self.path = head if sep and _PATH.fullmatch(head) else None


class KafkaError(Error):
    """librdkafka or the broker refused or failed the operation."""


class QueueFullError(Error):
    """Backpressure: the producer's queue is full; poll/flush and retry."""


class TimeoutError(Error, builtins.TimeoutError):
    """The call's timeout expired (also a builtins.TimeoutError)."""


class NoEventError(Error):
    """No event was available within the timeout."""


class WakeupError(Error):
    """Another thread woke the blocking call (``wakeup()`` or ``close()``)."""


class ClosedError(Error, ValueError):
    """The object was closed (or handed over to another one) before this use."""


class StateError(Error):
    """The call is not valid in the handle's current state."""


class ClickHouseError(Error):
    """The HTTP transport failed or ClickHouse rejected the request."""


class InvalidArgumentError(Error, ValueError):
    """An argument the library refused."""


class OutOfMemoryError(Error, MemoryError):
    """The library could not allocate memory."""


class InputOutputError(Error, OSError):
    """Reading or writing a file failed."""


class NotAvailableError(Error):
    """An optional component (such as embedded ClickHouse) is not available."""


class NotFoundError(Error, LookupError):
    """A topic or header that was asked for does not exist."""


class RetriesExhaustedError(Error):
    """Every retry failed; the detail holds the last failure."""


class CallbackAbort(Error):
    """A host callback returned an abort code."""


_FAMILIES = {
    "config": ConfigError,
    "validation": ValidationError,
    "kafka": KafkaError,
    "queue_full": QueueFullError,
    "timeout": TimeoutError,
    "no_event": NoEventError,
    "wakeup": WakeupError,
    "closed": ClosedError,
    "state": StateError,
    "clickhouse": ClickHouseError,
    "invalid_argument": InvalidArgumentError,
    "memory": OutOfMemoryError,
    "io": InputOutputError,
    "not_available": NotAvailableError,
    "not_found": NotFoundError,
    "retries_exhausted": RetriesExhaustedError,
    "user": CallbackAbort,
}


def _from_code(code, name, detail, family):
    """Called by the C wrappers: the exception for a failed call."""
    return _FAMILIES.get(family, Error)(code, name, detail)

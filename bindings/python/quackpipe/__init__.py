"""libquackpipe for Python.

A thin layer over the SWIG module ``quackpipe.capi``, which maps the C API
one to one (qp_err_t results raise, ``T **out`` results are returned,
buffers are bytes). This package adds the few pythonic shapes: Conf(**kw),
decode() -> Event with attribute access, lists for wifi/cell/ble, objects
that own their handle (MockCluster, Producer, Admin, Runner, FraudEngine,
Inserter, Ingest) with close() safe from any thread, callbacks as callables, stats
as plain dataclasses. See docs/bindings.md.
"""

try:
    from . import capi
except ImportError as _error:
    from ._native import explain as _explain
    raise _explain(_error) from _error
from .errors import *  # noqa: F401,F403 (the exception classes)
from .errors import __all__ as _error_names
from .conf import Conf, properties_markdown
from .event import (ABSENT, SCHEMA_VERSION, Ble, Cell, Enrichment, Event, Gps,
                    Wifi, decode, decode_enriched, encode_enriched)
from .kafka import Admin, DeliveryReport, MockCluster, Producer, ProducerStats
from .runner import (Message, MessageKind, PartitionStats, Runner, RunnerStats,
                     Verdict)
from .fraud import FraudEngine, FraudVerdict
from .inserter import Inserter, InserterStats
from .ingest import Ingest, IngestResponse, IngestStats

__version__ = capi.qp_version_str()

__all__ = [
    *_error_names, "Conf", "properties_markdown", "ABSENT", "SCHEMA_VERSION",
    "Ble", "Cell", "Enrichment", "Event", "Gps", "Wifi", "decode",
    "decode_enriched", "encode_enriched", "version", "version_number",
    "err_name", "err_str", "MockCluster", "Producer", "ProducerStats",
    "DeliveryReport", "Admin", "Runner", "Message", "MessageKind", "Verdict",
    "RunnerStats", "PartitionStats", "FraudEngine", "FraudVerdict", "Inserter",
    "InserterStats", "Ingest", "IngestResponse", "IngestStats",
]


def version() -> str:
    """The version of the libquackpipe actually loaded, e.g. "0.2.0"."""
    return capi.qp_version_str()


def version_number() -> int:
    """0xMMmmpp of the library actually loaded."""
    return capi.qp_version_number()


def err_name(code: int) -> str:
    """The name of an error code, e.g. "QP_ERR_NOMEM"."""
    return capi.qp_err_name(code)


def err_str(code: int) -> str:
    """The description of an error code, e.g. "out of memory"."""
    return capi.qp_err_str(code)

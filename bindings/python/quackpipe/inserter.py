"""The batch inserter into ClickHouse (inserter.h)."""

from __future__ import annotations

import dataclasses
import itertools
from typing import Any, Callable

from . import capi
from ._handle import Closing, Guard, _error
from .conf import Conf, _as_conf  # noqa: F401 (Conf: the hints' ConfLike)
from .errors import Error, InvalidArgumentError
from ._types import Buffer, ConfLike

__all__ = ["Inserter", "InserterStats"]


@dataclasses.dataclass(frozen=True, slots=True)
class InserterStats:
    rows_inserted: int
    bytes_inserted: int
    rows_rejected: int
    batches: int
    requests: int
    retries: int
    splits: int
    rows_pending: int
    bytes_pending: int
    latency_count: int
    latency_mean_ms: float
    latency_p50_ms: float
    latency_p99_ms: float
    latency_max_ms: float
    last_error: object   # the Error of the last failed request, else None
    server_version: str  # "" until the server was reached


_COUNTERS = [f.name for f in dataclasses.fields(InserterStats)][:-2]


def _stats(h):
    s = capi.qp_inserter_stats(h)  # borrowed until the next call: copied now
    last = None if s.last_error_code == capi.QP_OK else _error(s.last_error_code, s.last_error)
    return InserterStats(*(getattr(s, name) for name in _COUNTERS), last_error=last,
                         server_version=s.server_version)


def _result_adapter(fn, tags):
    def adapter(key, status, error):
        tag = tags.pop(key, None)
        if fn is not None:
            fn(tag, None if status == capi.QP_OK else _error(status, error))
    return adapter


class Inserter(Closing):
    """Batches JSONEachRow rows into ClickHouse, over HTTP or embedded.

    ``Inserter(conf, on_result=fn)`` takes the Conf over (qp.inserter.*).
    add_row(row, tag) queues a row; flush() inserts the batch (retrying,
    bisecting around bad rows) and calls ``fn(tag, error)`` for each row
    whose fate is known: error None when it is in ClickHouse, else the
    ClickHouseError that refused it alone. An exception fn raises is raised
    by flush() once it returns. One thread at a time, but wakeup() may come
    from any thread; flush, ensure_table and query release the GIL.
    """

    __slots__ = ("_g", "_keep", "_tags", "_next_tag", "__weakref__")

    def __init__(self, conf: ConfLike,
                 on_result: Callable[[Any, int, Error | None], None] | None = None) -> None:
        conf = _as_conf(conf)
        self._tags = {}  # int -> the host's tag, until its row is reported
        self._next_tag = itertools.count()
        self._keep = {"conf": dict(conf._hooks), "result": None}
        self._g = Guard(self, capi.qp_inserter_new(conf._h), "inserter", exclusive=True,
                        keep=self._keep)
        # Rows are always reported to the adapter, so tags never pile up.
        self.set_result_cb(on_result)

    def set_result_cb(self, fn: Callable[[Any, int, Error | None], None] | None) -> None:
        """Sets fn(tag, error) (None: results are only counted)."""
        adapter = _result_adapter(fn, self._tags)
        self._g.call(capi.qp_inserter_set_result_cb, adapter)
        self._keep["result"] = adapter

    def ensure_table(self) -> None:
        """Creates the database and the scan events table if missing."""
        self._g.call(capi.qp_inserter_ensure_table)

    def add_row(self, row: Buffer, tag: Any = None) -> None:
        """Queues one JSONEachRow line (bytes-like or str); tag comes back to
        the result callback. QueueFullError: flush first (and pause the
        source until a flush succeeds)."""
        key = next(self._next_tag)
        self._tags[key] = tag
        try:
            self._g.call(capi.qp_inserter_add_row, row, key)
        except BaseException:
            del self._tags[key]
            raise

    def due_in_ms(self) -> int:
        """Milliseconds until a flush is due: 0 now, -1 when nothing is pending."""
        return self._g.call(capi.qp_inserter_due_in_ms)

    def pending_rows(self) -> int:
        return self._g.call(capi.qp_inserter_pending_rows)

    def flush(self, dedup_token: str | None = None) -> None:
        """Inserts every pending row. RetriesExhaustedError, ClickHouseError
        or WakeupError leave the unreported rows pending; call it again."""
        self._g.call(capi.qp_inserter_flush, dedup_token)

    def query(self, sql: str) -> bytes:
        """Runs one SQL statement and returns its result text (bytes)."""
        return self._g.call(capi.qp_inserter_query, sql)

    def wakeup(self) -> None:
        """Makes a blocking flush, ensure_table or query return WakeupError
        soon; safe from any thread."""
        self._g.wakeup(capi.qp_inserter_wakeup)

    def stats(self) -> InserterStats:
        """The counters, as an InserterStats."""
        return self._g.call(_stats)

    def latency_buckets(self) -> list[tuple[float, int]]:
        """The insert latency histogram: [(upper bound ms, count), ...]."""
        def buckets(h):
            out = []
            while True:
                try:
                    out.append(tuple(capi.qp_inserter_latency_bucket(h, len(out))))
                except InvalidArgumentError:  # past the last bucket
                    return out
        return self._g.call(buckets)

    def close(self) -> None:
        """Frees the inserter; pending rows are dropped unreported (flush
        first to keep them). From another thread it first wakes a flush."""
        self._g.close(capi.qp_inserter_wakeup)

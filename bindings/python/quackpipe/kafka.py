"""Kafka: the embedded mock cluster, the producer and topic provisioning."""

from __future__ import annotations

import dataclasses
from typing import Callable

from . import capi
from ._handle import Closing, Guard, _error
from .conf import Conf, _as_conf  # noqa: F401 (Conf: the hints' ConfLike)
from .event import Event
from .errors import WakeupError
from ._types import Buffer, ConfLike, Headers

__all__ = ["MockCluster", "Producer", "ProducerStats", "DeliveryReport", "Admin"]


def _headers(headers):
    """A C headers list from a mapping or an iterable of (name, value) pairs
    (value: bytes-like, str or None); None for no headers."""
    if not headers:
        return None
    items = headers.items() if hasattr(headers, "items") else headers
    built = capi.qp_headers_new()
    try:
        for name, value in items:
            capi.qp_headers_add(built, name, value)
    except BaseException:
        built.close()
        raise
    return built


class MockCluster(Closing):
    """librdkafka's mock Kafka cluster, in this process, on loopback.

    ``bootstrap`` is its bootstrap.servers value. Topics a client asks for
    are created with 4 partitions; create_topic() chooses the count. Every
    method may be called from any thread; close() it after the clients that
    use it.
    """

    __slots__ = ("_g", "__weakref__")

    def __init__(self, brokers: int = 1) -> None:
        self._g = Guard(self, capi.qp_mock_cluster_new(brokers), "mock cluster",
                        exclusive=False)

    @property
    def bootstrap(self) -> str:
        return self._g.call(capi.qp_mock_cluster_bootstrap)

    def create_topic(self, name: str, partitions: int = 1) -> None:
        """Creates a topic; KafkaError if it exists already."""
        self._g.call(capi.qp_mock_cluster_create_topic, name, partitions)

    def close(self) -> None:
        """Stops the cluster; clients still connected see their connections drop."""
        self._g.close()


@dataclasses.dataclass(frozen=True, slots=True)
class DeliveryReport:
    """The outcome of one published event: error is None when delivered,
    else the Error (TimeoutError, ClosedError when dropped at close,
    KafkaError)."""

    topic: str
    partition: int  # -1 when none was chosen
    offset: int     # -1 when not stored
    key: object     # bytes or None
    error: object   # None or a quackpipe.Error


@dataclasses.dataclass(frozen=True, slots=True)
class ProducerStats:
    queued: int
    delivered: int
    failed: int
    in_flight: int
    rejected: int


def _delivery_adapter(fn):
    def adapter(topic, partition, offset, key, code, message):
        fn(DeliveryReport(topic, partition, offset, key,
                          None if code == 0 else _error(code, message)))
    return adapter


class Producer(Closing):
    """Publishes scan events (keyed by device_id) and raw records to Kafka.

    ``Producer(conf, on_delivery=fn)`` takes the Conf over (a mapping is
    turned into one). Publishing is asynchronous: ``fn(report)`` receives a
    DeliveryReport per event, inside poll(), flush() and close(), on the
    thread that called them; an exception it raises is raised by that call
    once it returns. publish, poll, flush, stats and wakeup may be called
    from several threads at once; poll, flush and a publish waiting for
    room release the GIL, and wakeup() from another thread ends them
    (WakeupError). close() from another thread wakes them first.
    """

    __slots__ = ("_g", "_keep", "_close_ms", "__weakref__")

    def __init__(self, conf: ConfLike, on_delivery: Callable[[DeliveryReport], None] | None = None) -> None:
        conf = _as_conf(conf)
        self._close_ms = int(conf.get("qp.producer.close.timeout.ms"))
        # What the C producer may call: the conf's log callback, the adapter.
        self._keep = {"conf": dict(conf._hooks), "delivery": None}
        self._g = Guard(self, capi.qp_producer_new(conf._h), "producer",
                        exclusive=False, keep=self._keep)
        if on_delivery is not None:
            self.set_delivery_cb(on_delivery)

    def set_delivery_cb(self, fn: Callable[[DeliveryReport], None] | None) -> None:
        """Sets fn(report) (None removes it); call before the first publish."""
        adapter = None if fn is None else _delivery_adapter(fn)
        self._g.call(capi.qp_producer_set_delivery_cb, adapter)
        self._keep["delivery"] = adapter

    def publish(self, value: Buffer | None, key: Buffer | None = None,
                headers: Headers | None = None, topic: str | None = None) -> None:
        """Queues raw bytes (value None: a tombstone) under key (None: none)
        with headers (a mapping or (name, value) pairs) to topic (None:
        qp.topic.events). QueueFullError when the queue is full."""
        built = _headers(headers)
        try:
            self._g.call(capi.qp_producer_publish, topic, key, value, built, nested=True)
        finally:
            if built is not None:
                built.close()

    def publish_event(self, event: Event, topic: str | None = None) -> None:
        """Queues an Event, encoded and keyed by its device_id."""
        self._g.call(capi.qp_producer_publish_event, topic, event._h, nested=True)

    def poll(self, timeout_ms: int = 0) -> None:
        """Serves delivery reports, waiting up to timeout_ms (-1: no limit)."""
        self._g.call(capi.qp_producer_poll, timeout_ms, nested=True)

    def flush(self, timeout_ms: int = -1) -> None:
        """Sends everything and waits for every report; TimeoutError if some
        are still in flight after timeout_ms (the detail says how many)."""
        self._g.call(capi.qp_producer_flush, timeout_ms, nested=True)

    def wakeup(self) -> None:
        """Makes a poll, flush or waiting publish on another thread return
        (WakeupError); safe from any thread."""
        self._g.wakeup(capi.qp_producer_wakeup)

    def stats(self) -> ProducerStats:
        """The counters, as a ProducerStats."""
        out = capi.qp_producer_stats_t()
        self._g.call(capi.qp_producer_stats, out, nested=True)
        return ProducerStats(out.queued, out.delivered, out.failed, out.in_flight,
                             out.rejected)

    def close(self, timeout_ms: int | None = None) -> None:
        """Flushes for up to timeout_ms (None: qp.producer.close.timeout.ms),
        drops what is still undelivered (reported failed) and frees the
        producer. TimeoutError if some events were dropped (the producer is
        closed anyway). Closing twice is harmless."""
        timeout_ms = self._close_ms if timeout_ms is None else timeout_ms

        def finish(h):
            try:
                # A wakeup meant for the calls that close() ended may still
                # be pending: spend it here rather than on the final flush.
                capi.qp_producer_poll(h, 0)
            except WakeupError:
                pass
            capi.qp_producer_close(h, timeout_ms)

        self._g.close(capi.qp_producer_wakeup, finish)


class Admin(Closing):
    """Creates and checks the pipeline's topics (qp.topic.*).

    ``Admin(conf)`` takes the Conf over. One thread at a time; the calls
    release the GIL while they wait for the cluster.
    """

    __slots__ = ("_g", "__weakref__")

    def __init__(self, conf: ConfLike) -> None:
        conf = _as_conf(conf)
        keep = dict(conf._hooks)
        self._g = Guard(self, capi.qp_admin_new(conf._h), "admin", exclusive=True,
                        keep=keep)

    def ensure_topics(self, timeout_ms: int = 30000) -> None:
        """Creates the missing topics, checks the others (TopicMismatch is a
        KafkaError named QP_ERR_TOPIC_MISMATCH)."""
        self._g.call(capi.qp_admin_ensure_topics, timeout_ms)

    def check_topics(self, timeout_ms: int = 30000) -> None:
        """The check alone; NotFoundError names the missing topics."""
        self._g.call(capi.qp_admin_check_topics, timeout_ms)

    def close(self) -> None:
        self._g.close()

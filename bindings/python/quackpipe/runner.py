"""The consumer-group runner: next / ack / retry / dead-letter, or run(handler)."""

from __future__ import annotations

import dataclasses
import enum
import operator
from typing import Any, Callable, Iterable, Iterator

from . import capi
from ._handle import Closing, Guard, _error
from .errors import (ClosedError, Error, InvalidArgumentError, NoEventError,
                     WakeupError)
from .conf import Conf, _as_conf  # noqa: F401 (Conf: the hints' ConfLike)
from .event import Event
from .kafka import Producer
from ._types import ConfLike

__all__ = ["Runner", "Message", "MessageKind", "Verdict", "RunnerStats",
           "PartitionStats"]


class MessageKind(enum.IntEnum):
    EVENT = capi.QP_MESSAGE_EVENT        # an event from a subscribed topic
    ASSIGNED = capi.QP_MESSAGE_ASSIGNED  # partitions assigned to the runner
    REVOKED = capi.QP_MESSAGE_REVOKED    # partitions being taken away


class Verdict(enum.IntEnum):
    """What a run() handler returns for a message (None means ACK)."""

    ACK = capi.QP_RUNNER_ACK
    RETRY = capi.QP_RUNNER_RETRY
    # Dead-letter, with the last library error raised on this thread in the
    # handler (e.g. a ValidationError it caught) as the reason.
    DEAD_LETTER = capi.QP_RUNNER_DEAD_LETTER


class Message:
    """One delivery from a Runner: an event or a rebalance notice.

    Lent by the runner until ack(), retry() or dead_letter() on it (for a
    run() handler: until the handler returns); afterwards every attribute
    raises ClosedError, and so does the Event of ``event``. Attributes read
    the library's message on each access; key, value and headers are
    copies (bytes).
    """

    __slots__ = ("_h", "_runner", "_lent", "_event")

    def __init__(self, handle: Any, runner: Runner, lent: bool = False) -> None:
        self._h = handle
        self._runner = runner
        self._lent = lent  # a run() handler's: released by its verdict
        self._event = None

    def _ptr(self):
        if self._h is None:
            raise _error(capi.QP_ERR_CLOSED,
                         "message was released (acked, retried or dead-lettered)")
        return self._h

    def _release(self):
        h, self._h = self._h, None
        if self._event is not None:
            self._event.close()
        if h is not None:
            h.close()  # forgets the pointer; the runner owns the memory

    @property
    def released(self) -> bool:
        return self._h is None

    @property
    def kind(self) -> MessageKind:
        return MessageKind(capi.qp_message_kind(self._ptr()))

    @property
    def topic(self) -> str | None:
        """The source topic of an event; None for a notice."""
        return capi.qp_message_topic(self._ptr())

    @property
    def partition(self) -> int:
        return capi.qp_message_partition(self._ptr())

    @property
    def offset(self) -> int:
        return capi.qp_message_offset(self._ptr())

    @property
    def key(self) -> bytes | None:
        """The record's key (bytes), None when it has none."""
        return capi.qp_message_key(self._ptr())

    @property
    def value(self) -> bytes | None:
        """The record's bytes, None for a notice or a null value."""
        return capi.qp_message_value(self._ptr())

    @property
    def timestamp(self) -> int:
        """The Kafka timestamp, epoch ms; -1 when the record has none."""
        return capi.qp_message_timestamp(self._ptr())

    @property
    def headers(self) -> dict[str, bytes | None]:
        """The record's headers as {name: bytes or None}; for a repeated name
        the last value, as Kafka clients read them. header_list has all."""
        return dict(self.header_list)

    @property
    def header_list(self) -> list[tuple[str, bytes | None]]:
        """Every header in order, as (name, bytes or None) pairs."""
        h = self._ptr()
        return [tuple(capi.qp_message_header_at(h, i))
                for i in range(capi.qp_message_header_count(h))]

    @property
    def event(self) -> Event | None:
        """The decoded Event (qp.runner.decode raw or enriched), else None."""
        h = self._ptr()
        if self._event is None:
            borrowed = capi.qp_message_event(h)
            if borrowed is None:
                return None
            self._event = Event(borrowed)
        return self._event

    @property
    def decode_error(self) -> Error | None:
        """The ValidationError of an event that failed to decode (handed out
        only with qp.runner.dlq.auto = false), else None."""
        h = self._ptr()
        code = capi.qp_message_decode_error(h)
        return None if code == capi.QP_OK else _error(code, capi.qp_message_decode_detail(h))

    @property
    def retry_count(self) -> int:
        """Retries of this event before this delivery (0 at first)."""
        return capi.qp_message_retry_count(self._ptr())

    @property
    def assignment(self) -> list[tuple[str, int]]:
        """The (topic, partition) pairs of a rebalance notice; [] for events."""
        h = self._ptr()
        return [(capi.qp_message_assignment_topic(h, i),
                 capi.qp_message_assignment_partition(h, i))
                for i in range(capi.qp_message_assignment_count(h))]

    def __repr__(self):
        if self._h is None:
            return "<quackpipe.Message (released)>"
        kind = self.kind
        if kind == MessageKind.EVENT:
            return f"<quackpipe.Message {self.topic}[{self.partition}]@{self.offset}>"
        return f"<quackpipe.Message {kind.name} {self.assignment}>"


@dataclasses.dataclass(frozen=True, slots=True)
class PartitionStats:
    topic: str
    partition: int
    position: int        # last consumed offset + 1; -1 before the first
    high_watermark: int  # -1 unknown
    lag: int             # -1 unknown
    committed: int       # -1 none
    outstanding: int     # consumed offsets not yet acked / dead-lettered


@dataclasses.dataclass(frozen=True, slots=True)
class RunnerStats:
    consumed: int
    acked: int
    retried: int
    dead_lettered: int
    decode_failed: int
    dlq_failed: int
    commits: int
    commit_failed: int
    held: int
    retry_pending: int
    dlq_in_flight: int
    paused: bool
    partitions: tuple  # of PartitionStats


_RUNNER_COUNTERS = [f.name for f in dataclasses.fields(RunnerStats)][:-1]
_PARTITION_FIELDS = [f.name for f in dataclasses.fields(PartitionStats)]


def _runner_stats(h):
    snapshot = capi.qp_runner_stats(h)
    try:
        parts = tuple(
            PartitionStats(*(getattr(p, name) for name in _PARTITION_FIELDS))
            for p in (capi.qp_runner_stats_partition_at(snapshot, i)
                      for i in range(snapshot.partition_count)))
        return RunnerStats(*(getattr(snapshot, name) for name in _RUNNER_COUNTERS),
                           partitions=parts)
    finally:
        snapshot.close()


class Runner(Closing):
    """Joins a consumer group and hands out its events (runner.h).

    ``Runner(conf, topics)`` takes the Conf over (group.id is required).
    Pull with next() / next_batch() and release every message with ack(),
    retry() or dead_letter(); or let run(handler) do the loop. A runner is
    used from one thread at a time (another thread's call raises
    StateError while one is in flight); wakeup() and close() work from any
    thread: both end a blocked next() or run(). next, next_batch, run and
    close release the GIL.
    """

    __slots__ = ("_g", "_held", "__weakref__")

    def __init__(self, conf: ConfLike, topics: str | Iterable[str] = ()) -> None:
        conf = _as_conf(conf)
        keep = dict(conf._hooks)
        self._g = Guard(self, capi.qp_runner_new(conf._h), "runner", exclusive=True,
                        keep=keep)
        self._held = {}  # id -> Message handed out and not yet released
        if isinstance(topics, (str, bytes)):
            topics = (topics,)  # one topic, not one per character
        for topic in topics:
            self.subscribe(topic)

    def __iter__(self) -> Iterator[Message]:
        """``for msg in runner:`` calls next() until wakeup() or close() (from
        another thread, a signal handler or a callback) ends the loop; other
        errors propagate. Each message is still released with ack(), retry()
        or dead_letter()."""
        while True:
            try:
                msg = self.next()
            except (WakeupError, ClosedError):
                return
            if msg is not None:
                yield msg

    def subscribe(self, topic: str) -> None:
        """Adds topic ('^' starts a regular expression) to the subscription."""
        self._g.call(capi.qp_runner_subscribe, topic)

    def _lend(self, handle):
        msg = Message(handle, self)
        self._held[id(msg)] = msg
        return msg

    def next(self, timeout_ms: int = -1) -> Message | None:
        """The next Message, or None when timeout_ms ran out (-1: no limit).
        WakeupError when wakeup() (or close() from another thread) ended it."""
        try:
            handle = self._g.call(capi.qp_runner_next, timeout_ms)
        except NoEventError:
            return None
        return self._lend(handle)

    def next_batch(self, max_messages: int, timeout_ms: int = -1) -> list[Message]:
        """Up to max_messages Messages: waits for the first, then takes what
        is ready. A rebalance notice ends a batch. [] when the time ran out."""
        try:
            handles = self._g.call(capi.qp_runner_next_batch, max_messages, timeout_ms)
        except NoEventError:
            return []
        return [self._lend(h) for h in handles]

    def _own(self, msg):
        if not isinstance(msg, Message) or msg._runner is not self:
            raise _error(capi.QP_ERR_INVALID_ARG, "runner: not a message of this runner")
        if msg._lent:
            raise _error(capi.QP_ERR_STATE,
                         "runner: a run() handler's message is released by its verdict")
        return msg._ptr()

    def _forget(self, msg):
        self._held.pop(id(msg), None)
        msg._release()

    def _release(self, fn, msg, *args):
        ptr = self._own(msg)
        h = self._g.enter()
        released = True
        try:
            fn(h, ptr, *args)
        except InvalidArgumentError:
            released = False  # a notice given to retry / dead_letter stays held
            raise
        finally:
            if released:
                self._forget(msg)
            self._g.exit()

    def ack(self, msg: Message) -> None:
        """Releases msg as done (its offset becomes committable). StateError
        if its partition was taken away meanwhile (released anyway)."""
        self._release(capi.qp_runner_ack, msg)

    def ack_batch(self, msgs: Iterable[Message]) -> None:
        """Acks msgs in order; raises the first failure (all are released)."""
        msgs = list(msgs)
        ptrs = [self._own(m) for m in msgs]
        h = self._g.enter()
        try:
            capi.qp_runner_ack_batch(h, ptrs)
        finally:
            for m in msgs:
                self._forget(m)
            self._g.exit()

    def retry(self, msg: Message) -> None:
        """Releases an event for re-delivery after a backoff; past
        qp.runner.retry.max retries it is dead-lettered instead."""
        self._release(capi.qp_runner_retry, msg)

    def dead_letter(self, msg: Message, code: int | Error = capi.QP_ERR_USER,
                    reason: str | None = None) -> None:
        """Releases an event to the dead-letter topic with the error code
        (an int, or a quackpipe.Error whose code and detail are used) and a
        reason in its headers."""
        if isinstance(code, Error):
            code, reason = code.code, reason if reason is not None else code.detail
        self._release(capi.qp_runner_dead_letter, msg, code, reason)

    def run(self, handler: Callable[[Message], int | None]) -> None:
        """Calls handler(message) for each message until wakeup() or close()
        (then returns). handler returns a Verdict (None: ACK); the message is
        released by it. An exception in handler stops the run, puts the
        message back for re-delivery and is raised here."""
        def call(handle):
            msg = Message(handle, self, lent=True)
            try:
                verdict = handler(msg)
            finally:
                msg._release()
            return Verdict.ACK if verdict is None else operator.index(verdict)

        try:
            self._g.call(capi.qp_runner_run, call)
        except WakeupError:
            return

    def rewind(self, timeout_ms: int = 30000) -> None:
        """Reads every assigned partition again from its committed offset;
        messages still held become stale (their ack raises StateError).
        Without transactions, what was acked is committed first."""
        self._g.call(capi.qp_runner_rewind, timeout_ms)

    # Exactly-once (qp.runner.transactional=true and a Producer whose conf
    # sets transactional.id): begin, publish the outputs, ack the inputs,
    # commit. A commit that cannot happen aborts and rewinds, and raises
    # KafkaError with code QP_ERR_TXN_ABORTED: the events come again.

    def _transaction(self, fn, producer, timeout_ms):
        ph = producer._g.enter()
        try:
            self._g.call(fn, ph, timeout_ms)
        finally:
            producer._g.exit()

    def begin_transaction(self, producer: Producer, timeout_ms: int = 30000) -> None:
        """Starts a transaction on producer (the first call initialises
        transactions, fencing an older producer with the same id)."""
        self._transaction(capi.qp_runner_begin_transaction, producer, timeout_ms)

    def commit_transaction(self, producer: Producer, timeout_ms: int = 30000) -> None:
        """Commits the outputs together with this runner's acked offsets."""
        self._transaction(capi.qp_runner_commit_transaction, producer, timeout_ms)

    def abort_transaction(self, producer: Producer, timeout_ms: int = 30000) -> None:
        """Aborts the outputs and rewinds to the last committed offsets."""
        self._transaction(capi.qp_runner_abort_transaction, producer, timeout_ms)

    def wakeup(self) -> None:
        """Ends the current (or the next) next / next_batch / run call from
        any thread: next raises WakeupError, run returns."""
        self._g.wakeup(capi.qp_runner_wakeup)

    def pause(self) -> None:
        """Stops fetching from every partition until resume() (allowed
        inside a run() handler)."""
        self._g.call(capi.qp_runner_pause, nested=True)

    def resume(self) -> None:
        self._g.call(capi.qp_runner_resume, nested=True)

    def stats(self) -> RunnerStats:
        """Counters and per-partition lag, as a RunnerStats."""
        return self._g.call(_runner_stats, nested=True)

    def close(self) -> None:
        """Commits what was acked, leaves the group and frees the runner;
        messages still held become invalid (they will be delivered again).
        From another thread it first ends a blocked next() or run().
        KafkaError if the final commit failed (closed anyway)."""
        def finish(h):
            try:
                capi.qp_runner_close(h)
            finally:
                for msg in list(self._held.values()):
                    msg._release()
                self._held.clear()

        self._g.close(capi.qp_runner_wakeup, finish)

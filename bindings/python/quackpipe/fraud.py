"""The fraud rule engine: built-in rules, custom rules, counters (fraud.h)."""

from __future__ import annotations

import os
from typing import Any, Callable

from . import capi
from ._handle import Closing, Guard
from .conf import Conf, _as_conf  # noqa: F401 (Conf: the hints' ConfLike)
from .event import Enrichment, Event
from ._types import ConfLike

__all__ = ["FraudEngine", "FraudVerdict"]


class FraudVerdict:
    """The verdict so far, lent to a custom rule for its call."""

    __slots__ = ("_h",)

    def __init__(self, handle: Any) -> None:
        self._h = handle

    def add_flag(self, flag: str, penalty: float) -> None:
        """Adds flag (idempotent) and lowers the score by penalty in [0, 1]."""
        capi.qp_fraud_verdict_add_flag(self._h, flag, penalty)

    @property
    def score(self) -> float:
        return capi.qp_fraud_verdict_score(self._h)

    @property
    def flags(self) -> list[str]:
        return [capi.qp_fraud_verdict_flag_at(self._h, i)
                for i in range(capi.qp_fraud_verdict_flag_count(self._h))]

    @property
    def received_ms(self) -> int:
        return capi.qp_fraud_verdict_received_ms(self._h)


def _enrichment(borrowed):
    """A copy of the engine's enrichment, valid after its next call."""
    flags = tuple(capi.qpb_enrichment_flag_at(borrowed, i)
                  for i in range(borrowed.fraud_flag_count))
    return Enrichment(received_ms=borrowed.received_ms, fraud_flags=flags,
                      quality_score=borrowed.quality_score,
                      location_cluster=borrowed.location_cluster,
                      enriched_by=borrowed.enriched_by)


def _rule_adapter(rule):
    def adapter(event, verdict):
        ev, judged = Event(event), FraudVerdict(verdict)
        try:
            rule(ev, judged)
        finally:
            ev.close()  # both are lent for this call only
            judged._h.close()
    return adapter


class FraudEngine(Closing):
    """Judges scan events: flags, a quality score, a location cluster.

    ``FraudEngine(conf)`` reads the qp.fraud.* properties (conf may be None
    or a mapping) and keeps its own copy: the Conf stays the caller's. One
    thread at a time.
    """

    __slots__ = ("_g", "_keep", "__weakref__")

    def __init__(self, conf: ConfLike | None = None) -> None:
        conf = None if conf is None else _as_conf(conf)
        self._keep = {"conf": dict(conf._hooks) if conf is not None else {}, "rules": []}
        handle = capi.qp_fraud_new(conf._h if conf is not None else None)
        self._g = Guard(self, handle, "fraud engine", exclusive=True, keep=self._keep)

    def load_towers(self, path: str | os.PathLike[str]) -> None:
        """Adds the towers of an OpenCelliD CSV file (bad lines are counted
        in counter("tower_bad_lines") unless qp.fraud.towers.strict)."""
        self._g.call(capi.qp_fraud_load_towers, os.fspath(path))

    def load_radiomap(self, path: str | os.PathLike[str]) -> None:
        """Replaces the radio map of the radio_mismatch rule by a radio map
        file's stations (docs/fraud.md); on failure the old map stays."""
        self._g.call(capi.qp_fraud_load_radiomap, os.fspath(path))

    def radiomap_export(self) -> bytes:
        """The radio map learned from the events evaluated with
        qp.fraud.radiomap.learn = true, as a radio map file."""
        return self._g.call(capi.qp_fraud_radiomap_export)

    def add_rule(self, name: str, rule: Callable[[Event, FraudVerdict], None]) -> None:
        """Registers rule(event, verdict), run after the built-in rules for
        each evaluated event; it calls verdict.add_flag() to flag it. An
        exception in rule aborts that evaluation (nothing changes) and is
        raised by evaluate()."""
        adapter = _rule_adapter(rule)
        self._g.call(capi.qp_fraud_add_rule, name, adapter)
        self._keep["rules"].append(adapter)

    def evaluate(self, event: Event, received_ms: int, partition: int = 0) -> Enrichment:
        """Judges event (an Event) received at received_ms (epoch ms) from
        partition, updates its device's state; returns an Enrichment."""
        def judge(h):
            return _enrichment(capi.qp_fraud_evaluate(h, event._h, received_ms, partition))
        return self._g.call(judge)

    def warm(self, event: Event, received_ms: int, partition: int = 0) -> None:
        """Replays an event into the state only (no counters, no custom rules)."""
        self._g.call(capi.qp_fraud_warm, event._h, received_ms, partition)

    def partition_revoked(self, partition: int) -> None:
        """Forgets the devices last seen on partition; returns how many."""
        return self._g.call(capi.qp_fraud_partition_revoked, partition)

    def rules(self) -> list[str]:
        """Every rule name: the built-ins in order, then the custom ones."""
        def names(h):
            out, i = [], 0
            while (name := capi.qp_fraud_rule_name(h, i)) is not None:
                out.append(name)
                i += 1
            return out
        return self._g.call(names, nested=True)

    def rule_count(self, rule: str) -> int:
        """Evaluated events rule flagged; KeyError for an unknown rule."""
        n = self._g.call(capi.qp_fraud_rule_count, rule, nested=True)
        if n < 0:
            raise KeyError(rule)
        return n

    def counter(self, name: str) -> int:
        """An engine counter ("evaluated", "flagged", "towers", ... see
        fraud.h); KeyError for an unknown name."""
        n = self._g.call(capi.qp_fraud_counter, name, nested=True)
        if n < 0:
            raise KeyError(name)
        return n

    def close(self) -> None:
        self._g.close()

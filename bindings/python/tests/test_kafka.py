"""Producer, runner and admin on the embedded mock cluster."""

import json
import sys
import threading
import time

import pytest

import quackpipe
from quackpipe import MessageKind, capi
from conftest import make_event, runner_conf


def next_event(runner, timeout_ms=15000):
    """The next event message; rebalance notices on the way are acked."""
    while True:
        msg = runner.next(timeout_ms)
        assert msg is not None, f"no event within {timeout_ms} ms"
        if msg.kind == MessageKind.EVENT:
            return msg
        assert msg.topic is None and msg.assignment
        runner.ack(msg)


def wait_in_flight(obj, thread):
    """Until `thread` is inside a call on obj (white box: its guard); fails,
    instead of waiting for ever, if the thread has ended or 10 s passed."""
    deadline = time.monotonic() + 10
    while not obj._g._threads:
        assert thread.is_alive(), "the thread ended before its call was seen in flight"
        assert time.monotonic() < deadline, "no call in flight within 10 s"
        time.sleep(0.001)


def producer(mock, **props):
    return quackpipe.Producer({"bootstrap.servers": mock.bootstrap, **props})


def test_round_trip_with_headers_and_the_dead_letter_queue(mock, unique):
    topic, dlq = unique("events"), unique("dlq")
    mock.create_topic(topic, 1)
    reports = []
    first, second = make_event("dev-a"), make_event("dev-a")
    with producer(mock) as p:
        p.set_delivery_cb(reports.append)
        p.publish(first, key=b"dev-a", topic=topic,
                  headers=[("trace", b"t-1"), ("null", None), ("trace", "t-2")])
        p.publish(b'{"schema_version":1,', key=b"dev-a", topic=topic)  # malformed
        p.publish_event(quackpipe.decode(second), topic=topic)
        p.flush(10000)
        assert p.stats() == quackpipe.ProducerStats(queued=3, delivered=3, failed=0,
                                                    in_flight=0, rejected=0)
    assert [(r.topic, r.partition, r.offset, r.key, r.error) for r in reports] == [
        (topic, 0, 0, b"dev-a", None), (topic, 0, 1, b"dev-a", None),
        (topic, 0, 2, b"dev-a", None)]

    runner = quackpipe.Runner(runner_conf(mock, unique("g"), **{"qp.topic.dlq": dlq}),
                              [topic])
    msg = next_event(runner)
    assert (msg.topic, msg.partition, msg.offset) == (topic, 0, 0)
    assert msg.key == b"dev-a" and msg.value == first
    assert msg.headers == {"trace": b"t-2", "null": None}
    assert msg.header_list == [("trace", b"t-1"), ("null", None), ("trace", b"t-2")]
    assert msg.timestamp > 0 and msg.retry_count == 0 and msg.assignment == []
    assert msg.decode_error is None
    event = msg.event
    assert event.device_id == "dev-a" and event.scan_id == json.loads(first)["scan_id"]
    assert event.gps.lat == 48.8566
    runner.ack(msg)
    # The message and its event are released with the ack.
    for read in (lambda: msg.value, lambda: msg.kind, lambda: event.device_id,
                 lambda: runner.ack(msg)):
        with pytest.raises(quackpipe.ClosedError):
            read()
    assert msg.released and "released" in repr(msg)

    # Offset 1 failed to decode: it went to the dead-letter topic instead.
    msg = next_event(runner)
    assert msg.offset == 2 and msg.value == quackpipe.decode(second).encode()
    assert msg.headers == {}
    runner.ack(msg)
    stats = runner.stats()
    assert (stats.consumed, stats.acked, stats.decode_failed, stats.held) == (3, 2, 1, 0)
    assert [(p.topic, p.partition, p.position) for p in stats.partitions] == [(topic, 0, 3)]
    runner.close()  # waits for the dead-letter write
    with pytest.raises(quackpipe.ClosedError):
        runner.next(0)

    reader = quackpipe.Runner(runner_conf(mock, unique("g"), **{"qp.runner.decode": "none"}),
                              [dlq])
    try:
        dead = next_event(reader)
        assert dead.value == b'{"schema_version":1,' and dead.key == b"dev-a"
        assert dead.event is None
        headers = dead.headers
        assert headers["qp.error.code"] == b"QP_ERR_JSON"
        assert headers["qp.error.text"].startswith(b"offset ")
        assert headers["qp.source.topic"] == topic.encode()
        assert (headers["qp.source.partition"], headers["qp.source.offset"]) == (b"0", b"1")
        assert headers["qp.retry.count"] == b"0"
        reader.ack(dead)
    finally:
        reader.close()


def test_delivery_callback_runs_in_poll_and_flush(mock, unique, monkeypatch):
    topic = unique("delivery")
    mock.create_topic(topic, 2)
    reports, threads = [], []

    def on_delivery(report):
        reports.append(report)
        threads.append(threading.get_ident())

    with producer(mock, **{"linger.ms": 0}) as p:
        p.set_delivery_cb(on_delivery)
        p.publish(b"one", key=b"k1", topic=topic)
        for _ in range(200):  # poll serves the report once the broker acked
            p.poll(50)
            if reports:
                break
        assert len(reports) == 1 and reports[0].error is None and reports[0].offset == 0
        p.publish(b"two", topic=topic)
        p.publish(b"three", topic=topic)
        p.flush(10000)
        assert len(reports) == 3
        assert all(r.error is None for r in reports) and reports[1].key is None
        assert set(threads) == {threading.get_ident()}

        # An exception in the callback does not stop the reports; the call
        # that ran it raises the first one afterwards, later ones go to
        # sys.unraisablehook.
        def failing(report):
            reports.append(report)
            raise RuntimeError(f"rejected {report.offset}")

        unraisable = []
        monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
        p.set_delivery_cb(failing)
        p.publish(b"four", key=b"k1", topic=topic)
        p.publish(b"five", key=b"k1", topic=topic)
        with pytest.raises(RuntimeError, match="rejected") as info:
            p.flush(10000)
        assert len(reports) == 5 and p.stats().delivered == 5
        assert [str(u.exc_value) for u in unraisable] == [
            f"rejected {r.offset}" for r in reports[4:]]
        assert str(info.value) == f"rejected {reports[3].offset}"
        p.poll(0)  # nothing pending any more: the exception was raised once


def test_delivery_failure_and_close_report_the_error(mock, unique):
    reports = []
    # A producer of a cluster that is not there: its events fail when their
    # message.timeout.ms passes, or are dropped at close.
    p = quackpipe.Producer({"bootstrap.servers": "127.0.0.1:1", "message.timeout.ms": 100,
                            "socket.connection.setup.timeout.ms": 1000},
                           on_delivery=reports.append)
    p.publish(b"lost", topic=unique("nowhere"))
    with pytest.raises(quackpipe.TimeoutError):
        p.flush(50)
    p.flush(5000)
    assert len(reports) == 1 and isinstance(reports[0].error, quackpipe.Error)
    assert reports[0].error.name == "QP_ERR_TIMEOUT"
    p.publish(b"dropped", topic=unique("nowhere"))
    with pytest.raises(quackpipe.TimeoutError) as info:
        p.close(0)
    assert "1 events undelivered" in info.value.detail
    assert reports[1].error.name == "QP_ERR_CLOSED"
    with pytest.raises(quackpipe.ClosedError):
        p.publish(b"after", topic="t")
    p.close()  # harmless


def test_producer_wakeup_and_close_from_another_thread(mock, unique):
    p = producer(mock)
    ended = []

    def poll_until_stopped():
        # poll(-1) may also return early with nothing served (a wakeup
        # consumed by an earlier call leaves librdkafka's queue yielded).
        try:
            while True:
                p.poll(-1)
        except quackpipe.Error as err:
            ended.append(err)

    t = threading.Thread(target=poll_until_stopped)
    t.start()
    wait_in_flight(p, t)
    p.wakeup()
    t.join(10)
    assert not t.is_alive() and isinstance(ended[0], quackpipe.WakeupError)

    t = threading.Thread(target=poll_until_stopped)
    t.start()
    wait_in_flight(p, t)
    p.close()  # wakes the poll, waits for it, then frees the producer
    t.join(10)
    assert not t.is_alive() and p.closed
    # Woken inside poll, or refused at the next one if it was between two.
    assert isinstance(ended[1], (quackpipe.WakeupError, quackpipe.ClosedError))
    with pytest.raises(quackpipe.ClosedError):
        p.poll(0)
    p.wakeup()  # after close: nothing to wake, no crash


def test_producer_takes_the_conf_over(mock):
    conf = quackpipe.Conf({"bootstrap.servers": mock.bootstrap})
    with quackpipe.Producer(conf):
        with pytest.raises(quackpipe.ClosedError):
            conf.get("bootstrap.servers")
    bad = quackpipe.Conf({"bootstrap.servers": mock.bootstrap, "acks": "bogus"})
    with pytest.raises(quackpipe.ConfigError):
        quackpipe.Producer(bad)
    with pytest.raises(quackpipe.ClosedError):  # taken over on failure too
        bad.get("acks")


def test_admin_ensure_and_check_topics(mock, unique):
    names = {f"qp.topic.{t}": unique(t) for t in ("events", "enriched", "alerts", "dlq")}
    conf = {"bootstrap.servers": mock.bootstrap, **names}
    with quackpipe.Admin(conf) as admin:
        with pytest.raises(quackpipe.NotFoundError) as info:
            admin.check_topics(10000)
        assert names["qp.topic.events"] in info.value.detail
        admin.ensure_topics(10000)
        admin.ensure_topics(10000)  # harmless
        admin.check_topics(10000)

    # A topic with fewer partitions than configured is reported, not changed.
    short = {**names, "qp.topic.events": unique("events")}
    mock.create_topic(short["qp.topic.events"], 1)
    with quackpipe.Admin({"bootstrap.servers": mock.bootstrap, **short}) as admin:
        with pytest.raises(quackpipe.KafkaError) as info:
            admin.ensure_topics(10000)
        assert info.value.name == "QP_ERR_TOPIC_MISMATCH"
        assert "partitions" in info.value.detail
    with pytest.raises(quackpipe.ClosedError):
        admin.check_topics(1000)


def test_mock_cluster(mock, unique):
    assert mock.bootstrap.startswith("127.0.0.1:")
    name = unique("created")
    mock.create_topic(name, 3)
    with pytest.raises(quackpipe.KafkaError):
        mock.create_topic(name, 3)
    with quackpipe.MockCluster(brokers=3) as other:
        assert other.bootstrap.count(",") == 2
    with pytest.raises(quackpipe.ClosedError):
        other.bootstrap
    with pytest.raises(quackpipe.InvalidArgumentError):
        quackpipe.MockCluster(brokers=0)
    assert capi.QP_MESSAGE_EVENT == MessageKind.EVENT

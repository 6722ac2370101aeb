"""The runner's pull API, run() with a handler, and its threads."""

import threading

import pytest

import quackpipe
from quackpipe import MessageKind, Verdict
from conftest import make_event, runner_conf
from test_kafka import next_event, wait_in_flight


def fill(mock, topic, n, device="dev-r"):
    """n events on a new one-partition topic; returns their bytes."""
    mock.create_topic(topic, 1)
    events = [make_event(device) for _ in range(n)]
    with quackpipe.Producer({"bootstrap.servers": mock.bootstrap}) as p:
        for event in events:
            p.publish(event, key=device, topic=topic)
        p.flush(10000)
    return events


def test_pull_batch_retry_dead_letter(mock, unique):
    topic = unique("pull")
    events = fill(mock, topic, 4)
    runner = quackpipe.Runner(runner_conf(mock, unique("g"), **{
        "qp.topic.dlq": unique("dlq"), "qp.runner.retry.backoff.ms": 1,
        "qp.runner.retry.backoff.max.ms": 1}), [topic])
    try:
        got = [next_event(runner)]
        while len(got) < 4:
            got += runner.next_batch(10, 5000)
        assert [m.offset for m in got] == [0, 1, 2, 3]
        assert [m.value for m in got] == events
        assert runner.stats().held == 4

        runner.retry(got[0])
        runner.dead_letter(got[1], quackpipe.ValidationError(-17, "QP_ERR_FIELD_RANGE",
                                                              "gps.lat: out of range"))
        runner.ack_batch(got[2:])
        assert all(m.released for m in got)
        with pytest.raises(quackpipe.ClosedError):
            runner.ack(got[2])

        again = next_event(runner)  # the retried event, after its backoff
        assert (again.offset, again.retry_count, again.value) == (0, 1, events[0])
        runner.ack(again)
        while runner.stats().dead_lettered < 1:  # the DLQ write is acknowledged
            assert runner.next(100) is None
        stats = runner.stats()
        assert (stats.acked, stats.retried, stats.dead_lettered, stats.held) == (3, 1, 1, 0)
        assert runner.next_batch(10, 0) == []

        other = quackpipe.Runner(runner_conf(mock, unique("g")))
        with pytest.raises(quackpipe.InvalidArgumentError):
            other.ack(again)  # not its message
        other.close()
    finally:
        runner.close()


def test_run_with_a_handler(mock, unique):
    topic = unique("run")
    events = fill(mock, topic, 5)
    runner = quackpipe.Runner(runner_conf(mock, unique("g")), [topic])
    try:
        # An exception stops the run and is raised here; the message it was
        # handling is put back, not counted as a retry.
        def failing(msg):
            if msg.kind == MessageKind.EVENT:
                raise ValueError(f"cannot handle offset {msg.offset}")
        with pytest.raises(ValueError, match="cannot handle offset 0"):
            runner.run(failing)

        seen, kept, done = [], [], threading.Event()

        def handler(msg):
            if msg.kind != MessageKind.EVENT:
                return None  # notices are acked by run()
            seen.append((msg.offset, msg.retry_count, msg.event.device_id, msg.value))
            kept.append(msg)
            runner.pause()    # allowed inside a handler
            runner.resume()
            with pytest.raises(quackpipe.StateError):
                runner.ack(msg)  # the verdict releases it
            with pytest.raises(quackpipe.StateError):
                runner.next(0)
            if len(seen) == len(events):
                done.set()
            return Verdict.ACK

        # The run ends when another thread calls wakeup().
        waker = threading.Thread(target=lambda: done.wait(30) and runner.wakeup())
        waker.start()
        runner.run(handler)
        waker.join()
        assert seen == [(i, 0, "dev-r", events[i]) for i in range(5)]
        with pytest.raises(quackpipe.ClosedError):
            kept[0].offset  # lent for the handler's call only
        assert runner.stats().acked == 5

        # close() inside a handler takes effect when run() returns.
        with quackpipe.Producer({"bootstrap.servers": mock.bootstrap}) as p:
            p.publish(make_event("dev-r"), key="dev-r", topic=topic)
            p.flush(10000)

        def closing(msg):
            assert runner.close() is None
            assert runner.closed
        runner.run(closing)
        assert runner.closed
        with pytest.raises(quackpipe.ClosedError):
            runner.next(0)
    finally:
        runner.close()


def test_blocked_next_and_other_threads(mock, unique):
    runner = quackpipe.Runner(runner_conf(mock, unique("g")), [unique("quiet")])
    outcome = []

    def wait_forever():
        try:
            outcome.append(runner.next(-1))
        except quackpipe.Error as err:
            outcome.append(err)

    t = threading.Thread(target=wait_forever)
    t.start()
    wait_in_flight(runner, t)
    # One thread at a time: a second thread's call is refused, not raced.
    with pytest.raises(quackpipe.StateError):
        runner.stats()
    runner.wakeup()
    t.join(10)
    assert not t.is_alive() and isinstance(outcome[0], quackpipe.WakeupError)

    t = threading.Thread(target=wait_forever)
    t.start()
    wait_in_flight(runner, t)
    runner.close()  # wakes the thread's next(), waits for it, frees the runner
    t.join(10)
    assert not t.is_alive() and isinstance(outcome[1], quackpipe.WakeupError)
    for call in (lambda: runner.next(0), runner.stats, runner.pause,
                 lambda: runner.subscribe("t")):
        with pytest.raises(quackpipe.ClosedError):
            call()
    runner.wakeup()  # harmless after close
    runner.close()


def test_runner_conf_errors(mock):
    conf = quackpipe.Conf({"bootstrap.servers": mock.bootstrap})  # no group.id
    with pytest.raises(quackpipe.Error):
        quackpipe.Runner(conf)
    with pytest.raises(quackpipe.ClosedError):  # taken over, even on failure
        conf.get("bootstrap.servers")


def test_transactions_and_rewind(mock, unique):
    topic, out = unique("txn-in"), unique("txn-out")
    fill(mock, topic, 3)
    mock.create_topic(out, 1)
    runner = quackpipe.Runner(runner_conf(mock, unique("g"), **{
        "qp.runner.transactional": "true"}), [topic])
    producer = quackpipe.Producer({"bootstrap.servers": mock.bootstrap,
                                   "transactional.id": unique("tx")})
    with runner, producer:
        runner.begin_transaction(producer)
        for expected in range(2):
            msg = next_event(runner)
            assert msg.offset == expected
            producer.publish(msg.value, key=msg.key, topic=out)
            runner.ack(msg)
        # Aborted: the same events come again, from the first offset.
        runner.abort_transaction(producer)
        held = None
        runner.begin_transaction(producer)
        for expected in range(3):
            msg = next_event(runner)
            assert msg.offset == expected
            producer.publish(msg.value, key=msg.key, topic=out)
            if expected < 2:
                runner.ack(msg)
            else:
                held = msg
        runner.commit_transaction(producer)
        # The held event is stale after a rewind: acking it says so.
        runner.rewind()
        with pytest.raises(quackpipe.StateError):
            runner.ack(held)
        assert next_event(runner).offset == 2
    not_transactional = quackpipe.Runner(runner_conf(mock, unique("g")), [topic])
    with not_transactional, quackpipe.Producer({"bootstrap.servers": mock.bootstrap}) as p:
        with pytest.raises(quackpipe.StateError):
            not_transactional.begin_transaction(p)

"""The inserter without a ClickHouse server: a closed port, and a stand-in
HTTP server on loopback that answers the way ClickHouse does."""

import http.server
import socket
import threading
import urllib.parse

import pytest

import quackpipe
from test_kafka import wait_in_flight


@pytest.fixture
def closed_port():
    """A loopback port nothing listens on. It stays bound (not listening)
    for the test, so connections to it are refused and no other process
    can start listening on it meanwhile (released at once, another test
    run on the machine could take it, and the inserter would talk to that)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        yield s.getsockname()[1]


def http_conf(url, **props):
    return quackpipe.Conf({"qp.inserter.backend": "http", "qp.inserter.url": url,
                           "qp.inserter.connect.timeout.ms": 100,
                           "qp.inserter.retry.max": 1, "qp.inserter.retry.backoff.ms": 1,
                           "qp.inserter.retry.backoff.max.ms": 1}, **props)


class FakeClickHouse(http.server.BaseHTTPRequestHandler):
    """Answers the inserter's requests: the version probe, any other query
    with "1", and INSERTs, refusing a body with a "poison" row as
    ClickHouse refuses a row it cannot parse (code 27)."""

    protocol_version = "HTTP/1.1"
    inserted = []  # rows of the successful INSERTs

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        sql = query.get("query", [body.decode()])[0]
        status, headers, reply = 200, {}, b"1\n"
        if sql.startswith("INSERT"):
            rows = body.splitlines()
            if any(b"poison" in row for row in rows):
                status, headers["X-ClickHouse-Exception-Code"] = 400, "27"
                reply = b"Code: 27. DB::Exception: Cannot parse input: poison row\n"
            else:
                self.inserted.extend(rows)
                reply = b""
        elif "version()" in sql:
            reply = b"24.3.1.1\n"
        elif "system.settings" in sql:
            reply = b"input_format_skip_unknown_fields\n"
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_clickhouse():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakeClickHouse)
    FakeClickHouse.inserted = []
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    thread.join()
    server.server_close()


def test_a_closed_port_raises_with_the_transport_detail(closed_port):
    url = f"http://127.0.0.1:{closed_port}"
    with quackpipe.Inserter(http_conf(url)) as ins:
        with pytest.raises(quackpipe.ClickHouseError) as info:
            ins.query("SELECT 1")
        assert info.value.name == "QP_ERR_HTTP"
        assert url in info.value.detail and "connect" in info.value.detail.lower()

        ins.add_row(b'{"scan_id":"a"}', tag="row-a")
        with pytest.raises(quackpipe.RetriesExhaustedError) as info:
            ins.flush()
        assert "gave up after 2 attempts" in info.value.detail
        assert url in info.value.detail
        assert ins.pending_rows() == 1 and ins.due_in_ms() >= 0
        stats = ins.stats()
        assert stats.rows_pending == 1 and stats.rows_inserted == 0
        assert isinstance(stats.last_error, quackpipe.Error) and stats.server_version == ""
    with pytest.raises(quackpipe.ClosedError):
        ins.flush()


def test_result_callback_reports_every_row(fake_clickhouse):
    results = []
    ins = quackpipe.Inserter(http_conf(fake_clickhouse),
                             on_result=lambda tag, err: results.append((tag, err)))
    try:
        ins.ensure_table()
        tags = [{"offset": i} for i in range(5)]
        for i, tag in enumerate(tags):
            row = b'{"scan_id":"poison"}' if i == 2 else f'{{"scan_id":"{i}"}}'.encode()
            ins.add_row(row, tag)
        with pytest.raises(quackpipe.InvalidArgumentError):
            ins.add_row(b"two\nlines", "bad")
        assert ins.pending_rows() == 5
        ins.flush("test:0-4")
        # In the order added; the bad row alone was refused, with its error.
        assert [tag for tag, _ in results] == tags
        assert [err is None for _, err in results] == [True, True, False, True, True]
        refused = results[2][1]
        assert isinstance(refused, quackpipe.ClickHouseError)
        assert refused.name == "QP_ERR_CLICKHOUSE" and "Cannot parse input" in refused.detail
        assert sorted(FakeClickHouse.inserted) == [f'{{"scan_id":"{i}"}}'.encode()
                                                   for i in (0, 1, 3, 4)]
        stats = ins.stats()
        assert (stats.rows_inserted, stats.rows_rejected, stats.rows_pending) == (4, 1, 0)
        assert stats.splits >= 1 and stats.server_version == "24.3.1.1"
        buckets = ins.latency_buckets()
        assert buckets[-1][0] == float("inf")
        assert sum(count for _, count in buckets) == stats.latency_count == stats.batches
        assert ins.query("SELECT 1") == b"1\n"

        # An exception in the callback: every row is still reported, and
        # flush() raises it once it returns.
        def failing(tag, err):
            results.append((tag, err))
            raise RuntimeError(f"sink refused {tag}")
        ins.set_result_cb(failing)
        ins.add_row(b'{"scan_id":"5"}', "five")
        with pytest.raises(RuntimeError, match="sink refused five"):
            ins.flush()
        assert results[-1] == ("five", None) and ins.pending_rows() == 0
    finally:
        ins.close()


def test_wakeup_and_close_end_a_blocked_flush(closed_port):
    conf = http_conf(f"http://127.0.0.1:{closed_port}", **{
        "qp.inserter.retry.max": 100, "qp.inserter.retry.backoff.ms": 600000,
        "qp.inserter.retry.backoff.max.ms": 600000, "qp.inserter.retry.total.ms": 600000})
    ins = quackpipe.Inserter(conf)
    ins.add_row(b'{"scan_id":"a"}')
    outcome = []

    def flush():
        try:
            ins.flush()
        except quackpipe.Error as err:
            outcome.append(err)

    t = threading.Thread(target=flush)
    t.start()
    wait_in_flight(ins, t)
    ins.wakeup()  # ends the backoff wait at once
    t.join(30)
    assert not t.is_alive() and isinstance(outcome[0], quackpipe.WakeupError)

    t = threading.Thread(target=flush)
    t.start()
    wait_in_flight(ins, t)
    ins.close()
    t.join(30)
    assert not t.is_alive() and isinstance(outcome[1], quackpipe.WakeupError)
    assert ins.closed

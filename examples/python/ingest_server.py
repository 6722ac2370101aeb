#!/usr/bin/env python3
"""The ingest API on the standard library's HTTP server.

    ingest_server.py [--brokers LIST | --mock] [--port N] [--keys FILE]

Every request goes to the library's handler (quackpipe.Ingest), which
answers exactly as `quackpipe ingest` does; a thread serves its delivery
reports. Without --keys the API is open (a demo). Prints "listening on
PORT", then serves until stdin is closed or Ctrl-C, flushes and exits 0.
"""

import argparse
import http.server
import sys
import threading

import quackpipe


def make_handler(ingest):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def answer(self):
            length = int(self.headers.get("Content-Length") or 0)
            early = ingest.check(self.command, self.path, self.headers, length)
            if early is None:
                body = self.rfile.read(length) if length else b""
                early = ingest.handle(self.command, self.path, self.headers, body)
            else:
                self.close_connection = True  # the body was not read
            self.send_response(early.status)
            for name, value in early.headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(early.body)))
            self.end_headers()
            self.wfile.write(early.body)

        do_GET = do_POST = do_PUT = do_HEAD = answer

        def log_message(self, *args):
            pass

    return Handler


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--brokers", default="127.0.0.1:9092")
    parser.add_argument("--mock", action="store_true", help="an embedded Kafka cluster")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--keys", help="API keys file (qp.ingest.keys.path)")
    args = parser.parse_args()

    mock = quackpipe.MockCluster() if args.mock else None
    conf = {"bootstrap.servers": mock.bootstrap if mock else args.brokers}
    if mock:
        mock.create_topic("scan-events", 6)
        mock.create_topic("device-tokens", 1)
    conf.update({"qp.ingest.keys.path": args.keys} if args.keys else {"qp.ingest.auth": "open"})
    ingest = quackpipe.Ingest(conf)
    stop = threading.Event()

    def poll():
        while not stop.is_set():
            ingest.poll(100)

    poller = threading.Thread(target=poll)
    poller.start()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(ingest))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"listening on {server.server_address[1]}", flush=True)
    try:
        sys.stdin.read()  # until stdin closes
    except KeyboardInterrupt:
        pass
    server.shutdown()
    server.server_close()
    stop.set()
    poller.join()
    ingest.flush(10000)
    ingest.close()
    if mock:
        mock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

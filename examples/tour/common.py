"""What every step of the tour shares: its command line and its canned answer.

Steps 1 to 5 answer every request with the same small HTTP response, so that
the only thing that changes between them is how the server waits for sockets.
"""

import argparse


def parse_port(step: str, argv=None) -> int:
    parser = argparse.ArgumentParser(prog=f"python -m examples.tour.{step}")
    parser.add_argument("--port", type=int, default=8000, help="TCP port (default 8000)")
    return parser.parse_args(argv).port


def canned_response(step: int) -> bytes:
    """A complete HTTP/1.1 response (RFC 9112 §2.1): status line, fields, blank line, body."""
    body = f"Hello from step {step}!\n".encode()
    head = (
        "HTTP/1.1 200 OK\r\n"
        "Content-Type: text/plain\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Connection: close\r\n"  # one request per connection keeps steps 1-5 simple
        "\r\n"
    )
    return head.encode() + body


def announce(step: int, port: int, extra: str = "") -> None:
    print(f"step {step} listening on http://127.0.0.1:{port}/", flush=True)
    print(f"try:  curl -i http://127.0.0.1:{port}/{extra}", flush=True)

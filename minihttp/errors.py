"""Errors raised by minihttp's protocol cores, and whose fault each one is.

An HTTP connection has two sides, and when a message breaks the rules the first
question is *which side broke them*: the answer decides what happens next.

    HTTPError                     base class: catch this to catch every protocol error
    ├── RemoteProtocolError       the peer sent bytes that are not valid HTTP/1.1;
    │                             carries the status to answer with (400, 413, 414,
    │                             417, 431, 501, 505) and a reason a person can read
    └── LocalProtocolError        we (the server or the application) tried to send
                                  something invalid: a bug on our side, answered 500

This split follows h11's local/remote protocol errors. A `RemoteProtocolError`
is expected traffic on the open internet: the server answers it with
`status_code` and closes the connection. A `LocalProtocolError` means our own
code is wrong (for example an application put a newline in a header value, which
would let an attacker split the response), so it is logged and fixed, never
shown to the client. Any other exception escaping a parser is a bug in the
parser itself.
"""

from __future__ import annotations


class HTTPError(Exception):
    """Base class of every error the HTTP protocol cores raise."""


class RemoteProtocolError(HTTPError):
    """The peer sent something that breaks the protocol.

    `status_code` is the response status the server should answer with before
    closing the connection; `reason` says, in a sentence, what was wrong and,
    where it helps, what a correct message looks like.
    """

    def __init__(self, status_code: int, reason: str) -> None:
        if not 400 <= status_code <= 599:
            raise ValueError(
                f"RemoteProtocolError needs an error status (400-599), got {status_code!r}"
            )
        super().__init__(f"{status_code}: {reason}")
        self.status_code = status_code
        self.reason = reason


class LocalProtocolError(HTTPError):
    """We (the server or the application) tried to send something invalid.

    The message names the offending value and how to fix it; the server turns
    this into a 500 if no response has started, else it closes the connection.
    """

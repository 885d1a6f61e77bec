"""Servers, connections and transports (asyncio docs: "Transports and Protocols",
"Creating network servers", "Opening network connections"), run on asyncio's
loop, uvloop and minihttp's EventLoop. Real sockets over 127.0.0.1 throughout.
"""

from __future__ import annotations

import asyncio
import errno
import os
import socket
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import minihttp.loop
from minihttp import transports
from minihttp.connections import Server
from minihttp.loop import EventLoop

ROOT = Path(__file__).resolve().parents[2]


class RecordingProtocol(asyncio.Protocol):
    """Records every callback; echoes data when `echo` is set."""

    def __init__(self, echo: bool = False, keep_open_on_eof: bool = False) -> None:
        self.echo = echo
        self.keep_open_on_eof = keep_open_on_eof
        self.events: list = []
        self.received = bytearray()
        self.transport = None
        self.lost = asyncio.get_running_loop().create_future()
        self.data_arrived = asyncio.Event()
        self.paused = asyncio.Event()
        self.resumed = asyncio.Event()

    def connection_made(self, transport) -> None:
        self.transport = transport
        self.events.append("connection_made")

    def data_received(self, data: bytes) -> None:
        if not self.events or self.events[-1] != "data_received":
            self.events.append("data_received")
        self.received += data
        self.data_arrived.set()
        if self.echo:
            self.transport.write(data)

    def eof_received(self):
        self.events.append("eof_received")
        return self.keep_open_on_eof

    def pause_writing(self) -> None:
        self.events.append("pause_writing")
        self.paused.set()

    def resume_writing(self) -> None:
        self.events.append("resume_writing")
        self.resumed.set()

    def connection_lost(self, error) -> None:
        self.events.append("connection_lost")
        if not self.lost.done():
            self.lost.set_result(error)


async def start_recording_server(**options):
    """A server on 127.0.0.1 whose protocols land in the returned list."""
    loop = asyncio.get_running_loop()
    protocols: list[RecordingProtocol] = []

    def factory():
        protocol = RecordingProtocol(**options)
        protocols.append(protocol)
        return protocol

    server = await loop.create_server(factory, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1], protocols


async def connected_client(port: int) -> socket.socket:
    client = socket.socket()
    client.setblocking(False)
    await asyncio.get_running_loop().sock_connect(client, ("127.0.0.1", port))
    return client


async def wait_for_protocol(protocols: list) -> RecordingProtocol:
    """The first protocol, once connection_made has run (asyncio calls it a pass later)."""
    while not protocols or protocols[0].transport is None:
        await asyncio.sleep(0.001)
    return protocols[0]


# ---- servers and connections --------------------------------------------------------


def test_an_echo_server_and_client_talk_through_protocols(run_async):
    async def main():
        loop = asyncio.get_running_loop()
        server, port, server_protocols = await start_recording_server(echo=True)
        transport, client = await loop.create_connection(RecordingProtocol, "127.0.0.1", port)
        transport.write(b"hello, ")
        transport.writelines([b"world", b"!"])
        while bytes(client.received) != b"hello, world!":
            await client.data_arrived.wait()
            client.data_arrived.clear()
        transport.close()
        await client.lost
        server_protocol = server_protocols[0]
        await server_protocol.lost
        server.close()
        await server.wait_closed()
        return client.events, server_protocol.events

    client_events, server_events = run_async(main())
    assert client_events == ["connection_made", "data_received", "connection_lost"]
    assert server_events == [
        "connection_made",
        "data_received",
        "eof_received",
        "connection_lost",
    ]


def test_transports_report_socket_peername_and_sockname(run_async):
    async def main():
        loop = asyncio.get_running_loop()
        server, port, server_protocols = await start_recording_server()
        transport, _ = await loop.create_connection(RecordingProtocol, "127.0.0.1", port)
        server_transport = (await wait_for_protocol(server_protocols)).transport
        facts = (
            transport.get_extra_info("peername"),
            server_transport.get_extra_info("sockname"),
            server_transport.get_extra_info("peername") == transport.get_extra_info("sockname"),
            transport.get_extra_info("socket").fileno() >= 0,
            transport.get_extra_info("no such thing", "default"),
        )
        transport.close()
        server.close()
        await server.wait_closed()
        return port, facts

    port, facts = run_async(main())
    assert facts == (("127.0.0.1", port), ("127.0.0.1", port), True, True, "default")


def test_server_api_close_is_serving_and_wait_closed(loop_name, run_async):
    async def main():
        server, port, protocols = await start_recording_server()
        states = [server.is_serving(), len(server.sockets), server.get_loop() is not None]
        client = await connected_client(port)
        await wait_for_protocol(protocols)
        server.close()
        states.append(server.is_serving())
        waiting = asyncio.ensure_future(server.wait_closed())
        await asyncio.sleep(0.01)
        states.append(waiting.done())  # an accepted connection is still open
        client.close()
        await asyncio.wait_for(waiting, 10)
        return states

    states = run_async(main())
    assert states[:4] == [True, 1, True, False]
    # minihttp follows Python 3.12: wait_closed() also waits for accepted connections.
    # asyncio before 3.12 and uvloop 0.19-0.21 return once the listening sockets close.
    wait_closed_returned_early = states[4]
    if loop_name == "mini":
        assert wait_closed_returned_early is False
    elif loop_name == "asyncio":
        assert wait_closed_returned_early is (sys.version_info < (3, 12))


def test_a_server_created_without_serving_accepts_after_start_serving(run_async):
    async def main():
        loop = asyncio.get_running_loop()
        server = await loop.create_server(
            RecordingProtocol, "127.0.0.1", 0, start_serving=False, backlog=5
        )
        before = server.is_serving()
        await server.start_serving()
        port = server.sockets[0].getsockname()[1]
        transport, _ = await loop.create_connection(RecordingProtocol, "127.0.0.1", port)
        transport.close()
        after = server.is_serving()
        server.close()
        await server.wait_closed()
        return before, after

    assert run_async(main()) == (False, True)


def test_cancelling_serve_forever_closes_the_server(run_async):
    async def main():
        server, _, _ = await start_recording_server()
        serving = asyncio.ensure_future(server.serve_forever())
        await asyncio.sleep(0)
        serving.cancel()
        with pytest.raises(asyncio.CancelledError):
            await serving
        return server.is_serving()

    assert run_async(main()) is False


def test_two_servers_share_a_port_with_reuse_port(run_async):
    async def main():
        loop = asyncio.get_running_loop()
        first = await loop.create_server(RecordingProtocol, "127.0.0.1", 0, reuse_port=True)
        port = first.sockets[0].getsockname()[1]
        second = await loop.create_server(RecordingProtocol, "127.0.0.1", port, reuse_port=True)
        ports = {server.sockets[0].getsockname()[1] for server in (first, second)}
        for server in (first, second):
            server.close()
            await server.wait_closed()
        return ports == {port}

    assert run_async(main()) is True


def test_binding_a_port_in_use_raises_an_os_error_naming_the_address(run_async):
    async def main():
        loop = asyncio.get_running_loop()
        first = await loop.create_server(RecordingProtocol, "127.0.0.1", 0)
        port = first.sockets[0].getsockname()[1]
        try:
            with pytest.raises(OSError) as raised:
                await loop.create_server(RecordingProtocol, "127.0.0.1", port, reuse_address=False)
        finally:
            first.close()
            await first.wait_closed()
        return raised.value.errno

    assert run_async(main()) == errno.EADDRINUSE


def test_create_server_and_connection_adopt_existing_sockets(run_async):
    async def main():
        loop = asyncio.get_running_loop()
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        server = await loop.create_server(lambda: RecordingProtocol(echo=True), sock=listener)
        client_socket = socket.create_connection(listener.getsockname())
        transport, client = await loop.create_connection(RecordingProtocol, sock=client_socket)
        transport.write(b"adopted")
        await client.data_arrived.wait()
        transport.close()
        server.close()
        await server.wait_closed()
        return bytes(client.received)

    assert run_async(main()) == b"adopted"


def test_unix_socket_server_and_connection_echo(run_async, tmp_path):
    path = str(tmp_path / "echo.sock")

    async def main():
        loop = asyncio.get_running_loop()
        server = await loop.create_unix_server(lambda: RecordingProtocol(echo=True), path)
        transport, client = await loop.create_unix_connection(RecordingProtocol, path)
        transport.write(b"over a unix socket")
        while len(client.received) < len(b"over a unix socket"):
            await client.data_arrived.wait()
            client.data_arrived.clear()
        transport.close()
        server.close()
        await server.wait_closed()
        return bytes(client.received)

    assert run_async(main()) == b"over a unix socket"


def test_a_unix_server_replaces_a_stale_socket_file_but_not_a_regular_file(run_async, tmp_path):
    stale = tmp_path / "stale.sock"
    leftover = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    leftover.bind(str(stale))
    leftover.close()  # the file stays behind, as after a crash
    regular = tmp_path / "notes.txt"
    regular.write_text("not a socket")

    async def main():
        loop = asyncio.get_running_loop()
        server = await loop.create_unix_server(RecordingProtocol, str(stale))
        serving = server.is_serving()
        server.close()
        await server.wait_closed()
        with pytest.raises(OSError):
            await loop.create_unix_server(RecordingProtocol, str(regular))
        return serving

    assert run_async(main()) is True
    assert regular.read_text() == "not a socket"


def test_asyncio_streams_run_unchanged(run_async):
    async def handle(reader, writer):
        while line := await reader.readline():
            writer.write(line.upper())
            await writer.drain()
        writer.close()
        await writer.wait_closed()

    async def main():
        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        async with server:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            replies = []
            for line in (b"first\n", b"second\n"):
                writer.write(line)
                await writer.drain()
                replies.append(await reader.readline())
            writer.write_eof()
            replies.append(await reader.read())
            writer.close()
            await writer.wait_closed()
        return replies

    assert run_async(main()) == [b"FIRST\n", b"SECOND\n", b""]


def test_two_hundred_concurrent_stream_clients_each_get_their_own_echo(run_async):
    async def handle(reader, writer):
        writer.write(await reader.readline())
        await writer.drain()
        writer.close()

    async def one_client(port, number):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(f"client {number}\n".encode())
        reply = await reader.readline()
        writer.close()
        await writer.wait_closed()
        return reply

    async def main():
        server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=256)
        port = server.sockets[0].getsockname()[1]
        replies = await asyncio.gather(*(one_client(port, number) for number in range(200)))
        server.close()
        await server.wait_closed()
        return replies

    assert run_async(main()) == [f"client {number}\n".encode() for number in range(200)]


def test_connecting_to_a_closed_port_raises_connection_refused(run_async):
    async def main():
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        probe.close()
        with pytest.raises(ConnectionRefusedError):
            await asyncio.get_running_loop().create_connection(RecordingProtocol, "127.0.0.1", port)

    run_async(main())


def test_a_server_without_host_listens_on_every_interface(run_async):
    async def main():
        loop = asyncio.get_running_loop()
        server = await loop.create_server(lambda: RecordingProtocol(echo=True), port=0)
        by_family = {sock.family: sock.getsockname() for sock in server.sockets}
        transport, client = await loop.create_connection(
            RecordingProtocol, "127.0.0.1", by_family[socket.AF_INET][1]
        )
        transport.write(b"any interface")
        await client.data_arrived.wait()
        transport.close()
        server.close()
        await server.wait_closed()
        return by_family, bytes(client.received)

    by_family, received = run_async(main())
    assert by_family[socket.AF_INET][0] == "0.0.0.0"
    if socket.has_ipv6 and socket.AF_INET6 in by_family:
        assert by_family[socket.AF_INET6][0] == "::"
    assert received == b"any interface"


def ipv6_loopback_works() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.skipif(not ipv6_loopback_works(), reason="this machine has no IPv6 loopback")
def test_a_server_listens_on_each_host_of_a_list(run_async):
    async def main():
        loop = asyncio.get_running_loop()
        server = await loop.create_server(
            lambda: RecordingProtocol(echo=True), ["127.0.0.1", "::1"], 0
        )
        replies = []
        for sock in server.sockets:
            host, port = sock.getsockname()[:2]
            transport, client = await loop.create_connection(RecordingProtocol, host, port)
            transport.write(host.encode())
            await client.data_arrived.wait()
            replies.append(bytes(client.received))
            transport.close()
        server.close()
        await server.wait_closed()
        return sorted(replies)

    assert run_async(main()) == [b"127.0.0.1", b"::1"]


def test_create_connection_tries_each_resolved_address_in_turn(loop_name, run_async):
    if loop_name == "uvloop":
        pytest.skip("uvloop's getaddrinfo is a C method: this test cannot stand in for DNS")

    async def main():
        loop = asyncio.get_running_loop()
        server, port, _ = await start_recording_server()
        closed = socket.socket()
        closed.bind(("127.0.0.1", 0))
        closed_port = closed.getsockname()[1]
        closed.close()
        asked = []

        async def fake_dns(host, service, **hints):
            asked.append(host)
            return [
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", closed_port)),
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port)),
            ]

        loop.getaddrinfo = fake_dns
        transport, _ = await loop.create_connection(RecordingProtocol, "db.example", 5432)
        peer = transport.get_extra_info("peername")
        transport.close()
        server.close()
        await server.wait_closed()
        return asked, peer, port

    asked, peer, port = run_async(main())
    assert asked == ["db.example"]
    assert peer == ("127.0.0.1", port)


def test_tls_is_refused_with_a_message_that_says_what_to_do():
    async def main():
        loop = asyncio.get_running_loop()
        with pytest.raises(NotImplementedError, match="reverse proxy"):
            await loop.create_server(RecordingProtocol, "127.0.0.1", 0, ssl=object())
        with pytest.raises(NotImplementedError, match="TLS"):
            await loop.create_connection(RecordingProtocol, "127.0.0.1", 1, ssl=True)

    minihttp.loop.run(main())


# ---- writing: try at once, buffer the rest, flow control ----------------------------


def test_a_small_write_goes_straight_to_the_socket_without_buffering(run_async):
    async def main():
        loop = asyncio.get_running_loop()
        server, port, _ = await start_recording_server()
        transport, _ = await loop.create_connection(RecordingProtocol, "127.0.0.1", port)
        transport.write(b"x" * 1000)
        buffered = transport.get_write_buffer_size()
        transport.close()
        server.close()
        await server.wait_closed()
        return buffered

    assert run_async(main()) == 0


def test_write_reaches_the_peer_before_the_loop_runs_again(run_async):
    async def main():
        server, port, protocols = await start_recording_server()
        client = await connected_client(port)
        transport = (await wait_for_protocol(protocols)).transport
        transport.write(b"sent at once")
        # No await between write() and this read: if the bytes arrive, write()
        # handed them to the kernel itself instead of waiting for a later pass.
        client.setblocking(True)
        client.settimeout(10)
        with client:
            arrived = client.recv(100)
        transport.close()
        server.close()
        await server.wait_closed()
        return arrived

    assert run_async(main()) == b"sent at once"


def test_a_slow_reader_pauses_writing_and_draining_resumes_it(run_async):
    async def main():
        loop = asyncio.get_running_loop()
        server, port, protocols = await start_recording_server()
        client = await connected_client(port)
        protocol = await wait_for_protocol(protocols)
        transport = protocol.transport
        transport.set_write_buffer_limits(high=64 * 1024, low=16 * 1024)
        payload = b"z" * (8 * 1024 * 1024)  # more than any kernel socket buffer
        transport.write(payload)
        await asyncio.wait_for(protocol.paused.wait(), 10)
        buffered_when_paused = transport.get_write_buffer_size()
        received = 0
        with client:
            while received < len(payload):
                received += len(await loop.sock_recv(client, 1024 * 1024))
        await asyncio.wait_for(protocol.resumed.wait(), 10)
        flow_events = [event for event in protocol.events if event.endswith("_writing")]
        transport.close()
        server.close()
        await server.wait_closed()
        return buffered_when_paused, received, flow_events, transport.get_write_buffer_size()

    buffered, received, flow_events, left = run_async(main())
    assert buffered > 64 * 1024
    assert received == 8 * 1024 * 1024
    assert flow_events == ["pause_writing", "resume_writing"]
    assert left == 0


def test_write_buffer_limits_are_validated_and_reported(run_async):
    async def main():
        loop = asyncio.get_running_loop()
        server, port, _ = await start_recording_server()
        transport, _ = await loop.create_connection(RecordingProtocol, "127.0.0.1", port)
        transport.set_write_buffer_limits(high=4000, low=1000)
        limits = transport.get_write_buffer_limits()
        with pytest.raises(ValueError):
            transport.set_write_buffer_limits(high=10, low=20)
        transport.set_write_buffer_limits(low=100)  # high defaults to 4 * low
        default_high = transport.get_write_buffer_limits()
        transport.close()
        server.close()
        await server.wait_closed()
        return limits, default_high

    assert run_async(main()) == ((1000, 4000), (100, 400))


def test_write_refuses_text_and_writes_after_write_eof(loop_name, run_async):
    async def main():
        loop = asyncio.get_running_loop()
        server, port, _ = await start_recording_server()
        transport, _ = await loop.create_connection(RecordingProtocol, "127.0.0.1", port)
        with pytest.raises(TypeError):
            transport.write("text is not bytes")
        assert transport.can_write_eof()
        transport.write_eof()
        # asyncio and minihttp raise; uvloop drops the data silently.
        if loop_name != "uvloop":
            with pytest.raises(RuntimeError, match="write_eof"):
                transport.write(b"too late")
        transport.close()
        server.close()
        await server.wait_closed()

    run_async(main())


def test_write_eof_half_closes_so_the_peer_can_still_answer(run_async):
    async def main():
        loop = asyncio.get_running_loop()
        server, port, protocols = await start_recording_server(keep_open_on_eof=True)
        transport, client = await loop.create_connection(RecordingProtocol, "127.0.0.1", port)
        transport.write(b"question")
        transport.write_eof()
        server_protocol = await wait_for_protocol(protocols)
        while "eof_received" not in server_protocol.events:
            await asyncio.sleep(0.001)
        server_protocol.transport.write(b"answer")
        await client.data_arrived.wait()
        server_protocol.transport.close()
        await client.lost
        server.close()
        await server.wait_closed()
        return bytes(server_protocol.received), bytes(client.received)

    assert run_async(main()) == (b"question", b"answer")


def test_abort_drops_buffered_data_and_calls_connection_lost_with_none(run_async):
    async def main():
        server, port, protocols = await start_recording_server()
        client = await connected_client(port)
        protocol = await wait_for_protocol(protocols)
        protocol.transport.write(b"q" * (8 * 1024 * 1024))
        had_buffer = protocol.transport.get_write_buffer_size() > 0
        protocol.transport.abort()
        error = await protocol.lost
        client.close()
        server.close()
        await server.wait_closed()
        return had_buffer, error, protocol.transport.is_closing()

    assert run_async(main()) == (True, None, True)


def test_close_after_a_big_write_delivers_every_byte_before_the_end(run_async):
    payload = os.urandom(4 * 1024 * 1024)

    async def main():
        loop = asyncio.get_running_loop()
        server, port, protocols = await start_recording_server()
        client = await connected_client(port)
        protocol = await wait_for_protocol(protocols)
        protocol.transport.write(payload)
        buffered = protocol.transport.get_write_buffer_size()
        protocol.transport.close()  # graceful: the buffer drains first
        closing = protocol.transport.is_closing()
        received = bytearray()
        with client:
            while chunk := await loop.sock_recv(client, 1 << 20):
                received += chunk
        error = await asyncio.wait_for(protocol.lost, 10)
        server.close()
        await server.wait_closed()
        return buffered > 0, closing, bytes(received) == payload, error

    assert run_async(main()) == (True, True, True, None)


def test_write_eof_after_a_big_write_sends_the_bytes_then_the_end(run_async):
    payload = os.urandom(4 * 1024 * 1024)

    async def main():
        loop = asyncio.get_running_loop()
        server, port, protocols = await start_recording_server()
        client = await connected_client(port)
        protocol = await wait_for_protocol(protocols)
        protocol.transport.write(payload)
        protocol.transport.write_eof()
        received = bytearray()
        while chunk := await loop.sock_recv(client, 1 << 20):
            received += chunk
        # Half-closed: the other direction still works.
        await loop.sock_sendall(client, b"reply after eof")
        while bytes(protocol.received) != b"reply after eof":
            await protocol.data_arrived.wait()
            protocol.data_arrived.clear()
        client.close()
        await asyncio.wait_for(protocol.lost, 10)
        server.close()
        await server.wait_closed()
        return bytes(received) == payload, bytes(protocol.received)

    assert run_async(main()) == (True, b"reply after eof")


def test_writing_to_a_peer_that_reset_ends_in_connection_lost_with_the_error(run_async):
    async def main():
        server, port, protocols = await start_recording_server()
        client = await connected_client(port)
        protocol = await wait_for_protocol(protocols)
        protocol.transport.pause_reading()  # so only writes can notice the reset
        reset_connection(client)
        for _ in range(3):  # the first send may still succeed; later ones cannot
            if protocol.transport.is_closing():
                break  # (uvloop raises on writes to a closed transport; asyncio drops them)
            protocol.transport.write(b"anyone there?")
            await asyncio.sleep(0.01)
        error = await asyncio.wait_for(protocol.lost, 10)
        server.close()
        await server.wait_closed()
        return error

    assert isinstance(run_async(main()), (ConnectionResetError, BrokenPipeError))


def test_a_reset_while_writes_are_buffered_ends_in_connection_lost_with_the_error(run_async):
    async def main():
        server, port, protocols = await start_recording_server()
        client = await connected_client(port)
        protocol = await wait_for_protocol(protocols)
        protocol.transport.pause_reading()
        protocol.transport.write(b"b" * (8 * 1024 * 1024))  # mostly buffered
        reset_connection(client)
        error = await asyncio.wait_for(protocol.lost, 10)
        server.close()
        await server.wait_closed()
        return error, protocol.transport.get_write_buffer_size()

    error, left = run_async(main())
    assert isinstance(error, (ConnectionResetError, BrokenPipeError))
    assert left == 0


def test_set_protocol_hands_the_connection_to_another_protocol(run_async):
    async def main():
        loop = asyncio.get_running_loop()
        server, port, protocols = await start_recording_server()
        client = await connected_client(port)
        first = await wait_for_protocol(protocols)
        second = RecordingProtocol()
        first.transport.set_protocol(second)
        second.transport = first.transport
        swapped = first.transport.get_protocol() is second
        await loop.sock_sendall(client, b"for the second")
        await asyncio.wait_for(second.data_arrived.wait(), 10)
        client.close()
        await asyncio.wait_for(second.lost, 10)
        server.close()
        return swapped, bytes(first.received), bytes(second.received)

    assert run_async(main()) == (True, b"", b"for the second")


def test_create_connection_binds_the_local_address_when_asked(run_async):
    async def main():
        loop = asyncio.get_running_loop()
        server, port, _ = await start_recording_server()
        transport, _ = await loop.create_connection(
            RecordingProtocol, "127.0.0.1", port, local_addr=("127.0.0.2", 0)
        )
        local_host = transport.get_extra_info("sockname")[0]
        transport.close()
        server.close()
        await server.wait_closed()
        return local_host

    assert run_async(main()) == "127.0.0.2"


def test_connect_accepted_socket_wraps_a_socket_accepted_elsewhere(run_async):
    async def main():
        loop = asyncio.get_running_loop()
        with socket.socket() as listener:
            listener.bind(("127.0.0.1", 0))
            listener.listen()
            client = socket.create_connection(listener.getsockname())
            accepted, _ = listener.accept()
        transport, protocol = await loop.connect_accepted_socket(
            lambda: RecordingProtocol(echo=True), accepted
        )
        client.sendall(b"adopted after accept")
        await asyncio.wait_for(protocol.data_arrived.wait(), 10)
        client.settimeout(10)
        echoed = client.recv(100)
        client.close()
        await asyncio.wait_for(protocol.lost, 10)
        return echoed

    assert run_async(main()) == b"adopted after accept"


# ---- reading: pause_reading / resume_reading ----------------------------------------


def test_pause_reading_holds_data_back_until_resume_reading(run_async):
    async def main():
        loop = asyncio.get_running_loop()
        server, port, protocols = await start_recording_server()
        client = await connected_client(port)
        protocol = await wait_for_protocol(protocols)
        protocol.transport.pause_reading()
        paused_state = protocol.transport.is_reading()
        await loop.sock_sendall(client, b"held back")
        for _ in range(20):  # give the loop many passes in which it must not read
            await asyncio.sleep(0.001)
        received_while_paused = bytes(protocol.received)
        protocol.transport.resume_reading()
        await asyncio.wait_for(protocol.data_arrived.wait(), 10)
        client.close()
        await protocol.lost
        server.close()
        await server.wait_closed()
        return paused_state, received_while_paused, bytes(protocol.received)

    assert run_async(main()) == (False, b"", b"held back")


# ---- faults -------------------------------------------------------------------------


def reset_connection(sock: socket.socket) -> None:
    """Close with SO_LINGER 0, which makes the kernel send RST instead of FIN."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def test_a_peer_reset_closes_only_that_transport(run_async):
    async def main():
        loop = asyncio.get_running_loop()
        server, port, protocols = await start_recording_server(echo=True)
        doomed = await connected_client(port)
        survivor = await connected_client(port)
        while len(protocols) < 2 or protocols[1].transport is None:
            await asyncio.sleep(0.001)
        doomed_protocol, survivor_protocol = protocols
        # Unread data makes the server's next write hit the reset for sure.
        await loop.sock_sendall(doomed, b"ping")
        await doomed_protocol.data_arrived.wait()
        reset_connection(doomed)
        error = await asyncio.wait_for(doomed_protocol.lost, 10)
        await loop.sock_sendall(survivor, b"still here")
        reply = await loop.sock_recv(survivor, 100)
        survivor_lost = survivor_protocol.lost.done()
        survivor.close()
        server.close()
        await server.wait_closed()
        return error, reply, survivor_lost

    error, reply, survivor_lost = run_async(main())
    assert isinstance(error, ConnectionResetError)
    assert reply == b"still here"
    assert survivor_lost is False


def test_a_raising_data_received_is_reported_and_closes_that_connection(run_async):
    class Broken(RecordingProtocol):
        def data_received(self, data):
            super().data_received(data)
            raise ValueError("protocol bug")

    async def main():
        loop = asyncio.get_running_loop()
        contexts = []
        loop.set_exception_handler(lambda loop, context: contexts.append(context))
        protocols = []

        def factory():
            protocols.append(Broken())
            return protocols[-1]

        server = await loop.create_server(factory, "127.0.0.1", 0)
        client = await connected_client(server.sockets[0].getsockname()[1])
        await loop.sock_sendall(client, b"trigger")
        error = await asyncio.wait_for((await wait_for_protocol(protocols)).lost, 10)
        client.close()
        server.close()
        await server.wait_closed()
        loop.set_exception_handler(None)
        return error, contexts

    error, contexts = run_async(main())
    assert isinstance(error, ValueError)
    assert [type(context["exception"]) for context in contexts] == [ValueError]


class OutOfFileDescriptorsOnce(socket.socket):
    """A listening socket whose first accept() fails as if the process had no fds left."""

    failures_left = 1

    def accept(self):
        if self.failures_left:
            self.failures_left -= 1
            raise OSError(errno.EMFILE, "Too many open files")
        return super().accept()


def test_emfile_on_accept_is_reported_and_accepting_resumes_after_a_pause(monkeypatch):
    monkeypatch.setattr(Server, "accept_retry_delay", 0.01)

    async def main():
        loop = asyncio.get_running_loop()
        contexts = []
        loop.set_exception_handler(lambda loop, context: contexts.append(context))
        listener = OutOfFileDescriptorsOnce()
        listener.bind(("127.0.0.1", 0))
        protocols = []
        server = await loop.create_server(
            lambda: protocols.append(RecordingProtocol()) or protocols[-1], sock=listener
        )
        client = await connected_client(listener.getsockname()[1])
        protocol = await asyncio.wait_for(wait_for_protocol(protocols), 10)
        client.close()
        await protocol.lost
        server.close()
        await server.wait_closed()
        return contexts

    contexts = minihttp.loop.run(main())
    assert len(contexts) == 1
    assert contexts[0]["exception"].errno == errno.EMFILE
    assert "ulimit" in contexts[0]["message"]


OUT_OF_FDS_SERVER = """
import asyncio, os, resource
from minihttp.loop import EventLoop
from minihttp.connections import Server

Server.accept_retry_delay = 0.05

class Echo(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport
    def data_received(self, data):
        self.transport.write(data)

async def main():
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(
        lambda loop, context: print("errno", context["exception"].errno, flush=True))
    server = await loop.create_server(Echo, "127.0.0.1", 0)
    open_now = len(os.listdir("/proc/self/fd"))
    hard_limit = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    resource.setrlimit(resource.RLIMIT_NOFILE, (open_now + 2, hard_limit))  # room for 2
    print("port", server.sockets[0].getsockname()[1], flush=True)
    await asyncio.sleep(60)

with asyncio.Runner(loop_factory=EventLoop) as runner:
    runner.run(main())
"""


@pytest.mark.slow
@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc to count fds")
def test_a_server_out_of_file_descriptors_pauses_then_serves_the_waiting_clients():
    child = subprocess.Popen(
        [sys.executable, "-c", OUT_OF_FDS_SERVER], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    clients = []
    try:
        port = int(child.stdout.readline().split()[1])
        clients = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(5)]
        # The server accepts two, then accept() fails with EMFILE: reported, not fatal.
        assert child.stdout.readline().split() == ["errno", str(errno.EMFILE)]
        for client in clients[:2]:
            client.sendall(b"first")
            assert client.recv(10) == b"first"
            client.close()  # frees a descriptor in the server
        for client in clients[2:4]:  # these waited in the backlog
            client.sendall(b"waited")
            assert client.recv(10) == b"waited"
        assert child.poll() is None  # still running
    finally:
        for client in clients:
            client.close()
        child.kill()
        child.wait()


# ---- closing the loop with open transports ------------------------------------------


def test_closing_the_loop_with_open_transports_and_servers_releases_their_sockets():
    loop = EventLoop()

    async def open_things():
        server = await loop.create_server(RecordingProtocol, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        transport, _ = await loop.create_connection(RecordingProtocol, "127.0.0.1", port)
        return server, transport

    server, transport = loop.run_until_complete(open_things())
    listening = server.sockets[0]
    connection = transport.get_extra_info("socket")
    loop.call_soon(print, "never printed")
    loop.close()
    assert listening.fileno() == -1
    assert connection.fileno() == -1
    assert loop.is_closed()


# ---- buffered protocols and sendfile ------------------------------------------------


class BufferedEcho(asyncio.BufferedProtocol):
    """Reads into its own buffer (get_buffer / buffer_updated) and echoes."""

    def __init__(self) -> None:
        self.buffer = bytearray(16)  # small on purpose: data arrives in pieces

    def connection_made(self, transport) -> None:
        self.transport = transport

    def get_buffer(self, size_hint: int) -> bytearray:
        return self.buffer

    def buffer_updated(self, count: int) -> None:
        self.transport.write(bytes(self.buffer[:count]))


def test_a_buffered_protocol_reads_into_its_own_buffer(run_async):
    payload = bytes(range(256)) * 4

    async def main():
        loop = asyncio.get_running_loop()
        server = await loop.create_server(BufferedEcho, "127.0.0.1", 0)
        client = await connected_client(server.sockets[0].getsockname()[1])
        await loop.sock_sendall(client, payload)
        echoed = bytearray()
        while len(echoed) < len(payload):
            echoed += await loop.sock_recv(client, 65536)
        client.close()
        server.close()
        await server.wait_closed()
        return bytes(echoed)

    assert run_async(main()) == payload


def test_sendfile_and_sock_sendfile_copy_a_file_range(loop_name, run_async, tmp_path):
    path = tmp_path / "data.bin"
    if loop_name == "uvloop":
        # uvloop implements neither; it inherits AbstractEventLoop's refusal.
        async def refused():
            loop = asyncio.get_running_loop()
            with socket.socket() as sock, path.open("wb") as file:
                with pytest.raises(NotImplementedError):
                    await loop.sock_sendfile(sock, file)

        run_async(refused())
        return
    path.write_bytes(bytes(range(256)) * 1024)

    async def main():
        loop = asyncio.get_running_loop()
        server, port, protocols = await start_recording_server()
        transport, _ = await loop.create_connection(RecordingProtocol, "127.0.0.1", port)
        with path.open("rb") as file:
            sent_by_transport = await loop.sendfile(transport, file, offset=1000, count=100_000)
            position_after = file.tell()
        protocol = await wait_for_protocol(protocols)
        while len(protocol.received) < 100_000:
            await protocol.data_arrived.wait()
            protocol.data_arrived.clear()
        transport.close()
        raw = await connected_client(port)
        while len(protocols) < 2 or protocols[1].transport is None:
            await asyncio.sleep(0.001)
        with path.open("rb") as file, raw:
            sent_by_socket = await loop.sock_sendfile(raw, file, 0, 5000)
            while len(protocols[1].received) < 5000:
                await protocols[1].data_arrived.wait()
                protocols[1].data_arrived.clear()
        server.close()
        await server.wait_closed()
        return (
            sent_by_transport,
            position_after,
            bytes(protocol.received),
            sent_by_socket,
            bytes(protocols[1].received),
        )

    data = path.read_bytes()
    sent, position, received, sent_raw, received_raw = run_async(main())
    assert (sent, position) == (100_000, 101_000)
    assert received == data[1000:101_000]
    assert (sent_raw, received_raw) == (5000, data[:5000])


def test_udp_and_subprocesses_are_refused_with_a_clear_message():
    async def main():
        loop = asyncio.get_running_loop()
        with pytest.raises(NotImplementedError, match="UDP"):
            await loop.create_datagram_endpoint(asyncio.DatagramProtocol, ("127.0.0.1", 0))
        with pytest.raises(NotImplementedError, match="run_in_executor"):
            await asyncio.create_subprocess_exec("true")

    minihttp.loop.run(main())


# ---- the flow-control law, for any writes and any water marks -----------------------

write_plans = st.tuples(
    st.lists(st.integers(min_value=0, max_value=300_000), min_size=1, max_size=8),
    st.integers(min_value=0, max_value=200_000),
    st.integers(min_value=0, max_value=200_000),
)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(plan=write_plans)
def test_any_writes_arrive_whole_and_in_order_and_pauses_alternate_with_resumes(run_async, plan):
    sizes, mark_a, mark_b = plan
    low, high = sorted((mark_a, mark_b))
    chunks = [bytes([index % 251]) * size for index, size in enumerate(sizes)]

    async def main():
        loop = asyncio.get_running_loop()
        server, port, protocols = await start_recording_server()
        client = await connected_client(port)
        protocol = await wait_for_protocol(protocols)
        protocol.transport.set_write_buffer_limits(high=high, low=low)
        for chunk in chunks:
            protocol.transport.write(chunk)
        received = bytearray()
        with client:
            while len(received) < sum(sizes):
                received += await loop.sock_recv(client, 1 << 20)
            while protocol.transport.get_write_buffer_size():
                await asyncio.sleep(0.001)
            await asyncio.sleep(0.001)  # let a resume_writing due now be delivered
        flow = [event for event in protocol.events if event.endswith("_writing")]
        protocol.transport.close()
        server.close()
        await server.wait_closed()
        return bytes(received), flow

    received, flow = run_async(main())
    assert received == b"".join(chunks)
    assert flow == ["pause_writing", "resume_writing"] * (len(flow) // 2)


def test_close_clients_and_abort_clients_end_the_accepted_connections():
    # Server.close_clients/abort_clients are Python 3.13's API; minihttp has them on 3.11.
    async def main():
        server, port, protocols = await start_recording_server()
        clients = [await connected_client(port) for _ in range(3)]
        while len(protocols) < 3 or any(protocol.transport is None for protocol in protocols):
            await asyncio.sleep(0.001)
        protocols[0].transport.write(b"x" * (8 * 1024 * 1024))  # a big pending write
        server.close()
        server.abort_clients()
        errors = [await asyncio.wait_for(protocol.lost, 10) for protocol in protocols]
        await asyncio.wait_for(server.wait_closed(), 10)
        for client in clients:
            client.close()
        return errors, protocols[0].transport.get_write_buffer_size()

    errors, left = minihttp.loop.run(main())
    assert errors == [None, None, None]
    assert left == 0


def test_wait_closed_waits_for_connections_until_close_clients():
    async def main():
        server, port, protocols = await start_recording_server()
        client = await connected_client(port)
        protocol = await wait_for_protocol(protocols)
        server.close()
        waiting = asyncio.ensure_future(server.wait_closed())
        await asyncio.sleep(0.01)
        still_waiting = not waiting.done()
        server.close_clients()
        await asyncio.wait_for(waiting, 10)
        client.close()
        return still_waiting, await protocol.lost

    assert minihttp.loop.run(main()) == (True, None)


# ---- the transport's state table (minihttp.transports._TRANSITIONS) ------------------


def test_the_state_table_ends_in_closed_from_everywhere_and_closed_is_final():
    states = {state for state, _ in transports._TRANSITIONS}
    events = {event for _, event in transports._TRANSITIONS}
    assert states == {"OPEN", "WRITE_CLOSED", "CLOSING", "CLOSED"}
    for state in states:
        assert transports._TRANSITIONS[state, "abort"] == "CLOSED"
    assert events == {"write_eof", "close", "drained", "abort"}
    for public_event in ("write_eof", "close", "abort"):  # "drained" is internal
        assert transports._TRANSITIONS["CLOSED", public_event] == "CLOSED"


@pytest.mark.parametrize(
    ("steps", "expected_state"),
    [
        ([], "OPEN"),
        (["write_eof"], "WRITE_CLOSED"),
        (["write_eof", "close"], "CLOSED"),  # nothing buffered: closes at once
        (["big write", "close"], "CLOSING"),  # the buffer still drains
        (["big write", "abort"], "CLOSED"),
        (["close", "write_eof", "close"], "CLOSED"),
    ],
)
def test_the_public_methods_walk_the_state_table(steps, expected_state):
    async def main():
        server, port, protocols = await start_recording_server()
        client = await connected_client(port)
        transport = (await wait_for_protocol(protocols)).transport
        for step in steps:
            if step == "big write":
                transport.write(b"w" * (8 * 1024 * 1024))
            else:
                getattr(transport, step)()
        state = transport._state
        transport.abort()
        client.close()
        server.close()
        return state

    assert minihttp.loop.run(main()) == expected_state


def test_an_event_the_table_does_not_allow_is_reported_with_state_and_event():
    async def main():
        server, port, protocols = await start_recording_server()
        client = await connected_client(port)
        transport = (await wait_for_protocol(protocols)).transport
        with pytest.raises(RuntimeError, match="'drained' is not allowed in state OPEN"):
            transport._move("drained")
        transport.abort()
        client.close()
        server.close()

    minihttp.loop.run(main())

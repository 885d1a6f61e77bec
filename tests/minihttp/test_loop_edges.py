"""Edges of minihttp.loop that the three-loop suite leaves alone: misuse that
must fail with a message saying what to do, faults inside protocol callbacks,
and the slow paths of the sock_* functions (waiting for a socket to become
ready). Where asyncio and uvloop are checked too, the test says so.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import gc
import logging
import signal
import socket
import struct
import threading

import pytest

import minihttp.loop
from minihttp.loop import EventLoop


def run(coroutine):
    return minihttp.loop.run(coroutine)


# ---- misuse of the scheduling API ---------------------------------------------------


def test_scheduling_calls_refuse_bad_arguments_with_a_hint():
    loop = EventLoop()
    try:
        with pytest.raises(TypeError, match="delay in seconds"):
            loop.call_later(None, print)
        with pytest.raises(TypeError, match="expected a callable but got int"):
            loop.call_at(loop.time(), 42)
        with pytest.raises(TypeError, match="call_soon_threadsafe"):
            loop.call_soon_threadsafe("not callable")
        with pytest.raises(ValueError, match="fileno"):
            loop.add_reader("not a file", print)
    finally:
        loop.close()
    with pytest.raises(RuntimeError, match="closed"):
        loop.call_at(0, print)
    with pytest.raises(RuntimeError, match="closed"):
        loop.call_soon_threadsafe(print)


def test_executor_misuse_is_refused_with_a_hint():
    async def job():
        pass

    async def main():
        loop = asyncio.get_running_loop()
        with pytest.raises(TypeError, match="await coroutines"):
            loop.run_in_executor(None, job)
        with pytest.raises(TypeError, match="ThreadPoolExecutor"):
            loop.set_default_executor(concurrent.futures.ProcessPoolExecutor)
        await loop.run_in_executor(None, len, "used once")
        await loop.shutdown_default_executor()
        with pytest.raises(RuntimeError, match="shut down"):
            loop.run_in_executor(None, print)

    run(main())


def test_a_task_factory_receives_name_and_context():
    seen = {}

    def factory(loop, coro, **options):
        seen.update(options)
        return asyncio.Task(coro, loop=loop, **options)

    async def main():
        loop = asyncio.get_running_loop()
        loop.set_task_factory(factory)
        task = loop.create_task(asyncio.sleep(0), name="named")
        await task
        await loop.create_task(asyncio.sleep(0), context=contextvars.copy_context())
        loop.set_task_factory(None)
        return task.get_name()

    assert run(main()) == "named"
    assert "context" in seen


# ---- errors inside the error handling -----------------------------------------------


def test_an_exception_handler_error_and_a_default_handler_error_are_both_logged(caplog):
    class Unprintable:
        def __repr__(self):
            raise RuntimeError("cannot show myself")

    async def main():
        loop = asyncio.get_running_loop()
        with caplog.at_level(logging.ERROR, logger="minihttp.loop"):
            loop.call_exception_handler(
                {"message": "context that breaks repr", "thing": Unprintable()}
            )
        return "alive"

    assert run(main()) == "alive"
    assert any("default exception handler" in record.getMessage() for record in caplog.records)


# ---- protocol callbacks that raise ---------------------------------------------------


class EchoProtocol(asyncio.Protocol):
    def __init__(self, fail_in: str = "") -> None:
        self.fail_in = fail_in
        self.lost = asyncio.get_running_loop().create_future()

    def _maybe_fail(self, method: str) -> None:
        if self.fail_in == method:
            raise ValueError(f"bug in {method}")

    def connection_made(self, transport):
        self.transport = transport
        self._maybe_fail("connection_made")

    def data_received(self, data):
        self.transport.write(data)

    def eof_received(self):
        self._maybe_fail("eof_received")

    def pause_writing(self):
        self._maybe_fail("pause_writing")

    def connection_lost(self, error):
        if not self.lost.done():
            self.lost.set_result(error)


@pytest.mark.parametrize("failing_method", ["connection_made", "eof_received", "factory"])
def test_a_raising_protocol_callback_is_reported_and_only_its_connection_ends(failing_method):
    async def main():
        loop = asyncio.get_running_loop()
        contexts = []
        loop.set_exception_handler(lambda loop, context: contexts.append(context))
        protocols = []
        connections = 0

        def factory():
            nonlocal connections
            connections += 1
            if failing_method == "factory" and connections == 1:
                raise ValueError("bug in factory")
            protocols.append(EchoProtocol(failing_method if connections == 1 else ""))
            return protocols[-1]

        server = await loop.create_server(factory, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        doomed = socket.socket()
        doomed.setblocking(False)
        await loop.sock_connect(doomed, ("127.0.0.1", port))
        doomed.shutdown(socket.SHUT_WR)  # makes eof_received run
        assert await asyncio.wait_for(loop.sock_recv(doomed, 10), 10) == b""  # ended by server
        doomed.close()
        healthy = socket.socket()
        healthy.setblocking(False)
        await loop.sock_connect(healthy, ("127.0.0.1", port))
        await loop.sock_sendall(healthy, b"still serving")
        reply = await asyncio.wait_for(loop.sock_recv(healthy, 100), 10)
        healthy.close()
        server.close()
        return [str(context["exception"]) for context in contexts], reply

    messages, reply = run(main())
    assert messages == [f"bug in {failing_method}"]
    assert reply == b"still serving"


def test_a_raising_pause_writing_is_reported_and_the_connection_goes_on():
    async def main():
        loop = asyncio.get_running_loop()
        contexts = []
        loop.set_exception_handler(lambda loop, context: contexts.append(context))
        protocols = []
        server = await loop.create_server(
            lambda: protocols.append(EchoProtocol("pause_writing")) or protocols[-1],
            "127.0.0.1",
            0,
        )
        client = socket.socket()
        client.setblocking(False)
        await loop.sock_connect(client, server.sockets[0].getsockname())
        while not protocols or not hasattr(protocols[0], "transport"):
            await asyncio.sleep(0.001)
        transport = protocols[0].transport
        transport.write(b"p" * (8 * 1024 * 1024))
        still_open = not transport.is_closing()
        transport.abort()
        client.close()
        server.close()
        return [context["message"] for context in contexts], still_open

    messages, still_open = run(main())
    assert messages == ["protocol.pause_writing() failed"]
    assert still_open


def test_writes_after_close_are_dropped_and_logged_once(caplog):
    async def main():
        loop = asyncio.get_running_loop()
        server = await loop.create_server(asyncio.Protocol, "127.0.0.1", 0)
        transport, _ = await loop.create_connection(
            asyncio.Protocol, *server.sockets[0].getsockname()
        )
        transport.close()
        with caplog.at_level(logging.WARNING, logger="minihttp.loop"):
            for _ in range(20):
                transport.write(b"too late")
        server.close()

    run(main())
    warnings = [record for record in caplog.records if "closed transport" in record.getMessage()]
    assert len(warnings) == 1


# ---- misuse of servers and connections ----------------------------------------------


def test_server_and_connection_arguments_that_contradict_each_other_are_refused(tmp_path):
    async def main():
        loop = asyncio.get_running_loop()
        with socket.socket() as sock:
            with pytest.raises(ValueError, match="not both"):
                await loop.create_server(asyncio.Protocol, "127.0.0.1", 0, sock=sock)
            with pytest.raises(ValueError, match="not both"):
                await loop.create_connection(asyncio.Protocol, "127.0.0.1", 1, sock=sock)
            with pytest.raises(ValueError, match="UNIX domain"):
                await loop.create_unix_server(asyncio.Protocol, sock=sock)
            with pytest.raises(ValueError, match="not both"):
                await loop.create_unix_server(asyncio.Protocol, str(tmp_path / "s"), sock=sock)
            with pytest.raises(ValueError, match="not both"):
                await loop.create_unix_connection(asyncio.Protocol, "/nowhere", sock=sock)
        with pytest.raises(ValueError, match="needs host and port"):
            await loop.create_connection(asyncio.Protocol)
        with pytest.raises(ValueError, match="needs a path"):
            await loop.create_unix_server(asyncio.Protocol)
        with pytest.raises(ValueError, match="needs a path"):
            await loop.create_unix_connection(asyncio.Protocol)
        with pytest.raises(ValueError, match="only meaningful with ssl"):
            await loop.create_connection(asyncio.Protocol, "127.0.0.1", 1, server_hostname="x")
        with pytest.raises(TypeError, match="unsupported keyword arguments: colour"):
            await loop.create_server(asyncio.Protocol, "127.0.0.1", 0, colour="blue")
        with pytest.raises(TypeError, match="transport of this loop"):
            await loop.sendfile(object(), None)

    run(main())


def test_serve_forever_twice_or_after_close_says_what_is_wrong():
    async def main():
        loop = asyncio.get_running_loop()
        server = await loop.create_server(asyncio.Protocol, "127.0.0.1", 0)
        first = asyncio.ensure_future(server.serve_forever())
        await asyncio.sleep(0)
        with pytest.raises(RuntimeError, match="already being awaited"):
            await server.serve_forever()
        described = repr(server)
        server.close()  # also ends the first serve_forever
        with pytest.raises(asyncio.CancelledError):
            await first
        with pytest.raises(RuntimeError, match="is closed"):
            await server.serve_forever()
        return described

    assert "serving=True" in run(main())


def test_create_connection_reports_every_failed_address():
    async def main():
        loop = asyncio.get_running_loop()
        closed_ports = []
        for _ in range(2):
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                closed_ports.append(probe.getsockname()[1])

        async def fake_dns(host, service, **hints):
            return [
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))
                for port in closed_ports
            ]

        loop.getaddrinfo = fake_dns
        with pytest.raises(OSError, match="Multiple exceptions") as combined:
            await loop.create_connection(asyncio.Protocol, "two.example", 80)
        with pytest.raises(ExceptionGroup) as grouped:
            await loop.create_connection(asyncio.Protocol, "two.example", 80, all_errors=True)
        return str(combined.value), len(grouped.value.exceptions)

    message, count = run(main())
    assert count == 2
    assert message.count("Connect call failed") == 2


def test_a_unix_server_in_the_abstract_namespace_needs_no_file():
    async def main():
        loop = asyncio.get_running_loop()
        name = "\0minihttp-test-" + str(id(loop))
        server = await loop.create_unix_server(asyncio.Protocol, name)
        transport, _ = await loop.create_unix_connection(asyncio.Protocol, name)
        transport.close()
        server.close()
        return True

    assert run(main())


# ---- the slow paths of sock_* (waiting until the socket is ready) --------------------


def test_sock_accept_waits_for_a_client_that_connects_later():
    async def main():
        loop = asyncio.get_running_loop()
        with socket.socket() as listener:
            listener.bind(("127.0.0.1", 0))
            listener.listen()
            listener.setblocking(False)
            accepting = asyncio.ensure_future(loop.sock_accept(listener))
            await asyncio.sleep(0.01)  # nobody yet: accept must be waiting
            waited = not accepting.done()
            with socket.create_connection(listener.getsockname()):
                connection, _ = await asyncio.wait_for(accepting, 10)
                connection.close()
        return waited

    assert run(main()) is True


def test_sock_sendall_waits_while_the_peer_does_not_read():
    payload = b"s" * (16 * 1024 * 1024)

    async def main():
        loop = asyncio.get_running_loop()
        ours, theirs = socket.socketpair()
        ours.setblocking(False)
        theirs.setblocking(False)
        with ours, theirs:
            sending = asyncio.ensure_future(loop.sock_sendall(ours, payload))
            await asyncio.sleep(0.01)
            waited = not sending.done()  # 16 MiB cannot fit in the kernel's buffers
            received = 0
            while received < len(payload):
                received += len(await loop.sock_recv(theirs, 1 << 20))
            await asyncio.wait_for(sending, 10)
        return waited, received

    assert run(main()) == (True, 16 * 1024 * 1024)


def test_a_waiting_sock_recv_raises_the_reset_that_ends_it():
    async def main():
        loop = asyncio.get_running_loop()
        with socket.socket() as listener:
            listener.bind(("127.0.0.1", 0))
            listener.listen()
            client = socket.create_connection(listener.getsockname())
            server_side, _ = listener.accept()
        server_side.setblocking(False)
        with server_side:
            receiving = asyncio.ensure_future(loop.sock_recv(server_side, 100))
            await asyncio.sleep(0.01)
            waited = not receiving.done()
            client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            client.close()  # SO_LINGER 0: the kernel sends RST
            with pytest.raises(ConnectionResetError):
                await asyncio.wait_for(receiving, 10)
        return waited

    assert run(main()) is True


# ---- async generators ---------------------------------------------------------------


def test_an_abandoned_async_generator_is_closed_by_the_loop_when_collected():
    closed = []

    async def numbers():
        try:
            yield 1
            yield 2
        finally:
            closed.append("closed by the finalizer")

    async def main():
        generator = numbers()
        await generator.__anext__()
        del generator
        gc.collect()  # the finalizer hook schedules aclose() on the loop
        for _ in range(5):
            await asyncio.sleep(0)
        return list(closed)

    assert run(main()) == ["closed by the finalizer"]


def test_a_generator_that_fails_to_close_is_reported(caplog):
    async def stubborn():
        try:
            yield 1
        finally:
            raise ValueError("refusing to close")

    async def main():
        generator = stubborn()
        await generator.__anext__()
        main.keep = generator  # alive until shutdown_asyncgens

    with caplog.at_level(logging.ERROR, logger="minihttp.loop"):
        run(main())
    assert any("closing async generator" in record.getMessage() for record in caplog.records)


# ---- buffered protocols that misbehave, sendfile that must wait ---------------------


class LendsNoBuffer(asyncio.BufferedProtocol):
    def __init__(self) -> None:
        self.lost = asyncio.get_running_loop().create_future()

    def connection_made(self, transport):
        self.transport = transport

    def get_buffer(self, size_hint):
        return bytearray()  # a protocol bug: nothing to read into

    def buffer_updated(self, count):
        raise AssertionError("never called")

    def connection_lost(self, error):
        self.lost.set_result(error)


def test_a_buffered_protocol_that_lends_an_empty_buffer_is_reported():
    async def main():
        loop = asyncio.get_running_loop()
        contexts = []
        loop.set_exception_handler(lambda loop, context: contexts.append(context))
        protocols = []
        server = await loop.create_server(
            lambda: protocols.append(LendsNoBuffer()) or protocols[-1], "127.0.0.1", 0
        )
        client = socket.create_connection(server.sockets[0].getsockname())
        client.sendall(b"data")
        while not protocols:
            await asyncio.sleep(0.001)
        error = await asyncio.wait_for(protocols[0].lost, 10)
        client.close()
        server.close()
        return str(error), [context["message"] for context in contexts]

    error, messages = run(main())
    assert "empty buffer" in error
    assert messages == ["Fatal error: protocol.get_buffer() call failed."]


class Collector(asyncio.Protocol):
    def __init__(self) -> None:
        self.received = bytearray()
        self.transport = None

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.received += data


def test_sendfile_waits_for_a_paused_reader_and_fails_if_the_connection_ends(tmp_path):
    path = tmp_path / "big.bin"
    path.write_bytes(b"f" * (16 * 1024 * 1024))

    async def main():
        loop = asyncio.get_running_loop()
        receivers = []
        server = await loop.create_server(
            lambda: receivers.append(Collector()) or receivers[-1], "127.0.0.1", 0
        )
        port = server.sockets[0].getsockname()[1]
        transport, _ = await loop.create_connection(asyncio.Protocol, "127.0.0.1", port)
        while not receivers or receivers[0].transport is None:
            await asyncio.sleep(0.001)
        receivers[0].transport.pause_reading()
        with path.open("rb") as file:
            sending = asyncio.ensure_future(loop.sendfile(transport, file))
            await asyncio.sleep(0.05)
            waited = not sending.done()  # 16 MiB cannot all be buffered by the kernels
            receivers[0].transport.resume_reading()
            sent = await asyncio.wait_for(sending, 30)
        # A second transfer that loses its connection midway raises.
        receivers[0].transport.pause_reading()
        with path.open("rb") as file:
            sending = asyncio.ensure_future(loop.sendfile(transport, file))
            await asyncio.sleep(0.05)
            transport.abort()
            with pytest.raises(ConnectionError, match="closed while sendfile"):
                await asyncio.wait_for(sending, 10)
        server.close()
        return waited, sent

    assert run(main()) == (True, 16 * 1024 * 1024)


# ---- signals and the executor, off the happy path -----------------------------------


def test_a_signal_that_cannot_be_caught_is_refused(run_async):
    async def main():
        with pytest.raises(RuntimeError, match="cannot be caught|cannot handle"):
            asyncio.get_running_loop().add_signal_handler(signal.SIGKILL, print)

    run_async(main())  # asyncio and uvloop say "sig 9 cannot be caught"


def test_signal_handlers_can_only_be_added_in_the_main_thread():
    errors = []

    def in_a_thread():
        async def main():
            try:
                asyncio.get_running_loop().add_signal_handler(signal.SIGUSR1, print)
            except RuntimeError as error:
                errors.append(str(error))

        run(main())

    thread = threading.Thread(target=in_a_thread)
    thread.start()
    thread.join()
    assert len(errors) == 1
    assert "main thread" in errors[0]


def test_shutdown_default_executor_gives_up_after_its_timeout(caplog):
    release = threading.Event()

    async def main():
        loop = asyncio.get_running_loop()
        loop.run_in_executor(None, release.wait)
        with caplog.at_level(logging.WARNING, logger="minihttp.loop"):
            await loop.shutdown_default_executor(timeout=0.01)
        release.set()

    loop = EventLoop()
    try:
        loop.run_until_complete(main())
    finally:
        release.set()
        loop.close()
    assert any("did not finish" in record.getMessage() for record in caplog.records)


def test_run_forever_inside_a_running_loop_is_refused(loop_factory):
    loop = loop_factory()
    problems = []

    def nested():
        try:
            loop.run_forever()
        except RuntimeError as error:
            problems.append(str(error))
        loop.stop()

    try:
        loop.call_soon(nested)
        loop.run_forever()
    finally:
        loop.close()
    assert len(problems) == 1
    assert "running" in problems[0]


def test_start_tls_and_pipes_are_refused_with_a_clear_message():
    async def main():
        loop = asyncio.get_running_loop()
        with pytest.raises(NotImplementedError, match="TLS"):
            await loop.start_tls(None, None, None)
        for method in (loop.subprocess_shell, loop.connect_read_pipe, loop.connect_write_pipe):
            with pytest.raises(NotImplementedError, match="subprocesses or pipes"):
                await method(None, None)

    run(main())

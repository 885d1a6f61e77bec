"""minihttp.loop, specified by behaviour: each test runs on asyncio's default
loop, on uvloop and on minihttp's EventLoop (the `loop_factory` / `run_async`
fixtures), so the suite is both the specification and the proof the three agree.
Where the loops legitimately differ, the test says so and checks each one's rule.

Sections follow the asyncio event loop documentation ("Event Loop" reference):
running and stopping, scheduling callbacks, scheduling delayed callbacks,
threads, watching file descriptors, low-level socket operations, error
handling, signals, async generators, closing. Servers, transports and real
clients live in test_loop_transports.py and test_loop_clients.py.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import gc
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import warnings
from pathlib import Path

import pytest

import minihttp.loop
from minihttp.loop import EventLoop

ROOT = Path(__file__).resolve().parents[2]

# ---- running and stopping -----------------------------------------------------------


def test_run_until_complete_returns_the_coroutines_result(loop_factory):
    async def answer():
        await asyncio.sleep(0)
        return 42

    loop = loop_factory()
    try:
        assert loop.run_until_complete(answer()) == 42
        assert not loop.is_running()
    finally:
        loop.close()


def test_run_until_complete_raises_the_coroutines_exception(loop_factory):
    async def fail():
        raise LookupError("no such row")

    loop = loop_factory()
    try:
        with pytest.raises(LookupError, match="no such row"):
            loop.run_until_complete(fail())
    finally:
        loop.close()


def test_minihttp_run_runs_main_on_a_minihttp_event_loop():
    async def main():
        return type(asyncio.get_running_loop())

    assert minihttp.loop.run(main()) is EventLoop


def test_asyncio_runner_accepts_the_event_loop_as_loop_factory():
    async def main():
        await asyncio.sleep(0)
        return asyncio.get_running_loop()

    with asyncio.Runner(loop_factory=EventLoop) as runner:
        loop = runner.run(main())
        assert isinstance(loop, EventLoop)
        assert loop.is_running() is False
    assert loop.is_closed()


def test_run_until_complete_says_so_when_the_loop_stops_before_the_future_is_done(
    loop_factory,
):
    loop = loop_factory()
    try:
        never_done = loop.create_future()
        loop.call_soon(loop.stop)
        with pytest.raises(RuntimeError, match="before Future completed"):
            loop.run_until_complete(never_done)
    finally:
        loop.close()


def test_new_event_loop_and_the_policy_make_minihttp_loops():
    loop = minihttp.loop.new_event_loop()
    policy_loop = minihttp.loop.EventLoopPolicy().new_event_loop()
    try:
        assert type(loop) is EventLoop
        assert type(policy_loop) is EventLoop
    finally:
        loop.close()
        policy_loop.close()


def test_is_running_is_true_only_inside_run_forever(run_async):
    async def main():
        return asyncio.get_running_loop().is_running()

    assert run_async(main()) is True


def test_stop_lets_the_callbacks_of_the_current_pass_finish(loop_name, loop_factory):
    loop = loop_factory()
    order = []

    def second():
        order.append("b")
        loop.call_soon(order.append, "c")

    try:
        loop.call_soon(order.append, "a")
        loop.call_soon(loop.stop)
        loop.call_soon(second)
        loop.run_forever()
    finally:
        loop.close()
    # asyncio and minihttp stop after the pass in which stop() was called, so a
    # callback scheduled during that pass waits; uvloop runs that one too.
    expected = ["a", "b", "c"] if loop_name == "uvloop" else ["a", "b"]
    assert order == expected


def test_running_a_loop_inside_a_running_loop_is_an_error(run_async, loop_factory):
    async def main():
        other = loop_factory()
        coroutine = asyncio.sleep(0)
        try:
            with pytest.raises(RuntimeError):
                other.run_until_complete(coroutine)
        finally:
            coroutine.close()
            other.close()

    run_async(main())


# ---- scheduling callbacks -----------------------------------------------------------


def test_call_soon_runs_callbacks_in_the_order_they_were_scheduled(run_async):
    async def main():
        loop = asyncio.get_running_loop()
        order = []
        for number in range(10):
            loop.call_soon(order.append, number)
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        return order

    assert run_async(main()) == list(range(10))


def test_a_callback_scheduled_by_a_callback_runs_after_those_already_waiting(run_async):
    async def main():
        loop = asyncio.get_running_loop()
        order = []
        done = loop.create_future()

        def first():
            order.append("first")
            loop.call_soon(order.append, "scheduled by first")
            loop.call_soon(done.set_result, None)

        loop.call_soon(first)
        loop.call_soon(order.append, "second")
        await done
        return order

    assert run_async(main()) == ["first", "second", "scheduled by first"]


def test_a_cancelled_handle_never_runs(run_async):
    async def main():
        loop = asyncio.get_running_loop()
        ran = []
        handle = loop.call_soon(ran.append, "cancelled")
        handle.cancel()
        loop.call_soon(ran.append, "kept")
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        return ran, handle.cancelled()

    assert run_async(main()) == (["kept"], True)


def test_call_soon_runs_the_callback_in_the_given_context(run_async):
    variable = contextvars.ContextVar("variable", default="outside")

    async def main():
        loop = asyncio.get_running_loop()
        context = contextvars.copy_context()
        context.run(variable.set, "inside")
        seen = loop.create_future()
        loop.call_soon(lambda: seen.set_result(variable.get()), context=context)
        return await seen, variable.get()

    assert run_async(main()) == ("inside", "outside")


def test_call_soon_with_a_coroutine_object_names_the_mistake():
    async def job():
        pass

    loop = EventLoop()
    coroutine = job()
    try:
        with pytest.raises(TypeError, match="create_task"):
            loop.call_soon(coroutine)
    finally:
        coroutine.close()
        loop.close()


# ---- scheduling delayed callbacks (the timer heap) ----------------------------------


def test_timers_fire_in_deadline_order_not_in_scheduling_order(run_async):
    async def main():
        loop = asyncio.get_running_loop()
        order = []
        now = loop.time()  # one base time: a busy machine may pause between calls
        for delay in (0.03, 0.01, 0.02, 0.0):
            loop.call_at(now + delay, order.append, delay)
        await asyncio.sleep(0.06)
        return order

    assert run_async(main()) == [0.0, 0.01, 0.02, 0.03]


def test_timers_with_the_same_deadline_fire_in_scheduling_order(loop_name, run_async):
    async def main():
        loop = asyncio.get_running_loop()
        order = []
        deadline = loop.time() + 0.01
        for number in range(8):
            loop.call_at(deadline, order.append, number)
        await asyncio.sleep(0.03)
        return order

    order = run_async(main())
    if loop_name == "mini":
        # minihttp's heap entries are (deadline, sequence number, handle).
        assert order == list(range(8))
    else:
        # asyncio's heap compares deadlines only, so equal deadlines come out in
        # heap order; uvloop turns each deadline into a delay in whole milliseconds
        # from the moment of the call, so equal deadlines may land apart. All fire.
        assert sorted(order) == list(range(8))


def test_a_timer_never_fires_before_its_deadline(run_async):
    async def main():
        loop = asyncio.get_running_loop()
        fired = loop.create_future()
        handle = loop.call_later(0.02, lambda: fired.set_result(loop.time()))
        return handle.when(), await fired

    deadline, fired_at = run_async(main())
    assert fired_at >= deadline - 0.001  # uvloop's clock counts in milliseconds


def test_cancelled_timers_never_fire_and_the_rest_still_do(run_async):
    async def main():
        loop = asyncio.get_running_loop()
        fired = []
        handles = [
            loop.call_later(0.001 * (number % 5), fired.append, n)
            for n, number in enumerate(range(500))
        ]
        for handle in handles[::2]:
            handle.cancel()
        await asyncio.sleep(0.05)
        return sorted(fired), all(handle.cancelled() for handle in handles[::2])

    fired, all_cancelled = run_async(main())
    assert fired == list(range(1, 500, 2))
    assert all_cancelled


def test_loop_time_never_goes_backwards(run_async):
    async def main():
        loop = asyncio.get_running_loop()
        readings = []
        for _ in range(100):
            readings.append(loop.time())
            await asyncio.sleep(0)
        return readings

    readings = run_async(main())
    assert readings == sorted(readings)


def test_asyncio_timeout_cancels_a_slow_await(run_async):
    async def main():
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.01):
                await asyncio.sleep(10)
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(asyncio.sleep(10), 0.01)
        return "survived"

    assert run_async(main()) == "survived"


def test_gather_queue_and_lock_run_unchanged(run_async):
    async def main():
        queue: asyncio.Queue[int] = asyncio.Queue(maxsize=2)
        lock = asyncio.Lock()
        inside = []

        async def producer():
            for number in range(5):
                await queue.put(number)
            await queue.put(-1)

        async def consumer():
            received = []
            while (number := await queue.get()) != -1:
                received.append(number)
            return received

        async def critical(name):
            async with lock:
                inside.append(name)
                await asyncio.sleep(0)
                inside.append(name)

        _, received, *_ = await asyncio.gather(producer(), consumer(), critical("a"), critical("b"))
        return received, inside

    received, inside = run_async(main())
    assert received == [0, 1, 2, 3, 4]
    assert inside in (["a", "a", "b", "b"], ["b", "b", "a", "a"])


def test_task_groups_semaphores_events_and_to_thread_run_unchanged(run_async):
    async def main():
        semaphore = asyncio.Semaphore(2)
        started = asyncio.Event()
        inside = 0
        most_inside = 0

        async def worker(number):
            nonlocal inside, most_inside
            await started.wait()
            async with semaphore:
                inside += 1
                most_inside = max(most_inside, inside)
                await asyncio.sleep(0.001)
                inside -= 1
            return await asyncio.to_thread(pow, number, 2)

        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(worker(number), name=f"w{number}") for number in range(6)]
            started.set()
        return [task.result() for task in tasks], most_inside, tasks[3].get_name()

    assert run_async(main()) == ([0, 1, 4, 9, 16, 25], 2, "w3")


def test_create_task_runs_the_coroutine_in_the_given_context(run_async):
    variable = contextvars.ContextVar("variable", default="default")

    async def read():
        return variable.get()

    async def main():
        context = contextvars.copy_context()
        context.run(variable.set, "given")
        loop = asyncio.get_running_loop()
        return await loop.create_task(read(), context=context), await loop.create_task(read())

    assert run_async(main()) == ("given", "default")


def test_cancelling_a_task_raises_cancelled_error_inside_it(run_async):
    async def main():
        reached_finally = asyncio.Event()

        async def sleeper():
            try:
                await asyncio.sleep(10)
            finally:
                reached_finally.set()

        task = asyncio.create_task(sleeper())
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return reached_finally.is_set()

    assert run_async(main()) is True


# ---- tasks and futures --------------------------------------------------------------


def test_tasks_and_futures_are_asyncios_c_accelerated_ones(run_async):
    _asyncio = pytest.importorskip("_asyncio")

    async def main():
        loop = asyncio.get_running_loop()
        return type(asyncio.current_task()), type(loop.create_future())

    assert run_async(main()) == (_asyncio.Task, _asyncio.Future)


def test_create_task_uses_the_task_factory_when_one_is_set(run_async):
    async def main():
        loop = asyncio.get_running_loop()
        made = []

        def factory(loop, coro, **kwargs):
            made.append(coro)
            return asyncio.Task(coro, loop=loop, **kwargs)

        loop.set_task_factory(factory)
        try:
            assert loop.get_task_factory() is factory

            async def seven():
                return 7

            result = await loop.create_task(seven())
        finally:
            loop.set_task_factory(None)
        return result, len(made)

    assert run_async(main()) == (7, 1)


def test_a_task_factory_must_be_callable():
    loop = EventLoop()
    try:
        with pytest.raises(TypeError, match="task factory"):
            loop.set_task_factory("not callable")
    finally:
        loop.close()


# ---- threads ------------------------------------------------------------------------


def test_call_soon_threadsafe_wakes_a_loop_that_waits_for_nothing_else(run_async):
    async def main():
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        started = threading.Event()

        def from_another_thread():
            started.wait()
            loop.call_soon_threadsafe(future.set_result, "woken")

        thread = threading.Thread(target=from_another_thread)
        thread.start()
        loop.call_soon(started.set)
        try:
            # No timer is pending, so only the self-pipe can wake the selector.
            return await future
        finally:
            thread.join()

    assert run_async(main()) == "woken"


def test_run_in_executor_returns_the_functions_result_and_raises_its_errors(run_async):
    def blocking_add(a, b):
        return a + b

    def blocking_fail():
        raise ValueError("bad input")

    async def main():
        loop = asyncio.get_running_loop()
        total = await loop.run_in_executor(None, blocking_add, 2, 3)
        with pytest.raises(ValueError, match="bad input"):
            await loop.run_in_executor(None, blocking_fail)
        in_thread = await asyncio.to_thread(threading.get_ident)
        return total, in_thread != threading.get_ident()

    assert run_async(main()) == (5, True)


def test_set_default_executor_is_used_by_run_in_executor(run_async):
    async def main():
        loop = asyncio.get_running_loop()
        executor = concurrent.futures.ThreadPoolExecutor(thread_name_prefix="chosen")
        loop.set_default_executor(executor)
        name = await loop.run_in_executor(None, lambda: threading.current_thread().name)
        return name

    assert run_async(main()).startswith("chosen")


def test_getaddrinfo_and_getnameinfo_resolve_through_the_executor(run_async):
    async def main():
        loop = asyncio.get_running_loop()
        infos = await loop.getaddrinfo("127.0.0.1", 80, type=socket.SOCK_STREAM)
        host, port = await loop.getnameinfo(
            ("127.0.0.1", 80), socket.NI_NUMERICHOST | socket.NI_NUMERICSERV
        )
        return infos, host, port

    infos, host, port = run_async(main())
    assert infos[0][0] == socket.AF_INET
    assert infos[0][4] == ("127.0.0.1", 80)
    assert (host, port) == ("127.0.0.1", "80")


def test_getaddrinfo_never_blocks_the_loop_thread(loop_name, run_async, monkeypatch):
    if loop_name == "uvloop":
        pytest.skip("uvloop resolves in libuv's own C thread pool, out of Python's sight")
    lookup_threads = []
    real_getaddrinfo = socket.getaddrinfo

    def recording_getaddrinfo(*args, **kwargs):
        lookup_threads.append(threading.get_ident())
        return real_getaddrinfo(*args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", recording_getaddrinfo)

    async def main():
        await asyncio.get_running_loop().getaddrinfo("localhost", 80)
        return threading.get_ident()

    loop_thread = run_async(main())
    assert lookup_threads and loop_thread not in lookup_threads


def test_shutdown_default_executor_waits_for_running_jobs(loop_factory):
    finished = threading.Event()

    def job():
        finished.wait(0.05)
        finished.set()

    loop = loop_factory()
    try:
        loop.run_until_complete(asyncio.wait([loop.run_in_executor(None, job)], timeout=0))
        loop.run_until_complete(loop.shutdown_default_executor())
        assert finished.is_set()
    finally:
        loop.close()


# ---- watching file descriptors ------------------------------------------------------


def test_add_reader_calls_back_when_the_fd_is_readable_until_removed(loop_name, run_async):
    async def main():
        loop = asyncio.get_running_loop()
        ours, theirs = socket.socketpair()
        ours.setblocking(False)
        readable = loop.create_future()
        with ours, theirs:
            loop.add_reader(
                ours.fileno(), lambda: readable.done() or readable.set_result(ours.recv(100))
            )
            theirs.send(b"ping")
            data = await readable
            removed_first = loop.remove_reader(ours.fileno())
            removed_again = loop.remove_reader(ours.fileno())
        return data, removed_first, removed_again

    data, removed_first, removed_again = run_async(main())
    assert data == b"ping"
    # asyncio and minihttp say whether a reader was removed; uvloop returns None.
    if loop_name != "uvloop":
        assert (removed_first, removed_again) == (True, False)


def test_add_writer_calls_back_when_the_fd_is_writable(loop_name, run_async):
    async def main():
        loop = asyncio.get_running_loop()
        ours, theirs = socket.socketpair()
        writable = loop.create_future()
        with ours, theirs:
            loop.add_writer(ours, lambda: writable.done() or writable.set_result("writable"))
            result = await writable
            return result, loop.remove_writer(ours)

    result, removed = run_async(main())
    assert result == "writable"
    assert removed is (None if loop_name == "uvloop" else True)


def test_a_reused_fd_number_can_be_watched_again_after_its_old_file_closed():
    async def main():
        loop = asyncio.get_running_loop()
        first, first_peer = socket.socketpair()
        loop.add_reader(first.fileno(), print)
        number = first.fileno()
        first.close()  # closed without remove_reader: the kernel drops the registration
        first_peer.close()
        second, second_peer = socket.socketpair()
        with second, second_peer:
            writable = loop.create_future()
            reused = second.fileno() == number or second_peer.fileno() == number
            target = second if second.fileno() == number else second_peer
            loop.add_writer(target, lambda: writable.done() or writable.set_result(True))
            result = await asyncio.wait_for(writable, 10)
            loop.remove_writer(target)
            loop.remove_reader(target)
            return reused, result

    # asyncio raises FileNotFoundError here; minihttp registers the new file afresh.
    reused, result = minihttp.loop.run(main())
    assert result is True
    assert reused  # the kernel hands out the lowest free number


def test_removing_a_watch_on_a_file_closed_meanwhile_is_quiet():
    async def main():
        loop = asyncio.get_running_loop()
        ours, theirs = socket.socketpair()
        theirs.close()
        number = ours.fileno()
        loop.add_reader(number, print)
        loop.add_writer(number, print)
        ours.close()  # closed while watched in both directions
        return loop.remove_writer(number), loop.remove_reader(number)

    # No error: the writer is removed, and with it the reader, since the kernel
    # forgot the closed file. (asyncio raises OSError from remove_writer here.)
    assert minihttp.loop.run(main()) == (True, False)


def test_debug_mode_catches_call_soon_from_another_thread():
    async def main():
        loop = asyncio.get_running_loop()
        errors = []

        def from_thread():
            try:
                loop.call_soon(print)
            except RuntimeError as error:
                errors.append(str(error))

        thread = threading.Thread(target=from_thread)
        thread.start()
        await loop.run_in_executor(None, thread.join)
        return errors

    errors = minihttp.loop.run(main(), debug=True)
    assert len(errors) == 1
    assert "call_soon_threadsafe" in errors[0]


# ---- low-level socket operations ----------------------------------------------------


def listening_socket() -> socket.socket:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.setblocking(False)
    return listener


def test_sock_functions_carry_a_megabyte_both_ways(run_async):
    payload = os.urandom(1024 * 1024)

    async def main():
        loop = asyncio.get_running_loop()
        with listening_socket() as listener:
            client = socket.socket()
            client.setblocking(False)
            with client:
                accept = asyncio.ensure_future(loop.sock_accept(listener))
                await loop.sock_connect(client, listener.getsockname())
                server_side, address = await accept
                with server_side:
                    assert address == client.getsockname()
                    assert server_side.gettimeout() == 0  # accepted sockets are non-blocking
                    sending = asyncio.ensure_future(loop.sock_sendall(client, payload))
                    received = bytearray()
                    buffer = bytearray(65536)
                    while len(received) < len(payload):
                        count = await loop.sock_recv_into(server_side, buffer)
                        received += buffer[:count]
                    await sending
                    await loop.sock_sendall(server_side, b"thanks")
                    reply = await loop.sock_recv(client, 100)
                    client.shutdown(socket.SHUT_WR)
                    end = await loop.sock_recv(server_side, 100)
        return bytes(received), reply, end

    received, reply, end = run_async(main())
    assert received == payload
    assert reply == b"thanks"
    assert end == b""


def test_sock_connect_to_a_closed_port_raises_connection_refused(run_async):
    async def main():
        loop = asyncio.get_running_loop()
        with listening_socket() as listener:
            address = listener.getsockname()
        client = socket.socket()
        client.setblocking(False)
        with client, pytest.raises(ConnectionRefusedError):
            await loop.sock_connect(client, address)

    run_async(main())


def test_sock_connect_resolves_a_host_name_first(run_async):
    async def main():
        loop = asyncio.get_running_loop()
        with listening_socket() as listener:
            client = socket.socket()
            client.setblocking(False)
            with client:
                await loop.sock_connect(client, ("localhost", listener.getsockname()[1]))
                return client.getpeername()[0]

    assert run_async(main()) == "127.0.0.1"


def test_a_cancelled_sock_recv_stops_watching_the_socket(run_async):
    async def main():
        loop = asyncio.get_running_loop()
        ours, theirs = socket.socketpair()
        ours.setblocking(False)
        with ours, theirs:
            waiting = asyncio.ensure_future(loop.sock_recv(ours, 10))
            await asyncio.sleep(0)
            waiting.cancel()
            await asyncio.sleep(0)
            theirs.send(b"later")
            return await loop.sock_recv(ours, 10), waiting.cancelled()

    assert run_async(main()) == (b"later", True)


def test_sock_recv_on_a_blocking_socket_says_to_make_it_non_blocking():
    async def main():
        loop = asyncio.get_running_loop()
        ours, theirs = socket.socketpair()
        with ours, theirs, pytest.raises(ValueError, match="setblocking"):
            await loop.sock_recv(ours, 10)

    minihttp.loop.run(main())


# ---- error handling -----------------------------------------------------------------


def test_a_raising_callback_goes_to_the_exception_handler_and_the_loop_goes_on(run_async):
    async def main():
        loop = asyncio.get_running_loop()
        contexts = []
        loop.set_exception_handler(lambda loop, context: contexts.append(context))

        def broken():
            raise ZeroDivisionError("boom")

        loop.call_soon(broken)
        after = loop.create_future()
        loop.call_soon(after.set_result, "still running")
        result = await after
        loop.set_exception_handler(None)
        return result, contexts

    result, contexts = run_async(main())
    assert result == "still running"
    assert len(contexts) == 1
    assert isinstance(contexts[0]["exception"], ZeroDivisionError)
    assert "Exception in callback" in contexts[0]["message"]


def test_the_default_exception_handler_logs_the_message_and_traceback(run_async, caplog):
    async def main():
        loop = asyncio.get_running_loop()
        loop.call_exception_handler(
            {"message": "something went wrong", "exception": KeyError("missing")}
        )

    with caplog.at_level(logging.ERROR):
        run_async(main())
    records = [record for record in caplog.records if "something went wrong" in record.message]
    assert len(records) == 1
    assert records[0].exc_info[0] is KeyError


def test_an_exception_handler_that_raises_is_logged_and_the_loop_goes_on(run_async, caplog):
    async def main():
        loop = asyncio.get_running_loop()

        def broken_handler(loop, context):
            raise RuntimeError("handler broke")

        loop.set_exception_handler(broken_handler)
        loop.call_soon(lambda: 1 / 0)
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        loop.set_exception_handler(None)
        return "alive"

    with caplog.at_level(logging.ERROR):
        assert run_async(main()) == "alive"
    assert any("exception handler" in record.message.lower() for record in caplog.records)


def test_get_exception_handler_returns_what_was_set_and_non_callables_are_refused(
    loop_factory,
):
    loop = loop_factory()

    def handler(loop, context):
        pass

    try:
        assert loop.get_exception_handler() is None
        loop.set_exception_handler(handler)
        assert loop.get_exception_handler() is handler
        with pytest.raises(TypeError):
            loop.set_exception_handler(42)
    finally:
        loop.close()


def test_debug_mode_can_be_switched_on_and_off(loop_factory):
    loop = loop_factory()
    try:
        loop.set_debug(True)
        assert loop.get_debug() is True
        loop.set_debug(False)
        assert loop.get_debug() is False
    finally:
        loop.close()


# ---- signals ------------------------------------------------------------------------


def test_a_signal_handler_runs_on_the_loop_when_the_signal_arrives(run_async):
    async def main():
        loop = asyncio.get_running_loop()
        received = loop.create_future()
        loop.add_signal_handler(signal.SIGUSR1, received.set_result, "SIGUSR1 handled")
        try:
            os.kill(os.getpid(), signal.SIGUSR1)
            result = await asyncio.wait_for(received, 10)
        finally:
            removed = loop.remove_signal_handler(signal.SIGUSR1)
        return result, removed, loop.remove_signal_handler(signal.SIGUSR1)

    assert run_async(main()) == ("SIGUSR1 handled", True, False)
    assert signal.getsignal(signal.SIGUSR1) == signal.SIG_DFL


def test_add_signal_handler_refuses_bad_signals_and_coroutines(run_async):
    async def handler():
        pass

    async def main():
        loop = asyncio.get_running_loop()
        with pytest.raises((ValueError, RuntimeError)):
            loop.add_signal_handler(10_000, print)
        with pytest.raises(TypeError):
            loop.add_signal_handler(signal.SIGUSR2, handler)

    run_async(main())


CTRL_C_PROGRAM = """
import asyncio, sys
async def main():
    print("ready", flush=True)
    try:
        await asyncio.sleep(60)
    finally:
        print("main cleaned up", flush=True)
name = sys.argv[1]
if name == "mini":
    from minihttp.loop import EventLoop as factory
elif name == "uvloop":
    from uvloop import new_event_loop as factory
else:
    factory = asyncio.SelectorEventLoop
with asyncio.Runner(loop_factory=factory) as runner:
    runner.run(main())
"""


@pytest.mark.slow
def test_ctrl_c_cancels_main_then_raises_keyboard_interrupt(loop_name):
    process = subprocess.Popen(
        [sys.executable, "-c", CTRL_C_PROGRAM, loop_name],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert process.stdout.readline() == "ready\n"
    process.send_signal(signal.SIGINT)
    output, errors = process.communicate(timeout=60)
    assert output == "main cleaned up\n"  # the Runner cancelled main: its finally ran
    assert errors.strip().splitlines()[-1] == "KeyboardInterrupt"
    assert process.returncode == -signal.SIGINT


# ---- async generators ---------------------------------------------------------------


def test_shutdown_asyncgens_runs_the_finally_of_an_unfinished_generator(loop_factory):
    closed = []

    async def numbers():
        try:
            for number in range(10):
                yield number
        finally:
            closed.append("closed")

    async def main():
        generator = numbers()
        first = await generator.__anext__()
        main.generator = generator  # keep it alive past main()
        return first

    with asyncio.Runner(loop_factory=loop_factory) as runner:
        assert runner.run(main()) == 0
        assert closed == []
    assert closed == ["closed"]


# ---- closing ------------------------------------------------------------------------


def test_close_drops_pending_callbacks_and_then_refuses_new_ones(loop_factory):
    loop = loop_factory()
    ran = []
    loop.call_soon(ran.append, "pending")
    loop.call_later(0.01, ran.append, "timer")
    loop.close()
    assert loop.is_closed()
    assert ran == []
    with pytest.raises(RuntimeError, match="closed"):
        loop.call_soon(ran.append, "too late")
    coroutine = asyncio.sleep(0)
    with pytest.raises(RuntimeError, match="closed"):
        loop.run_until_complete(coroutine)
    coroutine.close()
    loop.close()  # closing twice is harmless


def test_a_forgotten_loop_warns_and_releases_its_resources():
    loop = EventLoop()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        del loop
        gc.collect()
    assert [str(warning.message)[:20] for warning in caught] == ["unclosed event loop "]


def test_closing_a_running_loop_is_an_error(run_async):
    async def main():
        with pytest.raises(RuntimeError):
            asyncio.get_running_loop().close()
        return "still open"

    assert run_async(main()) == "still open"

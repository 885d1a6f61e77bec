"""The guided tour: from a blocking socket to a framework, one runnable step at a time.

Each step is a complete server that answers HTTP, so `curl` works on every one,
and each changes one idea from the step before:

    01_blocking_server     one client at a time: accept, read, write, close
    02_threaded_server     a thread per connection (and what the GIL means)
    03_select_server       one thread, many sockets: select() says which are ready
    04_selector_callbacks  `selectors` plus a callback per socket: an event loop's core
    05_coroutines          the same server as coroutines on minihttp.loop
    06_http_parsing        parsing HTTP by hand, then with minihttp.http11
    07_raw_asgi            an ASGI app served by minihttp: the server/app boundary
    08_framework           the same endpoint in miniasgi

Run a step with `python -m examples.tour.01_blocking_server` (add `--port N`);
it prints what to try. `tests/examples/test_tour.py` starts every step and
sends it a real request.
"""

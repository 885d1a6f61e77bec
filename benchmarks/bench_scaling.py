"""What more connections and more processes buy.

- "connections N": the hello app on minihttp (own loop) and on Uvicorn +
  httptools (asyncio) with 1, 10, 100 and 1,000 keep-alive connections. One
  process is one core: past a handful of connections the rate stops growing and
  latency grows instead. The baseline is Uvicorn at the same count.
- "workers": minihttp with 1 worker against 2 pre-forked workers. Python runs one
  thread of bytecode at a time per process (the GIL), so a second core helps
  only through a second process. On this 2-core machine the load generator
  shares the cores with two workers, so the gain is below 2x: read it with that
  in mind. The baseline is 1 worker.

Run it:  python -m benchmarks scaling [--quick] [--duration S]
"""

from __future__ import annotations

from benchmarks.bench_servers import HELLO_APP, shape_for
from benchmarks.load import RequestSpec
from benchmarks.measure import measure_server
from benchmarks.servers import ServerSpec

CONNECTION_COUNTS = (1, 10, 100, 1000)
QUICK_CONNECTION_COUNTS = (1, 10, 100)
MINIHTTP = ServerSpec("minihttp", "mini")
UVICORN = ServerSpec("uvicorn", "asyncio", "httptools")


def run(quick: bool = False, duration: float | None = None, connections: int | None = None,
        progress=None) -> list[dict]:
    del connections  # this suite chooses its own connection counts
    rows = []
    hello = RequestSpec("GET", "/")
    for count in QUICK_CONNECTION_COUNTS if quick else CONNECTION_COUNTS:
        shape = shape_for(quick, duration, count)
        for spec in (MINIHTTP, UVICORN):
            if progress:
                progress(f"connections {count}: {spec.name}")
            rows.append(measure_server(spec, HELLO_APP, hello, shape,
                                       case=f"connections {count}", baseline=UVICORN.name))
    shape = shape_for(quick, duration, None)
    for workers in (1, 2):
        spec = ServerSpec("minihttp", "mini", workers=workers)
        if progress:
            progress(f"workers: {spec.name}")
        # two workers need both cores, so the server is not pinned to one here
        rows.append(measure_server(spec, HELLO_APP, hello, shape, case="workers",
                                   baseline=ServerSpec("minihttp", "mini").name,
                                   server_cpus="0,1" if workers > 1 else "0"))
    return rows

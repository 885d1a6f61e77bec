"""Servers side by side: minihttp against Uvicorn on the same app, loop and core.

Cases (each row's "baseline" names the row its ratio is read against):

- "hello": the smallest ASGI app (benchmarks/apps.py) over keep-alive
  connections. minihttp on its own loop, on asyncio and on uvloop; Uvicorn with
  httptools (C parser) and with h11 (pure Python), on asyncio and on uvloop. The
  baseline is Uvicorn + httptools on the same loop (asyncio for minihttp's own
  loop): the issue's goal is minihttp at least 1.2x that, with a pure-Python parser.
- "pipelined hello": the same with 16 requests in flight per connection. A
  server that writes pipelined responses together gains a lot here; one that
  answers each with its own writes does not.

Run it:  python -m benchmarks servers [--quick] [--duration S] [--connections N]
"""

from __future__ import annotations

from benchmarks.load import RequestSpec
from benchmarks.measure import Contender, LoadShape, measure_side_by_side
from benchmarks.servers import ServerSpec

HELLO_APP = "benchmarks.apps:hello"
PIPELINE_DEPTH = 16

HELLO_SERVERS = [
    ServerSpec("minihttp", "mini"),
    ServerSpec("minihttp", "asyncio"),
    ServerSpec("minihttp", "uvloop"),
    ServerSpec("uvicorn", "asyncio", "httptools"),
    ServerSpec("uvicorn", "uvloop", "httptools"),
    ServerSpec("uvicorn", "asyncio", "h11"),
    ServerSpec("uvicorn", "uvloop", "h11"),
]
PIPELINED_SERVERS = [spec for spec in HELLO_SERVERS if spec.http != "h11"]


def baseline_for(spec: ServerSpec) -> str:
    """Uvicorn + httptools on the same loop; minihttp's own loop is read against asyncio."""
    loop = "asyncio" if spec.loop == "mini" else spec.loop
    return ServerSpec("uvicorn", loop, "httptools").name


def shape_for(quick: bool, duration: float | None, connections: int | None, **extra) -> LoadShape:
    if quick:
        base = LoadShape(duration=duration or 0.3, connections=connections or 8, repeats=1,
                         warmup=0.1)
    else:
        base = LoadShape(duration=duration or 5.0, connections=connections or 64)
    return LoadShape(**{**base.__dict__, **extra})


def run(quick: bool = False, duration: float | None = None, connections: int | None = None,
        progress=None) -> list[dict]:
    rows = []
    hello = RequestSpec("GET", "/")
    plain = shape_for(quick, duration, connections)
    pipelined = shape_for(quick, duration, connections, pipeline=PIPELINE_DEPTH)
    for case, specs, shape in (("hello", HELLO_SERVERS, plain),
                               ("pipelined hello", PIPELINED_SERVERS, pipelined)):
        contenders = [Contender(spec, HELLO_APP, hello, baseline_for(spec)) for spec in specs]
        rows += measure_side_by_side(contenders, shape, case=case, progress=progress)
    return rows

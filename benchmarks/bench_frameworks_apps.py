"""The same two endpoints in miniasgi, FastAPI and Starlette, for framework benchmarks.

    GET  /items/{item_id}?q=...   -> {"item_id": <int>, "q": <str|null>}
    POST /orders                  <- {"customer": {"name", "email"}, "items": [{"name",
                                     "price", "quantity"}...]}  (a nested model body)
                                  -> {"customer": "<name>", "total": <float>, "count": <int>}

`miniasgi_app`, `fastapi_app` and `starlette_app` are plain ASGI apps, so the
benchmark harness can serve each on the same server. Starlette has no
validation; its endpoints parse and check by hand what the other two declare,
which is the floor a validating framework is measured against.

Run `python -m benchmarks.bench_frameworks_apps [N]` for an in-process measure:
each app is called directly (app(scope, receive, send)) N times per round on
one event loop, with no server and no socket, so the numbers are the
frameworks' own per-request cost; the apps take turns for several rounds and
each keeps its best round.

(No `from __future__ import annotations` here: the models are local to the
builder functions, and string annotations could not be resolved from there.)
"""

import asyncio
import json
import sys
import time


def build_miniasgi_app():
    from miniasgi import App, Model

    class Customer(Model):
        name: str
        email: str

    class Line(Model):
        name: str
        price: float
        quantity: int = 1

    class Order(Model):
        customer: Customer
        items: list[Line]

    app = App()

    @app.get("/items/{item_id}")
    async def read_item(item_id: int, q: str | None = None):
        return {"item_id": item_id, "q": q}

    @app.post("/orders")
    async def create_order(order: Order):
        total = sum(line.price * line.quantity for line in order.items)
        return {"customer": order.customer.name, "total": total, "count": len(order.items)}

    return app


def build_fastapi_app():
    from fastapi import FastAPI
    from pydantic import BaseModel

    class Customer(BaseModel):
        name: str
        email: str

    class Line(BaseModel):
        name: str
        price: float
        quantity: int = 1

    class Order(BaseModel):
        customer: Customer
        items: list[Line]

    app = FastAPI()

    @app.get("/items/{item_id}")
    async def read_item(item_id: int, q: str | None = None):
        return {"item_id": item_id, "q": q}

    @app.post("/orders")
    async def create_order(order: Order):
        total = sum(line.price * line.quantity for line in order.items)
        return {"customer": order.customer.name, "total": total, "count": len(order.items)}

    return app


def build_starlette_app():
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def read_item(request):
        try:
            item_id = int(request.path_params["item_id"])
        except ValueError:
            return JSONResponse({"detail": "item_id must be an integer"}, status_code=422)
        return JSONResponse({"item_id": item_id, "q": request.query_params.get("q")})

    async def create_order(request):
        order = await request.json()
        lines = order["items"]
        total = sum(float(line["price"]) * int(line.get("quantity", 1)) for line in lines)
        return JSONResponse({"customer": order["customer"]["name"], "total": total,
                             "count": len(lines)})

    return Starlette(routes=[Route("/items/{item_id}", read_item),
                             Route("/orders", create_order, methods=["POST"])])


miniasgi_app = build_miniasgi_app()
fastapi_app = build_fastapi_app()
starlette_app = build_starlette_app()

ORDER_BODY = json.dumps({
    "customer": {"name": "Ada", "email": "ada@example.org"},
    "items": [{"name": "book", "price": 12.5, "quantity": 2}, {"name": "pen", "price": 1.25}],
}).encode()


def _scope(method: str, path: str, query: bytes, headers: list) -> dict:
    return {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
            "method": method, "scheme": "http", "path": path, "raw_path": path.encode(),
            "query_string": query, "root_path": "", "headers": headers,
            "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 8000), "state": {}}


async def drive(app, method: str, path: str, query: bytes, body: bytes, count: int) -> float:
    """Call app(scope, receive, send) `count` times; return requests per second."""
    headers = [(b"host", b"127.0.0.1:8000"), (b"content-type", b"application/json"),
               (b"content-length", str(len(body)).encode())]
    message = {"type": "http.request", "body": body, "more_body": False}
    statuses = []

    async def receive():
        return message

    async def send(event):
        if event["type"] == "http.response.start":
            statuses.append(event["status"])

    started = time.perf_counter()
    for _ in range(count):
        await app(_scope(method, path, query, headers), receive, send)
    elapsed = time.perf_counter() - started
    if set(statuses) != {200}:
        raise RuntimeError(f"{method} {path} answered {sorted(set(statuses))}, not 200")
    return count / elapsed


def main(count: int = 2000, rounds: int = 7) -> dict[str, dict[str, float]]:
    """Measure every app on both endpoints; print and return the best rate of each.

    The machine is shared, so one slow moment must not decide a comparison: the
    apps take turns, `rounds` times, and each keeps its best round (the run least
    disturbed by others), which is how timeit advises reading repeated timings.
    """
    apps = {"miniasgi": miniasgi_app, "fastapi": fastapi_app, "starlette": starlette_app}
    cases = {"GET path+query": ("GET", "/items/42", b"q=hello", b""),
             "POST nested model": ("POST", "/orders", b"", ORDER_BODY)}
    loop = asyncio.new_event_loop()
    report: dict[str, dict[str, float]] = {}
    for case, (method, path, query, body) in cases.items():
        best = dict.fromkeys(apps, 0.0)
        for app in apps.values():
            loop.run_until_complete(drive(app, method, path, query, body, 200))  # warm up
        for _ in range(rounds):
            for name, app in apps.items():
                rate = loop.run_until_complete(drive(app, method, path, query, body, count))
                best[name] = max(best[name], rate)
        report[case] = best
        ratio = best["miniasgi"] / best["fastapi"]
        line = ", ".join(f"{name} {rate:,.0f}/s" for name, rate in best.items())
        print(f"{case:20s} {line}  (miniasgi/fastapi = {ratio:.2f}x)")
    loop.close()
    return report


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)

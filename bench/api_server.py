"""The server side of the API benchmark: fanloop's app on uvicorn, plus a bare ASGI endpoint.

`/bare` is answered by a raw ASGI callable that returns a small JSON body without touching
FastAPI, the database or any middleware. It runs in the same process, on the same event loop,
HTTP parser and socket as the real endpoints, so the ratio of an endpoint's throughput to the
bare endpoint's is the share of the server stack's capacity that the endpoint leaves.
`/noop/async` and `/noop/sync` are empty endpoints of a separate, minimal FastAPI app: the cost
of the framework alone, without fanloop's routes, dependencies or database.

Every other path goes to `fanloop.app.create_app()`, configured from the FANLOOP_* environment
(database URL, data folder, rate limits).

    python bench/api_server.py --host 127.0.0.1 --port 8765
"""

from __future__ import annotations

import argparse

BARE_BODY = b'{"status":"ok"}'
BARE_HEADERS = [
    (b"content-type", b"application/json"),
    (b"content-length", str(len(BARE_BODY)).encode()),
]


def noop_app():  # noqa: ANN201
    """A FastAPI app with two empty endpoints, one `async def` and one plain `def` (which FastAPI
    runs in its thread pool, like fanloop's endpoints): they split the distance between the bare
    endpoint and fanloop's into the framework's share and the application's."""
    from fastapi import FastAPI

    noop = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    @noop.get("/noop/async")
    async def noop_async() -> dict:
        return {"status": "ok"}

    @noop.get("/noop/sync")
    def noop_sync() -> dict:
        return {"status": "ok"}

    return noop


def build_app():  # noqa: ANN201
    from fanloop.app import create_app
    from fanloop.core.config import Settings

    inner = create_app(Settings())
    noop = noop_app()

    async def app(scope, receive, send) -> None:  # noqa: ANN001
        if scope["type"] == "http":
            path = scope["path"]
            if path == "/bare":
                await send({"type": "http.response.start", "status": 200, "headers": BARE_HEADERS})
                await send({"type": "http.response.body", "body": BARE_BODY})
                return
            if path.startswith("/noop/"):
                await noop(scope, receive, send)
                return
        await inner(scope, receive, send)

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()

    import uvicorn

    uvicorn.run(
        build_app(),
        host=args.host,
        port=args.port,
        loop="uvloop",
        http="httptools",
        workers=1,
        access_log=False,
        log_level="warning",
        lifespan="on",
    )


if __name__ == "__main__":
    main()

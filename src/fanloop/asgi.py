"""The ASGI application for servers: `uvicorn fanloop.asgi:app`."""

from fanloop.app import create_app

app = create_app()

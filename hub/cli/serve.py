"""`hub serve`: the hub's HTTP service (`hub.api.app.create_app`) on uvicorn.

Round the clock: logs are JSON lines on stderr with the request id and IDs and phones masked
(`hub.api.logs`); on SIGTERM or Ctrl-C uvicorn stops accepting, waits up to
`--graceful-timeout` seconds for the requests in flight, then the app's lifespan flushes the audit
spool and the Kafka producers. `--workers N` runs N processes on the port (each with its own
audit chain, rate limits and caches). A second worker helps only where cores are free: on a 2-core
machine it competes with the client, Redis and Kafka (docs/performance.md, "Service window").
"""

from __future__ import annotations

import os
from typing import Annotated

import typer

from hub.settings import load_settings

__all__ = ["PROTOCOL", "register"]

#: uvicorn's httptools protocol with `GET /citizens` answered below ASGI (hub/api/fastproto.py).
PROTOCOL = "hub.api.fastproto:WindowHttpProtocol"


def register(app: typer.Typer) -> None:
    @app.command("serve")
    def serve(
        host: Annotated[str | None, typer.Option(help="Address to bind (default: connectors.serve_host).")] = None,
        port: Annotated[int | None, typer.Option(help="Port (default: connectors.serve_port).")] = None,
        workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes on the port.")] = 1,
        log_level: Annotated[str, typer.Option(help="debug, info, warning or error.")] = "info",
        access_log: Annotated[bool, typer.Option(help="One JSON line per request (uvicorn.access).")] = True,
        graceful_timeout: Annotated[float, typer.Option(help="Seconds to let requests in flight finish.")] = 15.0,
        city: Annotated[str | None, typer.Option(help="The served city whose read model the window answers "
                                                      "from (default: city_code).")] = None,
    ) -> None:
        """Run the hub's HTTP service: department pushes (POST /ingest/{source}), the service window, /hall, /ops."""
        import uvicorn

        from hub.api.logs import lean_log_records, log_config

        lean_log_records()  # this process's records (each worker of --workers N does it in serve_app)
        if city:  # the same as HUB_CITY_CODE: every worker process then loads that city's view
            os.environ["HUB_CITY_CODE"] = city
        settings = load_settings()
        target: object
        if workers > 1:
            target = "hub.api.app:serve_app"  # each worker process builds its own app
        else:
            from hub.api.app import create_app
            from hub.runtime.gc_pause import settle_heap

            target = create_app(settings)
            settle_heap()  # as serve_app does in each worker (hub/runtime/gc_pause.py)
        uvicorn.run(
            target,
            factory=workers > 1,
            host=host or settings.connectors.serve_host,
            port=port or settings.connectors.serve_port,
            workers=workers,
            log_config=log_config(log_level.upper(), access_log=access_log),
            log_level=log_level.lower(),
            access_log=access_log,
            timeout_graceful_shutdown=int(graceful_timeout),
            server_header=False,
            http=PROTOCOL,
        )

"""`arsight serve`: the online scoring service on uvicorn.

The command only reads settings, sets up JSON logging and runs the app; everything else is in
`serving.app.create_app`. uvicorn runs with the limits of `server_options`: a deadline for
receiving each whole request (`serving.limits.TimedH11Protocol`), a short keep-alive and a
cap on the size of the request line and headers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from serving.settings import ServingSettings

KEEP_ALIVE_SECONDS = 5
MAX_HEADER_BYTES = 64 * 1024


def server_options() -> dict[str, object]:
    """uvicorn options of `arsight serve`: h11 with a read deadline, keep-alive, header cap.

    The deadline is `ARSIGHT_REQUEST_READ_TIMEOUT_SECONDS`, read by the protocol class in
    each worker.
    """
    return {
        "http": "serving.limits:TimedH11Protocol",
        "timeout_keep_alive": KEEP_ALIVE_SECONDS,
        "h11_max_incomplete_event_size": MAX_HEADER_BYTES,
        "log_config": None,
        "access_log": False,
    }


def serve(
    host: Annotated[
        str | None, typer.Option(help="Interface to bind (default ARSIGHT_HOST or 127.0.0.1).")
    ] = None,
    port: Annotated[
        int | None, typer.Option(min=1, max=65535, help="Port (default ARSIGHT_PORT or 8000).")
    ] = None,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
) -> None:
    """Serve scores, reasons and deal decisions over HTTP (API docs at /docs).

    Logs are JSON lines on stderr, one access line per request with its X-Request-ID
    (uvicorn's own access log is off, so each request is logged once).

    Loads models:/arsight@champion from MLFLOW_TRACKING_URI and the online store from
    ARSIGHT_ONLINE_STORE; picks up a newer champion or store without a restart.

    Example: ARSIGHT_API_KEYS=crm:dev-key arsight serve --port 8000
    """
    from serving.settings import get_serving_settings

    run_server(get_serving_settings(), host, port, workers)


def run_server(
    settings: ServingSettings, host: str | None = None, port: int | None = None, workers: int = 1
) -> None:
    """Serve `settings` on uvicorn until interrupted (what `arsight serve` and the demo run).

    Several workers each build their app from the environment (uvicorn imports a factory), so
    settings given as an object reach only a single-worker server.
    """
    import uvicorn

    from serving.app import configure_json_logging, create_app

    configure_json_logging()
    bind_host = host or settings.host
    bind_port = port or settings.port
    options = server_options()
    if workers == 1:
        uvicorn.run(create_app(settings), host=bind_host, port=bind_port, **options)  # type: ignore[arg-type]
        return
    uvicorn.run(
        "serving.cli:app_from_environment",
        factory=True,
        host=bind_host,
        port=bind_port,
        workers=workers,
        **options,  # type: ignore[arg-type]
    )


def app_from_environment() -> object:
    """App factory for multi-worker uvicorn: each worker builds its app from the environment."""
    from serving.app import configure_json_logging, create_app
    from serving.settings import get_serving_settings

    configure_json_logging()
    return create_app(get_serving_settings())

"""``oncoimmune serve``: the web explorer (registered on the main typer app)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add the ``serve`` command to ``app``."""

    @app.command("serve")
    def serve_cmd(
        host: Annotated[str, typer.Option("--host", help="Interface to bind (default: this machine only).")] =
        "127.0.0.1",
        port: Annotated[int, typer.Option("--port", min=1, max=65535, help="TCP port.")] = 8000,
        data: Annotated[
            Path, typer.Option("--data", help="Directory for background trial jobs (created if missing).",
                               metavar="DIR")
        ] = Path("oncoimmune-data"),
    ) -> None:
        """Start the web explorer: patient pages, model explorer, virtual-trial jobs and the JSON API.

        Information, not medical advice. Open http://HOST:PORT/ in a browser; the
        OpenAPI schema is at /openapi.json. Needs the 'web' extra.
        """
        try:
            import fastapi  # noqa: F401
            import jinja2  # noqa: F401
            import uvicorn  # noqa: F401
        except ImportError as exc:
            typer.echo(f"error: --host: the web server needs the 'web' extra ({exc.name} is missing); "
                       "install it with pip install 'oncoimmune[web]'", err=True)
            raise typer.Exit(2) from None
        if data.exists() and not data.is_dir():
            typer.echo(f"error: --data: {str(data)!r} exists and is not a directory; give a directory", err=True)
            raise typer.Exit(2)
        from .web import serve

        typer.echo(f"oncoimmune web on http://{host}:{port}/ (jobs in {data}); information, not medical advice",
                   err=True)
        serve(host=host, port=port, data=str(data))

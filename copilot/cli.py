"""The ``copilot`` command: thin typer commands over the library.

Errors from the library (copilot.errors) become a one-line message on stderr and the error's exit code.
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import typer  # noqa: E402

from copilot.errors import CopilotError  # noqa: E402

app = typer.Typer(help="GL Copilot for Sage Intacct: suggest, validate and audit GL coding.",
                  no_args_is_help=True, pretty_exceptions_enable=False)


@app.command()
def serve(host: str = "127.0.0.1", port: int = 8000) -> None:
    """Run the HTTP API (OpenAPI docs at /docs)."""
    import uvicorn

    uvicorn.run("copilot.api.app:create_app", factory=True, host=host, port=port)


def main() -> None:
    try:
        app()
    except CopilotError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        sys.exit(exc.exit_code)


if __name__ == "__main__":
    main()

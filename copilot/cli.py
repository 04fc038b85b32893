"""The ``copilot`` command: thin typer commands over the library.

Each feature package contributes its commands in a ``commands.py`` exposing ``register(app)``;
they are listed in COMMAND_MODULES. Errors from the library (copilot.errors) become a one-line
message on stderr and the error's exit code, never a stack trace.
"""

from __future__ import annotations

import importlib
import os
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import typer  # noqa: E402

from copilot.errors import CopilotError  # noqa: E402

app = typer.Typer(help="GL Copilot for Sage Intacct: suggest, validate and audit GL coding.",
                  no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False)

# One line per feature package; each module defines register(app: typer.Typer).
COMMAND_MODULES: list[str] = [
    "copilot.connector.commands",
    "copilot.demo.commands",
    "copilot.engine.commands",
    "copilot.evaluation.commands",
    "copilot.formats.commands",
    "copilot.ledger_import.commands",  # after formats: adds `company import-csv` to its group
    "copilot.index.commands",
    "copilot.review.commands",
    "copilot.validate.commands",
    "copilot.intercompany.commands",
    "copilot.allocation.commands",
    "copilot.batch.commands",
    "copilot.bankfeed.commands",
]


@app.command()
def serve(host: str = "127.0.0.1", port: int = 8000) -> None:
    """Run the HTTP API (OpenAPI docs at /docs)."""
    import uvicorn

    uvicorn.run("copilot.api.app:create_app", factory=True, host=host, port=port)


for _module in COMMAND_MODULES:
    importlib.import_module(_module).register(app)


def main() -> None:
    try:
        app()
    except CopilotError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        sys.exit(exc.exit_code)


if __name__ == "__main__":
    main()

"""The `resnet-repro` command: each command is a thin module that parses, calls the library, prints."""

from __future__ import annotations

import sys

import typer

from ..errors import UserError
from .bench import bench_command
from .catalog import list_command, show_command
from .common import err_console
from .plot import plot_command
from .report import report_command
from .run import run_command

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False, rich_markup_mode=None,
                  help="Reproduce He et al. 2015, Deep Residual Learning for Image Recognition: every table and "
                       "figure, beside the paper's numbers.")


@app.callback()
def _global(debug: bool = typer.Option(False, "--debug", help="Show the full traceback of an error.")) -> None:
    """(--debug is read by main() before the command runs.)"""


app.command("list")(list_command)
app.command("show")(show_command)
app.command("run")(run_command)
app.command("plot")(plot_command)
app.command("report")(report_command)
app.command("bench")(bench_command)


def main() -> None:
    debug = "--debug" in sys.argv
    if debug:  # accepted anywhere on the line, not only before the command
        sys.argv.remove("--debug")
    try:
        app()
    except UserError as error:
        if debug:
            raise
        err_console.print(f"[bold red]error:[/bold red] {error}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except SystemExit as exit_:
        if exit_.code == 130:  # Ctrl-C: typer turns the KeyboardInterrupt into a silent exit 130
            err_console.print("interrupted")
        raise

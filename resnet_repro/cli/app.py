"""The `resnet-repro` command: each command is a thin module that parses, calls the library, prints."""

from __future__ import annotations

import atexit
import errno
import os
import sys

import typer
from rich.markup import escape
from typer import Abort
from typer._click.exceptions import ClickException, NoArgsIsHelpError  # typer vendors click; not re-exported

from ..basics.errors import Stopped, UserError, one_line, require_utf8
from ..basics.launch import launched_world_size
from .bench import bench_command
from .catalog import list_command, show_command
from .common import err_console
from .eval import eval_command
from .plot import plot_command
from .report import report_command
from .run import run_command
from .schema import schema_command

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    help="Reproduce He et al. 2015, Deep Residual Learning for Image Recognition: every table and "
    "figure, beside the paper's numbers.",
)


@app.callback()
def _global(debug: bool = typer.Option(False, "--debug", help="Show the full traceback of an error.")) -> None:
    """(--debug is read by main() before the command runs.)"""


# Short help for the command list, whole (click would cut each docstring at 45 characters).
app.command("list", short_help="Every target, what it computes, and the runs done per profile.")(list_command)
app.command("show", short_help="The runs a target resolves to, their status and recipe.")(show_command)
app.command("run", short_help="Train what a target needs (resuming), then write its tables and figures.")(run_command)
app.command("plot", short_help="Redraw a target's figures and tables from the CSVs under results/.")(plot_command)
app.command("report", short_help="Write results/REPORT.md and REPORT.html: does the paper hold here?")(report_command)
app.command("bench", short_help="Measure images/s of the real training step, per model.")(bench_command)
app.command("eval", short_help="Test published or given weights with the paper's 10-crop or multi-scale test.")(
    eval_command
)
app.command("schema", short_help="The JSON Schema of a target file, for an editor's YAML support.")(schema_command)


def main() -> None:
    try:
        launched = launched_world_size() > 1
    except UserError as error:
        _one_line(str(error))  # exits 2
    if not launched:
        _run_command_line()
        return
    # One process of a torchrun launch. DistributedDataParallel keeps the process group alive after
    # destroy_process_group, so gloo's worker threads outlive the command; one of them may still be releasing
    # the last collective's tensors, which takes the GIL. Were the interpreter being torn down by then, that
    # thread would be cancelled mid-destructor and the process would abort (SIGABRT, "terminate called
    # without an active exception") after the run had succeeded. So a launched process ends as a normal one
    # would up to the teardown (exit handlers, flushed output), and then leaves without it.
    try:
        _run_command_line()
        code = 0
    except SystemExit as exit_:
        if isinstance(exit_.code, str):  # what the interpreter would print for sys.exit("message")
            print(exit_.code, file=sys.stderr)
        code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
    except BaseException:  # a crash (or --debug): its traceback, as the interpreter would print it
        sys.excepthook(*sys.exc_info())
        code = 130 if isinstance(sys.exc_info()[1], KeyboardInterrupt) else 1
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _run_command_line() -> None:
    debug = "--debug" in sys.argv
    if debug:  # accepted anywhere on the line, not only before the command
        sys.argv.remove("--debug")
    try:
        for argument in sys.argv[1:]:  # meta.json records the command line: every word of it must be UTF-8
            require_utf8(argument, "the argument")
        # Not standalone: typer would draw a multi-line usage box for a mistyped command line; every
        # error is one line here (the usage errors below, UserError, an unreadable folder).
        code = app(standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)
    except NoArgsIsHelpError as error:  # plain `resnet-repro`: the help, as before
        error.show()
        sys.exit(error.exit_code)
    except ClickException as error:
        if debug:
            raise
        context = getattr(error, "ctx", None)
        command = context.command_path if context is not None else "resnet-repro"
        _one_line(f"{error.format_message().rstrip('.')}. See `{command} --help`", error.exit_code)
    except Stopped as stop:  # Ctrl-C or SIGTERM during training: where it stopped, not an error
        if debug:
            raise
        err_console.print(escape(str(stop)), highlight=False, soft_wrap=True)
        sys.exit(stop.exit_code)
    except UserError as error:
        if debug:
            raise
        _one_line(str(error))
    except Abort:
        err_console.print("interrupted")
        sys.exit(130)
    except OSError as error:  # a folder or file we may not read or write (another user's results/, a full disk)
        if debug:
            raise
        if error.errno == errno.EPIPE:  # `resnet-repro list | head`: the reader left; nothing to say
            sys.exit(1)
        where = f" {error.filename}" if error.filename else ""
        # a file where a folder must be, or a folder where a file is written (a figure), is not a matter of
        # permissions or space
        in_the_way = {
            errno.ENOTDIR: "a file stands where a folder must be on that path. Move the file away",
            errno.EISDIR: "a folder stands where a file must be. Move the folder away",
        }
        fix = in_the_way.get(error.errno, f"{error.strerror or error}. Fix its permissions or free space")
        _one_line(f"cannot access{where}: {fix}, or point --results/--data-dir elsewhere")
    except SystemExit as exit_:
        if exit_.code == 130:  # Ctrl-C: typer turns the KeyboardInterrupt into a silent exit 130
            err_console.print("interrupted")
        raise


def _one_line(message: str, code: int = 2) -> None:
    # The message is text, not markup: "[low, high]" in it is shown as written, not read as a style tag.
    # one_line: a message built from another library's error (click's, an OSError's file name) may quote a name
    # that holds a newline; a UserError's message is one line already.
    err_console.print(f"[bold red]error:[/bold red] {escape(one_line(message))}", highlight=False, soft_wrap=True)
    sys.exit(code)

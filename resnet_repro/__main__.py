"""`python -m resnet_repro` and the `resnet-repro` script: the command line, stoppable with Ctrl-C from its first
moment to its last."""

import os
import signal
import sys


def main() -> None:
    """The command line. A Ctrl-C while its modules load (seconds on a busy machine), or once the command has ended
    and the interpreter is closing, is one line and exit code 130, as one during the command is: never a traceback,
    never a silent exit 0."""
    try:
        # Imported here, not above: the commands' modules (pandas, matplotlib) take seconds to load, and a Ctrl-C
        # meanwhile must land in this try.
        from resnet_repro.cli.app import main as command_line

        command_line()
    except KeyboardInterrupt:
        _interrupted()
    finally:
        signal.signal(signal.SIGINT, _interrupted_while_closing)


def _interrupted() -> None:
    print("interrupted", file=sys.stderr)
    sys.exit(130)


def _interrupted_while_closing(signum, frame) -> None:
    # The command's files are written whole (basics/atomic.py); only the interpreter's teardown is cut short.
    print("interrupted", file=sys.stderr, flush=True)
    os._exit(130)


if __name__ == "__main__":  # spawned worker processes (run --jobs) import this module without running it
    main()

"""The exception types that reach a user as a single clear line (no traceback), and the excerpt any value
quoted in such a line is cut to."""

from __future__ import annotations

import reprlib
import signal
from typing import Any

EXCERPT_CHARS = 60  # a quoted value longer than this is cut: it is there to be recognised, not read in full
PATH_CHARS = 400  # a path is shown whole up to this: the wrong part is often at its end


class UserError(Exception):
    """Bad input or a state the user can fix. The message says what was wrong and how to fix it, on one line:
    whatever a path or a value quoted in it holds (a folder named with a newline), it is shown as `one_line`."""

    def __init__(self, message: str = ""):
        super().__init__(one_line(str(message)))


# Characters that end or redraw a line on a terminal: C0 and C1 controls (newline, carriage return, escape, ...),
# and Unicode's own line and paragraph separators.
_LINE_BREAKERS = frozenset([*range(0x20), 0x7F, *range(0x80, 0xA0), 0x2028, 0x2029])


def one_line(text: str) -> str:
    """`text` with every control character written as Python writes it in a string literal (a newline as \\n, an
    escape as \\x1b), so a message quoting a path or a value stays one line, and the name it shows is the name
    as typed. Printable text, non-ASCII letters included, is kept as it is."""
    if not any(ord(char) in _LINE_BREAKERS for char in text):
        return text
    return "".join(repr(char)[1:-1] if ord(char) in _LINE_BREAKERS else char for char in text)


class Stopped(UserError):
    """A stop the user asked for (Ctrl-C, SIGTERM), not an error: the message says where it stopped and how to go
    on, and the command exits with the shell's code for the signal (130 for SIGINT, 143 for SIGTERM)."""

    def __init__(self, message: str, signal_name: str = "SIGINT"):
        super().__init__(message)
        self.signal_name = signal_name

    @property
    def exit_code(self) -> int:
        try:
            return 128 + signal.Signals[self.signal_name].value
        except KeyError:
            return 130


class _ShortRepr(reprlib.Repr):
    """reprlib's repr (which walks only the first items of a container and marks what it leaves out with '...'),
    also for integers too long for Python to print (more than 4300 digits)."""

    def __init__(self):
        super().__init__()
        self.maxlevel, self.maxlist, self.maxtuple, self.maxdict, self.maxset = 3, 6, 6, 4, 6
        self.maxstring = self.maxother = self.maxlong = EXCERPT_CHARS + 10

    def repr_int(self, x, level):
        if x.bit_length() > 4 * EXCERPT_CHARS:
            return f"<a whole number of about {int(x.bit_length() * 0.30103)} digits>"
        return super().repr_int(x, level)


_SHORT = _ShortRepr()


def excerpt(value: Any) -> str:
    """A value quoted in an error message: its repr when short, else its start and a marked cut, so a message
    stays one short line whatever a file or an option holds (a 4 MB value once made a 4 MB error line)."""
    if isinstance(value, (str, bytes)) and len(value) > EXCERPT_CHARS:
        return f"{value[:EXCERPT_CHARS]!r}...[cut: {len(value):,} characters]"
    text = _SHORT.repr(value)
    if len(text) <= EXCERPT_CHARS:
        return text
    return f"{text[:EXCERPT_CHARS]}...[cut: a {type(value).__name__}]"


def shorten(text: str, limit: int = EXCERPT_CHARS) -> str:
    """Text quoted in an error message (a name, another library's message), cut like `excerpt` but unquoted."""
    return text if len(text) <= limit else f"{text[:limit]}...[cut: {len(text):,} characters]"


def require_utf8(text: str, what: str) -> None:
    """Refuse a name that is not UTF-8 text, in one line naming it. Python hands such a name (a folder called
    b'caf\xe9') over as a string with surrogate escapes; recorded in meta.json it would come back as another
    name, so the tool refuses it where it comes in rather than record it wrong."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        bad = ord(text[error.start]) - 0xDC00  # surrogateescape holds an undecodable byte b as U+DC00 + b
        shown = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        raise UserError(
            f"{what} {shorten(shown, PATH_CHARS)} is not UTF-8 text (byte {bad:#04x}); use a UTF-8 name (rename the folder "
            f"or file): names are recorded with the results, and this one could not be recorded as it is"
        ) from None

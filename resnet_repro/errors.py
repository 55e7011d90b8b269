"""The one exception type that reaches a user as a single clear line (no traceback)."""


class UserError(Exception):
    """Bad input or a state the user can fix. The message says what was wrong and how to fix it."""

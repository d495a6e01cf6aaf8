"""Errors a user can fix: printed as one line, exit code 2, never a traceback."""


class UserError(Exception):
    """Bad input: a clear one-line message for the user."""

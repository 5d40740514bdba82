"""The one exception type users see.

Anything a user can fix (a bad params value, data not pulled, an unreachable hub, a corrupt
checkpoint) is raised as `XstiltsError` with a message that names the problem and the fix. The CLI
prints it as one line and exits with status 2; every other exception is a bug and keeps its
traceback.
"""


class XstiltsError(Exception):
    """A problem the user can fix; the message says how."""


def first_line(err: BaseException) -> str:
    """The first line of an exception's message (its type's name if it has none), for the
    one-line errors that wrap a library's exception."""
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__

"""The one exception type users see.

Anything a user can fix (a bad params value, data not pulled, an unreachable hub, a corrupt
checkpoint) is raised as `XstiltsError` with a message that names the problem and the fix. The CLI
prints it as one line and exits with status 2; every other exception is a bug and keeps its
traceback.
"""


class XstiltsError(Exception):
    """A problem the user can fix; the message says how."""

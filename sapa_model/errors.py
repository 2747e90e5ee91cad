"""Errors a user can cause, each with a message that says what would be right."""

from __future__ import annotations

ECHO_LIMIT = 60  # characters of a user's value repeated in a message; the rest is cut
PROBLEM_LIMIT = 20  # problems listed in one message; the rest are counted
NAMES_SHOWN = 5  # unknown municipalities named in one (one-line) message; the rest are counted


ACCEPT_WARNINGS = "strict=False"  # how a message tells a caller of followup() to use invoices it finds implausible


def echo(value: object) -> str:
    """A user's value as a message shows it: repr, cut to ECHO_LIMIT characters."""
    text = repr(value)
    return text if len(text) <= ECHO_LIMIT else f"{text[: ECHO_LIMIT - 1]}…"


def listing(problems: list[str]) -> str:
    """Problems one per line, at most PROBLEM_LIMIT of them, then how many more there are."""
    shown = [f"  {p}" for p in problems[:PROBLEM_LIMIT]]
    if len(problems) > PROBLEM_LIMIT:
        shown.append(f"  … and {len(problems) - PROBLEM_LIMIT} more")
    return "\n".join(shown)


def refusal(head: str, problems: list[str]) -> str:
    """Why something cannot be used: one line for one problem ('head: problem'), else the heading and one line each."""
    return f"{head}: {problems[0]}" if len(problems) == 1 else f"{head}:\n{listing(problems)}"


def as_option(error: Exception, accept: str) -> str:
    """The error's message with the way to accept implausible invoices said as an interface says it: the command's
    option (--accept-warnings) or a notebook's parameter (accept_warnings = 1), not the Python argument."""
    return str(error).replace(ACCEPT_WARNINGS, accept)


def counted(count: int, one: str, many: str) -> str:
    """A count with its noun in the right number: '1 faktura', '3 fakturaer'."""
    return f"{count} {one if count == 1 else many}"


class SapaError(Exception):
    """Base class for every error caused by the user's input; the CLI prints its message, no trace."""

    def _render_traceback_(self) -> list[str]:
        """In a notebook, IPython shows this instead of a stack trace: just what was wrong."""
        return [f"{type(self).__name__}: {self}"]


class UnknownMunicipalityError(SapaError, LookupError):
    """A municipality name or code that matches none of the 98."""

    def __init__(self, given: object, suggestions: list[str]):
        self.given = given
        self.suggestions = suggestions
        hint = (
            f"; did you mean {' or '.join(repr(s) for s in suggestions)}?"
            if suggestions
            else ("; give the Danish name (e.g. 'Aarhus') or the 3-digit code (e.g. 751)")
        )
        super().__init__(f"unknown municipality {echo(given)}{hint}")

    @classmethod
    def many(cls, errors: list[UnknownMunicipalityError]) -> UnknownMunicipalityError:
        """One error naming several unknown municipalities."""
        combined = cls([e.given for e in errors], [s for e in errors for s in e.suggestions])
        shown = [str(e) for e in errors[:NAMES_SHOWN]]
        if len(errors) > NAMES_SHOWN:
            shown.append(f"and {counted(len(errors) - NAMES_SHOWN, 'more unknown one', 'more unknown ones')}")
        combined.args = ("; ".join(shown),)
        return combined

    def __str__(self) -> str:  # LookupError would otherwise repr() the message
        return self.args[0]


class YearOutOfRangeError(SapaError, ValueError):
    """A year outside the range the model covers."""


class DataError(SapaError, ValueError):
    """A data file that fails its schema: every problem is listed with file, row and column."""


class ParameterError(SapaError, ValueError):
    """A parameter file or a parameter override that is malformed."""


class ScenarioError(SapaError, ValueError):
    """A scenario file that is malformed; nothing of it has been applied."""


class FollowupError(SapaError, ValueError):
    """Invoices that cannot be followed up against a budget (rows after the as-of date, a year without a budget,
    implausible amounts, …); nothing has been computed from them."""


class NotebookParameterError(SapaError, ValueError):
    """A notebook parameter with a wrong value."""


class ReportError(SapaError, RuntimeError):
    """The report build cannot go on (the output folder is in use, the workers kept dying)."""


class ParameterExtrapolationWarning(UserWarning):
    """A parameter was used for a date after its last known value."""


class Terminated(BaseException):
    """The command was told to stop at once (SIGTERM): a build stops its workers now, not after their report."""

"""The installed package's version, stated in every report and export."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("sapa-budget")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+source"

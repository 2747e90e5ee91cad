"""Files that are either complete or absent: write to a hidden temporary name, then rename."""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
import unicodedata
from collections.abc import Iterator
from pathlib import Path

PARTIAL = ".partial"


def owner() -> str:
    """What names this process's temporary files, so that a build cleans up only its own: SAPA_BUILD_ID if set,
    else the process id, read when a file is named (a report worker is forked after this module is imported)."""
    return os.environ.get("SAPA_BUILD_ID") or str(os.getpid())


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside `path`; on success it replaces `path`, on any error it is removed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{owner()}{PARTIAL}")
    try:
        yield temporary
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def write_text(path: Path, text: str) -> None:
    """Write a text file atomically (UTF-8)."""
    with atomic_path(path) as temporary:
        temporary.write_text(text, encoding="utf-8")


def running(pid: int) -> bool:
    """True while a process with this id runs (a process of another user counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def owner_gone(name: str) -> bool:
    """True when a temporary file's owner (a process id) is this process or no longer runs: nothing will
    finish that file. An owner that is no process id (set by SAPA_BUILD_ID) is never judged gone."""
    return name.isdigit() and (name == owner() or not running(int(name)))


def remove_partials(folder: Path) -> int:
    """Delete the temporary files that this process or a process that no longer runs left (an interrupted or
    killed build); files of a running process are its own to finish. Returns how many were removed."""
    leftovers = [
        path
        for path in (Path(folder).rglob(f".*{PARTIAL}") if Path(folder).exists() else [])
        if owner_gone(path.name[: -len(PARTIAL)].rpartition(".")[2])
    ]
    for path in leftovers:
        path.unlink(missing_ok=True)
    return len(leftovers)


def slug(text: str) -> str:
    """A file-name slug: 'Høje-Taastrup' -> 'hoeje-taastrup', 'Ærø' -> 'aeroe'."""
    text = text.lower().replace("æ", "ae").replace("ø", "oe").replace("å", "aa")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def project_folder() -> Path:
    """The project's root folder (beside sapa_model/)."""
    return Path(__file__).resolve().parents[1]


def scenario_folder() -> Path:
    """The one folder the live explorer reads and writes scenarios and forecasts in: scenarios/ of the project,
    or SAPA_SCENARIO_DIR when the explorer is served from elsewhere."""
    return Path(os.path.realpath(os.environ.get("SAPA_SCENARIO_DIR") or project_folder() / "scenarios"))


FILE_NAME_LIMIT = 60  # characters of a file name a user gives


def safe_name(text: str, suffix: str) -> str:
    """A file name made from what a user typed: letters (also æ, ø, å), digits, '-' and '_' only, at most
    FILE_NAME_LIMIT characters, with the suffix; ValueError if nothing usable is left. '../../x.py' -> 'x.yaml'."""
    stem = Path(str(text).replace("\\", "/")).name
    stem = stem[: -len(Path(stem).suffix)] if Path(stem).suffix.lower() in (suffix, ".yml", ".csv", ".xlsx") else stem
    stem = re.sub(r"[^0-9A-Za-zæøåÆØÅ_-]+", "-", stem).strip("-_")[:FILE_NAME_LIMIT]
    if not stem:
        raise ValueError(f"{text!r:.60} is no usable file name; use letters, digits, - and _")
    return stem + suffix


def in_tree(folder: Path, relative: str) -> Path:
    """folder / relative (which may name a subfolder), refused (ValueError) unless it stays inside the folder
    once links are followed."""
    folder = Path(os.path.realpath(folder))
    path = Path(os.path.realpath(folder / relative))
    if not path.is_relative_to(folder) or path == folder:
        raise ValueError(f"{relative!r:.60} is not a file in {folder.name}/")
    return path


def inside(folder: Path, name: str) -> Path:
    """folder / name, refused (ValueError) unless it stays inside the folder."""
    folder = Path(os.path.realpath(folder))
    path = Path(os.path.realpath(folder / name))  # a link loop stays a path (and is refused when read)
    if path.parent != folder:
        raise ValueError(f"{name!r:.60} is not a file in {folder.name}/")
    return path


class Unreadable(ValueError):
    """A file a user named that cannot be read as one: its message names the file and says why."""


def read_capped(path: Path | str, limit: int, what: str = "file", hint: str = "") -> bytes:
    """A user's file's bytes, refused (Unreadable) unless it is a regular file of at most `limit` bytes. The
    check is made on the opened file and the read stops at the limit, so neither a device or a pipe behind a
    link, nor a file that says it is empty (/proc) but is not, nor a link loop can hang or flood the caller."""
    path = Path(path)
    name = f"{what} {path.name or path}"
    try:
        handle = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise Unreadable(f"{name} does not exist") from None
    except IsADirectoryError:
        raise Unreadable(f"{name} is a folder, not a file") from None
    except PermissionError:
        raise Unreadable(f"{name} cannot be read (permission denied)") from None
    except OSError as exc:
        why = "is a link that leads in a circle" if exc.errno == errno.ELOOP else f"cannot be read ({exc.strerror})"
        raise Unreadable(f"{name} {why}") from None
    try:
        mode = os.fstat(handle).st_mode
        if stat.S_ISDIR(mode):
            raise Unreadable(f"{name} is a folder, not a file")
        if not stat.S_ISREG(mode):
            raise Unreadable(f"{name} is not a regular file (a device, pipe or socket)")
        with os.fdopen(os.dup(handle), "rb") as stream:
            data = stream.read(limit + 1)
    except OSError as exc:
        raise Unreadable(f"{name} cannot be read ({exc.strerror})") from None
    finally:
        os.close(handle)
    if len(data) > limit:
        size = f"{limit // 1_000_000} MB" if limit % 1_000_000 == 0 else f"{limit // 1000} kB"
        raise Unreadable(f"{name} is larger than {size}{hint}")
    return data

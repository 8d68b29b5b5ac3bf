"""Safe file input and output: checks before the work, atomic writes after it.

Every file the tool writes goes to a temporary name beside its target and is
renamed over it only once complete (:func:`atomic_path`), so an interrupted or
failed run leaves the previous file intact and no partial one. Output paths
are checked *before* any long computation (:func:`check_output`,
:func:`check_output_dir`): a missing or read-only folder, a path that is a
folder, or a path that is one of the run's own input files is refused at once.
Input files must be regular files (:func:`check_input_file`): a FIFO or a
device would block a read forever.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from causalpost.errors import CausalpostError

__all__ = [
    "atomic_path",
    "write_text_atomic",
    "check_input_file",
    "check_output",
    "check_output_dir",
    "parse_json",
    "read_json_file",
]

MAX_JSON_BYTES = 16 * 2**20  # a design or CID file is a few kB


def check_input_file(
    path: str | os.PathLike[str],
    what: str = "input",
    error: type[Exception] = CausalpostError,
) -> Path:
    """``path`` as a Path if it names an existing regular file.

    Raises
    ------
    CausalpostError (or ``error``)
        For a missing path, a folder, or a FIFO, socket or device (whose read
        could block forever).

    Examples
    --------
    >>> check_input_file("/no/such/file.csv", "data")
    Traceback (most recent call last):
    ...
    causalpost.errors.CausalpostError: cannot read data '/no/such/file.csv': no such file
    """
    path = Path(path)
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise error(f"cannot read {what} {str(path)!r}: no such file") from None
    except OSError as exc:
        raise error(f"cannot read {what} {str(path)!r}: {exc.strerror}") from None
    if stat.S_ISDIR(mode):
        raise error(f"{what} {str(path)!r} is a directory, not a file")
    if not stat.S_ISREG(mode):
        raise error(
            f"{what} {str(path)!r} is not a regular file (a FIFO, socket or device); "
            "copy it to a file first")
    return path


def check_output(
    path: str | os.PathLike[str],
    option: str = "--out",
    inputs: Iterable[str | os.PathLike[str] | None] = (),
) -> Path:
    """Check, before any work, that a file can be written at ``path``.

    Parameters
    ----------
    path : str or Path
        The output file.
    option : str
        How the user named it (``"--out"``, ``"--html"``), for the message.
    inputs : iterable of paths
        The run's input files: the output must not overwrite one of them.

    Returns
    -------
    Path

    Raises
    ------
    CausalpostError
        For an empty path, a folder, a non-regular file, a missing, non-folder
        or read-only parent folder, a read-only existing file, or an input file.
    """
    text = os.fspath(path)
    if not text.strip():
        raise CausalpostError(f"{option} is empty: give a file name")
    path = Path(text)
    shown = repr(text)
    if path.is_dir():
        raise CausalpostError(f"{option} {shown} is a directory; give a file name")
    if path.exists() and not path.is_file():
        raise CausalpostError(f"{option} {shown} exists and is not a regular file")
    parent = path.parent
    if not parent.exists():
        raise CausalpostError(f"{option} {shown}: directory {str(parent)!r} does not exist")
    if not parent.is_dir():
        raise CausalpostError(f"{option} {shown}: {str(parent)!r} is not a directory")
    if not _writable_dir(parent):
        raise CausalpostError(f"{option} {shown}: directory {str(parent)!r} is not writable")
    if path.exists() and not os.access(path, os.W_OK):
        raise CausalpostError(f"{option} {shown} exists and is read-only")
    for source in inputs:
        if source is not None and _same_file(path, Path(source)):
            raise CausalpostError(
                f"{option} {shown} is the input file {os.fspath(source)!r}: it would be "
                "overwritten; choose another name")
    return path


def check_output_dir(path: str | os.PathLike[str], option: str = "--out") -> Path:
    """Check, before any work, that ``path`` is (or can be made) a writable folder.

    Raises
    ------
    CausalpostError
        For an empty path, an existing non-folder, or a nearest existing
        ancestor that is not a writable folder.
    """
    text = os.fspath(path)
    if not text.strip():
        raise CausalpostError(f"{option} is empty: give a folder name")
    path = Path(text)
    if path.exists() and not path.is_dir():
        raise CausalpostError(f"{option} {text!r} exists and is not a directory")
    existing = path
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise CausalpostError(f"{option} {text!r}: {str(existing)!r} is not a directory")
    if not _writable_dir(existing):
        raise CausalpostError(f"{option} {text!r}: directory {str(existing)!r} is not writable")
    return path


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """A temporary path beside ``path``, renamed onto it when the block succeeds.

    If the block raises (an error, ``KeyboardInterrupt``, ``SystemExit`` from a
    signal handler), the temporary file is removed and ``path`` is untouched.
    The temporary name does not keep ``path``'s suffix: writers that choose a
    format by extension must be told the format.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
    >>> with atomic_path(target) as tmp:
    ...     _ = tmp.write_text("complete")
    >>> target.read_text()
    'complete'
    """
    path = Path(path)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def write_text_atomic(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically (:func:`atomic_path`); return the path.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "page.html"
    >>> write_text_atomic(target, "<p>done</p>").read_text()
    '<p>done</p>'
    """
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def read_json_file(
    path: str | os.PathLike[str], what: str, error: type[Exception] = CausalpostError
) -> Any:
    """The parsed JSON of a small regular file (UTF-8, a byte order mark allowed).

    Parameters
    ----------
    path : str or Path
    what : str
        What the file is (``"design"``, ``"CID file"``), for the message.
    error : exception type
        Raised, with one line, for every problem.

    Raises
    ------
    error
        For a missing or non-regular file, more than 16 MiB, text that is not
        UTF-8 or not JSON, nesting too deep to parse, or an integer too long
        to convert.
    """
    try:
        path = check_input_file(path, what)
    except CausalpostError as exc:
        raise error(str(exc)) from None
    if path.stat().st_size > MAX_JSON_BYTES:
        raise error(f"{what} {str(path)!r} is larger than {MAX_JSON_BYTES // 2**20} MiB")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise error(f"cannot read {what} {str(path)!r}: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise error(f"{what} {str(path)!r} is not UTF-8 text: {exc.reason}") from None
    return parse_json(text, f"{what} {str(path)!r}", error)


def parse_json(text: str, what: str, error: type[Exception] = CausalpostError) -> Any:
    """``json.loads(text)`` with every failure one line of ``error``.

    Examples
    --------
    >>> parse_json("[" * 100_000, "stdin")
    Traceback (most recent call last):
    ...
    causalpost.errors.CausalpostError: stdin is not valid JSON: nested too deeply
    """
    try:
        return json.loads(text.removeprefix("\ufeff"))
    except RecursionError:
        raise error(f"{what} is not valid JSON: nested too deeply") from None
    except ValueError as exc:  # JSONDecodeError, or an integer of thousands of digits
        raise error(f"{what} is not valid JSON: {str(exc).splitlines()[0]}") from None


def _writable_dir(folder: Path) -> bool:
    if not os.access(folder, os.W_OK | os.X_OK):
        return False
    try:  # os.access says yes to root even on read-only file systems
        fd, name = tempfile.mkstemp(dir=folder, prefix=".causalpost-check.")
    except OSError:
        return False
    os.close(fd)
    os.unlink(name)
    return True


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False

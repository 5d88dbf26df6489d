"""Write the site atomically: build beside the target, then swap it in only when complete.

A failed or interrupted build leaves the previous site in place; at most a staging
folder is left behind, and the next build removes it. Files whose bytes did not change
are hard-linked from the previous site instead of rewritten, so they keep their
modification times and a deploy that syncs by mtime uploads only the difference.
"""

from __future__ import annotations

import ctypes
import errno
import hashlib
import multiprocessing
import os
import shutil
import stat
import sys
import tempfile
import threading
from pathlib import Path
from typing import Iterable, Mapping

from generator.parallel import end_child, run_child


def replace_file(path: Path, data: bytes, sync: bool = True) -> None:
    """Write one file outside the site (the record, a fetched document, the image store) so that a
    killed process leaves the old bytes or the new ones, never half: a hidden temporary file beside it
    (which no folder walk reads, and the next write of the same file removes) renamed over it. The
    file keeps its mode; a new one is 0644. `sync=False` spares the flush to disk where a file lost to
    a power cut is found and made again (the image store checks every file's size)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for leftover in path.parent.glob(f".{path.name}.tmp-*"):
        leftover.unlink(missing_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.tmp-", delete=False) as temporary:
        temporary.write(data)
        if sync:
            temporary.flush()
            os.fsync(temporary.fileno())
    try:
        mode = path.stat().st_mode & 0o777
    except OSError:
        mode = 0o644
    os.chmod(temporary.name, mode)
    os.replace(temporary.name, path)


class OutputError(Exception):
    pass


def contained(root: Path, relative: str) -> Path:
    """The path of `relative` inside `root`, refusing anything that resolves outside it."""
    target = (root / relative).resolve()
    if not target.is_relative_to(root.resolve()) or target == root.resolve():
        raise OutputError(f"refusing to write outside the output folder: {relative!r}")
    return target


def check_target(target: Path, root: Path, sources: Iterable[Path]) -> None:
    """Never let a build replace the project or a source folder (`--output .`, `--output content`)."""
    target = target.resolve()
    if root.resolve().is_relative_to(target):
        raise OutputError(f"output folder {target} would replace the site folder; choose another --output")
    for folder in sources:
        folder = folder.resolve()
        if folder.is_relative_to(target) or target.is_relative_to(folder):
            raise OutputError(f"output folder {target} overlaps the source folder {folder}; choose another --output")


class StagedSite:
    """A new site assembled beside `target`, file by file as they are rendered (so a large build
    never holds every page in memory), then swapped in by `commit`. Leaving the `with` block
    without committing, by an error or an interrupt, discards it and keeps the previous site."""

    def __init__(self, target: Path):
        self.target = target.resolve()
        self.target.parent.mkdir(parents=True, exist_ok=True)
        _remove_leftovers(self.target)
        self.staging = Path(tempfile.mkdtemp(prefix=f"{self.target.name}.tmp-", dir=self.target.parent))
        self.written: list[str] = []
        self.committed = False
        self._staging, self._previous = str(self.staging), str(self.target)
        self._had_previous = os.path.isdir(self._previous)
        self._folders: set[str] = set()  # folders already made in staging (per process)
        self._ahead: list[str] = []  # folders a FolderMaker made before the pages were known
        self._retired: threading.Thread | None = None

    def __enter__(self) -> "StagedSite":
        return self

    def __exit__(self, *failure) -> None:
        if not self.committed:
            shutil.rmtree(self.staging, ignore_errors=True)
        if self._retired is not None:
            self._retired.join()

    def place(self, relative: str, data: bytes) -> bool:
        """Stage one file; True if it had to be written. Safe to call from forked workers."""
        path = self._staged_path(relative)
        if not self._had_previous:  # a first build: nothing to compare with
            _write_new(path, data)
            return True
        return _place(path, os.path.join(self._previous, relative), data)

    def keep(self, relative: str) -> bool:
        """Link the previous site's file into the new one unchanged; False if it cannot be (write it then).
        Only for files known to be exactly as the last build wrote them. Safe from forked workers."""
        return self.adopt(os.path.join(self._previous, relative), relative)

    def adopt(self, source: str, relative: str) -> bool:
        """Link `source`, a file known to hold exactly what `relative` would, into the new site; False if
        it cannot be. Safe from forked workers."""
        try:
            os.link(source, self._staged_path(relative))
        except OSError:
            return False
        return True

    def made_ahead(self, folders: list[str]) -> None:
        """`folders` (site-relative, "2026/05/story"), made in staging by a FolderMaker: no page makes
        them again, and `commit` removes those no page went in."""
        self._ahead = folders
        self._folders.update(os.path.join(self._staging, folder) for folder in folders)

    def _staged_path(self, relative: str) -> str:
        """Where `relative` goes in staging, its folder made. Runs once per page, so it works on
        strings: pathlib and `resolve()` cost more than the write itself."""
        path = os.path.join(self._staging, _plain_relative(relative))
        folder = os.path.dirname(path)
        if folder not in self._folders:
            _make_folder(folder)
            self._folders.add(folder)
        return path

    def add(self, relative: str, data: bytes) -> None:
        if self.place(relative, data):
            self.written.append(relative)

    def commit(self, static, made: Iterable[str] = ()) -> list[str]:
        """Add the static files (theme.StaticFile), swap the site in, and return the paths whose bytes
        changed. `made`: the paths of the pages the build made, beside which no folder is left empty."""
        for file in static:
            self.add(file.path, file.source.read_bytes())
        if self._ahead:
            holding = {os.path.dirname(path) for path in made}
            for folder in self._ahead:
                if folder not in holding:
                    _remove_empty_folders(os.path.join(self._staging, folder), self._staging)
        self._ahead, self._folders = [], set()  # 100,000 paths: the build's peak comes after this
        os.chmod(self.staging, 0o755)
        retired = _swap(self.staging, self.target)
        self.committed = True
        if retired is not None:  # removing the old site is slow; the caller's work goes on meanwhile
            self._retired = threading.Thread(target=shutil.rmtree, args=(retired,), kwargs={"ignore_errors": True})
            self._retired.start()
        return self.written


class FolderMaker:
    """A child process that makes a staged site's folders while the build process works on: the second
    core is idle while the index is built, and a new folder costs a disk about what a new file does.
    Forked when the build starts, still small: forked from a process holding 10,000 stories, the two
    copied every memory page either wrote to (0.3 to 0.9 s more CPU a build, medians of eight). Without
    a second core it is not started and makes nothing."""

    def __init__(self, workers: int):
        self._pid: int | None = None
        if workers < 2 or not hasattr(os, "fork"):
            return
        context = multiprocessing.get_context("fork")
        self._stop = context.Event()
        self._connection, theirs = context.Pipe()
        self._pid = os.fork()
        if self._pid == 0:  # pragma: no cover - runs in the child, which never returns
            self._connection.close()
            run_child(lambda: _make_folders(theirs, self._stop))
        theirs.close()

    def __enter__(self) -> "FolderMaker":
        return self

    def __exit__(self, *failure) -> None:
        self.close()

    def start(self, site: StagedSite, folders: Iterable[str]) -> None:
        """Make these site-relative folders ("2026/05/story") in `site`'s staging folder, in this order."""
        if self._pid is not None:
            self._connection.send((site.staging, list(folders)))

    def made(self) -> list[str]:
        """Stop, and name the folders made so far (for StagedSite.made_ahead)."""
        if self._pid is None:
            return []
        self._stop.set()
        try:
            return self._connection.recv()
        except EOFError:
            return []  # it failed: whatever it made is in staging, and each page makes its folder anyway
        finally:
            self.close()

    def close(self) -> None:
        if self._pid is not None:
            self._connection.close()
            end_child(self._pid, stop=True)
            self._pid = None


def _make_folders(connection, stop) -> None:
    staging, folders = connection.recv()
    made = []
    for n, folder in enumerate(folders):
        if n % 64 == 0 and stop.is_set():
            break
        try:
            _make_folder(os.path.join(staging, _plain_relative(folder)))
        except (OSError, OutputError):
            continue  # its page, if it has one, will say why
        made.append(folder)
    connection.send(made)


class PatchedSite:
    """The previous site brought up to date in place, for a rebuild into a folder that is exactly as
    the last build left it: a one-story edit then costs a dozen renames instead of a new tree of
    10,000 folders. Only files whose bytes change are written, each into a staging folder first and
    then renamed over its old copy, so no reader ever gets a half-written file.

    `commit` moves new files in before the changed pages that link them, and removes what the build
    no longer makes last, so at every instant each link resolves. An interruption leaves a working mix
    of old and new pages and no build record for it: the next build finds a folder it did not leave
    and rebuilds it whole (StagedSite)."""

    def __init__(self, target: Path):
        self.target = target.resolve()
        _remove_leftovers(self.target)
        self.staging = Path(tempfile.mkdtemp(prefix=f"{self.target.name}.tmp-", dir=self.target.parent))
        self.written: list[str] = []
        self._staging, self._previous = str(self.staging), str(self.target)
        self._folders: set[str] = set()  # folders already made in staging (per process)

    def __enter__(self) -> "PatchedSite":
        return self

    def __exit__(self, *failure) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)

    def keep(self, relative: str) -> bool:
        """The file the last build left stays as it is."""
        return True

    def adopt(self, source: str, relative: str) -> bool:
        """A patch renders what changed: it never has a stored copy to take."""
        return False

    def place(self, relative: str, data: bytes) -> bool:
        """Stage `data` for `relative` unless the site already holds those bytes; True if staged.
        Safe to call from forked workers."""
        try:
            with open(os.path.join(self._previous, _plain_relative(relative)), "rb") as existing:
                if existing.read() == data:
                    return False
        except OSError:
            pass  # a new file
        path = os.path.join(self._staging, relative)
        folder = os.path.dirname(path)
        if folder not in self._folders:
            _make_folder(folder)
            self._folders.add(folder)
        _write_new(path, data)
        return True

    def add(self, relative: str, data: bytes) -> None:
        if self.place(relative, data):
            self.written.append(relative)

    def commit(self, static, made: set[str]) -> list[str]:
        """Add the static files, move every staged file into the site (new ones first), then remove each
        file the build no longer makes (`made` and the static files are what it makes). Returns the
        paths written."""
        for file in static:
            self.add(file.path, file.source.read_bytes())
        staged = _relative_files(self.staging)
        for relative in sorted(staged, key=lambda p: (os.path.lexists(os.path.join(self._previous, p)), p)):
            destination = os.path.join(self._previous, relative)
            os.makedirs(os.path.dirname(destination), exist_ok=True)
            os.replace(os.path.join(self._staging, relative), destination)
        wanted = made | {file.path for file in static}
        for relative in _relative_files(self.target):
            if relative not in wanted:
                path = os.path.join(self._previous, relative)
                os.unlink(path)
                _remove_empty_folders(os.path.dirname(path), self._previous)
        return staged


def _relative_files(folder: Path) -> list[str]:
    found, pending = [], [str(folder)]
    cut = len(os.path.join(pending[0], ""))  # each entry's path is the folder's, a separator, and the rest
    while pending:
        for entry in os.scandir(pending.pop()):
            if entry.is_dir(follow_symlinks=False):
                pending.append(entry.path)
            else:
                found.append(entry.path[cut:].replace(os.sep, "/"))
    return sorted(found)


def _remove_empty_folders(folder: str, root: str) -> None:
    while folder != root and folder.startswith(root + os.sep):
        try:
            os.rmdir(folder)
        except OSError:
            return  # not empty
        folder = os.path.dirname(folder)


def _place(path: str, old: str, data: bytes) -> bool:
    """Write `data` at `path`, or hard-link `old` there if it holds the same bytes; True if written."""
    try:
        status = os.lstat(old)
        if stat.S_ISREG(status.st_mode) and status.st_size == len(data):
            with open(old, "rb") as existing:
                same = existing.read() == data
            if same:
                os.link(old, path)
                return False
    except OSError:
        pass  # no previous file, or a file system without hard links: write it
    _write_new(path, data)
    return True


def _write_new(path: str, data: bytes) -> None:
    """Write a file in three system calls: open() adds a buffered file object and three more (fstat,
    ioctl, lseek), for each of a site's ten thousand pages."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o666)
    try:
        view, written = memoryview(data), 0
        while written < len(data):
            written += os.write(descriptor, view[written:])
    finally:
        os.close(descriptor)


def _make_folder(folder: str) -> None:
    """os.makedirs in one system call where the parent exists, as it mostly does (a story's folder in its
    month's): makedirs asks whether the parent exists first, a tenth of the time a page's file takes."""
    try:
        os.mkdir(folder)
    except FileExistsError:
        pass
    except FileNotFoundError:
        os.makedirs(folder, exist_ok=True)


def _plain_relative(relative: str) -> str:
    """`relative` itself if it names a place inside the folder: the staging folder holds only what
    this build made (no symlinks), so a lexical check is enough there."""
    if os.path.isabs(relative) or os.path.normpath(relative) != relative or relative.split("/")[0] in (".", ".."):
        raise OutputError(f"refusing to write outside the output folder: {relative!r}")
    return relative


def folder_digest(folder: Path) -> str:
    """A digest of the path, size, mtime and inode of everything under `folder` ("" if it is missing):
    it changes when anything in the folder is written, replaced, added or removed."""
    digest = hashlib.sha256()
    pending = [str(folder)]
    try:
        while pending:
            current = pending.pop()
            for entry in sorted(os.scandir(current), key=lambda e: e.name):
                status = entry.stat(follow_symlinks=False)
                digest.update(f"{entry.path}\0{status.st_mode}:{status.st_size}:{status.st_mtime_ns}:{status.st_ino}\n".encode())
                if entry.is_dir(follow_symlinks=False):
                    pending.append(entry.path)
    except OSError:
        return ""
    return digest.hexdigest()


def _swap(staging: Path, target: Path) -> Path | None:
    """Put `staging` in place of `target`; return where the previous site now is, for removal."""
    if not target.exists():
        staging.rename(target)
        return None
    if _exchange(staging, target):  # one atomic step: no instant without a complete output/
        return staging
    retired = target.with_name(f"{target.name}.old-{os.getpid()}")
    target.rename(retired)
    staging.rename(target)
    return retired


def _exchange(first: Path, second: Path) -> bool:
    """Swap two folders atomically with Linux's renameat2(RENAME_EXCHANGE); False where unsupported."""
    rename = getattr(_LIBC, "renameat2", None)
    if rename is None:
        return False
    if rename(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(second))


_LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None
_AT_FDCWD, _RENAME_EXCHANGE = -100, 2


def _remove_leftovers(target: Path) -> None:
    for pattern in (f"{target.name}.tmp-*", f"{target.name}.old-*"):
        for leftover in target.parent.glob(pattern):
            shutil.rmtree(leftover, ignore_errors=True)


def changed_files(wanted: Mapping[str, bytes], previous: Mapping[str, bytes]) -> list[str]:
    """The paths whose bytes differ between two sites held in memory (the dev server's), or that only
    one of them has: what a reload must show."""
    gone = sorted(set(previous) - set(wanted))
    return gone + [path for path, data in wanted.items() if not (previous.get(path) is data or previous.get(path) == data)]

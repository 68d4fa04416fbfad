"""Uploaded files between 预览 (preview) and 导入 (import), under ``<workspace>/.uploads``.

They hold the raw file, personal data included, so they are kept no longer than needed and
readable by the server's user only:

- one folder per preview (``0700``, the ``.uploads`` folder too), the file in it ``0600``;
- deleted when the preview is imported, when the user logs out, and at the latest
  ``upload_preview_ttl_minutes`` (custlens.toml ``[general]``, default 60) after the upload:
  a timer per preview, and a sweep of older folders at start and on every upload (for
  previews left by a server that stopped).
"""

from __future__ import annotations

import os
import secrets
import shutil
import threading
import time
from pathlib import Path
from typing import BinaryIO

UPLOAD_DIR = ".uploads"


def uploads_root(ws_root: Path) -> Path:
    """``<workspace>/.uploads``, created private to the server's user."""
    root = Path(ws_root) / UPLOAD_DIR
    root.mkdir(mode=0o700, exist_ok=True)
    os.chmod(root, 0o700)  # also when an older version created it with the umask's mode
    return root


def new_preview(ws_root: Path) -> tuple[str, Path]:
    """A random token and a new private folder for one upload."""
    token = secrets.token_urlsafe(16)
    folder = uploads_root(ws_root) / token
    folder.mkdir(mode=0o700)
    return token, folder


def create_file(path: Path) -> BinaryIO:
    """Open a new file readable and writable by the owner only (``0600``)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    return os.fdopen(fd, "wb")


def remove(folder: Path) -> None:
    """Delete one preview folder (nothing when it is already gone)."""
    shutil.rmtree(folder, ignore_errors=True)


def expire_later(folder: Path, ttl_minutes: float) -> threading.Timer:
    """Delete ``folder`` after ``ttl_minutes`` unless it was imported (deleted) before."""
    timer = threading.Timer(max(ttl_minutes, 0) * 60, remove, args=(folder,))
    timer.daemon = True
    timer.start()
    return timer


def sweep(ws_root: Path, ttl_minutes: float) -> int:
    """Delete preview folders older than ``ttl_minutes``; returns how many."""
    root = Path(ws_root) / UPLOAD_DIR
    if not root.is_dir():
        return 0
    cutoff = time.time() - ttl_minutes * 60
    old = [f for f in root.iterdir() if f.is_dir() and f.stat().st_mtime < cutoff]
    for folder in old:
        remove(folder)
    return len(old)

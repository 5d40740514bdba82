"""A local stand-in for the Hugging Face hub and MUSE's download server, on 127.0.0.1.

It answers the calls huggingface_hub, datasets and transformers make to load a dataset, a model
and its tokenizer at a pinned revision, from repositories laid out on disk as
`root/{datasets,models}/{owner}/{name}/{revision}/<files>`, and MUSE's `en-xx.txt` files from
`root/muse/`:

- `HEAD /` (the pipeline's reachability check);
- `GET /api/{datasets,models}/{repo}[/revision/{rev}]` (repository info: sha, siblings);
- `GET /api/{datasets,models}/{repo}/tree/{rev}[/{path}]` (listing, `recursive` honoured);
- `POST /api/{datasets,models}/{repo}/paths-info/{rev}` (info on given paths);
- `HEAD/GET [/datasets]/{repo}/resolve/{rev}/{path}` (files, with the hub's X-Repo-Commit, ETag
  and Content-Length headers and byte ranges);
- `GET /muse/en-{lang}.txt`.

Failures answer as the hub does, with the `X-Error-Code` header huggingface_hub turns into its
typed errors: an unknown repository `RepoNotFound` (401, as the hub answers for a repository
that does not exist or is private), a revision it does not hold `RevisionNotFound` (404), a
missing file `EntryNotFound` (404). Only the pinned commits exist: a branch name such as `main`
is an unknown revision, so an unpinned load fails loudly. MUSE's missing languages are a plain
404. Every request is recorded, for the rehearsal's summary.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

REPO = r"(?P<repo>[^/]+/[^/]+)"
API_INFO = re.compile(rf"^/api/(?P<kind>datasets|models)/{REPO}(?:/revision/(?P<rev>[^/]+))?$")
API_TREE = re.compile(
    rf"^/api/(?P<kind>datasets|models)/{REPO}/tree/(?P<rev>[^/]+)(?:/(?P<path>.*))?$"
)
API_PATHS = re.compile(rf"^/api/(?P<kind>datasets|models)/{REPO}/paths-info/(?P<rev>[^/]+)$")
RESOLVE = re.compile(rf"^/(?:(?P<kind>datasets)/)?{REPO}/resolve/(?P<rev>[^/]+)/(?P<path>.+)$")
MUSE = re.compile(r"^/muse/(?P<name>en-[a-z]+\.txt)$")
LFS_SUFFIXES = (".parquet", ".safetensors", ".bin", ".model")


class HubError(Exception):
    """An answer the hub gives instead of content: status, X-Error-Code, message."""

    def __init__(self, status: int, code: str | None, message: str) -> None:
        super().__init__(message)
        self.status, self.code = status, code


@dataclass
class RequestLog:
    """Every request the stand-in answered: (method, path, status)."""

    entries: list[tuple[str, str, int]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, method: str, path: str, status: int) -> None:
        with self.lock:
            self.entries.append((method, path, status))


class Repositories:
    """The repositories on disk, and the hub's view of them."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def revision_dir(self, kind: str, repo: str, revision: str) -> Path:
        """The files of `repo` at `revision`, or the hub's error for an unknown one."""
        repo_dir = self.root / kind / repo
        if not repo_dir.is_dir():
            raise HubError(401, "RepoNotFound", f"Repository Not Found: {repo}")
        revision = unquote(revision)
        if not (repo_dir / revision).is_dir():
            raise HubError(404, "RevisionNotFound", f"Invalid rev id: {revision}")
        return repo_dir / revision

    def file(self, kind: str, repo: str, revision: str, path: str) -> Path:
        target = self.revision_dir(kind, repo, revision) / unquote(path)
        if not target.is_file():
            raise HubError(404, "EntryNotFound", f"Entry not found: {path}")
        return target


def _oid(path: Path) -> str:
    """The git blob id a hub listing gives a file."""
    data = path.read_bytes()
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _is_lfs(path: Path) -> bool:
    return path.name.endswith(LFS_SUFFIXES)


def entry(base: Path, path: Path) -> dict[str, Any]:
    """A tree / paths-info entry as the hub lists it (LFS files with their sha256)."""
    relative = path.relative_to(base).as_posix()
    if path.is_dir():
        return {
            "type": "directory",
            "oid": hashlib.sha1(relative.encode()).hexdigest(),
            "path": relative,
        }
    item: dict[str, Any] = {
        "type": "file",
        "oid": _oid(path),
        "size": path.stat().st_size,
        "path": relative,
    }
    if _is_lfs(path):
        item["lfs"] = {"oid": _sha256(path), "size": path.stat().st_size, "pointerSize": 134}
    return item


def _walk(directory: Path, recursive: bool) -> Iterator[Path]:
    for child in sorted(directory.iterdir()):
        yield child
        if recursive and child.is_dir():
            yield from _walk(child, recursive)


def repo_info(kind: str, repo: str, revision: str, files: Path) -> dict[str, Any]:
    siblings = [
        {"rfilename": p.relative_to(files).as_posix()} for p in _walk(files, True) if p.is_file()
    ]
    info: dict[str, Any] = {
        "_id": hashlib.sha1(repo.encode()).hexdigest()[:24],
        "id": repo,
        "author": repo.split("/")[0],
        "sha": revision,
        "private": False,
        "gated": False,
        "disabled": False,
        "downloads": 0,
        "likes": 0,
        "tags": [],
        "siblings": siblings,
        "lastModified": "2024-01-01T00:00:00.000Z",
        "createdAt": "2024-01-01T00:00:00.000Z",
    }
    if kind == "models":
        info.update(modelId=repo, library_name="transformers", pipeline_tag="fill-mask")
    return info


class HubHandler(BaseHTTPRequestHandler):
    """One request to the stand-in (the server carries `repos` and `log`)."""

    server: StandInServer
    protocol_version = "HTTP/1.1"

    def do_HEAD(self) -> None:
        self._answer("HEAD")

    def do_GET(self) -> None:
        self._answer("GET")

    def do_POST(self) -> None:
        self._answer("POST")

    def log_message(self, format: str, *args: Any) -> None:
        pass  # recorded in the server's RequestLog instead

    def _answer(self, method: str) -> None:
        url = urlsplit(self.path)
        try:
            status = self._route(method, url.path, parse_qs(url.query))
        except HubError as err:
            status = err.status
            self._send(err.status, json.dumps({"error": str(err)}).encode(), method, err.code)
        self.server.log.add(method, self.path, status)

    def _route(self, method: str, path: str, query: dict[str, list[str]]) -> int:
        repos = self.server.repos
        if path in ("", "/"):
            return self._send(200, b"stand-in hub\n", method)
        if match := MUSE.match(path):
            target = repos.root / "muse" / match["name"]
            if not target.is_file():  # MUSE's server: a plain 404, no hub error code
                return self._send(404, b"Not Found\n", method)
            return self._send(200, target.read_bytes(), method, content_type="text/plain")
        if match := API_INFO.match(path):
            kind, repo = match["kind"], match["repo"]
            revision = match["rev"] or "main"  # no branches here: an unknown revision
            files = repos.revision_dir(kind, repo, revision)
            return self._json(repo_info(kind, repo, unquote(revision), files), method)
        if match := API_TREE.match(path):
            return self._tree(match, query, method)
        if (match := API_PATHS.match(path)) and method == "POST":
            return self._paths_info(match, method)
        if match := RESOLVE.match(path):
            return self._resolve(match, method)
        raise HubError(404, None, f"no such endpoint on the stand-in hub: {path}")

    def _tree(self, match: re.Match[str], query: dict[str, list[str]], method: str) -> int:
        base = self.server.repos.revision_dir(match["kind"], match["repo"], match["rev"])
        directory = base / unquote(match["path"] or "")
        if not directory.is_dir():
            raise HubError(404, "EntryNotFound", f"{match['path']} does not exist")
        recursive = query.get("recursive", ["False"])[0].lower() == "true"
        return self._json([entry(base, p) for p in _walk(directory, recursive)], method)

    def _paths_info(self, match: re.Match[str], method: str) -> int:
        base = self.server.repos.revision_dir(match["kind"], match["repo"], match["rev"])
        length = int(self.headers.get("Content-Length", 0))
        form = parse_qs(self.rfile.read(length).decode())
        found = [base / p for p in form.get("paths", []) if (base / p).exists()]
        return self._json([entry(base, p) for p in found], method)

    def _resolve(self, match: re.Match[str], method: str) -> int:
        kind = "datasets" if match["kind"] else "models"
        target = self.server.repos.file(kind, match["repo"], match["rev"], match["path"])
        data = target.read_bytes()
        etag = _sha256(target) if _is_lfs(target) else _oid(target)
        headers = {"X-Repo-Commit": unquote(match["rev"]), "ETag": f'"{etag}"'}
        ranged = re.match(r"bytes=(\d+)-(\d*)$", self.headers.get("Range", ""))
        if ranged and method == "GET":
            start = int(ranged[1])
            end = min(int(ranged[2]) if ranged[2] else len(data) - 1, len(data) - 1)
            headers["Content-Range"] = f"bytes {start}-{end}/{len(data)}"
            return self._send(206, data[start : end + 1], method, headers=headers)
        return self._send(200, data, method, headers=headers)

    def _json(self, payload: Any, method: str) -> int:
        return self._send(
            200, json.dumps(payload).encode(), method, content_type="application/json"
        )

    def _send(
        self,
        status: int,
        body: bytes,
        method: str,
        error_code: str | None = None,
        content_type: str = "application/octet-stream",
        headers: dict[str, str] | None = None,
    ) -> int:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Last-Modified", formatdate(0, usegmt=True))
        if error_code:
            self.send_header("X-Error-Code", error_code)
            self.send_header("X-Error-Message", json.loads(body)["error"])
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if method != "HEAD":
            self.wfile.write(body)
        return status


class StandInServer(ThreadingHTTPServer):
    """The stand-in hub on 127.0.0.1 at a free port, serving the repositories under `root`."""

    daemon_threads = True

    def __init__(self, root: Path) -> None:
        super().__init__(("127.0.0.1", 0), HubHandler)
        self.repos = Repositories(root)
        self.log = RequestLog()
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def __enter__(self) -> StandInServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()
        self._thread.join()

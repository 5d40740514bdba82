"""The hub check before any download: real HTTP against local stand-ins for the ways a GPU
server's network fails (a server that hangs up, one that never answers), a proxy-only network,
and the offline switches of huggingface_hub and datasets."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest
from huggingface_hub import close_session, constants

from xstilts.data import hub
from xstilts.errors import XstiltsError


@pytest.fixture(autouse=True)
def fresh_session(monkeypatch) -> Iterator[None]:
    """huggingface_hub keeps one HTTP client per process, and a client reads the proxy
    variables when it is made: start and end every test with a new one."""
    for name in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "HTTP_PROXY", "HTTPS_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    monkeypatch.setattr(hub, "CONNECT_TIMEOUT_S", 1.0)
    close_session()
    yield
    close_session()


def serve_forever(server: socket.socket, handle) -> None:
    def loop() -> None:
        while True:
            try:
                connection, _ = server.accept()
            except OSError:  # closed at the end of the test
                return
            handle(connection)

    threading.Thread(target=loop, daemon=True).start()


@pytest.fixture
def listening() -> Iterator[socket.socket]:
    server = socket.create_server(("127.0.0.1", 0))
    yield server
    server.close()


def endpoint(server: socket.socket) -> str:
    return f"http://127.0.0.1:{server.getsockname()[1]}"


def check_fails_in_one_line(monkeypatch, url: str) -> str:
    monkeypatch.setattr(constants, "ENDPOINT", url)
    started = time.monotonic()
    with pytest.raises(XstiltsError) as caught:
        hub.require_hub("dataset facebook/xnli (fr)", datasets=True)
    assert time.monotonic() - started < 5 * hub.CONNECT_TIMEOUT_S
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("cannot reach the Hugging Face hub (127.0.0.1) to fetch dataset")
    assert message.endswith(hub.OFFLINE_HINT)
    return message


def test_a_server_that_hangs_up_fails_in_one_line(monkeypatch, listening) -> None:
    serve_forever(listening, lambda connection: connection.close())
    check_fails_in_one_line(monkeypatch, endpoint(listening))


def test_a_server_that_never_answers_fails_within_the_timeout(monkeypatch, listening) -> None:
    """The connection is accepted (by the kernel's backlog) and then nothing comes back: the
    libraries would wait a minute per retry."""
    check_fails_in_one_line(monkeypatch, endpoint(listening))


def test_nothing_listening_fails_in_one_line(monkeypatch, listening) -> None:
    url = endpoint(listening)
    listening.close()
    assert "refused" in check_fails_in_one_line(monkeypatch, url).lower()


class AnswerAll(BaseHTTPRequestHandler):
    """A forward proxy's first answer: any request line, absolute URL included, gets 200."""

    seen: ClassVar[list[str]] = []

    def do_HEAD(self) -> None:
        AnswerAll.seen.append(self.path)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


def test_the_check_goes_through_the_proxy_the_downloads_use(monkeypatch) -> None:
    """On a proxy-only network the hub's name does not even resolve: the check must ask the
    proxy, as huggingface_hub's downloads do, not open its own connection."""
    proxy = ThreadingHTTPServer(("127.0.0.1", 0), AnswerAll)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    try:
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.server_address[1]}")
        monkeypatch.setattr(constants, "ENDPOINT", "http://hub.invalid")
        hub.require_hub("model FacebookAI/xlm-roberta-large at revision abc")
        assert AnswerAll.seen == ["http://hub.invalid/"]
    finally:
        proxy.shutdown()
        proxy.server_close()


def test_offline_switches_skip_the_check(monkeypatch, listening) -> None:
    """HF_HUB_OFFLINE covers everything; datasets' own HF_DATASETS_OFFLINE covers datasets
    only, so a model snapshot still needs the hub."""
    url = endpoint(listening)
    listening.close()
    monkeypatch.setattr(constants, "ENDPOINT", url)
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    hub.require_hub("dataset facebook/xnli (fr)", datasets=True)
    with pytest.raises(XstiltsError, match="cannot reach the Hugging Face hub"):
        hub.require_hub("model FacebookAI/xlm-roberta-large at revision abc")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    hub.require_hub("model FacebookAI/xlm-roberta-large at revision abc")


def test_a_connection_lost_during_a_download_is_one_line(monkeypatch, tmp_path) -> None:
    """The check passed, then the transfer breaks (huggingface_hub raises its HTTP client's
    transport errors, which are not OSErrors)."""
    import datasets
    import transformers
    from huggingface_hub.errors import HTTPError

    from xstilts.tasks import get_task

    def lost(*args, **kwargs):
        raise HTTPError("Server disconnected without sending a response.")

    monkeypatch.setattr(hub, "require_hub", lambda what, datasets=False: None)
    monkeypatch.setattr(datasets, "load_dataset", lost)
    monkeypatch.setattr(transformers.AutoTokenizer, "from_pretrained", lost)
    source = get_task("xnli").splits["test"].hub_parts[0].for_lang("fr")
    with pytest.raises(XstiltsError) as caught:
        list(hub.hub_rows(source))
    assert str(caught.value) == (
        f"cannot load dataset {source.describe()}: Server disconnected without sending a "
        f"response.; {hub.OFFLINE_HINT}"
    )
    with pytest.raises(XstiltsError, match=r"^cannot load model x/y@abc: Server disconnected"):
        hub.snapshot_model("x/y", "abc", str(tmp_path))

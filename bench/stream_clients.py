"""The streams of bench/streams.py: Server-Sent Events clients held open on raw sockets, each checking that it
receives exactly its agency's notifications; and how the connections spread over the workers."""

from __future__ import annotations

import json
import queue
import selectors
import socket
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import quote

from bench.stream_load import STREAM


@dataclass
class Stream:
    agency: str
    sock: socket.socket
    opened: float
    status: int | None = None
    content_type: str = ""
    chunked: bool = False
    raw: bytes = b""
    body: bytes = b""
    retry_at: float | None = None
    events: list[tuple[str, str]] = field(default_factory=list)  # (id, change) of each conflict event
    keepalives: int = 0
    ended: str | None = None  # why it stopped: "eof", "last chunk", an error

    def feed(self, data: bytes) -> None:
        self.raw += data
        if self.status is None:
            end = self.raw.find(b"\r\n\r\n")
            if end < 0:
                return
            head, self.raw = self.raw[:end].decode("latin-1"), self.raw[end + 4:]
            lines = head.split("\r\n")
            self.status = int(lines[0].split()[1])
            headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
            self.content_type = headers.get("content-type", "")
            self.chunked = "chunked" in headers.get("transfer-encoding", "").lower()
        if self.chunked:
            while True:
                eol = self.raw.find(b"\r\n")
                if eol < 0:
                    break
                size = int(self.raw[:eol].split(b";")[0] or b"0", 16)
                if len(self.raw) < eol + 2 + size + 2:
                    break
                self.body += self.raw[eol + 2:eol + 2 + size]
                self.raw = self.raw[eol + 2 + size + 2:]
                if size == 0:
                    self.ended = "last chunk"
                    break
        else:
            self.body, self.raw = self.body + self.raw, b""
        while b"\n\n" in self.body:
            frame, self.body = self.body.split(b"\n\n", 1)
            self._frame(frame.decode())

    def _frame(self, frame: str) -> None:
        if frame.startswith("retry:"):
            self.retry_at = self.retry_at or time.perf_counter()
        elif frame.startswith(":"):
            self.keepalives += 1
        elif frame.startswith("id:"):
            lines = dict(line.split(": ", 1) for line in frame.splitlines())
            data = json.loads(lines["data"])
            self.events.append((lines["id"], data.get("change", "")))

    @property
    def healthy(self) -> bool:
        return (self.ended is None and self.status == 200 and self.content_type.startswith("text/event-stream")
                and self.retry_at is not None)


class Streams:
    """All open streams, read by one selector thread (200 reader threads would cost the client 2 cores' worth)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.selector = selectors.DefaultSelector()
        self.streams: list[Stream] = []
        self.new: queue.SimpleQueue[Stream] = queue.SimpleQueue()  # registered by the reader thread only
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="stream-reader", daemon=True)
        self.thread.start()

    def open(self, agency: str, token: str, cursor: str | None) -> Stream:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        path = STREAM + (f"?cursor={quote(cursor)}" if cursor else "")
        stream = Stream(agency, sock, time.perf_counter())
        sock.sendall((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\nAuthorization: Bearer {token}\r\n"
                      "Accept: text/event-stream\r\nCache-Control: no-cache\r\n\r\n").encode())
        sock.setblocking(False)
        self.streams.append(stream)
        self.new.put(stream)
        return stream

    def _loop(self) -> None:
        while not self.done.is_set():
            while not self.new.empty():
                stream = self.new.get()
                self.selector.register(stream.sock, selectors.EVENT_READ, stream)
            if not self.selector.get_map():
                time.sleep(0.02)
                continue
            for key, _ in self.selector.select(0.05):
                stream: Stream = key.data
                try:
                    data = stream.sock.recv(65536)
                except BlockingIOError:
                    continue
                except OSError as error:
                    self._drop(stream, f"{type(error).__name__}: {error}")
                    continue
                if not data:
                    self._drop(stream, stream.ended or "eof")
                    continue
                try:
                    stream.feed(data)
                except Exception as error:  # noqa: BLE001 - a frame we cannot read is a failed stream
                    self._drop(stream, f"unreadable: {type(error).__name__}: {error}")
                    continue
                if stream.ended:
                    self._drop(stream, stream.ended)

    def _drop(self, stream: Stream, why: str) -> None:
        stream.ended = why
        self.selector.unregister(stream.sock)
        stream.sock.close()

    def close(self) -> None:
        self.done.set()
        self.thread.join(5)
        for stream in self.streams:
            try:
                stream.sock.close()
            except OSError:
                pass
        self.selector.close()

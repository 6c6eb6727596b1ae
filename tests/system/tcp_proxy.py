"""A TCP proxy to PostgreSQL that a test can cut, blackhole and restore, to stage a database outage for one app only."""

from __future__ import annotations

import contextlib
import socket
import threading


class Proxy:
    """Forwards 127.0.0.1:<port> to a target.

    `cut()` drops every connection and refuses new ones (a stopped server); `blackhole()` keeps accepting but
    never answers, on new connections and on those already open (a partitioned network, a frozen server);
    `start()` forwards again, dropping whatever the blackhole held.
    """

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.port = 0
        self._listener: socket.socket | None = None
        self._sockets: list[socket.socket] = []
        self._holding = False
        self._lock = threading.Lock()

    def start(self) -> None:
        with self._lock:
            held, self._holding = self._holding, False
        if held:
            self._drop_connections()
        self._listen()

    def cut(self) -> None:
        with self._lock:
            listener, self._listener = self._listener, None
            self._holding = False
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() blocked on it; close alone may not
            listener.close()
        self._drop_connections()

    def blackhole(self) -> None:
        with self._lock:
            self._holding = True
        self._listen()

    def _listen(self) -> None:
        with self._lock:
            if self._listener is not None:
                return
            listener = socket.socket()
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind(("127.0.0.1", self.port))
            listener.listen(64)
            self.port = listener.getsockname()[1]
            self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _drop_connections(self) -> None:
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            with self._lock:
                if self._listener is not listener:  # cut while this connection was being accepted
                    client.close()
                    return
                if self._holding:
                    self._sockets.append(client)  # accepted, never answered
                    continue
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self._lock:
                if self._listener is not listener or self._holding:
                    client.close()
                    upstream.close()
                    continue
                self._sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                if not self._holding:  # in the blackhole, what either side sends is swallowed
                    sink.sendall(data)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                sink.shutdown(socket.SHUT_WR)

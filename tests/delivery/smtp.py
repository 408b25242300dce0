"""Real mail servers on a local socket, for the delivery tests: one that speaks enough SMTP to take a
message, one that accepts the connection and never says a word, and a port where nobody listens."""

from __future__ import annotations

import contextlib
import socket
import threading
from dataclasses import dataclass, field


@dataclass
class Received:
    sender: str
    recipients: list[str]
    data: str


class _Server:
    def __init__(self) -> None:
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.connections: list[socket.socket] = []
        self.accepted = threading.Event()
        self._closed = False
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                conn, _address = self.listener.accept()
            except OSError:
                return
            self.connections.append(conn)
            self.accepted.set()
            threading.Thread(target=self.serve, args=(conn,), daemon=True).start()

    def serve(self, conn: socket.socket) -> None:
        raise NotImplementedError

    def close(self) -> None:
        self._closed = True
        self.listener.close()
        for conn in self.connections:
            with contextlib.suppress(OSError):
                conn.close()


class SilentServer(_Server):
    """Accepts every connection and never answers: the greeting never comes."""

    def serve(self, conn: socket.socket) -> None:
        while not self._closed:
            try:
                if not conn.recv(1024):
                    return
            except OSError:
                return


@dataclass
class _Session:
    sender: str = ""
    recipients: list[str] = field(default_factory=list)


class SmtpServer(_Server):
    """Enough of RFC 5321 for Django's SMTP backend: EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT."""

    def __init__(self) -> None:
        self.messages: list[Received] = []
        super().__init__()

    def serve(self, conn: socket.socket) -> None:
        stream = conn.makefile("rb")

        def say(line: str) -> None:
            conn.sendall(line.encode() + b"\r\n")

        try:
            say("220 halte.test ESMTP")
            session = _Session()
            while True:
                raw = stream.readline()
                if not raw:
                    return
                command = raw.decode(errors="replace").strip()
                verb = command[:4].upper()
                if verb in ("EHLO", "HELO"):
                    say("250 halte.test")
                elif verb == "MAIL":
                    session = _Session(sender=command.split(":", 1)[1].strip(" <>"))
                    say("250 OK")
                elif verb == "RCPT":
                    session.recipients.append(command.split(":", 1)[1].strip(" <>"))
                    say("250 OK")
                elif verb == "DATA":
                    say("354 End data with <CR><LF>.<CR><LF>")
                    lines = []
                    while (line := stream.readline()) not in (b".\r\n", b""):
                        lines.append(line.decode(errors="replace"))
                    self.messages.append(Received(session.sender, session.recipients, "".join(lines)))
                    say("250 OK queued")
                elif verb == "QUIT":
                    say("221 Bye")
                    return
                else:  # RSET, NOOP and anything else
                    say("250 OK")
        except OSError:
            return
        finally:
            stream.close()
            conn.close()


def free_port() -> int:
    """A port where nobody listens: connecting to it is refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]

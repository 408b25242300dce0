"""A small ClamAV daemon for the tests: a real socket server speaking clamd's protocol.

It implements what Halte uses (``zINSTREAM``/``nINSTREAM``: length-prefixed chunks, a zero length to
end, one reply) and ``PING``, and "detects" one signature, the EICAR test string, as clamd's default
database does (``Eicar-Signature``). ``size_limit`` reproduces clamd's StreamMaxLength refusal, and
``reply`` forces an answer (a daemon that says nonsense). Every stream it received is kept.
"""

from __future__ import annotations

import os
import socketserver
import struct
import tempfile
import threading
from pathlib import Path

EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


class _Handler(socketserver.BaseRequestHandler):
    server: _TCP | _Unix

    def handle(self) -> None:
        command = self._read_command()
        if command in (b"zPING", b"nPING", b"PING"):
            self._reply(b"PONG")
            return
        if command not in (b"zINSTREAM", b"nINSTREAM"):
            self._reply(b"UNKNOWN COMMAND")
            return
        received = bytearray()
        while True:
            header = self._read_exactly(4)
            if header is None:
                return
            (length,) = struct.unpack(">I", header)
            if length == 0:
                break
            chunk = self._read_exactly(length)
            if chunk is None:
                return
            received += chunk
            if self.server.daemon.size_limit is not None and len(received) > self.server.daemon.size_limit:
                self._reply(b"INSTREAM size limit exceeded. ERROR")
                return
        self.server.daemon.streams.append(bytes(received))
        if self.server.daemon.reply is not None:
            self._reply(self.server.daemon.reply)
        elif EICAR in received:
            self._reply(b"stream: Eicar-Signature FOUND")
        else:
            self._reply(b"stream: OK")

    def _read_command(self) -> bytes:
        command = bytearray()
        while len(command) < 64:
            byte = self.request.recv(1)
            if not byte or byte in (b"\0", b"\n"):
                break
            command += byte
        return bytes(command)

    def _read_exactly(self, count: int) -> bytes | None:
        data = bytearray()
        while len(data) < count:
            chunk = self.request.recv(count - len(data))
            if not chunk:
                return None
            data += chunk
        return bytes(data)

    def _reply(self, text: bytes) -> None:
        self.request.sendall(text + b"\0")


class _TCP(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    daemon: FakeClamd


class _Unix(socketserver.ThreadingUnixStreamServer):
    daemon_threads = True
    daemon: FakeClamd


class FakeClamd:
    """Start with ``FakeClamd.tcp()`` or ``FakeClamd.unix()``; ``url`` is what HALTE_CLAMD_URL takes."""

    def __init__(self, server: _TCP | _Unix, url: str) -> None:
        self.server = server
        self.url = url
        self.streams: list[bytes] = []
        self.size_limit: int | None = None
        self.reply: bytes | None = None
        server.daemon = self
        self._thread = threading.Thread(target=server.serve_forever, daemon=True)
        self._thread.start()

    @classmethod
    def tcp(cls) -> FakeClamd:
        server = _TCP(("127.0.0.1", 0), _Handler)
        host, port = server.server_address[:2]
        return cls(server, f"tcp://{host}:{port}")

    @classmethod
    def unix(cls) -> FakeClamd:
        directory = tempfile.mkdtemp(prefix="clamd-")
        path = str(Path(directory) / "clamd.ctl")
        server = _Unix(path, _Handler)
        os.chmod(path, 0o600)
        return cls(server, f"unix://{path}")

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

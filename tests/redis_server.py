"""Start a throwaway real ``redis-server`` on a free loopback port (for tests and benchmarks)."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import tempfile
import time


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    """``with RedisServer() as srv: srv.url`` - killed on exit, its folder removed.

    ``persistence``: None keeps nothing (no RDB, no AOF: a restart empties it); ``"everysec"`` or
    ``"always"`` turns the append-only file on with that fsync policy. ``extra``: more
    ``--directive value`` arguments. :meth:`restart` kills it (SIGKILL, like a crash) and starts it
    again on the same port and folder.
    """

    def __init__(
        self,
        password: str | None = None,
        *,
        persistence: str | None = None,
        extra: list[str] | None = None,
    ) -> None:
        self.binary = shutil.which("redis-server")
        if self.binary is None:
            raise FileNotFoundError(
                "redis-server not found on PATH; install it (apt-get install redis-server)"
            )
        if persistence not in (None, "everysec", "always"):
            raise ValueError(
                f"persistence must be None, 'everysec' or 'always', got {persistence!r}"
            )
        self.password = password
        self.persistence = persistence
        self.extra = list(extra or [])
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.dir = tempfile.mkdtemp(prefix="dupdetect-redis-")

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        args = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        if self.persistence:
            args += ["--appendonly", "yes", "--appendfsync", self.persistence]
        else:
            args += ["--appendonly", "no"]
        args += ["--dir", self.dir, *self.extra]
        if self.password:
            args += ["--requirepass", self.password]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"redis-server exited: {self.proc.stderr.read().decode()}")
            if self._answers():
                return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("redis-server did not start within 10 s")

    def _answers(self) -> bool:
        """True once the server answers PING (a loading AOF answers -LOADING, not +PONG)."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                if self.password:
                    s.sendall(f"AUTH {self.password}\r\n".encode())
                    s.recv(64)
                s.sendall(b"PING\r\n")
                return s.recv(64).startswith(b"+PONG")
        except OSError:
            return False

    def kill(self) -> None:
        """SIGKILL the server (a crash: nothing flushed beyond what its fsync policy did)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def restart(self) -> RedisServer:
        """Crash the server and start it again on the same port and folder."""
        self.kill()
        return self.start()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

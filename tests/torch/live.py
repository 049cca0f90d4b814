# Shared by the torch tests: the skip rule and an ephemeral redis-server with reco.so loaded.
#
# The tests run with Debian's /usr/bin/python3 (python3-torch, python3-numpy, python3-redis).
# Where one of them is missing the test exits with SKIP (77), which ctest reports as skipped
# (SKIP_RETURN_CODE), after saying what is missing; it never passes without comparing. The
# server listens on a unix socket in a fresh temp dir only (port 0), saves nothing, and is
# stopped when the test ends, whatever the outcome.
import os
import shutil
import subprocess
import sys
import tempfile
import time

SKIP = 77
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "loaders", "torch"))


def require_packages():
    missing = []
    for mod, pkg in (("torch", "python3-torch"), ("numpy", "python3-numpy"), ("redis", "python3-redis")):
        try:
            __import__(mod)
        except ImportError:
            missing.append(pkg)
    if missing:
        print(f"SKIPPED: {sys.executable} cannot import {', '.join(missing)} "
              f"(apt-get install {' '.join(missing)}, or run tests/deps.sh)")
        sys.exit(SKIP)


class Server:
    def __init__(self, module: str):
        import redis
        self.dir = tempfile.mkdtemp(prefix="reco-torch-test-")
        self.sock = os.path.join(self.dir, "redis.sock")
        exe = os.environ.get("REDIS_SERVER") or shutil.which("redis-server")
        if not exe:
            raise RuntimeError("redis-server is not on PATH")
        self.log = open(os.path.join(self.dir, "server.log"), "wb")
        self.proc = subprocess.Popen(
            [exe, "--port", "0", "--unixsocket", self.sock, "--dir", self.dir, "--save", "",
             "--appendonly", "no", "--loadmodule", os.path.abspath(module)],
            stdout=self.log, stderr=subprocess.STDOUT)
        self.client = redis.Redis(unix_socket_path=self.sock)
        deadline = time.time() + 20
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError("redis-server exited: " + self.log_text())
            try:
                if os.path.exists(self.sock) and self.client.ping():
                    break
            except redis.ConnectionError:
                pass
            if time.time() > deadline:
                raise RuntimeError("redis-server did not start: " + self.log_text())
            time.sleep(0.05)

    def log_text(self) -> str:
        with open(os.path.join(self.dir, "server.log"), "rb") as f:
            return f.read().decode("utf-8", "replace")[-2000:]

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def score_requests(client, catalog, version, requests):
    """requests: [(user key, [item ids], {context})] -> flat list of scores, in order, through
    RECO.SCORE (pipelined)."""
    pipe = client.pipeline(transaction=False)
    for user, items, ctx in requests:
        args = ["RECO.SCORE", catalog, user, len(items), *items, "MODEL", version]
        if ctx:
            args += ["CONTEXT", len(ctx)]
            for k, v in ctx.items():
                args += [k, v]
        pipe.execute_command(*args)
    out = []
    for reply in pipe.execute():
        for v in reply:
            if v is None:
                raise AssertionError("RECO.SCORE gave nil for an item the test put")
            out.append(float(v))
    return out

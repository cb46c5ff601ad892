"""How a function's code is started on this machine: the isolation around one warm execution
environment (runtime.py keeps the pool).

Student code is untrusted, and the server often runs as root (in CI, in the Docker image), so a
worker gets, in every mode:
- resource limits set before exec: address space (MemorySize plus the interpreter's own share),
  CPU seconds, file size, open files, and processes (per user: each worker has a user id of its own);
- an unprivileged user id (when the server runs as root) and a private working directory;
- an environment of its own (the sandbox's region, the role's temporary keys, AWS_ENDPOINT_URL),
  nothing of the server's.

With bubblewrap (Debian's `bubblewrap`), when it works here, the worker also runs in new mount,
PID, network, IPC and UTS namespaces: only the interpreter, the virtualenv, the code (read-only at
/var/task) and a private /tmp exist; the network has only loopback, and the sandbox's endpoint is
reached through a Unix socket that a thread of the server forwards to its TCP port. The server's
files, database and Redis cannot be named or reached.

PLAYGROUND_LAMBDA_EXECUTION decides:
  auto        (default) bubblewrap when it works; otherwise the limits and user id alone, except
              in strict mode (a classroom), where functions then do not run
  bubblewrap  bubblewrap or nothing
  processes   the limits and user id alone, even in strict mode (network and files not hidden)
  off         function code never runs (Invoke answers a Runtime.Unavailable function error)
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import functools
import os
import resource
import shutil
import socket
import subprocess
import sys
import sysconfig
import threading
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings

from playground.env import env_choice

EXECUTION = env_choice("PLAYGROUND_LAMBDA_EXECUTION", "auto", ("auto", "bubblewrap", "processes", "off"))
BOOTSTRAP = Path(__file__).with_name("bootstrap.py")
# What the interpreter, boto3 and the runtime take of the address space before the handler runs.
BASE_ADDRESS_SPACE_MB = 768
CPU_SECONDS = 900 + 60
FILE_SIZE = 512 * 1024 * 1024  # /tmp is 512 MB on AWS by default
PROCESSES = 32
OPEN_FILES = 256
FORWARD_PORT = 9001
FIRST_UID = 2_000_000
SANDBOX_LOG = "/tmp/.runtime.log"  # noqa: S108 - inside the sandbox: its own private /tmp


def _uid_for(slot: int) -> int:
    """A user id of the worker's own, so that its process limit is its own (RLIMIT_NPROC counts a
    user's processes); server processes on one machine take separate ranges by pid."""
    return FIRST_UID + (os.getpid() % 10_000) * 100 + slot % 100


@functools.cache
def bubblewrap_works() -> bool:
    path = shutil.which("bwrap")
    if path is None:
        return False
    try:
        result = subprocess.run(
            [path, *_namespace_flags(), "--ro-bind", "/", "/", "true"], capture_output=True, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0


def mode() -> str:
    """The isolation functions run under here: "bubblewrap", "processes" or "off"."""
    if EXECUTION in ("off", "processes"):
        return EXECUTION
    if bubblewrap_works():
        return "bubblewrap"
    if EXECUTION == "bubblewrap" or settings.AUTH_MODE == "strict":
        return "off"
    return "processes"


def _namespace_flags() -> list[str]:
    flags = ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try"]
    if os.getuid() != 0:
        flags.append("--unshare-user")
    return [*flags, "--die-with-parent", "--new-session"]


def _limits(memory_mb: int) -> Callable[[], None]:
    def apply() -> None:
        address_space = (memory_mb + BASE_ADDRESS_SPACE_MB) * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
        resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))
        resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_SIZE, FILE_SIZE))
        resource.setrlimit(resource.RLIMIT_NOFILE, (OPEN_FILES, OPEN_FILES))
        resource.setrlimit(resource.RLIMIT_NPROC, (PROCESSES, PROCESSES))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply


def _readable_roots() -> list[str]:
    """The interpreter's installation and the virtualenv (boto3), mounted read-only in the sandbox."""
    roots = {sys.base_prefix, sys.prefix}
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        roots.add(sysconfig.get_paths()[key])
    kept: list[str] = []
    for root in sorted(roots, key=len):
        if os.path.isdir(root) and not any(root == k or root.startswith(k + "/") for k in kept):
            kept.append(root)
    return kept


class Forwarder:
    """A Unix socket in the worker's directory whose connections go on to the endpoint's TCP port:
    the sandbox's only way out of its network namespace."""

    def __init__(self, path: Path, endpoint: str, uid: int) -> None:
        parts = urlsplit(endpoint)
        self.target = (parts.hostname or "127.0.0.1", parts.port or (443 if parts.scheme == "https" else 80))
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(str(path))
        os.chmod(path, 0o600)
        if os.getuid() == 0:
            os.chown(path, uid, uid)
        self.listener.listen(64)
        self.closed = False
        threading.Thread(target=self._serve, daemon=True, name="lambda-forward").start()

    def _serve(self) -> None:
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=10)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            threading.Thread(target=_pump, args=(client, upstream), daemon=True).start()
            threading.Thread(target=_pump, args=(upstream, client), daemon=True).start()

    def close(self) -> None:
        self.closed = True
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()


def _pump(source: socket.socket, target: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            target.sendall(data)
    except OSError:
        pass
    finally:
        for sock in (source, target):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class Started:
    def __init__(self, process: subprocess.Popen[bytes], answers: int, forwarder: Forwarder | None) -> None:
        self.process = process
        self.answers = answers  # the fd the runtime answers on
        self.forwarder = forwarder


def start(
    *,
    slot: int,
    workdir: Path,
    code_dir: Path,
    handler: str,
    memory_mb: int,
    environment: dict[str, str],
    endpoint: str,
    isolation: str,
) -> Started:
    """Start one execution environment. `workdir` (private, made by the caller) holds the code in
    `code_dir` and the worker's sockets and log; the caller removes it when the worker ends."""
    uid = _uid_for(slot) if os.getuid() == 0 else os.getuid()
    if os.getuid() == 0:
        for path in [workdir, *workdir.rglob("*")]:
            os.chown(path, uid, uid, follow_symlinks=False)
    os.chmod(workdir, 0o700)
    env = dict(environment)
    read_end, write_end = os.pipe()
    forwarder = None
    python = sys.executable
    if isolation == "bubblewrap":
        forwarder = Forwarder(workdir / "endpoint.sock", endpoint, uid)
        env["AWS_ENDPOINT_URL"] = f"http://127.0.0.1:{FORWARD_PORT}"
        config = {
            "uid": uid if os.getuid() == 0 else 0, "gid": uid if os.getuid() == 0 else 0,
            "task_root": "/var/task", "handler": handler, "log_path": SANDBOX_LOG,
            "forward_port": FORWARD_PORT, "forward_socket": "/var/runtime/endpoint.sock",
        }  # fmt: skip
        command = ["bwrap", *_namespace_flags()]
        if os.getuid() == 0:
            command += ["--cap-add", "CAP_SETUID,CAP_SETGID"]  # dropped by the runtime before user code
        command += ["--ro-bind", "/usr", "/usr"]
        for link in ("lib", "lib64", "bin", "sbin"):
            if os.path.islink(f"/{link}"):
                command += ["--symlink", os.readlink(f"/{link}"), f"/{link}"]
            elif os.path.isdir(f"/{link}"):
                command += ["--ro-bind", f"/{link}", f"/{link}"]
        # The private /tmp first: a checkout or interpreter under /tmp is then bound on top of it
        # (mounted after, it would hide them).
        command += ["--perms", "1777", "--tmpfs", "/tmp"]  # noqa: S108 - a private tmpfs
        for root in _readable_roots():
            parents = Path(root).parents
            for parent in reversed(list(parents)[:-1]):
                command += ["--perms", "0755", "--dir", str(parent)]
            command += ["--ro-bind", root, root]
        for name in ("resolv.conf", "hosts", "ssl", "ca-certificates", "localtime"):
            if os.path.exists(f"/etc/{name}"):
                command += ["--ro-bind", f"/etc/{name}", f"/etc/{name}"]
        command += [
            "--perms", "0755", "--dir", "/var",
            "--ro-bind", str(code_dir), "/var/task",
            "--perms", "0755", "--dir", "/var/runtime",
            "--ro-bind", str(BOOTSTRAP), "/var/runtime/bootstrap.py",
            "--bind", str(workdir / "endpoint.sock"), "/var/runtime/endpoint.sock",
            "--proc", "/proc", "--dev", "/dev",
            "--chdir", "/var/task",
        ]  # fmt: skip
        command += [python, "-I", "-B", "/var/runtime/bootstrap.py", _json(config)]
        env["HOME"] = "/tmp"  # noqa: S108 - the sandbox's own private /tmp
        preexec = _limits(memory_mb)
    else:
        env["AWS_ENDPOINT_URL"] = endpoint
        config = {"task_root": str(code_dir), "handler": handler, "log_path": str(workdir / ".runtime.log")}
        command = [python, "-I", "-B", str(BOOTSTRAP), _json(config)]
        env["HOME"] = str(workdir)
        limits = _limits(memory_mb)

        def preexec() -> None:
            limits()
            if os.getuid() == 0:
                os.setgroups([])
                os.setgid(uid)
                os.setuid(uid)

    env["LAMBDA_TASK_ROOT"] = str(config["task_root"])
    # What the runtime (or bubblewrap) says before the handler's output is redirected: shown when
    # the environment ends unexpectedly.
    errors = (workdir / "runtime.err").open("wb")
    process = _SPAWNER.submit(
        subprocess.Popen,
        command,
        stdin=subprocess.PIPE,
        stdout=write_end,
        stderr=errors,
        env=env,
        cwd=str(workdir),
        preexec_fn=preexec,
        start_new_session=True,
        close_fds=True,
    ).result()
    os.close(write_end)
    errors.close()
    return Started(process, read_end, forwarder)


# Environments are started from one long-lived thread: bubblewrap's --die-with-parent (the
# kernel's parent-death signal) fires when the *thread* that started it ends, and the server's
# request threads come and go.
_SPAWNER = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="lambda-spawner")


def _json(value: object) -> str:
    import json

    return json.dumps(value)

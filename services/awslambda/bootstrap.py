"""The runtime inside a function's sandbox: a standalone script (no Django, no Playground import)
that the server starts with the sandboxed interpreter, one per warm execution environment.

It drops to the function's unprivileged user when started as root (inside bubblewrap), forwards
127.0.0.1:<port> to the server's endpoint through a Unix socket when the sandbox has no network
of its own, imports the handler once (the cold start's Init Duration), then serves invocations:
one JSON line per request on stdin, one JSON line per answer on the file descriptor it was given.
The handler's output (fd 1 and 2, and the logging module) goes to a log file that is read back
and emptied after each invocation.
"""

import contextlib
import importlib
import json
import os
import resource
import socket
import sys
import threading
import time
import traceback


def _drop_privileges(uid: int, gid: int) -> None:
    if os.getuid() == 0 and uid:
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)


def _pump(source: socket.socket, target: socket.socket) -> None:
    try:
        while True:
            data = source.recv(65536)
            if not data:
                break
            target.sendall(data)
    except OSError:
        pass
    finally:
        for sock in (source, target):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


def _forward(port: int, unix_path: str) -> None:
    """127.0.0.1:port inside the sandbox's own network -> the server, through the Unix socket."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(64)

    def serve() -> None:
        while True:
            client, _ = listener.accept()
            upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                upstream.connect(unix_path)
            except OSError:
                client.close()
                continue
            threading.Thread(target=_pump, args=(client, upstream), daemon=True).start()
            threading.Thread(target=_pump, args=(upstream, client), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()


class Context:
    def __init__(self, request: dict, deadline: float) -> None:
        self.function_name = request["function_name"]
        self.function_version = request.get("function_version", "$LATEST")
        self.invoked_function_arn = request["invoked_function_arn"]
        self.memory_limit_in_mb = str(request["memory"])
        self.aws_request_id = request["request_id"]
        self.log_group_name = request["log_group_name"]
        self.log_stream_name = request["log_stream_name"]
        self.identity = None
        self.client_context = None
        self._deadline = deadline

    def get_remaining_time_in_millis(self) -> int:
        return max(int((self._deadline - time.monotonic()) * 1000), 0)


def _error(kind: str, message: str, trace: list | None = None) -> dict:
    return {"errorMessage": message, "errorType": kind, "requestId": "", "stackTrace": trace or []}


def _exception_payload(problem: BaseException) -> dict:
    frames = traceback.extract_tb(problem.__traceback__)[1:]  # the runtime's own frame is not the user's
    return _error(type(problem).__name__, str(problem), [line for line in traceback.format_list(frames)])


def _load(handler: str) -> tuple:
    """(the handler function, None) or (None, the error payload AWS's Python runtime gives)."""
    module_name, _, function_name = handler.rpartition(".")
    try:
        module = importlib.import_module(module_name.replace("/", "."))
    except SyntaxError as problem:
        return None, _error("Runtime.UserCodeSyntaxError", f"Syntax error in module '{module_name}': {problem}")
    except ImportError as problem:
        return None, _error("Runtime.ImportModuleError", f"Unable to import module '{module_name}': {problem}")
    except BaseException as problem:
        return None, _exception_payload(problem)
    function = getattr(module, function_name, None)
    if function is None:
        return None, _error("Runtime.HandlerNotFound", f"Handler '{function_name}' missing on module '{module_name}'")
    return function, None


def main() -> None:
    config = json.loads(sys.argv[1])
    answers = os.fdopen(os.dup(1), "w", buffering=1)
    _drop_privileges(config.get("uid", 0), config.get("gid", 0))
    os.chdir(config["task_root"])
    if config.get("forward_socket"):
        _forward(config["forward_port"], config["forward_socket"])
    log_path = config["log_path"]
    log_fd = os.open(log_path, os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o600)
    os.dup2(log_fd, 1)
    os.dup2(log_fd, 2)
    sys.stdout = os.fdopen(1, "w", buffering=1, closefd=False)
    sys.stderr = os.fdopen(2, "w", buffering=1, closefd=False)
    requests = os.fdopen(0, "r")
    sys.stdin = open(os.devnull)  # noqa: SIM115 - the handler's stdin for the process's life
    sys.path.insert(0, config["task_root"])
    import logging

    logging.basicConfig(format="[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(message)s", datefmt="%Y-%m-%dT%H:%M:%S")
    logging.Formatter.converter = time.gmtime
    started = time.monotonic()
    function, init_error = _load(config["handler"])
    init_ms = (time.monotonic() - started) * 1000
    first = True
    for line in requests:
        request = json.loads(line)
        begun = time.monotonic()
        deadline = begun + request["timeout"]
        answer: dict = {"ok": False}
        if init_error is not None:
            answer["error"] = dict(init_error, requestId=request["request_id"])
            print(f"[ERROR] {init_error['errorType']}: {init_error['errorMessage']}", file=sys.stderr)
        else:
            try:
                result = function(json.loads(request["event"]), Context(request, deadline))
                try:
                    answer = {"ok": True, "result": json.dumps(result)}
                except (TypeError, ValueError) as problem:
                    answer["error"] = _error("Runtime.MarshalError", f"Unable to marshal response: {problem}")
            except MemoryError:
                message = f"RequestId: {request['request_id']} Error: Runtime exited with error: signal: killed"
                answer["error"] = _error("Runtime.OutOfMemory", message)
                print(message, file=sys.stderr)
                answer["fatal"] = True
            except BaseException as problem:
                payload = _exception_payload(problem)
                payload["requestId"] = request["request_id"]
                answer["error"] = payload
                trace = "".join(payload["stackTrace"])
                heading = f"[ERROR] {payload['errorType']}: {payload['errorMessage']}"
                print(f"{heading}\nTraceback (most recent call last):\n{trace}", end="", file=sys.stderr)
        sys.stdout.flush()
        sys.stderr.flush()
        answer["duration_ms"] = (time.monotonic() - begun) * 1000
        answer["init_ms"] = init_ms if first else None
        answer["max_memory_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        size = os.lseek(log_fd, 0, os.SEEK_END)
        os.lseek(log_fd, 0, os.SEEK_SET)
        answer["log"] = os.read(log_fd, min(size, 1 << 20)).decode("utf-8", "replace") if size else ""
        os.ftruncate(log_fd, 0)
        os.lseek(log_fd, 0, os.SEEK_SET)
        first = False
        answers.write(json.dumps(answer) + "\n")
        if init_error is not None or answer.get("fatal"):
            break


if __name__ == "__main__":
    main()

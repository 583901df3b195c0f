"""``manage.py serve`` (``make serve``): the production stack, nginx in front of gunicorn (README "Production").

gunicorn's sync workers serve one connection each; facing clients directly, a few slow ones (headers or a body sent a
byte at a time) hold every worker and the server answers nobody. gunicorn's documentation prescribes a buffering
proxy in front, and this command runs one:

* **nginx** on ``BIND`` (the public address, default ``127.0.0.1:8000``), from the template ``deploy/nginx.conf``
  rendered into the runtime directory (``--run-dir``, default ``data/run/``): it reads each request whole, within
  its timeouts, before handing it on, and takes each answer whole before sending it out at the client's pace.
* **gunicorn** with ``gunicorn.conf.py`` on a unix socket in the runtime directory, started first; nginx starts once
  the socket accepts connections.

Both run in the foreground, as children of this process, which:

* passes **SIGHUP** to gunicorn (new workers with the code and settings of now; requests in flight finish);
* on **SIGTERM** or **SIGINT** stops nginx gracefully (no new connections, requests in flight finish, at most
  ``worker_shutdown_timeout``), then gunicorn gracefully (``graceful_timeout``), and exits 0;
* exits (status 1) when either dies, stopping the other;
* passes nginx's error log on to stderr without query strings (they may hold patients' names or ids).

The children have their own process group: a Ctrl-C in the terminal reaches this process only, which stops them in
order. Run as root, nginx's workers run as ``www-data`` (or ``nobody``), and the runtime directory belongs to its
group. ``NUM_PROXIES`` counts nginx (default 1 here: the client address is the one nginx appends to
``X-Forwarded-For``); with ``BEHIND_TLS_PROXY`` nginx passes the TLS proxy's ``X-Forwarded-Proto`` on, otherwise it
sets it to ``http``.
"""

from __future__ import annotations

import contextlib
import ctypes
import grp
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from gunicorn.config import KNOWN_SETTINGS

from config.serving.gunicorn_worker import largest_body_limit

ROOT = Path(__file__).resolve().parents[4]
TEMPLATE = ROOT / "deploy" / "nginx.conf"
TEMP_DIRS = ("client_body_temp", "proxy_temp", "fastcgi_temp", "uwsgi_temp", "scgi_temp")
#: A unix socket's path is at most 107 bytes (sun_path).
MAX_SOCKET_PATH = 107
#: Query strings in nginx's error log lines (``request: "GET /p?q HTTP/1.1"``, ``upstream: "http://…/p?q"``).
QUERY = re.compile(r"\?[^\"\s]*")
PROXY_HEADERS = """\
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto {proto};
            proxy_set_header X-Forwarded-Protocol "";
            proxy_set_header X-Forwarded-Ssl "";"""


gunicorn_settings = {setting.name for setting in KNOWN_SETTINGS}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    try:
        return int(value) if value else default
    except ValueError:
        raise CommandError(f"{name} must be a whole number, not {value!r}") from None


def listen_address(bind: str) -> str:
    """nginx's ``listen`` for ``BIND`` (``host:port``, ``[v6]:port``, ``port`` or ``unix:/path``)."""
    if bind.startswith("unix:") or re.fullmatch(r"(\[[0-9a-fA-F:.]+\]|[\w.-]+):\d+|\d+", bind):
        return bind
    raise CommandError(f"BIND must be host:port, [ipv6]:port, port or unix:/path, not {bind!r}")


def nginx_user() -> tuple[str, int, int] | None:
    """As root: the unprivileged user nginx's workers run as (name, uid, gid); otherwise None (nginx's own user)."""
    if os.geteuid() != 0:
        return None
    for name in (os.environ.get("NGINX_USER", ""), "www-data", "nobody"):
        if not name:
            continue
        with contextlib.suppress(KeyError):
            entry = pwd.getpwnam(name)
            return name, entry.pw_uid, entry.pw_gid
    raise CommandError("Running as root, but neither www-data nor nobody exists for nginx's workers: set NGINX_USER")


def render(run_dir: Path, socket_path: Path, bind: str, user: tuple[str, int, int] | None) -> str:
    gunicorn_timeout = env_int("GUNICORN_TIMEOUT", 60)
    behind_tls_proxy = os.environ.get("BEHIND_TLS_PROXY", "").lower() in ("1", "true", "yes", "on")
    proto = "$http_x_forwarded_proto" if behind_tls_proxy else "$scheme"
    user_line = "# not root: nginx's workers run as this user"
    if user:
        user_line = f"user {user[0]} {grp.getgrgid(user[2]).gr_name};"
    values = {
        "USER": user_line,
        "RUN_DIR": str(run_dir),
        "SOCKET": str(socket_path),
        "LISTEN": listen_address(bind),
        "CLIENT_HEADER_TIMEOUT": str(env_int("NGINX_CLIENT_HEADER_TIMEOUT", 10)),
        "CLIENT_BODY_TIMEOUT": str(env_int("NGINX_CLIENT_BODY_TIMEOUT", 10)),
        "SEND_TIMEOUT": str(env_int("NGINX_SEND_TIMEOUT", 30)),
        "PROXY_TIMEOUT": str(gunicorn_timeout + 5),
        "MAX_BODY_BYTES": str(largest_body_limit()),
        "PROXY_HEADERS": PROXY_HEADERS.format(proto=proto),
    }
    text = TEMPLATE.read_text()
    for name, value in values.items():
        text = text.replace(f"@{name}@", value)
    if leftover := re.search(r"@[A-Z_]+@", text):
        raise CommandError(f"{TEMPLATE} has a placeholder this command does not fill: {leftover.group()}")
    return text


def prepare_run_dir(run_dir: Path, user: tuple[str, int, int] | None) -> None:
    """The runtime directory: private to this user (and, as root, to nginx's workers' group)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    if user:
        for parent in run_dir.parents:  # nginx's workers reach the socket and their temporary files through these
            mode = parent.stat()
            if not (mode.st_mode & 0o001 or (mode.st_gid == user[2] and mode.st_mode & 0o010)):
                raise CommandError(
                    f"nginx's workers (user {user[0]}) cannot reach {run_dir}: {parent} is not searchable by them "
                    "(chmod o+x it, or choose another --run-dir)"
                )
        os.chown(run_dir, 0, user[2])
        run_dir.chmod(0o750)
    else:
        run_dir.chmod(0o700)
    for name in TEMP_DIRS:
        path = run_dir / name
        path.mkdir(exist_ok=True)
        if user:
            os.chown(path, user[1], user[2])
        path.chmod(0o700)


def accepts(socket_path: Path) -> bool:
    with socket.socket(socket.AF_UNIX) as probe:
        probe.settimeout(1)
        try:
            probe.connect(str(socket_path))
            return True
        except OSError:
            return False


def die_with_parent() -> None:
    """In a child, before it runs: SIGTERM when this process dies, however it dies (Linux's PR_SET_PDEATHSIG)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1: PR_SET_PDEATHSIG


def pass_on_without_queries(stream: IO[bytes], out: IO[str]) -> None:
    for raw in iter(stream.readline, b""):
        out.write(QUERY.sub("", raw.decode("utf-8", "replace")))
        out.flush()


class Command(BaseCommand):
    help = "Serve in production: nginx on BIND in front of gunicorn (gunicorn.conf.py) on a unix socket."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--bind", default=os.environ.get("BIND", "127.0.0.1:8000"), help="nginx's address")
        parser.add_argument(
            "--run-dir",
            default=os.environ.get("SERVE_RUN_DIR", str(Path(settings.BASE_DIR) / "data" / "run")),
            help="runtime directory: nginx's configuration, pid and temporary files, gunicorn's socket and pid",
        )
        parser.add_argument("--nginx", default=os.environ.get("NGINX", "nginx"), help="the nginx executable")

    def handle(self, *args: Any, **options: Any) -> None:
        nginx = shutil.which(options["nginx"]) or shutil.which(options["nginx"], path="/usr/sbin:/usr/local/sbin")
        if not nginx:
            raise CommandError("nginx is required in front of gunicorn (README 'Production'): apt-get install nginx")
        proxies = env_int("NUM_PROXIES", 1)
        if proxies < 1:
            raise CommandError("NUM_PROXIES counts nginx: at least 1 (more when other proxies stand in front of it)")
        run_dir = Path(options["run_dir"]).resolve()
        socket_path = run_dir / "gunicorn.sock"
        if len(str(socket_path).encode()) > MAX_SOCKET_PATH:
            raise CommandError(f"--run-dir is too long for a unix socket path ({socket_path}): choose a shorter one")
        user = nginx_user()
        prepare_run_dir(run_dir, user)
        config = run_dir / "nginx.conf"
        config.write_text(render(run_dir, socket_path, options["bind"], user))
        nginx_command = [nginx, "-p", f"{run_dir}/", "-c", str(config), "-e", "stderr"]
        tested = subprocess.run([*nginx_command, "-t", "-q"], capture_output=True, text=True)
        if tested.returncode != 0:
            raise CommandError(f"nginx refuses {config}:\n{QUERY.sub('', tested.stderr).strip()}")
        with contextlib.suppress(FileNotFoundError):
            socket_path.unlink()

        self.stopping = threading.Event()
        self.reload = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: self.stopping.set())
        signal.signal(signal.SIGHUP, lambda *_: self.reload.set())

        env = {**os.environ, "NUM_PROXIES": str(proxies), "DJANGO_SETTINGS_MODULE": "config.settings"}
        gunicorn_command = [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py")]
        gunicorn_command += ["--bind", f"unix:{socket_path}", "--pid", str(run_dir / "gunicorn.pid")]
        if "control_socket" in gunicorn_settings:  # gunicorn 25+: its control socket beside the pid, not in ~/.gunicorn
            gunicorn_command += ["--control-socket", str(run_dir / "gunicorn.ctl")]
        self.gunicorn = subprocess.Popen(
            gunicorn_command, cwd=ROOT, env=env, start_new_session=True, preexec_fn=die_with_parent
        )
        self.nginx: subprocess.Popen[bytes] | None = None
        try:
            if not self.wait_for_socket(socket_path):
                return
            self.nginx = subprocess.Popen(
                [*nginx_command, "-g", "daemon off;"],
                cwd=run_dir,
                stderr=subprocess.PIPE,
                start_new_session=True,
                preexec_fn=die_with_parent,
            )
            assert self.nginx.stderr is not None
            threading.Thread(target=pass_on_without_queries, args=(self.nginx.stderr, sys.stderr), daemon=True).start()
            self.stdout.write(f"Serving on {options['bind']} (nginx) in front of gunicorn on unix:{socket_path}")
            self.stdout.flush()
            self.supervise()
        finally:
            self.shut_down()
            with contextlib.suppress(FileNotFoundError):
                socket_path.unlink()

    def wait_for_socket(self, socket_path: Path) -> bool:
        deadline = time.monotonic() + 120
        while not accepts(socket_path):
            if self.gunicorn.poll() is not None:
                raise CommandError(f"gunicorn exited with status {self.gunicorn.returncode} before serving")
            if self.stopping.is_set():
                return False
            if time.monotonic() > deadline:
                raise CommandError("gunicorn did not accept connections on its socket within 120 s")
            time.sleep(0.1)
        return True

    def supervise(self) -> None:
        assert self.nginx is not None
        while not self.stopping.wait(0.2):
            if self.reload.is_set():
                self.reload.clear()
                self.gunicorn.send_signal(signal.SIGHUP)
            for name, process in (("gunicorn", self.gunicorn), ("nginx", self.nginx)):
                if process.poll() is not None:
                    raise CommandError(f"{name} exited with status {process.returncode}; stopping")

    def shut_down(self) -> None:
        """nginx first (it stops taking requests and finishes those in flight, which need gunicorn), then gunicorn."""
        for process, graceful, patience in ((self.nginx, signal.SIGQUIT, 25), (self.gunicorn, signal.SIGTERM, 40)):
            if process is None or process.poll() is not None:
                continue
            process.send_signal(graceful)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=patience)
        for process in (self.nginx, self.gunicorn):  # whatever is left of either group (a worker of a killed master)
            if process is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()

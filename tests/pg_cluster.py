"""A throwaway PostgreSQL cluster for the tests and the store benchmark.

initdb + pg_ctl into a temporary folder, listening on a free port of 127.0.0.1 only, trust
authentication for a superuser called ``voiceshop``. PostgreSQL refuses to run as root, so as root
the cluster belongs to the ``postgres`` user (the Debian package makes it) or else ``nobody``.

    cluster = start()             # ClusterUnavailable when there are no PostgreSQL binaries
    url = cluster.new_database()  # an empty database of its own, as a postgresql:// URL
    cluster.stop()                # and the folder is gone
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from itertools import count
from pathlib import Path

import psycopg

SUPERUSER = "voiceshop"
SEARCHED = ("$VOICESHOP_PG_BIN", "/usr/local/bin", "/usr/lib/postgresql/*/bin (newest first)", "$PATH")
# Tests kill clients, never the server: durability settings only slow the suite down.
FAST = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}


class ClusterUnavailable(Exception):
    """No PostgreSQL server binaries on this machine."""


def _version(bindir: str) -> int:
    name = Path(bindir).parent.name
    return int(name) if name.isdigit() else 0


def find_bindir(candidates: list[str | None] | None = None) -> Path | None:
    """The first folder holding initdb, pg_ctl and postgres (of ``candidates``, or the usual places)."""
    if candidates is None:
        candidates = [os.environ.get("VOICESHOP_PG_BIN"), "/usr/local/bin"]
        candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version, reverse=True)
        on_path = shutil.which("pg_ctl")
        candidates.append(str(Path(on_path).parent) if on_path else None)
    for folder in candidates:
        if folder and all(os.access(Path(folder) / tool, os.X_OK) for tool in ("initdb", "pg_ctl", "postgres")):
            return Path(folder)
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Cluster:
    def __init__(self, bindir: Path, root: Path, run_as: list[str], port: int) -> None:
        self.bindir, self.root, self.run_as, self.port = bindir, root, run_as, port
        self.data = root / "data"
        self._names = count(1)

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{dbname}"

    def new_database(self, prefix: str = "t") -> str:
        name = f"{prefix}{os.getpid()}_{next(self._names)}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')  # a made-up name, not user input
        return self.url(name)

    def pg_ctl(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self.run_as, str(self.bindir / "pg_ctl"), "-D", str(self.data), *args],
            capture_output=True,
            text=True,
            timeout=120,
        )

    def restart(self) -> None:
        """Stop the server (its sessions cut off, as by a reboot or an upgrade) and start it again."""
        done = self.pg_ctl("restart", "-m", "fast", "-w", "-t", "60", "-l", str(self.root / "server.log"))
        if done.returncode != 0:
            raise RuntimeError(f"pg_ctl restart failed: {done.stderr.strip() or done.stdout.strip()}")

    def stop(self) -> None:
        self.pg_ctl("stop", "-m", "immediate", "-w")
        shutil.rmtree(self.root, ignore_errors=True)


def start(settings: dict[str, str] | None = None, search: list[str | None] | None = None) -> Cluster:
    """A running cluster; ``settings`` go into postgresql.conf (e.g. FAST for tests)."""
    bindir = find_bindir(search)
    if bindir is None:
        raise ClusterUnavailable(
            f"no PostgreSQL server binaries (initdb, pg_ctl) in {', '.join(SEARCHED)}; "
            "install the Debian package postgresql (scripts/setup.sh does) or set VOICESHOP_PG_BIN"
        )
    root_user = os.geteuid() == 0
    # as root the server runs as another user, who must reach the folder: /tmp is open to everyone, $TMPDIR may not be
    root = Path(tempfile.mkdtemp(prefix="voiceshop-pg-", dir="/tmp" if root_user and Path("/tmp").is_dir() else None))
    run_as: list[str] = []
    if root_user:  # initdb and postgres refuse to run as root
        user = "postgres" if _user_exists("postgres") else "nobody"
        entry = pwd.getpwnam(user)
        os.chown(root, entry.pw_uid, entry.pw_gid)
        runuser = shutil.which("runuser") or shutil.which("setpriv")
        if runuser is None:
            raise ClusterUnavailable("running as root and neither runuser nor setpriv is installed (util-linux)")
        if runuser.endswith("runuser"):
            run_as = [runuser, "-u", user, "--"]
        else:
            run_as = [runuser, f"--reuid={entry.pw_uid}", f"--regid={entry.pw_gid}", "--clear-groups", "--"]
    cluster = Cluster(bindir, root, run_as, 0)
    done = subprocess.run(
        [*run_as, str(bindir / "initdb"), "-D", str(cluster.data), "-U", SUPERUSER, "--auth=trust", "-E", "UTF8",
         "--locale=C", "--no-sync"],
        capture_output=True, text=True, timeout=120, cwd=root,
    )  # fmt: skip
    if done.returncode != 0:
        shutil.rmtree(root, ignore_errors=True)
        raise RuntimeError(f"initdb failed: {done.stderr.strip() or done.stdout.strip()}")
    base = {"listen_addresses": "'127.0.0.1'", "unix_socket_directories": f"'{root}'", "max_connections": "200"}
    extra = {k: (v if v.replace(".", "").isalnum() else f"'{v}'") for k, v in (settings or {}).items()}
    for attempt in range(5):
        cluster.port = _free_port()
        conf = {**base, "port": str(cluster.port), **extra}
        with (cluster.data / "postgresql.auto.conf").open("a") as f:
            f.write("".join(f"{k} = {v}\n" for k, v in conf.items()))
        started = cluster.pg_ctl("start", "-w", "-t", "60", "-l", str(root / "server.log"))
        if started.returncode == 0:
            return cluster
        if attempt == 4:
            log = (root / "server.log").read_text(errors="replace")[-2000:]
            shutil.rmtree(root, ignore_errors=True)
            raise RuntimeError(f"pg_ctl start failed: {started.stderr.strip()}\n{log}")
    raise AssertionError("unreachable")


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True

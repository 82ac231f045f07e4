#!/usr/bin/env python3
"""A throwaway PostgreSQL 15 server for the tests.

Starts Debian's PostgreSQL 15 (/usr/lib/postgresql/15/bin, package
postgresql-15, which scripts/setup installs) from a new cluster in a
temporary directory, on a free port of 127.0.0.1 with trust
authentication, and removes it all when stopped. initdb refuses root, so
under root the server runs as the `postgres` user. Nothing else on the
machine is touched: Debian's own cluster (port 5432) may run or not.

As a module: `with PgServer() as pg: pg.url` (the `postgres` database),
`pg.create_database(name)`.

As a program it runs a command with `RETRAIN_TEST_PG_URL` naming the
server and stops the server afterwards, e.g. for the C++ store tests:

    pg_server.py -- build/tests/retrain-actors-test -s '^job_store$'

If PostgreSQL is missing it fails (exit code 2) saying what to install,
never skipping quietly.
"""

import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time

PG_BIN = os.environ.get("RETRAIN_PG_BIN", "/usr/lib/postgresql/15/bin")


class PgMissing(RuntimeError):
    pass


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _durability():
    """Tests need no durability across a power cut, so the server skips
    fsync unless RETRAIN_PG_FSYNC=on (for benchmarks against SQLite, which
    syncs every commit)."""
    if os.environ.get("RETRAIN_PG_FSYNC") == "on":
        return "-c fsync=on"
    return "-c fsync=off -c full_page_writes=off"


class PgServer:
    """One PostgreSQL server in a temporary directory."""

    def __init__(self):
        self.dir = None
        self.port = None
        self.url = None
        self._user = None

    def _run(self, *args, check=True):
        cmd = list(args)
        if self._user is not None:
            cmd = ["runuser", "-u", self._user, "--"] + cmd
        return subprocess.run(cmd, check=check, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)

    def halt(self):
        """Stops the server and keeps its files, as a crash of the database
        machine would; `resume` starts it again on the same port."""
        self._run(os.path.join(PG_BIN, "pg_ctl"), "-D",
                  os.path.join(self.dir, "data"), "-m", "immediate", "-w",
                  "stop")

    def resume(self):
        """Starts the server that `halt` stopped, on the same port."""
        opts = ("-p %d -k %s -c listen_addresses=127.0.0.1 "
                "-c max_connections=200 %s" % (self.port, self.dir, _durability()))
        self._run(os.path.join(PG_BIN, "pg_ctl"), "-D",
                  os.path.join(self.dir, "data"), "-w", "-t", "60", "-l",
                  os.path.join(self.dir, "log"), "-o", opts, "start")

    def start(self):
        initdb = os.path.join(PG_BIN, "initdb")
        if not os.access(initdb, os.X_OK):
            raise PgMissing(
                "PostgreSQL 15 is missing: no " + initdb + " (scripts/setup "
                "installs postgresql-15; RETRAIN_PG_BIN names another bin dir)")
        self.dir = tempfile.mkdtemp(prefix="retrain-pg-")
        if os.geteuid() == 0:
            # initdb refuses root.
            self._user = "postgres"
            pw = pwd.getpwnam(self._user)
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        data = os.path.join(self.dir, "data")
        try:
            self._run(initdb, "-D", data, "-U", "postgres", "-A", "trust",
                      "-E", "UTF8", "--no-locale", "--no-sync")
        except subprocess.CalledProcessError as e:
            raise RuntimeError("initdb failed:\n" + e.stdout)
        # A port that is free now may be taken before the server binds it:
        # try a few.
        last = ""
        for _ in range(5):
            self.port = _free_port()
            opts = ("-p %d -k %s -c listen_addresses=127.0.0.1 "
                    "-c max_connections=200 %s" % (self.port, self.dir, _durability()))
            r = self._run(os.path.join(PG_BIN, "pg_ctl"), "-D", data, "-w",
                          "-t", "60", "-l", os.path.join(self.dir, "log"),
                          "-o", opts, "start", check=False)
            if r.returncode == 0:
                self.url = "postgresql://postgres@127.0.0.1:%d/postgres" % (
                    self.port)
                return self
            last = r.stdout + self.log()
        raise RuntimeError("PostgreSQL did not start:\n" + last)

    def log(self):
        try:
            with open(os.path.join(self.dir, "log")) as f:
                return f.read()
        except OSError:
            return ""

    def psql(self, sql, db="postgres"):
        """Runs `sql` with psql and returns its unaligned output."""
        r = subprocess.run(
            [os.path.join(PG_BIN, "psql"), "-X", "-q", "-A", "-t", "-v",
             "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", str(self.port),
             "-U", "postgres", "-d", db, "-c", sql],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if r.returncode != 0:
            raise RuntimeError("psql %r failed: %s" % (sql, r.stdout))
        return r.stdout

    def create_database(self, name):
        """Creates database `name` and returns its URL."""
        self.psql("CREATE DATABASE " + name)
        return "postgresql://postgres@127.0.0.1:%d/%s" % (self.port, name)

    def stop(self):
        if self.dir is None:
            return
        data = os.path.join(self.dir, "data")
        if self.url is not None:
            self._run(os.path.join(PG_BIN, "pg_ctl"), "-D", data, "-m",
                      "immediate", "-w", "stop", check=False)
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir = None

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc):
        self.stop()


def redacted(url):
    """`url` as retrain logs it: without the password and parameters."""
    scheme, rest = url.split("://", 1)
    rest = rest.split("?", 1)[0]
    if "@" in rest:
        user, host = rest.rsplit("@", 1)
        rest = user.split(":", 1)[0] + "@" + host
    return "postgresql://" + rest


def create_database(admin_url, name):
    """Creates database `name` on the server of `admin_url` (e.g. the
    RETRAIN_TEST_PG_URL a test got) and returns its URL."""
    r = subprocess.run([os.path.join(PG_BIN, "psql"), "-X", "-q", "-v",
                        "ON_ERROR_STOP=1", "-d", admin_url, "-c",
                        "CREATE DATABASE " + name],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True)
    if r.returncode != 0:
        raise RuntimeError("cannot create database %s: %s" % (name, r.stdout))
    return admin_url[:admin_url.rfind("/") + 1] + name


def main(argv):
    if "--" not in argv:
        print("usage: pg_server.py -- COMMAND [ARG...]", file=sys.stderr)
        return 2
    cmd = argv[argv.index("--") + 1:]
    try:
        with PgServer() as pg:
            env = dict(os.environ, RETRAIN_TEST_PG_URL=pg.url)
            print("pg_server: PostgreSQL at " + pg.url, flush=True)
            started = time.monotonic()
            rc = subprocess.call(cmd, env=env)
            print("pg_server: %s exited %d after %.1f s" % (
                cmd[0], rc, time.monotonic() - started), flush=True)
            return rc
    except PgMissing as e:
        print("pg_server: " + str(e), file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

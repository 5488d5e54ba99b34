"""Serving the app with uvicorn, on a socket bound here first so a busy port is a clear error."""

from __future__ import annotations

import ipaddress
import socket

import uvicorn
from fastapi import FastAPI

from voiceshop.errors import VoiceshopError


class ServeError(VoiceshopError):
    """An operator's mistake, said on the command line; never met by a shopper (code "failed")."""


def is_loopback(host: str) -> bool:
    """Whether only this machine can reach ``host`` (127.0.0.0/8, ::1, localhost)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on host:port (port 0: any free port)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host.strip("[]"), port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        hint = "pass another --port" if exc.errno == 98 else "check --host"
        raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror or exc}; {hint}") from None
    sock.set_inheritable(True)
    return sock


def server(app: FastAPI, *, log_level: str = "info", proxy_headers: bool = False) -> uvicorn.Server:
    """A uvicorn server for ``app``; ``proxy_headers``: trust X-Forwarded-* from a local TLS proxy."""
    config = uvicorn.Config(
        app,
        log_level=log_level,
        proxy_headers=proxy_headers,
        forwarded_allow_ips="127.0.0.1" if proxy_headers else None,
        server_header=False,
        timeout_graceful_shutdown=5,
    )
    return uvicorn.Server(config)


def serve(app: FastAPI, sock: socket.socket, *, log_level: str = "info", proxy_headers: bool = False) -> None:
    """Serve until interrupted (Ctrl-C or SIGTERM)."""
    server(app, log_level=log_level, proxy_headers=proxy_headers).run(sockets=[sock])

"""Serve the live scenario explorer (Voilà) safely: one kernel per visitor, a cap on how many run at once
that counts a kernel from the moment it is asked for, kernels of closed pages shut down within seconds, idle
ones culled, only the host names given (localhost by default) let through, and a strict Content-Security-Policy.

A visitor can only move the explorer's controls: it reads and writes scenarios and forecasts in one folder
(files.scenario_folder()) under cleaned-up names, never overwrites without being asked, and runs no code of
its own. To serve it to a team, run it on 127.0.0.1 behind a reverse proxy that adds authentication and TLS,
and name the proxy's host name with --allow-host (see README, Security).
"""

from __future__ import annotations

import datetime as dt
import errno
import ipaddress
import os
import re
import secrets
import socket
import sys
from contextvars import ContextVar
from pathlib import Path

import tornado.web
from jupyter_core.utils import ensure_async
from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from tornado.ioloop import IOLoop
from traitlets import Float, Integer
from voila.app import Voila
from voila.shutdown_kernel_handler import VoilaShutdownKernelHandler
from voila.static_file_handler import TemplateStaticFileHandler
from voila.tornado.handler import TornadoVoilaHandler

from ..data.tables import MAX_BYTES
from ..errors import SapaError, echo
from ..files import project_folder
from ..views import STYLE_SHEET

NOTEBOOK = "notebooks/explorer.ipynb"
TEMPLATES = Path(__file__).with_name("jupyter")  # Voilà's page for the explorer: templates/sapa
# JupyterLab extensions installed beside Voilà that its page must not load: jupytext's fails there (the page has
# no notebook editor to extend) and fills the console with errors.
NOT_IN_PAGE = ["jupyterlab-jupytext"]
MAX_KERNELS = 64  # --max-kernels at most (each kernel takes about 150 MB)
IDLE_MINUTES = (1, 24 * 60)  # --idle-minutes: from a minute (less would cull a visitor who reads) to a day
UNCONNECTED_SECONDS = 20  # a kernel no page is connected to (a closed tab, a client without JavaScript) stops then
CULL_INTERVAL = 5  # seconds between the culler's rounds
FULL = "For mange samtidige brugere; prøv igen om lidt"


class VisitorKernels(AsyncMappingKernelManager):
    """The kernel manager of the served explorer: at most `max_kernels` kernels, counted from the moment one is
    asked for (a burst of page loads cannot start more while the first ones are still starting), and kernels no
    page is connected to are shut down after `unconnected_seconds`."""

    max_kernels = Integer(4, config=True, help="Kernels that may run or be starting at once.")
    unconnected_seconds = Float(
        UNCONNECTED_SECONDS, config=True, help="Seconds an idle kernel without a connected page is kept."
    )
    _starting = 0  # kernels asked for and not yet registered

    def full(self) -> bool:
        """True when no other kernel may start now."""
        return len(self._kernels) + self._starting >= self.max_kernels

    async def start_kernel(self, **kwargs) -> str:  # type: ignore[override]
        """Start a visitor's kernel, or refuse (HTTP 503, in Danish) when the cap is reached."""
        if self.full():  # checked and counted with no await in between: the event loop cannot interleave
            raise tornado.web.HTTPError(503, reason=FULL)
        self._starting += 1
        try:
            kernel_id = await super().start_kernel(**kwargs)
        finally:
            self._starting -= 1
        page = _ASKED_BY.get()
        if page is not None:
            page.started(kernel_id)
        return kernel_id

    def abandoned(self, kernel_id: str, now: dt.datetime | None = None) -> bool:
        """True for a kernel that is idle, has no page connected, and has had no activity for
        `unconnected_seconds` (its tab was closed without the shutdown request reaching us, or the client runs
        no JavaScript)."""
        kernel = self._kernels.get(kernel_id)
        last = getattr(kernel, "last_activity", None)
        if kernel is None or last is None or getattr(kernel, "execution_state", "") == "busy":
            return False
        now = now or dt.datetime.now(dt.UTC)
        unused = (now - last).total_seconds() > self.unconnected_seconds
        return unused and not self._kernel_connections.get(kernel_id, 0)

    async def cull_kernel_if_idle(self, kernel_id: str) -> None:
        """The idle culler's round for one kernel: an abandoned kernel goes at once, others after the idle time."""
        if self.abandoned(kernel_id):
            self.log.info("Shutting down kernel %s: no page has been connected to it for a while", kernel_id)
            await ensure_async(self.shutdown_kernel(kernel_id))
            return
        await super().cull_kernel_if_idle(kernel_id)


def kernel_cap(handler, notebook, cwd):
    """A Voilà prelaunch hook: refuse a visitor (HTTP 503, in Danish) before any work when the cap is reached
    (the kernel manager refuses again, for the requests that pass here together)."""
    if handler.kernel_manager.full():
        raise tornado.web.HTTPError(503, reason=FULL)
    return notebook


SCRIPT_TAG = re.compile(r"<script(?=[\s>])")
_ASKED_BY: ContextVar[ExplorerPage | None] = ContextVar("explorer_page", default=None)  # the page a kernel is for


class ExplorerPage(TornadoVoilaHandler):
    """Voilà's page, with a per-page nonce on its own scripts and a Content-Security-Policy that runs only those
    (and scripts from the server itself): no inline event handler, no injected script runs, nothing loads from
    elsewhere. The page also gets the `_xsrf` cookie, so the shutdown request Voilà sends when the tab is
    closed is accepted and the visitor's kernel stops at once."""

    _nonce = ""
    kernel_id = ""  # the kernel started for this page
    left = False  # the visitor went before the page was complete

    async def get(self, path=None):
        _ASKED_BY.set(self)  # this request's own context: the kernel manager tells this page its kernel
        await super().get(path=path)

    def started(self, kernel_id: str) -> None:
        """The kernel manager started this page's kernel; if the visitor has gone already, it stops again."""
        self.kernel_id = kernel_id
        if self.left:
            self._stop_kernel()

    def on_connection_close(self) -> None:
        """The visitor went before the page was complete (a closed tab, a client that reads only the headers):
        its kernel stops now, not after UNCONNECTED_SECONDS."""
        super().on_connection_close()
        self.left = True
        if self.kernel_id:
            self._stop_kernel()

    def _stop_kernel(self) -> None:
        if self.kernel_id in self.kernel_manager:
            self.kernel_manager.log.info(
                "Page left before it was complete: shutting down its kernel %s", self.kernel_id
            )
            IOLoop.current().add_callback(self.kernel_manager.shutdown_kernel, self.kernel_id)

    @property
    def nonce(self) -> str:
        if not self._nonce:
            self._nonce = secrets.token_urlsafe(18)
        return self._nonce

    @property
    def content_security_policy(self) -> str:
        return content_security_policy(self.nonce)

    async def prepare(self, *args, **kwargs):
        result = await super().prepare(*args, **kwargs)
        _ = self.xsrf_token  # sets the _xsrf cookie that the page's shutdown beacon sends back
        return result

    def write(self, chunk) -> None:
        """Every script tag of the page (written by Voilà's template, never by a visitor) gets the nonce."""
        if isinstance(chunk, (bytes, str)):
            text = chunk.decode("utf-8") if isinstance(chunk, bytes) else chunk
            text = SCRIPT_TAG.sub(f'<script nonce="{self.nonce}"', text)
            chunk = text.encode("utf-8") if isinstance(chunk, bytes) else text
        super().write(chunk)


def content_security_policy(nonce: str) -> str:
    """The explorer page's policy: scripts only from this server or with the page's nonce; styles inline (the
    widgets set them) or from this server; connections only back to this server."""
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data: blob:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'self'",
        ]
    )


class TemplateFiles(TemplateStaticFileHandler):
    """Voilà's template files; a path that is not <template>/static/<file> (e.g. '..%2f..') is 404, not 500."""

    def parse_url_path(self, path: str) -> str:
        parts = path.split("/", 2)
        if len(parts) != 3 or parts[1] != "static" or ".." in Path(path).parts or "\\" in path:
            raise tornado.web.HTTPError(404)
        return super().parse_url_path(path)


class ShutdownOnClose(VoilaShutdownKernelHandler):
    """Voilà's shutdown request when a page is closed (checked against the page's `_xsrf` cookie); an unknown
    kernel is 404."""

    @tornado.web.authenticated
    async def post(self, kernel_id):
        if kernel_id not in self.kernel_manager:
            raise tornado.web.HTTPError(404)
        self.kernel_manager.log.info("Page closed: shutting down its kernel %s", kernel_id)
        await super().post(kernel_id)


class ExplorerServer(Voila):
    """Voilà with the explorer's handlers in place of its own: the page, its template files and the shutdown."""

    def init_handlers(self) -> list:
        ours = {
            TornadoVoilaHandler: ExplorerPage,
            TemplateStaticFileHandler: TemplateFiles,
            VoilaShutdownKernelHandler: ShutdownOnClose,
        }
        return [(route, ours.get(handler, handler), *rest) for route, handler, *rest in super().init_handlers()]


def voila_config(host: str, port: int, max_kernels: int, idle_seconds: int, allow_hosts: list[str]):
    """The Voilà configuration: where it listens, the Host header check, culling and the kernel cap."""
    from traitlets.config import Config

    config = Config()
    config.Voila.ip, config.Voila.port, config.Voila.open_browser = host, port, False
    config.Voila.port_retries = 0
    config.Voila.root_dir = str(project_folder())
    # Voilà allows any Host header by default; check it, so a page elsewhere cannot reach the explorer through
    # the visitor's browser (DNS rebinding).
    config.Voila.tornado_settings = {
        "allow_remote_access": False,
        "local_hostnames": ["localhost", "127.0.0.1", "::1", *allow_hosts],
    }
    config.VoilaConfiguration.multi_kernel_manager_class = VisitorKernels
    config.VisitorKernels.max_kernels = max_kernels
    config.VisitorKernels.cull_idle_timeout = idle_seconds
    config.VisitorKernels.cull_interval = CULL_INTERVAL
    config.VisitorKernels.cull_connected = True  # an open but idle tab also gives its kernel back
    config.VoilaConfiguration.prelaunch_hook = kernel_cap
    config.VoilaConfiguration.show_tracebacks = False
    # The page: in Danish, in the reports' style, nothing fetched from another site, no extension that fails.
    config.VoilaConfiguration.template = "sapa"
    config.VoilaConfiguration.resources = {
        "sapa_style": STYLE_SHEET.read_text(encoding="utf-8"),
        "sapa_upload_limit": MAX_BYTES,  # the page stops a larger upload in the browser (templates/sapa)
    }
    config.VoilaConfiguration.extension_denylist = NOT_IN_PAGE
    config.HTMLExporter.language_code = "da"
    return config


def check_address(host: str, port: int) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """The address to listen on, checked: an IP address of this machine (or 'localhost') and a free port from 1
    to 65535; SapaError says what would be right."""
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise SapaError(f"--port {echo(port)} must be a port number from 1 to 65535 (default 8866)")
    try:
        address = ipaddress.ip_address("127.0.0.1" if host == "localhost" else host)
    except ValueError:
        raise SapaError(
            f"--host {echo(host)} is not an IP address; use 127.0.0.1 (this machine only, the default), or "
            "an address of this machine's network interface behind a reverse proxy"
        ) from None
    family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((str(address), port))
        except OSError as exc:
            why = {
                errno.EADDRINUSE: f"port {port} is in use; choose another with --port",
                errno.EADDRNOTAVAIL: f"{address} is not an address of this machine",
                errno.EACCES: f"port {port} needs more rights; use a port above 1023",
            }.get(exc.errno or 0, exc.strerror or str(exc))
            raise SapaError(f"cannot listen on {address}:{port}: {why}") from None
    return address


def serve(
    host: str = "127.0.0.1",
    port: int = 8866,
    max_kernels: int = 4,
    idle_minutes: float = 15,
    allow_hosts: list[str] | None = None,
) -> None:
    """Run the explorer until stopped (Ctrl-C or SIGTERM stops the server and its kernels)."""
    if isinstance(max_kernels, bool) or not 1 <= max_kernels <= MAX_KERNELS:
        raise SapaError(f"--max-kernels must be from 1 to {MAX_KERNELS}, not {echo(max_kernels)}")
    low, high = IDLE_MINUTES
    if not low <= idle_minutes <= high:
        raise SapaError(
            f"--idle-minutes must be from {low} to {high} (a day), not {echo(idle_minutes)}: a shorter time "
            "would shut a visitor's kernel down while they read"
        )
    notebook = project_folder() / NOTEBOOK
    if not Path(notebook).is_file():
        raise SapaError(f"{NOTEBOOK} is missing; run sapa explore from the project")
    address = check_address(host, port)
    if not address.is_loopback:
        print(
            f"sapa: warning: listening on {address}: every machine that can reach this one can use the explorer "
            "and write to the scenarios folder; serve it behind a reverse proxy with authentication and TLS "
            "(README, Security)",
            file=sys.stderr,
        )
    os.environ["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(TEMPLATES), os.environ.get("JUPYTER_PATH")]))
    app = ExplorerServer(
        config=voila_config(str(address), port, max_kernels, round(idle_minutes * 60), allow_hosts or [])
    )
    app.initialize([str(notebook)])
    app.start()

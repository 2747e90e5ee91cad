"""Serve the live scenario explorer (Voilà) safely: one kernel per visitor, idle kernels culled, a cap on how
many run at once, and only the host names given (localhost by default) let through.

A visitor can only move the explorer's controls: it reads and writes scenarios and forecasts in one folder
(files.scenario_folder()) under cleaned-up names, never overwrites without being asked, and runs no code of
its own. To serve it to a team, run it on 127.0.0.1 behind a reverse proxy that adds authentication and TLS,
and name the proxy's host name with --allow-host (see README, Security).
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import SapaError
from ..files import project_folder
from ..views import STYLE_SHEET

NOTEBOOK = "notebooks/explorer.ipynb"
TEMPLATES = Path(__file__).with_name("jupyter")  # Voilà's page for the explorer: templates/sapa
# JupyterLab extensions installed beside Voilà that its page must not load: jupytext's fails there (the page has
# no notebook editor to extend) and fills the console with errors.
NOT_IN_PAGE = ["jupyterlab-jupytext"]


def kernel_cap(limit: int):
    """A Voilà prelaunch hook: refuse a new visitor (HTTP 503, in Danish) while `limit` kernels run."""

    def hook(handler, notebook, cwd):
        import tornado.web

        if len(handler.kernel_manager.list_kernel_ids()) >= limit:
            raise tornado.web.HTTPError(503, reason="For mange samtidige brugere; prøv igen om lidt")
        return notebook

    return hook


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
    config.MappingKernelManager.cull_idle_timeout = idle_seconds
    config.MappingKernelManager.cull_interval = max(1, min(60, idle_seconds // 2))
    config.MappingKernelManager.cull_connected = True  # an open but idle tab also gives its kernel back
    config.VoilaConfiguration.prelaunch_hook = kernel_cap(max_kernels)
    config.VoilaConfiguration.show_tracebacks = False
    # The page: in Danish, in the reports' style, nothing fetched from another site, no extension that fails.
    config.VoilaConfiguration.template = "sapa"
    config.VoilaConfiguration.resources = {"sapa_style": STYLE_SHEET.read_text(encoding="utf-8")}
    config.VoilaConfiguration.extension_denylist = NOT_IN_PAGE
    config.HTMLExporter.language_code = "da"
    return config


def serve(
    host: str = "127.0.0.1",
    port: int = 8866,
    max_kernels: int = 4,
    idle_minutes: float = 15,
    allow_hosts: list[str] | None = None,
) -> None:
    """Run the explorer until stopped (Ctrl-C or SIGTERM stops the server and its kernels)."""
    from voila.app import Voila

    if not 1 <= max_kernels <= 64 or not 0 < idle_minutes <= 24 * 60:
        raise SapaError("--max-kernels must be 1-64 and --idle-minutes above 0 and at most a day")
    notebook = project_folder() / NOTEBOOK
    if not Path(notebook).is_file():
        raise SapaError(f"{NOTEBOOK} is missing; run sapa explore from the project")
    os.environ["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(TEMPLATES), os.environ.get("JUPYTER_PATH")]))
    app = Voila(config=voila_config(host, port, max_kernels, int(idle_minutes * 60), allow_hosts or []))
    app.initialize([str(notebook)])
    app.start()

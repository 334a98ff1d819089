"""Open one notebook as a full-screen lecture app: outputs and widgets only, large fonts.

    ./lab present notebooks/03_euler_formula.ipynb              # then press F11 in the browser
    ./lab present notebooks/04_rope_2d.ipynb --show-code        # keep the code cells visible
    ./lab present notebooks/04_rope_2d.ipynb --no-browser --port 8870

What it does (Voila, run in this process):

* runs the notebook in a fresh kernel and shows its markdown, outputs and live widgets;
  code is hidden unless ``--show-code`` is given;
* uses the ``ropelab-present`` template (``tools/present/voila/templates/``): Voila's
  "lab" template with large fonts and without its CDN stylesheet links;
* listens on 127.0.0.1 only, without a token (it is the lecturer's own machine);
* sends a Content-Security-Policy that lets the page load only from this server, so
  the browser makes no request to the internet (a lecture hall's network is no
  dependency, and nothing leaks);
* culls kernels whose page is gone (a closed or reloaded tab, a laptop that slept)
  after ``--cull-idle`` seconds, so a long lecture does not pile kernels up. The
  kernel of a page that is still open is never culled, however long you talk.
"""
from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
TEMPLATE = "ropelab-present"
TEMPLATE_ROOT = HERE / "present"  # holds voila/templates/ropelab-present/

# Everything from this server ('self'), inline code and data/blob URLs (anywidget imports
# each widget's module from a blob: URL); nothing from anywhere else. 'self' also covers the kernel websocket.
CSP = "; ".join([
    "default-src 'self' 'unsafe-inline' 'unsafe-eval' data: blob:",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "frame-ancestors 'self'",
    "form-action 'self'",
    "base-uri 'self'",
])

FRONTEND_EXTENSIONS = (
    "@jupyter-widgets/jupyterlab-manager",
    "@voila-dashboards/widgets-manager8",  # ipywidgets 8 (Voila keeps the one that matches)
    "@voila-dashboards/widgets-manager7",
    "anywidget",  # ropelab's widgets: their front ends are anywidget modules
    "jupyterlab_pygments",
)

_REMOTE = re.compile(
    r"""<(?:link|script)\b[^>]*\b(?:href|src)\s*=\s*["'](?:https?:)?//[^"']*["'][^>]*>(?:\s*</script>)?""",
    re.IGNORECASE,
)


def strip_remote_links(html: str):
    """Remove ``<link>`` and ``<script>`` tags that load from another host (a Jinja filter)."""
    from markupsafe import Markup

    return Markup(_REMOTE.sub("", str(html)))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="./lab present", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebook", type=Path, help="the notebook to present, e.g. notebooks/03_euler_formula.ipynb")
    parser.add_argument("--show-code", action="store_true", help="show the code cells too (hidden by default)")
    parser.add_argument("--port", type=int, default=8866,
                        help="port on 127.0.0.1 (default 8866; the next free one if taken)")
    parser.add_argument("--no-browser", action="store_true", help="do not open a browser, only print the address")
    parser.add_argument("--font-size", type=int, default=22, metavar="PX",
                        help="body text size in pixels (default 22; the rest scales with it)")
    parser.add_argument("--theme", choices=["light", "dark"], default="light")
    parser.add_argument("--cull-idle", type=int, default=600, metavar="SECONDS",
                        help="shut down a kernel whose page has been gone this long (default 600)")
    parser.add_argument("--cull-interval", type=int, default=None, metavar="SECONDS",
                        help="how often to look for such kernels (default: min(60, cull-idle))")
    args = parser.parse_args(argv)
    if not args.notebook.is_file() or args.notebook.suffix != ".ipynb":
        parser.error(f"notebook: expected an existing .ipynb file, got {str(args.notebook)!r}")
    if not 8 <= args.font_size <= 96:
        parser.error(f"--font-size: expected 8..96 pixels, got {args.font_size}")
    if args.cull_idle < 1:
        parser.error(f"--cull-idle: expected a positive number of seconds, got {args.cull_idle}")
    if not 0 < args.port < 65536:
        parser.error(f"--port: expected 1..65535, got {args.port}")
    return args


def free_port(start: int, tries: int = 50) -> int:
    """``start`` if nothing listens on 127.0.0.1 there, else the next free port."""
    import socket

    for port in range(start, min(start + tries, 65536)):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise SystemExit(f"no free port in {start}..{start + tries - 1}; choose one with --port")


def voila_config(args: argparse.Namespace):
    """The traitlets config for Voila (a function so that tests can inspect it)."""
    from traitlets.config import Config

    c = Config()
    c.Voila.ip = "127.0.0.1"
    c.Voila.port = args.port
    c.Voila.port_retries = 0  # main() has already picked a free port
    c.Voila.open_browser = not args.no_browser
    c.Voila.token = ""
    c.Voila.tornado_settings = {"headers": {"Content-Security-Policy": CSP}}
    c.VoilaConfiguration.template = TEMPLATE
    c.VoilaConfiguration.theme = args.theme
    c.VoilaConfiguration.strip_sources = not args.show_code
    c.VoilaConfiguration.show_tracebacks = True  # an error on the projector should say what it is
    c.VoilaConfiguration.resources = {"present_font_px": args.font_size}
    c.VoilaExporter.filters = {"strip_remote_links": strip_remote_links}
    # Only the front-end extensions the lab needs. Voila would otherwise load every installed
    # JupyterLab extension, and some (jupytext's) fail against Voila's own JupyterLab core.
    c.VoilaConfiguration.extension_allowlist = list(FRONTEND_EXTENSIONS)
    # a slow cell should not blank the lecture: allow a generous time per cell
    c.VoilaExecutor.timeout = 300
    c.MappingKernelManager.cull_idle_timeout = args.cull_idle
    c.MappingKernelManager.cull_interval = args.cull_interval or min(60, args.cull_idle)
    c.MappingKernelManager.cull_connected = False  # an open page keeps its kernel
    c.MappingKernelManager.cull_busy = False
    return c


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # Voila finds templates under <each JUPYTER_PATH entry>/voila/templates/.
    os.environ["JUPYTER_PATH"] = os.pathsep.join(
        p for p in [str(TEMPLATE_ROOT), os.environ.get("JUPYTER_PATH", "")] if p)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("PYTHONHASHSEED", "0")

    from voila.app import Voila

    notebook = args.notebook.resolve()
    args.port = free_port(args.port)
    print(f"Presenting {args.notebook} at http://127.0.0.1:{args.port}/\n"
          f"Press F11 in the browser for full screen, Ctrl+C here to stop.", flush=True)
    Voila.launch_instance(argv=[str(notebook)], config=voila_config(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())

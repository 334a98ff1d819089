"""tools/present.py without a browser: its options, its Voila config, its CDN-link filter."""
from __future__ import annotations

import importlib.util

import pytest
from browser_helpers import NOTEBOOKS, ROOT


@pytest.fixture(scope="module")
def present():
    spec = importlib.util.spec_from_file_location("present", ROOT / "tools" / "present.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


NB = str(NOTEBOOKS / "00_start_here.ipynb")


def test_defaults_hide_code_listen_on_localhost_and_cull(present):
    c = present.voila_config(present.parse_args([NB]))
    assert c.Voila.ip == "127.0.0.1"
    assert c.VoilaConfiguration.strip_sources is True
    assert c.VoilaConfiguration.template == "ropelab-present"
    assert c.MappingKernelManager.cull_idle_timeout > 0
    assert c.MappingKernelManager.cull_connected is False
    assert "default-src 'self'" in c.Voila.tornado_settings["headers"]["Content-Security-Policy"]
    assert "jupyterlab-jupytext" not in c.VoilaConfiguration.extension_allowlist
    assert "@voila-dashboards/widgets-manager8" in c.VoilaConfiguration.extension_allowlist


def test_options(present):
    c = present.voila_config(present.parse_args(
        [NB, "--show-code", "--font-size", "30", "--cull-idle", "120", "--port", "9000", "--no-browser"]))
    assert c.VoilaConfiguration.strip_sources is False
    assert c.VoilaConfiguration.resources == {"present_font_px": 30}
    assert c.MappingKernelManager.cull_idle_timeout == 120
    assert c.MappingKernelManager.cull_interval == 60
    assert c.Voila.port == 9000 and c.Voila.open_browser is False


@pytest.mark.parametrize("argv, message", [
    (["notebooks/no_such.ipynb"], "expected an existing .ipynb file"),
    (["README.md"], "expected an existing .ipynb file"),
    ([NB, "--font-size", "3"], "--font-size: expected 8..96"),
    ([NB, "--cull-idle", "0"], "--cull-idle: expected a positive"),
    ([NB, "--port", "70000"], "--port: expected 1..65535"),
])
def test_bad_arguments_say_what_is_wrong(present, capsys, argv, message):
    with pytest.raises(SystemExit):
        present.parse_args(argv)
    assert message in capsys.readouterr().err


def test_remote_links_are_stripped_local_ones_kept(present):
    html = (
        '<link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/@fortawesome/fontawesome-free@^5/css/all.min.css"'
        ' type="text/css" />\n'
        '<script src="//cdn.example.org/x.js"></script>\n'
        '<link rel="stylesheet" href="/voila/templates/ropelab-present/static/index.css" type="text/css" />\n'
        '<script src="/voila/static/voila.js"></script>\n'
    )
    out = str(present.strip_remote_links(html))
    assert "cdn." not in out
    assert "/voila/templates/ropelab-present/static/index.css" in out and "/voila/static/voila.js" in out


def test_the_template_is_where_voila_looks(present):
    template = present.TEMPLATE_ROOT / "voila" / "templates" / present.TEMPLATE
    assert (template / "index.html.j2").is_file() and (template / "conf.json").is_file()


def test_free_port_skips_a_taken_port(present):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        taken = s.getsockname()[1]
        assert present.free_port(taken) != taken

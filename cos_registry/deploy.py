"""The nginx configuration of deploy/nginx.conf, rendered for a given set of app servers (tests, benchmark)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parent.parent / "deploy" / "nginx.conf"


def nginx_config_render(
    *, listen: str, upstreams: list[str], run_dir: Path, refresh_token: str, cache: bool = True
) -> Path:
    """Write run_dir/nginx.conf for app servers `upstreams` ("host:port") and return its path."""
    run_dir.mkdir(parents=True, exist_ok=True)
    values = {
        "LISTEN": listen,
        # A server that fails 3 times in 5 s is left alone for 5 s (nginx's default, 1 in 10 s, sends a whole
        # burst of requests to a 502 when one restarting server refused one connection).
        "UPSTREAMS": "\n        ".join(f"server {upstream} max_fails=3 fail_timeout=5s;" for upstream in upstreams),
        "RUN_DIR": str(run_dir),
        "CACHE_DIR": str(run_dir / "cache"),
        "CACHE": "cos" if cache else "off",
        "REFRESH_TOKEN": refresh_token,
    }
    text = TEMPLATE.read_text()
    for name, value in values.items():
        text = text.replace(f"@{name}@", value)
    path = run_dir / "nginx.conf"
    path.write_text(text)
    return path


def nginx_start(config: Path) -> subprocess.Popen:
    """nginx in the foreground (`daemon off`), so that its caller owns and stops the process. Started by root (CI),
    its workers run as root too, to use the caller's private temporary directory."""
    directives = "daemon off;" + (" user root;" if os.geteuid() == 0 else "")
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    return subprocess.Popen(  # noqa: S603 (our own arguments)
        [nginx, "-c", str(config), "-g", directives], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )

"""The third part of `hub demo`: a community hall reads the city through the service window.

It issues a hall credential, starts `hub serve` on a free loopback port, looks residents up as a
hall would (by resident ID under two purposes, to show masking change with the purpose), and checks
the audit chain the reads left. ID numbers and phones are printed only as the window shows them.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import httpx

from hub.contract.errors import HubError
from hub.engine.resolver import Resolution
from hub.settings import HubSettings, state_dir

__all__ = ["run_window_demo"]

HUB = [sys.executable, "-c", "from hub.cli.main import main; main()"]
HALL = "演示街道便民服务中心"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _hub(*args: str) -> str:
    done = subprocess.run([*HUB, *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise HubError(f"hub {args[0]} failed: {done.stderr.strip()[-500:]}")
    return done.stdout


def _show(view: dict[str, Any], say: Callable[[str], None]) -> None:
    for name in ("name", "id_number", "phone", "residence", "assistance_type", "elderly_care", "insurance_status"):
        field = view["fields"].get(name)
        if field is None:
            continue
        shown = field.get("answer") or field.get("value")
        if isinstance(shown, dict):
            shown = shown.get("text") or shown.get("address_id")
        source = (field.get("provenance") or {}).get("source_label", "-")
        say(f"    {name:<17} {field['mode']:<9} {shown!s:<34} ← {source}")


def run_window_demo(settings: HubSettings, resolution: Resolution, say: Callable[[str], None]) -> None:
    issued = json.loads(_hub("credentials", "create", "--name", HALL, "--jurisdiction", settings.city_code,
                             "--purposes", "养老服务,综合受理", "--json"))
    port = _free_port()
    log = state_dir() / "demo" / "serve.log"
    with log.open("ab") as handle:
        server = subprocess.Popen([*HUB, "serve", "--host", "127.0.0.1", "--port", str(port)],
                                  stdout=handle, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=10) as client:
            for _ in range(100):
                try:
                    if client.get("/readyz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.2)
            else:
                raise HubError(f"hub serve did not become ready; see {log}")
            say(f"hub serve answers on {base} (hall page: {base}/hall); credential for {HALL} issued once")
            resident = next(m for m in sorted(resolution.masters.values(), key=lambda m: m.citizen_id)
                            if m.value("id_number") and len({r.split("/")[0] for r in m.records}) >= 3)
            id_number = str(resident.value("id_number"))
            refused = client.get("/citizens", params={"id_number": id_number})
            say(f"  no credential: {refused.status_code} {refused.headers.get('content-type')}")
            for purpose in ("养老服务", "综合受理"):
                headers = {"Authorization": f"Bearer {issued['key']}", "X-Purpose": quote(purpose),
                           "X-Case-Id": quote(f"DEMO-{purpose}")}  # non-ASCII headers go percent-encoded
                answer = client.get("/citizens", params={"id_number": id_number}, headers=headers)
                if answer.status_code != 200:
                    raise HubError(f"the window answered {answer.status_code}: {answer.text[:300]}")
                candidates = answer.json()["candidates"]
                say(f"  purpose {purpose}: {len(candidates)} {candidates[0]['grade'] if candidates else ''} match, "
                    f"citizen {candidates[0]['citizen']['citizen_id'] if candidates else '-'}")
                if candidates:
                    _show(candidates[0]["citizen"], say)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    say("  audit: " + _hub("audit", "verify").strip().splitlines()[0])

"""A real OpenID Provider on 127.0.0.1 for the single sign-on tests: tests/oidc/provider.mjs (npm oidc-provider).

`OidcProvider(clients=..., accounts=...).start()` writes the configuration, starts Node on a free port and waits for
the provider to say its issuer URL. Without Node the tests skip with the reason, except in CI (CI=true), where a
missing provider is a failure: `make test` and .ci/run install it.
"""

from __future__ import annotations

import json
import os
import selectors
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

PROVIDER_DIR = Path(__file__).resolve().parents[1] / "oidc"
START_SECONDS = 30


def node_or_skip() -> str:
    """The node executable; skips (fails in CI) when Node.js or the installed provider package is missing."""
    node = shutil.which("node")
    problem = None
    if node is None:
        problem = "Node.js is not installed (make test installs it; or apt-get install nodejs npm)"
    elif not (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir():
        problem = "the local OpenID Provider is not installed: run scripts/ensure-oidc-provider (make test does)"
    if problem:
        if os.environ.get("CI"):
            pytest.fail(problem)
        pytest.skip(problem)
    assert node is not None
    return node


class OidcProvider:
    def __init__(self, *, clients: list[dict[str, Any]], accounts: dict[str, Any], workdir: Path) -> None:
        self.clients = clients
        self.accounts = accounts
        self.workdir = workdir
        self.process: subprocess.Popen[str] | None = None
        self.issuer = ""

    def start(self) -> OidcProvider:
        node = node_or_skip()
        config = self.workdir / "oidc-provider.json"
        config.write_text(json.dumps({"clients": self.clients, "accounts": self.accounts}))
        self.log = (self.workdir / "oidc-provider.log").open("w")
        self.process = subprocess.Popen(  # noqa: S603 - our own script
            [node, str(PROVIDER_DIR / "provider.mjs"), str(config)],
            cwd=PROVIDER_DIR,
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
        )
        assert self.process.stdout is not None
        selector = selectors.DefaultSelector()
        selector.register(self.process.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + START_SECONDS
        while not self.issuer:
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the OpenID Provider did not start: {self.log_text()}")
            if selector.select(timeout=1):
                line = self.process.stdout.readline()
                if line.strip():
                    self.issuer = json.loads(line)["issuer"]
        selector.close()
        return self

    def log_text(self) -> str:
        return (self.workdir / "oidc-provider.log").read_text()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process is not None and self.process.stdout is not None:
            self.process.stdout.close()
        self.log.close()

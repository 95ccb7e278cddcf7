"""Fixtures for the mail tests: a self-signed certificate, and the app's settings pointed at a test server."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.mail.helpers import MAIL_FROM, TestSmtpServer, make_certificate


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return make_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def server_tls_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


@pytest.fixture
def smtp() -> Iterator[TestSmtpServer]:
    """A plain local SMTP server (no TLS, no auth) that records what it receives."""
    server = TestSmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def app_config(app_config: dict[str, Any], smtp: TestSmtpServer) -> dict[str, Any]:
    """The app's settings with MAIL_URL pointing at `smtp` (tests may change `app.config` further)."""
    app_config.update(
        MAIL_URL=smtp.url,
        MAIL_FROM=MAIL_FROM,
        MAIL_RETRY_FIRST_SECONDS=60,
        MAIL_RETRY_MAX_SECONDS=3600,
        MAIL_GIVE_UP_HOURS=72,
    )
    return app_config

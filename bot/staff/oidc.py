"""The OpenID Connect client (Authlib): discovery, the authorization request, the code exchange, ID-token checks.

Authorization code flow with PKCE (S256), a fresh `state` and `nonce` per sign-in. The ID token is only believed
after its signature is checked against the provider's JWKS and its `iss`, `aud`, `exp`, `iat` and `nonce` are right.
Nothing here knows about staff users: `bot.staff.sso` decides who a validated identity is.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

HTTP_TIMEOUT_SECONDS = 10
METADATA_SECONDS = 15 * 60  # how long discovery documents and key sets are reused
CLOCK_LEEWAY_SECONDS = 60  # clocks of provider and service may differ this much
SCOPES = "openid email profile"


class OidcError(Exception):
    """A sign-in through the provider failed; `reason` is a short code for the audit log and the page."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class ClientSettings:
    issuer: str
    client_id: str
    client_secret: str
    redirect_uri: str


@dataclass(frozen=True)
class PendingSignIn:
    """What the browser session keeps between the redirect to the provider and the callback."""

    state: str
    nonce: str
    code_verifier: str

    def as_dict(self) -> dict[str, str]:
        return {"state": self.state, "nonce": self.nonce, "code_verifier": self.code_verifier}

    @classmethod
    def from_dict(cls, data: Any) -> PendingSignIn | None:
        if not isinstance(data, dict) or not all(isinstance(data.get(k), str) for k in ("state", "nonce")):
            return None
        verifier = data.get("code_verifier")
        if not isinstance(verifier, str):
            return None
        return cls(state=data["state"], nonce=data["nonce"], code_verifier=verifier)


_cache: dict[str, tuple[float, dict[str, Any]]] = {}
_cache_lock = threading.Lock()


def _get_json(url: str, *, fresh: bool = False) -> dict[str, Any]:
    with _cache_lock:
        cached = _cache.get(url)
    if cached and not fresh and cached[0] > time.monotonic():
        return cached[1]
    try:
        response = requests.get(url, timeout=HTTP_TIMEOUT_SECONDS)
        response.raise_for_status()
        data = response.json()
    except (requests.RequestException, ValueError) as error:
        raise OidcError("provider-unreachable", f"{url}: {error}") from None
    if not isinstance(data, dict):
        raise OidcError("provider-unreachable", f"{url} did not answer a JSON object")
    with _cache_lock:
        _cache[url] = (time.monotonic() + METADATA_SECONDS, data)
    return data


def metadata(issuer: str) -> dict[str, Any]:
    """The provider's discovery document; refused when it names another issuer (OpenID Connect Discovery 4.3)."""
    issuer = issuer.rstrip("/")
    data = _get_json(f"{issuer}/.well-known/openid-configuration")
    if str(data.get("issuer", "")).rstrip("/") != issuer:
        raise OidcError("wrong-issuer", f"discovery names issuer {data.get('issuer')!r}, expected {issuer!r}")
    for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not isinstance(data.get(key), str):
            raise OidcError("provider-unreachable", f"discovery document has no {key}")
    return data


def begin(client: ClientSettings) -> tuple[str, PendingSignIn]:
    """The provider's authorization URL to send the browser to, and what to keep in the session until it returns."""
    meta = metadata(client.issuer)
    pending = PendingSignIn(state=generate_token(32), nonce=generate_token(32), code_verifier=generate_token(64))
    oauth = OAuth2Session(
        client.client_id, redirect_uri=client.redirect_uri, scope=SCOPES, code_challenge_method="S256"
    )
    url, _state = oauth.create_authorization_url(
        meta["authorization_endpoint"],
        state=pending.state,
        nonce=pending.nonce,
        code_verifier=pending.code_verifier,
    )
    return url, pending


def finish(
    client: ClientSettings, pending: PendingSignIn | None, *, args: dict[str, str], now: datetime
) -> tuple[dict[str, Any], str]:
    """Check the provider's answer, exchange the code, and return (validated ID-token claims, the raw ID token)."""
    if pending is None:
        raise OidcError("no-pending-sign-in", "the browser session holds no sign-in in progress")
    if not secrets.compare_digest(args.get("state", ""), pending.state):
        raise OidcError("wrong-state", "the state parameter does not match this browser's sign-in")
    if args.get("error"):
        raise OidcError("provider-refused", f"{args.get('error')}: {args.get('error_description', '')}")
    code = args.get("code", "")
    if not code:
        raise OidcError("no-code", "the provider sent no authorization code")
    meta = metadata(client.issuer)
    oauth = OAuth2Session(
        client.client_id,
        client.client_secret,
        redirect_uri=client.redirect_uri,
        token_endpoint_auth_method="client_secret_basic",  # noqa: S106 - a method name, not a secret
    )
    try:
        token = oauth.fetch_token(
            meta["token_endpoint"],
            grant_type="authorization_code",
            code=code,
            code_verifier=pending.code_verifier,
            timeout=HTTP_TIMEOUT_SECONDS,
        )
    except Exception as error:  # Authlib raises OAuthError, requests its own; either way no sign-in
        raise OidcError("code-refused", str(error)) from None
    raw = token.get("id_token")
    if not isinstance(raw, str):
        raise OidcError("no-id-token", "the token response holds no id_token")
    return validate_id_token(raw, client=client, nonce=pending.nonce, now=now), raw


def _key_set(issuer: str, *, fresh: bool = False) -> KeySet:
    data = _get_json(metadata(issuer)["jwks_uri"], fresh=fresh)
    try:
        return KeySet.import_key_set(data)  # type: ignore[arg-type]
    except (JoseError, ValueError, TypeError) as error:
        raise OidcError("bad-signature", f"the provider's key set cannot be read: {error}") from None


def validate_id_token(raw: str, *, client: ClientSettings, nonce: str, now: datetime) -> dict[str, Any]:
    """The ID token's claims after checking signature (JWKS), iss, aud, azp, exp, iat and nonce at `now`."""
    algorithms = ["RS256", "RS384", "RS512", "PS256", "ES256", "ES384"]  # never "none" or a shared-secret HS*
    try:
        try:
            token = jwt.decode(raw, _key_set(client.issuer), algorithms=algorithms)
        except JoseError:
            # A provider that rotated its keys: fetch the key set once more before refusing.
            token = jwt.decode(raw, _key_set(client.issuer, fresh=True), algorithms=algorithms)
    except (JoseError, ValueError) as error:
        raise OidcError("bad-signature", str(error)) from None
    claims = dict(token.claims)
    registry = jwt.JWTClaimsRegistry(
        now=int(now.timestamp()),
        leeway=CLOCK_LEEWAY_SECONDS,
        iss={"essential": True, "value": client.issuer.rstrip("/")},
        sub={"essential": True},
        exp={"essential": True},
        iat={"essential": True},
    )
    try:
        registry.validate(claims)
    except JoseError as error:
        claim = getattr(error, "claim", "")
        reason = "expired" if error.error == "expired_token" else f"wrong-{claim or 'claim'}"
        raise OidcError(reason, str(error)) from None
    audiences = claims.get("aud")
    audiences = [audiences] if isinstance(audiences, str) else audiences
    if not isinstance(audiences, list) or client.client_id not in audiences:
        raise OidcError("wrong-aud", f"the token is for {claims.get('aud')!r}, not for {client.client_id!r}")
    if len(audiences) > 1 and claims.get("azp") != client.client_id:
        raise OidcError("wrong-aud", "a token for several audiences must name this client as azp")
    if not isinstance(claims.get("nonce"), str) or not secrets.compare_digest(claims["nonce"], nonce):
        raise OidcError("wrong-nonce", "the token's nonce is not this sign-in's")
    return claims


def end_session_url(issuer: str, *, id_token: str, client_id: str, post_logout_redirect_uri: str) -> str | None:
    """Where to send the browser to end the provider's session too, when the provider offers it."""
    try:
        endpoint = metadata(issuer).get("end_session_endpoint")
    except OidcError:
        return None
    if not isinstance(endpoint, str) or not endpoint:
        return None
    query = urlencode(
        {"id_token_hint": id_token, "client_id": client_id, "post_logout_redirect_uri": post_logout_redirect_uri}
    )
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"


__all__ = [
    "ClientSettings",
    "OidcError",
    "PendingSignIn",
    "begin",
    "end_session_url",
    "finish",
    "metadata",
    "validate_id_token",
]

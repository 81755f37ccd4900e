"""WeChat official-account API client with one access token shared by every process.

WeChat keeps one valid access token per app: processes that refresh it independently invalidate
each other (errcode 40001). The token therefore lives in the shared KVStore and is fetched under
a store lock, so N workers fetch it once. wechatpy's own `auto_retry` retries 40001 without bound
(wechatpy 1.8.18 recurses until it crashes), so it is turned off and we retry exactly once.
Hosts come from configuration so tests and the simulator can use the loopback fake.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import quote, urlencode

import requests
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException

from app.config import WechatSettings
from app.integrations import rediskeys
from app.integrations.kvstore import KVStore, LockTimeout

log = logging.getLogger(__name__)

# 40001 invalid credential / not latest, 40014 invalid access_token, 42001 access_token expired.
TOKEN_ERRCODES = frozenset({40001, 40014, 42001})
# 40029 invalid code, 40163 code already used (an OAuth code works once).
OAUTH_CODE_ERRCODES = frozenset({40029, 40163})
# Since 2023 template messages show each field's first ~20 characters and dropped first/remark.
TEMPLATE_VALUE_MAX = 20
TEMPLATE_FORBIDDEN_KEYS = frozenset({"first", "remark"})
# Refresh well before WeChat's expiry so a token never dies in flight (official advice: early refresh).
TOKEN_SAFETY_MARGIN = 300

T = TypeVar("T")
_SECRET_PARAM = re.compile(r"((?:secret|access_token|code)=)[^&\s\"]+")


class RedactSecrets(logging.Filter):
    """Mask secret=, access_token= and code= in records: urllib3 logs full URLs at DEBUG."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = _SECRET_PARAM.sub(r"\1***", message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True


def install_log_redaction() -> None:
    """Attach RedactSecrets to urllib3's connection-pool logger (idempotent)."""
    logger = logging.getLogger("urllib3.connectionpool")
    if not any(isinstance(f, RedactSecrets) for f in logger.filters):
        logger.addFilter(RedactSecrets())


class WeChatApiError(Exception):
    """WeChat answered with a non-zero errcode."""

    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(f"WeChat API error {errcode}: {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg


class WeChatUnavailable(Exception):
    """WeChat could not be reached in time (timeout, connection error, HTTP 5xx, non-JSON)."""


class OAuthCodeRejected(WeChatApiError):
    """An OAuth code was reused (40163) or is invalid/expired (40029)."""


class TemplateDataError(ValueError):
    """Template data breaks WeChat's 2023 rules (field longer than 20 characters, first/remark)."""


def token_ttl(expires_in: int) -> float:
    """Cache lifetime for a token: expires_in - 300 s, or half of it for unusually short tokens."""
    return float(expires_in - TOKEN_SAFETY_MARGIN) if expires_in > 2 * TOKEN_SAFETY_MARGIN else expires_in / 2


def fit_field(text: str) -> str:
    """Cut a value to what a template field shows (~20 characters), marking the cut with "…"."""
    return text if len(text) <= TEMPLATE_VALUE_MAX else text[: TEMPLATE_VALUE_MAX - 1] + "…"


def check_template_data(data: dict[str, str]) -> None:
    """Refuse template data WeChat would truncate or ignore since the 2023 template change."""
    for key, value in data.items():
        if key in TEMPLATE_FORBIDDEN_KEYS:
            raise TemplateDataError(f"template field {key!r} is no longer shown by WeChat")
        if len(value) > TEMPLATE_VALUE_MAX:
            raise TemplateDataError(f"template field {key!r} is longer than {TEMPLATE_VALUE_MAX} characters")


def _token_from(result: dict[str, Any]) -> tuple[str, int]:
    """(access_token, expires_in) from a token response; 7200 s is WeChat's documented lifetime."""
    token = result.get("access_token")
    if not isinstance(token, str) or not token:
        raise WeChatUnavailable("token response without access_token")
    return token, int(result.get("expires_in") or 7200)


class _SharedTokenClient(WeChatClient):  # type: ignore[misc]
    """wechatpy client whose access token is the one pinned by WeChatApi for the current call."""

    def __init__(self, appid: str, secret: str, timeout: float) -> None:
        super().__init__(appid, secret, timeout=timeout, auto_retry=False)
        self._pinned = threading.local()

    @property
    def access_token(self) -> str:
        token: str | None = getattr(self._pinned, "token", None)
        if token is None:
            raise RuntimeError("access token used outside WeChatApi._call")
        return token

    def fetch_access_token(self) -> dict[str, Any]:
        raise RuntimeError("tokens are fetched by WeChatApi through the shared store")


class WeChatApi:
    """The WeChat API calls this service makes; safe to share between threads."""

    def __init__(self, settings: WechatSettings, store: KVStore,
                 session: requests.Session | None = None) -> None:
        install_log_redaction()  # GET /cgi-bin/token and the OAuth exchange carry the secret in the URL
        self.settings = settings
        self.store = store
        self._api_root = settings.api_base_url.rstrip("/") + "/"
        self._http = session or requests.Session()
        self.client = _SharedTokenClient(settings.app_id, settings.app_secret, settings.timeout)
        self.client.API_BASE_URL = self._api_root + "cgi-bin/"
        self.client._http = self._http

    # ---- access token -------------------------------------------------------------------------

    def access_token(self) -> str:
        """The shared token: from the store, else fetched once under the store lock."""
        cached = self.store.get(rediskeys.access_token(self.settings.app_id))
        return cached.decode() if cached else self._refresh(failed=None)

    def _refresh(self, failed: str | None) -> str:
        """Drop `failed` if it is still cached, then re-read or fetch once under the lock."""
        key = rediskeys.access_token(self.settings.app_id)
        if failed is not None:
            self.store.delete_if_equals(key, failed)
        lock_ttl = 2 * self.settings.timeout + 5
        try:
            with self.store.lock(rediskeys.access_token_lock(self.settings.app_id), lock_ttl, lock_ttl):
                cached = self.store.get(key)
                if cached and cached.decode() != failed:
                    return cached.decode()  # another process fetched while we waited
                token, expires_in = self._fetch_token(failed)
                self.store.set(key, token, ttl=token_ttl(expires_in))
                return token
        except LockTimeout:
            raise WeChatUnavailable("timed out waiting for another process to fetch the token") from None

    def _fetch_token(self, failed: str | None) -> tuple[str, int]:
        """GET /cgi-bin/token, or POST /cgi-bin/stable_token when configured."""
        if self.settings.use_stable_token:
            return self._fetch_stable_token(failed)
        params = {"grant_type": "client_credential", "appid": self.settings.app_id,
                  "secret": self.settings.app_secret}
        return _token_from(self._raw("GET", "cgi-bin/token", params=params))

    def _fetch_stable_token(self, failed: str | None) -> tuple[str, int]:
        """POST /cgi-bin/stable_token (getStableAccessToken).

        Normal mode returns the current stable token while it is valid; only when that very token was
        just rejected do we ask once with force_refresh=true (WeChat allows 20 forced refreshes a day).
        """
        body = {"grant_type": "client_credential", "appid": self.settings.app_id,
                "secret": self.settings.app_secret, "force_refresh": False}
        token = _token_from(self._raw("POST", "cgi-bin/stable_token", json_body=body))
        if failed is not None and token[0] == failed:
            forced = {**body, "force_refresh": True}
            token = _token_from(self._raw("POST", "cgi-bin/stable_token", json_body=forced))
        return token

    def _raw(self, method: str, path: str, params: dict[str, str] | None = None,
             json_body: dict[str, Any] | None = None) -> dict[str, Any]:
        """A request that carries the app secret: errors are reported without URL or body."""
        data = json.dumps(json_body, ensure_ascii=False).encode() if json_body is not None else None
        try:
            res = self._http.request(method, self._api_root + path, params=params, data=data,
                                     timeout=self.settings.timeout)
        except requests.RequestException as exc:
            raise WeChatUnavailable(f"{path}: {type(exc).__name__}") from None
        if res.status_code != 200:
            raise WeChatUnavailable(f"{path}: HTTP {res.status_code}")
        try:
            result = res.json()
        except ValueError:
            raise WeChatUnavailable(f"{path}: response is not JSON") from None
        errcode = int(result.get("errcode", 0) or 0)
        if errcode:
            raise WeChatApiError(errcode, str(result.get("errmsg", "")))
        return dict(result)

    # ---- one call with the shared token -------------------------------------------------------

    def _call(self, endpoint: str, fn: Callable[[], T]) -> T:
        """Run a wechatpy call with the shared token; on a token error refresh once and retry once."""
        token = self.access_token()
        try:
            return self._call_with(token, endpoint, fn)
        except WeChatApiError as exc:
            if exc.errcode not in TOKEN_ERRCODES:
                raise
            log.info("WeChat rejected the access token (%s) on %s; refreshing once", exc.errcode, endpoint)
        fresh = self._refresh(failed=token)
        return self._call_with(fresh, endpoint, fn)

    def _call_with(self, token: str, endpoint: str, fn: Callable[[], T]) -> T:
        """Pin `token` for this thread and translate wechatpy and requests errors."""
        self.client._pinned.token = token
        try:
            result = fn()
        except WeChatClientException as exc:
            if exc.errcode is None:  # HTTP error status from raise_for_status
                raise WeChatUnavailable(f"{endpoint}: HTTP error") from None
            raise WeChatApiError(int(exc.errcode), str(exc.errmsg)) from None
        except requests.RequestException as exc:
            raise WeChatUnavailable(f"{endpoint}: {type(exc).__name__}") from None
        finally:
            self.client._pinned.token = None
        if isinstance(result, requests.Response):  # wechatpy returns the response when it is not JSON
            raise WeChatUnavailable(f"{endpoint}: response is not JSON")
        return result

    # ---- endpoints ----------------------------------------------------------------------------

    def send_text(self, openid: str, content: str) -> None:
        """Customer-service text message: POST /cgi-bin/message/custom/send (48 h after user contact)."""
        self._call("message/custom/send", lambda: self.client.message.send_text(openid, content))

    def send_template(self, openid: str, template_id: str, data: dict[str, str],
                      url: str | None = None) -> int:
        """Template message: POST /cgi-bin/message/template/send; returns WeChat's msgid.

        Since 2023 WeChat shows no first/remark lines and about 20 characters per field: checked here.
        """
        check_template_data(data)
        wrapped = {key: {"value": value} for key, value in data.items()}
        result = self._call("message/template/send",
                            lambda: self.client.message.send_template(openid, template_id, wrapped, url=url))
        return int(result.get("msgid", 0))

    def create_menu(self, menu: dict[str, Any]) -> None:
        """Create (replace) the custom menu: POST /cgi-bin/menu/create."""
        self._call("menu/create", lambda: self.client.menu.create(menu))

    def get_menu(self) -> dict[str, Any] | None:
        """Current custom menu: GET /cgi-bin/menu/get; None when there is none (errcode 46003)."""
        result: dict[str, Any] | None = self._call("menu/get", lambda: self.client.menu.get())
        return result

    def delete_menu(self) -> None:
        """Delete the custom menu: GET /cgi-bin/menu/delete."""
        self._call("menu/delete", lambda: self.client.menu.delete())

    # ---- web authorisation (OAuth 2.0 for H5 pages) -------------------------------------------

    def oauth_authorize_url(self, redirect_uri: str, state: str, scope: str = "snsapi_base") -> str:
        """The URL that starts web authorisation (网页授权); WeChat wants this parameter order.

        snsapi_base returns the openid silently. `state` is URL-encoded here because wechatpy's
        WeChatOAuth does not encode it.
        """
        query = urlencode([("appid", self.settings.app_id), ("redirect_uri", redirect_uri),
                           ("response_type", "code"), ("scope", scope), ("state", state)], quote_via=quote)
        base = self.settings.oauth_base_url.rstrip("/") + "/"
        return f"{base}connect/oauth2/authorize?{query}#wechat_redirect"

    def oauth_exchange_code(self, code: str) -> str:
        """Exchange a web-authorisation code for the openid: GET /sns/oauth2/access_token.

        A code works once and for 5 minutes: 40163 (reused) and 40029 (invalid) raise OAuthCodeRejected.
        """
        params = {"appid": self.settings.app_id, "secret": self.settings.app_secret,
                  "code": code, "grant_type": "authorization_code"}
        try:
            result = self._raw("GET", "sns/oauth2/access_token", params=params)
        except WeChatApiError as exc:
            if exc.errcode in OAUTH_CODE_ERRCODES:
                raise OAuthCodeRejected(exc.errcode, exc.errmsg) from None
            raise
        openid = result.get("openid")
        if not openid:
            raise WeChatUnavailable("sns/oauth2/access_token: no openid in the response")
        return str(openid)

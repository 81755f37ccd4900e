"""Face verification (人脸核身) behind a small interface, implemented with Tencent Cloud FaceID.

Flow for a WeChat H5 page: DetectAuth -> (Url, BizToken); the user does liveness and comparison on
Tencent's page and is sent back to RedirectUrl; GetDetectInfoEnhanced(BizToken, InfoType "1") then
returns the text result. Never trust the redirect's parameters: look the result up with the BizToken
recorded server-side. Every field of the result may be null, and null is kept None here (the caller
treats it as a failure). ID numbers and names are personal data: nothing here logs them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Protocol

from tencentcloud.common.credential import Credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.faceid.v20180301 import models
from tencentcloud.faceid.v20180301.faceid_client import FaceidClient

from app.config import FaceIdSettings

# SDK error codes that mean "could not get an answer", not "Tencent refused the request".
# ClientNetworkError: connection/timeout; ServerNetworkError: non-200 HTTP status; the others come
# from a body the SDK could not parse.
_UNAVAILABLE_CODES = frozenset({"ClientNetworkError", "ServerNetworkError", "JSONDecodeError",
                                "KeyError", "TypeError", "ValueError", "AttributeError"})


class FaceIdUnavailable(Exception):
    """FaceID could not be reached or answered badly (network, timeout, HTTP 5xx, internal error)."""


class FaceIdRejected(Exception):
    """FaceID refused the request, e.g. InvalidParameterValue.BizTokenExpired."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"FaceID error {code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True)
class FaceSession:
    """Where to send the user, and the token to fetch the result with (keep it server-side)."""

    url: str
    biz_token: str


@dataclass(frozen=True)
class FaceResult:
    """The text result of one verification; any field may be None (treat None as failure)."""

    err_code: int | None
    err_msg: str | None
    id_card: str | None
    name: str | None
    live_status: int | None
    compare_status: int | None
    sim: float | None
    extra: str | None

    def face_matched(self, threshold: float) -> bool:
        """ErrCode 0 and similarity at least `threshold` (identity and Extra are the caller's checks)."""
        return self.err_code == 0 and self.sim is not None and self.sim >= threshold


class FaceVerifier(Protocol):
    """What the services need from a face-verification provider."""

    def start(self, id_number: str, name: str, redirect_url: str, extra: str) -> FaceSession: ...

    def result(self, biz_token: str) -> FaceResult: ...


def _int_or_none(value: Any) -> int | None:
    """ErrCode/LiveStatus/Comparestatus are documented as integers; accept digit strings too."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def _float_or_none(value: Any) -> float | None:
    """Sim is a string such as "92.5"; empty or malformed gives None."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def parse_text(text: models.DetectInfoText | None) -> FaceResult:
    """FaceResult from the SDK's DetectInfoText (None when Tencent sent no Text)."""
    def get(name: str) -> Any:
        return getattr(text, name, None)

    return FaceResult(
        err_code=_int_or_none(get("ErrCode")),
        err_msg=_str_or_none(get("ErrMsg")),
        id_card=_str_or_none(get("IdCard")),
        name=_str_or_none(get("Name")),
        live_status=_int_or_none(get("LiveStatus")),
        compare_status=_int_or_none(get("Comparestatus")),
        sim=_float_or_none(get("Sim")),
        extra=_str_or_none(get("Extra")),
    )


def _translate(exc: TencentCloudSDKException) -> Exception:
    code = str(exc.get_code() or "")
    message = str(exc.get_message() or "")
    if code in _UNAVAILABLE_CODES or code.startswith("InternalError"):
        return FaceIdUnavailable(code)  # the message may hold a URL or body: not kept
    return FaceIdRejected(code, message)


def build_client(settings: FaceIdSettings) -> FaceidClient:
    """FaceidClient pointed at settings.endpoint/scheme; scheme and endpoint must be set first.

    The SDK sends POST to "{scheme}://{endpoint}" and signs Host = endpoint with path "/", so an
    endpoint with a path prefix ("127.0.0.1:5000/dev/fake-faceid") works too.
    """
    http = HttpProfile(endpoint=settings.endpoint, reqTimeout=settings.timeout)
    http.scheme = settings.scheme
    profile = ClientProfile(httpProfile=http)  # region breaker stays disabled (SDK default)
    return FaceidClient(Credential(settings.secret_id, settings.secret_key), settings.region, profile)


class TencentFaceVerifier:
    """FaceVerifier backed by Tencent Cloud FaceID through the official SDK."""

    def __init__(self, settings: FaceIdSettings, client: FaceidClient | None = None) -> None:
        # The SDK logs whole requests (ID number and name included) at DEBUG: never let that through.
        logging.getLogger("tencentcloud_sdk_common").setLevel(logging.INFO)
        self.settings = settings
        self.client = client or build_client(settings)

    def start(self, id_number: str, name: str, redirect_url: str, extra: str) -> FaceSession:
        """DetectAuth(RuleId, IdCard, Name, RedirectUrl, Extra) -> Url, BizToken (valid 7,200 s)."""
        request = models.DetectAuthRequest()
        request.RuleId = self.settings.rule_id
        request.IdCard = id_number
        request.Name = name
        request.RedirectUrl = redirect_url
        request.Extra = extra
        response = self._send(self.client.DetectAuth, request)
        if not response.Url or not response.BizToken:
            raise FaceIdUnavailable("DetectAuth answered without Url or BizToken")
        return FaceSession(url=response.Url, biz_token=response.BizToken)

    def result(self, biz_token: str) -> FaceResult:
        """GetDetectInfoEnhanced(BizToken, RuleId, InfoType="1"): text only, no images fetched."""
        request = models.GetDetectInfoEnhancedRequest()
        request.BizToken = biz_token
        request.RuleId = self.settings.rule_id
        request.InfoType = "1"
        response = self._send(self.client.GetDetectInfoEnhanced, request)
        if response.Text is None:
            raise FaceIdUnavailable("GetDetectInfoEnhanced answered without Text")
        return parse_text(response.Text)

    @staticmethod
    def _send(action: Any, request: Any) -> Any:
        try:
            return action(request)
        except TencentCloudSDKException as exc:
            raise _translate(exc) from None

"""Every Chinese sentence a verification verdict shows, kept together so it can be read and corrected."""

from __future__ import annotations

from app.domain.status import StatusCode

FORGED_HEADLINE = "伪造或被篡改的二维码"
FORGED_EXPLANATION = "该二维码不是本系统签发的有效证书码，或内容已被改动。请勿相信该证书，可向签发机关举报。"
KEY_REVOKED_HEADLINE = "签名密钥已吊销，无法证明真伪"
KEY_REVOKED_EXPLANATION = "签发该二维码的密钥已被吊销，此码不能作为证书真实的依据。请持证人下载最新的电子证照。"
EXPIRED_LIVE_HEADLINE = "二维码已过期，请持证人刷新"
EXPIRED_LIVE_EXPLANATION = "这是持证人手机上的动态亮证码，只在生成后几分钟内有效。截图或翻拍的旧码不能用于核验。"
NOT_OURS_HEADLINE = "非本系统二维码，谨防假冒"
NOT_OURS_EXPLANATION = "这不是本系统签发的证书二维码。仿冒网站也会显示“有效”，请只认官方核验网址。"
OTHER_SITE_EXPLANATION = "该二维码指向 {host}，不是官方核验网址 {official}。仿冒网站也会显示“有效”，请勿相信。"
DISGUISED_EXPLANATION = "该二维码的网址经过伪装（含“@”），不是本系统签发的证书二维码。请勿相信，请只认官方核验网址。"
TOO_LONG_EXPLANATION = "内容过长，不是本系统签发的证书二维码。"
MISSING_RECORD_HEADLINE = "签名有效，但查无证书记录"
MISSING_RECORD_EXPLANATION = "请联系签发机关核实该证书。"
CERT_NUMBER_HEADLINE = "这是证书编号，不是防伪二维码"
CERT_NUMBER_EXPLANATION = ("证书编号不能证明证书真伪。请同时提供持证人姓名查询，"
                           "或请持证人出示电子证照上的二维码扫码核验。")
CERT_NUMBER_NO_MATCH_HEADLINE = "未查到相符的证书"
CERT_NUMBER_NO_MATCH = ("未查到与该编号和姓名相符的证书。请核对编号和姓名（须与证书一致），"
                        "或请持证人出示电子证照二维码。")
CERT_NUMBER_FOUND_HEADLINE = "查到持证人的证书"
CERT_NUMBER_FOUND_EXPLANATION = "按证书编号和姓名查到，仅供参考（编号不含防伪签名）；请核对持证人照片与身份证件。"
LIVE_CODE_NOTE = "动态亮证码，{until} 前有效"
OFFICIAL_NOTICE = "官方核验网址为 {domain}（政府网站均以 .gov.cn 结尾）。仿冒网站可能显示“有效”，请认准该网址。"

GENUINE_HEADLINES: dict[StatusCode, str] = {
    StatusCode.VALID: "证书真实有效",
    StatusCode.REVIEW_DUE: "证书真实有效（待复审）",
    StatusCode.REVIEW_OVERDUE: "证书真实，但已失效（逾期未复审）",
    StatusCode.EXPIRED: "证书真实，但已过期",
    StatusCode.SUSPENDED: "证书真实，但已暂扣",
    StatusCode.REVOKED: "证书真实，但已撤销",
    StatusCode.CANCELLED: "证书真实，但已注销",
    StatusCode.SUPERSEDED: "证书真实，但已被第{current}版取代",
    StatusCode.UNPUBLISHED: "证书尚未发布",
}
GENUINE_EXPLANATIONS: dict[StatusCode, str] = {
    StatusCode.VALID: "二维码签名有效，证书当前有效。请查看持证人身份证件，核对姓名，并可核对身份证号码。",
    StatusCode.REVIEW_DUE: "二维码签名有效，证书当前有效，持证人应按期复审。",
    StatusCode.SUPERSEDED: "这是旧版本证书的二维码，不能再作为有效证明；请持证人出示第{current}版。",
}
DEFAULT_GENUINE_EXPLANATION = "二维码签名有效，但证书当前不可用作有效证明。"


def mask_name(name: str) -> str:
    """张伟 -> 张*, 张小伟 -> 张*伟: enough for someone holding the card to compare, no more."""
    if len(name) <= 2:
        return name[:1] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def genuine_texts(code: StatusCode, current: int | None) -> tuple[str, str]:
    """(headline, explanation) for a genuine token with this live status."""
    explanation = GENUINE_EXPLANATIONS.get(code, DEFAULT_GENUINE_EXPLANATION)
    return GENUINE_HEADLINES[code].format(current=current), explanation.format(current=current)


# --- The offline verifier (/inspect/offline, docs/offline.md) ------------------------------------
# Headlines match the online page's for the same status; the explanations say what the page could
# and could not check without a network.
OFFLINE_VALID_EXPLANATION = ("二维码签名有效；本机保存的状态列表中没有暂扣、撤销或注销记录。"
                             "请核对持证人姓名与身份证件。")
OFFLINE_LISTED_EXPLANATION = "二维码签名有效，但本机保存的状态列表显示该证书当前不可用作有效证明。"
OFFLINE_EXPIRED_EXPLANATION = "二维码签名有效，但证书已超过有效期。"
OFFLINE_UNCHECKED_HEADLINE = "签名有效，未核对证书状态"
OFFLINE_UNCHECKED_EXPLANATION = "本机没有可用的状态列表，无法确认证书是否被暂扣或撤销。请联网后点“更新”。"
OFFLINE_SUPERSEDED_HEADLINE = "证书真实，但已被新版本取代"
OFFLINE_CERT_NUMBER_HEADLINE = "证书编号无法离线核验"
OFFLINE_CERT_NUMBER_EXPLANATION = ("这只是证书编号，没有防伪签名。请联网后在公众号“扫码查询”中查询，"
                                   "或请持证人出示电子证照的二维码。")

# Wording the offline page builds at run time (ages, warnings, errors).
OFFLINE_UI: dict[str, str] = {
    "list_age": "状态列表更新于 {age}",
    "list_updated": "{age}更新",
    "list_stale": "状态列表已超过有效期（{until}），证书状态可能已变化，请联网后点“更新”。",
    "list_missing": "本机还没有状态列表，请联网后点“更新”。",
    "list_untrusted": "下载的状态列表签名无效，已忽略，仍使用本机保存的版本。",
    "keys_missing": "本机还没有签名公钥，请联网后打开本页。",
    "updated": "已更新：公钥 {keys} 个，状态列表 {entries} 条。",
    "updating": "正在联网更新…",
    "update_failed": "无法联网更新，继续使用本机保存的数据。",
    "just_now": "刚刚",
    "minutes_ago": "{n}分钟前",
    "hours_ago": "{n}小时前",
    "days_ago": "{n}天前",
    "no_qr": "图片中未找到二维码，请拍清楚后重试。",
    "bad_image": "无法读取这张图片，请换一张照片。",
    "camera_failed": "无法打开摄像头，请允许使用摄像头，或改用“选择照片”。",
    "camera_hint": "将二维码放在取景框内",
    "working": "正在核验…",
}

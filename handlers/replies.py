"""Every Chinese sentence the official account sends, in one place so it can be read and corrected."""

from __future__ import annotations

import re

# WeChat refuses passive text replies over 2048 bytes (UTF-8); keep a margin for the cut notice.
TEXT_LIMIT_BYTES = 2048
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")

WELCOME = (
    "欢迎关注电子证照服务！本公众号提供：\n"
    "1.【输入查询】发送“证件号码 姓名”，查询特种作业操作证和安全生产知识和管理能力考核合格证；\n"
    "2.【扫码查询】扫描证书上的二维码，核验证书真伪和当前状态；\n"
    "3.【我的证书】本人实名认证后查看、出示和下载电子证书。"
)
HELP = (
    "暂不支持该消息。请使用底部菜单：\n"
    "·【输入查询】发送“证件号码 姓名”查询证书\n"
    "·【扫码查询】扫描证书二维码核验真伪\n"
    "·【我的证书】查看本人电子证书"
)
QUERY_PROMPT = (
    "请在10分钟内发送“证件号码 姓名”或“证书编号 姓名”，中间用空格或逗号隔开。\n"
    "例如：11010519491231002X 张三"
)
QUERY_FORMAT = "未能识别查询内容。" + QUERY_PROMPT
QUERY_NO_MATCH = (
    "未查询到与该证件号码和姓名相符的证书。请核对证件号码和姓名（须与证书一致）。"
    "刚考试合格的，证书在考试合格后10个工作日内发布。"
)
# Lookup limits say when to try again and whom to call: app/services/lookup_limits.py (MESSAGES).
BUSY = "系统繁忙，请稍后再试。"
# A handler that misses WeChat's 5-second wait: the answer follows as a message and stays on this page.
LATE_NOTICE = "正在查询，结果稍后以消息发给您。如未收到，请在30分钟内<a href=\"{url}\">点此查看结果</a>。"
NOTHING_MORE = "已处理，没有需要告诉您的内容。"
ID_FORMAT_HINT = "证件号码格式有误：{detail}。请核对后重新发送“证件号码 姓名”。"
NAME_FORMAT_HINT = "姓名格式有误：{detail}。"
CUT_NOTICE = "\n……内容较长，完整内容请点击：<a href=\"{url}\">查看全部</a>"

SCAN_HOW_TO_CHECK = (
    "正确的核验方法：在本公众号点击【扫码查询】扫描证书二维码，或点击【输入查询】输入证件号码和姓名；"
    "官方核验网址只在 {domain} 域名下。"
)
SCAN_EMPTY = "未能读取二维码内容，请重新扫描。"
SCAN_NUMBER_NEEDS_NAME = (
    "扫描到的是证书编号，不是防伪二维码，编号本身不能证明证书真伪。\n"
    "请在10分钟内回复持证人姓名，查询该编号下的全部证书；"
    "或请持证人出示电子证照上的二维码扫码核验。"
)
SCAN_UNAVAILABLE = "核验服务暂时不可用，请稍后再试。"


def cert_count(count: int) -> str:
    """Headline of a query result."""
    return f"查询到{count}张证书："


def cert_block(index: int, fields: dict[str, str], link: str) -> str:
    """One certificate in a query reply: labelled lines and the detail link."""
    lines = [f"【{index}】{fields['证书类型']}"]
    lines += [f"{label}：{value}" for label, value in fields.items() if label != "证书类型" and value]
    lines.append(f"<a href=\"{link}\">查看证书详情</a>（30分钟内有效）")
    return "\n".join(lines)


def scan_verdict(headline: str, explanation: str, fields: dict[str, str]) -> str:
    """The reply to a scan: the verdict, then masked fields."""
    lines = [headline, explanation]
    lines += [f"{label}：{value}" for label, value in fields.items() if value]
    return "\n".join(lines)


def sanitize(text: str) -> str:
    """Make text safe inside a CDATA section: no `]]>`, no control characters (WeChat XML)."""
    return _CONTROL.sub("", text).replace("]]>", "]] >")


def fit(text: str, more_url: str, limit: int = TEXT_LIMIT_BYTES) -> str:
    """Cut text to `limit` UTF-8 bytes at a line boundary, adding a link to the full content."""
    if len(text.encode()) <= limit:
        return text
    notice = CUT_NOTICE.format(url=more_url)
    room = limit - len(notice.encode())
    kept: list[str] = []
    used = 0
    for line in text.split("\n"):
        size = len(line.encode()) + 1
        if used + size > room:
            if not kept:  # one huge line: cut by characters, never inside a link
                kept.append(_cut_chars(line, room))
            break
        kept.append(line)
        used += size
    return "\n".join(kept) + notice


def _cut_chars(line: str, room: int) -> str:
    """The longest prefix of `line` within `room` bytes, dropping a half-open <a ...> tag."""
    cut = line.encode()[:max(room - 1, 0)].decode(errors="ignore")
    opened = cut.rfind("<a ")
    return cut[:opened] if opened > cut.rfind("</a>") else cut


# Inspectors (app/services/inspector_binding.py, handlers/inspector.py)
BIND_DONE = ("绑定成功：本微信号已绑定执法人员账号 {username}。"
             "以后扫码查询将显示执法核查页面（含持证人照片和全名），每次核查都会记录。")
BIND_UNKNOWN = "绑定码无效、已过期或已使用。请在后台重新生成绑定码（10分钟内有效），再发送“绑定 六位数字”。"
BIND_LIMITED = "尝试次数过多，请10分钟后再试。"
BIND_TAKEN = "本微信号已绑定其他执法人员账号，请先在后台解除原绑定。"
SCAN_INSPECTOR_LINK = "<a href=\"{url}\">打开执法核查页面</a>（持证人照片、全名、身份证号核对，核查已记录）"
SCAN_PAGE_LINK = "<a href=\"{url}\">打开核验页面</a>（可核对身份证号码）"
SCAN_REPORT = "发现冒用、涂改证书的，可向签发机关举报：{authority}{phone}"


def report_line(authority: str, phone: str | None) -> str:
    """Where to report a misused certificate: its issuing authority and, when known, its phone."""
    return SCAN_REPORT.format(authority=authority, phone=f"，电话 {phone}" if phone else "")

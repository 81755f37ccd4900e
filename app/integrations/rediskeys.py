"""Every key name used in the shared key-value store, in one place.

Keys are relative: `RedisStore` adds its own prefix (default ``ecert:``) and `KVStore.lock(key)` adds
``lock:`` in front of the key it is given, so a lock name never collides with a value name.
Subjects that are personal data (ID numbers) must be passed already hashed (blind index), never plain.
"""

from __future__ import annotations


def access_token(app_id: str) -> str:
    """The WeChat access token of one official account, shared by every process."""
    return f"wechat:access_token:{app_id}"


def access_token_lock(app_id: str) -> str:
    """Lock held while one process fetches a new access token (others wait, then re-read)."""
    return f"wechat:access_token_refresh:{app_id}"


def msg_dedup(message_id: str) -> str:
    """Claim on one incoming WeChat message (MsgId; for events sender, CreateTime, Event, EventKey, scan)."""
    return f"wechat:msg:{message_id}"


def push_nonce(timestamp: str, nonce: str) -> str:
    """The message first seen with one signed (timestamp, nonce) pair: a reused pair must carry it again."""
    return f"wechat:nonce:{timestamp}:{nonce}"


def late_answer(message_id: str) -> str:
    """The answer to a message that missed the passive-reply budget, shown on its H5 page for 30 minutes."""
    return f"wechat:late:{message_id}"


def msg_reply(message_id: str) -> str:
    """The reply given to the first delivery of a message, replayed to WeChat's retries."""
    return f"wechat:reply:{message_id}"


def conversation(openid: str) -> str:
    """Short-lived conversation state of one WeChat user (e.g. waiting for `证件号码 姓名`)."""
    return f"wechat:conv:{openid}"


def scanned_number(openid: str) -> str:
    """A bare certificate number one user scanned, encrypted, waiting for the holder's name."""
    return f"wechat:scanned_number:{openid}"


def rate(scope: str, window: int, subject: str) -> str:
    """A rate-limit counter of one subject in one time window (app/services/ratelimit.py).

    e.g. rate("query:openid", 2947281, openid); hash personal subjects first.
    """
    return f"rate:{scope}:{window}:{subject}"


def oauth_state(state: str) -> str:
    """A pending WeChat web-authorisation `state`, bound to one browser session; used once."""
    return f"oauth:state:{state}"


def face_attempts(person_key: str, day: str) -> str:
    """Face-verification attempts of one person (blind index) on one day (YYYY-MM-DD)."""
    return f"faceid:attempts:{person_key}:{day}"


def fake_wechat_state(app_id: str) -> str:
    """Development only: state of the fake WeChat server when it is shared through the store."""
    return f"dev:fake_wechat:{app_id}"




def status_list(kid: str) -> str:
    """The signed status list for offline verifiers, as signed by key `kid` (rebuilt every few minutes)."""
    return f"verify:status_list:{kid}"



def inspector_bind_code(code_hash: str) -> str:
    """A one-time code an inspector sends in the official account to bind WeChat (keyed hash, 10 min)."""
    return f"inspector_bind:{code_hash}"

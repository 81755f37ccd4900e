"""CSRF protection for every HTML form and the security headers every response carries.

Flask-WTF's CSRFProtect checks POST/PUT/PATCH/DELETE requests. It is run from our own before_request
hook (WTF_CSRF_CHECK_DEFAULT off) so the exemptions are explicit path prefixes rather than blueprint
names: the WeChat webhook (authenticated by WeChat's signature), the JSON APIs (no cookies, own
authentication), the ID check on the /v/ verification page (it compares a typed number with the
code's own data, stores and changes nothing and uses no session: app/web/verify.py) and the
loopback fakes of WeChat and FaceID (development only).
"""

from __future__ import annotations

import secrets

from flask import Flask, Response, g, render_template, request
from flask_wtf.csrf import CSRFError, CSRFProtect

from app.web import bodylimit

CSRF_EXEMPT_PATHS = ("/wechat",)
CSRF_EXEMPT_PREFIXES = ("/wechat/", "/api/", "/v/", "/V/", "/dev/fake-wechat", "/dev/fake-faceid")
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Only our own host: no CDN, no external script, no framing (clickjacking of the back office).
# An inline <script> runs only with the page's nonce: <script nonce="{{ csp_nonce() }}">.
CONTENT_SECURITY_POLICY = ("default-src 'self'; img-src 'self' data:; style-src 'self'; "
                           "script-src 'self'{nonce}; object-src 'none'; base-uri 'self'; "
                           "frame-ancestors 'none'")
# What a page that compiles WebAssembly adds to script-src (the offline verifier's QR decoder):
# compiling our own .wasm only, still no eval of JavaScript strings.
WASM_SCRIPTS = " 'wasm-unsafe-eval'"


def content_security_policy(nonce: str | None = None, extra_scripts: str = "") -> str:
    """The policy with this response's nonce, if any, and extra script-src sources."""
    return CONTENT_SECURITY_POLICY.format(nonce=(f" 'nonce-{nonce}'" if nonce else "") + extra_scripts)
csrf = CSRFProtect()


def is_exempt(path: str) -> bool:
    """Whether a path is authenticated otherwise and so skips the CSRF check."""
    return path in CSRF_EXEMPT_PATHS or path.startswith(CSRF_EXEMPT_PREFIXES)


def _protect() -> None:
    """Apply the body limit, then check the CSRF token of an unsafe request unless its path is exempt."""
    bodylimit.enforce()
    if request.method in UNSAFE_METHODS and not is_exempt(request.path):
        csrf.protect(apply_exemptions=True)  # views marked @csrf.exempt are skipped too


def _csrf_failed(error: CSRFError) -> tuple[str, int]:
    """A missing or stale token: a plain Chinese page, status 400, nothing processed."""
    return render_template("errors/csrf.html", reason=error.description), 400


def csp_nonce() -> str:
    """This response's script nonce (template global), created when a template first asks."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return str(g.csp_nonce)


def _headers(response: Response) -> Response:
    """Security headers; a view that needs a different policy sets its own first."""
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Content-Security-Policy", content_security_policy(g.get("csp_nonce")))
    return response


def init_app(app: Flask) -> None:
    """Install CSRF protection and the security headers."""
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # the token lives as long as the session
    csrf.init_app(app)
    app.before_request(_protect)
    app.register_error_handler(CSRFError, _csrf_failed)
    app.after_request(_headers)
    app.add_template_global(csp_nonce)

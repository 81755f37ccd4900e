"""The offline page's verifier (js/src, run under Node) decides every token, list and text as Python does.

Beyond the named vectors of tests/offline_vectors.py, random byte changes are made to the payload and
to the protected header and then *signed again*, so the signature passes and the two strict CBOR and
claim parsers must agree on their own; the same for the status list's payload.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
from pathlib import Path
from typing import Any

import cbor2
import pytest

from app.domain import qrtoken as q
from app.domain.keyring import PublicKeyEntry, SigningKey, new_signing_key, to_jwks
from tests import offline_vectors as ov
from tests.unit.test_qrtoken import _claims

JS = Path(__file__).resolve().parents[2] / "js"
NOW = 1_795_000_000
BASE_URL = "https://cx.yjj.cq.gov.cn"
READER = {"cert_id": "certId", "version": "version", "code": "code", "personnel_type": "personnelType",
          "holder_name": "holderName", "masked_id_number": "maskedIdNumber", "authority_code": "authorityCode"}


def _require_node() -> None:
    if shutil.which("node") and (JS / "node_modules" / "@noble" / "ed25519").is_dir():
        return
    if os.environ.get("CI") == "true":
        pytest.fail("Node.js or js/node_modules is missing (make system-deps js)")
    pytest.skip("Node.js or js/node_modules is missing: run `make js`")


def run_js(payload: dict[str, Any]) -> dict[str, Any]:
    _require_node()
    done = subprocess.run(["node", "test/parity.mjs"], cwd=JS, input=json.dumps(payload), capture_output=True,
                          text=True, timeout=300, check=True)
    assert done.stderr == ""  # no input made the JavaScript throw
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def _claims_js(claims: q.CertClaims | None) -> dict[str, Any] | None:
    if claims is None:
        return None
    out: dict[str, Any] = {js: getattr(claims, py) for py, js in READER.items()}
    return out | {"kind": int(claims.kind), "idCheck": claims.id_check.hex(),
                  "validFrom": (claims.valid_from - q.EPOCH).days, "validUntil": (claims.valid_until - q.EPOCH).days}


def _resealed(protected: bytes, payload: bytes, signer: SigningKey) -> bytes:
    """A COSE_Sign1 with these exact header and payload bytes and a good signature."""
    signature = signer.private_key.sign(cbor2.dumps(["Signature1", protected, b"", payload]))
    return cbor2.dumps(cbor2.CBORTag(18, [protected, {}, payload, signature]), canonical=True)


def _mutated(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 3)):
        out[rng.randrange(len(out))] = rng.choice([rng.randrange(256), 0x00, 0x18, 0x40, 0x60, 0xa0, 0xf5, 0xf9])
    return bytes(out)


def _fuzzed_tokens(token: bytes, signer: SigningKey, rng: random.Random) -> list[bytes]:
    protected, _, payload, _ = cbor2.loads(token).value
    return ([_resealed(protected, _mutated(payload, rng), signer) for _ in range(1500)]
            + [_resealed(_mutated(protected, rng), payload, signer) for _ in range(300)]
            + [_mutated(token, rng) for _ in range(200)])


@pytest.fixture(scope="module")
def world() -> dict[str, Any]:
    signer, revoked = new_signing_key(), new_signing_key()
    keys = {signer.kid: PublicKeyEntry(signer.kid, signer.private_key.public_key()),
            revoked.kid: PublicKeyEntry(revoked.kid, revoked.private_key.public_key(), revoked=True)}
    return {"signer": signer, "revoked": revoked, "keys": keys, "jwks": to_jwks(keys.values())}


def _lists(signer: SigningKey, revoked: SigningKey, rng: random.Random) -> list[bytes]:
    entries = {q.status_entry("k7Qm2xVb9RtP4wZcH3nA", 2): q.ListedStatus.SUSPENDED,
               q.status_entry("other", 1): q.ListedStatus.SUPERSEDED}
    good = q.sign_status_list(entries, NOW - 60, 3600, signer, "CN-CQ-YJJ")
    protected, _, payload, _ = cbor2.loads(good).value
    return [good, q.sign_status_list(entries, NOW - 7200, 3600, signer, "CN-CQ-YJJ"),
            q.sign_status_list(entries, NOW, 3600, revoked, "CN-CQ-YJJ"),
            q.sign_certificate(_claims(), signer, "CN-CQ-YJJ", NOW),
            *[_resealed(protected, _mutated(payload, rng), signer) for _ in range(400)]]


@pytest.mark.parametrize("without_webcrypto", [False, True], ids=["webcrypto", "noble"])
def test_the_javascript_verifier_agrees_with_python_on_every_input(world: dict[str, Any],
                                                                    without_webcrypto: bool) -> None:
    signer, revoked, keys = world["signer"], world["revoked"], world["keys"]
    rng = random.Random(14)
    vectors = [*ov.forgery_vectors(BASE_URL, signer, NOW), *ov.parity_vectors(BASE_URL, signer, NOW),
               *ov.key_vectors(BASE_URL, revoked, NOW), *ov.live_vectors(BASE_URL, signer, _claims(), NOW - 3000),
               *ov.TEXT_VECTORS]
    base = q.sign_certificate(_claims(), signer, "CN-CQ-YJJ", NOW)
    tokens = [v.token for v in vectors if v.token is not None] + _fuzzed_tokens(base, signer, rng)
    lists = _lists(signer, revoked, rng)
    got = run_js({"jwks": world["jwks"], "now": NOW, "tokens": [t.hex() for t in tokens],
                  "lists": [d.hex() for d in lists], "texts": [v.text for v in vectors],
                  "noWebCryptoEd25519": without_webcrypto})
    assert got["engine"] == ("noble" if without_webcrypto else "webcrypto")
    want_tokens = [{"outcome": r.outcome.value, "claims": _claims_js(r.claims), "expiresAt": r.expires_at}
                   for r in (q.verify(t, keys, NOW) for t in tokens)]
    assert [i for i, (a, b) in enumerate(zip(got["tokens"], want_tokens, strict=True)) if a != b] == []
    assert sum(t["outcome"] == "genuine" for t in want_tokens) > 20  # the fuzz does reach the claim checks
    checked = [q.verify_status_list(d, keys, NOW) for d in lists]
    want_lists = [{"outcome": s.outcome.value, "entries": {k.hex(): s.entries[k].name.lower() for k in s.entries}}
                  for s in checked]
    assert got["lists"] == want_lists
    today_list = checked[0]
    want_texts = [ov.expected(v, keys, today_list, NOW).value for v in vectors]
    assert dict(zip([v.name for v in vectors], got["texts"], strict=True)) == dict(
        zip([v.name for v in vectors], want_texts, strict=True))

"""Helpers for the manual-review tests: holders with certificates, a signed-in worker, staff, images."""

from __future__ import annotations

import io
import random
import re
import secrets
from dataclasses import dataclass
from datetime import date, timedelta

from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import select

from app.domain.catalogue import Catalogue
from app.domain.identity import certificate_identity
from app.domain.idnumber import mask_middle
from app.domain.pii import PiiCipher
from app.services.demo import id_number as id_number_for
from app.services.demo import person_name
from app.services.registry import id_lookup_hash
from app.services.staff import create_staff
from app.storage.models import Certificate, Person, WechatUser
from app.web.h5.session import OPENID_KEY
from tests.integration.staff_fixtures import code_for, enrol, secret_of

CHONGQING = "重庆市应急管理局"
SICHUAN = "四川省应急管理厅"
PASSWORD = "correct-horse-battery"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass(frozen=True)
class Holder:
    """A holder imported through the real import path, and the openid that registered as them."""

    person_id: int
    name: str
    id_number: str
    openid: str


def _certificate(pii: PiiCipher, person: Person, authority: str, kind: str, valid_from: date) -> Certificate:
    """A current certificate row (written directly: these tests are about review, not import)."""
    catalogue = Catalogue.load_default()
    named = catalogue.authority(authority)
    assert named is not None, authority
    category = catalogue.categories[0]
    cert_no = "T" + person.id_masked if kind == "special_ops" else f"AQ{secrets.randbelow(10**8):08d}"
    special = kind == "special_ops"
    codes = (category.code, category.items[0].code, None, None) if special else (None, None, "1", "01")
    return Certificate(
        identity=certificate_identity(kind, *codes), personnel_type_code=codes[2], industry_code=codes[3],
        public_id=secrets.token_urlsafe(12)[:16], cert_no_hash=pii.blind_index("cert", cert_no + person.name),
        cert_no_enc=pii.encrypt(cert_no, b"certificates.cert_no"), cert_no_masked=mask_middle(cert_no),
        version=1, is_current=True, person_id=person.id, kind=kind,
        category_code=category.code if kind == "special_ops" else None,
        item_code=category.items[0].code if kind == "special_ops" else None,
        first_issue_date=valid_from, valid_from=valid_from,
        valid_until=valid_from.replace(year=valid_from.year + 6) - timedelta(days=1),
        issuing_authority=named.name, authority_code=named.code, fingerprint=secrets.token_hex(16))


def import_holder(app: Flask, authority: str = CHONGQING, seed: int = 1, openid: str | None = None,
                  ) -> Holder:
    """A new holder with one certificate, and an openid registered (claimed, not verified) as them."""
    rng = random.Random(seed)
    id_number = id_number_for(rng, "男", date(1980 + seed % 20, 5, 17))
    name = person_name(rng)
    pii: PiiCipher = app.extensions["pii"]
    openid = openid or f"o-worker-{seed:04d}"
    with app.extensions["db"].session() as session:
        person = Person(id_hash=id_lookup_hash(pii, id_number), name=name, gender="男",
                        id_number_enc=pii.encrypt(id_number, b"people.id_number"),
                        id_masked=mask_middle(id_number))
        session.add(person)
        session.flush()
        session.add(_certificate(pii, person, authority, "special_ops", date(2024, 3, 1)))
        session.add(WechatUser(openid=openid, claimed_person_id=person.id))
        return Holder(person.id, name, id_number, openid)


def add_certificate(app: Flask, holder: Holder, authority: str) -> None:
    """A second certificate of the same holder, issued by another authority."""
    with app.extensions["db"].session() as session:
        person = session.get(Person, holder.person_id)
        assert person is not None
        session.add(_certificate(app.extensions["pii"], person, authority, "safety_mgmt", date(2025, 5, 1)))


def sign_in_worker(client: FlaskClient, openid: str) -> None:
    """What WeChat sign-in leaves in the session cookie."""
    with client.session_transaction() as session:
        session[OPENID_KEY] = openid


def csrf_from(html: str) -> str:
    """The CSRF token of the first form on a page."""
    found = _CSRF.search(html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def make_staff(app: Flask, username: str, role: str = "reviewer", authority: str = CHONGQING,
               enrolled: bool = True) -> int:
    """A staff account with the standard test password and (unless told otherwise) an authenticator."""
    with app.extensions["db"].session() as session:
        staff = create_staff(session, username, PASSWORD, role.split(","), authority, app.extensions["clock"].now())
        staff_id = staff.id
    if enrolled:
        enrol(app, username)
    return staff_id


def staff_login(client: FlaskClient, username: str, password: str = PASSWORD) -> None:
    """Sign a staff member in through the login form and the code page (enrolling first if needed)."""
    token = csrf_from(client.get("/admin/login").get_data(as_text=True))
    response = client.post("/admin/login", data={"username": username, "password": password,
                                                 "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)
    step = response.headers["Location"]
    page = client.get(step).get_data(as_text=True)
    app = client.application
    secret = secret_of(app, username)
    answer = client.post(step, data={"csrf_token": csrf_from(page), "code": code_for(app, secret, username)})
    assert answer.status_code in (200, 302), answer.get_data(as_text=True)


def jpeg_bytes(size: tuple[int, int] = (320, 240), color: str = "#c0a080") -> bytes:
    """A small real JPEG."""
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "JPEG")
    return out.getvalue()


def png_with_exif() -> bytes:
    """A PNG carrying an eXIf chunk with a camera make and GPS latitude (must not survive)."""
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif[0x8825] = {1: "N", 2: (29.0, 33.0, 0.0)}  # GPS IFD: latitude
    out = io.BytesIO()
    Image.new("RGB", (200, 150), "#80a0c0").save(out, "PNG", exif=exif)
    return out.getvalue()


SECRETS_IN_METADATA = (b"<script>", b"SecretCam", b"29.5630N", b"Jiefangbei", b"CustomProfileNote")


def jpeg_with_metadata() -> bytes:
    """A JPEG carrying every kind of metadata segment, each with text that must not survive.

    COM (a script tag and GPS text), APP1 EXIF (camera and GPS), APP1 XMP (GPS), APP2 ICC (a profile
    with a custom description) and APP13 Photoshop/IPTC (a street name).
    """
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif[0x8825] = {1: "N", 2: (29.0, 33.0, 0.0)}  # GPS IFD: latitude
    xmp = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
           b'<rdf:Description exif:GPSLatitude="29.5630N"/></rdf:RDF></x:xmpmeta>')
    out = io.BytesIO()
    Image.new("RGB", (200, 150), "#a08060").save(
        out, "JPEG", comment=b"<script>alert(1)</script> GPS 29.5630N 106.5516E", exif=exif, xmp=xmp,
        icc_profile=_icc_profile_with_note())
    record = b"\x1c\x02\x5c\x00\x0aJiefangbei\x00"  # IPTC 2:92, sub-location
    iptc = b"Photoshop 3.0\x00" + b"8BIM\x04\x04\x00\x00" + len(record).to_bytes(4, "big") + record
    app13 = b"\xff\xed" + (len(iptc) + 2).to_bytes(2, "big") + iptc
    data = out.getvalue()
    return data[:2] + app13 + data[2:]


def _icc_profile_with_note() -> bytes:
    """The sRGB profile with a text tag appended to its bytes (decoders keep the segment whole)."""
    from PIL import ImageCms

    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    return profile + b"CustomProfileNote"


def jpeg_segments(data: bytes) -> list[tuple[int, bytes]]:
    """The marker segments of a JPEG up to the image data, as (marker, payload)."""
    assert data[:2] == b"\xff\xd8", "not a JPEG"
    segments, at = [], 2
    while at < len(data):
        marker = data[at + 1]
        length = int.from_bytes(data[at + 2:at + 4], "big")
        segments.append((marker, data[at + 4:at + 2 + length]))
        if marker == 0xDA:  # start of scan: entropy-coded data follows
            break
        at += 2 + length
    return segments


def submit_form(client: FlaskClient, authority: str = CHONGQING, description: str = "公安库里没有我的照片",
                photos: dict[str, bytes] | None = None) -> tuple[int, str, str]:
    """Post the request form like a phone would; returns (status, location, page text)."""
    page = client.get("/h5/review/new")
    assert page.status_code == 200, page.status_code
    data: dict[str, object] = {"csrf_token": csrf_from(page.get_data(as_text=True)), "authority": authority,
                               "description": description}
    for kind, content in (photos if photos is not None else {"holding_id": jpeg_bytes()}).items():
        data[kind] = (io.BytesIO(content), f"{kind}.jpg")
    response = client.post("/h5/review/new", data=data, content_type="multipart/form-data")
    return response.status_code, response.headers.get("Location", ""), response.get_data(as_text=True)


def wechat_user(app: Flask, openid: str) -> WechatUser | None:
    """The openid's row as stored now."""
    with app.extensions["db"].session() as session:
        return session.scalar(select(WechatUser).where(WechatUser.openid == openid))

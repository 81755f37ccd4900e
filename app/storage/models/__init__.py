"""All models, imported here so Alembic and create_all see every table."""

from app.storage.models.accounts import DownloadLog, FaceAttempt, WechatUser
from app.storage.models.actions import CertificateAction, CorrectionRequest
from app.storage.models.audit import AuditEntry
from app.storage.models.calendar import CalendarYear
from app.storage.models.certificates import Certificate, CertificateChange, Photo, RenewalReview
from app.storage.models.imports import ImportJob, ImportRun
from app.storage.models.inspections import Inspection
from app.storage.models.notices import CertificateNotice, SharedCopy, SharedCopyView
from app.storage.models.people import Person
from app.storage.models.preferences import HolderPreference
from app.storage.models.reviews import ManualReviewRequest, Notification, ReviewPhoto, Staff
from app.storage.models.staffauth import LoginFailure, RecoveryCode, StaffSession
from app.storage.models.stats import CertificateVerificationCount, VerificationCount

__all__ = [
    "AuditEntry",
    "CalendarYear",
    "Certificate",
    "CertificateAction",
    "CertificateChange",
    "CertificateNotice",
    "CertificateVerificationCount",
    "CorrectionRequest",
    "DownloadLog",
    "FaceAttempt",
    "HolderPreference",
    "ImportJob",
    "ImportRun",
    "Inspection",
    "LoginFailure",
    "ManualReviewRequest",
    "Notification",
    "Person",
    "Photo",
    "RecoveryCode",
    "RenewalReview",
    "ReviewPhoto",
    "SharedCopy",
    "SharedCopyView",
    "Staff",
    "StaffSession",
    "VerificationCount",
    "WechatUser",
]

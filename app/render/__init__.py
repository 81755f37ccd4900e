"""Certificate images and PDFs from plain display values (no Flask, no database)."""

from __future__ import annotations

from app.render.card import render_image, render_png
from app.render.certificate import CertificateView
from app.render.marks import Annotation
from app.render.pdf import render_pdf

__all__ = ["Annotation", "CertificateView", "render_image", "render_pdf", "render_png"]

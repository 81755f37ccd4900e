"""Certificate images and PDFs from plain display values (no Flask, no database)."""

from __future__ import annotations

from app.render.certificate import CertificateView, render_png
from app.render.pdf import render_pdf

__all__ = ["CertificateView", "render_pdf", "render_png"]

"""Review pages: sessions, session detail, trend, export, report, delete."""

from flask import Blueprint

bp = Blueprint("review", __name__, url_prefix="/review")

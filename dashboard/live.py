"""Live page, Server-Sent Events stream and session control."""

from flask import Blueprint

bp = Blueprint("live", __name__)

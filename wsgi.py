"""The WSGI entry point: gunicorn wsgi:app."""

import sys

from api import create_app
from coordination.config import ConfigError

try:
    app = create_app()
except ConfigError as error:
    # A worker that cannot be configured must not boot: say which setting, then stop gunicorn.
    sys.stderr.write(f"pathways: configuration: {error}\n")
    raise SystemExit(2) from None

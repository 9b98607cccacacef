"""The ``steplabel`` command line."""

from steplabel.cli.app import app

__all__ = ["app"]

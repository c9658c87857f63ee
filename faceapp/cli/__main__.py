"""``python -m faceapp.cli`` → ``faceapp-cli``."""

from faceapp.cli import entry_point

entry_point()

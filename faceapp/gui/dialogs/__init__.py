"""Dialogs that stand alone: model files (download, import) and calibration."""

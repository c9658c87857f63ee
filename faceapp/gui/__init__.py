"""faceapp's window (PySide6 only here).  TensorFlow is imported by the worker thread, never here."""

"""faceapp's window (PySide6 only here).  ONNX Runtime is imported by the worker thread, never here."""

"""The engine thread: one worker that owns the models and the library connection, and the jobs it runs."""

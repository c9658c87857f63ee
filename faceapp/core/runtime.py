"""ONNX Runtime, in one place: which execution providers run faceapp's graphs, and a session from a graph's bytes or file.

CPU by default.  ``FACEAPP_PROVIDERS`` (a comma-separated list of ONNX Runtime
provider names, most preferred first, e.g. ``CUDAExecutionProvider`` or
``CoreMLExecutionProvider,CPUExecutionProvider``) chooses others; the CPU
provider is always appended last, so a provider lacking an operator falls back
instead of failing.  Only the CPU path is tested here.

``FACEAPP_THREADS`` (a whole number ≥ 1) sets the threads one pass may use; unset,
ONNX Runtime chooses (one per core).  A cluster's worker processes set it so that
the workers on one machine share its cores instead of each taking all of them.

``onnxruntime`` is imported when a session is made, never at import time.

The C allocator (glibc's malloc, on Linux) is part of a pass's cost: detection
allocates and frees tens of megabytes per photo, and memory handed back to the
system must be faulted in again on the next photo.  :func:`settle_allocator`
fixes the thresholds a process would otherwise only reach by itself — and never
reaches in a Dask worker, whose nanny sets ``MALLOC_TRIM_THRESHOLD_`` to 64 KiB
(which also turns glibc's adaptive thresholds off).
"""

from __future__ import annotations

import ctypes
import os
import platform
from typing import Any

from faceapp.core.errors import FaceAppError

__all__ = ["PROVIDERS_ENV", "THREADS_ENV", "INTRA_OP_THREADS", "ALLOW_SPINNING", "CPU_MEMORY_ARENA",
           "execution_providers", "pass_threads", "session", "settle_allocator", "MMAP_THRESHOLD", "TRIM_THRESHOLD"]

#: Environment variable naming the execution providers, most preferred first.
PROVIDERS_ENV = "FACEAPP_PROVIDERS"
_CPU = "CPUExecutionProvider"
#: Environment variable: threads of one pass (unset: :data:`INTRA_OP_THREADS`).
THREADS_ENV = "FACEAPP_THREADS"
#: Threads of one pass: 0 = ONNX Runtime's choice (one per physical core; BENCHMARKS.md, "ONNX Runtime threads").
INTRA_OP_THREADS = 0
#: Whether idle pass threads busy-wait for the next operator.  Off: on a desktop the cores are
#: shared, and spinning threads took CPU from everything else, this pass included (BENCHMARKS.md).
ALLOW_SPINNING = False
#: Whether sessions keep ONNX Runtime's own CPU memory arena.  Without it memory stays flat over 1,000 photos
#: and about 200 MB lower (with it, one step of +8.5 % during the second pass over the photo sizes, then
#: flat), but a 2,400-px photo takes 11–13 % longer: kept (BENCHMARKS.md, "Memory over 1,000 photos on
#: ONNX Runtime").
CPU_MEMORY_ARENA = True
#: Blocks at least this large are mapped from the system on their own (glibc's adaptive ceiling, 32 MiB):
#: smaller ones — every pyramid level of a working-size photo — come from the heap and are reused.
MMAP_THRESHOLD = 32 * 1024 * 1024
#: Free memory above this at the heap's top goes back to the system (glibc's adaptive value: twice the
#: threshold above).  64 KiB in a Dask worker cost 1.6x the CPU per detection (BENCHMARKS.md, "Cluster scans").
TRIM_THRESHOLD = 2 * MMAP_THRESHOLD
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters (malloc.h)


def execution_providers(requested: str | None = None) -> list[str]:
    """The providers a session should use: ``requested`` (or ``$FACEAPP_PROVIDERS``), the CPU last.

    Raises FaceAppError naming a provider this ONNX Runtime does not have, with the ones it has.
    """
    import onnxruntime

    text = requested if requested is not None else os.environ.get(PROVIDERS_ENV, "")
    wanted = [name.strip() for name in text.split(",") if name.strip()]
    available = onnxruntime.get_available_providers()
    unknown = [name for name in wanted if name not in available]
    if unknown:
        raise FaceAppError(f"ONNX Runtime here has no execution provider {unknown[0]!r}; set {PROVIDERS_ENV} "
                           f"to some of {', '.join(available)} or leave it empty for the CPU.")
    return [name for name in wanted if name != _CPU] + [_CPU]


def pass_threads() -> int:
    """Threads one pass may use: ``$FACEAPP_THREADS`` if set, else :data:`INTRA_OP_THREADS` (0: ONNX Runtime's
    choice).  Raises FaceAppError for a value that is not a whole number of at least 1."""
    text = os.environ.get(THREADS_ENV, "").strip()
    if not text:
        return INTRA_OP_THREADS
    if not text.isdigit() or int(text) < 1:
        raise FaceAppError(f"{THREADS_ENV} is {text!r}; set it to a whole number of threads (1 or more) "
                           "or unset it to use every core.")
    return int(text)


def session(model: bytes | os.PathLike, requested: str | None = None) -> Any:
    """An ``onnxruntime.InferenceSession`` for a serialised ONNX graph (bytes or a file), on :func:`execution_providers`."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    # One pass at a time per session; its threads split each operator (BENCHMARKS.md, "ONNX Runtime threads").
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    options.inter_op_num_threads = 1
    options.intra_op_num_threads = pass_threads()
    options.add_session_config_entry("session.intra_op.allow_spinning", "1" if ALLOW_SPINNING else "0")
    options.enable_cpu_mem_arena = CPU_MEMORY_ARENA
    options.log_severity_level = 3  # warnings about the graph mean nothing to a user of the CLI
    source = model if isinstance(model, bytes) else os.fspath(model)
    return onnxruntime.InferenceSession(source, sess_options=options, providers=execution_providers(requested))


def settle_allocator() -> bool:
    """Set glibc's mmap and trim thresholds to :data:`MMAP_THRESHOLD` and :data:`TRIM_THRESHOLD`.

    For this whole process, from now on; whatever the environment said.  Returns
    whether it applied (False where the C library is not glibc: other allocators
    keep their own ways, and nothing is changed).
    """
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))

"""ONNX Runtime, in one place: which execution providers run faceapp's graphs, and a session from a graph's bytes or file.

CPU by default.  ``FACEAPP_PROVIDERS`` (a comma-separated list of ONNX Runtime
provider names, most preferred first, e.g. ``CUDAExecutionProvider`` or
``CoreMLExecutionProvider,CPUExecutionProvider``) chooses others; the CPU
provider is always appended last, so a provider lacking an operator falls back
instead of failing.  Only the CPU path is tested here.

``FACEAPP_THREADS`` (a whole number ≥ 1) sets the threads one pass may use; unset,
ONNX Runtime chooses (one per core).  Passes that run two at once (the detector's,
:data:`faceapp.core.detection.mtcnn.LEVEL_WORKERS`) each get a share of :func:`cores`.
A cluster's worker processes set it so that the workers on one machine share its
cores instead of each taking all of them.

``onnxruntime`` is imported when a session is made, never at import time.

The C allocator (glibc's malloc, on Linux) is part of a pass's cost: detection
allocates and frees tens of megabytes per photo, and memory handed back to the
system must be faulted in again on the next photo.  :func:`settle_allocator`
fixes the thresholds a process would otherwise only reach by itself — and never
reaches in a Dask worker, whose nanny sets ``MALLOC_TRIM_THRESHOLD_`` to 64 KiB
(which also turns glibc's adaptive thresholds off).

All of a process's sessions share one memory arena (ONNX Runtime's environment
allocator, registered with the first session), its first block
:data:`SHARED_ARENA_FIRST_BLOCK`: every pass of every network draws on the same
memory instead of each session growing its own pool.
"""

from __future__ import annotations

import ctypes
import os
import platform
import threading
from typing import Any

from faceapp.core.errors import FaceAppError

__all__ = ["PROVIDERS_ENV", "THREADS_ENV", "INTRA_OP_THREADS", "ALLOW_SPINNING", "CPU_MEMORY_ARENA", "SHARE_ARENA",
           "SHARED_ARENA_FIRST_BLOCK", "cores", "execution_providers", "pass_threads", "session", "settle_allocator",
           "MMAP_THRESHOLD", "TRIM_THRESHOLD"]

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
#: Whether sessions use ONNX Runtime's CPU memory arena.  Without one a 2,400-px photo takes 10–13 % longer
#: (BENCHMARKS.md, "Memory over 1,000 photos on ONNX Runtime", as for the two below).
CPU_MEMORY_ARENA = True
#: Whether the sessions with an arena share one.  Each with its own (ONNX Runtime's default), memory took a
#: step of +8.5 % during the second pass over the photo sizes, and +48 % with group photos in the mix;
#: shared, it stays within 2.3 % from photo 50 and ends 200–600 MB lower, at the same speed.
SHARE_ARENA = True
#: The shared arena's first block: large enough for the largest pass (a P-Net level of a working-size
#: photo; a recognition pass of ``vggface.runtime.PASS_FACES`` faces), so that the arena does not grow in
#: steps as new sizes come.  Address space: pages become resident as passes use them.
SHARED_ARENA_FIRST_BLOCK = 256 * 1024 * 1024
_ARENA_NEXT_POWER_OF_TWO = 0  # OrtArenaCfg's arena_extend_strategy: should it grow, double the last block
_arena_lock = threading.Lock()
_arena_shared: list[bool] = []  # [whether the shared arena could be registered], once per process
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


def cores() -> int:
    """The cores faceapp's passes may use together: ``$FACEAPP_THREADS`` if set, else those this process may run on."""
    threads = pass_threads()
    if threads:
        return threads
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def session(model: bytes | os.PathLike, requested: str | None = None, threads: int | None = None) -> Any:
    """An ``onnxruntime.InferenceSession`` for a serialised ONNX graph (bytes or a file), on :func:`execution_providers`.

    ``threads``: the threads of each of its passes (default :func:`pass_threads`), for a session whose passes
    run several at once."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    # One pass at a time per session; its threads split each operator (BENCHMARKS.md, "ONNX Runtime threads").
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    options.inter_op_num_threads = 1
    options.intra_op_num_threads = pass_threads() if threads is None else threads
    options.add_session_config_entry("session.intra_op.allow_spinning", "1" if ALLOW_SPINNING else "0")
    options.enable_cpu_mem_arena = CPU_MEMORY_ARENA
    if CPU_MEMORY_ARENA and SHARE_ARENA and _share_arena(onnxruntime):
        options.add_session_config_entry("session.use_env_allocators", "1")
    options.log_severity_level = 3  # warnings about the graph mean nothing to a user of the CLI
    source = model if isinstance(model, bytes) else os.fspath(model)
    return onnxruntime.InferenceSession(source, sess_options=options, providers=execution_providers(requested))


def _share_arena(onnxruntime: Any) -> bool:
    """Register the process's one CPU arena with ONNX Runtime's environment, the first time; whether sessions
    can use it (False if this ONNX Runtime refused it: each session then keeps its own arena, as by default)."""
    with _arena_lock:
        if not _arena_shared:
            try:
                memory = onnxruntime.OrtMemoryInfo("Cpu", onnxruntime.OrtAllocatorType.ORT_ARENA_ALLOCATOR, 0,
                                                   onnxruntime.OrtMemType.DEFAULT)
                # No limit, doubling growth, the first block, ONNX Runtime's default for splitting blocks.
                onnxruntime.create_and_register_allocator(
                    memory, onnxruntime.OrtArenaCfg(0, _ARENA_NEXT_POWER_OF_TWO, SHARED_ARENA_FIRST_BLOCK, -1))
                _arena_shared.append(True)
            except Exception:  # noqa: BLE001 - ONNX Runtime's own errors derive from Exception alone
                _arena_shared.append(False)
        return _arena_shared[0]


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

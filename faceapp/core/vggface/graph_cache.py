"""A model's ONNX graph, built once per weights file and kept beside it.

Building a graph means reading and checking the whole weights file and folding every
batch normalisation: 2–16 s here (BENCHMARKS.md, "ONNX graphs").  So the serialized
graph is written to ``<model folder>/onnx/<weights file stem>.<fingerprint>.onnx``
with a small JSON record beside it: the weights file it came from (name, size,
modification time), the weights' fingerprint, the graph format version and the
graph's SHA-256.  A later load whose weights file is unchanged checks the graph's
SHA-256 (streamed) and hands ONNX Runtime the file's path, without opening the
weights file or importing ``onnx``: a session made from the path never holds a
second, Python copy of the graph (157 MB for ResNet-50), which is what kept a cold
``verify`` above 600 MB (BENCHMARKS.md, "Cold verify").
A graph whose checksum does not match (a corrupt or truncated cache) is rebuilt,
never run.  A model folder that cannot be written only costs the cache.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Graph", "build_graph_bytes", "load_graph", "CACHE_FOLDER", "GRAPH_VERSION"]

log = logging.getLogger(__name__)

#: Sub-folder of the model folder holding the built graphs.
CACHE_FOLDER = "onnx"

#: Bumped whenever graph.py builds a different graph from the same weights: older caches are rebuilt.
GRAPH_VERSION = 1


@dataclass(frozen=True)
class Graph:
    """A serialized graph ready for ONNX Runtime, and the fingerprint of the weights in it.

    ``source`` is the graph itself (just built) or the path of its checked file in the cache.
    """

    source: bytes | Path
    fingerprint: str
    from_cache: bool

    def read(self) -> bytes:
        """The serialized graph."""
        return self.source if isinstance(self.source, bytes) else self.source.read_bytes()


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _record_path(weights: Path) -> Path:
    return weights.parent / CACHE_FOLDER / f"{weights.stem}.json"


def _source(weights: Path) -> dict[str, object]:
    stat = weights.stat()
    return {"weights": weights.name, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def _cached(weights: Path, model: str, include_top: bool) -> Graph | None:
    """The cached graph of ``weights`` if its record matches the file and its checksum holds."""
    record_path = _record_path(weights)
    try:
        record = json.loads(record_path.read_text(encoding="utf-8"))
        if (record.get("graph_version") != GRAPH_VERSION or record.get("model") != model
                or record.get("include_top") != include_top or record.get("source") != _source(weights)):
            return None
        graph = record_path.parent / str(record["graph"])
        digest = _sha256_of(graph)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if digest != record.get("sha256"):
        log.warning("cached graph for %s is damaged; rebuilding it", weights.name)
        return None
    return Graph(graph, str(record["fingerprint"]), from_cache=True)


def _write_atomically(path: Path, data: bytes) -> None:
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=path.name, suffix=".part", delete=False) as handle:
        handle.write(data)
    os.replace(handle.name, path)


def _store(weights: Path, model: str, include_top: bool, graph: Graph) -> None:
    folder = weights.parent / CACHE_FOLDER
    name = f"{weights.stem}.{graph.fingerprint}.onnx"
    record = {"graph_version": GRAPH_VERSION, "model": model, "include_top": include_top,
              "source": _source(weights), "fingerprint": graph.fingerprint, "graph": name,
              "sha256": hashlib.sha256(graph.read()).hexdigest()}
    try:
        folder.mkdir(exist_ok=True)
        for old in folder.glob(f"{weights.stem}.*.onnx"):
            if old.name != name:  # a graph of weights since replaced
                old.unlink(missing_ok=True)
        # The graph first, its record last: a record always describes a complete graph.
        _write_atomically(folder / name, graph.read())
        _write_atomically(_record_path(weights), json.dumps(record, indent=1).encode("utf-8"))
    except OSError as exc:
        log.info("cannot cache the graph of %s in %s (%s); it will be built again next time",
                 weights.name, folder, exc)


def build_graph_bytes(weights: str | os.PathLike, model: str, include_top: bool) -> Graph:
    """Read and check ``weights`` (WeightsError naming it when it does not fit) and build the graph."""
    from faceapp.core.vggface.architecture import architecture
    from faceapp.core.vggface.graph import build_graph
    from faceapp.core.vggface.weights import load_checked_weights

    arrays, fingerprint = load_checked_weights(weights, model, include_top)
    proto = build_graph(architecture(model, include_top), arrays)
    del arrays
    return Graph(proto.SerializeToString(), fingerprint, from_cache=False)


def load_graph(weights: str | os.PathLike, model: str, include_top: bool, use_cache: bool = True) -> Graph:
    """The graph of ``model`` with the weights of ``weights``: from the cache when valid, else built (and cached)."""
    weights = Path(weights)
    if use_cache and weights.is_file():
        cached = _cached(weights, model, include_top)
        if cached is not None:
            return cached
    graph = build_graph_bytes(weights, model, include_top)
    if use_cache:
        _store(weights, model, include_top, graph)
    return graph

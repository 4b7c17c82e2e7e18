"""The SYNTHETIC data the benchmark runs on: the bench databases (built by generate_synthetic when
missing), what to ask them for (a big force, a study, a word on every line, a rare word), the same
lines as a SQLite file for Datasette, and a spreadsheet for the import."""

import csv
import io
import json
import os
import re
import sqlite3
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path

from bench.common import APP_PYTHON, ROOT, Server, database_name

WORD = re.compile(r"[a-z]{4,}")


def build_database(server: Server, lines: int, log: Path) -> dict:
    """Build the bench database for `lines` with generate_synthetic, unless it exists; an existing
    one is migrated to the code's schema (nothing to do unless the code has new migrations)."""
    name = database_name(lines)
    env = dict(os.environ, DEBUG="1")  # a management command on the embedded server (or DATABASE_URL's)
    started = time.monotonic()
    if server.database_exists(name):
        with open(log, "ab") as out:
            done = subprocess.run(
                [str(APP_PYTHON), "manage.py", "migrate", "--no-input"],
                cwd=ROOT,
                env=env | {"DATABASE_URL": server.url(name)},
                stdout=out,
                stderr=out,
            )
        if done.returncode:
            raise RuntimeError(f"migrating {name} failed (exit {done.returncode}); see {log}")
        return {"database": name, "built": False, "migrate_s": time.monotonic() - started}
    with open(log, "ab") as out:
        done = subprocess.run(
            [
                str(APP_PYTHON),
                "manage.py",
                "generate_synthetic",
                "--database-name",
                name,
                "--lines",
                str(lines),
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=out,
        )
    if done.returncode:
        raise RuntimeError(
            f"generate_synthetic failed building {name} (exit {done.returncode}); see {log}. "
            "It comes with the synthetic data work: `python manage.py generate_synthetic --help`."
        )
    return {"database": name, "built": True, "build_s": time.monotonic() - started}


PUBLIC_LINES = """
    FROM cases_caseline l
    JOIN cases_foireturn t ON t.id = l.foi_return_id AND t.review_state = 'approved'
    JOIN cases_foirequest r ON r.id = t.request_id
    LEFT JOIN forces_force f ON f.id = t.force_id
"""


def discover(server: Server, dbname: str, words: dict | None = None) -> dict:
    """What the pages ask for, found in the data itself, so any generator's data will do."""
    connection = server.connect(dbname)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SET statement_timeout = '300s'")
            cursor.execute("SELECT count(*) FROM cases_caseline")
            total = cursor.fetchone()[0]
            cursor.execute(f"SELECT count(*) {PUBLIC_LINES}")
            public = cursor.fetchone()[0]
            cursor.execute(
                f"SELECT f.slug, f.name, f.region, count(*) {PUBLIC_LINES} WHERE f.id IS NOT NULL "
                "GROUP BY 1, 2, 3 ORDER BY 4 DESC, 1 LIMIT 1"
            )
            force_slug, force_name, region, force_lines = cursor.fetchone()
            cursor.execute(
                f"SELECT r.slug, r.title, r.unit, count(*) {PUBLIC_LINES} "
                "GROUP BY 1, 2, 3 ORDER BY (r.title ILIKE '%%synthetic%%') DESC, 4 DESC, 1 LIMIT 1"
            )
            study, study_title, study_unit, study_lines = cursor.fetchone()
            cursor.execute(f"SELECT r.unit, count(*) {PUBLIC_LINES} GROUP BY 1 ORDER BY 2 DESC")
            units = dict(cursor.fetchall())
            words = _search_words(cursor, public, words)
            cursor.execute("SHOW server_version")
            version = cursor.fetchone()[0]
    finally:
        connection.close()
    return {
        "database": dbname,
        "lines": total,
        "public_lines": public,
        "lines_by_unit": units,
        "force": force_slug,
        "force_name": force_name,
        "force_lines": force_lines,
        "region": region,
        "study": study,
        "study_title": study_title,
        "study_unit": study_unit,
        "study_lines": study_lines,
        "postgresql": version,
        **words,
    }


WORDINGS = "concat_ws(' ', l.role_wording, l.offence_wording, l.system_wording, l.outcome_wording)"


def _search_words(cursor, public: int, words: dict | None = None) -> dict:
    """A word found on (nearly) every line and a rare one, from a sample of the wordings (unless
    given); then how many public lines each search matches, counted in full."""
    if words:
        return _search_counts(cursor, words["search_every"], words["search_selective"])
    percent = min(100.0, 100.0 * 20_000 / max(public, 1))
    cursor.execute(
        f"SELECT {WORDINGS} FROM (SELECT * FROM cases_caseline TABLESAMPLE SYSTEM (%s) REPEATABLE (1)) l "
        "JOIN cases_foireturn t ON t.id = l.foi_return_id AND t.review_state = 'approved' LIMIT 20000",
        [percent],
    )
    texts = [row[0] for row in cursor.fetchall()]

    def searchable(word: str) -> bool:  # not an English stop word, which a search drops
        cursor.execute("SELECT numnode(websearch_to_tsquery('english', %s)) > 0", [word])
        return cursor.fetchone()[0]

    # The rare one by its stem, as the search matches it ("warnings" finds "warning" too).
    cursor.execute(
        f"SELECT word FROM ts_stat($$SELECT to_tsvector('english', {WORDINGS}) "
        "FROM (SELECT * FROM cases_caseline TABLESAMPLE SYSTEM (" + f"{percent:f}" + ") REPEATABLE (1)) l "
        "JOIN cases_foireturn t ON t.id = l.foi_return_id AND t.review_state = 'approved'$$) "
        "WHERE word ~ '^[a-z]{4,}$' AND websearch_to_tsquery('english', word)::text = quote_literal(word) "
        "ORDER BY ndoc, word LIMIT 1"
    )
    found = cursor.fetchone()
    rare = found[0] if found else None
    return _search_counts(cursor, broad_search(texts, searchable), rare) | {"search_sample": len(texts)}


def broad_search(texts: list[str], searchable=lambda word: True, most: int = 8) -> str | None:
    """A search matching every line of the sample that has a word at all: no one word need be on
    every line, so the fewest words (greedily) joined with websearch's `or`."""
    rows = [set(WORD.findall(text.lower())) for text in texts]
    uncovered = [row for row in rows if row]
    chosen: list[str] = []
    while uncovered and len(chosen) < most:
        counts = Counter(word for row in uncovered for word in row if word not in chosen)
        best = next(
            (w for w, _ in sorted(counts.items(), key=lambda i: (-i[1], i[0])) if searchable(w)), None
        )
        if best is None:
            break
        chosen.append(best)
        uncovered = [row for row in uncovered if best not in row]
    return " or ".join(chosen) or None


def _search_counts(cursor, common: str | None, rare: str | None) -> dict:
    found = {"search_every": common, "search_selective": rare}
    if common and rare:
        cursor.execute(
            f"SELECT count(*) FILTER (WHERE v @@ websearch_to_tsquery('english', %s)), "
            f"count(*) FILTER (WHERE v @@ websearch_to_tsquery('english', %s)), "
            "count(*) FILTER (WHERE v <> ''::tsvector) "
            f"FROM (SELECT to_tsvector('english', {WORDINGS}) AS v {PUBLIC_LINES}) AS lines",
            [common, rare],
        )
        found["search_every_lines"], found["search_selective_lines"], found["lines_with_words"] = (
            cursor.fetchone()
        )
    return found


# --- The same lines for Datasette --------------------------------------------------------------

SQLITE_COLUMNS = [
    ("id", "INTEGER PRIMARY KEY", "l.id"),
    ("force", "TEXT", "coalesce(f.name, 'Not stated')"),
    ("study", "TEXT", "r.slug"),
    ("unit", "TEXT", "r.unit"),
    ("role", "TEXT", "l.role"),
    ("offence", "TEXT", "l.offence"),
    ("system", "TEXT", "l.system"),
    ("outcome", "TEXT", "l.outcome"),
    ("criminal_outcome", "TEXT", "l.criminal_outcome"),
    ("count", "INTEGER", "l.count"),
    ("role_wording", "TEXT", "l.role_wording"),
    ("offence_wording", "TEXT", "l.offence_wording"),
    ("system_wording", "TEXT", "l.system_wording"),
    ("outcome_wording", "TEXT", "l.outcome_wording"),
    ("criminal_outcome_wording", "TEXT", "l.criminal_outcome_wording"),
    ("period_label", "TEXT", "l.period_label"),
]
FACETS = ["force", "study", "unit", "role", "offence", "system", "outcome", "criminal_outcome"]


def sqlite_copy(server: Server, dbname: str, path: Path, chunk: int = 10_000) -> dict:
    """The public lines of dbname, flattened, in a SQLite table `lines` with an index on each
    facet column; kept while the source's line count and largest id are unchanged."""
    marker = path.with_suffix(".json")
    connection = server.connect(dbname)
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*), max(l.id) {PUBLIC_LINES}")
            count, largest = cursor.fetchone()
        source = {"database": dbname, "lines": count, "max_id": largest}
        if path.exists() and marker.exists() and json.loads(marker.read_text()) == source:
            return source | {"built": False, "bytes": path.stat().st_size}
        started = time.monotonic()
        path.unlink(missing_ok=True)
        partial = path.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        target = sqlite3.connect(partial)
        target.execute("PRAGMA journal_mode = OFF")
        target.execute("PRAGMA synchronous = OFF")
        target.execute(f"CREATE TABLE lines ({', '.join(f'[{n}] {t}' for n, t, _ in SQLITE_COLUMNS)})")
        query = (
            f"COPY (SELECT {', '.join(e for _, _, e in SQLITE_COLUMNS)} {PUBLIC_LINES} ORDER BY l.id) "
            "TO STDOUT WITH (FORMAT csv)"
        )
        read_end, write_end = os.pipe()
        failure = []

        def produce():
            try:
                with os.fdopen(write_end, "wb") as pipe, connection.cursor() as cursor:
                    cursor.copy_expert(query, pipe)
            except Exception as error:  # reported below, after the reader stops
                failure.append(error)

        producer = threading.Thread(target=produce)
        producer.start()
        insert = f"INSERT INTO lines VALUES ({', '.join('?' for _ in SQLITE_COLUMNS)})"
        rows = 0
        with os.fdopen(read_end, "r", encoding="utf-8", newline="") as pipe:
            reader = csv.reader(pipe)
            while True:
                batch = [row for _, row in zip(range(chunk), reader, strict=False)]
                if not batch:
                    break
                target.executemany(insert, batch)
                rows += len(batch)
        producer.join()
        if failure:
            raise failure[0]
        for column in FACETS:
            target.execute(f"CREATE INDEX lines_{column} ON lines ([{column}])")
        target.commit()
        target.execute("ANALYZE")
        target.close()
        partial.rename(path)
        marker.write_text(json.dumps(source))
        return source | {
            "built": True,
            "rows": rows,
            "build_s": time.monotonic() - started,
            "bytes": path.stat().st_size,
        }
    finally:
        connection.close()


# --- A spreadsheet for the import ---------------------------------------------------------------

IMPORT_COLUMNS = ["force", "status", "count", "role", "offence", "system", "outcome", "criminal_outcome"]
IMPORT_COLUMNS += ["period_label", "source_urls"]
ROLES = ["officer", "police staff", "PCSO", "special constable", "not stated"]
OFFENCES = [
    "unauthorised access",
    "disclosing information",
    "social media",
    "email misuse",
    "computer misuse",
]
SYSTEMS = ["PNC", "police national database", "Niche", "email", "multiple systems", "not stated"]
OUTCOMES = ["dismissed", "resigned", "final written warning", "written warning", "management advice", "NFA"]
CRIMINAL = ["convicted", "cautioned", "no criminal action", "not stated"]


def import_spreadsheet(server: Server, dbname: str, lines: int, path: Path) -> Path:
    """A CSV in the import format (docs/importing.md): `lines` rows over every force, one return
    each, each return citing one SYNTHETIC source. Written once; the same bytes every time."""
    if path.exists():
        return path
    connection = server.connect(dbname)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT name FROM forces_force ORDER BY slug")
            forces = [row[0] for row in cursor.fetchall()]
    finally:
        connection.close()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(IMPORT_COLUMNS)
    per_force = -(-lines // len(forces))
    for n in range(lines):
        force = forces[n // per_force]
        first = n % per_force == 0
        writer.writerow(
            [
                force,
                "answered" if first else "",
                1 + n % 3,
                ROLES[n % len(ROLES)],
                OFFENCES[(n // 5) % len(OFFENCES)],
                SYSTEMS[(n // 7) % len(SYSTEMS)],
                OUTCOMES[(n // 11) % len(OUTCOMES)],
                CRIMINAL[(n // 13) % len(CRIMINAL)],
                "2024",
                f"https://example.org/synthetic-import/{n // per_force}" if first else "",
            ]
        )
    path.write_text(out.getvalue(), encoding="utf-8")
    return path

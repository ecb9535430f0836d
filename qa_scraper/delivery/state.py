"""Crawl state shared by every run: what each article looked like when last delivered.

An embedded SQLite database (default ``output/doctorqna/state.sqlite3``). What a
run learns is first *staged* (table ``pending``, keyed by run id) and applied to
``articles`` only when the run's output has been delivered
(:meth:`CrawlState.commit_run`). A run killed before that leaves the delivered
state as it was, so the next run re-emits whatever the killed run had found:
nothing is lost. Only one run may use a state file at a time
(:class:`qa_scraper.delivery.lock.RunLock`).

A run's life in table ``runs``: ``running`` → ``committed`` (its staged rows became
the state, in the one transaction that is the run's commit point; its files may
still carry ``.part`` names) → ``finished`` (files under their final names).
``abandoned`` runs were interrupted and could not be resumed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qa_scraper.delivery.folders import NOT_A_FOLDER, folder_problem, make_folder_of
from qa_scraper.errors import SetupError

__all__ = ["CrawlState", "KnownArticle", "check_state_path", "utc_now"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    article_id      TEXT PRIMARY KEY,
    url             TEXT NOT NULL,
    etag            TEXT,
    last_modified   TEXT,
    sitemap_lastmod TEXT,
    content_hash    TEXT,
    first_seen      TEXT,
    last_seen       TEXT,
    last_changed    TEXT,
    last_status     TEXT    -- "200", "304", "404", "410", "rejected", "fetch-failed"
);
CREATE TABLE IF NOT EXISTS pending (
    run_id          TEXT NOT NULL,
    article_id      TEXT NOT NULL,
    url             TEXT,
    etag            TEXT,
    last_modified   TEXT,
    sitemap_lastmod TEXT,
    content_hash    TEXT,
    status          TEXT,
    change          TEXT,           -- new, changed, unchanged, gone, rejected
    seen_at         TEXT,
    PRIMARY KEY (run_id, article_id)
);
CREATE TABLE IF NOT EXISTS runs (
    run_id      TEXT PRIMARY KEY,
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    status      TEXT NOT NULL,          -- running, committed, finished, abandoned
    base_url    TEXT NOT NULL,
    mode        TEXT NOT NULL,
    items_path  TEXT
);
"""
OK_STATUSES = ("200", "304")
GONE_STATUSES = ("404", "410")  # both mean the article was deleted
SQLITE_MAGIC = b"SQLite format 3\x00"


def utc_now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


STAGED_COLUMNS = (
    "url",
    "etag",
    "last_modified",
    "sitemap_lastmod",
    "content_hash",
    "status",
    "change",
)
_STAGE_SQL = (
    "INSERT INTO pending (run_id, article_id, url, etag, last_modified, sitemap_lastmod,"
    " content_hash, status, change, seen_at) VALUES (?,?,?,?,?,?,?,?,?,?)"
    " ON CONFLICT (run_id, article_id) DO UPDATE SET"
    " url = COALESCE(excluded.url, url), etag = COALESCE(excluded.etag, etag),"
    " last_modified = COALESCE(excluded.last_modified, last_modified),"
    " sitemap_lastmod = COALESCE(excluded.sitemap_lastmod, sitemap_lastmod),"
    " content_hash = COALESCE(excluded.content_hash, content_hash),"
    " status = COALESCE(excluded.status, status),"
    " change = COALESCE(excluded.change, change),"
    " seen_at = excluded.seen_at"
)


def staged_row(
    run_id: str, article_id: str, seen_at: str | None, values: dict[str, Any]
) -> tuple[Any, ...]:
    """What :meth:`CrawlState.stage` writes (``seen_at`` None: now); ValueError for a column
    the state does not have."""
    unknown = set(values).difference(STAGED_COLUMNS)
    if unknown:
        raise ValueError(f"unknown state columns {sorted(unknown)}")
    return (
        run_id,
        article_id,
        *(values.get(column) for column in STAGED_COLUMNS),
        seen_at or utc_now(),
    )


def check_state_path(path: Path) -> None:
    """Refuse, before anything is created, a state path that cannot work."""
    if path.is_dir():
        raise SetupError(
            f"QA_STATE_PATH {path} is a directory, not a state file",
            f"Point QA_STATE_PATH at a file, e.g. {path / 'state.sqlite3'}",
        )
    problem = folder_problem(path.parent)
    if problem is not None and problem[1] == NOT_A_FOLDER:
        raise SetupError(
            f"cannot create the state file {path}: {problem[0]} is a file",
            "Set QA_STATE_PATH (or QA_OUTPUT_DIR) to a usable folder",
        )
    if problem is not None:
        raise SetupError(
            f"cannot write the state file {path}: {problem[0]} is read-only",
            "Make the folder writable or set QA_STATE_PATH elsewhere",
        )
    if path.exists() and not path.is_file():
        raise SetupError(
            f"the state file {path} is not a regular file (a device, a pipe?)",
            "Point QA_STATE_PATH at a file",
        )
    if path.exists():
        with path.open("rb") as handle:
            head = handle.read(len(SQLITE_MAGIC))
        if head and head != SQLITE_MAGIC:
            raise SetupError(
                f"the state file {path} is not a SQLite database (corrupt?)",
                "Move it aside (the next run then starts from an empty state and "
                "writes every article as new) or restore a backup",
            )
        if not os.access(path, os.R_OK | os.W_OK):
            raise SetupError(
                f"the state file {path} is read-only",
                "Make it writable by this user, or set QA_STATE_PATH elsewhere",
            )


@dataclass(frozen=True)
class KnownArticle:
    article_id: str
    url: str
    etag: str | None
    last_modified: str | None
    sitemap_lastmod: str | None
    content_hash: str | None
    last_status: str | None
    last_seen: str | None = None  # when last delivered or confirmed (200 / 304)

    @property
    def delivered(self) -> bool:
        """Delivered before and fine when last seen: a candidate for a conditional request."""
        return self.content_hash is not None and self.last_status in OK_STATUSES

    @property
    def gone(self) -> bool:
        """Delivered once, and answered 404 or 410 when last requested (reported gone then)."""
        return self.content_hash is not None and self.last_status in GONE_STATUSES

    def seen_within(self, days: float, now: dt.datetime | None = None) -> bool:
        """Confirmed live (200 or 304) less than ``days`` ago."""
        if not self.last_seen:
            return False
        seen = dt.datetime.strptime(self.last_seen, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
        now = now or dt.datetime.now(dt.UTC)
        return (now - seen).total_seconds() < days * 86400


class CrawlState:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        check_state_path(self.path)
        make_folder_of(self.path)
        try:
            self.db = sqlite3.connect(self.path, isolation_level=None, timeout=30)
            self.db.row_factory = sqlite3.Row
            self.db.execute("PRAGMA journal_mode=WAL")
            # WAL + NORMAL: a transaction survives the process being killed (not a power cut)
            # without an fsync per staged row; the commit point syncs (FULL) on its own.
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.executescript(SCHEMA)
            self.db.execute("BEGIN IMMEDIATE")  # proves the file is writable
            self.db.execute("ROLLBACK")
            self._known: dict[str, KnownArticle] = {
                row["article_id"]: KnownArticle(
                    row["article_id"],
                    row["url"],
                    row["etag"],
                    row["last_modified"],
                    row["sitemap_lastmod"],
                    row["content_hash"],
                    row["last_status"],
                    row["last_seen"],
                )
                for row in self.db.execute("SELECT * FROM articles")
            }
        except sqlite3.DatabaseError as error:
            raise SetupError(
                f"the state file {self.path} cannot be used ({error})",
                "Move it aside to start from an empty state, restore a backup, or make it writable",
            ) from None

    def close(self) -> None:
        self.db.close()

    # --- delivered state (read-only during a run) ---------------------------------------
    def known(self, article_id: str) -> KnownArticle | None:
        return self._known.get(article_id)

    def known_articles(self) -> Iterator[tuple[str, KnownArticle]]:
        return iter(self._known.items())

    # --- runs -----------------------------------------------------------------------------
    def unfinished_runs(self) -> list[sqlite3.Row]:
        """Runs that were interrupted (``running``) or committed but not yet published."""
        return list(
            self.db.execute(
                "SELECT * FROM runs WHERE status IN ('running', 'committed')"
                " ORDER BY started_at DESC"
            )
        )

    def finish_run(self, run_id: str) -> None:
        """The committed run's files carry their final names."""
        self.db.execute("UPDATE runs SET status = 'finished' WHERE run_id = ?", (run_id,))

    def start_run(self, run_id: str, base_url: str, mode: str, items_path: str | None) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO runs (run_id, started_at, status, base_url, mode, items_path)"
            " VALUES (?, ?, 'running', ?, ?, ?)",
            (run_id, utc_now(), base_url, mode, items_path),
        )

    def abandon_run(self, run_id: str) -> None:
        with self.db:
            self.db.execute("BEGIN")
            self.db.execute("UPDATE runs SET status = 'abandoned' WHERE run_id = ?", (run_id,))
            self.db.execute("DELETE FROM pending WHERE run_id = ?", (run_id,))

    # --- staging ----------------------------------------------------------------------------
    def stage(
        self, run_id: str, article_id: str, seen_at: str | None = None, **values: Any
    ) -> None:
        """Record what this run learnt about an article (None values keep what was staged).

        ``seen_at``: when the article was seen live (default now; a re-extraction gives
        the date of the archived answer)."""
        self.db.execute(_STAGE_SQL, staged_row(run_id, article_id, seen_at, values))

    def stage_many(self, rows: list[tuple[Any, ...]]) -> None:
        """Rows made by :func:`staged_row`, staged in order in one transaction (a crawl syncs
        what it staged in groups: one transaction an article cost more than its row)."""
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.executemany(_STAGE_SQL, rows)

    @contextlib.contextmanager
    def staging_batch(self) -> Iterator[None]:
        """Many :meth:`stage` calls in one transaction (a re-extraction stages hundreds of
        articles a second; one transaction each would cost more than the extraction)."""
        self.db.execute("BEGIN")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def forget_unwritten(self, run_id: str, written: set[str]) -> int:
        """A resumed run: drop the staged deliveries (new, changed) whose line never reached
        its file (a write that failed, a kill between staging and writing). Those articles
        are fetched again; left staged, the commit would record a delivery that never was."""
        staged = self.db.execute(
            "SELECT article_id FROM pending WHERE run_id = ? AND change IN ('new', 'changed')",
            (run_id,),
        )
        unwritten = [
            (run_id, row["article_id"]) for row in staged if row["article_id"] not in written
        ]
        if unwritten:
            with self.db:
                self.db.execute("BEGIN IMMEDIATE")
                self.db.executemany(
                    "DELETE FROM pending WHERE run_id = ? AND article_id = ?", unwritten
                )
        return len(unwritten)

    def changes(self, run_id: str) -> Iterator[sqlite3.Row]:
        """The run's staged changes, by article id, read as they are consumed (one row a
        staged article: not held all at once)."""
        return self.db.execute(
            "SELECT article_id, url, change FROM pending"
            " WHERE run_id = ? AND change IS NOT NULL ORDER BY article_id",
            (run_id,),
        )

    # --- delivery ---------------------------------------------------------------------------
    def commit_run(self, run_id: str) -> None:
        """The run's commit point: what it staged becomes the state, in one transaction.

        From here on the run counts as delivered, even if its files still carry
        ``.part`` names (the next start renames them: :meth:`unfinished_runs`).
        """
        self.db.execute("PRAGMA synchronous=FULL")
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            for row in self.db.execute("SELECT * FROM pending WHERE run_id = ?", (run_id,)):
                self._apply(row)
            self.db.execute("DELETE FROM pending WHERE run_id = ?", (run_id,))
            self.db.execute(
                "UPDATE runs SET status = 'committed', finished_at = ? WHERE run_id = ?",
                (utc_now(), run_id),
            )

    def _apply(self, row: sqlite3.Row) -> None:
        """Fold one staged row into ``articles``.

        Validators, content hash and sitemap lastmod change only when this run
        delivered (or confirmed) the article's content; a rejected or failed fetch
        keeps the last delivered ones, so it is retried in full next time.
        """
        change, status, seen_at = row["change"], row["status"], row["seen_at"]
        if status == "skipped":
            if row["content_hash"] is None:
                return  # skipped by sitemap lastmod: not seen, nothing learnt
            # Skipped, yet its content reached the run after all (another request led to
            # it): what was delivered counts, or the same change would be delivered again.
            status = None
        previous = self.db.execute(
            "SELECT * FROM articles WHERE article_id = ?", (row["article_id"],)
        ).fetchone()
        delivered = change in ("new", "changed", "unchanged")
        if previous is None and not delivered:
            return  # never delivered: nothing worth remembering
        record = (
            dict(previous)
            if previous is not None
            else {"article_id": row["article_id"], "first_seen": seen_at, "last_changed": None}
        )
        record["url"] = row["url"] or record.get("url")
        if status is not None:
            record["last_status"] = status
        if delivered:
            if status == "200":
                record["etag"], record["last_modified"] = row["etag"], row["last_modified"]
            record["content_hash"] = row["content_hash"] or record.get("content_hash")
            record["sitemap_lastmod"] = row["sitemap_lastmod"] or record.get("sitemap_lastmod")
            record["last_seen"] = seen_at
            if change in ("new", "changed"):
                record["last_changed"] = seen_at
        columns = [
            "article_id",
            "url",
            "etag",
            "last_modified",
            "sitemap_lastmod",
            "content_hash",
            "first_seen",
            "last_seen",
            "last_changed",
            "last_status",
        ]
        self.db.execute(
            f"INSERT OR REPLACE INTO articles ({', '.join(columns)})"
            f" VALUES ({', '.join('?' for _ in columns)})",
            [record.get(column) for column in columns],
        )

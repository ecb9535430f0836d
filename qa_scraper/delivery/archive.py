"""The run's web archive: every article response, with its request, as WARC/1.1 records.

One file per run, ``<run>.warc.gz`` (``.part`` until the run's commit point, like the
run's other files: :mod:`qa_scraper.delivery.lifecycle`). Records are written by warcio,
each one its own gzip member (the WARC standard's "record-at-a-time" compression), so a reader can
start at any record's offset, and a record damaged on disk costs that record only:

* ``warcinfo`` first: the software, the run id and the site (``base-url``; a re-extraction
  refuses a WARC of another site);
* per article answer, a ``response`` (status, headers and the body *as the spider read it*:
  after HTTP decompression; ``Content-Encoding``/``Transfer-Encoding`` removed, the original
  kept as ``X-Archive-Orig-…``) then its ``request`` (``WARC-Concurrent-To`` the response);
  both members are written with one ``write`` and flushed before the item is;
* a ``304 Not Modified`` is a ``revisit`` record (profile *server-not-modified*, headers
  only): the article's content is the latest ``response`` record of its URL.

:func:`scan` reads a file member by member, naming the offset of every member it cannot
use (truncated or bit-flipped gzip, a record cut short) and carrying on with the next one.
"""

from __future__ import annotations

import io
import mmap
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from typing import IO, Any

from isal import isal_zlib
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

WARC_VERSION = "1.1"
SOFTWARE = "qa_scraper (warcio)"
NOT_MODIFIED_PROFILE = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"
GZIP_MAGIC = b"\x1f\x8b\x08"
_DROPPED_HEADERS = ("content-encoding", "transfer-encoding", "content-length")
_CHUNK = 1 << 16
# Members are compressed by ISA-L (python-isal), level 1 of its 0-3: plain gzip that any
# reader inflates, ~30 us a 12 kB page where zlib's default level took ~230 us (and ~50 us
# for a small request record, mostly setting up zlib's state), and a little smaller than zlib
# level 1 (benchmarks/bench_crawl.py counts CPU per article).
GZIP_LEVEL = 1


@dataclass
class Record:
    """One WARC record read back (headers parsed; the HTTP part split from its body)."""

    offset: int
    length: int  # of its gzip member in the file
    warc_headers: dict[str, str]
    http_head: bytes = b""
    body: bytes = b""

    @property
    def type(self) -> str:
        return self.warc_headers.get("warc-type", "")

    @property
    def record_id(self) -> str:
        return self.warc_headers.get("warc-record-id", "")

    @property
    def target_uri(self) -> str:
        return self.warc_headers.get("warc-target-uri", "")

    def http_status(self) -> int | None:
        first = self.http_head.split(b"\r\n", 1)[0].split()
        return int(first[1]) if len(first) > 1 and first[1].isdigit() else None

    def http_header(self, name: str) -> str | None:
        wanted = name.lower().encode("latin-1")
        for line in self.http_head.split(b"\r\n")[1:]:
            key, _, value = line.partition(b":")
            if key.strip().lower() == wanted:
                return value.strip().decode("latin-1")
        return None

    def warcinfo(self) -> dict[str, str]:
        """The ``name: value`` lines of a warcinfo record."""
        info = {}
        for line in self.body.decode("utf-8", "replace").splitlines():
            name, _, value = line.partition(":")
            if value:
                info[name.strip().lower()] = value.strip()
        return info


@dataclass
class Damage:
    """A member of a file that could not be read as a record: where and why."""

    path: Path
    offset: int
    reason: str

    def __str__(self) -> str:
        return f"{self.path.name} at offset {self.offset}: {self.reason}"


@dataclass
class ScanResult:
    records: list[Record] = field(default_factory=list)
    damage: list[Damage] = field(default_factory=list)
    end_of_last_good: int = 0  # where the file's last readable record ends


class WarcArchive:
    """Appends records to one ``.warc.gz`` (``.part``) file; one gzip member per record."""

    def __init__(self, path: Path, final_name: str, info: dict[str, str]) -> None:
        self.path = path
        self.final_name = final_name  # what items name: the file under its delivered name
        self._handle: IO[bytes] = path.open("ab")
        self.records = 0
        # One writer for every record, writing into one reused buffer (a WARCWriter asks the
        # system for the host name when it is made: three a page otherwise).
        self._plain = io.BytesIO()
        self._warc = WARCWriter(self._plain, gzip=False, warc_version=WARC_VERSION)
        if self._handle.tell() == 0:
            self._write_members([self._warcinfo(info)])

    def _warcinfo(self, info: dict[str, str]) -> Any:
        return self._warc.create_warcinfo_record(
            self.final_name,
            {"software": SOFTWARE, "format": f"WARC File Format {WARC_VERSION}"} | info,
        )

    def _write_members(self, records: list[Any]) -> list[int]:
        """Each record compressed as its own gzip member; all written at once, flushed.
        Returns each record's offset."""
        offsets, blob, at = [], bytearray(), self._handle.tell()
        plain = self._plain
        for record in records:
            plain.seek(0)
            plain.truncate()
            self._warc.write_record(record)
            compressor = isal_zlib.compressobj(
                GZIP_LEVEL, isal_zlib.DEFLATED, isal_zlib.MAX_WBITS + 16
            )
            member = compressor.compress(plain.getvalue()) + compressor.flush()
            offsets.append(at + len(blob))
            blob += member
        self._handle.write(blob)
        self._handle.flush()
        self.records += len(records)
        return offsets

    def write_exchange(
        self,
        url: str,
        method: str,
        request_headers: list[tuple[str, str]],
        status: int,
        response_headers: list[tuple[str, str]],
        body: bytes,
        protocol: str = "HTTP/1.1",
    ) -> dict[str, Any]:
        """Archive one answer and its request; returns the response's provenance
        ``{"file", "offset", "record_id"}``."""
        writer = self._warc
        headers = []
        for name, value in response_headers:
            if name.lower() in _DROPPED_HEADERS:
                if name.lower() != "content-length":
                    headers.append((f"X-Archive-Orig-{name}", value))
                continue
            headers.append((name, value))
        reason = _reason(status)
        revisit = status == 304
        if not revisit:
            headers.append(("Content-Length", str(len(body))))
        http = StatusAndHeaders(f"{status} {reason}".strip(), headers, protocol=protocol)
        if revisit:
            response = writer.create_warc_record(
                url,
                "revisit",
                http_headers=http,
                warc_headers_dict={
                    "WARC-Profile": NOT_MODIFIED_PROFILE,
                    "WARC-Refers-To-Target-URI": url,
                },
            )
        else:
            response = writer.create_warc_record(
                url, "response", payload=io.BytesIO(body), length=len(body), http_headers=http
            )
        response_id = response.rec_headers.get_header("WARC-Record-ID")
        request = writer.create_warc_record(
            url,
            "request",
            http_headers=StatusAndHeaders(
                f"{method} {_request_target(url)} HTTP/1.1",
                request_headers,
                is_http_request=True,
            ),
            warc_headers_dict={
                "WARC-Concurrent-To": response_id,
                "WARC-Date": response.rec_headers.get_header("WARC-Date"),
            },
        )
        offset, _ = self._write_members([response, request])
        return {"file": self.final_name, "offset": offset, "record_id": response_id}

    def close(self) -> None:
        if not self._handle.closed:
            self._handle.flush()
            os.fsync(self._handle.fileno())
            self._handle.close()


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _request_target(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


# --- reading ------------------------------------------------------------------------------
def _parse_record(offset: int, length: int, data: bytes) -> Record:
    """One uncompressed WARC record; ValueError when it is not one or is cut short."""
    head, sep, rest = data.partition(b"\r\n\r\n")
    if not sep or not head.startswith(b"WARC/"):
        raise ValueError("not a WARC record")
    headers: dict[str, str] = {}
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        headers[name.strip().lower().decode("latin-1")] = value.strip().decode("utf-8", "replace")
    try:
        size = int(headers["content-length"])
    except (KeyError, ValueError):
        raise ValueError("WARC record without a Content-Length") from None
    if len(rest) < size:
        raise ValueError(f"record cut short ({len(rest)} of {size} bytes)")
    block = rest[:size]
    record = Record(offset, length, headers)
    if record.type in ("response", "request", "revisit"):
        http_head, _, body = block.partition(b"\r\n\r\n")
        record.http_head, record.body = http_head, body
    else:
        record.body = block
    return record


def _members(data: Any) -> Iterator[tuple[int, int, bytes | None, str]]:
    """(offset, length, uncompressed bytes or None, reason) for each gzip member of ``data``
    (bytes or an mmap: read a chunk at a time, never copied whole)."""
    view = memoryview(data)
    pos, size = 0, len(view)
    while pos < size:
        decompressor = isal_zlib.decompressobj(isal_zlib.MAX_WBITS + 16)
        out, fed, reason = [], pos, ""
        try:
            while not decompressor.eof and fed < size:
                chunk = view[fed : fed + _CHUNK]
                fed += len(chunk)
                out.append(decompressor.decompress(chunk))
        except isal_zlib.error as error:
            reason = f"damaged gzip member ({error})"
        else:
            if not decompressor.eof:
                reason = "truncated gzip member (the file ends inside it)"
        if reason:
            following = data.find(GZIP_MAGIC, pos + 1)  # resynchronise on the next member
            end = size if following < 0 else following
            yield pos, end - pos, None, reason
            pos = end
            continue
        end = fed - len(decompressor.unused_data)
        yield pos, end - pos, b"".join(out), ""
        pos = end


def iter_file(path: Path) -> Iterator[Record | Damage]:
    """Every record of a file in order, or the :class:`Damage` of a member that cannot be
    read (skipped: reading goes on with the next member). Memory: one record at a time."""
    with path.open("rb") as handle:
        if os.fstat(handle.fileno()).st_size == 0:
            return
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
            for offset, length, raw, reason in _members(data):
                if raw is None:
                    yield Damage(path, offset, reason)
                    continue
                try:
                    yield _parse_record(offset, length, raw)
                except ValueError as error:
                    yield Damage(path, offset, str(error))


def scan(path: Path) -> ScanResult:
    """Every readable record of a file, and every unreadable member (skipped, named).
    Holds every record in memory: for small files (tests); see :func:`iter_file`."""
    result = ScanResult()
    for entry in iter_file(path):
        if isinstance(entry, Damage):
            result.damage.append(entry)
            continue
        result.records.append(entry)
        if not result.damage:
            result.end_of_last_good = entry.offset + entry.length
    return result


def read_member(data: bytes, path: Path, offset: int) -> Record:
    """The record of the gzip member at the start of ``data`` (read from ``path`` at
    ``offset``); ValueError naming the file and offset when it cannot be read."""
    for _, size, raw, reason in _members(data):
        if raw is None:
            raise ValueError(f"{path.name} at offset {offset}: {reason}")
        try:
            return _parse_record(offset, size, raw)
        except ValueError as error:
            raise ValueError(f"{path.name} at offset {offset}: {error}") from None
    raise ValueError(f"{path.name} at offset {offset}: no record there")


def read_record(path: Path, offset: int, length: int | None = None) -> Record:
    """The record whose gzip member starts at ``offset`` (ValueError if unreadable)."""
    with path.open("rb") as handle:
        handle.seek(offset)
        data = handle.read(length) if length else handle.read(1 << 24)
    return read_member(data, path, offset)


def repair(path: Path) -> tuple[int, Damage | None]:
    """A ``.part`` archive of a killed run: cut after its last complete record (a kill
    mid-write leaves at most one torn member at the end). Returns the number of records
    kept and the first damage found (None: the file was whole)."""
    kept, end, first_damage = 0, 0, None
    for entry in iter_file(path):
        if isinstance(entry, Damage):
            first_damage = entry
            break
        kept, end = kept + 1, entry.offset + entry.length
    if first_damage is not None or path.stat().st_size != end:
        with path.open("r+b") as handle:
            handle.truncate(end)
            handle.flush()
            os.fsync(handle.fileno())
    return kept, first_damage

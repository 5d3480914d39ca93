"""The dump files over HTTP: /download/ lists them, /download/<name> serves one (ETag, Last-Modified, HEAD, 304).

Compressed dumps (.nt.gz, .nq.gz) are served as what they are, application/gzip, with no Content-Encoding:
curl, wget, browsers and Python's requests then save exactly the .gz file, as on other dump sites. Media
types come from formats.py; each file is made once per build (published.py).
"""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request, send_file, url_for
from flask_cors import cross_origin

from .. import export, formats
from ..jsonld import dumps
from .errors import plain
from .published import NoBuildError, Published, publisher

bp = Blueprint("downloads", __name__, template_folder="templates")

GZIP = "application/gzip"
CACHE = "public, no-cache"  # keep it, but ask again (a cheap 304) since a new build changes it
DUMPS = {dump.filename: dump for dump in export.DUMPS}


def content_type(dump: export.Dump) -> str:
    """The Content-Type of a dump file: its RDF format's, or application/gzip for a compressed one."""
    return GZIP if dump.gzip else formats.by_name(dump.format).content_type


@bp.route("/download/")
@cross_origin(origins="*", send_wildcard=True)
def index() -> Response:
    """List the dump files (HTML for browsers, JSON for programs), with sizes and checksums."""
    try:
        files = [_entry(dump, publisher().dump(dump)) for dump in export.DUMPS]
    except NoBuildError as error:
        return plain(503, str(error))
    best = request.accept_mimetypes.best_match(["application/json", "text/html"], default="application/json")
    if best == "text/html":  # a browser; curl's */* gets JSON
        page = render_template(
            "downloads/index.html",
            files=files,
            void=url_for("wellknown.void"),
            context=url_for("wellknown.context"),
        )
        response = Response(page, content_type="text/html; charset=utf-8")
    else:
        response = Response(dumps({"files": files}), content_type="application/json")
    response.headers["Vary"] = "Accept"
    return response


@bp.route("/download/<name>")
@cross_origin(origins="*", send_wildcard=True, expose_headers=["ETag", "Content-Length", "Last-Modified"])
def download(name: str) -> Response:
    """One dump file, with a strong ETag, Content-Length and Last-Modified; If-None-Match gives 304."""
    dump = DUMPS.get(name)
    if dump is None:
        return plain(404, f"no file {name!r} here; the dump files are: {', '.join(DUMPS)}")
    try:
        published = publisher().dump(dump)
    except NoBuildError as error:
        return plain(503, str(error))
    response = send_file(published.path, conditional=True, etag=published.etag, last_modified=published.last_modified)
    response.headers["Content-Type"] = content_type(dump)
    response.headers.pop("Content-Encoding", None)  # send_file guesses gzip from .gz: the file IS the gzip
    response.headers["Cache-Control"] = CACHE
    return response


def _entry(dump: export.Dump, published: Published) -> dict[str, object]:
    """One line of the listing."""
    fmt = formats.by_name(dump.format)
    return {
        "name": dump.filename,
        "url": url_for("downloads.download", name=dump.filename, _external=True),
        "format": fmt.name,
        "media_type": content_type(dump),
        "uncompressed_media_type": fmt.media_type if dump.gzip else None,
        "bytes": published.size,
        "sha256": published.etag.removeprefix("sha256-"),
    }

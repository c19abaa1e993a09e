"""WARC and WET input: pages as documents, skips counted, attachments named, charsets, corrupt records, resume."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nianbao.cli import app
from nianbao.evaluation.robustness import _page
from nianbao.inputs import InputStats, iter_inputs
from nianbao.pipeline import Pipeline, PipelineConfig

warcio = pytest.importorskip("warcio")
from warcio.statusandheaders import StatusAndHeaders  # noqa: E402
from warcio.warcwriter import WARCWriter  # noqa: E402

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
ARTICLE = "<html><head><title>区政府召开常务会议</title></head><body><p>会议研究了城市更新工作。</p></body></html>"


def _report_page() -> str:
    return _page((EXAMPLES / "synth-pipe_cells.txt").read_text(encoding="utf-8"), None)  # type: ignore[arg-type]


def _response(w: WARCWriter, url: str, body: bytes, ctype: str, status: str = "200 OK",
              extra: list[tuple[str, str]] | None = None, chunked: bool = False) -> str:
    headers = [("Content-Type", ctype)] + (extra or [])
    if chunked:
        headers.append(("Transfer-Encoding", "chunked"))
        body = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 500]), body[i:i + 500]) for i in range(0, len(body), 500))
        body += b"0\r\n\r\n"
    http = StatusAndHeaders(status, headers, protocol="HTTP/1.1")
    rec = w.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=http)
    w.write_record(rec)
    return rec.rec_headers.get_header("WARC-Record-ID").strip("<>")


def _warc(path: Path, gz: bool = True) -> dict[str, str]:
    """A small crawl: a report (UTF-8), a GBK report mislabelled UTF-8, a gzip+chunked article, a PDF, skips."""
    ids = {}
    page = _report_page()
    with open(path, "wb") as fh:
        w = WARCWriter(fh, gzip=gz)
        w.write_record(w.create_warcinfo_record(path.name, {"software": "test"}))
        req = w.create_warc_record("http://a.gov.cn/1.htm", "request", payload=io.BytesIO(b"GET / HTTP/1.1\r\n\r\n"))
        w.write_record(req)
        ids["report"] = _response(w, "http://a.gov.cn/1.htm", page.encode("utf-8"), "text/html; charset=utf-8")
        gbk = page.replace("<head>", '<head><meta charset="gbk">').encode("gb18030")
        ids["gbk"] = _response(w, "http://a.gov.cn/2.htm", gbk, "text/html; charset=UTF-8")
        ids["article"] = _response(w, "http://a.gov.cn/3.htm", gzip.compress(ARTICLE.encode()), "text/html",
                                   extra=[("Content-Encoding", "gzip")], chunked=True)
        ids["pdf"] = _response(w, "http://a.gov.cn/ndbg.pdf", b"%PDF-1.7\n...", "application/pdf")
        ids["doc"] = _response(w, "http://a.gov.cn/ndbg.doc", b"\xd0\xcf\x11\xe0....", "application/octet-stream")
        _response(w, "http://a.gov.cn/404.htm", b"<html>not found</html>", "text/html", status="404 Not Found")
        _response(w, "http://a.gov.cn/logo.png", b"\x89PNG....", "image/png")
        _response(w, "http://a.gov.cn/site.css", b"body{}", "text/css")
        rv = w.create_revisit_record("http://a.gov.cn/1.htm", digest="sha1:AAAA", refers_to_uri="http://a.gov.cn/1.htm",
                                     refers_to_date="2024-01-01T00:00:00Z")
        w.write_record(rv)
    return ids


def test_records_become_documents_skips_and_errors(tmp_path: Path) -> None:
    path = tmp_path / "crawl.warc.gz"
    ids = _warc(path)
    stats = InputStats()
    items = list(iter_inputs([path], stats))
    assert [i.source for i in items] == [f"{path}#{ids[k]}" for k in ("report", "gbk", "article", "pdf", "doc")]
    report, gbk, article, pdf, doc = items
    assert report.kind == "html" and report.url == "http://a.gov.cn/1.htm"
    assert report.data == _report_page().encode("utf-8")
    assert gbk.text is not None and "政府信息公开" in gbk.text  # the HTTP charset fails; the page's meta decides
    assert article.data == ARTICLE.encode()  # de-chunked and gunzipped: doc_id is the page's own hash
    assert pdf.error is not None and pdf.error.code == "E_UNSUPPORTED_TYPE" and "PDF" in pdf.error.message
    assert doc.error is not None and doc.error.code == "E_UNSUPPORTED_TYPE" and "DOC" in doc.error.message
    assert stats.warc_skipped == {"warcinfo": 1, "request": 1, "http 404": 1, "image": 1, "type text/css": 1,
                                  "revisit": 1}
    docs = Pipeline(PipelineConfig(use_model=False)).process_batch(items)
    assert [d.status for d in docs] == ["ok", "ok", "not_a_report", "error", "error"]
    assert docs[2].doc_id == hashlib.sha256(ARTICLE.encode()).hexdigest()
    assert all(d.to_record()["url"].startswith("http://a.gov.cn/") for d in docs)


def test_warc_page_reads_as_the_same_html_file(tmp_path: Path) -> None:
    """The same fields, flags and confidences as the page saved as .html (source and url aside)."""
    path = tmp_path / "crawl.warc"
    _warc(path, gz=False)
    (tmp_path / "page.html").write_bytes(_report_page().encode("utf-8"))
    pipe = Pipeline(PipelineConfig(use_model=False))
    from_warc = pipe.process_batch(list(iter_inputs([path]))[:2])
    from_file = pipe.process(next(iter_inputs([tmp_path / "page.html"]))).to_record()
    assert from_file["status"] == "ok" and len(from_file["fields"]) > 100
    for d in from_warc:
        rec = d.to_record()
        for key in ("fields", "flags", "template", "meta", "sections"):
            if d is from_warc[0]:
                assert rec[key] == from_file[key], key
        assert {f: v["value"] for f, v in rec["fields"].items()} == \
            {f: v["value"] for f, v in from_file["fields"].items()}
    assert from_warc[0].doc_id == from_file["doc_id"]


def test_corrupt_and_truncated_records_cost_one_record_each(tmp_path: Path) -> None:
    path = tmp_path / "crawl.warc.gz"
    ids = _warc(path)
    data = bytearray(path.read_bytes())
    members = [i for i in range(len(data)) if data[i:i + 3] == b"\x1f\x8b\x08"]
    third = members[3]  # the GBK report's gzip member
    data[third + 20:third + 60] = b"\x00" * 40
    cut = (members[6] + members[7]) // 2  # the file breaks off inside the DOC attachment's record
    broken = tmp_path / "broken.warc.gz"
    broken.write_bytes(bytes(data[:cut]))
    stats = InputStats()
    items = list(iter_inputs([broken], stats))
    codes = [(i.error.code if i.error else "ok") for i in items]
    assert codes[0] == "ok" and items[0].source.endswith(ids["report"])
    assert codes.count("E_WARC_RECORD") == 2, codes
    assert [i.source.rsplit("#", 1)[1] for i in items if i.error is None or i.error.code != "E_WARC_RECORD"] == \
        [ids["report"], ids["article"], ids["pdf"]]
    assert "ends inside a record" in items[-1].error.message
    assert stats.warc_errors == 2


def test_wet_records_are_text_documents(tmp_path: Path) -> None:
    path = tmp_path / "crawl.warc.wet.gz"
    text = (EXAMPLES / "synth-pipe_cells.txt").read_text(encoding="utf-8")
    with open(path, "wb") as fh:
        w = WARCWriter(fh, gzip=True)
        w.write_record(w.create_warcinfo_record(path.name, {"software": "test"}))
        for url, body in (("http://a.gov.cn/r.htm", text), ("http://a.gov.cn/n.htm", "区政府召开常务会议。")):
            w.write_record(w.create_warc_record(url, "conversion", payload=io.BytesIO(body.encode()),
                                                warc_content_type="text/plain"))
    items = list(iter_inputs([path]))
    assert [(i.kind, i.url) for i in items] == [("text", "http://a.gov.cn/r.htm"), ("text", "http://a.gov.cn/n.htm")]
    docs = Pipeline(PipelineConfig(use_model=False)).process_batch(items)
    assert [d.status for d in docs] == ["ok", "not_a_report"]


def test_cli_parses_a_warc_and_resumes(tmp_path: Path) -> None:
    path = tmp_path / "crawl.warc.gz"
    ids = _warc(path)
    out = tmp_path / "out.jsonl"
    res = CliRunner().invoke(app, ["parse", str(path), "-o", str(out), "--no-model", "--workers", "1",
                                   "--no-progress"])
    assert res.exit_code == 0, res.output
    recs = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["source"] for r in recs] == [f"{path}#{ids[k]}" for k in ("report", "gbk", "article", "pdf", "doc")]
    assert recs[3]["error"]["code"] == "E_UNSUPPORTED_TYPE" and recs[3]["url"] == "http://a.gov.cn/ndbg.pdf"
    lines = out.read_text(encoding="utf-8").splitlines(keepends=True)
    out.write_text("".join(lines[:2]), encoding="utf-8")
    res = CliRunner().invoke(app, ["parse", str(path), "-o", str(out), "--no-model", "--workers", "1",
                                   "--no-progress", "--resume"])
    assert res.exit_code == 0, res.output
    again = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["source"] for r in again] == [r["source"] for r in recs]
    assert "WARC: skipped 6 records" in res.output


def test_uncompressed_warc_cut_inside_a_page(tmp_path: Path) -> None:
    path = tmp_path / "crawl.warc"
    ids = _warc(path, gz=False)
    data = path.read_bytes()
    cut = data.index(b"Transfer-Encoding: chunked") + 60  # inside the article's (chunked, gzipped) payload
    (tmp_path / "cut.warc").write_bytes(data[:cut])
    items = list(iter_inputs([tmp_path / "cut.warc"]))
    assert [i.source.rsplit("#", 1)[1] for i in items[:2]] == [ids["report"], ids["gbk"]]
    assert len(items) == 3 and items[2].error is not None and items[2].error.code == "E_WARC_RECORD"
    assert items[2].source.endswith(ids["article"]) and items[2].url == "http://a.gov.cn/3.htm"

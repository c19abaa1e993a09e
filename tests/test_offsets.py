"""Offset maps: the OffsetMap/OffsetBuilder primitives, and properties of the normaliser's maps on random input."""

from __future__ import annotations

from html import unescape

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nianbao.normalise import normalise_text
from nianbao.normalise.unicode import clean_unicode
from nianbao.offsets import IdentityMap, OffsetBuilder, OffsetMap, chain

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ------------------------------------------------------------------ primitives
def test_identity_map() -> None:
    m = OffsetMap.identity(4)
    assert m.span_to_source(1, 3) == (1, 3) and m.span_from_source(1, 3) == (1, 3)
    assert m.span_to_source(4, 4) == (4, 4) and m.is_monotonic()


def _answer(f, *args):  # noqa: ANN001, ANN202 - a query's result, or the error it raised
    try:
        return f(*args)
    except ValueError as e:
        return str(e)


@SETTINGS
@given(n=st.integers(0, 40), queries=st.lists(st.tuples(st.integers(-3, 45), st.integers(-3, 45)), max_size=12))
def test_identity_map_answers_as_its_lists_would(n: int, queries: list[tuple[int, int]]) -> None:
    lazy, full = OffsetMap.identity(n), OffsetMap(list(range(n)), list(range(1, n + 1)), n)
    assert isinstance(lazy, IdentityMap) and lazy._lists is None
    for a, b in queries:
        assert lazy.position_to_source(max(a, 0)) == full.position_to_source(max(a, 0))
        assert _answer(lazy.span_to_source, a, b) == _answer(full.span_to_source, a, b)
        assert lazy.span_from_source(a, b) == full.span_from_source(a, b)
    assert lazy._lists is None and len(lazy) == len(full)  # nothing above built the lists
    other = OffsetMap([0] * n, list(range(1, n + 1)), n)
    assert lazy == full and full == lazy and (lazy != other or n <= 1) and lazy.is_monotonic()
    assert chain(lazy, other).to_json() == chain(full, other).to_json()
    assert chain(other, lazy).to_json() == chain(other, full).to_json()
    assert lazy.to_json() == full.to_json() and lazy.compose(full) == full


def test_builder_keep_drop_and_runs() -> None:
    b = OffsetBuilder()
    b.keep_run(0, "镇")
    b.drop(1, 7)
    b.keep(7, "(一)", 8)  # an expansion: three characters from one
    b.keep_run(8, "12")
    text, m = b.build(10)
    assert text == "镇(一)12"
    assert m.span_to_source(0, 1) == (0, 1) and m.span_to_source(1, 4) == (7, 8)
    assert m.span_to_source(0, 6) == (0, 10)
    assert m.span_from_source(7, 8) == (1, 4) and m.span_from_source(0, 7) == (0, 1)


def test_empty_spans_stay_empty() -> None:
    m = OffsetMap([0, 7], [7, 8], 8)
    assert m.span_to_source(1, 1) == (7, 7) and m.span_to_source(2, 2) == (8, 8)


def test_not_monotonic_is_detected() -> None:
    assert not OffsetMap([0, 2, 1], [1, 3, 2], 3).is_monotonic()
    assert not OffsetMap([0], [5], 4).is_monotonic()


@st.composite
def monotonic_maps(draw: st.DrawFn, source_len: int | None = None) -> OffsetMap:
    """A random monotonic map: each target char takes a (possibly shared, possibly widened) source range."""
    n_src = draw(st.integers(0, 30)) if source_len is None else source_len
    starts: list[int] = []
    ends: list[int] = []
    pos = 0
    for _ in range(draw(st.integers(0, 30))):
        if pos >= n_src:
            break
        pos = min(n_src - 1, pos + draw(st.integers(0, 2)))
        width = draw(st.integers(1, 3))
        end = min(n_src, max(pos + width, ends[-1] if ends else 0))
        starts.append(pos)
        ends.append(end)
    return OffsetMap(starts, ends, n_src)


@given(st.data())
@SETTINGS
def test_chain_equals_compose(data: st.DataObject) -> None:
    inner = data.draw(monotonic_maps())
    outer = data.draw(monotonic_maps(source_len=len(inner)))
    fast, slow = chain(outer, inner), outer.compose(inner)
    assert (fast.starts, fast.ends, fast.source_len) == (slow.starts, slow.ends, slow.source_len)
    assert chain(outer, None) is outer


# ------------------------------------------------------------------ normaliser maps on random input
# An alphabet that hits every step: traditional and simplified CJK, pinyin pieces, parentheses (half and
# full width), full-width digits, odd spaces, CRLF, invisibles, expansions, radicals, tabs and newlines.
ALPHABET = list("鎮镇開开報报總总項项數数(zhèn)(kāi)(一)（二）０１２3.:|") + [
    "(zhèn)", "(kāi)", "(xiàng)", "(de)", "\r\n", "\r", "\n", "\t", "\u00a0", "\u3000", "\u2003", "\u200b", "\ufeff",
    "\x07", "㈠", "⑴", "⼀", "⻓", "ａ", "，", "：", " ", "一、总体情况", "0000000",
]
texts = st.one_of(
    st.lists(st.sampled_from(ALPHABET), max_size=60).map("".join),
    st.text(max_size=80),
)
DROPPABLE = set("()abcdefghijklmnopqrstuvwxyzüāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ12345\u0300\u0301\u0304\u030c")


def _check_map(source: str, norm: str, m: OffsetMap) -> None:
    assert len(m) == len(norm) and m.source_len == len(source)
    assert m.is_monotonic()
    for i in range(len(norm)):
        a, b = m.span_to_source(i, i + 1)
        assert 0 <= a < b <= len(source), (i, a, b)
        assert m.span_from_source(a, b)[0] <= i < m.span_from_source(a, b)[1]


@given(texts)
@SETTINGS
def test_normalised_map_is_monotonic_and_in_range(source: str) -> None:
    norm, m = normalise_text(source)
    _check_map(source, norm, m)
    if norm:
        whole = m.span_to_source(0, len(norm))
        assert whole[0] <= whole[1] <= len(source)


@given(texts)
@SETTINGS
def test_whole_span_covers_only_real_characters(source: str) -> None:
    """Every normalised character comes from real source text; what no character covers was deleted on purpose."""
    norm, m = normalise_text(source)
    covered = [False] * len(source)
    for i, ch in enumerate(norm):
        a, b = m.span_to_source(i, i + 1)
        for k in range(a, b):
            covered[k] = True
        if not ch.isspace():  # visible output comes from visible input
            assert any(not c.isspace() for c in source[a:b]), (i, ch, source[a:b])
    for k, c in enumerate(source):
        if not covered[k]:  # deleted on purpose: an invisible character, or part of a pinyin gloss
            cleaned = clean_unicode(c)[0]
            assert cleaned == "" or all(x.lower() in DROPPABLE for x in cleaned), (k, c)


@given(texts)
@SETTINGS
def test_span_from_source_inverts_kept_characters(source: str) -> None:
    norm, m = normalise_text(source)
    owners: dict[tuple[int, int], int] = {}
    for i in range(len(norm)):
        span = m.span_to_source(i, i + 1)
        owners[span] = owners.get(span, 0) + 1
    for i in range(len(norm)):
        a, b = m.span_to_source(i, i + 1)
        if b - a == 1 and owners[(a, b)] == 1:  # a kept (one-to-one) character
            assert m.span_from_source(a, b) == (i, i + 1)
    for i in range(len(norm) + 1):  # and every span round-trips to a span that contains it
        for j in range(i, min(len(norm), i + 4) + 1):
            lo, hi = m.span_from_source(*m.span_to_source(i, j))
            assert lo <= i and j <= hi or i == j


HTML_PIECES = ["<p>", "</p>", "<br>", "<br/>", "<td>", "</td>", "<tr>", "</tr>", "<table>", "</table>",
               "<div class='a>b'>", "</div>", "<script>x<y</script>", "<!-- c -->", "&amp;", "&nbsp;", "&#48;",
               "&#x4e00;", "&bogus;", "&", "<", ">", " ", "\n", "鎮(zhèn)", "１２", "自然人", "0", "<pre> a  b\n</pre>"]


@given(st.lists(st.sampled_from(HTML_PIECES), max_size=40).map("".join))
@SETTINGS
def test_html_map_is_exact(page: str) -> None:
    norm, m = normalise_text(page, kind="html")
    _check_map(page, norm, m)
    for i, ch in enumerate(norm):
        a, b = m.span_to_source(i, i + 1)
        raw = page[a:b]
        if ch in "\t\n ":
            continue  # separators map onto a tag or a whitespace run
        assert ch in normalise_text(unescape(raw))[0], (i, ch, raw)  # the char itself, or its entity

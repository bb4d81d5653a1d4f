"""Reading a row's text fields: the quick path taken for ordinary strings gives what the careful
path gives, for any value."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from fanloop.growth.channels.rows import RowError, _text, _text_carefully


def _outcome(read, *args, **kwargs):  # noqa: ANN001, ANN202
    try:
        return "ok", read(*args, **kwargs)
    except RowError as error:
        return "refused", str(error)


values = st.one_of(
    st.text(alphabet=st.sampled_from(["a", "文", " ", "\n", "\x00", "\t"]), max_size=12),
    st.text(max_size=12),
    st.integers(),
    st.none(),
    st.booleans(),
    st.floats(allow_nan=False),
    st.lists(st.integers(), max_size=2),
)


@given(value=values, limit=st.integers(min_value=1, max_value=10), required=st.booleans())
def test_the_quick_path_agrees_with_the_careful_one(value, limit, required):
    assert _outcome(_text, value, "text", limit=limit, required=required) == _outcome(
        _text_carefully, value, "text", limit=limit, required=required
    )

"""How per-file work is split among worker processes (``posthog_setup.parallel``)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from posthog_setup.parallel import balanced_chunks, process_map


@given(st.lists(st.integers(min_value=0, max_value=10_000), max_size=300), st.integers(1, 8))
def test_every_item_goes_to_exactly_one_chunk_heaviest_first(
    weights: list[int], workers: int
) -> None:
    items = list(range(len(weights)))
    chunks = balanced_chunks(items, weights, workers)
    assert sorted(i for chunk in chunks for i in chunk) == items
    assert all(chunks)
    taken = [weights[i] for chunk in chunks for i in chunk]
    assert taken == sorted(taken, reverse=True)


def test_big_items_go_alone_and_small_ones_fill_in_at_the_end() -> None:
    # One file as big as the other hundred together, as a project's largest module can be.
    weights = [100, *([1] * 100)]
    chunks = balanced_chunks(list(range(101)), weights, 2)
    assert chunks[0] == [0]
    sizes = [sum(weights[i] for i in chunk) for chunk in chunks]
    # The last chunks are small: no worker is left with a long one while the other waits.
    assert max(sizes[len(sizes) // 2 :]) <= sum(weights) / 2 / 8 + 1
    assert len(chunks) <= 2 * 24 + 1


def test_items_of_equal_weight_keep_their_order() -> None:
    chunks = balanced_chunks(["a", "b", "c", "d"], [5, 5, 5, 5], 1)
    assert [item for chunk in chunks for item in chunk] == ["a", "b", "c", "d"]


def _square(number: int) -> int:
    return number * number


def test_process_map_answers_in_order_in_a_pool_and_without() -> None:
    numbers = list(range(50))
    expected = [n * n for n in numbers]
    assert process_map(_square, numbers, min_items=10) == expected
    assert process_map(_square, numbers, min_items=1000) == expected

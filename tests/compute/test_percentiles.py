"""Where percentile cuts go (no Spark): nominal mid-rank cuts, moved the least to fill every label."""

from taglake.compute.percentiles import cut_counts


def test_nominal_cuts_stand_when_every_label_has_values():
    assert cut_counts([2, 5], 8) == [2, 5]


def test_cuts_move_just_enough_to_fill_every_label():
    assert cut_counts([0, 1], 4) == [1, 2]          # the worked example of docs/tagdefs.md
    assert cut_counts([3, 3], 5) == [3, 4]          # the second label would be empty
    assert cut_counts([5, 5, 5], 5) == [2, 3, 4]    # every value at the top


def test_too_few_distinct_values_leave_the_nominal_cuts():
    assert cut_counts([1, 1], 2) == [1, 1]          # 3 labels, 2 values: one label stays empty
    assert cut_counts([0, 0], 0) == [0, 0]          # nobody in the population

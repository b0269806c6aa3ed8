import pytest

from taglake.core.dag import DAG, CycleError


def test_layers_and_closures():
    g = DAG()
    g.add("c", ["a", "b"])
    g.add("d", ["c"])
    g.add("e")
    assert g.layers() == [["a", "b", "e"], ["c"], ["d"]]
    assert g.upstream("d") == {"a", "b", "c"}
    assert g.downstream("a") == {"c", "d"}


def test_cycle_error_prints_the_exact_path():
    g = DAG()
    g.add("a", ["b"])
    g.add("b", ["c"])
    g.add("c", ["a"])
    g.add("x", ["a"])
    with pytest.raises(CycleError) as err:
        g.layers()
    assert str(err.value) == "dependency cycle: a -> b -> c -> a"


def test_self_loop_is_a_cycle():
    g = DAG()
    g.add("a", ["a"])
    assert g.find_cycle() == ["a", "a"]

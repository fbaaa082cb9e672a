"""Fault injection for srkit.load (issue 27): a wrong schema gives one clear ValueError
naming the file and what is wrong, never a raw AttributeError, KeyError, IndexError,
TypeError or JSONDecodeError."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest

import srkit

GOOD: dict[str, Any] = {
    "format": "srkit.SymbolicRegressor", "format_version": 1,
    "feature_names": ["m", "a"], "operators": ["add", "mul"],
    "model_selection": "best", "loss_floor": 0.0, "selected": 1,
    "front": [{"equation": "m", "loss": 4.0, "complexity": 1},
              {"equation": "m * a", "loss": 0.0, "complexity": 3}],
    "search": {"searcher": "gp", "n_evals": 10, "iterations": 1, "wall_time": 0.1, "seed": 0,
               "stopped_by": "budget", "config": {}},
}


def _save(tmp_path: Path, content: Any, name: str = "model.json") -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


def _edited(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    record = copy.deepcopy(GOOD)
    change(record)
    return record


def test_a_good_record_loads_and_predicts(tmp_path: Path) -> None:
    model = srkit.load(_save(tmp_path, GOOD))
    assert str(model) == "m * a" and model.predict(np.array([[2.0, 3.0]]))[0] == pytest.approx(6.0)
    assert len(model.pareto_front_) == 2 and model.result_.searcher == "gp"


@pytest.mark.parametrize(("content", "expect"), [
    ("", "the file is empty; expected a model saved with SymbolicRegressor.save"),
    ("  \n", "the file is empty"),
    ('{"format": "srkit.SymbolicRegressor", "front": [', "the file is not valid JSON (line 1, column"),
    ("not json at all", "the file is not valid JSON"),
    (bytes(range(256)), "the file is not UTF-8 text"),
    ([GOOD], 'holds a JSON list, not a saved srkit model (a JSON object with "format"'),
    ('"srkit"', "holds a JSON string, not a saved srkit model"),
    ("42", "holds a JSON number"),
    ("null", "holds a JSON null"),
    ({"name": "x", "version": 3}, 'it has no "format" key (a file written by another tool?)'),
    ({"format": "srkit.alpha.pool", "factors": []}, "holds format 'srkit.alpha.pool', not a saved srkit"),
    (_edited(lambda d: d.update(format_version=7)), "saved by a newer srkit (format_version 7; this one reads 1)"),
    (_edited(lambda d: d.update(format_version="1")), "format_version must be an integer, got '1'"),
    (_edited(lambda d: d.pop("front")), 'the key "front" is missing'),
    (_edited(lambda d: d.pop("operators")), 'the key "operators" is missing'),
    (_edited(lambda d: d.pop("selected")), 'the key "selected" is missing'),
    (_edited(lambda d: d.update(front={"equation": "m"})), '"front" must be a list of formulas, got'),
    (_edited(lambda d: d.update(front=["m"])), '"front[0]" must be an object with "equation", "loss", "complexity"'),
    (_edited(lambda d: d["front"][0].pop("loss")), 'front[0] has no "loss"'),
    (_edited(lambda d: d["front"][1].update(loss="0")), '"front[1].loss" must be a number, got \'0\''),
    (_edited(lambda d: d["front"][1].update(equation=3)), '"front[1].equation" must be a string, got 3'),
    (_edited(lambda d: d.update(feature_names="m,a")), '"feature_names" must be a non-empty list of names'),
    (_edited(lambda d: d.update(feature_names=[1, 2])), '"feature_names" must be a non-empty list of names, got [1, 2]'),
    (_edited(lambda d: d.update(operators={"add": 1})), '"operators" must be a list of operator names'),
    (_edited(lambda d: d.update(selected=2)), '"selected" is 2 but the front has 2 entries (0 to 1)'),
    (_edited(lambda d: d.update(selected=-1)), '"selected" is -1 but the front has 2 entries'),
    (_edited(lambda d: d.update(selected="1")), '"selected" must be an integer index into front'),
    (_edited(lambda d: d.update(selected=True)), '"selected" must be an integer index into front'),
    (_edited(lambda d: d.update(loss_floor=-1)), '"loss_floor" must be a number >= 0'),
    (_edited(lambda d: d.update(model_selection="fast")), "\"model_selection\" must be 'mdl', 'best', 'accuracy' or 'score'"),
    (_edited(lambda d: d.update(search=[])), '"search" must be an object, got list'),
    (_edited(lambda d: d["search"].update(n_evals="ten")), '"search.n_evals" must be an integer'),
    (_edited(lambda d: d.update(operators=["add", "mull"])), "unknown operator 'mull'. Did you mean 'mul'"),
    (_edited(lambda d: d["front"][1].update(equation="m ** ")), "front[1] equation 'm ** ' does not parse"),
    (_edited(lambda d: d["front"][1].update(equation="m * z")), "unknown name 'z'"),
    (_edited(lambda d: d["front"][1].update(equation="__import__('os')")), "does not parse"),
    (_edited(lambda d: d["front"][1].update(loss=5.0)), "the selected formula front[1] 'm * a' is not on the Pareto"),
], ids=lambda v: None)
def test_bad_schema_gives_one_clear_value_error(tmp_path: Path, content: Any, expect: str) -> None:
    path = _save(tmp_path, content)
    with pytest.raises(ValueError) as info:
        srkit.load(path)
    assert type(info.value) is ValueError  # not a JSONDecodeError, KeyError, ... dressed up
    message = str(info.value)
    assert message.startswith(f"{path}: ") and expect in message, message
    assert "\n" not in message  # one line


def test_a_search_that_found_nothing_says_so(tmp_path: Path) -> None:
    """What SymbolicRegressor saves when the search found no formula (NoFormulaError.to_dict)."""
    record = {"format": "srkit.SymbolicRegressor", "format_version": 1, "status": "empty", "front": [],
              "search": {"searcher": "gp", "n_evals": 0, "iterations": 0, "wall_time": 1.0, "seed": 0,
                         "stopped_by": "interrupt", "config": {}}}
    path = _save(tmp_path, record)
    with pytest.raises(ValueError) as info:
        srkit.load(path)
    assert str(info.value) == (
        f"{path}: the saved search found no formula (front empty, stopped by interrupt); there is no model "
        "to load: run the search again with a larger budget"
    )


def test_missing_file_is_an_os_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        srkit.load(tmp_path / "nope.json")


def test_a_saved_model_round_trips(tmp_path: Path) -> None:
    """The validation accepts what save writes (NaN/inf-free front, bools nowhere)."""
    X = np.random.default_rng(0).uniform(1, 2, (30, 2))
    model = srkit.SymbolicRegressor(operators=["add", "mul"], time_budget=None, max_iterations=3,
                                    random_state=0).fit(X, X[:, 0] * X[:, 1])
    path = tmp_path / "m.json"
    model.save(path)
    loaded = srkit.load(path)
    assert str(loaded) == str(model) and loaded.pareto_front_ == model.pareto_front_

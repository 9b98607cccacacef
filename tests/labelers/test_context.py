import json

from steplabel.labelers.context import observed_from_rows
from steplabel.schemas import StepLabel
from tests.labelers.test_mc import make_task


def _rows(rollout_id, evidences):
    return [StepLabel(run_id="run", rollout_id=rollout_id, problem_id="p", step_index=i, labeler="mc", label=None,
                      score=None, first_error=None, status="abstained" if "reason" in ev else "labeled",
                      evidence=json.dumps(ev)) for i, ev in enumerate(evidences)]


def test_kept_counts_are_read_once_and_unsolved_rollouts_stay_out_of_the_fit():
    kept, unsolved = make_task(3), make_task(3)
    unsolved = type(unsolved)(**{**unsolved.__dict__, "rollout_id": "other"})
    rows = _rows(kept.rollout_id, [{"correct": 3, "total": 4}, {"correct": 0, "total": 4}, {}])
    rows += _rows("other", [{"correct": 0, "total": 4, "reason": "unsolved: no completion reached the answer"},
                            {"correct": 0, "total": 4, "reason": "unsolved: no completion reached the answer"}, {}])
    observed = observed_from_rows([kept, unsolved], rows)
    assert len(observed) == 1
    assert observed[0].correct == (3, 0) and observed[0].total == (4, 4)


def test_stored_agreement_is_read_back_only_where_every_counted_prefix_has_it():
    task = make_task(3)
    newer = observed_from_rows([task], _rows(task.rollout_id, [{"correct": 3, "total": 8, "agree": 4},
                                                               {"correct": 0, "total": 8, "agree": 7}, {}]))
    assert newer[0].agree == (4, 7)
    older = observed_from_rows([task], _rows(task.rollout_id, [{"correct": 3, "total": 8, "agree": 4},
                                                               {"correct": 0, "total": 8}, {}]))
    assert older[0].agree == () and older[0].correct == (3, 0)
    broken = observed_from_rows([task], _rows(task.rollout_id, [{"correct": 3, "total": 8, "agree": 6},
                                                                {"correct": 0, "total": 8, "agree": 7}, {}]))
    assert broken[0].agree == ()  # 6 alike of 5 failures cannot be: not trusted


def test_a_wrong_solutions_own_answer_is_read_back_into_the_anchor():
    task = make_task(3)  # a wrong solution
    rows = _rows(task.rollout_id, [{"correct": 3, "total": 8, "agree": 2, "own_answer": 0},
                                   {"correct": 0, "total": 8, "agree": 7, "own_answer": 7}, {}])
    observed = observed_from_rows([task], rows)[0]
    # the solution's answer joins the failures: max(most common, own + 1)
    assert observed.agree == (2, 7) and observed.anchor == (2, 8)
    older = observed_from_rows([task], _rows(task.rollout_id, [{"correct": 3, "total": 8, "agree": 2},
                                                               {"correct": 0, "total": 8, "agree": 7}, {}]))
    assert older[0].anchor == () and older[0].agree == (2, 7)
    broken = observed_from_rows([task], _rows(task.rollout_id, [{"correct": 3, "total": 8, "agree": 2, "own_answer": 4},
                                                                {"correct": 0, "total": 8, "agree": 7, "own_answer": 7}, {}]))
    assert broken[0].anchor == (0, 8)  # 4 on its answer while the most common has 2 cannot be


def test_a_steps_echo_is_read_back_once_per_state():
    """The echo of step i (of the completions before it, those that state its value) is stored on
    step i's row and read back with its counts; a state another kept rollout holds gives it once,
    and a stored echo above its trials is not trusted."""
    first, second = make_task(4), make_task(4)
    second = type(second)(**{**second.__dict__, "rollout_id": "second"})
    rows = _rows(first.rollout_id, [{"correct": 3, "total": 8, "node": "a"},
                                    {"correct": 1, "total": 8, "node": "b", "echo": 0, "echo_trials": 8},
                                    {"correct": 0, "total": 8, "node": "c", "echo": 6, "echo_trials": 8}, {}])
    rows += _rows("second", [{"correct": 3, "total": 8, "node": "a"},
                             {"correct": 1, "total": 8, "node": "b", "echo": 0, "echo_trials": 8},
                             {"correct": 2, "total": 8, "node": "d", "echo": 9, "echo_trials": 8}, {}])
    one, two = observed_from_rows([first, second], rows)
    assert one.echo == (0, 0, 6) and one.echo_trials == (0, 8, 8)
    assert two.echo_trials == ()  # its shared state counted with the first; its own echo broken
    older = observed_from_rows([first], _rows(first.rollout_id, [{"correct": 3, "total": 8}, {"correct": 1, "total": 8},
                                                                 {"correct": 0, "total": 8}, {}]))
    assert older[0].echo == () and older[0].echo_trials == ()

"""Deduction steps checked with Z3 (FoVer's recipe for logic).

A step cites facts, rules and earlier steps and states a conclusion. The cited facts and the
conclusions of cited steps (as the solution stated them) are assumptions; each cited rule is
an implication. Z3 then decides premises ∧ ¬conclusion: unsatisfiable means the conclusion
follows (valid); satisfiable means it does not (invalid), and the model is a countermodel a
person can read; a timeout leaves the step unknown. A step citing what does not exist is
refuted without Z3. The answer of the last step is checked the same way: the statement (or
its negation, for "False") must follow from the premises and the step's conclusion.
"""

from __future__ import annotations

import z3

from steplabel.problems.worlds import logic


def _var(lit: logic.Literal, cache: dict) -> z3.BoolRef:
    key = (lit[0], lit[1])
    if key not in cache:
        cache[key] = z3.Bool(f"{lit[0]} is {lit[1]}")
    return cache[key]


def _formula(lit: logic.Literal, cache: dict):
    v = _var(lit, cache)
    return v if lit[2] else z3.Not(v)


def entails(premises: list, goal, cache: dict, timeout_ms: int) -> tuple[bool | None, dict]:
    solver = z3.Solver()
    solver.set("timeout", timeout_ms)
    solver.add(*premises)
    solver.add(z3.Not(goal))
    result = solver.check()
    if result == z3.unsat:
        return True, {}
    if result == z3.sat:
        model = solver.model()
        return False, {str(v): bool(z3.is_true(model.eval(v, model_completion=True))) for v in cache.values()}
    return None, {"reason": f"z3: {solver.reason_unknown()}"}


def check_deduction(problem: logic.LogicProblem, text: str, earlier: list[logic.Literal | None],
                    timeout_ms: int = 2000) -> tuple[bool | None, dict]:
    """(valid, evidence) for one step given the conclusions stated by the steps before it."""
    step = logic.read_step(text)
    if step is None or step.conclusion is None:
        return None, {"checker": "z3", "reason": "not a deduction step (From …: conclusion.)"}
    index = len(earlier)
    bad = [f"f{f}" for f in step.facts if not 1 <= f <= len(problem.facts)]
    bad += [f"r{r}" for r in step.rules if not 1 <= r <= len(problem.rules)]
    bad += [f"step {s}" for s in step.steps if not 0 <= s < index or earlier[s] is None]
    if bad:
        return False, {"checker": "z3", "reason": f"cites {', '.join(bad)}, which does not exist"}
    cache: dict = {}
    premises = [_formula(problem.facts[f - 1], cache) for f in step.facts]
    premises += [_formula(earlier[s], cache) for s in step.steps]
    for r in step.rules:
        rule = problem.rules[r - 1]
        premises.append(z3.Implies(z3.And(*[_formula(c, cache) for c in rule.conditions]),
                                   _formula(rule.conclusion, cache)))
    claim = logic.say(step.conclusion)
    valid, model = entails(premises, _formula(step.conclusion, cache), cache, timeout_ms)
    evidence = {"checker": "z3", "premises": [str(p) for p in premises], "conclusion": claim}
    if valid is None:
        return None, {**evidence, **model}
    if not valid:
        return False, {**evidence, "reason": "does not follow", "countermodel": model}
    if step.answer is not None:
        h = problem.hypothesis
        goal = _formula(h if step.answer == "True" else (h[0], h[1], not h[2]), cache)
        ok, model = entails(premises + [_formula(step.conclusion, cache)], goal, cache, timeout_ms)
        if ok is None:
            return None, {**evidence, **model}
        if not ok:
            return False, {**evidence, "reason": f"the answer {step.answer} does not follow",
                           "countermodel": model}
    return True, {**evidence, "reason": "follows"}

"""sim.policy: presets, partial changes to a preset, inheritance by ``base``, reference checks."""

from __future__ import annotations

import textwrap

import pytest

import sim
from sim.policy import PRESETS, Policy, preset, resolve_policies

SEGMENTS = {
    "incidental": {"share": 0.6, "portfolio": {"1": 1.0}, "products": {"gas": 1.0}},
    "multi": {"share": 0.3, "portfolio": {"2": 1.0}, "products": {"gas": 1.0}},
    "portfolio": {"share": 0.1, "portfolio": {"4": 1.0}, "products": {"gas": 1.0}},
}


def scenario(policies: dict | None = None, segments: dict | None = None, **extra) -> sim.Scenario:
    data = {
        "horizon": {"days": 10},
        "population": {"initial_customers": 10},
        "products": {"gas": {}},
        "segments": SEGMENTS if segments is None else segments,
        **extra,
    }
    if policies is not None:
        data["policies"] = policies
    return sim.Scenario.from_dict(data)


def errors(policies: dict, segments: dict | None = None, **extra) -> dict[str, sim.ScenarioIssue]:
    with pytest.raises(sim.ScenarioError) as info:
        scenario(policies, segments, **extra)
    return {i.path: i for i in info.value.errors}


def differences(a: Policy, b: Policy, prefix: str = "") -> set[str]:
    """Dotted paths of the levers on which two policies differ."""

    def flat(d, pre=""):
        out = {}
        for k, v in d.items():
            if isinstance(v, dict) and k != "priority":
                out.update(flat(v, f"{pre}{k}."))
            else:
                out[f"{pre}{k}"] = v
        return out

    fa, fb = flat(a.model_dump()), flat(b.model_dump())
    return {k for k in fa if fa[k] != fb[k]}


# -- presets ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(PRESETS))
def test_presets_validate(name):
    policy = preset(name)
    assert isinstance(policy, Policy)
    assert policy.description


def test_preset_levers_match_the_design_table():
    eff, eft, seg = preset("efficiency"), preset("effectiveness"), preset("segmented")
    assert eff.routing == "departmental" and eft.routing == "case_owner"
    assert eff.handle_cap_minutes is not None and eft.handle_cap_minutes is None
    assert eff.knowledge < eft.knowledge
    assert eff.promises.keep_rate == pytest.approx(0.7) and eft.promises.keep_rate >= 0.95
    assert eff.self_service.push == "all" and eft.self_service.push == "eligible"
    assert eff.interventions == [] and eft.interventions[0].reason == "supplier_induced"
    assert eft.account_managers.segments == ["portfolio"]
    assert eft.staffing.training_cost_per_agent_year > eff.staffing.training_cost_per_agent_year
    # segmented: efficiency for the rest, effective service for portfolio customers
    assert seg.routing == eff.routing and seg.handle_cap_minutes == eff.handle_cap_minutes
    assert seg.account_managers.segments == ["portfolio"]
    assert seg.priority["portfolio"] > seg.priority.get("incidental", 0)


def test_unknown_preset_is_a_key_error_naming_the_presets():
    with pytest.raises(KeyError, match="efficiency"):
        preset("cheapest")


def test_presets_are_always_in_a_scenario():
    sc = scenario()
    for name in PRESETS:
        assert sc.policies[name] == preset(name)


# -- changing a preset -------------------------------------------------------------------------------
def test_a_partial_preset_table_changes_only_those_levers(tmp_path):
    text = textwrap.dedent(
        """\
        [horizon]
        days = 10
        [population]
        initial_customers = 10
        [products.gas]
        [segments.incidental]
        share = 0.6
        portfolio = { 1 = 1.0 }
        products = { gas = 1.0 }
        [segments.multi]
        share = 0.3
        portfolio = { 2 = 1.0 }
        products = { gas = 1.0 }
        [segments.portfolio]
        share = 0.1
        portfolio = { 4 = 1.0 }
        products = { gas = 1.0 }

        [policies.efficiency]
        handle_cap_minutes = 6.0
        staffing = { agents = 5 }

        [policies.efficiency.promises]
        keep_rate = 0.5
        """
    )
    path = tmp_path / "s.toml"
    path.write_text(text, encoding="utf-8")
    sc = sim.load_scenario(path)
    changed = sc.policies["efficiency"]
    assert differences(changed, preset("efficiency")) == {
        "handle_cap_minutes",
        "staffing.agents",
        "promises.keep_rate",
    }
    assert changed.handle_cap_minutes == 6.0 and changed.staffing.agents == 5
    assert changed.promises.keep_rate == 0.5
    # the other presets are untouched
    assert sc.policies["effectiveness"] == preset("effectiveness")


def test_a_new_policy_inherits_from_its_base():
    sc = scenario(
        {"mine": {"base": "effectiveness", "knowledge": 0.85, "staffing": {"target_seconds": 30.0}}}
    )
    mine = sc.policies["mine"]
    assert mine.base == "effectiveness"
    assert differences(mine, preset("effectiveness")) == {"base", "knowledge", "staffing.target_seconds"}
    assert (
        mine.staffing.training_cost_per_agent_year
        == preset("effectiveness").staffing.training_cost_per_agent_year
    )


def test_a_base_can_be_another_policy_of_the_file_and_sees_its_changes():
    sc = scenario(
        {
            "grandchild": {"base": "child", "bypass": False},
            "child": {"base": "efficiency", "misroute_p": 0.3},
            "efficiency": {"knowledge": 0.5},
        }
    )
    child, grandchild = sc.policies["child"], sc.policies["grandchild"]
    assert child.knowledge == 0.5 and child.misroute_p == 0.3
    assert grandchild.knowledge == 0.5 and grandchild.misroute_p == 0.3 and grandchild.bypass is False
    assert grandchild.routing == "departmental"


def test_a_new_policy_without_base_starts_from_the_neutral_defaults():
    sc = scenario({"plain": {"knowledge": 0.6}})
    assert differences(sc.policies["plain"], Policy()) == {"knowledge"}


def test_priority_tables_replace_rather_than_merge():
    sc = scenario({"segmented": {"priority": {"incidental": 4}}})
    assert sc.policies["segmented"].priority == {"incidental": 4}


# -- errors ---------------------------------------------------------------------------------------
def test_an_unknown_base_is_an_error():
    found = errors({"mine": {"base": "cheapest"}})
    issue = found["policies.mine.base"]
    assert "unknown policy" in issue.rule and issue.value == "cheapest"


@pytest.mark.parametrize(
    "policies",
    [
        {"a": {"base": "b"}, "b": {"base": "a"}},
        {"a": {"base": "a"}},
        {"a": {"base": "b"}, "b": {"base": "c"}, "c": {"base": "a"}},
    ],
    ids=["two", "self", "three"],
)
def test_bases_forming_a_cycle_are_an_error(policies):
    found = errors(policies)
    for name in policies:
        assert found[f"policies.{name}.base"].rule == "bases form a cycle"


def test_presets_drop_references_to_segments_the_scenario_lacks():
    only = {"everyone": {"share": 1.0, "portfolio": {"1": 1.0}, "products": {"gas": 1.0}}}
    sc = scenario(segments=only)
    assert sc.policies["effectiveness"].account_managers.segments == []
    assert sc.policies["segmented"].priority == {}
    # and a policy built on such a preset is fine too
    sc = scenario({"mine": {"base": "segmented", "knowledge": 0.7}}, segments=only)
    assert sc.policies["mine"].account_managers.segments == []
    # a scenario with some of the preset's segments keeps those
    some = {"multi": {"share": 1.0, "portfolio": {"2": 1.0}, "products": {"gas": 1.0}}}
    assert scenario(segments=some).policies["segmented"].priority == {"multi": 1}


def test_a_users_own_segment_references_are_checked():
    only = {"everyone": {"share": 1.0, "portfolio": {"1": 1.0}, "products": {"gas": 1.0}}}
    found = errors(
        {
            "effectiveness": {"account_managers": {"segments": ["portfolio"]}},
            "mine": {"base": "efficiency", "priority": {"vip": 3}},
        },
        segments=only,
    )
    assert found["policies.effectiveness.account_managers.segments[0]"].value == "portfolio"
    assert found["policies.mine.priority.vip"].value == "vip"


@pytest.mark.parametrize("level", [-1, 10, 99])
def test_priority_levels_outside_0_to_9_are_rejected(level):
    found = errors({"mine": {"priority": {"multi": level}}})
    assert "policies.mine.priority.multi" in found


@pytest.mark.parametrize("level", [0, 9])
def test_priority_levels_at_the_bounds_are_accepted(level):
    assert scenario({"mine": {"priority": {"multi": level}}}).policies["mine"].priority == {"multi": level}


def test_a_wrongly_typed_policy_is_an_error():
    assert "policies.mine" in errors({"mine": 5})
    assert "policies.efficiency.staffing" in errors({"efficiency": {"staffing": 5}})
    assert "policies.efficiency.routing" in errors({"efficiency": {"routing": "random"}})


def test_a_wrongly_typed_preset_is_an_error():
    assert "policies.efficiency" in errors({"efficiency": 5})


def test_an_unknown_default_policy_or_switch_target_is_an_error():
    found = errors(
        {"mine": {}},
        default_policy="theirs",
        timeline={"switches": [{"day": 3, "policy": "ghost"}]},
    )
    assert found["default_policy"].value == "theirs"
    assert found["timeline.switches[0].policy"].value == "ghost"


# -- resolve_policies directly ----------------------------------------------------------------------
def test_resolve_policies_does_not_mutate_its_input_or_the_presets():
    raw = {
        "efficiency": {"staffing": {"agents": 3}},
        "mine": {"base": "effectiveness", "promises": {"offer_p": 0.1}},
    }
    snapshot = {
        k: {kk: (dict(vv) if isinstance(vv, dict) else vv) for kk, vv in v.items()} for k, v in raw.items()
    }
    presets_before = {k: repr(v) for k, v in PRESETS.items()}
    out = resolve_policies(raw, ["incidental"])
    assert raw == snapshot
    assert {k: repr(v) for k, v in PRESETS.items()} == presets_before
    assert out["efficiency"]["staffing"]["agents"] == 3
    assert out["efficiency"]["staffing"]["mode"] == PRESETS["efficiency"]["staffing"]["mode"]
    assert out["mine"]["promises"]["keep_rate"] == PRESETS["effectiveness"]["promises"]["keep_rate"]
    assert out["mine"]["account_managers"]["segments"] == []  # the preset's "portfolio" dropped

"""The what-if report: deterministic, self-contained, and really readable in a browser."""

from __future__ import annotations

import json
import os
import re
import shutil

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

import experiments
import sim
from experiments.outputs import OutputError
from experiments.report import collect, comparison_report, sensitivity_report, store_report
from experiments.report.narrative import best_policy
from tests.conftest import small_sets, small_utility

BROWSER = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
REQUIRED = os.environ.get("CUSTSIM_REQUIRE_BROWSER") == "1"  # set by .ci/run, which installs Chromium


@pytest.fixture(scope="module")
def data():
    scenario = small_utility(
        customers=2500,
        days=100,
        warmup=20,
        **{
            "timeline.shocks": [
                {"start_day": 50, "days": 14, "reason": "supplier_induced", "multiplier": 3.0}
            ],
            "timeline.switches": [{"day": 80, "policy": "effectiveness"}],
        },
    )
    return collect(scenario, ["efficiency", "effectiveness", "segmented"], reps=2, seed=3, workers=2)


@pytest.fixture(scope="module")
def report(data, tmp_path_factory):
    return comparison_report(data, tmp_path_factory.mktemp("report"))


def test_report_has_every_figure_as_svg_and_png(report):
    html = report.read_text(encoding="utf-8")
    for fig_id in ("paradox", "satisfaction", "customers", "contacts", "money"):
        assert f'<figure id="{fig_id}"' in html
    assert html.count("<svg") == 5
    pngs = sorted(p.name for p in report.parent.glob("*.png"))
    assert pngs == [
        "figure-01-comparison.png",
        "figure-02-paradox.png",
        "figure-03-satisfaction.png",
        "figure-04-customers.png",
        "figure-05-contacts.png",
        "figure-06-money.png",
    ]
    assert all((report.parent / p).stat().st_size > 10_000 for p in pngs)
    assert 'id="comparison-table"' in html and "Δ effectiveness" in html


def test_report_is_self_contained(report):
    html = report.read_text(encoding="utf-8")
    assert "<script" not in html
    assert not re.search(r"""(src|href)\s*=\s*["'](https?:)?//""", html)
    assert "@import" not in html
    assert not re.search(r"url\((?!#)", html), "only local fragment references (clip paths) are allowed"


def test_same_results_give_the_same_file(data, report, tmp_path):
    again = comparison_report(data, tmp_path)
    assert again.read_bytes() == report.read_bytes()


def test_the_summary_is_written_from_the_numbers(data, report):
    html = report.read_text(encoding="utf-8")
    summaries = data.summaries()
    fcr = best_policy(summaries, "fcr", data.policies)
    churn = best_policy(summaries, "churn_rate_annual", data.policies)
    means = summaries.groupby("policy")["churn_rate_annual"].mean()
    assert churn == means.idxmin()  # fewest customers lost is the lowest churn
    assert f"{fcr} resolves the most issues at the first contact" in html
    assert f"{churn} loses the fewest customers" in html
    assert "paired over 2 replications" in html


def test_parameters_and_provenance_close_the_report(data, report):
    html = report.read_text(encoding="utf-8")
    assert html.index('id="parameters"') < html.index('id="provenance"')
    assert data.scenario.content_hash() in html
    assert "&#34;initial_customers&#34;: 2500" in html or '"initial_customers": 2500' in html


def _swept(tmp_path, vary: dict, policies: list[str]):
    """A small sweep stored in tmp_path: (scenario, store path)."""
    scenario = small_utility(customers=800, days=40, warmup=5)
    store = tmp_path / "s.sqlite"
    experiments.sweep(scenario, vary, policies, reps=2, store=store, workers=1)
    return scenario, store


def test_report_from_a_sweep_store(tmp_path):
    vary = {"policies.efficiency.knowledge": [0.7, 0.95]}
    scenario, store = _swept(tmp_path, vary, ["efficiency", "effectiveness"])
    page = store_report(store, tmp_path / "out", scenario)
    html = page.read_text(encoding="utf-8")
    assert '<figure id="sweep"' in html and '<figure id="paradox"' in html
    assert "policies.efficiency.knowledge" in html
    assert "keeps each run&#39;s summary" in html or "keeps each run's summary" in html


def test_sensitivity_report(tmp_path):
    frame = pd.DataFrame(
        {
            "output": ["fcr", "fcr"],
            "parameter": ["a", "b"],
            "mu": [0.1, 0.0],
            "mu_star": [0.2, 0.01],
            "sigma": [0.05, 0.0],
            "mu_star_conf": [0.03, 0.01],
        }
    )
    frame.attrs.update({"method": "morris", "runs": 12, "points": 12, "policy": "efficiency"})
    page = sensitivity_report(frame, small_utility(customers=100, days=10, warmup=1), tmp_path)
    html = page.read_text(encoding="utf-8")
    assert '<figure id="sensitivity"' in html and "the parameter that matters most is a" in html


def test_the_paradox_sentence_needs_both_differences_to_be_certain():
    from experiments.report.narrative import summary_sentences

    def frame(sl_gap: float, sat_gap: float, noise: float) -> pd.DataFrame:
        rows = []
        for rep, e in enumerate((-noise, 0.0, noise)):
            base = {m: 0.5 for m in sim.METRICS}
            rows.append(
                {**base, "policy": "fast", "rep": rep, "service_level": 0.9, "satisfaction_mean": 0.7}
            )
            rows.append(
                {
                    **base,
                    "policy": "kind",
                    "rep": rep,
                    "service_level": 0.9 - sl_gap + e,
                    "satisfaction_mean": 0.7 + sat_gap - e,
                }
            )
        return pd.DataFrame(rows)

    sure = " ".join(summary_sentences(frame(0.05, 0.01, 0.001), ["fast", "kind"], "s", 20, 3))
    assert "The fastest desk is not the one customers prefer" in sure
    unsure = " ".join(summary_sentences(frame(0.05, 0.01, 0.05), ["fast", "kind"], "s", 20, 3))
    assert "not the one customers prefer" not in unsure and "run more replications" in unsure


def test_a_loss_is_not_called_a_profit(data):
    from experiments.report.narrative import summary_sentences

    losing = data.summaries().assign(profit=lambda f: -1_000_000 + f.rep)
    text = " ".join(summary_sentences(losing, data.policies, "s", 20, data.reps))
    assert "loses the least money" in text and "makes the most profit" not in text


def test_a_store_report_keeps_the_sweeps_policy_order_and_takes_a_baseline(tmp_path):
    scenario, store = _swept(tmp_path, {"response.retry_p": [0.5, 1.0]}, ["effectiveness", "efficiency"])
    html = store_report(store, tmp_path / "a", scenario).read_text(encoding="utf-8")
    assert "Δ efficiency" in html and "Δ effectiveness" not in html
    html = store_report(store, tmp_path / "b", scenario, baseline="efficiency").read_text(encoding="utf-8")
    assert "Δ effectiveness" in html and "Δ efficiency" not in html
    with pytest.raises(ValueError, match="baseline: must be one of"):
        store_report(store, tmp_path / "c", scenario, baseline="segmented")


def test_a_report_replaces_the_figures_of_an_earlier_one_and_nothing_else(data, tmp_path):
    earlier = Figure()
    earlier.add_subplot().plot([1, 2])
    earlier.savefig(tmp_path / "figure-07-sweep.png", metadata={"Software": "custsim"})  # an earlier report's
    (tmp_path / "notes.txt").write_text("mine")
    comparison_report(data, tmp_path)
    assert not (tmp_path / "figure-07-sweep.png").exists()
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert len(list(tmp_path.glob("figure-*.png"))) == 6


def test_a_report_never_replaces_a_figure_it_did_not_write_unless_forced(data, tmp_path):
    (tmp_path / "figure-02-paradox.png").write_bytes(b"my own drawing")
    (tmp_path / "figure-09-mine.png").write_bytes(b"another")
    with pytest.raises(OutputError, match="not a custsim report figure.*--force"):
        comparison_report(data, tmp_path)
    assert (tmp_path / "figure-02-paradox.png").read_bytes() == b"my own drawing"
    assert not (tmp_path / "report.html").exists()
    comparison_report(data, tmp_path, force=True)  # replaces the one it writes, deletes nothing else
    assert (tmp_path / "figure-02-paradox.png").read_bytes().startswith(b"\x89PNG")
    assert (tmp_path / "figure-09-mine.png").read_bytes() == b"another"


@pytest.fixture(scope="module")
def browser(report, tmp_path_factory):
    """Headless Chromium with the report loaded, and every request the page made."""
    if not (BROWSER and DRIVER):
        if REQUIRED:
            pytest.fail("CUSTSIM_REQUIRE_BROWSER=1 but chromium or chromedriver is missing")
        pytest.skip("needs Debian's chromium and chromium-driver (.ci/run installs them)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tmp_path_factory.mktemp("chromium-profile")
    options = webdriver.ChromeOptions()
    options.binary_location = BROWSER
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        "--window-size=1300,1000",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    try:
        driver.get(report.resolve().as_uri())
        requests = []
        for entry in driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            if message["method"] == "Network.requestWillBeSent":
                requests.append(message["params"]["request"]["url"])
        yield driver, requests
    finally:
        driver.quit()


def test_every_figure_is_visible_in_headless_chromium_and_the_page_is_not_blank(browser, tmp_path):
    from matplotlib.image import imread
    from selenium.webdriver.common.by import By

    driver, _ = browser
    figures = driver.find_elements(By.CSS_SELECTOR, "figure.report-figure")
    assert [f.get_attribute("id") for f in figures] == [
        "paradox",
        "satisfaction",
        "customers",
        "contacts",
        "money",
    ]
    for fig in figures:
        svg = fig.find_element(By.TAG_NAME, "svg")
        driver.execute_script("arguments[0].scrollIntoView();", svg)
        assert svg.is_displayed(), fig.get_attribute("id")
        assert svg.size["width"] > 400 and svg.size["height"] > 150, (fig.get_attribute("id"), svg.size)
    table = driver.find_element(By.ID, "comparison-table")
    assert table.is_displayed() and len(table.find_elements(By.TAG_NAME, "tr")) > 20
    driver.execute_script("window.scrollTo(0, 0);")
    shot = tmp_path / "screenshot.png"
    assert driver.save_screenshot(str(shot))
    pixels = imread(str(shot))[..., :3]
    assert np.isfinite(pixels).all()
    assert pixels.std() > 0.05, "the screenshot is blank"
    assert (pixels < 0.5).mean() > 0.002, "no dark text on the page"


def test_the_report_makes_no_network_request_in_the_browser(browser):
    _, requests = browser
    assert requests, "the performance log recorded no request at all"
    assert any(u.startswith("file://") and u.endswith("report.html") for u in requests)
    network = [u for u in requests if u.split(":", 1)[0] in ("http", "https", "ws", "wss", "ftp")]
    assert network == [], f"the report made network requests: {network}"


# -- the command line -----------------------------------------------------------------------------
SMALL = small_sets(days=40, warmup=5)


def test_compare_report_writes_the_page_and_every_png(tmp_path, capsys):
    from experiments.cli import main

    out = tmp_path / "client"
    code = main(
        [
            "compare",
            "utility_callcentre",
            "--policies",
            "efficiency,effectiveness",
            "--reps",
            "2",
            *SMALL,
            "--workers",
            "1",
            "--report",
            str(out),
        ]
    )
    assert code == 0
    assert "fcr" in capsys.readouterr().out
    assert (out / "report.html").is_file() and len(list(out.glob("figure-*.png"))) == 6
    assert "Δ effectiveness" in (out / "report.html").read_text(encoding="utf-8")


@pytest.mark.slow
def test_compare_with_a_target_and_a_report_runs_each_replication_once(tmp_path, capsys, monkeypatch):
    from experiments.cli import main

    calls = []
    real = sim.run

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(sim, "run", counting)
    args = ["compare", "utility_callcentre", "--policies", "efficiency,effectiveness", "--reps", "2", *SMALL]
    args += ["--target", "fcr=1e-9", "--max-reps", "4", "--workers", "1", "--report", str(tmp_path / "r")]
    assert main(args) == 0
    assert "4 replications per policy" in capsys.readouterr().out
    assert len(calls) == 2 * 4  # the table and the report's daily series come from the same runs


def test_report_command_from_a_sweep_store(tmp_path, capsys):
    from experiments.cli import main

    store = tmp_path / "s.sqlite"
    assert (
        main(
            [
                "sweep",
                "utility_callcentre",
                "--vary",
                "response.retry_p=0.3,0.9",
                "--policies",
                "efficiency,effectiveness",
                "--store",
                str(store),
                *SMALL,
                "--workers",
                "1",
            ]
        )
        == 0
    )
    assert main(["report", str(store), "--out", str(tmp_path / "out")]) == 0
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert '<figure id="sweep"' in html and "response.retry_p" in html


@pytest.mark.parametrize(
    "args, message",
    [
        (["report", "missing.sqlite", "--out", "out"], "no result store"),
        (["report", "STORE", "--out", "out", "--output", "nonsense"], "--output: unknown metric nonsense"),
        (["report", "STORE", "--out", "FILE"], "a file is in the way"),
        (["compare", "utility_callcentre", "--report", "FILE/sub"], "does not exist"),
    ],
)
def test_report_bad_input_exits_2_and_writes_nothing(args, message, tmp_path, monkeypatch, capsys):
    from experiments.cli import main

    monkeypatch.chdir(tmp_path)
    store = tmp_path / "store.sqlite"
    experiments.Store(store).close()
    (tmp_path / "FILE").write_text("x")
    args = [str(store) if a == "STORE" else a for a in args]
    before = sorted(p.name for p in tmp_path.iterdir())
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == before

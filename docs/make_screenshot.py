"""Screenshot of a what-if report in headless Chromium, for the README.

    custsim compare scenarios/utility_callcentre.toml --report report
    python docs/make_screenshot.py report/report.html docs/images/report.png

Needs Debian's ``chromium`` and ``chromium-driver`` (and selenium, in the test extra).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service


def screenshot(page: Path, out: Path, width: int = 1280, height: int = 1600) -> None:
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "chromium"
    with tempfile.TemporaryDirectory() as profile:
        for flag in (
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            f"--window-size={width},{height}",
        ):
            options.add_argument(flag)
        driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
        try:
            driver.get(page.resolve().as_uri())
            driver.save_screenshot(str(out))
        finally:
            driver.quit()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("page", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=1600)
    a = parser.parse_args()
    screenshot(a.page, a.out, a.width, a.height)

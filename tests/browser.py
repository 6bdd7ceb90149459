"""A real headless browser (Debian's `chromium`) for tests that must see what a user sees.

`render` opens a local HTML file with a small script injected first in <head> that records
every script error and console error into the page, lets the page's scripts run, and
returns the resulting DOM; `screenshot` saves a PNG. Both skip the test with a clear
message when no browser is installed (the README says how to install one).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
ERRORS_ID = "collected-script-errors"
_COLLECTOR = f"""<script>
(function () {{
  var errors = [];
  function keep(text) {{
    errors.push(String(text));
    var box = document.getElementById("{ERRORS_ID}");
    if (!box) {{
      box = document.createElement("pre");
      box.id = "{ERRORS_ID}";
      (document.body || document.documentElement).appendChild(box);
    }}
    box.textContent = errors.join("\\n");
  }}
  window.addEventListener("error", function (e) {{ keep("error: " + e.message); }});
  window.addEventListener("unhandledrejection", function (e) {{ keep("rejection: " + e.reason); }});
  var original = console.error;
  console.error = function () {{
    keep("console.error: " + Array.prototype.join.call(arguments, " "));
    return original.apply(console, arguments);
  }};
}})();
</script>"""


def browser() -> str:
    """The path of an installed Chromium, or skip the test saying how to get one."""
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    pytest.skip(
        "no headless browser installed: `apt-get install -y chromium` (Debian) to run the "
        "report rendering test; .ci/run installs it."
    )


def _run(args: list[str], workdir: Path) -> subprocess.CompletedProcess:
    profile = workdir / "chromium-profile"
    profile.mkdir(parents=True, exist_ok=True)
    command = [
        browser(),
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        # Let the page's scripts (plotly drawing every chart) finish before the dump.
        "--virtual-time-budget=20000",
        *args,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=240, check=False)


def with_error_collector(page: Path, workdir: Path) -> Path:
    """A copy of `page` whose first script records script and console errors in the DOM."""
    text = page.read_text(encoding="utf-8")
    head = text.index("<head>") + len("<head>")
    copy = workdir / f"collected-{page.name}"
    copy.write_text(text[:head] + _COLLECTOR + text[head:], encoding="utf-8")
    return copy


def render(page: Path, workdir: Path) -> str:
    """The DOM of `page` once its scripts ran, errors collected in #collected-script-errors."""
    done = _run(["--dump-dom", with_error_collector(page, workdir).as_uri()], workdir)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def screenshot(page: Path, target: Path, workdir: Path, size: str = "1280,6000") -> Path:
    """A PNG of `page` as a browser window of `size` (width,height) shows it."""
    target.parent.mkdir(parents=True, exist_ok=True)
    done = _run([f"--window-size={size}", f"--screenshot={target}", page.as_uri()], workdir)
    assert done.returncode == 0 and target.exists(), done.stderr[-2000:]
    return target

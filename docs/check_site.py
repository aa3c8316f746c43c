"""Load built documentation pages in headless Chromium; fail on console errors or broken images.

Usage: ``python docs/check_site.py docs/_build/html index.html tutorials/mmrm.html``
(``make docs-check``, part of ``make test-all``). Each page is opened inside a small
harness page (same-origin ``file://`` access allowed) that, once the page has loaded,
lists every ``<img>`` that did not decode; Chromium's console log (``--enable-logging``)
must stay empty: a healthy page logs nothing. ``--self-test`` first checks that a page
with a script error and a missing image is caught. Exit status 1 on any failure.
Needs Debian's ``chromium`` (``make system-tools``); the package never does.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
HARNESS = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>check</title></head>
<body><pre id="result">not loaded</pre>
<iframe id="page" src="{src}" style="width:1280px;height:900px"></iframe>
<script>
const f = document.getElementById("page");
f.addEventListener("load", () => {{
  const d = f.contentDocument;
  const images = Array.from(d.images);
  const broken = images.filter(i => !(i.complete && i.naturalWidth > 0))
                       .map(i => i.getAttribute("src"));
  document.getElementById("result").textContent =
    JSON.stringify({{title: d.title, images: images.length, broken: broken}});
}});
</script></body></html>
"""
_RESULT = re.compile(r'<pre id="result">(.*?)</pre>', re.S)
_CONSOLE = re.compile(r":CONSOLE[:(]\d*\)?\] (.*)")


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    sys.exit("docs check: chromium not found (make system-tools installs Debian's chromium)")


def load(page: Path) -> tuple[dict | None, list[str]]:
    """(what the harness saw, console messages) for one page."""
    with tempfile.TemporaryDirectory(prefix="ldn-docs-check-") as tmp:
        harness = Path(tmp) / "harness.html"
        harness.write_text(HARNESS.format(src=page.resolve().as_uri()), encoding="utf-8")
        profile = Path(tmp) / "profile"
        profile.mkdir()
        proc = subprocess.run(
            [chromium(), *FLAGS, f"--user-data-dir={profile}", "--allow-file-access-from-files",
             "--enable-logging=stderr", "--v=0", "--virtual-time-budget=15000", "--dump-dom",
             harness.as_uri()],
            capture_output=True, text=True, timeout=120, check=False)
    found = _RESULT.search(proc.stdout)
    try:
        seen = json.loads(found.group(1)) if found else None
    except json.JSONDecodeError:
        seen = None
    console = [m.group(1) for m in _CONSOLE.finditer(proc.stderr)]
    return seen, console


def problems(page: Path) -> tuple[list[str], dict | None]:
    """Failures found on ``page`` and what the harness saw."""
    if not page.is_file():
        return [f"{page}: no such page (build the docs first: make docs)"], None
    seen, console = load(page)
    out = [f"{page}: console: {c}" for c in console]
    if seen is None:
        out.append(f"{page}: the page did not load in Chromium")
    else:
        out += [f"{page}: image did not load: {src}" for src in seen["broken"]]
    return out, seen


def self_test() -> list[str]:
    with tempfile.TemporaryDirectory(prefix="ldn-docs-selftest-") as tmp:
        bad = Path(tmp) / "bad.html"
        bad.write_text('<!DOCTYPE html><html><head><title>bad</title><script>noSuchFunction();'
                       '</script></head><body><img src="missing.png" alt="x"></body></html>')
        found, _ = problems(bad)
    wanted = ("console: \"Uncaught ReferenceError", "image did not load: missing.png")
    missed = [w for w in wanted if not any(w in f for f in found)]
    return [f"self-test: the check did not catch {w!r} (saw {found})" for w in missed]


def main(argv: list[str]) -> int:
    args = [a for a in argv if a != "--self-test"]
    if len(args) < 2:
        print(__doc__)
        return 2
    root, pages = Path(args[0]), args[1:]
    failures = self_test() if "--self-test" in argv else []
    for name in pages:
        found, seen = problems(root / name)
        failures += found
        if not found and seen is not None:
            print(f"OK {name}: {seen['title']!r}, {seen['images']} image(s) loaded, "
                  "no console messages")
    for f in failures:
        print(f"FAIL {f}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

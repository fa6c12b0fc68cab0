"""Open a `report.html` in real Chromium (Playwright from Node) and say what it shows.

Used by the report tests, the report benchmark and `scripts/screenshots.py`. The page is
loaded from `file://`; every console error, uncaught exception and request that is not the
page itself is collected (the page must fetch nothing), then what the timeline drew is read
from the DOM. With a query, the search box is filled and the matches counted.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from tests.playwright_env import CHROMIUM, CHROMIUM_ARGS, node_modules

DRIVER = """
const { chromium } = require('@playwright/test');
(async () => {
  const [url, query, shot, executablePath, args] = process.argv.slice(1);
  const browser = await chromium.launch({ executablePath, args: JSON.parse(args) });
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push('console: ' + m.text()); });
  page.on('pageerror', (e) => errors.push('exception: ' + String(e)));
  page.on('request', (r) => { if (r.url() !== url) errors.push('request: ' + r.url()); });
  const began = Date.now();
  await page.goto(url);
  const load_ms = Date.now() - began;  // goto waits for the load event: the script has run
  const ready = await page.evaluate(() => document.documentElement.dataset.ready === '1');
  if (!ready) errors.push('page: the script did not finish drawing');
  const seen = await page.evaluate(() => ({
    pwned: typeof window.__pwned === 'undefined' ? null : window.__pwned,
    title: document.title,
    bars: Array.from(document.querySelectorAll('#timeline .track > .bar')).map((b) => b.title),
    lanes: Array.from(document.querySelectorAll('#timeline .lane')).map((l) => ({
      label: l.querySelector('.lane-label').textContent,
      worker: l.dataset.worker,
      shard: l.dataset.shard,
      crashed: l.classList.contains('crashed'),
      crash_marks: l.querySelectorAll('.crash').length,
      bars: l.querySelectorAll('.track > .bar').length,
    })),
    failures: Array.from(document.querySelectorAll('#failures pre')).map((p) => p.textContent),
    failure_ids: Array.from(document.querySelectorAll('#failures summary')).map(
      (s) => s.textContent),
    quarantined_ids: Array.from(document.querySelectorAll('#quarantined summary')).map(
      (s) => s.textContent),
    quarantined_bars: Array.from(
      document.querySelectorAll('#timeline .track > .bar.quarantined')).map((b) => b.title),
    suite_errors: Array.from(document.querySelectorAll('#suite-errors details')).map(
      (d) => d.textContent),
    ticks: Array.from(document.querySelectorAll('#timeline .tick')).map((t) => ({
      text: t.textContent, right: t.getBoundingClientRect().right,
      cut: t.scrollWidth > t.clientWidth })),
    overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
    width: document.documentElement.clientWidth,
    label_titles: Array.from(document.querySelectorAll('#timeline .lane-label')).map(
      (l) => ({ title: l.title, cut: l.scrollWidth > l.clientWidth })),
    scripts: document.scripts.length,
    body_text: document.body.innerText,
  }));
  let search_ms = null, matched = null;
  if (query && ready) {
    // typed into the box, until the frame after the filter ran has been drawn
    search_ms = await page.evaluate(async (q) => {
      const box = document.querySelector('#search');
      const began = performance.now();
      box.value = q;
      box.dispatchEvent(new Event('input'));
      await new Promise((done) => {
        const check = () => (document.documentElement.dataset.filtered === q
          ? requestAnimationFrame(() => setTimeout(done, 0)) : setTimeout(check, 5));
        check();
      });
      return Math.round(performance.now() - began);
    }, query);
    matched = await page.evaluate(() => ({
      hint: document.querySelector('.hint').textContent,
      rows: document.querySelectorAll('#tests tr').length,
      lit: document.querySelectorAll('#timeline.filtering .hits .bar').length,
      filter_ms: +document.documentElement.dataset.filterMs,
    }));
  }
  if (shot) await page.screenshot({ path: shot, fullPage: false });
  console.log(JSON.stringify({ errors, load_ms, search_ms, matched, ...seen }));
  await browser.close();
})().catch((e) => { console.error(String(e)); process.exit(1); });
"""


def open_report(page: Path, query: str = "", screenshot: Path | None = None) -> dict[str, Any]:
    """What Chromium shows of `page` (see the module docstring)."""
    modules = node_modules()
    env = {**os.environ, "NODE_PATH": str(modules)}
    done = subprocess.run(
        [
            "node",
            "-e",
            DRIVER,
            page.resolve().as_uri(),
            query,
            str(screenshot or ""),
            CHROMIUM,
            json.dumps(CHROMIUM_ARGS),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
        check=False,
    )
    assert done.returncode == 0, f"chromium driver failed:\n{done.stdout}\n{done.stderr}"
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result

"""Accessibility checks (axe-core) in every language, with a screenshot of
each page state checked."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from playwright.async_api import Page, expect

from tests.e2e.conftest import REPO

# -- axe-core, screenshots and languages -----------------------------------------------

AXE = REPO / "web_client" / "node_modules" / "axe-core" / "axe.min.js"
# `make screenshots` refreshes the README's pictures in docs/screenshots/; a plain
# test run writes them under test-artifacts/ so it leaves the work tree unchanged.
SCREENSHOTS = (
    REPO / "docs" / "screenshots"
    if os.environ.get("DASAN_REFRESH_SCREENSHOTS") == "1"
    else REPO / "test-artifacts" / "screenshots"
)
# WCAG 2.0, 2.1 and 2.2 at A and AA, and axe's best practices.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
BLOCKING_IMPACTS = ("serious", "critical")
RUN_AXE = """async (tags) => {
  const result = await window.axe.run(document, {
    runOnly: { type: 'tag', values: tags },
    resultTypes: ['violations'],
  });
  return result.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.map((n) => ({
      target: n.target.join(' '),
      summary: n.failureSummary,
    })),
  }));
}"""


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(
            f"  [{violation['impact']}] {violation['id']}: {violation['help']}"
        )
        for node in violation["nodes"][:5]:
            summary = " ".join(str(node["summary"]).split())
            lines.append(f"      at {node['target']}: {summary}")
    return "\n".join(lines)


async def page_locale(page: Page) -> str:
    return await page.locator("#locale").input_value()


async def check(page: Page, name: str, state: str) -> None:
    """Screenshot the page, then fail on any serious or critical axe violation."""
    locale = await page_locale(page)
    size = page.viewport_size
    assert size is not None
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shot = SCREENSHOTS / f"{name}-{state}-{locale}-{size['width']}x{size['height']}.png"
    await page.screenshot(path=shot, full_page=True, animations="disabled")
    if not await page.evaluate("typeof window.axe === 'object'"):
        await page.add_script_tag(path=AXE)
    violations = await page.evaluate(RUN_AXE, AXE_TAGS)
    blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
    assert not blocking, (
        f"axe found serious or critical violations on {name} ({state}, {locale}, "
        f"{size['width']}x{size['height']}); screenshot {shot.relative_to(REPO)}:\n"
        + describe(blocking)
    )


async def switch_language(page: Page, locale: str) -> None:
    """Choose `locale` in the visible switcher, as a reader would."""
    await page.locator("#locale").select_option(locale)
    lang = "zh-Hans" if locale == "zh" else locale
    await expect(page.locator("html")).to_have_attribute("lang", lang)


async def check_in(page: Page, name: str, state: str, locales: Sequence[str]) -> None:
    """Run `check` in each of `locales`, switching with the page's own switcher."""
    for locale in locales:
        if await page_locale(page) != locale:
            await switch_language(page, locale)
        await check(page, name, state)

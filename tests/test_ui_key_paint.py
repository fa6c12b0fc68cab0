"""Moving focus on the dashboard repaints the widgets it concerns, never the whole screen.

Textual's `Screen.focused` repaints the whole screen on every change (the borrowed behaviour the
dashboard's own screen turns off, pinned here); `j`, `k` and tab move focus all the time, so a
whole-screen render on each made every such key wait for a full frame.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.reactive import Reactive
from textual.screen import Screen

from tests.helpers import card_text
from tests.test_ui_snapshots import PYPROJECT, T0, WITH_DOCKER, running_events
from zenboard.config import load_config
from zenboard.model import events as ev
from zenboard.model.state import SuiteState
from zenboard.ui.app import ZenboardApp
from zenboard.ui.screens.main import FRAME_SECONDS, DashboardScreen
from zenboard.ui.session import Session
from zenboard.ui.sources.infra import StaticInfra
from zenboard.ui.widgets.suite_card import SuiteCard


def _app(tmp_path: Path, events: list[ev.Event] | None = None) -> ZenboardApp:
    root = tmp_path / "shop"
    root.mkdir()
    (root / "pyproject.toml").write_text(textwrap.dedent(PYPROJECT), encoding="utf-8")
    session = Session(load_config(root), report_dir=tmp_path / "reports")
    session.fold(running_events() if events is None else events)
    return ZenboardApp(session, run_at_start=False, infra=StaticInfra(WITH_DOCKER))


def _heavy_borders(app: ZenboardApp) -> list[str]:
    """The card titles drawn with a heavy border (the focused card's), top to bottom."""
    lines = [strip.text for strip in app.screen._compositor.render_strips()]
    names = [card.config.name for card in app.cards]
    return [n for line in lines for n in names if f"┏━ {n} " in line]


async def _settle(pilot: Pilot[Any]) -> None:
    for _ in range(3):
        await pilot.pause(0.05)


def test_textual_screens_still_repaint_whole_on_a_focus_change() -> None:
    """The internal the dashboard's screen overrides: when this fails, drop the override."""
    focused = Screen.__dict__["focused"]
    assert isinstance(focused, Reactive)
    assert focused._repaint
    assert not DashboardScreen.__dict__["focused"]._repaint


async def test_moving_between_cards_repaints_only_the_cards(tmp_path: Path) -> None:
    app = _app(tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        await _settle(pilot)
        assert isinstance(app.screen, DashboardScreen)
        compositor = app.screen._compositor
        full_renders = 0
        render_full = compositor.render_full_update

        def counted(simplify: bool = False) -> Any:
            nonlocal full_renders
            full_renders += 1
            return render_full(simplify=simplify)

        compositor.render_full_update = counted  # type: ignore[method-assign]
        first, second = app.cards[0].config.name, app.cards[1].config.name
        assert _heavy_borders(app) == [first]
        await pilot.press("j")
        await _settle(pilot)
        assert isinstance(app.focused, SuiteCard) and app.focused.config.name == second
        assert _heavy_borders(app) == [second]  # the old card lost its heavy border, on screen
        await pilot.press("k")
        await _settle(pilot)
        assert _heavy_borders(app) == [first]
        assert full_renders == 0


def test_textual_still_paints_on_its_module_grid() -> None:
    """The internal the dashboard shortens: when this fails, find Textual's new knob."""
    import textual.screen

    assert isinstance(textual.screen.UPDATE_PERIOD, float)
    assert "UPDATE_PERIOD" in textual.screen.Screen._update_timer.fget.__code__.co_names  # type: ignore[attr-defined]


async def test_the_dashboard_paints_on_a_grid_finer_than_60_hz(tmp_path: Path) -> None:
    app = _app(tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        await _settle(pilot)
        assert app.screen._update_timer._interval == FRAME_SECONDS < 1 / 60


async def test_a_card_names_the_tests_a_run_left_unreported(tmp_path: Path) -> None:
    ended = [*running_events(), ev.SuiteExited("unit-fast", 1, T0 + 12.1)]
    app = _app(tmp_path, ended)
    async with app.run_test(size=(160, 45)) as pilot:
        await _settle(pilot)
        assert app.session.state.suites["unit-fast"].unreported == 5
        assert "5 unreported (started, no result" in card_text(app, "unit-fast")


async def test_a_card_of_a_run_without_errors_never_walks_its_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def walked(self: SuiteState) -> int:
        raise AssertionError(f"{self.name}: every result walked on a paint")

    app = _app(tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        await _settle(pilot)
        assert not app.session.state.suites["integration"].counts.get("error")
        monkeypatch.setattr(SuiteState, "unreported", property(walked))
        app.cards[1].sync()  # the integration card, with no error
        assert "passed" in card_text(app, "integration")

"""What the browser tests share: where screenshots go, the phone viewport, a width check."""

from functools import partial
from pathlib import Path

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
PHONE = {"width": 390, "height": 844}


def shot(page, name: str, *, prefix: str = "", full_page: bool = True) -> None:
    """A screenshot of ``page`` as tests/artifacts/<prefix><name>.png, to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{prefix}{name}.png"), full_page=full_page)


def shots(prefix: str):
    """``shot`` for one journey's pages: ``shot = shots("checkout-")``."""
    return partial(shot, prefix=prefix)


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")

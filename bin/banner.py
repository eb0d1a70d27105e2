"""bin/banner.py WEB_URL SANDBOX_URL — what `make run` prints once it is up.

Waits (up to --wait seconds) for the web server and the sandboxes to answer, then lists
only the URLs that did: a newcomer never gets a link that leads nowhere. What does not
answer is named on stderr with the log to read. Exit status 1 if anything is missing.
Standard library only: it runs before anyone has looked at the virtual environment.
"""

from __future__ import annotations

import argparse
import sys
import time
import urllib.error
import urllib.request

DEMO_LOGINS = """\
  Demo logins (password for all: paydesk-demo)
    owner        Demo Bazaar, owner
    manager      Demo Bazaar, manager
    viewer       Demo Bazaar, viewer
    other-owner  Other Traders, owner (a second merchant, to see tenant isolation)
    admin        staff, Django admin
"""


def answers(url: str, timeout: float = 1.0) -> bool:
    """True when ``url`` gives a 2xx or 3xx answer (redirects followed)."""
    if not url.startswith(("http://", "https://")):
        return False
    try:
        with urllib.request.urlopen(url, timeout=timeout):  # noqa: S310 (http(s) only, checked above)
            return True
    except (urllib.error.URLError, OSError, ValueError):
        return False


def wait_for(urls: list[str], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not all(answers(u) for u in urls):
        time.sleep(0.5)


def entries(web: str, sandbox: str) -> list[tuple[str, str, str, str]]:
    """(label, URL shown, URL checked, log to read when it does not answer)."""
    return [
        ("Paydesk is running:", f"{web}/", f"{web}/accounts/login/", "var/log/web.log"),
        ("Admin:", f"{web}/admin/", f"{web}/admin/login/", "var/log/web.log"),
        ("Customer pages:", f"{web}/me/demo/  (Demo Bazaar's customers; test phones in README)", f"{web}/me/demo/",
         "var/log/web.log"),
        ("Sandboxes:", f"{sandbox}/  (index: base URLs, test data)", f"{sandbox}/", "var/log/sandbox.log"),
        ("Sandbox control API:", f"{sandbox}/_sandbox/", f"{sandbox}/_sandbox/", "var/log/sandbox.log"),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("web")
    parser.add_argument("sandbox")
    parser.add_argument("--wait", type=float, default=30.0)
    args = parser.parse_args(argv)
    web, sandbox = args.web.rstrip("/"), args.sandbox.rstrip("/")
    wait_for([f"{web}/accounts/login/", f"{sandbox}/"], args.wait)
    shown, missing = [], []
    for label, url, check, log in entries(web, sandbox):
        if answers(check):
            shown.append(f"  {label:<21} {url}")
        else:
            missing.append(f"  {url.split()[0]} is not answering; see {log}")
    print("\n" + "\n".join(shown) + "\n\n" + DEMO_LOGINS + "\n  Logs in var/log/. Press Ctrl-C to stop.\n", flush=True)
    if missing:
        print("\n".join(missing) + "\n", file=sys.stderr, flush=True)
    return 1 if missing else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # Ctrl-C while waiting: bin/run is stopping everything
        sys.exit(130)

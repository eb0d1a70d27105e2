"""The vendored chart library is exactly the file its CHECKSUMS name (DESIGN.md: no CDN,
version, licence and checksum checked), and the page loads that file."""

import hashlib
from pathlib import Path

from django.conf import settings

VENDOR = Path(settings.BASE_DIR) / "static" / "vendor" / "chart.js-4.6.1"


def test_vendored_chart_library_matches_its_checksums():
    lines = (VENDOR / "CHECKSUMS").read_text().splitlines()
    assert {line.split()[1] for line in lines} == {"chart.umd.min.js", "LICENSE.md"}
    for line in lines:
        expected, name = line.split()
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == expected, name


def test_vendored_file_is_the_version_and_licence_it_claims():
    head = (VENDOR / "chart.umd.min.js").read_text()[:200]
    assert "Chart.js v4.6.1" in head and "MIT" in head
    assert "MIT" in (VENDOR / "LICENSE.md").read_text()
    assert "4.6.1" in (VENDOR / "VERSION").read_text()


def test_the_home_partial_loads_the_vendored_file_and_nothing_remote():
    partial = (Path(settings.BASE_DIR) / "templates" / "payments" / "_home.html").read_text()
    assert "vendor/chart.js-4.6.1/chart.umd.min.js" in partial
    assert "http://" not in partial and "https://" not in partial

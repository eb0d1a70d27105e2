"""Runs after every other provider test (files run in name order): the log lines of
all the provider calls made so far in this run hold none of the sandboxes' test
secrets (API keys, secret keys, tokens, PANs, IPINs, CVVs, OTPs, passwords). It is
part of the whole suite: run alone it fails, as it has no calls to check."""

from importlib import import_module

from providers.registry import PROVIDERS
from tests.conftest import SUITE_LOG


def _test_secrets(key: str) -> tuple[str, ...]:
    return tuple(import_module(f"providers.{key}.sandbox").TEST_SECRETS)


def test_sandbox_modules_declare_their_test_secrets():
    for key in PROVIDERS:
        secrets = _test_secrets(key)
        assert secrets, key
        assert all(isinstance(s, str) and len(s) >= 4 for s in secrets), key


def test_no_log_line_of_the_run_holds_a_test_secret():
    provider_lines = [text for name, text in SUITE_LOG.lines if name.startswith("providers")]
    for key in PROVIDERS:
        # Each provider's calls were captured (its tests ran before this file).
        assert sum(f" {key} " in line for line in provider_lines) >= 10, f"few {key} calls were logged"
    every_line = "\n".join(text for _, text in SUITE_LOG.lines)
    for key in PROVIDERS:
        for secret in _test_secrets(key):
            assert secret not in every_line, f"a {key} test secret ending …{secret[-2:]} reached a log line"

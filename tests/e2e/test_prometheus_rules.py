"""assets/prometheus/alerts.yml: valid for Prometheus (promtool check
rules) and behaving as tests/prometheus/alerts_test.yml says (promtool test
rules: every alert fires when it should and not when it should not)."""
import subprocess

from harness import ROOT


def promtool(*args):
    p = subprocess.run(["promtool", *args], cwd=ROOT, capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr
    return p.stdout


def test_alert_rules_are_valid():
    assert "SUCCESS" in promtool("check", "rules", "assets/prometheus/alerts.yml")


def test_alert_rules_unit_tests():
    assert "SUCCESS" in promtool("test", "rules", "tests/prometheus/alerts_test.yml")

"""Audit the installed Python packages for known vulnerabilities with pip-audit.

Exit codes: 0 every package was checked and none is known vulnerable; 1 a known vulnerability
(the report lists package, version, advisory and the fixed versions); 2 the audit could not be
done — the vulnerability service was unreachable or could not look packages up. A package that
could not be checked is never counted as safe: pip-audit on its own reports "No known
vulnerabilities found" when the service answers "not found" for every package.

The project itself (installed editable) is skipped: it is not on PyPI.
Extra pip-audit arguments pass through, e.g. `--ignore-vuln GHSA-xxxx` with a reason in the commit.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

VENV_BIN = Path(sys.executable).parent


def main(argv: list[str]) -> int:
    command = [
        str(VENV_BIN / "pip-audit"),
        "--skip-editable",
        "--progress-spinner",
        "off",
        "--format",
        "json",
        *argv,
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        tail = "\n".join(result.stderr.strip().splitlines()[-5:])
        print(f"audit: NOT DONE — pip-audit could not reach its vulnerability service:\n{tail}")
        return 2
    vulnerable = [dep for dep in report["dependencies"] if dep.get("vulns")]
    unchecked = [
        dep
        for dep in report["dependencies"]
        if dep.get("skip_reason") and dep["skip_reason"] != "distribution marked as editable"
    ]
    for dep in vulnerable:
        for vuln in dep["vulns"]:
            fixed = ", ".join(vuln.get("fix_versions") or []) or "no fixed release yet"
            print(f"audit: {dep['name']} {dep['version']} is affected by {vuln['id']} (fixed in: {fixed})")
    if vulnerable:
        return 1
    if unchecked:
        print(
            f"audit: NOT DONE — {len(unchecked)} of {len(report['dependencies'])} packages could not be "
            "checked; the vulnerability service did not know them (is it reachable from here?):"
        )
        for dep in unchecked[:10]:
            print(f"  {dep['name']}: {dep['skip_reason']}")
        if len(unchecked) > 10:
            print(f"  … and {len(unchecked) - 10} more")
        return 2
    print(f"audit: {len(report['dependencies'])} packages checked, no known vulnerability")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Find a Java runtime of a given minimum version at run time (folder names differ between machines).

Kafka 4.x needs Java 17+, Apicurio Registry 3.2.1+ needs Java 21+. Machines here carry Debian's
OpenJDK 17 plus a newer Temurin JDK under /usr/lib/jvm, so we look there instead of naming a folder.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, order=True)
class Jdk:
    major: int
    home: Path

    @property
    def java(self) -> Path:
        return self.home / "bin" / "java"


def parse_major(version: str) -> int | None:
    """Feature release of a Java version string: '25.0.3' -> 25, '17' -> 17, '1.8.0_292' -> 8."""
    match = re.match(r"\s*(\d+)(?:\.(\d+))?", version)
    if not match:
        return None
    major = int(match.group(1))
    if major == 1 and match.group(2) is not None:
        return int(match.group(2))
    return major


def _release_version(home: Path) -> str | None:
    try:
        text = (home / "release").read_text()
    except OSError:
        return None
    match = re.search(r'^JAVA_VERSION="([^"]+)"', text, re.MULTILINE)
    return match.group(1) if match else None


def _runtime_version(java: Path) -> str | None:
    try:
        done = subprocess.run(
            [str(java), "-XshowSettings:properties", "-version"],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r"^\s*java\.version = (\S+)", done.stderr, re.MULTILINE)
    return match.group(1) if match else None


def describe(home: Path) -> Jdk | None:
    """The JDK (or JRE) at home, or None when it holds no runnable java."""
    home = home.resolve()
    java = home / "bin" / "java"
    if not os.access(java, os.X_OK):
        return None
    version = _release_version(home) or _runtime_version(java)
    major = parse_major(version) if version else None
    return Jdk(major=major, home=home) if major is not None else None


def default_home() -> Path | None:
    """JAVA_HOME, else the home of `java` on PATH (what Kafka's own scripts would use)."""
    if os.environ.get("JAVA_HOME"):
        return Path(os.environ["JAVA_HOME"])
    found = shutil.which("java")
    return Path(found).resolve().parent.parent if found else None


def candidates(jvm_dir: Path) -> list[Jdk]:
    """Every distinct runtime under jvm_dir plus the default one, newest first."""
    homes: list[Path] = []
    if jvm_dir.is_dir():
        homes.extend(sorted(p for p in jvm_dir.iterdir() if p.is_dir()))
    default = default_home()
    if default is not None:
        homes.append(default)
    found: dict[Path, Jdk] = {}
    for home in homes:
        jdk = describe(home)
        if jdk is not None:
            found.setdefault(jdk.home, jdk)
    return sorted(found.values(), reverse=True)


def newest(jvm_dir: Path, minimum: int) -> Jdk | None:
    """The newest runtime of at least `minimum`, or None."""
    return next((jdk for jdk in candidates(jvm_dir) if jdk.major >= minimum), None)


def default_or_newest(jvm_dir: Path, minimum: int) -> Jdk | None:
    """The default runtime when it is recent enough (the conservative choice), else the newest one that is."""
    default = default_home()
    jdk = describe(default) if default is not None else None
    if jdk is not None and jdk.major >= minimum:
        return jdk
    return newest(jvm_dir, minimum)

"""Fetch the Kafka broker's jars and the Apicurio distribution with Maven, once, into the cache folder.

Downloads land in a temporary folder that is renamed into place only when complete, so an interrupted
first run never leaves a half-filled cache that later runs would trust. Maven keeps its own copy in
~/.m2, so a fresh clone on the same machine fills its cache without the network.
"""

from __future__ import annotations

import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Sequence
from pathlib import Path

from hub.contract.errors import InfraError

POM_DIR = Path(__file__).resolve().parent / "maven"
KAFKA_POM = POM_DIR / "kafka-pom.xml"
REGISTRY_POM = POM_DIR / "registry-pom.xml"
_COMPLETE = ".complete"


def mvn_executable() -> str:
    found = shutil.which("mvn")
    if found is None:
        raise InfraError("Maven (mvn) is not installed; run `bash scripts/setup.sh`")
    return found


def run_mvn(pom: Path, goals: Sequence[str], properties: dict[str, str], *, cwd: Path, timeout: float) -> None:
    """Run Maven in batch mode; a failure becomes an InfraError that quotes Maven's own error lines."""
    argv = [mvn_executable(), "-B", "-q", "-f", str(pom), *goals]
    argv += [f"-D{key}={value}" for key, value in properties.items()]
    try:
        done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise InfraError(f"Maven did not finish within {timeout:.0f} s: {' '.join(argv)}") from None
    if done.returncode != 0:
        errors = [line for line in (done.stdout + done.stderr).splitlines() if line.startswith("[ERROR]")]
        detail = errors[0] if errors else (done.stdout + done.stderr).strip()[-500:]
        raise InfraError(f"Maven failed ({pom.name}, {properties}): {detail}")


def slf4j_binding_for(jar_names: Sequence[str]) -> str:
    """The log4j2 binding that matches the slf4j-api jar on a classpath (1.7.x vs 2.x use different ones)."""
    for name in jar_names:
        if name.startswith("slf4j-api-"):
            return "log4j-slf4j2-impl" if name.removeprefix("slf4j-api-").startswith("2.") else "log4j-slf4j-impl"
    raise InfraError("no slf4j-api jar among the Kafka runtime jars; cannot pick a log4j2 binding")


def is_complete(folder: Path) -> bool:
    return (folder / _COMPLETE).is_file()


def _finish(tmp: Path, target: Path) -> Path:
    (tmp / _COMPLETE).touch()
    tmp.chmod(0o755)  # mkdtemp made it private
    if target.exists():
        shutil.rmtree(target)
    tmp.rename(target)
    return target


def fetch_kafka(version: str, log4j_version: str, cache: Path, *, timeout: float) -> Path:
    """Return `<cache>/kafka-<version>` whose libs/ holds the broker's runtime classpath."""
    target = cache / f"kafka-{version}"
    if is_complete(target):
        return target
    cache.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".kafka-{version}-", dir=cache))
    try:
        binding = "log4j-slf4j-impl"
        for _ in range(2):
            libs = tmp / "libs"
            shutil.rmtree(libs, ignore_errors=True)
            props = {
                "kafka.version": version,
                "log4j.version": log4j_version,
                "slf4j.binding": binding,
                "includeScope": "runtime",
                "outputDirectory": str(libs),
            }
            run_mvn(KAFKA_POM, ["dependency:copy-dependencies"], props, cwd=tmp, timeout=timeout)
            wanted = slf4j_binding_for(sorted(p.name for p in libs.glob("*.jar")))
            if wanted == binding:
                return _finish(tmp, target)
            binding = wanted
        raise InfraError(f"could not settle the slf4j binding for Kafka {version}")
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def fetch_registry(version: str, cache: Path, *, timeout: float) -> Path:
    """Return `<cache>/apicurio-registry-<version>`, the unpacked Quarkus app (quarkus-run.jar, lib/, ...)."""
    target = cache / f"apicurio-registry-{version}"
    if is_complete(target):
        return target
    cache.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".apicurio-registry-{version}-", dir=cache))
    try:
        download = tmp / ".download"
        props = {"registry.version": version, "outputDirectory": str(download)}
        try:
            run_mvn(REGISTRY_POM, ["dependency:copy-dependencies"], props, cwd=tmp, timeout=timeout)
        except InfraError as exc:
            raise InfraError(f"cannot fetch Apicurio Registry {version} from Maven Central: {exc}") from None
        archives = list(download.glob("*.tar.gz"))
        if len(archives) != 1:
            raise InfraError(f"expected one Apicurio tarball in {download}, found {len(archives)}")
        with tarfile.open(archives[0]) as archive:
            archive.extractall(tmp, filter="data")
        shutil.rmtree(download)
        if not (tmp / "quarkus-run.jar").is_file():
            raise InfraError(f"the Apicurio {version} tarball holds no quarkus-run.jar")
        return _finish(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise

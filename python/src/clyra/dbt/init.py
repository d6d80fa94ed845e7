"""``clyra dbt init``: set a dbt project up for evidence."""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path
from typing import Mapping

from .. import _clyra, keygen
from .project import ClyraDir, SetupError, write_atomic

ENVIRONMENTS = ("production", "staging", "development", "test")


def config_environments(clyra: ClyraDir) -> list[str]:
    """The environments the project's dbt targets map to."""
    return list(clyra.config().get("environments", {}).values())


def init(project: Path, environments: Mapping[str, str], force: bool = False) -> list[str]:
    """Creates ``.clyra/`` (producer key, trust file, config with the target → environment map,
    state) and installs the ``clyra`` dbt package; returns what it did, one line each.
    An existing key is kept unless ``force``."""
    clyra = ClyraDir(project)
    if not (project / "dbt_project.yml").is_file():
        raise SetupError(f"{project}: no dbt_project.yml here; run `clyra dbt init` in your dbt project or pass --project-dir")
    for target, env in environments.items():
        if env not in ENVIRONMENTS:
            raise SetupError(f"--env {target}={env}: the environment must be one of {', '.join(ENVIRONMENTS)}")
    done = []
    # Folders readable by all, writable by you only, whatever the umask; the key folder private.
    clyra.root.mkdir(mode=0o755, exist_ok=True)
    clyra.state_dir.mkdir(mode=0o755, exist_ok=True)
    _key_folder(clyra.key.parent)
    if not force and not clyra.key.exists():
        for path in (clyra.public_key, clyra.trust):
            if path.exists() or path.is_symlink():
                raise SetupError(f"{path}: exists but {clyra.key} does not; pass --force to make a new key and replace it")
    if force or not clyra.key.exists():
        pair = keygen()
        write_atomic(clyra.key, pair.private_pem, 0o600)
        write_atomic(clyra.public_key, pair.public_pem.encode("utf-8"))
        trust = {
            "version": 0,
            "keys": [{"keyid": pair.keyid, "scheme": pair.scheme, "public_key_pem": pair.public_pem, "roles": ["producer"]}],
            "thresholds": {"producer": 1},
        }
        write_atomic(clyra.trust, (json.dumps(trust, indent=1) + "\n").encode("utf-8"))
        done.append(f"{clyra.key}: new {pair.scheme} producer key {pair.keyid}")
        done.append(f"{clyra.trust}: trust file for verifiers (give it to your auditors)")
    if force or not clyra.config_path.exists():
        config = {"version": 0, "environments": dict(environments) or {"dev": "development"}}
        write_atomic(clyra.config_path, (json.dumps(config, indent=1) + "\n").encode("utf-8"))
        mapped = ", ".join(f"{t} → {e}" for t, e in config["environments"].items())
        done.append(f"{clyra.config_path}: dbt targets mapped to environments: {mapped} (edit to add yours)")
    if force or not clyra.policy.exists():
        # The core's starting policy, as `clyra policy init --env prod|dev` writes it.
        env = "prod" if "production" in config_environments(clyra) else "dev"
        args = ["clyra", "policy", "init", "--env", env, "--out", str(clyra.policy), "--force"]
        if _clyra.run(args) != 0:
            raise SetupError(f"{clyra.policy}: could not write the starting policy (`clyra policy init --env {env}`)")
        done.append(f"{clyra.policy}: starting policy ({env}); check it with `clyra policy lint {clyra.policy}`")
    ledger = clyra.ledger
    if isinstance(ledger, str):
        # spec/ledger-v0.md §8: shared object storage is created once, by whoever owns the bucket.
        done.append(f"{ledger}: evidence ledger on object storage (AWS_* environment); create it once with "
                    f"`clyra ledger init {ledger} --key <the producer key> --policy {clyra.policy}` on a bucket "
                    f"with Object Lock; every sealed bundle is appended")
    elif not (ledger / "ledger.json").exists():
        # spec/ledger-v0.md: every sealed bundle is appended here; the ledger key is the producer key.
        if _clyra.run(["clyra", "ledger", "init", str(ledger), "--key", str(clyra.key)]) != 0:
            raise SetupError(f"{ledger}: could not create the evidence ledger (`clyra ledger init`)")
        done.append(f"{ledger}: evidence ledger; every sealed bundle is appended. A team shares one by setting "
                    f"\"ledger\" in {clyra.config_path} to a shared directory, or to object storage with "
                    f"Object Lock: \"ledger\": {{\"location\": \"s3://bucket/prefix\", \"retain_days\": 2555}} "
                    f"(credentials from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_REGION, AWS_ENDPOINT_URL; "
                    f"retention from the policy's compliance.retention.period first; then `clyra ledger init s3://…`)")
    gitignore = clyra.root / ".gitignore"
    if force or not (gitignore.exists() or gitignore.is_symlink()):
        write_atomic(gitignore, b"keys/clyra.key\nstate/\nledger/\n")
    clyra.install_package()
    done.append(f"{clyra.package_dir}: the clyra dbt package (on-run-end facts hook, clyra_guard macros)")
    return done


def _key_folder(keys: Path) -> None:
    """Creates the key folder 0700 (another user must not be able to replace ``clyra.pub``, the
    key given to verifiers); an existing one that group or others can write is kept, with a
    warning on stderr."""
    try:
        keys.mkdir(mode=0o700)
        return
    except FileExistsError:
        pass
    mode = stat.S_IMODE(os.stat(keys).st_mode)
    if mode & 0o022:
        print(f"warning: {keys} (mode {mode:04o}) can be written by group or others: another user could replace "
              f"clyra.pub, the key you give to verifiers; run `chmod go-w {keys}`", file=sys.stderr)

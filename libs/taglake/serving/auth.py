"""Authentication of the SQL endpoint: the HiveServer2 settings per mode, and the password file.

Modes (conf `serve.auth.mode`):
- nosasl: no authentication; the loopback default. Clients: beeline `;auth=noSasl`, impyla
  `auth_mechanism="NOSASL"`.
- none: SASL PLAIN with any user name and password (HiveServer2's own default).
- ldap: Hive's LDAP provider (`ldap_url`, `ldap_base_dn`; users bind as uid=<user>,<base dn>).
- password_file: taglake's provider (jvm/src/io/taglake/serving/PasswordFileAuthenticator.java, in
  taglake's JVM jar with the tag tables' reader: taglake.runtime.jvm) checks PBKDF2 hashes in
  `password_file`, written by `taglake bi passwd USER`.

HiveServer2 builds its LDAP and custom providers from a fresh HiveConf, which reads Hive settings
from hive-site.xml and Java system properties only; so every hive.server2.* setting is passed both
to the server's configuration and as a -D option of the driver JVM.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
from pathlib import Path

from taglake.errors import ConfigError, InputError
from taglake.settings import Settings

log = logging.getLogger(__name__)

AUTHENTICATOR = "io.taglake.serving.PasswordFileAuthenticator"
FILE_PROPERTY = "taglake.serve.password.file"
ITERATIONS = 200_000
SCHEME = "pbkdf2_sha256"


def hive_settings(settings: Settings) -> dict[str, str]:
    """hive.server2.* settings for the conf's auth mode."""
    auth = settings.serve.auth
    if auth.mode == "nosasl":
        return {"hive.server2.authentication": "NOSASL"}
    if auth.mode == "none":
        return {"hive.server2.authentication": "NONE"}
    if auth.mode == "ldap":
        if not auth.ldap_url:
            raise ConfigError(f"conf {settings.name!r}: serve.auth.mode is ldap but serve.auth.ldap_url is not set")
        out = {"hive.server2.authentication": "LDAP", "hive.server2.authentication.ldap.url": auth.ldap_url}
        if auth.ldap_base_dn:
            out["hive.server2.authentication.ldap.baseDN"] = auth.ldap_base_dn
        return out
    file = password_file(settings)
    if not file.is_file():
        raise ConfigError(f"conf {settings.name!r}: the password file {file} does not exist; "
                          f"add a user with `taglake bi passwd USER --conf {settings.name}`")
    return {"hive.server2.authentication": "CUSTOM", "hive.server2.custom.authentication.class": AUTHENTICATOR,
            FILE_PROPERTY: str(file)}


def password_file(settings: Settings) -> Path:
    if not settings.serve.auth.password_file:
        raise ConfigError(f"conf {settings.name!r}: serve.auth.mode is password_file but serve.auth.password_file is not set")
    return Path(settings.path(settings.serve.auth.password_file))


# --- the password file --------------------------------------------------------------------------

def hash_password(password: str, iterations: int = ITERATIONS, salt: bytes | None = None) -> str:
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)
    return f"{SCHEME}:{iterations}:{salt.hex()}:{digest.hex()}"


def set_password(file: Path, user: str, password: str) -> bool:
    """Add or replace `user` in the password file; returns whether the user is new."""
    if not user or ":" in user or user.strip() != user:
        raise InputError(f"user name {user!r}: use a name without ':' or surrounding spaces")
    if len(password) < 8:
        raise InputError("the password must have at least 8 characters")
    lines = file.read_text(encoding="utf-8").splitlines() if file.exists() else [
        "# taglake SQL endpoint users: name:pbkdf2_sha256:iterations:salt:hash (taglake bi passwd)"]
    entry = f"{user}:{hash_password(password)}"
    kept = [line for line in lines if line.split(":", 1)[0] != user]
    file.parent.mkdir(parents=True, exist_ok=True)
    tmp = file.with_name(file.name + ".tmp")
    tmp.write_text("\n".join([*kept, entry]) + "\n", encoding="utf-8")
    os.chmod(tmp, 0o600)
    tmp.replace(file)     # readers (the endpoint, at every login) see the old file or the new one
    return len(kept) == len(lines)

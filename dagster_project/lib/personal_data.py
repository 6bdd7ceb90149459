"""Personal data: what BI receives about a person, and the salt behind pseudonyms and erasures.

By default BI gets customer ids and scores only: e-mail, first and last name are published
only when `publish_personal_data` is true (for a marketing export), and a guest's id, which
is made of their e-mail or reference, is published as a salted hash. The salt lives in the
data directory (`erasure/salt`), so a hash means nothing outside it.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import yaml

PERSONAL_COLUMNS = ("email", "first_name", "last_name")
_TRUE, _FALSE = ("true", "1", "yes", "on"), ("false", "0", "no", "off", "")
GUEST_PREFIX = "guest:"
PSEUDONYM_PREFIX = "guest-"


def publish_personal_data(mapping_file: Path) -> bool:
    """`SCORING_PUBLISH_PERSONAL_DATA` if set, else `publish_personal_data:` at the top of
    sources.yml, else false."""
    chosen = os.environ.get("SCORING_PUBLISH_PERSONAL_DATA")
    origin = "SCORING_PUBLISH_PERSONAL_DATA"
    if chosen is None and mapping_file.exists():
        document = yaml.safe_load(mapping_file.read_text(encoding="utf-8"))
        if isinstance(document, dict) and "publish_personal_data" in document:
            chosen = str(document["publish_personal_data"])
            origin = f"publish_personal_data in {mapping_file}"
    if chosen is None:
        return False
    if chosen.strip().lower() in _TRUE:
        return True
    if chosen.strip().lower() in _FALSE:
        return False
    raise ValueError(f"{origin} is {chosen!r}: use true or false.")


def salt(data_root: Path) -> str:
    """The data directory's secret salt, created on first use (readable by its owner only)."""
    path = data_root / "erasure" / "salt"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".salt.{secrets.token_hex(4)}")
        temporary.write_text(secrets.token_hex(32), encoding="ascii")
        temporary.chmod(0o600)
        try:
            os.link(temporary, path)  # first writer wins; never replace an existing salt
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    return path.read_text(encoding="ascii").strip()


def hashed(sql_value: str, salt_literal: str) -> str:
    """SQL: the salted sha256 of an identifier, normalised as staging does (trim, lower)."""
    return f"sha256({salt_literal} || lower(trim({sql_value})))"


def published_select(columns: list[str], personal: bool, salt_literal: str) -> str:
    """SQL select list of a published table: personal columns only when asked, guest ids
    (made of an e-mail or reference) as salted pseudonyms unless personal data is published."""
    chosen = []
    for column in columns:
        if column in PERSONAL_COLUMNS and not personal:
            continue
        if column == "customer_id" and not personal:
            chosen.append(
                f"case when customer_id like '{GUEST_PREFIX}%' then '{PSEUDONYM_PREFIX}' || "
                f"left({hashed('customer_id', salt_literal)}, 16) else customer_id end "
                "as customer_id"
            )
        else:
            chosen.append(f'"{column}"')
    return ", ".join(chosen)

"""The suite's canary secrets and the personal data of its cases, in one place for the leak scanner.

Every password, SMTP password, keyring/environment secret and webhook token a test hands to the
program comes from here, so ``tests/leakscan.py`` can prove none of them was written anywhere
(database, logs, artifacts, exports, the twins' received data). Use a new constant for a new secret.
"""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent

TWIN_PASSWORD = "demo-pass"
"""The seeded accounts of the card_a and 12315 twins (``kameng_filer/twins``); tests put it in the env."""
THIRD_SITE_PASSWORD = "jg-pass"
"""The third-party 卡盟 twin in ``tests/twins_third.py``."""
CARD_PASSWORD = "kmCanary-card-R2d7Ks"
"""A card_a twin started with a non-default password (end-to-end leak test)."""
SMTP_PASSWORD = "kmCanary-smtp-Wq7Z3p"
"""SMTP AUTH password of the e-mail twin."""
ENV_SECRET = "kmCanary-env-5tQ9xR"
"""A secret read from a ``KAMENG_SECRET_*`` environment variable."""
STORE_SECRET = "kmCanary-store-hU4n8e"
"""A password handed to the store inside a JSON value (must be redacted)."""
NOTIFY_TOKEN = "kmCanaryNotify8Xv2Lq4"
"""The token part of a notification (apprise) URL."""

SECRETS: dict[str, str] = {
    "TWIN_PASSWORD": TWIN_PASSWORD,
    "THIRD_SITE_PASSWORD": THIRD_SITE_PASSWORD,
    "CARD_PASSWORD": CARD_PASSWORD,
    "SMTP_PASSWORD": SMTP_PASSWORD,
    "ENV_SECRET": ENV_SECRET,
    "STORE_SECRET": STORE_SECRET,
    "NOTIFY_TOKEN": NOTIFY_TOKEN,
}
"""Name → value of every canary secret."""

PERSONAL_EXTRA: dict[str, str] = {
    "id_number": "110105199001011234",
    "card_key": "ABCD-EFGH-JKLM-NPQR",
}
"""Personal values the tests add to the example cases (``tests/test_filing_outside.py``)."""

CASE_FILES = (ROOT / "examples" / "case.yaml", ROOT / "examples" / "second" / "case.yaml")


def _address_detail(address: str) -> str:
    """The part of an address a public channel must not get (after province and city)."""
    from kameng_filer.render.mask import mask_address

    head = mask_address(address)[: -len("***")]
    return address[len(head) :].strip()


def personal_values() -> dict[str, str]:
    """Unmasked personal values of the suite's cases: label → value (phones, e-mails, IDs, card keys…)."""
    out: dict[str, str] = {}
    for path in CASE_FILES:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        person = data.get("complainant") or {}
        order = data.get("order") or {}
        for key in ("phone", "email", "id_number"):
            if person.get(key):
                out[f"{path.parent.name}:{key}"] = str(person[key])
        if person.get("address"):
            detail = _address_detail(str(person["address"]))
            if len(detail) >= 4:
                out[f"{path.parent.name}:address"] = detail
        if order.get("card_key"):
            out[f"{path.parent.name}:card_key"] = str(order["card_key"])
    out.update({f"test:{k}": v for k, v in PERSONAL_EXTRA.items()})
    return out

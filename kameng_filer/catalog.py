"""What can file: every registered adapter and every site profile, with kind, fields and where each comes from."""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import Any

from kameng_filer import registry
from kameng_filer.errors import KamengError

CORE_DIST = "kameng-filer"


def _origin(dist: str | None) -> str:
    if not dist or dist.replace("_", "-").lower() == CORE_DIST:
        return "内置"
    return f"插件 {dist}"


def adapters() -> list[dict[str, Any]]:
    """Every adapter registered under ``kameng_filer.adapters`` (a broken plugin is listed with its error)."""
    from kameng_filer.adapter import Adapter
    from kameng_filer.filing.web import ProfileAdapter

    out = []
    for ep in sorted(entry_points(group=registry.GROUP), key=lambda e: e.name):
        dist = ep.dist.name if ep.dist is not None else None
        item: dict[str, Any] = {"name": ep.name, "source": _origin(dist), "entry_point": ep.value}
        try:
            cls = registry.adapter_class(ep.name)
        except KamengError as exc:
            item.update(
                kind="?", title="", fields=[], error=exc.message + (f"({exc.detail})" if exc.detail else "")
            )
            out.append(item)
            continue
        spec = cls.spec
        item.update(
            title=spec.title,
            kind=spec.kind,
            public=spec.public,
            uses_profiles=issubclass(cls, ProfileAdapter),
            templates=spec.template_dir,
            schedule=spec.schedule_file,
            capabilities=sorted(spec.caps),
            role=spec.role,
            exclusive_with=list(spec.exclusive_with),
            requires=[r.path for r in spec.requires],
            planned=bool(spec.plan) or cls.plan_rules is not Adapter.plan_rules,
            fields=[
                {
                    "name": f.name,
                    "label": f.label,
                    "kind": f.kind,
                    "required": f.required,
                    **({"min_len": f.min_len} if f.min_len is not None else {}),
                    **({"max_len": f.max_len} if f.max_len is not None else {}),
                    **({"options": list(f.options)} if f.options else {}),
                }
                for f in spec.fields
            ],
        )
        out.append(item)
    return out


def profiles() -> list[dict[str, Any]]:
    """Every site profile (built-in, from plugins, in the user's folder); a broken one is listed with its error."""
    from kameng_filer.filing.lint import channel_of
    from kameng_filer.filing.profile import profile_sources, read_profile
    from kameng_filer.filing.profile_file import display

    out = []
    for name, (origin, entry) in sorted(profile_sources().items()):
        item: dict[str, Any] = {"name": display(name), "source": origin, "path": display(str(entry))}
        try:
            prof = read_profile(entry)
        except KamengError as exc:
            item.update(error=exc.message)
            out.append(item)
            continue
        item.update(
            title=prof.title,
            channel=channel_of(prof),
            kind=prof.mode,
            family=prof.family,
            base_url=prof.base_url,
            login=prof.login is not None,
            fields=list(prof.fields),
            list=prof.list_page is not None,
            follow_up=prof.follow_up is not None,
            api=prof.api is not None,
        )
        out.append(item)
    return out


def inventory() -> dict[str, Any]:
    """``{"adapters": [...], "profiles": [...]}`` — what ``kameng adapters list --json`` prints."""
    return {"adapters": adapters(), "profiles": profiles()}

"""Which evidence files go into an upload field: by the profile's ``pick`` (kinds or ids) and ``max_files``.

Deterministic: files matching the first ``pick`` entry come first (in case order), then the second's,
…; a file matching none is left out when ``pick`` is given; at most ``max_files`` are kept.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from kameng_filer.adapter import PlannedFile


def pick_files(
    files: Sequence[PlannedFile],
    kinds: Mapping[str, str],
    *,
    pick: Sequence[str] = (),
    max_files: int | None = None,
) -> list[PlannedFile]:
    """The files for one upload field, best first (``kinds``: evidence id → evidence kind)."""
    if pick:
        chosen: list[PlannedFile] = []
        for want in pick:
            for f in files:
                if f not in chosen and want in (f.evidence_id, kinds.get(f.evidence_id)):
                    chosen.append(f)
    else:
        chosen = list(files)
    return chosen if max_files is None else chosen[:max_files]


def assign_uploads(
    files: Sequence[PlannedFile],
    kinds: Mapping[str, str],
    fields: Sequence[tuple[str, Sequence[str], int | None]],
) -> dict[str, list[PlannedFile]]:
    """Each upload field's files (``fields``: key, ``pick``, ``max_files`` in profile order). Fields
    with a ``pick`` choose first, then the others take what is left, in order; no file goes into two
    fields (a 购买凭证 box taking one picked file and an 其他截图 box taking the rest)."""
    taken: list[PlannedFile] = []
    out: dict[str, list[PlannedFile]] = {}
    for key, pick, cap in [f for f in fields if f[1]] + [f for f in fields if not f[1]]:
        chosen = pick_files([f for f in files if f not in taken], kinds, pick=pick, max_files=cap)
        out[key] = chosen
        taken += chosen
    return {key: out[key] for key, _, _ in fields}


def describe_choice(label: str, chosen: Sequence[PlannedFile], left: Sequence[PlannedFile]) -> str:
    """A plan note naming the files chosen for ``label`` and those left out."""
    names = "、".join(f.evidence_id for f in chosen) or "（无）"
    note = f"{label}：上传 {len(chosen)} 个文件（{names}）"
    if left:
        note += f"，未上传 {'、'.join(f.evidence_id for f in left)}（站点配置限定了数量或种类）"
    return note

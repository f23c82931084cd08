"""Cases and their versions: import (evidence into blobs), listing, re-reading a stored version, 证据清单."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path, PurePath

from sqlalchemy import func, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from kameng_filer.case.loader import load_case_text
from kameng_filer.case.model import Case
from kameng_filer.errors import StoreError
from kameng_filer.findings import Finding
from kameng_filer.store.base import StoreBase
from kameng_filer.store.blobs import BlobInfo
from kameng_filer.store.importer import PreparedCase, prepare
from kameng_filer.store.models import DbBlob, DbCase, DbCaseVersion, DbFiling, DbVersionEvidence
from kameng_filer.store.records import CaseNotFound, CaseSummary, EvidenceRow, ImportResult, VersionInfo
from kameng_filer.store.sniff import extension_conflict, mime_label
from kameng_filer.store.timeline import add_event_row
from kameng_filer.timeutil import now


def version_row(s: Session, case_id: str, version: int | None) -> DbCaseVersion:
    """A case version row with its evidence (current version when ``version`` is None)."""
    if version is None:
        db_case = s.get(DbCase, case_id)
        if db_case is None:
            raise CaseNotFound(
                f"本地存储中没有案件 {case_id}",
                hint="用 kameng cases 查看已导入的案件，或先运行 kameng add CASE 导入",
            )
        version = db_case.current_version
    row = s.scalars(
        select(DbCaseVersion)
        .where(DbCaseVersion.case_id == case_id, DbCaseVersion.version == version)
        .options(selectinload(DbCaseVersion.evidence))
    ).one_or_none()
    if row is None:
        count = s.scalar(
            select(func.count()).select_from(DbCaseVersion).where(DbCaseVersion.case_id == case_id)
        )
        if not count:
            raise CaseNotFound(f"本地存储中没有案件 {case_id}", hint="用 kameng cases 查看已导入的案件")
        have = "第 1 版" if count == 1 else f"第 1–{count} 版"
        raise CaseNotFound(f"案件 {case_id} 没有第 {version} 版", hint=f"现有版本：{have}")
    return row


class CaseMethods(StoreBase):
    """Store methods for cases, versions and evidence."""

    def import_case(self, path: str | Path, *, at: datetime | None = None) -> ImportResult:
        """Import a case file (or a folder with ``case.yaml``) and its evidence.

        Refuses with ``CaseInvalid`` (every finding attached) when the schema is invalid or an
        evidence file is missing, empty or unreadable; nothing is written to the database then.
        Unchanged text and evidence → the current version, ``created=False``; anything changed →
        a new version, earlier versions and their evidence stay. Blob files are written before
        the database commit; after a failure they are harmless orphans.
        """
        prepared = prepare(path)
        case = prepared.case
        stamp = at or now()
        infos = [self.blobs.put_file(ev.path) for ev in case.evidence]
        warnings = self._type_warnings(case, infos)
        try:
            with self.transaction() as s:
                return self._record_import(s, prepared, infos, warnings, stamp)
        except IntegrityError as exc:
            raise StoreError(
                f"导入案件 {case.id} 失败：数据库拒绝写入，本次没有保存任何内容",
                detail=str(getattr(exc, "orig", exc)),
            ) from None

    def _record_import(
        self,
        s: Session,
        prepared: PreparedCase,
        infos: list[BlobInfo],
        warnings: list[Finding],
        stamp: datetime,
    ) -> ImportResult:
        """Write the case, version, blob and evidence rows and the ``imported`` event in session ``s``."""
        case = prepared.case
        source = str(prepared.source)
        fingerprint = [(ev.id, info.sha256) for ev, info in zip(case.evidence, infos, strict=True)]
        db_case = s.get(DbCase, case.id)
        if db_case is not None:
            latest = version_row(s, case.id, db_case.current_version)
            same_evidence = [(e.evidence_id, e.blob_sha256) for e in latest.evidence] == fingerprint
            if latest.content_sha256 == prepared.content_sha256 and same_evidence:
                return ImportResult(case.id, latest.version, False, self._rows(latest.evidence), warnings)
            if latest.source_path and latest.source_path != source:
                warnings.append(
                    Finding(
                        "store.id_reused",
                        "warning",
                        "id",
                        f"案件编号 {case.id} 之前从另一个文件导入（{latest.source_path}），"
                        f"本次作为它的第 {latest.version + 1} 版保存",
                        "如果这是另一个案件，请在案件文件中改用新的 id 后重新导入",
                    )
                )
            version = db_case.current_version + 1
            db_case.title = case.title
            db_case.updated_at = stamp
            db_case.current_version = version
        else:
            version = 1
            s.add(DbCase(id=case.id, title=case.title, created_at=stamp, updated_at=stamp, current_version=1))
        if infos:
            s.execute(
                sqlite_insert(DbBlob)
                .values(
                    [{"sha256": i.sha256, "size": i.size, "mime": i.mime, "created_at": stamp} for i in infos]
                )
                .on_conflict_do_nothing(index_elements=["sha256"])
            )
        row = DbCaseVersion(
            case_id=case.id,
            version=version,
            content=prepared.text,
            content_format=prepared.content_format,
            content_sha256=prepared.content_sha256,
            source_path=source,
            imported_at=stamp,
        )
        s.add(row)
        s.flush()
        for pos, (ev, info) in enumerate(zip(case.evidence, infos, strict=True)):
            s.add(
                DbVersionEvidence(
                    case_version_id=row.id,
                    position=pos,
                    evidence_id=ev.id,
                    kind=str(ev.kind),
                    description=ev.description,
                    original_name=PurePath(ev.file).name,
                    blob_sha256=info.sha256,
                )
            )
        data = {
            "version": version,
            "source_path": source,
            "content_sha256": prepared.content_sha256,
            "evidence": len(infos),
        }
        add_event_row(s, case.id, "imported", data, at=stamp)
        rows = [
            EvidenceRow(
                ev.id, str(ev.kind), ev.description, PurePath(ev.file).name, i.sha256, i.size, i.mime, i.path
            )
            for ev, i in zip(case.evidence, infos, strict=True)
        ]
        return ImportResult(case.id, version, True, rows, warnings)

    @staticmethod
    def _type_warnings(case: Case, infos: list[BlobInfo]) -> list[Finding]:
        out = []
        for i, (ev, info) in enumerate(zip(case.evidence, infos, strict=True)):
            expected = extension_conflict(ev.file, info.mime)
            if expected:
                out.append(
                    Finding(
                        "evidence.type_mismatch",
                        "warning",
                        f"evidence[{i}].file",
                        f"{ev.file} 的扩展名表示 {mime_label(expected)}，但内容实际是 {mime_label(info.mime)}",
                        "按实际类型改正扩展名；部分渠道按扩展名判断文件类型，可能拒收",
                    )
                )
            elif info.mime == "application/octet-stream":
                out.append(
                    Finding(
                        "evidence.type_unknown",
                        "warning",
                        f"evidence[{i}].file",
                        f"无法识别 {ev.file} 的文件类型",
                        "证据最好是图片、PDF、视频或文本；其他格式多数渠道无法上传",
                    )
                )
        return out

    def _rows(self, evidence: list[DbVersionEvidence]) -> list[EvidenceRow]:
        return [
            EvidenceRow(
                evidence_id=e.evidence_id,
                kind=e.kind,
                description=e.description,
                original_name=e.original_name,
                sha256=e.blob_sha256,
                size=e.blob.size,
                mime=e.blob.mime,
                path=self.blobs.path_for(e.blob_sha256),
            )
            for e in evidence
        ]

    def list_cases(self) -> list[CaseSummary]:
        """Every stored case, most recently changed first, with version and filing counts."""
        versions = (
            select(DbCaseVersion.case_id, func.count().label("n")).group_by(DbCaseVersion.case_id).subquery()
        )
        filings = select(DbFiling.case_id, func.count().label("n")).group_by(DbFiling.case_id).subquery()
        stmt = (
            select(DbCase, func.coalesce(versions.c.n, 0), func.coalesce(filings.c.n, 0))
            .outerjoin(versions, versions.c.case_id == DbCase.id)
            .outerjoin(filings, filings.c.case_id == DbCase.id)
            .order_by(DbCase.updated_at.desc(), DbCase.id)
        )
        with self.session() as s:
            return [
                CaseSummary(c.id, c.title, nv, c.current_version, c.created_at, c.updated_at, nf)
                for c, nv, nf in s.execute(stmt)
            ]

    def has_case(self, case_id: str) -> bool:
        """True when a case with this id is stored."""
        with self.session() as s:
            return s.get(DbCase, case_id) is not None

    def current_version(self, case_id: str) -> int:
        """The newest version number of a stored case."""
        with self.session() as s:
            db_case = s.get(DbCase, case_id)
            if db_case is None:
                raise CaseNotFound(f"本地存储中没有案件 {case_id}", hint="用 kameng cases 查看已导入的案件")
            return db_case.current_version

    def case_text(self, case_id: str, version: int | None = None) -> str:
        """The case file's text exactly as imported (newest version when ``version`` is None)."""
        with self.session() as s:
            return version_row(s, case_id, version).content

    def get_case(self, case_id: str, version: int | None = None) -> Case:
        """The stored case re-read from its stored text; each evidence ``.path`` is its blob file."""
        with self.session() as s:
            row = version_row(s, case_id, version)
            text, fmt, number = row.content, row.content_format, row.version
            blob_paths = {e.evidence_id: self.blobs.path_for(e.blob_sha256) for e in row.evidence}
        result = load_case_text(text, base_dir=self.blobs.root, is_json=fmt == "json")
        if result.case is None:
            detail = "; ".join(f"{f.path}: {f.message}" for f in result.findings[:5])
            raise StoreError(
                f"已存储的案件 {case_id} 第 {number} 版无法按当前程序的格式读取",
                hint="修改案件文件后重新运行 kameng add 导入新版本",
                detail=detail,
            )
        for ev in result.case.evidence:
            if ev.id in blob_paths:
                ev._resolved = blob_paths[ev.id]
        return result.case

    def case_versions(self, case_id: str) -> list[VersionInfo]:
        """Every stored version of a case, oldest first."""
        counts = (
            select(DbVersionEvidence.case_version_id, func.count().label("n"))
            .group_by(DbVersionEvidence.case_version_id)
            .subquery()
        )
        stmt = (
            select(DbCaseVersion, func.coalesce(counts.c.n, 0))
            .outerjoin(counts, counts.c.case_version_id == DbCaseVersion.id)
            .where(DbCaseVersion.case_id == case_id)
            .order_by(DbCaseVersion.version)
        )
        with self.session() as s:
            out = [
                VersionInfo(v.version, v.content_sha256, v.content_format, v.source_path, v.imported_at, n)
                for v, n in s.execute(stmt)
            ]
        if not out:
            raise CaseNotFound(f"本地存储中没有案件 {case_id}", hint="用 kameng cases 查看已导入的案件")
        return out

    def evidence_index(self, case_id: str, version: int | None = None) -> list[EvidenceRow]:
        """The 证据清单 of a case version (newest by default), in the case file's order."""
        with self.session() as s:
            return self._rows(version_row(s, case_id, version).evidence)

    def blob_path(self, sha256: str) -> Path:
        """The stored file of a blob."""
        return self.blobs.path_for(sha256)

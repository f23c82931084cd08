"""Checks a case like a consumer-rights expert (三明确): each finding says what to fix, where and how."""

from kameng_filer.checks.codes import CODES, CodeInfo
from kameng_filer.checks.engine import check_case, check_path, sort_by_severity
from kameng_filer.checks.sniff import Sniffed, sniff_file

__all__ = ["CODES", "CodeInfo", "Sniffed", "check_case", "check_path", "sniff_file", "sort_by_severity"]

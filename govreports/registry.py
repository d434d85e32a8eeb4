"""The registry of county-level portals: one row per portal, keyed by its 6-digit division code.

`registry.csv` beside this module is the default; `load_registry()` reads, validates and filters
it. A bad row stops the load with the file, line and reason: a crawl that silently skipped a
county would look like a county that publishes nothing.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Union
from urllib.parse import urlparse

from govreports.links import DEFAULT_ALLOWED_HOSTS, HostPolicy, host_of, parse_host_list

DEFAULT_PATH = Path(__file__).with_name("registry.csv")
PLATFORMS = ("trs", "hanweb", "gkmlpt", "vsb", "generic")
COLUMNS = ("code", "name", "province", "prefecture", "platform", "column_url", "allowed_hosts",
           "note")
REQUIRED = ("code", "name", "province", "platform", "column_url")

_CODE = re.compile(r"^[1-8]\d{5}$")
# Province names are matched without their suffix, so 福建 and 福建省 both select Fujian.
_PROVINCE_SUFFIX = re.compile(r"(?:省|市|壮族自治区|回族自治区|维吾尔自治区|自治区|特别行政区)$")


class RegistryError(ValueError):
    """A registry file that cannot be used as it is; the message names the file and line."""


@dataclass(frozen=True)
class Portal:
    code: str
    name: str
    province: str
    prefecture: str
    platform: str
    column_url: str
    allowed_hosts: tuple[str, ...] = ()
    note: str = ""

    @property
    def hosts(self) -> tuple[str, ...]:
        """The column's own host and the extra hosts the row names."""
        return tuple(dict.fromkeys((host_of(self.column_url), *self.allowed_hosts)))


def _province_key(name: str) -> str:
    return _PROVINCE_SUFFIX.sub("", name.strip())


def _validate(row: dict[str, str], where: str) -> Portal:
    missing = [c for c in REQUIRED if not row.get(c)]
    if missing:
        raise RegistryError(f"{where}: empty {', '.join(missing)}")
    code = row["code"]
    if not _CODE.match(code):
        raise RegistryError(f"{where}: code {code!r} is not a 6-digit administrative division code")
    platform = row["platform"].lower()
    if platform not in PLATFORMS:
        raise RegistryError(f"{where}: unknown platform {row['platform']!r} "
                            f"(known: {', '.join(PLATFORMS)})")
    url = row["column_url"]
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise RegistryError(f"{where}: column_url {url!r} is not an absolute http(s) URL")
    extra = tuple(parse_host_list(row.get("allowed_hosts")))
    # A column off *.gov.cn is legitimate (county reports on a media centre's host) but must be
    # named on purpose, since mirrors of gov pages live on other hosts.
    if not HostPolicy((*DEFAULT_ALLOWED_HOSTS, *extra)).allows(url):
        raise RegistryError(f"{where}: column host {parsed.hostname} is not *.gov.cn; "
                            f"name it in allowed_hosts if it is really the portal's")
    return Portal(code=code, name=row["name"], province=row["province"],
                  prefecture=row.get("prefecture") or "", platform=platform, column_url=url,
                  allowed_hosts=extra, note=row.get("note") or "")


def read_registry(path: Union[str, Path, None] = None) -> list[Portal]:
    """Every row of a registry file, validated; duplicate codes are an error."""
    path = Path(path) if path else DEFAULT_PATH
    if not path.is_file():
        raise RegistryError(f"registry file not found: {path}")
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        header = [h.strip() for h in reader.fieldnames or []]
        missing = [c for c in REQUIRED if c not in header]
        if missing:
            raise RegistryError(f"{path}: missing column(s) {', '.join(missing)} "
                                f"(expected {','.join(COLUMNS)})")
        portals: list[Portal] = []
        seen: dict[str, int] = {}
        for row in reader:
            line = reader.line_num
            clean = {(k or "").strip(): (v or "").strip() for k, v in row.items() if k}
            if not any(clean.values()) or clean.get("code", "").startswith("#"):
                continue
            portal = _validate(clean, f"{path}:{line}")
            if portal.code in seen:
                raise RegistryError(f"{path}:{line}: code {portal.code} already on line "
                                    f"{seen[portal.code]}")
            seen[portal.code] = line
            portals.append(portal)
    return portals


def load_registry(path: Union[str, Path, None] = None, province: Optional[str] = None,
                  code: Optional[str] = None) -> list[Portal]:
    """The registry's portals, optionally only one province (name, with or without 省, or the
    2-digit code prefix) or one division code. A filter that selects nothing is an error."""
    portals = read_registry(path)
    if province:
        p = province.strip()
        if p.isdigit():
            portals = [x for x in portals if x.code.startswith(p)]
        else:
            key = _province_key(p)
            portals = [x for x in portals if _province_key(x.province) == key]
        if not portals:
            raise RegistryError(f"no portal of province {province!r} in {path or DEFAULT_PATH}")
    if code:
        c = code.strip()
        if not _CODE.match(c):
            raise RegistryError(f"code {code!r} is not a 6-digit administrative division code")
        portals = [x for x in portals if x.code == c]
        if not portals:
            raise RegistryError(f"no portal with code {c} in {path or DEFAULT_PATH}"
                                + (f" (province {province})" if province else ""))
    return portals

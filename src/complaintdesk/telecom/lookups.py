"""Account look-ups: one pluggable HTTP/JSON adapter per system, configured by URL.

Each system answers ``GET {url}/subscribers/{msisdn}`` with a JSON object. A look-up that
times out, fails, is not configured, or answers something unreadable yields an UNKNOWN
check: the operator sees "unknown", never "fine".
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import quote

import httpx
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from complaintdesk.telecom.diagnosis import (
    AccountCheck,
    AccountSystem,
    LookupOutcome,
    assess_account,
)


class TelecomSettings(BaseSettings):
    """``COMPLAINTDESK_TELECOM_*``: where each system answers, and how long to wait."""

    model_config = SettingsConfigDict(env_prefix="COMPLAINTDESK_TELECOM_", extra="ignore")

    crm_url: str | None = None
    prepaid_url: str | None = None
    aaa_url: str | None = None
    hlr_url: str | None = None
    timeout_seconds: float = Field(2.0, gt=0, le=30)

    def urls(self) -> dict[AccountSystem, str | None]:
        return {
            AccountSystem.CRM: self.crm_url,
            AccountSystem.PREPAID: self.prepaid_url,
            AccountSystem.AAA: self.aaa_url,
            AccountSystem.HLR: self.hlr_url,
        }


class AccountLookups(Protocol):
    def check_all(self, msisdn: str | None) -> list[AccountCheck]: ...


def _unknown(system: AccountSystem, why: str) -> AccountCheck:
    return AccountCheck(system, LookupOutcome.UNKNOWN, why)


@dataclass(frozen=True)
class HttpAccountSystem:
    system: AccountSystem
    base_url: str | None
    timeout: float

    def check(self, msisdn: str | None) -> AccountCheck:
        if not self.base_url:
            return _unknown(self.system, "未配置查询地址 / look-up not configured")
        if not msisdn:
            return _unknown(self.system, "无用户号码 / no subscriber number")
        url = f"{self.base_url.rstrip('/')}/subscribers/{quote(msisdn, safe='')}"
        try:
            response = httpx.get(url, timeout=self.timeout)
        except httpx.TimeoutException:
            return _unknown(
                self.system, f"查询超时（{self.timeout:g}秒）/ timed out after {self.timeout:g}s"
            )
        except httpx.HTTPError as exc:
            return _unknown(self.system, f"查询失败 / look-up failed: {type(exc).__name__}")
        if response.status_code == 404:
            return _unknown(self.system, "系统中查无此号码 / number not found in the system")
        if response.status_code != 200:
            return _unknown(
                self.system,
                f"系统返回错误 HTTP {response.status_code} / the system answered an error",
            )
        try:
            payload = response.json()
        except ValueError:
            return _unknown(self.system, "返回内容不是JSON / the answer is not JSON")
        if not isinstance(payload, dict):
            return _unknown(self.system, "返回内容无法识别 / the answer could not be understood")
        return assess_account(self.system, payload)


class HttpAccountLookups:
    """The four systems, asked in parallel: the slowest costs one timeout, not four."""

    def __init__(self, urls: dict[AccountSystem, str | None], timeout: float = 2.0) -> None:
        self.systems = [HttpAccountSystem(s, urls.get(s), timeout) for s in AccountSystem]

    @classmethod
    def from_settings(cls, settings: TelecomSettings | None = None) -> HttpAccountLookups:
        settings = settings or TelecomSettings()
        return cls(settings.urls(), settings.timeout_seconds)

    def check_all(self, msisdn: str | None) -> list[AccountCheck]:
        with ThreadPoolExecutor(max_workers=len(self.systems)) as pool:
            return list(pool.map(lambda s: s.check(msisdn), self.systems))

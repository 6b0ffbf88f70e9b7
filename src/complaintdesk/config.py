"""One typed settings object, read from ``COMPLAINTDESK_*`` environment variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRET = "change-me-demo-only"
PROJECT_ROOT = Path(__file__).resolve().parents[2]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="COMPLAINTDESK_", extra="ignore")

    database_url: str = "sqlite:///complaintdesk.db"
    demo_mode: bool = False
    secret_key: str = PLACEHOLDER_SECRET
    data_dir: Path | None = None
    attachments_dir: Path = Path("var/attachments")
    triage_model: Path | None = None
    triage_threshold: float = Field(0.6, ge=0, le=1)
    token_ttl_hours: int = Field(12, ge=1, le=24 * 30)
    max_failed_logins: int = Field(5, ge=1)
    lockout_minutes: int = Field(15, ge=1)
    reminder_working_days: int = Field(2, ge=0, le=10)
    page_size_max: int = Field(200, ge=10, le=1000)
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_sender: str = "complaintdesk@localhost"
    sms_gateway_url: str | None = None

    @field_validator("database_url")
    @classmethod
    def _url_is_sqlalchemy(cls, value: str) -> str:
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            make_url(value)
        except ArgumentError as exc:
            raise ValueError(
                f"COMPLAINTDESK_DATABASE_URL 不是有效的数据库地址 / not a database URL: {value}"
            ) from exc
        return value

    def resolved_data_dir(self) -> Path:
        """Where the shared real-complaint data lives (``../shared/data`` by default)."""
        if self.data_dir is not None:
            return self.data_dir
        for candidate in (Path.cwd() / "../shared/data", PROJECT_ROOT / "../shared/data"):
            if candidate.is_dir():
                return candidate.resolve()
        return (PROJECT_ROOT / "../shared/data").resolve()

    def check_for_serving(self) -> None:
        """Refuse to serve real users with the placeholder secret."""
        if not self.demo_mode and self.secret_key == PLACEHOLDER_SECRET:
            raise ValueError(
                "请设置 COMPLAINTDESK_SECRET_KEY（或以演示模式 COMPLAINTDESK_DEMO_MODE=1 运行）"
                " / set COMPLAINTDESK_SECRET_KEY, or run in demo mode"
            )


@lru_cache
def get_settings() -> Settings:
    return Settings()

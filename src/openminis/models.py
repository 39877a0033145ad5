"""Every domain's tables, imported once so that Alembic and the tests see the whole schema."""

from openminis.catalog.models import App, AppVersion
from openminis.db import Base
from openminis.identity.models import AuthSession, User
from openminis.runtime.models import CloudSave, Launch

__all__ = ["App", "AppVersion", "AuthSession", "Base", "CloudSave", "Launch", "User"]

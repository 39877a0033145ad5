"""Every domain's tables, imported once so that Alembic and the tests see the whole schema."""

from openminis.ads.models import (
    Advertiser, AdSettings, AdUnit, Campaign, CampaignDay, Creative, Impression, RewardAttempt, RewardGrant, SigningKey,
)
from openminis.catalog.models import App, AppVersion
from openminis.creators.models import Conversion, Creator, Post
from openminis.db import Base
from openminis.developers.models import AppSecret, AppToken, Developer
from openminis.jobs.models import Job
from openminis.payments.models import (
    CoinPack, Entitlement, NotificationAttempt, Order, OrderEvent, PaymentSettings, Product, ProviderEventSeen, TopUp,
)
from openminis.drama.models import DramaPass, Episode, EpisodeUnlock, Series, SeriesUnlock, Subscription, WatchProgress
from openminis.identity.models import AppUser, Authorization, AuthSession, LoginCode, SignInLink, User, UserToken
from openminis.runtime.models import CloudSave, Launch
from openminis.wallet.models import Account, LedgerEntry, LedgerTransfer

__all__ = [
    "AdSettings", "AdUnit", "Advertiser", "Campaign", "CampaignDay", "Creative", "Impression", "RewardAttempt", "RewardGrant", "SigningKey",
    "DramaPass", "Episode", "EpisodeUnlock", "Series", "SeriesUnlock", "Subscription", "WatchProgress",
    "AppUser", "CoinPack", "Entitlement", "NotificationAttempt", "Order", "OrderEvent", "PaymentSettings", "Product",
    "ProviderEventSeen", "TopUp",
    "Conversion", "Creator", "Post",
    "Account", "App", "AppSecret", "AppToken", "AppVersion", "AuthSession", "Authorization", "Base", "CloudSave",
    "Developer", "Job", "Launch", "LedgerEntry", "LedgerTransfer", "LoginCode", "SignInLink", "User", "UserToken",
]

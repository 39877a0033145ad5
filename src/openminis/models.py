"""Every domain's tables, imported once so that Alembic and the tests see the whole schema."""

from openminis.ads.models import (
    AdSettings,
    AdUnit,
    Advertiser,
    Campaign,
    CampaignDay,
    Creative,
    Impression,
    RewardAttempt,
    RewardGrant,
    SigningKey,
)
from openminis.attribution.models import Conversion
from openminis.catalog.models import App, AppVersion, VersionEvent
from openminis.creators.models import Creator, Post
from openminis.db import Base
from openminis.developers.models import AppInvite, AppMember, AppSecret, AppToken, Developer
from openminis.drama.models import DramaPass, Episode, EpisodeUnlock, Series, SeriesUnlock, Subscription, WatchProgress
from openminis.identity.models import AppUser, Authorization, AuthSession, LoginCode, SignInLink, User, UserToken
from openminis.jobs.models import Job
from openminis.messages.models import Message, MessageGrant, MessageTemplate, PushSubscription, VapidKey
from openminis.moderation.models import Appeal, Report, Takedown
from openminis.payments.models import (
    CoinPack,
    Entitlement,
    ItemRefund,
    MoneyTerms,
    NotificationAttempt,
    Order,
    OrderEvent,
    PaymentSettings,
    Product,
    ProviderEventSeen,
    ProviderRefund,
    TopUp,
)
from openminis.payouts.models import Payout, PayoutAccount, PayoutEvent, PayoutPolicy, SandboxPayoutTransfer
from openminis.runtime.models import CloudSave, Favourite, Launch
from openminis.social.models import AppShare, Context, ContextMember, Leaderboard, Score
from openminis.staff.models import AuditEntry, StaffMember
from openminis.wallet.models import Account, LedgerEntry, LedgerTransfer

__all__ = [
    "Account",
    "AdSettings",
    "AdUnit",
    "Advertiser",
    "App",
    "AppInvite",
    "AppMember",
    "AppSecret",
    "AppShare",
    "AppToken",
    "AppUser",
    "AppVersion",
    "Appeal",
    "AuditEntry",
    "AuthSession",
    "Authorization",
    "Base",
    "Campaign",
    "CampaignDay",
    "CloudSave",
    "CoinPack",
    "Context",
    "ContextMember",
    "Conversion",
    "Creative",
    "Creator",
    "Developer",
    "DramaPass",
    "Entitlement",
    "Episode",
    "EpisodeUnlock",
    "Favourite",
    "Impression",
    "ItemRefund",
    "Job",
    "Launch",
    "Leaderboard",
    "LedgerEntry",
    "LedgerTransfer",
    "LoginCode",
    "Message",
    "MessageGrant",
    "MessageTemplate",
    "MoneyTerms",
    "NotificationAttempt",
    "Order",
    "OrderEvent",
    "PaymentSettings",
    "Payout",
    "PayoutAccount",
    "PayoutEvent",
    "PayoutPolicy",
    "Post",
    "Product",
    "ProviderEventSeen",
    "ProviderRefund",
    "PushSubscription",
    "Report",
    "RewardAttempt",
    "RewardGrant",
    "SandboxPayoutTransfer",
    "Score",
    "Series",
    "SeriesUnlock",
    "SignInLink",
    "SigningKey",
    "StaffMember",
    "Subscription",
    "Takedown",
    "TopUp",
    "User",
    "UserToken",
    "VapidKey",
    "VersionEvent",
    "WatchProgress",
]

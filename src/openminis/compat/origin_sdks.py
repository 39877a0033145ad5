# ruff: noqa: E501 - the API tables read one API a line, however long its note
"""The platforms a game may come from: how to recognise one, which script loads its SDK, and every
API of its SDK with what the shim (``shims/<name>.js``) does for it.

``docs/compat.md`` is the conformance table made from ``APIS``; a test keeps the two the same, and
another keeps the shims' answer to "is X supported" (FBInstant's getSupportedAPIs) in step.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Status = Literal["supported", "partly", "not"]
NAMES = ("poki", "crazygames", "playables", "fbinstant", "wechat")
OriginSdkName = Literal["poki", "crazygames", "playables", "fbinstant", "wechat"]


@dataclass(frozen=True)
class Api:
    status: Status
    how: str


@dataclass(frozen=True)
class OriginSdk:
    name: OriginSdkName
    title: str
    # A script whose src matches is the platform's SDK, loaded from the internet: it is replaced.
    sdk_script: re.Pattern[str]
    # The global the platform's SDK defines (a regular expression: CrazyGames' is two names).
    namespace: str
    apis: dict[str, Api]

    def api_uses(self, code: str) -> list[str]:
        """The platform APIs ``code`` uses, once per use: through the global, or through a variable
        the global was put in (``const sdk = window.CrazyGames.SDK``). A static scan: a use
        through anything more roundabout is not seen."""
        names = [self.namespace]
        alias = rf"\b(?:var|let|const)\s+([A-Za-z_$][\w$]*)\s*=\s*(?:window\s*\.\s*)?{self.namespace}\s*[;,\n]"
        names += [re.escape(found) for found in re.findall(alias, code)]
        member = r"[A-Za-z_$][\w$]*"
        use = re.compile(rf"(?<![\w$.])(?:window\s*\.\s*)?(?:{'|'.join(names)})\s*\.\s*((?:{member}\s*\.\s*)?{member})")
        return [re.sub(r"\s+", "", found) for found in use.findall(code)]

    @property
    def global_name(self) -> str:
        """The global as a game names it (``CrazyGames.SDK``): the namespace without its pattern."""
        return re.sub(r"\\s\*", "", self.namespace).replace("\\.", ".")

    @property
    def shim_path(self) -> str:
        return f"/sdk/compat/{self.name}.js"

    def supports(self, api: str) -> bool:
        found = self.apis.get(api)
        return found is not None and found.status != "not"


def _apis(table: str) -> dict[str, Api]:
    """``name | status | how`` lines, one API a line."""
    apis: dict[str, Api] = {}
    for line in table.strip().splitlines():
        name, status, how = (part.strip() for part in line.split("|", 2))
        assert status in ("supported", "partly", "not"), line
        apis[name] = Api(status, how)  # type: ignore[arg-type]
    return apis


POKI = OriginSdk(
    "poki",
    "Poki",
    re.compile(r"poki-sdk|game-cdn\.poki\.com|poki\.com/.*sdk", re.I),
    r"PokiSDK",
    _apis(
        """
init | supported | initializes the SDK (minis.init); resolves also where Poki would report an ad blocker
setDebug | supported | accepted; the host's ads have no debug mode
gameLoadingStart | supported | loading progress 0 %
gameLoadingProgress | supported | `{percentageDone}` (0-1) becomes the host's loading bar
gameLoadingFinished | supported | minis.ready(): the host removes its loading screen
gameplayStart | supported | recorded; a commercialBreak during gameplay is told on the console (Poki asks for gameplayStop first)
gameplayStop | supported | recorded
commercialBreak | supported | an interstitial of the app's interstitial unit, shown by the host; resolves after it closes, also without a fill
rewardedBreak | supported | a rewarded ad of the app's rewarded unit; resolves true only when the platform granted the reward
happyTime | partly | accepted and checked (0-1); the host does not celebrate
shareableURL | supported | the host's /play link to the game with the parameters: opened, the launch's query carries them (getURLParam)
getURLParam | supported | the launch's query: a shareableURL's parameters, or a share's query
getLanguage | supported | the launch's locale
isAdBlocked | supported | always false: ads are the host's own, never blocked
captureError | partly | written to the console
measure | partly | accepted; no analytics event yet
displayAd | not | banners: the host shows no ads inside the game's page
destroyAd | not | banners: nothing to remove
getUser | not | Poki accounts: the host's identity is minis.login / getUserProfile
"""
    ),
)

CRAZYGAMES = OriginSdk(
    "crazygames",
    "CrazyGames",
    re.compile(r"crazygames-sdk|sdk\.crazygames\.com", re.I),
    r"CrazyGames\s*\.\s*SDK",
    _apis(
        """
init | supported | minis.init, then the game's data is read from cloud save
environment | supported | "crazygames"
isQaTool | supported | false
ad.requestAd | supported | "midgame": an interstitial, "rewarded": a rewarded ad; adStarted, then adFinished only when the platform granted the reward, else adError
ad.hasAdblock | supported | resolves false: the host's ads are never blocked
ad.prefetchAd | partly | accepted; the ad loads when requested
banner.requestBanner | not | banners: the host shows no ads inside the game's page
banner.requestResponsiveBanner | not | banners
banner.clearBanner | partly | nothing to clear
banner.clearAllBanners | partly | nothing to clear
game.gameplayStart | supported | recorded
game.gameplayStop | supported | recorded
game.loadingStart | supported | loading progress 0 %
game.loadingStop | supported | minis.ready()
game.happytime | partly | accepted; the host does not celebrate
game.inviteLink | supported | the host's /play link to the game with the parameters: opened, the launch's query carries them (getInviteParam)
game.getInviteParam | supported | the launch's query: an inviteLink's parameters, or a share's query; null when absent
game.showInviteButton | not | the host draws no button inside the game; returns the link
game.hideInviteButton | partly | nothing to hide
game.isInstantMultiplayer | supported | false
game.settings | supported | `{disableChat: false, muteAudio: false}`
game.addSettingsChangeListener | partly | accepted; the settings never change
game.removeSettingsChangeListener | supported | removes a listener
user.isUserAccountAvailable | supported | false: the host's sign-in is not a CrazyGames account
user.getUser | partly | resolves null (no CrazyGames account)
user.systemInfo | supported | browser, device and country-less system info
user.showAuthPrompt | not | rejected: use minis.login
user.showAccountLinkPrompt | not | rejected
user.getUserToken | not | rejected: the app's backend uses minis.login codes
user.getXsollaUserToken | not | rejected: purchases go through the host's coins
user.addAuthListener | partly | accepted; never called
user.removeAuthListener | supported | removes a listener
data.getItem | supported | from the cloud save read at init (synchronous, as CrazyGames' is)
data.setItem | supported | kept at once, saved to cloud save in the background (1 MB in all)
data.removeItem | supported | as setItem
data.clear | supported | as setItem
"""
    ),
)

PLAYABLES = OriginSdk(
    "playables",
    "YouTube Playables",
    re.compile(r"youtube\.com/game_api|ytgame|playables", re.I),
    r"ytgame",
    _apis(
        """
IN_PLAYABLES_ENV | supported | true
SDK_VERSION | supported | the shim's version
game.firstFrameReady | supported | minis.init and the loading bar at 100 %
game.gameReady | supported | minis.ready()
game.loadData | supported | the string saved last, from cloud save ("" when none)
game.saveData | supported | strings up to 3 MiB, as Playables'; a game imported from Playables has 4 MiB of cloud save per person (`MINIS_STORAGE_QUOTA_PLAYABLES_BYTES`), other apps 1 MiB; a larger save is refused STORAGE_QUOTA_EXCEEDED before anything is sent
system.isAudioEnabled | partly | true while the game is on screen, false while the host hides it (an ad, a sheet, another tab)
system.onAudioEnabledChange | partly | called on the host's hide and show
system.onPause | supported | minis.onHide
system.onResume | supported | minis.onShow
system.getLanguage | supported | the launch's locale
engagement.sendScore | supported | checked (an integer), posted to the app's first leaderboard (in id order, `client_scores` on) when it has one, and kept as the best score in cloud save
engagement.openYTContent | not | there is no YouTube in the host
health.logError | partly | written to the console
health.logWarning | partly | written to the console
ads.requestInterstitialAd | supported | an interstitial of the app's interstitial unit; resolves after it closes, also without a fill
"""
    ),
)

FBINSTANT = OriginSdk(
    "fbinstant",
    "Facebook Instant Games",
    re.compile(r"connect\.facebook\.net/.*fbinstant|fbinstant", re.I),
    r"FBInstant",
    _apis(
        """
initializeAsync | supported | minis.init
setLoadingProgress | supported | the host's loading bar
startGameAsync | supported | minis.ready()
getLocale | supported | the launch's locale as FB writes it (en_US)
getPlatform | supported | "WEB"
getSDKVersion | supported | "8.0"
getSupportedAPIs | supported | the APIs of this table that are supported or partly
getEntryPointData | supported | the `data` of the shareAsync (or tournament.shareAsync) whose link opened the game, else null
getEntryPointAsync | supported | the launch's source (feed, search, hub...)
setSessionData | partly | accepted; nothing reads it
onPause | supported | minis.onHide
quit | supported | minis.exit()
logEvent | partly | checked as FB checks it, written to the console; no analytics event yet
getInterstitialAdAsync | supported | an ad instance over the app's interstitial unit (or the placement id when it is one of the app's units, au_...)
getRewardedVideoAsync | supported | an ad instance over the app's rewarded unit; showAsync resolves only when the platform granted the reward, else rejects USER_INPUT
getRewardedInterstitialAsync | not | no such format on the platform
player.getID | partly | the player's openid from the signed launch data; null for an app without a secret (no backend)
player.getName | not | the person's name needs their consent on a host sheet: minis.getUserProfile
player.getPhoto | not | as getName
player.getDataAsync | supported | cloud save (1 MB, as FB's)
player.setDataAsync | supported | cloud save, kept at once and saved in the background
player.flushDataAsync | supported | resolves once everything set is saved
player.getSignedPlayerInfoAsync | supported | getPlayerID: the openid; getSignature: the signed launch data, which the backend checks with verify_init_data
player.getStatsAsync | not | deprecated by FB; use getDataAsync
player.setStatsAsync | not | deprecated by FB
player.incrementStatsAsync | not | deprecated by FB
player.getConnectedPlayersAsync | not | there are no friends lists; context.getPlayersAsync names the context's people
player.canSubscribeBotAsync | partly | resolves false
player.subscribeBotAsync | not | there are no bots on the platform
payments.onReady | supported | called once the SDK is initialized
payments.getCatalogAsync | supported | the app's products: price in coins, priceCurrencyCode "COIN"
payments.purchaseAsync | supported | minis.pay on the host's pay sheet, through the ledger; the purchase's token is the order id
payments.getPurchasesAsync | partly | owned permanent products, and consumables bought through this shim and not yet consumed
payments.consumePurchaseAsync | partly | forgets the consumable purchase (the platform granted it when it was paid)
payments.purchaseSubscriptionAsync | not | no subscriptions on the platform
context.getID | supported | the launch's context (minis.getLaunchOptions().context): a share chain or a tournament; null when solo
context.getType | partly | "SOLO" without a context, "GROUP" for a tournament, "THREAD" for a share chain (there are no posts or groups)
context.isSizeBetween | supported | from the context's members count, read at initializeAsync and after each change; null when solo
context.switchAsync | partly | to a context the player is in already (an earlier launch's share chain or tournament), over minis.context.switchTo; any other id is INVALID_PARAM (no one joins a context but by its link), the current one SAME_CONTEXT
context.chooseAsync | partly | no friend picker: the host's share sheet for a link into the player's context (a new one when solo); whoever opens it joins
context.createAsync | partly | as chooseAsync: no player can be named, the link invites whoever opens it
context.getPlayersAsync | partly | the context's members who allowed the app their profile (name, photo); getID is null (no other player's id is told)
getLeaderboardAsync | supported | a board of the app by id (minis.json `leaderboards`); `name.<contextID>` is that board among the current context's people; LEADERBOARD_NOT_FOUND otherwise
shareAsync | partly | the host's share sheet; `data` reaches whoever opens the link as getEntryPointData (at most 1 KiB as JSON); the base64 image is not shown; resolves when the sheet closes
updateAsync | partly | accepted and resolved; no custom updates are posted anywhere
inviteAsync | partly | as shareAsync
switchGameAsync | not | a game opens another only through the host
canCreateShortcutAsync | supported | true: the host can always offer its home screen (minis.canIUse("addToHomeScreen"))
createShortcutAsync | partly | minis.addToHomeScreen from the player's tap: the browser's install prompt (USER_INPUT when declined) or the host's guide (resolves: whether the player then added it is not known)
checkCanPlayerMatchAsync | not | no matchmaking
matchPlayerAsync | not | no matchmaking
getTournamentAsync | supported | the tournament of the launch's context; TOURNAMENT_NOT_FOUND outside one
tournament.createAsync | partly | a tournament on the app's first leaderboard (in id order), ending at config.endTime (a week by default; 1 minute to 30 days), the player in it; initialScore posted; sortOrder and scoreFormat are the board's
tournament.postScoreAsync | supported | the score on the tournament's board, in the tournament of the launch's context
tournament.shareAsync | supported | posts `score` when given, then the host's share sheet for a link into the tournament; `data` reaches whoever opens it as getEntryPointData
tournament.getTournamentsAsync | partly | the tournament of the launch's context (the platform tells a game of no other), else []
tournament.joinAsync | partly | resolves for the tournament the player is in; another is joined through its link (INVALID_OPERATION)
graphApi.requestAsync | not | there is no Graph API
"""
    ),
)

WECHAT = OriginSdk(
    "wechat",
    "WeChat mini games",
    re.compile(r"weapp-adapter|wechat", re.I),
    r"wx",
    _apis(
        """
createCanvas | supported | the page's canvas (the first call) or a new offscreen canvas, sized to the window
getSystemInfoSync | supported | window size, pixel ratio, language, platform "openminis"
getSystemInfo | supported | as getSystemInfoSync, through success/complete callbacks
onTouchStart | supported | the canvas's pointer events as WeChat touches (identifier, clientX/Y, pageX/Y)
onTouchMove | supported | as onTouchStart
onTouchEnd | supported | as onTouchStart
onTouchCancel | supported | as onTouchStart
offTouchStart | supported | removes a listener
offTouchMove | supported | removes a listener
offTouchEnd | supported | removes a listener
offTouchCancel | supported | removes a listener
getStorageSync | supported | from the cloud save read before game.js runs (synchronous, as WeChat's is)
setStorageSync | supported | kept at once, saved to cloud save in the background (1 MB in all)
removeStorageSync | supported | as setStorageSync
clearStorageSync | supported | as setStorageSync
getStorage | supported | as getStorageSync, with success/fail/complete
setStorage | supported | as setStorageSync, with success/fail/complete once saved
removeStorage | supported | as removeStorageSync
login | supported | minis.login: `{code}` for the backend's code2session
shareAppMessage | partly | the host's share sheet; `query` (a=1&b=2) reaches whoever opens the link (getLaunchOptionsSync().query); imageUrl is not shown
showShareMenu | partly | accepted; the host's capsule has its own share
createRewardedVideoAd | supported | over the app's rewarded unit: load, show, onLoad, onError, onClose({isEnded})
createInterstitialAd | supported | over the app's interstitial unit: load, show, onLoad, onError, onClose
createBannerAd | not | banners: the host shows no ads inside the game's page
createInnerAudioContext | supported | an HTML audio element (src, play, pause, stop, seek, volume, loop, on/offEnded...)
getLaunchOptionsSync | partly | scene 1001 always; query: the launch's query (a share's, or a /play link's parameters)
onShow | supported | minis.onShow
onHide | supported | minis.onHide
offShow | supported | removes a listener
offHide | supported | removes a listener
exitMiniProgram | supported | minis.exit
setTimeout | supported | the page's own timers (WeChat games also call the global ones)
clearTimeout | supported | the page's own
setInterval | supported | the page's own
clearInterval | supported | the page's own
requestAnimationFrame | supported | the page's own
cancelAnimationFrame | supported | the page's own
requestPayment | not | WeChat Pay: purchases go through minis.pay
requestMidasPayment | not | as requestPayment
getUserInfo | not | the host's consent sheet is minis.getUserProfile
createUserInfoButton | not | as getUserInfo
request | not | network requests: use fetch to the domains minis.json allows
connectSocket | not | use WebSocket to the domains minis.json allows
require | supported | not wx's but WeChat's loader: CommonJS modules of the package (relative paths, .js added), fetched synchronously and run once
loadSubpackage | not | a package is served whole
getFileSystemManager | not | no file system
"""
    ),
)

ORIGIN_SDKS: dict[str, OriginSdk] = {sdk.name: sdk for sdk in (POKI, CRAZYGAMES, PLAYABLES, FBINSTANT, WECHAT)}

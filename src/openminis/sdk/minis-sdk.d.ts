// Typings for minis-sdk.js, the only channel between a mini-program and the openminis host.
// Load it with <script src="/minis-sdk.js"></script> (served on every app's own origin);
// it defines the global `minis`.

declare namespace minis {
  /** Stable error codes: branch on `error.code`, never on the message. */
  type ErrorCode =
    | "NOT_INITIALIZED" // a method other than init/setLoadingProgress was called before init() (calls made while init is in flight wait for it)
    | "INVALID_ARGUMENT" // a parameter failed validation; the message names it
    | "NOT_ALLOWED" // the method is not allowed in the app's current state
    | "UNKNOWN_METHOD" // the host does not know this method (older host, typo)
    | "RATE_LIMITED" // too many bridge calls; back off
    | "TIMEOUT" // the host did not answer in time
    | "STORAGE_QUOTA_EXCEEDED" // cloud save over its per-key or per-app quota
    | "NETWORK_ERROR" // the host could not reach the platform
    | "NO_HOST" // not running inside an openminis host and no standalone fallback applies (login, pay, products)
    | "USER_CANCELLED" // the person closed the host's sheet (the close button, Escape) without confirming
    | "USER_DENIED" // the person tapped "Don't allow" on the host's consent sheet
    | "INSUFFICIENT_FUNDS" // the platform refused the payment for lack of coins and the person then closed the sheet
    | "PRICE_CHANGED" // the price changed while the sheet was open; nothing was charged, and the person closed the sheet instead of paying the new price
    | "ALREADY_OWNED" // a permanent product the person already owns: restore it with getPurchases()
    | "NOT_FOUND" // no such product (or order) in this app
    | "PAYMENT_DECLINED" // the payment provider declined the person's card (top-ups; the sheet offers another card)
    | "EPISODE_LOCKED" // drama: the person may not watch this episode yet; offer minis.drama.unlock()
    | "AD_UNLOCK_LIMIT" // drama: the person unlocked as many episodes of this series with ads today as it allows
    | "AD_UNLOCK_DISABLED" // drama: this series cannot be unlocked with ads
    | "NO_FILL" // ads: no ad to show for this unit now (no demand, or the unit is paused); try later
    | "FREQUENCY_CAPPED" // ads: this person has seen the available ads as often as their advertisers allow
    | "INTERVAL_NOT_ELAPSED" // ads: an interstitial of your app was shown to this person too recently (the unit's min_interval_seconds)
    | "NOT_READY" // ads: show() without a loaded ad: call load() and wait for it (each loaded ad shows once)
    | "CLIENT_SCORES_OFF" // leaderboards: this board takes scores from your backend only (minis.json `client_scores`)
    | "TOURNAMENT_ENDED" // leaderboards: the tournament is over; its results are final
    | "INTERNAL";

  interface MinisError extends Error {
    readonly name: "MinisError";
    readonly code: ErrorCode;
  }

  /** Every rejection and throw of the SDK is a MinisError: `error instanceof minis.MinisError`. */
  const MinisError: {
    new (code: ErrorCode, message?: string): MinisError;
    readonly prototype: MinisError;
  };

  /** Where a launch came from: its scene (docs/social.md lists them). */
  type LaunchSource =
    | "feed"
    | "hub"
    | "search"
    | "recents"
    | "post"
    | "share"
    | "subscribe_message"
    | "favourites"
    | "home_screen"
    | "preview"
    | "other_app"
    | "direct";

  /** What getLaunchOptions() returns: the scene, the share's or the opening app's query, the context, who referred. */
  interface LaunchOptions {
    scene: LaunchSource;
    /**
     * From minis.share({query}) for a share launch, from openApp(id, {query}) for other_app, the
     * message's query for subscribe_message; else {}.
     */
    query: Record<string, string>;
    /** The context (share chain or tournament) the person is in with this launch, or null. */
    context: string | null;
    /** share: the sharer's openid in your app; other_app: the app id that opened yours; else null. */
    referrer: string | null;
  }

  /**
   * What init() resolved with. The SDK keeps this object current: for a prewarmed app the host
   * records the launch only at the tap, and then fills in `initData` (and the tap's `source`)
   * before it sends `show`, so onShow callbacks and getLaunchInfo() see the updated values.
   */
  interface LaunchInfo {
    appId: string;
    version: string;
    /** Unique per opening; pass it to your backend to correlate a session. */
    launchId: string;
    /** Where the person opened the app; for a prewarmed app, the surface it was prewarmed on until the tap. */
    source: LaunchSource;
    /** Whether the app is on screen now. A prewarmed app starts hidden and gets onShow later. */
    visible: boolean;
    /** True when the host loaded the app ahead of the tap (it starts hidden). */
    prewarmed: boolean;
    locale: string;
    /** Query parameters the launch carried (share links, creator anchors). */
    query: Record<string, string>;
    /**
     * The launch signed by the platform for your backend (docs/developer-backend.md): send it
     * with the login code and verify it with your app secret. Null when your app has no secret
     * (no backend registered), when opened standalone, and for a prewarmed app until the tap.
     */
    initData: string | null;
    /** The context this launch put the person in (a share chain, a tournament), or null. */
    context: string | null;
    /** Who referred the launch (see LaunchOptions.referrer), or null. */
    referrer: string | null;
  }

  interface LoginResult {
    /** One-time, 5 minutes, bound to this app: your backend exchanges it at /openapi/v1/auth/code2session. */
    code: string;
  }

  interface UserProfile {
    displayName: string;
    /** An absolute URL on the host's origin (an SVG today). */
    avatarUrl: string;
  }

  interface Product {
    id: string;
    type: "consumable" | "permanent";
    /** In coins. */
    price: number;
    /** In the host's language, else English, else the first title the app declared. */
    title: string;
  }

  type PayOptions =
    /** Buy a product your package declares (minis.json `products`); the host makes the order. */
    | { productId: string; quantity?: number; payload?: string }
    /** Pay an order your backend created through the Open API. */
    | { orderId: string };

  interface PayResult {
    orderId: string;
    productId: string;
    quantity: number;
    status: "paid";
    /** With a coupon the person chose on the pay sheet: what they paid, the coupon, and its discount (coins). */
    amount?: number;
    couponId?: string;
    discount?: number;
  }

  /**
   * A coupon the person holds, usable in your app now (never another app's). The pay sheet offers
   * it for the products it covers; your app cannot apply it, only show it.
   */
  interface Coupon {
    id: string;
    title: string;
    /** Coins off, or null for a percent coupon. */
    amountOff: number | null;
    /** Percent off in basis points (2500 = 25 %), or null. */
    percentOffBps: number | null;
    /** The percent coupon's cap in coins, or null. */
    maxOff: number | null;
    /** The products it covers; null: every product. */
    productIds: string[] | null;
    /** ISO 8601 time it expires. */
    endsAt: string;
    /** How many more times this person may use it. */
    usesLeft: number;
    /** Asked with a productId: the list price of one, the coins the coupon takes off, what the person would pay. */
    price?: number;
    discount?: number;
    pay?: number;
  }

  interface Purchase {
    productId: string;
    orderId: string;
    /** ISO 8601 time. */
    grantedAt: string;
  }

  interface SystemInfo {
    platform: "openminis";
    sdkVersion: string;
    hostVersion: string;
    screenWidth: number;
    screenHeight: number;
    windowWidth: number;
    windowHeight: number;
    pixelRatio: number;
    orientation: "portrait" | "landscape";
    /**
     * Insets in CSS pixels, from each edge of the app's window, to keep free of buttons and text:
     * the device's notch and home bar, and at the top the host's close capsule. Standalone, the
     * device's alone (what `env(safe-area-inset-*)` gives the page).
     */
    safeArea: { top: number; right: number; bottom: number; left: number };
    language: string;
    theme: "light" | "dark";
    /** "host" inside the openminis host; "standalone" when opened directly (storage then lives in localStorage). */
    environment: "host" | "standalone";
  }

  type JSONValue = null | boolean | number | string | JSONValue[] | { [key: string]: JSONValue };

  /** SDK version string, e.g. "1.0.0". */
  const version: string;

  /** Connects to the host. Call once, first; every other call except setLoadingProgress waits for it. */
  function init(): Promise<LaunchInfo>;

  /**
   * Loading progress in percent (0-100); the host draws it while the app loads. Fire and forget:
   * it may be called before init(); after ready() the host ignores it.
   * @throws MinisError INVALID_ARGUMENT when percent is not a number from 0 to 100.
   */
  function setLoadingProgress(percent: number): void;

  /** Tell the host the first frame is on screen: it hides its loading view and records the load time. */
  function ready(): Promise<void>;

  /** The app came on screen (launched from prewarm, tab shown again, ad closed). Returns an unsubscribe function. */
  function onShow(callback: () => void): () => void;

  /**
   * The app left the screen: pause the game loop, mute audio, save. Returns an unsubscribe
   * function. A callback may return a promise (an async callback that awaits, then saves): a host
   * unloading the app waits for it, up to 3 s after the hide, before it removes the app's frame.
   */
  function onHide(callback: () => void | Promise<unknown>): () => void;

  /**
   * Whether the app is on screen now. Inside the host it is false until init() resolves (then as
   * LaunchInfo.visible says), and follows onShow/onHide after that.
   */
  function isVisible(): boolean;

  /** The current LaunchInfo (see LaunchInfo: updated at the tap for a prewarmed app); null before init() resolves. */
  function getLaunchInfo(): LaunchInfo | null;

  function getSystemInfo(): Promise<SystemInfo>;

  /**
   * Silent sign-in, like wx.login: no sheet, nothing shown. Send the code and
   * `getLaunchInfo().initData` to your backend; it learns the person's openid from the platform.
   * @throws MinisError NO_HOST when opened standalone.
   */
  function login(): Promise<LoginResult>;

  /**
   * The person's name and avatar, after they allow it on a sheet the host draws above your app
   * (asked once per app; they can revoke it in the host's Me screen, and then are asked again).
   * No timeout short of 10 minutes: it waits on the person.
   * @throws MinisError USER_DENIED ("Don't allow"), USER_CANCELLED (closed), NOT_ALLOWED (another
   * sheet is open, or the app is not on screen), NO_HOST.
   */
  function getUserProfile(): Promise<UserProfile>;

  /** The products your app sells, with titles in the host's language. */
  function getProducts(): Promise<Product[]>;

  /**
   * Buy with coins. The host shows its pay sheet above your app (item, price, the person's
   * balance, a top-up when it is short); nothing is charged until the person taps Pay there.
   * While the sheet is open your frame is inert. No timeout short of 10 minutes.
   * A consumable is yours to grant when this resolves (and your backend gets a signed
   * `order.paid` notification); a permanent product is also listed by getPurchases().
   * The person pays exactly the price the sheet shows: a price you change while it is open is
   * shown to them as the new price, and charged only if they tap Pay again.
   * @throws MinisError USER_CANCELLED, INSUFFICIENT_FUNDS, PRICE_CHANGED, ALREADY_OWNED, NOT_FOUND,
   * INVALID_ARGUMENT, NOT_ALLOWED (another sheet is open, or the app is not on screen), NO_HOST.
   */
  function pay(options: PayOptions): Promise<PayResult>;

  /** Permanent products the person owns in your app: call it at start to restore them. */
  function getPurchases(): Promise<Purchase[]>;

  /**
   * The person's coupons usable in your app now; with `productId`, those for that product, each
   * with its discount and the price the person would pay. The pay sheet offers them on pay().
   * @throws MinisError INVALID_ARGUMENT, NO_HOST.
   */
  function getCoupons(options?: { productId?: string }): Promise<Coupon[]>;

  /** Ask the host to close the app. */
  function exit(): Promise<void>;

  /**
   * The launch's scene, query, context and referrer. Synchronous; current from init() on, and
   * updated before onShow callbacks run (a prewarmed app learns its share launch at the tap).
   * Null before init() resolves.
   */
  function getLaunchOptions(): LaunchOptions | null;

  /**
   * Whether this SDK has a method: `canIUse("leaderboard.submit")`, `canIUse("vibrate")`. Read
   * from the SDK's own method table; for "vibrate" also whether the device can.
   */
  function canIUse(name: string): boolean;

  /**
   * Opens the host's share sheet (copy link, the system's share menu where there is one, a QR
   * code) for a link that opens your app for anyone, in the sharer's context. Whoever opens it
   * gets `query` in getLaunchOptions() (scene "share"). Resolves when the sheet closes.
   * `query`: at most 16 keys of 1-32 characters [A-Za-z0-9_.-], string values, 1 KiB as JSON.
   * `image`: a picture file of your package (e.g. "share.png"), shown on the sheet.
   * @throws MinisError INVALID_ARGUMENT, NOT_ALLOWED (not on screen, another sheet open), NO_HOST.
   */
  function share(options: { title: string; image?: string; query?: Record<string, string> }): Promise<void>;

  /** Host-controlled audio: muted while the app is hidden or when the person mutes it. Returns an unsubscribe function. */
  function onAudioChange(callback: (state: { muted: boolean }) => void): () => void;

  /** Whether the host wants your audio muted now. */
  function isMuted(): boolean;

  /** Gameplay began: the host shows no interstitial until gameplayStop(), and records the play time. */
  function gameplayStart(): Promise<void>;
  function gameplayStop(): Promise<void>;

  /**
   * Vibrates where the device can: a duration in ms (1-1000) or a pattern of at most 10 of them
   * (0-1000, vibration and pause alternating). Resolves `{vibrated}`: false where it cannot.
   * @throws MinisError INVALID_ARGUMENT.
   */
  function vibrate(pattern: number | number[]): Promise<{ vibrated: boolean }>;

  /**
   * Copies text (at most 10 000 characters) to the clipboard, only from a person's tap or key in
   * your frame (call it in the event handler).
   * @throws MinisError NOT_ALLOWED (no user gesture just now), INVALID_ARGUMENT.
   */
  function setClipboardData(text: string): Promise<void>;

  /**
   * Asks the person, on a host-drawn sheet listing each template's title, whether your app may
   * send them these messages (templates declared in minis.json `messages` or through the Open
   * API). Call it in a tap's or key's handler. Each accept of a one-time template allows your
   * backend one send (POST /openapi/v1/messages); a long-term accept allows sends until the person
   * revokes it in Me. A tap on a message opens your app with scene "subscribe_message" and the
   * message's query in getLaunchOptions().
   * @throws MinisError NOT_ALLOWED (no gesture just now, or another sheet open), NOT_FOUND (an id
   * your app has no template for), USER_CANCELLED (the sheet closed unanswered), INVALID_ARGUMENT.
   */
  function requestSubscribeMessage(templateIds: string[]): Promise<Record<string, "accept" | "reject">>;

  /**
   * Offers to add your app to the person's home screen, from a tap's or key's handler: the
   * browser's own install prompt where it has one for your app (Chromium on Android and desktop),
   * otherwise a host-drawn guide to the browser's menu (iOS Safari: Share, then Add to Home Screen).
   * The icon opens your app standalone with scene "home_screen"; a version played there once
   * relaunches without the network (docs/home-screen.md).
   * Resolves `{added, guided}`: `added` when the browser says the person installed it; after the
   * guide nobody knows, so `added` is false and `guided` true.
   * @since 1.6.0
   * @throws MinisError NOT_ALLOWED (no gesture just now, not on screen, another sheet open, a
   * preview), NO_HOST.
   */
  function addToHomeScreen(): Promise<{ added: boolean; guided: boolean }>;

  /** Lays your frame out portrait or landscape. */
  function setOrientation(orientation: "portrait" | "landscape"): Promise<void>;

  /**
   * Opens another mini-program after the person confirms on a host sheet; it gets scene
   * "other_app", your app id as referrer and `query`. Resolves when it opens (your app closes).
   * @throws MinisError USER_CANCELLED, NOT_FOUND, NOT_ALLOWED, INVALID_ARGUMENT, NO_HOST.
   */
  function openApp(appId: string, options?: { query?: Record<string, string> }): Promise<void>;

  /**
   * Leaderboards your app declares in minis.json (`leaderboards`) or through the Open API. Each
   * keeps a person's best score per period (never, daily, weekly or monthly reset). Names and
   * avatars appear only for people who allowed your app their profile; the others are "Player".
   */
  namespace leaderboard {
    interface Entry {
      rank: number;
      score: number;
      /** The score as the board's format writes it ("1:02.345" for time_ms, "12.50" for decimal2). */
      formatted: string;
      name: string;
      /** An absolute URL on the host's origin. */
      avatarUrl: string;
      isMe: boolean;
    }

    interface Entries {
      period: string;
      players: number;
      entries: Entry[];
    }

    interface Submitted {
      /** The person's best in the current period, this score included. */
      best: number;
      improved: boolean;
      rank: number;
    }

    /**
     * Posts a score from your front end: only on a board with `client_scores: true`, at most its
     * `max_score`, and a few a minute per person. In a tournament of this board (the launch's
     * context), the score counts there too. A score your backend vouches for goes through the
     * Open API instead. @throws MinisError CLIENT_SCORES_OFF, INVALID_ARGUMENT, RATE_LIMITED,
     * TOURNAMENT_ENDED, NOT_FOUND, NO_HOST.
     */
    function submit(id: string, score: number): Promise<Submitted>;

    /**
     * A page of the board: its top ("global"), the page around the person ("around_me"; the top
     * while they have no score), or the people of the launch's context ("context"; a tournament's
     * own ranking). limit: 1-100, default 10.
     */
    function getEntries(
      id: string,
      options?: { scope?: "global" | "around_me" | "context"; limit?: number }
    ): Promise<Entries>;

    /** Shows the board on a host-drawn sheet; resolves when the person closes it. */
    function show(id: string): Promise<void>;
  }

  /** The people the person plays with: those who came through the same share chain, or one tournament. */
  namespace context {
    interface Context {
      id: string;
      type: "share" | "tournament";
      membersCount: number;
      /** A tournament's board. */
      board?: string;
      /** A tournament's end, ISO 8601. */
      endsAt?: string;
    }

    /** The launch's context, or null when the person came in without one. */
    function get(): Promise<Context | null>;

    /** The context's people who allowed your app their profile (the others are counted, not named). */
    function getMembers(): Promise<Array<{ name: string; avatarUrl: string }>>;

    /**
     * Makes another context the person is in (from an earlier launch: a share chain, a tournament)
     * this launch's context; getLaunchOptions() and onShow follow. Rejects NOT_FOUND for a
     * context they are not in; the current one resolves as context.get() does.
     */
    function switchTo(id: string): Promise<Context>;
  }

  /** Tournaments: a board's ranking among the people of one context until an end time. */
  namespace tournament {
    interface Tournament {
      id: string;
      board: string;
      /** ISO 8601. */
      endsAt: string;
    }

    /**
     * Starts a tournament on a board, ending 1 minute to 30 days from now; the person is in it (it
     * becomes the launch's context). At the end results are final (TOURNAMENT_ENDED after) and
     * your backend gets a signed `tournament.ended` notification with them.
     */
    function create(options: { board: string; endsAt: string | Date }): Promise<Tournament>;

    /** The share sheet for a link into the current tournament. */
    function share(options?: { title?: string; query?: Record<string, string> }): Promise<void>;
  }

  /**
   * Rewarded and interstitial ads, like WeChat's createRewardedVideoAd and Facebook's
   * getRewardedVideoAsync. Create ad units in your backend (Open API `POST /openapi/v1/ad-units`,
   * docs/ads.md); the host runs the auction, plays the ad above your app in its own player and pauses
   * your app meanwhile (onHide, then onShow when the ad closes). Your app never draws an ad.
   *
   *     const ad = minis.ads.createRewarded("au_3f9c0e1d2a4b5c6d");
   *     ad.load().then(() => showWatchButton(), () => hideWatchButton());
   *     // on the person's tap:
   *     const { rewarded } = await ad.show();
   *     if (rewarded) continueRun(); // and your backend gets a signed reward callback
   *     ad.load(); // the next one
   */
  namespace ads {
    interface ShowResult {
      /**
       * Rewarded ads: true only when the platform granted the reward: the person watched the ad to
       * its minimum (or its end) while the page stayed visible, and the platform's clock agrees.
       * Closing early, or hiding the page meanwhile, gives false. Always false for interstitials.
       */
      rewarded: boolean;
      /** With a reward: the id your backend's verified callback carries (`transaction_id`). */
      transactionId?: string;
    }

    interface Ad {
      /**
       * Asks the platform for an ad of the unit and has the host fetch it. Call it ahead of time,
       * after onShow (a frame nobody opened gets NOT_ALLOWED).
       * @throws MinisError NO_FILL, FREQUENCY_CAPPED, INTERVAL_NOT_ELAPSED (interstitials),
       * INVALID_ARGUMENT (not a unit of your app, or of the other kind), NOT_ALLOWED, NO_HOST.
       */
      load(): Promise<void>;
      /**
       * Plays the loaded ad above your app and resolves when the person closes it. No timeout short
       * of 10 minutes: it waits on the person.
       * @throws MinisError NOT_READY (nothing loaded), NOT_ALLOWED (the app is not on screen, a host
       * sheet or another ad is open), NO_FILL (the ad could no longer run: try load() again).
       */
      show(): Promise<ShowResult>;
      /** Every failure of load() and show(), as well as their rejections. Returns an unsubscribe function. */
      onError(callback: (error: MinisError) => void): () => void;
      /** After each show(), when the ad closed, with the same result. Returns an unsubscribe function. */
      onClose(callback: (result: ShowResult) => void): () => void;
    }

    /**
     * A rewarded ad: the person chooses to watch it for something in your app.
     * @throws MinisError INVALID_ARGUMENT at once when unitId is not shaped like a unit id.
     */
    function createRewarded(unitId: string): Ad;

    /**
     * An interstitial: shown at a natural break (between rounds). Its close button appears after a
     * few seconds. The unit's min_interval_seconds spaces them out (INTERVAL_NOT_ELAPSED).
     * @throws MinisError INVALID_ARGUMENT at once when unitId is not shaped like a unit id.
     */
    function createInterstitial(unitId: string): Ad;
  }

  /**
   * Short dramas, for drama apps (minis.json `kind: "drama"`) that draw a player of their own. A
   * producer who needs no custom player publishes series through the Open API and the host's
   * built-in player shows them; these calls are for the others. An app sees only its own series.
   */
  namespace drama {
    interface Series {
      id: string;
      title: string;
      synopsis: string;
      genres: string[];
      language: string;
      ageRating: string;
      /** An absolute URL on the host's origin (a JPEG), or null before any episode is ready. */
      coverUrl: string | null;
      episodeCount: number;
      /** Episodes 1 to freeEpisodes are free for everyone. */
      freeEpisodes: number;
      /** In coins, per episode. */
      episodePrice: number;
      /** In coins, the whole series at once; null when it is not sold whole. */
      seriesPrice: number | null;
      /** Whether an episode may be unlocked by watching a rewarded ad. */
      adUnlock: boolean;
    }

    /** Why the person may watch an episode, or null while it is locked. */
    type Access = "free" | "coins" | "ad" | "series" | "pass" | null;

    interface Episode {
      number: number;
      title: string;
      durationMs: number;
      access: Access;
      /** A small JPEG on the host's origin, public: show it for locked episodes too. */
      thumbnailUrl: string | null;
    }

    interface Playback {
      /** When the URLs stop working, in milliseconds since the epoch (like Date.now()). Ask again before. */
      expiresAt: number;
      /**
       * Signed URLs on the host's origin (your app's CSP allows media from it). `mp4_720` and
       * `mp4_480` are H.264/AAC with the index at the front; `hls` is a master playlist for
       * browsers that play HLS natively; `poster` a 720x1280 JPEG.
       */
      urls: { mp4_720: string; mp4_480: string; hls: string; poster: string };
    }

    interface UnlockResult {
      number: number;
      access: Exclude<Access, null>;
    }

    /** Your app's published series, newest first. */
    function getSeries(): Promise<Series[]>;

    /** @throws MinisError NOT_FOUND when the series is not one of your app's published series. */
    function getEpisodes(seriesId: string): Promise<Episode[]>;

    /** Each episode's access, keyed by its number: `{"1": "free", "4": null}`. */
    function getEntitlements(seriesId: string): Promise<Record<string, Access>>;

    /**
     * Unlocks an episode for the person. Never silent: "coins" shows the host's paywall (price,
     * balance, a top-up when short) and charges only when the person confirms there; "ad" plays a
     * rewarded ad in the host's ad player at once (call it from the person's own "watch an ad"
     * tap) and unlocks with it if the platform granted the reward. Resolves at once, without a
     * sheet, when the episode is already watchable. No timeout short of 10 minutes.
     * @throws MinisError USER_CANCELLED (the sheet closed, or the ad ended without its reward),
     * INSUFFICIENT_FUNDS, PRICE_CHANGED, NOT_FOUND, NOT_ALLOWED (another sheet or ad is open, or the app is not on
     * screen), AD_UNLOCK_LIMIT, AD_UNLOCK_DISABLED, NO_FILL, FREQUENCY_CAPPED, INVALID_ARGUMENT, NO_HOST.
     */
    function unlock(seriesId: string, number: number, method?: "coins" | "ad"): Promise<UnlockResult>;

    /**
     * Signed, expiring media URLs of an episode the person may watch.
     * @throws MinisError EPISODE_LOCKED (unlock it first), NOT_FOUND, NO_HOST.
     */
    function getPlaybackUrl(seriesId: string, number: number): Promise<Playback>;
  }

  /**
   * Cloud save, per person per app, kept by the platform across devices.
   * Keys: 1-128 chars of [A-Za-z0-9_.:-]. Values: any JSON value, at most 64 KiB serialized;
   * at most 1 MiB and 256 keys per person per app (STORAGE_QUOTA_EXCEEDED past either).
   * The SDK checks keys and values before sending: a bad key or a value that is not JSON
   * (undefined, NaN, a Date, a class instance) rejects with INVALID_ARGUMENT, a value over
   * 64 KiB with STORAGE_QUOTA_EXCEEDED.
   */
  namespace storage {
    /** The stored value, or null when the key is not set. */
    function get<T extends JSONValue = JSONValue>(key: string): Promise<T | null>;
    function set(key: string, value: JSONValue): Promise<void>;
    function remove(key: string): Promise<void>;
  }
}

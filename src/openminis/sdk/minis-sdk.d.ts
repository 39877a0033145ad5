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
    | "ALREADY_OWNED" // a permanent product the person already owns: restore it with getPurchases()
    | "NOT_FOUND" // no such product (or order) in this app
    | "PAYMENT_DECLINED" // the payment provider declined the person's card (top-ups; the sheet offers another card)
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

  type LaunchSource = "feed" | "hub" | "search" | "recents" | "share" | "post" | "direct";

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
     * the device's notch and home bar, and at the top the host's close capsule.
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

  /** The app left the screen: pause the game loop, mute audio. Returns an unsubscribe function. */
  function onHide(callback: () => void): () => void;

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
   * @throws MinisError USER_CANCELLED, INSUFFICIENT_FUNDS, ALREADY_OWNED, NOT_FOUND,
   * INVALID_ARGUMENT, NOT_ALLOWED (another sheet is open, or the app is not on screen), NO_HOST.
   */
  function pay(options: PayOptions): Promise<PayResult>;

  /** Permanent products the person owns in your app: call it at start to restore them. */
  function getPurchases(): Promise<Purchase[]>;

  /** Ask the host to close the app. */
  function exit(): Promise<void>;

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

// What the shims share (common.js) and the globals they define, for the front-end check
// (tsconfig.json). The platforms' own APIs are typed `any`: they are other companies' contracts,
// described in docs/compat.md, not ours to declare.

interface MinisCompatStore {
  loaded: Promise<void>;
  data(): Record<string, any>;
  change(change: (copy: Record<string, any>) => void): Promise<void>;
  flushed(): Promise<void>;
}

interface MinisCompat {
  used(api: string, level: "partly" | "not", how: string): void;
  watch(global: string, apis: Record<string, ["partly" | "not", string]>): string[];
  ready(): Promise<minis.LaunchInfo>;
  start(): Promise<minis.LaunchInfo>;
  launch(): { appId: string; query: Record<string, string>; locale: string; source: string };
  shareLink(params?: Record<string, string>): string;
  showAd(format: "rewarded" | "interstitial", unitId?: string, onStart?: () => void): Promise<minis.ads.ShowResult>;
  saveText(key: string, text: string): Promise<void>;
  loadText(key: string): Promise<string | null>;
  bytes(text: string): number;
  Store(key: string, maxBytes: number): MinisCompatStore;
}

interface Window {
  __minisCompatUnits?: Partial<Record<"rewarded" | "interstitial", string>>;
  /** The app's active leaderboards, by id. */
  __minisCompatBoards?: string[];
  __minisCompat: MinisCompat;
  PokiSDK: any;
  CrazyGames: any;
  ytgame: any;
  FBInstant: any;
  wx: any;
  GameGlobal: any;
}

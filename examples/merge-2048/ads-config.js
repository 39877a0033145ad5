// Merge 2048's ad units, made by its backend with the Open API (POST /openapi/v1/ad-units, see
// docs/ads.md) and shipped with the package; `minis serve --demo` makes this one under its stable
// id. `betweenRounds` is an interstitial unit; `minIntervalSeconds` matches its
// min_interval_seconds, so the game does not even ask before the platform would allow one.
window.MERGE_AD_UNITS = { betweenRounds: "au_merge_between_rounds", minIntervalSeconds: 60 };

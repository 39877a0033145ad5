// Merge 2048's ad units, made by its backend with the Open API (POST /openapi/v1/ad-units, see
// docs/ads.md) and shipped with the package. Empty: the game shows no ads.
// `betweenRounds` is an interstitial unit; `minIntervalSeconds` should match the unit's
// min_interval_seconds, so the game does not even ask before the platform would allow one.
window.MERGE_AD_UNITS = { betweenRounds: "", minIntervalSeconds: 60 };

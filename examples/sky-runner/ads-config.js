// Sky Runner's ad units, made by its backend with the Open API (POST /openapi/v1/ad-units, see
// docs/ads.md) and shipped with the package. Empty: the game offers no ads (the paid continue
// stays). `continue` is a rewarded unit: watching it to the end continues a run once.
window.SKY_RUNNER_AD_UNITS = { continue: "" };

// Sky Runner's ad units, made by its backend with the Open API (POST /openapi/v1/ad-units, see
// docs/ads.md) and shipped with the package; `minis serve --demo` makes this one under its stable
// id. `continue` is a rewarded unit: watching it to the end continues a run once. An empty id, or a
// unit the platform does not know, and the game offers no ad (the paid continue stays).
window.SKY_RUNNER_AD_UNITS = { continue: "au_sky_continue" };

"""Games made for other platforms (Poki, CrazyGames, YouTube Playables, Facebook Instant Games,
WeChat mini games), run unmodified: ``minis import`` turns one into a package, and a shim per
platform, served on the app's origin, implements that platform's SDK over ``minis-sdk.js``."""

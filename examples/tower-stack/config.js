// Where this game's own backend lives (examples/backend/app.py), e.g. "https://api.example.com".
// Empty: no backend, and "Sign in" only greets the player. The package's minis.json must list the
// backend's domain in allowed_domains, or the platform's Content-Security-Policy blocks the call.
window.TOWER_BACKEND_URL = "";

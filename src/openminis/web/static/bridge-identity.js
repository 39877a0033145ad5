// Bridge methods for who is playing: minis.login() (silent) and minis.getUserProfile() (asks).
// @ts-check

import { BridgeError, RUNNING, registerMethod } from "./bridge.js";
import { ConsentSheet } from "./consent-sheet.js";

registerMethod("login", {
  states: RUNNING,
  handler: async (params, session) => {
    // A prewarmed frame is loaded before anyone chose it: signing in then would add an app to
    // the person's "Apps with access" that they never opened.
    if (!session.opened) throw new BridgeError("NOT_ALLOWED", "login: the app is not open yet; call it after onShow");
    const { code } = await session.api.loginCode(session.appId);
    return { code };
  },
});

registerMethod("getUserProfile", {
  states: RUNNING,
  handler: (params, session) => {
    session.checkMaySheet("getUserProfile");
    return new ConsentSheet(session).run();
  },
});
